/* Internal: small jansson helpers shared by every JSON writer. */
#ifndef KT_UTIL_JSONUTIL_H
#define KT_UTIL_JSONUTIL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Bytes as a lowercase hex JSON string (no 0x); NULL when out of memory. */
json_t *kt_json_hex(const uint8_t *bytes, size_t len);

#endif
