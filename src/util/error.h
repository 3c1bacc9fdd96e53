/* Internal: filling a kt_error. */
#ifndef KT_UTIL_ERROR_H
#define KT_UTIL_ERROR_H

#include "katana_tee/status.h"

/*
 * Record status and a printf-style message in err (if non-NULL) and return
 * status, so callers can write `return kt_fail(err, KT_E_PARSE, "...")`.
 */
kt_status kt_fail(kt_error *err, kt_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Prefix the message already in err with "prefix: " (keeping its status),
 * to add context as an error travels up. Returns err->status (or status
 * when err is NULL).
 */
kt_status kt_fail_context(kt_error *err, kt_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Shorthand for the out-of-memory failure. */
kt_status kt_fail_oom(kt_error *err);

/* Wipe secrets in a way the compiler will not optimise away. */
void kt_wipe(void *p, size_t len);

#endif
