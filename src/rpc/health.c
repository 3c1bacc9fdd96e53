/*
 * GET /health and what it reports: whether the attester and the state source can work,
 * kept up to date off the request path. /health itself never waits on the node: a
 * prober thread asks the node (or re-reads the state file) every PROBE_EVERY_MS, and
 * every request's own exchange with the node or the attester updates the same record.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "katana_tee/quote.h"
#include "rpc/server_impl.h"

#define PROBE_EVERY_MS 2000L
#define PROBE_TIMEOUT_MS 3000L

static void set_text(char *dst, size_t cap, const char *src) {
    size_t n = src ? strnlen(src, cap - 1) : 0;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

void kt_rpc_note_node(kt_rpc_server *s, bool ok, const char *why) {
    pthread_mutex_lock(&s->health_mu);
    if (!ok && s->node_reachable != 0) {
        char q[600];
        kt_rpc_log(s, KT_LOG_WARN, "node_unreachable", "error=%s",
                   kt_rpc_quoted(why ? why : "", q, sizeof q));
    }
    s->node_reachable = ok ? 1 : 0;
    set_text(s->node_error, sizeof s->node_error, ok ? NULL : why);
    pthread_mutex_unlock(&s->health_mu);
}

void kt_rpc_note_attester(kt_rpc_server *s, kt_status st, const kt_error *err) {
    pthread_mutex_lock(&s->health_mu);
    s->attester_usable = st == KT_OK ? 1 : 0;
    set_text(s->attester_error, sizeof s->attester_error,
             st == KT_OK ? NULL : (err && err->message[0] ? err->message : kt_status_name(st)));
    pthread_mutex_unlock(&s->health_mu);
}

void kt_rpc_note_state(kt_rpc_server *s, kt_status st, const kt_error *err) {
    pthread_mutex_lock(&s->health_mu);
    s->state_usable = st == KT_OK ? 1 : 0;
    set_text(s->state_error, sizeof s->state_error,
             st == KT_OK ? NULL : (err && err->message[0] ? err->message : kt_status_name(st)));
    pthread_mutex_unlock(&s->health_mu);
}

static void probe_once(kt_rpc_server *s, kt_node *probe) {
    kt_error err = {0};
    if (s->have_node) {
        uint64_t n = 0;
        kt_status st = kt_node_block_number(probe, &n, &err);
        /* any JSON-RPC answer means the node is up */
        bool up = st != KT_E_NETWORK && st != KT_E_HTTP && st != KT_E_PARSE && st != KT_E_TOO_LARGE;
        kt_rpc_note_node(s, up, err.message);
        if (st == KT_OK && n <= KT_BLOCK_NUMBER_MAX) {
            pthread_mutex_lock(&s->health_mu);
            s->have_node_head = true;
            s->node_head = n;
            pthread_mutex_unlock(&s->health_mu);
        }
    } else if (s->have_state) { /* v0: re-read when changed; the v1 file is read at start */
        kt_block_state bs;
        kt_rpc_note_state(s, kt_state_file_get(&s->state, &bs, &err), &err);
    }
}

static void *prober(void *arg) {
    kt_rpc_server *s = arg;
    kt_node probe = {.url = s->node.url, .shown = s->node.shown,
                     .timeout_ms = s->o.node_timeout_ms < PROBE_TIMEOUT_MS ? s->o.node_timeout_ms
                                                                           : PROBE_TIMEOUT_MS,
                     .connect_timeout_ms = 1000};
    atomic_init(&probe.next_id, 1u << 30);
    pthread_mutex_lock(&s->health_mu);
    while (!s->stopping) {
        pthread_mutex_unlock(&s->health_mu);
        probe_once(s, &probe);
        pthread_mutex_lock(&s->health_mu);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += PROBE_EVERY_MS / 1000;
        while (!s->stopping && pthread_cond_timedwait(&s->health_cv, &s->health_mu, &until) == 0)
            ;
    }
    pthread_mutex_unlock(&s->health_mu);
    return NULL;
}

kt_status kt_rpc_health_start(kt_rpc_server *s, kt_error *err) {
    s->node_reachable = -1;
    s->attester_usable = -1;
    s->state_usable = s->state_path ? 1 : -1; /* opened (and parsed) at start */
    /* One quote over zero report data says whether the attester works on this machine
     * (sev-snp without the guest device fails here, not at the first client). */
    static const uint8_t zero[64];
    uint8_t *quote = NULL;
    size_t len = 0;
    kt_error e = {0};
    pthread_mutex_lock(&s->attester_mu);
    kt_status st = kt_attester_quote(s->o.attester, zero, &quote, &len, &e);
    pthread_mutex_unlock(&s->attester_mu);
    kt_bytes_free(quote);
    kt_rpc_note_attester(s, st, &e);
    if (st != KT_OK) {
        char q[600];
        kt_rpc_log(s, KT_LOG_ERROR, "attester_unusable", "attester=%s status=%s error=%s",
                   kt_attester_name(s->o.attester), kt_status_name(st),
                   kt_rpc_quoted(e.message, q, sizeof q));
    }
    if (pthread_create(&s->prober, NULL, prober, s) != 0)
        return kt_fail(err, KT_E_INTERNAL, "cannot start the health prober thread");
    s->prober_running = true;
    return KT_OK;
}

void kt_rpc_health_stop(kt_rpc_server *s) {
    if (!s->prober_running)
        return;
    pthread_mutex_lock(&s->health_mu);
    s->stopping = true;
    pthread_cond_broadcast(&s->health_cv);
    pthread_mutex_unlock(&s->health_mu);
    pthread_join(s->prober, NULL); /* at most one probe (PROBE_TIMEOUT_MS) away */
    s->prober_running = false;
}

static json_t *tristate(int v) {
    return v < 0 ? json_null() : json_boolean(v > 0);
}

static json_t *text_or_null(const char *t) {
    return t[0] ? json_string(t) : json_null();
}

char *kt_rpc_server_health(kt_rpc_server *s, bool *ok_out) {
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

    pthread_mutex_lock(&s->health_mu);
    int attester_ok = s->attester_usable;
    int source_ok = s->have_node ? s->node_reachable : s->state_usable;
    json_t *attester = json_pack("{s:s, s:o, s:o}", "name", kt_attester_name(s->o.attester),
                                 "usable", tristate(attester_ok), "error",
                                 text_or_null(s->attester_error));
    json_t *node = json_null(), *state = json_null();
    if (s->have_node)
        node = json_pack("{s:s, s:o, s:o, s:o}", "url", s->node_shown, "reachable",
                         tristate(s->node_reachable), "blockNumber",
                         s->have_node_head ? json_integer((json_int_t)s->node_head) : json_null(),
                         "error", text_or_null(s->node_error));
    else
        state = json_pack("{s:s, s:o, s:o}", "path", s->state_path, "usable",
                          tristate(s->state_usable), "error", text_or_null(s->state_error));
    pthread_mutex_unlock(&s->health_mu);

    /* ok only when both are known to work; a known failure is "unavailable" */
    const char *status = attester_ok > 0 && source_ok > 0 ? "ok"
                         : attester_ok == 0 || source_ok == 0 ? "unavailable"
                                                              : "starting";
    if (ok_out)
        *ok_out = strcmp(status, "ok") == 0;
    json_t *stats = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:i}", "httpRequests",
        (json_int_t)st.http_requests, "rpcCalls", (json_int_t)st.rpc_calls, "quoteRequests",
        (json_int_t)st.quote_requests, "attestations", (json_int_t)st.attestations, "cacheHits",
        (json_int_t)st.cache_hits, "shared", (json_int_t)st.shared, "errors",
        (json_int_t)st.errors, "proxied", (json_int_t)st.proxied, "waiting", (int)st.waiting);
    bool v1 = s->o.schema == KT_RPC_SCHEMA_V1;
    char ch[KT_FELT_HEX_MAX];
    kt_felt_to_hex(&s->config_hash, ch);
    json_t *h = json_pack("{s:s, s:s, s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:b, s:b, s:I, s:o}",
                          "status", status, "schema", v1 ? "v1" : "v0", "mode",
                          v1 ? json_string(s->o.sharding ? "sharding" : "appchain") : json_null(),
                          "configHash", v1 ? json_string(ch) : json_null(),
                          "attester", attester, "source", s->have_node ? "node" : "state",
                          "node", node, "stateFile", state, "lastAttested",
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
