/* Internal: the hex codec's digit decoder, shared by other text parsers (felts). */
#ifndef KT_UTIL_HEXDIGIT_H
#define KT_UTIL_HEXDIGIT_H

/* 0..15 for '0'-'9', 'a'-'f', 'A'-'F'; -1 for anything else. */
int kt_hex_digit_value(char c);

#endif
