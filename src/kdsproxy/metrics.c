/* The proxy's counters as Prometheus text (exposition format 0.0.4). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdsproxy/proxy_priv.h"

typedef struct text {
    char *buf;
    size_t len, cap;
    bool oom;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...) {
    if (t->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->oom = true;
            return;
        }
        if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap * 2 + (size_t)n;
        char *b = realloc(t->buf, cap);
        if (!b) {
            t->oom = true;
            return;
        }
        t->buf = b;
        t->cap = cap;
    }
}

static uint64_t get(atomic_uint_fast64_t *a) {
    return (uint64_t)atomic_load(a);
}

static void counter(text *t, const char *name, const char *help) {
    put(t, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
}

char *kt_kdsproxy_metrics_render(kt_kdsproxy *p) {
    text t = {malloc(4096), 0, 4096, false};
    if (!t.buf)
        return NULL;
    t.buf[0] = '\0';
    static const char *const kinds[KT_KDSPROXY_KINDS] = {"vcek", "chain", "crl"};
    static const char *const routes[6] = {"other", "object", "health", "metrics", "bad_request",
                                          "not_found"};
    kt_kdsproxy_metrics *m = &p->m;

    counter(&t, "katana_kds_proxy_requests_total", "HTTP requests by route");
    for (int i = 0; i < 6; i++)
        put(&t, "katana_kds_proxy_requests_total{route=\"%s\"} %" PRIu64 "\n", routes[i],
            get(&m->requests[i]));
    static const char *const codes[6] = {"200", "400", "404", "405", "502", "other"};
    counter(&t, "katana_kds_proxy_responses_total", "HTTP responses by status");
    for (int i = 0; i < 6; i++)
        put(&t, "katana_kds_proxy_responses_total{code=\"%s\"} %" PRIu64 "\n", codes[i],
            get(&m->by_status[i]));
    counter(&t, "katana_kds_proxy_cache_hits_total", "objects answered from memory or disk");
    for (int i = 0; i < KT_KDSPROXY_KINDS; i++)
        put(&t, "katana_kds_proxy_cache_hits_total{kind=\"%s\"} %" PRIu64 "\n", kinds[i],
            get(&m->hits[i]));
    counter(&t, "katana_kds_proxy_cache_misses_total", "objects that had to be fetched upstream");
    for (int i = 0; i < KT_KDSPROXY_KINDS; i++)
        put(&t, "katana_kds_proxy_cache_misses_total{kind=\"%s\"} %" PRIu64 "\n", kinds[i],
            get(&m->misses[i]));
    counter(&t, "katana_kds_proxy_upstream_requests_total",
            "upstream HTTP attempts by status (0: no answer)");
    for (int i = 0; i < 600; i++) {
        uint64_t v = get(&m->upstream[i]);
        if (v || i == 200)
            put(&t, "katana_kds_proxy_upstream_requests_total{status=\"%d\"} %" PRIu64 "\n", i, v);
    }
    counter(&t, "katana_kds_proxy_upstream_failures_total", "fetches that ended without the object");
    put(&t, "katana_kds_proxy_upstream_failures_total %" PRIu64 "\n", get(&m->upstream_failures));
    counter(&t, "katana_kds_proxy_singleflight_joins_total",
            "requests that waited for another request's fetch of the same object");
    put(&t, "katana_kds_proxy_singleflight_joins_total %" PRIu64 "\n", get(&m->joins));
    counter(&t, "katana_kds_proxy_negative_hits_total", "404s answered from the negative cache");
    put(&t, "katana_kds_proxy_negative_hits_total %" PRIu64 "\n", get(&m->negative_hits));
    counter(&t, "katana_kds_proxy_stale_served_total", "CRLs served marked stale");
    put(&t, "katana_kds_proxy_stale_served_total %" PRIu64 "\n", get(&m->stale_served));
    counter(&t, "katana_kds_proxy_offline_missing_total", "offline requests for uncached objects");
    put(&t, "katana_kds_proxy_offline_missing_total %" PRIu64 "\n", get(&m->offline_missing));
    counter(&t, "katana_kds_proxy_bytes_served_total", "object body bytes sent");
    put(&t, "katana_kds_proxy_bytes_served_total %" PRIu64 "\n", get(&m->bytes_served));
    counter(&t, "katana_kds_proxy_rate_limit_wait_seconds_total",
            "time upstream attempts waited for the rate limit");
    put(&t, "katana_kds_proxy_rate_limit_wait_seconds_total %.6f\n",
        (double)get(&m->limiter_wait_us) / 1e6);
    pthread_mutex_lock(&p->store.mu);
    size_t objects = p->store.count, bytes = p->store.bytes;
    pthread_mutex_unlock(&p->store.mu);
    put(&t, "# HELP katana_kds_proxy_cache_objects objects held in memory\n"
            "# TYPE katana_kds_proxy_cache_objects gauge\n"
            "katana_kds_proxy_cache_objects %zu\n",
        objects);
    put(&t, "# HELP katana_kds_proxy_cache_bytes object bytes held in memory\n"
            "# TYPE katana_kds_proxy_cache_bytes gauge\n"
            "katana_kds_proxy_cache_bytes %zu\n",
        bytes);
    if (t.oom) {
        free(t.buf);
        return NULL;
    }
    return t.buf;
}
