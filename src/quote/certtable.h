/* Internal: the one certificate-table walker, for callers that hold a larger buffer. */
#ifndef KT_QUOTE_CERTTABLE_H
#define KT_QUOTE_CERTTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "katana_tee/status.h"

/*
 * Parse the table at the start of bytes[0..len) as kt_cert_table_parse does
 * (same refusals) and set *used to the bytes it occupies: the entry list
 * with its terminator and every entry's data, whichever ends last; 0 when
 * the table is empty (a lone terminator: no certificates supplied). The
 * rest of the buffer (device padding) is not looked at.
 */
kt_status kt_cert_table_extent(const uint8_t *bytes, size_t len, size_t *used, kt_error *err);

#endif
