/*
 * The KDS proxy's HTTP side (libmicrohttpd, one thread per connection so a
 * request waiting on upstream never holds up another connection): raw
 * request targets are routed strictly (route.c) before anything else, then
 * objects are answered from the store (store.c).
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <jansson.h>
#include <microhttpd.h>

#include "katana_tee/kds.h"
#include "kdsproxy/proxy_priv.h"
#include "util/error.h"

void kt_kdsproxy_opts_init(kt_kdsproxy_opts *o) {
    memset(o, 0, sizeof *o);
    o->max_upstream_rps = KT_KDSPROXY_DEFAULT_RPS;
    o->log_level = KT_KDSPROXY_LOG_INFO;
}

const char *kt_kdsproxy_quote(const char *in, char *out, size_t cap) {
    /* A JSON string (jansson's escaping, ASCII only): valid in logs and in /health alike. */
    json_t *j = json_string(in);
    char *text = j ? json_dumps(j, JSON_ENCODE_ANY | JSON_ENSURE_ASCII) : NULL;
    json_decref(j);
    snprintf(out, cap, "%s", text ? text : "\"(not UTF-8)\"");
    size_t n = strlen(out);
    if (text && n + 1 == cap && n >= 2) { /* cut short: keep it a closed string */
        size_t k = n - 1;
        while (k > 1 && out[k - 1] == '\\')
            k--; /* never end inside an escape */
        out[k] = '"';
        out[k + 1] = '\0';
    }
    free(text);
    return out;
}

void kt_kdsproxy_log(const kt_kdsproxy *p, kt_kdsproxy_log_level level, const char *event,
                     const char *fmt, ...) {
    if (!p->o.log || level > p->o.log_level)
        return;
    char fields[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fields, sizeof fields, fmt, ap);
    va_end(ap);
    p->o.log(p->o.log_ctx, level, event, fields);
}

/* Per request: the raw target (from the URI callback) and whether the first call passed. */
typedef struct request_ctx {
    bool started;
    char target[];
} request_ctx;

/* ---- answers ----------------------------------------------------------------------- */

static void count_status(kt_kdsproxy *p, unsigned code) {
    int i = code == 200 ? 0 : code == 400 ? 1 : code == 404 ? 2 : code == 405 ? 3
            : code == 502 ? 4 : 5;
    atomic_fetch_add(&p->m.by_status[i], 1);
}

/* Queue a response; takes ownership of body (malloc'd, may be NULL for empty). */
static enum MHD_Result respond(kt_kdsproxy *p, struct MHD_Connection *c, unsigned code,
                               char *body, size_t len, const char *type,
                               const char *const *headers) {
    struct MHD_Response *r =
        body ? MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE)
             : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    if (type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    for (size_t i = 0; headers && headers[i]; i += 2)
        MHD_add_response_header(r, headers[i], headers[i + 1]);
    count_status(p, code);
    enum MHD_Result ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result respond_text(kt_kdsproxy *p, struct MHD_Connection *c, unsigned code,
                                    const char *line, const char *const *headers) {
    size_t n = strlen(line);
    char *body = malloc(n + 2);
    if (!body)
        return MHD_NO;
    memcpy(body, line, n);
    body[n] = '\n';
    body[n + 1] = '\0';
    return respond(p, c, code, body, n + 1, "text/plain; charset=utf-8", headers);
}

static void http_date(time_t t, char *out, size_t cap) {
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(out, cap, "%a, %d %b %Y %H:%M:%S GMT", &tm))
        snprintf(out, cap, "Thu, 01 Jan 1970 00:00:00 GMT");
}

static enum MHD_Result answer_object(kt_kdsproxy *p, struct MHD_Connection *c,
                                     const kt_kds_object *obj, char source[16],
                                     unsigned *code) {
    kt_kdsproxy_answer a;
    kt_kdsproxy_get(p, obj, &a);
    snprintf(source, 16, "%s", a.source[0] ? a.source : "-");
    switch (a.outcome) {
    case KT_OUT_OBJECT: {
        static const char *const types[3] = {"application/pkix-cert", "application/x-pem-file",
                                             "application/pkix-crl"};
        char cache_control[64], expires[40];
        const char *hdr[10] = {NULL};
        size_t h = 0;
        hdr[h++] = "X-Katana-Tee-Source";
        hdr[h++] = source;
        if (obj->kind != KT_KDS_CRL) {
            hdr[h++] = MHD_HTTP_HEADER_CACHE_CONTROL;
            hdr[h++] = "public, max-age=31536000, immutable";
        } else if (a.stale) {
            /* Never pass a CRL past its nextUpdate off as fresh. */
            hdr[h++] = MHD_HTTP_HEADER_CACHE_CONTROL;
            hdr[h++] = "no-cache";
            hdr[h++] = MHD_HTTP_HEADER_WARNING;
            hdr[h++] = "110 katana-tee-kds-proxy \"Response is Stale\"";
            http_date(a.expires, expires, sizeof expires);
            hdr[h++] = "X-Katana-Tee-Stale";
            hdr[h++] = expires;
        } else {
            time_t left = a.expires ? a.expires - time(NULL) : 0;
            snprintf(cache_control, sizeof cache_control, "public, max-age=%lld",
                     (long long)(left > 3600 ? 3600 : left > 0 ? left : 0));
            hdr[h++] = MHD_HTTP_HEADER_CACHE_CONTROL;
            hdr[h++] = cache_control;
        }
        atomic_fetch_add(&p->m.bytes_served, a.len);
        *code = 200;
        return respond(p, c, 200, (char *)a.bytes, a.len, types[obj->kind - 1], hdr);
    }
    case KT_OUT_NEGATIVE:
    case KT_OUT_MISSING: {
        const char *hdr[] = {"X-Katana-Tee-Source", source, NULL};
        *code = 404;
        return respond_text(p, c, 404, a.message, hdr);
    }
    case KT_OUT_FAILED:
    default:
        *code = 502;
        return respond_text(p, c, 502, a.message[0] ? a.message : "upstream failed", NULL);
    }
}

static char *health_json(kt_kdsproxy *p) {
    pthread_mutex_lock(&p->store.mu);
    size_t objects = p->store.count;
    pthread_mutex_unlock(&p->store.mu);
    json_t *o = json_pack("{s:s, s:b, s:s, s:s, s:I, s:I}", "status", "ok", "offline",
                          (int)p->o.offline, "upstream", p->upstream, "cache_dir", p->cache_dir,
                          "uptime_s", (json_int_t)(time(NULL) - p->started), "cache_objects",
                          (json_int_t)objects);
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    return text; /* NULL when out of memory (or a cache path that is not UTF-8) */
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
    (void)url;
    (void)version;
    (void)upload_data;
    kt_kdsproxy *p = cls;
    request_ctx *rq = *con_cls;
    const char *target = rq ? rq->target : "";
    if (*upload_data_size) {
        *upload_data_size = 0; /* a body: read and dropped (only GET and HEAD are answered) */
        return MHD_YES;
    }
    if (rq && !rq->started) {
        /* Answer on the next call: a response queued on the first call, before the
         * (empty) body is read, makes libmicrohttpd close the connection (no keep-alive). */
        rq->started = true;
        return MHD_YES;
    }
    uint64_t t0 = kt_kdsproxy_mono_us();
    unsigned code = 0;
    char source[16] = "-";
    enum MHD_Result ret;
    bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    kt_kdsproxy_route r;
    if (!get) {
        atomic_fetch_add(&p->m.requests[0], 1);
        const char *hdr[] = {MHD_HTTP_HEADER_ALLOW, "GET, HEAD", NULL};
        code = 405;
        ret = respond_text(p, c, 405, "only GET and HEAD", hdr);
        goto out;
    }
    kt_kdsproxy_route_target(target, &r);
    atomic_fetch_add(&p->m.requests[r.kind], 1);
    switch (r.kind) {
    case KT_ROUTE_HEALTH: {
        char *s = health_json(p);
        code = 200;
        ret = s ? respond(p, c, 200, s, strlen(s), "application/json", NULL) : MHD_NO;
        break;
    }
    case KT_ROUTE_METRICS: {
        char *s = kt_kdsproxy_metrics_render(p);
        code = 200;
        ret = s ? respond(p, c, 200, s, strlen(s), "text/plain; version=0.0.4", NULL) : MHD_NO;
        break;
    }
    case KT_ROUTE_OBJECT: ret = answer_object(p, c, &r.obj, source, &code); break;
    case KT_ROUTE_BAD:
        code = 400;
        ret = respond_text(p, c, 400, r.why, NULL);
        break;
    case KT_ROUTE_NOT_FOUND:
    default:
        code = 404;
        ret = respond_text(p, c, 404, r.why, NULL);
        break;
    }
out:
    if (p->o.log && p->o.log_level >= KT_KDSPROXY_LOG_DEBUG) {
        char q[300];
        char t[256];
        snprintf(t, sizeof t, "%s", target);
        kt_kdsproxy_log(p, KT_KDSPROXY_LOG_DEBUG, "request",
                        "method=%s target=%s status=%u source=%s us=%llu", method,
                        kt_kdsproxy_quote(t, q, sizeof q), code, source,
                        (unsigned long long)(kt_kdsproxy_mono_us() - t0));
    }
    return ret;
}

/* The raw request target, before libmicrohttpd decodes it: what route.c checks. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c) {
    (void)cls;
    (void)c;
    size_t n = strnlen(uri, KT_KDSPROXY_MAX_TARGET + 1);
    request_ctx *rq = malloc(sizeof *rq + n + 1);
    if (rq) {
        rq->started = false;
        memcpy(rq->target, uri, n);
        rq->target[n] = '\0';
    }
    return rq;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    (void)cls;
    (void)c;
    (void)toe;
    free(*con_cls);
    *con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
    kt_kdsproxy *p = cls;
    char text[512], q[600];
    vsnprintf(text, sizeof text, fmt, ap);
    size_t n = strlen(text);
    while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        text[--n] = '\0';
    if (p->starting)
        snprintf(p->start_error, sizeof p->start_error, "%.200s", text);
    kt_kdsproxy_log(p, KT_KDSPROXY_LOG_WARN, "http", "message=%s",
                    kt_kdsproxy_quote(text, q, sizeof q));
}

/* "host:port" or "[v6]:port" (numeric hosts only) into a socket address. */
static kt_status parse_listen(const char *listen, struct sockaddr_storage *ss, kt_error *err) {
    char host[96];
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof host)
        return kt_fail(err, KT_E_INVALID_ARG, "--listen '%.100s' is not HOST:PORT", listen);
    size_t hl = (size_t)(colon - listen);
    const char *h = listen;
    if (listen[0] == '[') {
        if (listen[hl - 1] != ']')
            return kt_fail(err, KT_E_INVALID_ARG, "--listen '%.100s': unbalanced [", listen);
        h++;
        hl -= 2;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    char *end = NULL;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (!colon[1] || *end || port > 65535)
        return kt_fail(err, KT_E_INVALID_ARG, "--listen '%.100s': bad port", listen);
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    hints.ai_socktype = SOCK_STREAM;
    char ps[8];
    snprintf(ps, sizeof ps, "%lu", port);
    if (getaddrinfo(host, ps, &hints, &res) != 0 || !res)
        return kt_fail(err, KT_E_INVALID_ARG, "--listen '%.100s': not a numeric address", listen);
    memset(ss, 0, sizeof *ss);
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return KT_OK;
}

static void proxy_free(kt_kdsproxy *p) {
    if (p->mhd)
        MHD_stop_daemon(p->mhd);
    kt_kdsproxy_store_destroy(&p->store);
    kt_kdsproxy_limiter_destroy(&p->limiter);
    free(p);
}

kt_status kt_kdsproxy_start(const kt_kdsproxy_opts *opts, kt_kdsproxy **out, kt_error *err) {
    if (!opts || !out)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_kdsproxy_start: bad argument");
    *out = NULL;
    if (!(opts->max_upstream_rps > 0 && opts->max_upstream_rps <= 1000))
        return kt_fail(err, KT_E_INVALID_ARG, "--max-upstream-rps must be in (0, 1000]");
    kt_kdsproxy *p = calloc(1, sizeof *p);
    if (!p)
        return kt_fail_oom(err);
    p->o = *opts;
    snprintf(p->listen, sizeof p->listen, "%s", opts->listen ? opts->listen : KT_KDSPROXY_DEFAULT_LISTEN);
    p->o.listen = p->listen;
    if (!p->o.max_connections)
        p->o.max_connections = KT_KDSPROXY_DEFAULT_MAX_CONNECTIONS;
    if (!p->o.per_client_connections)
        p->o.per_client_connections = KT_KDSPROXY_DEFAULT_PER_CLIENT;
    if (!p->o.read_timeout_s)
        p->o.read_timeout_s = KT_KDSPROXY_DEFAULT_READ_TIMEOUT_S;
    if (!p->o.negative_ttl_s)
        p->o.negative_ttl_s = KT_KDSPROXY_DEFAULT_NEGATIVE_TTL_S;
    if (!p->o.upstream_retries)
        p->o.upstream_retries = 3;
    if (p->o.upstream_deadline_ms <= 0)
        p->o.upstream_deadline_ms = 30000;
    if (p->o.upstream_backoff_ms <= 0)
        p->o.upstream_backoff_ms = 250;
    p->started = time(NULL);
    kt_kdsproxy_limiter_init(&p->limiter, p->o.max_upstream_rps);
    kt_status st = kt_kdsproxy_store_init(&p->store, err);
    if (st != KT_OK) {
        kt_kdsproxy_limiter_destroy(&p->limiter);
        free(p);
        return st;
    }
    /* The KDS client resolves upstream and cache folder (environment, defaults) and checks them. */
    kt_kds_opts ko;
    kt_kds_opts_init(&ko);
    ko.base_url = opts->upstream;
    ko.cache_dir = opts->cache_dir;
    kt_kds_client *probe = NULL;
    st = kt_kds_client_new(&ko, &probe, err);
    if (st != KT_OK) {
        proxy_free(p);
        return st;
    }
    snprintf(p->upstream, sizeof p->upstream, "%s", kt_kds_base_url(probe));
    snprintf(p->cache_dir, sizeof p->cache_dir, "%s", kt_kds_cache_dir(probe));
    kt_kds_client_free(&probe);

    struct sockaddr_storage ss;
    if ((st = parse_listen(p->listen, &ss, err)) != KT_OK) {
        proxy_free(p);
        return st;
    }
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    p->starting = true;
    p->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, p, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, p,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
        p->o.max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT, p->o.per_client_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, p->o.read_timeout_s, MHD_OPTION_URI_LOG_CALLBACK, on_uri,
        p, MHD_OPTION_NOTIFY_COMPLETED, on_completed, p, MHD_OPTION_END);
    p->starting = false;
    if (!p->mhd) {
        kt_fail(err, KT_E_IO, "cannot listen on %s: %s", p->listen,
                p->start_error[0] ? p->start_error : "libmicrohttpd could not start");
        proxy_free(p);
        return KT_E_IO;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(p->mhd, MHD_DAEMON_INFO_BIND_PORT);
    p->port = info ? info->port : 0;
    char q1[600], q2[8300];
    kt_kdsproxy_log(p, KT_KDSPROXY_LOG_INFO, "listening",
                    "address=%s port=%u upstream=%s cache_dir=%s offline=%s max_upstream_rps=%g "
                    "max_connections=%u per_client=%u read_timeout_s=%u negative_ttl_s=%u",
                    p->listen, (unsigned)p->port, kt_kdsproxy_quote(p->upstream, q1, sizeof q1),
                    kt_kdsproxy_quote(p->cache_dir, q2, sizeof q2), p->o.offline ? "yes" : "no",
                    p->o.max_upstream_rps, p->o.max_connections, p->o.per_client_connections,
                    p->o.read_timeout_s, p->o.negative_ttl_s);
    *out = p;
    return KT_OK;
}

uint16_t kt_kdsproxy_port(const kt_kdsproxy *p) {
    return p ? p->port : 0;
}

char *kt_kdsproxy_metrics_text(kt_kdsproxy *p) {
    return p ? kt_kdsproxy_metrics_render(p) : NULL;
}

void kt_kdsproxy_stop(kt_kdsproxy **proxy) {
    if (!proxy || !*proxy)
        return;
    kt_kdsproxy *p = *proxy;
    kt_kdsproxy_log(p, KT_KDSPROXY_LOG_INFO, "stopping", "requests=%" PRIu64 " upstream_ok=%" PRIu64,
                    (uint64_t)atomic_load(&p->m.requests[KT_ROUTE_OBJECT]),
                    (uint64_t)atomic_load(&p->m.upstream[200]));
    proxy_free(p);
    *proxy = NULL;
}
