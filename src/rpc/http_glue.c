/* The libmicrohttpd glue: request callbacks, body collection, limits, start-up. */
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "rpc/server_impl.h"
#include "util/buf.h"

/* ---- HTTP (libmicrohttpd) ------------------------------------------------------------------- */

typedef struct conn_ctx {
    kt_buf body;
    bool too_large;
    size_t discarded;
    long long deadline_s; /* CLOCK_MONOTONIC: the body must be complete by then */
} conn_ctx;

static conn_ctx health_marker; /* *con_cls of a GET /health between its two calls */

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned code, char *text, size_t len,
                                 const char *content_type, const char *allow) {
    struct MHD_Response *r =
        text ? MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE)
             : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    if (content_type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_rpc_error(struct MHD_Connection *c, unsigned http, int code,
                                      const char *msg, const char *allow) {
    json_t *e = kt_rpc_error(NULL, code, "%s", msg);
    size_t len = 0;
    char *text = e ? kt_rpc_dump(e, &len) : NULL;
    json_decref(e);
    return send_text(c, http, text, len, "application/json", allow);
}

static bool json_content_type(const char *ct) {
    if (!ct)
        return false;
    size_t n = strlen("application/json");
    return strncasecmp(ct, "application/json", n) == 0 &&
           (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls) {
    (void)version;
    kt_rpc_server *s = cls;
    conn_ctx *ctx = *con_cls;
    char msg[160];
    if (ctx == &health_marker) {
        atomic_fetch_add_explicit(&s->http_requests, 1, memory_order_relaxed);
        bool ok = false;
        char *text = kt_rpc_server_health(s, &ok);
        if (!text)
            return send_rpc_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, RPC_INTERNAL,
                                  "Internal error: out of memory", NULL);
        return send_text(c, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, text, strlen(text),
                         "application/json", NULL);
    }
    if (!ctx) {
        bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
                   strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
        if (get && strcmp(url, "/health") == 0) {
            /* answer on the next call: a response queued on the first call, before the
             * (empty) body is read, makes libmicrohttpd close the connection */
            *con_cls = &health_marker;
            return MHD_YES;
        }
        if (strcmp(method, MHD_HTTP_METHOD_POST) != 0) {
            atomic_fetch_add_explicit(&s->http_requests, 1, memory_order_relaxed);
            snprintf(msg, sizeof msg, "HTTP method %.16s is not allowed: JSON-RPC takes POST (GET only for /health)", method);
            return send_rpc_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, RPC_INVALID_REQUEST, msg,
                                  "POST");
        }
        const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (!json_content_type(ct)) {
            atomic_fetch_add_explicit(&s->http_requests, 1, memory_order_relaxed);
            snprintf(msg, sizeof msg, "Content-Type must be application/json, not '%.40s'",
                     ct ? ct : "");
            return send_rpc_error(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, RPC_INVALID_REQUEST, msg,
                                  NULL);
        }
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            char *end = NULL;
            unsigned long long n = strtoull(cl, &end, 10);
            if (end != cl && *end == '\0' && n > s->o.max_body) {
                atomic_fetch_add_explicit(&s->http_requests, 1, memory_order_relaxed);
                snprintf(msg, sizeof msg, "request body of %llu bytes exceeds the limit of %zu",
                         n, s->o.max_body);
                return send_rpc_error(c, HTTP_TOO_LARGE, RPC_INVALID_REQUEST, msg,
                                      NULL);
            }
        }
        ctx = calloc(1, sizeof *ctx);
        if (!ctx)
            return MHD_NO;
        kt_buf_init(&ctx->body, s->o.max_body);
        ctx->deadline_s = kt_rpc_mono_seconds() + (s->o.body_timeout_ms + 999) / 1000;
        *con_cls = ctx;
        return MHD_YES;
    }
    if (kt_rpc_mono_seconds() > ctx->deadline_s) {
        /* a client trickling its body costs one connection for a bounded time, no more */
        kt_rpc_log(s, KT_LOG_DEBUG, "refused", "reason=body_timeout");
        return MHD_NO;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (!ctx->too_large && !kt_buf_append(&ctx->body, upload_data, n)) {
            ctx->too_large = true;
            kt_buf_free(&ctx->body);
        }
        if (ctx->too_large) {
            ctx->discarded += n;
            if (ctx->discarded > 8 * s->o.max_body + 65536)
                return MHD_NO; /* a chunked upload that will not stop: drop the connection */
        }
        return MHD_YES;
    }
    atomic_fetch_add_explicit(&s->http_requests, 1, memory_order_relaxed);
    if (ctx->too_large) {
        snprintf(msg, sizeof msg, "request body exceeds the limit of %zu bytes", s->o.max_body);
        return send_rpc_error(c, HTTP_TOO_LARGE, RPC_INVALID_REQUEST, msg, NULL);
    }
    int status = 200;
    char *out = NULL;
    size_t out_len = 0;
    char client[48];
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    kt_rpc_client_name(ci ? ci->client_addr : NULL, client, sizeof client);
    kt_rpc_dispatch(s, client[0] ? client : "unknown",
                    ctx->body.data ? ctx->body.data : (const uint8_t *)"", ctx->body.len, &status,
                    &out, &out_len);
    return send_text(c, (unsigned)status, out, out_len, out ? "application/json" : NULL, NULL);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    (void)cls;
    (void)c;
    (void)toe;
    conn_ctx *ctx = *con_cls;
    if (ctx && ctx != &health_marker) {
        kt_buf_free(&ctx->body);
        free(ctx);
    }
    *con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
    kt_rpc_server *s = cls;
    char text[400];
    vsnprintf(text, sizeof text, fmt, ap);
    size_t n = strlen(text);
    while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        text[--n] = '\0';
    if (s->starting)
        snprintf(s->start_error, sizeof s->start_error, "%.255s", text); /* first line is enough */
    char q[600];
    kt_rpc_log(s, KT_LOG_WARN, "http", "message=%s", kt_rpc_quoted(text, q, sizeof q));
}
/* ---- start and stop ------------------------------------------------------------------------ */

kt_status kt_rpc_http_start(kt_rpc_server *s, int family, kt_error *err) {
    /* no listening socket of its own: the front door hands connections over */
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_NO_LISTEN_SOCKET |
                     MHD_USE_ITC;
    if (s->o.threads < 0)
        flags |= MHD_USE_THREAD_PER_CONNECTION;
    if (family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->starting = true;
    /* the pool option only when there is a pool (MHD warns about a size of 0 or 1) */
    struct MHD_OptionItem pool[] = {
        {s->o.threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END,
         s->o.threads > 1 ? s->o.threads : 0, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    /* health_reserve slots more than JSON-RPC may use (the front door keeps them for /health) */
    s->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)(s->o.max_connections + s->o.health_reserve),
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)s->o.per_client_limit,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)s->o.idle_timeout_s,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_ARRAY, pool, MHD_OPTION_END);
    s->starting = false;
    if (!s->mhd)
        return kt_fail(err, KT_E_IO, "cannot start the HTTP server: %s",
                       s->start_error[0] ? s->start_error : "libmicrohttpd could not start");
    return KT_OK;
}

void kt_rpc_http_stop(kt_rpc_server *s) {
    if (s->mhd)
        MHD_stop_daemon(s->mhd);
    s->mhd = NULL;
}
