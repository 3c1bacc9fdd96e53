/* GET /health and the counters behind it. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rpc/server_impl.h"

/* ---- /health ------------------------------------------------------------------------------ */

static void probe_node(kt_rpc_server *s) {
    long long age = kt_rpc_mono_seconds() - atomic_load(&s->node_checked);
    if (atomic_load(&s->node_reachable) >= 0 && age < NODE_HEALTH_MAX_AGE_S)
        return;
    if (atomic_flag_test_and_set(&s->probing))
        return; /* someone else is asking right now */
    uint64_t n;
    kt_error err = {0};
    kt_status st = kt_node_block_number(&s->node, &n, &err);
    bool up = st != KT_E_NETWORK && st != KT_E_HTTP;
    kt_rpc_note_node(s, up);
    if (!up) {
        char q[600];
        kt_rpc_log(s, KT_LOG_WARN, "node_unreachable", "error=%s", kt_rpc_quoted(err.message, q, sizeof q));
    }
    atomic_flag_clear(&s->probing);
}

char *kt_rpc_server_health(kt_rpc_server *s) {
    if (s->have_node)
        probe_node(s);
    kt_rpc_stats st;
    kt_rpc_server_stats(s, &st);
    json_t *last = json_null();
    pthread_mutex_lock(&s->mu);
    if (s->have_last) {
        char root[KT_FELT_HEX_MAX], hash[KT_FELT_HEX_MAX];
        kt_felt_to_hex(&s->last.state_root, root);
        kt_felt_to_hex(&s->last.block_hash, hash);
        last = json_pack("{s:I, s:s, s:s, s:I}", "blockNumber", (json_int_t)s->last.block_number,
                         "blockHash", hash, "stateRoot", root, "at", (json_int_t)s->last_at);
    }
    pthread_mutex_unlock(&s->mu);
    json_t *node = json_null();
    const char *status = "ok";
    if (s->have_node) {
        char shown[512];
        kt_http_redact_url(s->node_url, shown, sizeof shown);
        int r = atomic_load(&s->node_reachable);
        node = json_pack("{s:s, s:o}", "url", shown, "reachable",
                         r < 0 ? json_null() : json_boolean(r > 0));
        if (r == 0)
            status = "degraded";
    }
    json_t *stats = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:i}", "httpRequests",
        (json_int_t)st.http_requests, "rpcCalls", (json_int_t)st.rpc_calls, "quoteRequests",
        (json_int_t)st.quote_requests, "attestations", (json_int_t)st.attestations, "cacheHits",
        (json_int_t)st.cache_hits, "shared", (json_int_t)st.shared, "errors",
        (json_int_t)st.errors, "proxied", (json_int_t)st.proxied, "waiting", (int)st.waiting);
    json_t *h = json_pack("{s:s, s:s, s:s, s:o, s:o*, s:o, s:b, s:b, s:I, s:o}", "status", status,
                          "attester", kt_attester_name(s->o.attester), "source",
                          s->have_node ? "node" : "state", "node", node, "stateFile",
                          s->have_state ? json_string(s->state_path) : NULL, "lastAttested",
                          last ? last : json_null(), "quoteCache", !s->o.no_quote_cache, "proxy",
                          s->o.proxy, "uptimeSeconds", (json_int_t)(time(NULL) - s->started),
                          "stats", stats);
    char *text = h ? json_dumps(h, JSON_COMPACT) : NULL;
    json_decref(h);
    return text;
}

void kt_rpc_server_stats(kt_rpc_server *s, kt_rpc_stats *out) {
    memset(out, 0, sizeof *out);
    out->http_requests = atomic_load(&s->http_requests);
    out->rpc_calls = atomic_load(&s->rpc_calls);
    out->quote_requests = atomic_load(&s->quote_requests);
    out->attestations = atomic_load(&s->attestations);
    out->cache_hits = atomic_load(&s->cache_hits);
    out->shared = atomic_load(&s->shared);
    out->errors = atomic_load(&s->errors);
    out->proxied = atomic_load(&s->proxied);
    pthread_mutex_lock(&s->mu);
    out->waiting = s->waiting;
    pthread_mutex_unlock(&s->mu);
}
