/* Log events of the RPC server: level filter, one "key=value" line per event. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "rpc/server_impl.h"

bool kt_rpc_log_on(const kt_rpc_server *s, kt_log_level level) {
    return s->o.log && level <= s->o.log_level;
}

void kt_rpc_log(const kt_rpc_server *s, kt_log_level level, const char *event, const char *fmt,
                ...) {
    if (!kt_rpc_log_on(s, level))
        return;
    char fields[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fields, sizeof fields, fmt, ap);
    va_end(ap);
    s->o.log(s->o.log_ctx, level, event, fields);
}

/* A log value in double quotes with ", \ and control characters escaped. */
const char *kt_rpc_quoted(const char *in, char *out, size_t cap) {
    size_t j = 0;
    out[j++] = '"';
    for (const char *p = in; *p && j + 6 < cap; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            out[j++] = '\\';
            out[j++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            j += (size_t)snprintf(out + j, cap - j, "\\x%02x", c);
        } else {
            out[j++] = (char)c;
        }
    }
    out[j++] = '"';
    out[j] = '\0';
    return out;
}

long long kt_rpc_mono_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec;
}
