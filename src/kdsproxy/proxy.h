/*
 * Internal (program side): the caching KDS proxy behind `katana-tee kds-proxy`.
 *
 * An HTTP server (libmicrohttpd) that answers AMD KDS's own URL layout —
 *   /vcek/v1/{Milan|Genoa}/{128 hex}?blSPL=&teeSPL=&snpSPL=&ucodeSPL=
 *   /vcek/v1/Turin/{16 hex}?fmcSPL=&blSPL=&teeSPL=&snpSPL=&ucodeSPL=
 *   /{vcek|vlek}/v1/{Product}/cert_chain, /{vcek|vlek}/v1/{Product}/crl
 * — so any KDS client works with --kds-url http://proxy:port. Objects come
 * from memory, then the KDS client's on-disk cache (same layout; shared
 * safely with other processes), then upstream through the KDS client (its
 * retry policy, deadline, body limit and object checks). Concurrent misses
 * for one object share one upstream fetch (single flight); every upstream
 * attempt passes one rate limiter, which a 429/503 Retry-After also pushes
 * back. VCEKs and chains are kept forever; a CRL is refreshed an hour
 * before its nextUpdate and one past it is served marked stale
 * (Warning: 110, Cache-Control: no-cache), never as fresh. Upstream 404s
 * are remembered for negative_ttl_s. Malformed requests are answered 400/404
 * without any upstream call. GET /health (JSON) and GET /metrics
 * (Prometheus text).
 */
#ifndef KT_KDSPROXY_PROXY_H
#define KT_KDSPROXY_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "katana_tee/status.h"
#include "kds/kds_internal.h"

/* Log levels and sink, as `serve` logs: one event name and "key=value ..." fields. */
typedef enum kt_kdsproxy_log_level {
    KT_KDSPROXY_LOG_ERROR = 0,
    KT_KDSPROXY_LOG_WARN = 1,
    KT_KDSPROXY_LOG_INFO = 2,
    KT_KDSPROXY_LOG_DEBUG = 3,
} kt_kdsproxy_log_level;

typedef void (*kt_kdsproxy_log_fn)(void *ctx, kt_kdsproxy_log_level level, const char *event,
                                   const char *fields);

#define KT_KDSPROXY_DEFAULT_LISTEN "127.0.0.1:8787"
#define KT_KDSPROXY_DEFAULT_RPS 5.0
#define KT_KDSPROXY_DEFAULT_MAX_CONNECTIONS 512
#define KT_KDSPROXY_DEFAULT_PER_CLIENT 128
#define KT_KDSPROXY_DEFAULT_READ_TIMEOUT_S 15
#define KT_KDSPROXY_DEFAULT_NEGATIVE_TTL_S 300
#define KT_KDSPROXY_CRL_REFRESH_MARGIN_S 3600 /* refresh a CRL this long before nextUpdate */
#define KT_KDSPROXY_STALE_RETRY_S 60          /* at most one upstream try per this, per stale CRL */

typedef struct kt_kdsproxy_opts {
    const char *listen;    /* "host:port" (IPv4 or [v6]); NULL = default; port 0 = any */
    const char *cache_dir; /* NULL = the KDS client's default */
    const char *upstream;  /* NULL = $KATANA_TEE_KDS_URL or AMD's */
    bool offline;          /* never call upstream; misses are 404 naming the object */
    double max_upstream_rps; /* > 0; upstream attempts per second, all clients together */
    unsigned max_connections;  /* 0 = default */
    unsigned per_client_connections; /* per IP address; 0 = default */
    unsigned read_timeout_s;   /* a connection silent this long is closed; 0 = default */
    unsigned negative_ttl_s;   /* how long an upstream 404 is remembered; 0 = default */
    /* Upstream politeness (the KDS client's options); 0 = the proxy's defaults. */
    unsigned upstream_retries;
    long upstream_deadline_ms;
    long upstream_backoff_ms;
    kt_kdsproxy_log_fn log; /* NULL = silent */
    void *log_ctx;
    kt_kdsproxy_log_level log_level;
} kt_kdsproxy_opts;

void kt_kdsproxy_opts_init(kt_kdsproxy_opts *opts);

/* ---- routing (route.c; pure) ------------------------------------------------------- */

typedef enum kt_kdsproxy_route_kind {
    KT_ROUTE_OBJECT = 1,
    KT_ROUTE_HEALTH = 2,
    KT_ROUTE_METRICS = 3,
    KT_ROUTE_BAD = 4,       /* 400: malformed hwid, SPL out of range, bad query */
    KT_ROUTE_NOT_FOUND = 5, /* 404: unknown path or product */
} kt_kdsproxy_route_kind;

typedef struct kt_kdsproxy_route {
    kt_kdsproxy_route_kind kind;
    kt_kds_object obj; /* KT_ROUTE_OBJECT */
    char why[160];     /* KT_ROUTE_BAD / NOT_FOUND: one line for the answer body */
} kt_kdsproxy_route;

#define KT_KDSPROXY_MAX_TARGET 1024

/*
 * Route a raw request target (path and query exactly as received, not
 * percent-decoded). Strict: no percent escapes, dot segments or empty
 * segments; SPL keys exactly the product's set, each once, decimal 0..255;
 * hwid hex of the product's length and not all zero; no query on chains
 * and CRLs. SPL values may be padded ("03") or not ("3"): both name the
 * same object.
 */
void kt_kdsproxy_route_target(const char *target, kt_kdsproxy_route *out);

/* ---- the server (server.c) -------------------------------------------------------- */

typedef struct kt_kdsproxy kt_kdsproxy;

/*
 * Start listening. KT_E_INVALID_ARG for a bad listen address, upstream URL
 * or rate; KT_E_IO when the address cannot be bound.
 */
kt_status kt_kdsproxy_start(const kt_kdsproxy_opts *opts, kt_kdsproxy **out, kt_error *err);
uint16_t kt_kdsproxy_port(const kt_kdsproxy *proxy);
/* The /metrics text (malloc'd), NULL when out of memory. */
char *kt_kdsproxy_metrics_text(kt_kdsproxy *proxy);
/* Stop accepting, finish running requests, free everything. NULL is allowed. */
void kt_kdsproxy_stop(kt_kdsproxy **proxy);

#endif
