/* The proxy's counters as Prometheus text (exposition format 0.0.4). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdsproxy/proxy_priv.h"
#include "util/buf_fmt.h"

/* Metrics text is small; the cap only guards against a bug. */
#define METRICS_MAX ((size_t)1024 * 1024)

#define put kt_buf_appendf

static uint64_t get(atomic_uint_fast64_t *a) {
    return (uint64_t)atomic_load(a);
}

static bool counter(kt_buf *t, const char *name, const char *help) {
    return put(t, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
}

char *kt_kdsproxy_metrics_render(kt_kdsproxy *p) {
    kt_buf t;
    kt_buf_init(&t, METRICS_MAX);
    bool ok = true;
    static const char *const kinds[KT_KDSPROXY_KINDS] = {"vcek", "chain", "crl"};
    static const char *const routes[6] = {"other", "object", "health", "metrics", "bad_request",
                                          "not_found"};
    kt_kdsproxy_metrics *m = &p->m;

    ok = ok && counter(&t, "katana_kds_proxy_requests_total", "HTTP requests by route");
    for (int i = 0; i < 6; i++)
        ok = ok && put(&t, "katana_kds_proxy_requests_total{route=\"%s\"} %" PRIu64 "\n", routes[i],
            get(&m->requests[i]));
    static const char *const codes[6] = {"200", "400", "404", "405", "502", "other"};
    ok = ok && counter(&t, "katana_kds_proxy_responses_total", "HTTP responses by status");
    for (int i = 0; i < 6; i++)
        ok = ok && put(&t, "katana_kds_proxy_responses_total{code=\"%s\"} %" PRIu64 "\n", codes[i],
            get(&m->by_status[i]));
    ok = ok && counter(&t, "katana_kds_proxy_cache_hits_total", "objects answered from memory or disk");
    for (int i = 0; i < KT_KDSPROXY_KINDS; i++)
        ok = ok && put(&t, "katana_kds_proxy_cache_hits_total{kind=\"%s\"} %" PRIu64 "\n", kinds[i],
            get(&m->hits[i]));
    ok = ok && counter(&t, "katana_kds_proxy_cache_misses_total", "objects that had to be fetched upstream");
    for (int i = 0; i < KT_KDSPROXY_KINDS; i++)
        ok = ok && put(&t, "katana_kds_proxy_cache_misses_total{kind=\"%s\"} %" PRIu64 "\n", kinds[i],
            get(&m->misses[i]));
    ok = ok && counter(&t, "katana_kds_proxy_upstream_requests_total",
            "upstream HTTP attempts by status (0: no answer)");
    for (int i = 0; i < 600; i++) {
        uint64_t v = get(&m->upstream[i]);
        if (v || i == 200)
            ok = ok && put(&t, "katana_kds_proxy_upstream_requests_total{status=\"%d\"} %" PRIu64 "\n", i, v);
    }
    ok = ok && counter(&t, "katana_kds_proxy_upstream_failures_total", "fetches that ended without the object");
    ok = ok && put(&t, "katana_kds_proxy_upstream_failures_total %" PRIu64 "\n", get(&m->upstream_failures));
    ok = ok && counter(&t, "katana_kds_proxy_singleflight_joins_total",
            "requests that waited for another request's fetch of the same object");
    ok = ok && put(&t, "katana_kds_proxy_singleflight_joins_total %" PRIu64 "\n", get(&m->joins));
    ok = ok && counter(&t, "katana_kds_proxy_negative_hits_total", "404s answered from the negative cache");
    ok = ok && put(&t, "katana_kds_proxy_negative_hits_total %" PRIu64 "\n", get(&m->negative_hits));
    ok = ok && counter(&t, "katana_kds_proxy_stale_served_total", "CRLs served marked stale");
    ok = ok && put(&t, "katana_kds_proxy_stale_served_total %" PRIu64 "\n", get(&m->stale_served));
    ok = ok && counter(&t, "katana_kds_proxy_offline_missing_total", "offline requests for uncached objects");
    ok = ok && put(&t, "katana_kds_proxy_offline_missing_total %" PRIu64 "\n", get(&m->offline_missing));
    ok = ok && counter(&t, "katana_kds_proxy_bytes_served_total", "object body bytes sent");
    ok = ok && put(&t, "katana_kds_proxy_bytes_served_total %" PRIu64 "\n", get(&m->bytes_served));
    ok = ok && counter(&t, "katana_kds_proxy_rate_limit_wait_seconds_total",
            "time upstream attempts waited for the rate limit");
    ok = ok && put(&t, "katana_kds_proxy_rate_limit_wait_seconds_total %.6f\n",
        (double)get(&m->limiter_wait_us) / 1e6);
    pthread_mutex_lock(&p->store.mu);
    size_t objects = p->store.count, bytes = p->store.bytes;
    pthread_mutex_unlock(&p->store.mu);
    ok = ok && put(&t, "# HELP katana_kds_proxy_cache_objects objects held in memory\n"
            "# TYPE katana_kds_proxy_cache_objects gauge\n"
            "katana_kds_proxy_cache_objects %zu\n",
        objects);
    ok = ok && put(&t, "# HELP katana_kds_proxy_cache_bytes object bytes held in memory\n"
            "# TYPE katana_kds_proxy_cache_bytes gauge\n"
            "katana_kds_proxy_cache_bytes %zu\n",
        bytes);
    if (!ok || !kt_buf_terminate(&t)) {
        kt_buf_free(&t);
        return NULL;
    }
    return (char *)t.data; /* the caller frees it */
}
