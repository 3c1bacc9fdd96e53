/* Formatted appends to a kt_buf. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/buf_fmt.h"

bool kt_buf_appendf(kt_buf *b, const char *fmt, ...) {
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return false;
    if ((size_t)n < sizeof small)
        return kt_buf_append(b, small, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (!big)
        return false;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    bool ok = kt_buf_append(b, big, (size_t)n);
    free(big);
    return ok;
}
