/*
 * Internal: formatted appends to a kt_buf (util/buf.h), for text built in
 * pieces (Prometheus metrics, bundle descriptions). The buffer's hard
 * maximum still holds.
 */
#ifndef KT_UTIL_BUF_FMT_H
#define KT_UTIL_BUF_FMT_H

#include <stdbool.h>

#include "util/buf.h"

/* printf-append; false when the text would pass max or memory fails (b is then unchanged). */
bool kt_buf_appendf(kt_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
