/*
 * Schema v1, as Katana serves it since 9f4f7212 (../shared/docs/KATANA-V1.md §2, §4):
 *  - tee_generateQuote(prev_block_id: u64|null, block_id: u64) -> BlockAttestation
 *  - tee_getEventProof(block_number: u64, event_index: u32) -> EventProofResponse
 * Blocks come from the node (starknet_getBlockWithReceipts, one call per block) or the
 * v1 state file. An appchain quote walks prev+1..block for its messages, with at most
 * range_concurrency node calls in flight and at most max_range blocks.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "katana_tee/katana_v1.h"
#include "rpc/server_impl.h"

/* ---- parameters (jsonrpsee: positional or by name) ------------------------------------------ */

typedef struct param_spec {
    const char *name;
    bool optional; /* Option<T>: null or (by name) absent means none */
    uint64_t max;
} param_spec;

/* Read two parameters; *has[i] false for a null optional one. false with *resp on error. */
static bool read_params(const json_t *params, const param_spec spec[2], uint64_t val[2],
                        bool has[2], const json_t *rid, json_t **resp) {
    const json_t *v[2] = {NULL, NULL};
    if (json_is_array(params)) {
        size_t n = json_array_size(params);
        if (n != 2) {
            *resp = kt_rpc_error(rid, RPC_INVALID_PARAMS,
                                 "Invalid params: expected 2 parameters (%s, %s), got %zu",
                                 spec[0].name, spec[1].name, n);
            return false;
        }
        v[0] = json_array_get(params, 0);
        v[1] = json_array_get(params, 1);
    } else if (json_is_object(params)) {
        const char *k;
        const json_t *x;
        json_object_foreach((json_t *)params, k, x) {
            if (strcmp(k, spec[0].name) != 0 && strcmp(k, spec[1].name) != 0) {
                *resp = kt_rpc_error(rid, RPC_INVALID_PARAMS,
                                     "Invalid params: unknown parameter '%.64s'", k);
                return false;
            }
        }
        v[0] = json_object_get(params, spec[0].name);
        v[1] = json_object_get(params, spec[1].name);
    }
    for (int i = 0; i < 2; i++) {
        has[i] = false;
        val[i] = 0;
        if (!v[i] || json_is_null(v[i])) {
            if (spec[i].optional)
                continue;
            *resp = kt_rpc_error(rid, RPC_INVALID_PARAMS, "Invalid params: missing %s",
                                 spec[i].name);
            return false;
        }
        if (!json_is_integer(v[i]) || json_integer_value(v[i]) < 0 ||
            (uint64_t)json_integer_value(v[i]) > spec[i].max) {
            *resp = kt_rpc_error(rid, RPC_INVALID_PARAMS,
                                 "Invalid params: %s must be an integer 0..%" PRIu64,
                                 spec[i].name, spec[i].max);
            return false;
        }
        has[i] = true;
        val[i] = (uint64_t)json_integer_value(v[i]);
    }
    return true;
}

/* ---- blocks ------------------------------------------------------------------------------------ */

/* Block n into *tmp (node) or a pointer into the state file; KT_E_NOT_FOUND when absent. */
static kt_status fetch_block(kt_rpc_server *s, uint64_t n, kt_v1_block *tmp,
                             const kt_v1_block **out, kt_error *err) {
    *out = NULL;
    if (s->have_v1_state) {
        *out = kt_v1_state_find(&s->v1_state, n);
        return *out ? KT_OK
                    : kt_fail(err, KT_E_NOT_FOUND, "the state file has no block %" PRIu64, n);
    }
    kt_status st = kt_node_get_block_receipts(&s->node, n, tmp, err);
    bool up = st != KT_E_NETWORK && st != KT_E_HTTP;
    kt_rpc_note_node(s, up, up ? NULL : err->message);
    if (st == KT_OK)
        *out = tmp;
    return st;
}

typedef struct range_walk {
    kt_rpc_server *s;
    uint64_t start;
    size_t count;
    kt_v1_block *tmp;         /* count entries (node) */
    const kt_v1_block **blk;  /* count entries */
    atomic_size_t next;
    atomic_bool failed;
    pthread_mutex_t mu;
    kt_status status;
    kt_error err;
    uint64_t failed_at;
} range_walk;

static void *walk_worker(void *arg) {
    range_walk *w = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&w->next, 1);
        if (i >= w->count || atomic_load(&w->failed))
            return NULL;
        kt_error e = {0};
        kt_status st = fetch_block(w->s, w->start + i, &w->tmp[i], &w->blk[i], &e);
        if (st != KT_OK) {
            pthread_mutex_lock(&w->mu);
            /* report the lowest failing block, as a serial walk would */
            if (!atomic_load(&w->failed) || w->start + i < w->failed_at) {
                w->status = st;
                w->err = e;
                w->failed_at = w->start + i;
            }
            atomic_store(&w->failed, true);
            pthread_mutex_unlock(&w->mu);
        }
    }
}

/* Fetch blocks start..start+count-1 with bounded concurrency. */
static kt_status walk_range(kt_rpc_server *s, range_walk *w, uint64_t start, size_t count,
                            kt_error *err) {
    memset(w, 0, sizeof *w);
    w->s = s;
    w->start = start;
    w->count = count;
    w->tmp = calloc(count, sizeof *w->tmp);
    w->blk = calloc(count, sizeof *w->blk);
    pthread_mutex_init(&w->mu, NULL);
    if (!w->tmp || !w->blk)
        return kt_fail_oom(err);
    size_t threads = s->have_v1_state ? 1 : s->o.range_concurrency;
    if (threads > count)
        threads = count;
    pthread_t tid[64];
    size_t started = 0;
    for (size_t i = 1; i < threads && i < 64; i++) /* the caller is worker 0 */
        if (pthread_create(&tid[started], NULL, walk_worker, w) == 0)
            started++;
    walk_worker(w);
    for (size_t i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    if (atomic_load(&w->failed)) {
        if (err)
            *err = w->err;
        return w->status;
    }
    return KT_OK;
}

static void walk_free(range_walk *w) {
    for (size_t i = 0; w->tmp && i < w->count; i++)
        kt_v1_block_free(&w->tmp[i]);
    free(w->tmp);
    free(w->blk);
    pthread_mutex_destroy(&w->mu);
}

/* Katana's 102 texts for a block that is not there; other failures as they are. */
static char *block_error(kt_rpc_server *s, const json_t *rid, uint64_t n, kt_status st,
                         kt_error *err, int *code) {
    if (st == KT_E_NOT_FOUND) {
        kt_error e = {0};
        kt_fail(&e, st, "Block hash not found for block %" PRIu64 " (%s)", n, err->message);
        return kt_rpc_provider_error(s, rid, st, &e, code);
    }
    return kt_rpc_provider_error(s, rid, st, err, code);
}

/* The header's events commitment must be the root of the block's events (Katana's leaf). */
static kt_status check_events(const kt_v1_block *b, kt_felt *root, kt_error *err) {
    kt_status st = kt_v1_block_events_root(b, root, err);
    if (st != KT_OK || !b->has_events_commitment || kt_felt_equal(root, &b->events_commitment))
        return st;
    char a[KT_FELT_HEX_MAX], h[KT_FELT_HEX_MAX];
    kt_felt_to_hex(root, a);
    kt_felt_to_hex(&b->events_commitment, h);
    return kt_fail(err, KT_E_BINDING, "Computed events root %s does not match header commitment %s",
                   a, h);
}

static char *event_error(const json_t *rid, const kt_error *err, int *code) {
    *code = RPC_TEE_EVENT_PROOF;
    return kt_rpc_render(kt_rpc_error(rid, RPC_TEE_EVENT_PROOF, "Event proof error: %s", err->message));
}

/* ---- tee_generateQuote ------------------------------------------------------------------------ */

typedef struct messages {
    kt_v1_l2_to_l1 *l2l1;
    size_t n_l2l1;
    kt_felt *l1l2_hashes;
    size_t n_hashes;
    kt_v1_l1_to_l2 *l1l2;
    size_t n_l1l2;
} messages;

/* Gather the range's messages in block then receipt order (views into the blocks). */
static kt_status collect_messages(const range_walk *w, messages *m, kt_error *err) {
    memset(m, 0, sizeof *m);
    for (size_t i = 0; i < w->count; i++) {
        m->n_l2l1 += w->blk[i]->n_l2_to_l1;
        m->n_hashes += w->blk[i]->n_l1_to_l2_hashes;
        m->n_l1l2 += w->blk[i]->n_l1_to_l2;
    }
    m->l2l1 = calloc(m->n_l2l1 + 1, sizeof *m->l2l1);
    m->l1l2_hashes = calloc(m->n_hashes + 1, sizeof *m->l1l2_hashes);
    m->l1l2 = calloc(m->n_l1l2 + 1, sizeof *m->l1l2);
    if (!m->l2l1 || !m->l1l2_hashes || !m->l1l2)
        return kt_fail_oom(err);
    size_t a = 0, b = 0, c = 0;
    for (size_t i = 0; i < w->count; i++) {
        const kt_v1_block *blk = w->blk[i];
        for (size_t k = 0; k < blk->n_l2_to_l1; k++) {
            const struct kt_v1_block_l2l1 *x = &blk->l2_to_l1[k];
            m->l2l1[a++] = (kt_v1_l2_to_l1){x->from_address, x->to_address,
                                            blk->pool + x->payload.off, x->payload.len};
        }
        for (size_t k = 0; k < blk->n_l1_to_l2_hashes; k++)
            m->l1l2_hashes[b++] = blk->l1_to_l2_hashes[k];
        for (size_t k = 0; k < blk->n_l1_to_l2; k++) {
            const struct kt_v1_block_l1l2 *x = &blk->l1_to_l2[k];
            m->l1l2[c++] = (kt_v1_l1_to_l2){x->from_address, x->to_address, x->selector,
                                            blk->pool + x->payload.off, x->payload.len, x->nonce};
        }
    }
    return KT_OK;
}

static void messages_free(messages *m) {
    free(m->l2l1);
    free(m->l1l2_hashes);
    free(m->l1l2);
}

char *kt_rpc_generate_quote_v1(kt_rpc_server *s, kt_rpc_call *call, const json_t *params,
                               const json_t *rid, int *code) {
    static const param_spec spec[2] = {{"prev_block_id", true, KT_BLOCK_NUMBER_MAX},
                                       {"block_id", false, KT_BLOCK_NUMBER_MAX}};
    uint64_t val[2];
    bool has[2];
    json_t *resp = NULL;
    if (!read_params(params, spec, val, has, rid, &resp)) {
        *code = RPC_INVALID_PARAMS;
        return kt_rpc_render(resp);
    }
    uint64_t block = val[1];
    bool sharding = s->o.sharding;
    kt_v1_commit_input in = {.mode = sharding ? KT_V1_SHARDING : KT_V1_APPCHAIN,
                             .config_hash = s->config_hash};
    kt_v1_commit_set_genesis(&in);
    kt_error err = {0};
    kt_status st;
    char *out = NULL;
    kt_v1_block prev_tmp = {0}, cur_tmp = {0};
    const kt_v1_block *prev = NULL, *cur = NULL;
    range_walk w = {0};
    bool walked = false;
    messages m = {0};

    /* appchain: messages over start..=block (empty when prev >= block, as Katana) */
    uint64_t start = has[0] ? val[0] + 1 : 0;
    uint64_t count = !sharding && start <= block ? block - start + 1 : 0;
    if (count > s->o.max_range) { /* refused before any node call */
        kt_fail(&err, KT_E_TOO_LARGE,
                "the range %" PRIu64 "..%" PRIu64 " holds %" PRIu64
                " blocks; this server walks at most %u (--max-range)",
                start, block, count, s->o.max_range);
        out = kt_rpc_provider_error(s, rid, KT_E_TOO_LARGE, &err, code);
        goto done;
    }
    if (has[0]) {
        if ((st = fetch_block(s, val[0], &prev_tmp, &prev, &err)) != KT_OK) {
            out = block_error(s, rid, val[0], st, &err, code);
            goto done;
        }
        in.prev_block_number = kt_felt_from_u64(val[0]);
        in.prev_block_hash = prev->hash;
        in.prev_state_root = prev->root;
    }
    if (!sharding) {
        if (count) {
            walked = true;
            st = walk_range(s, &w, start, (size_t)count, &err);
            if (st != KT_OK) {
                out = block_error(s, rid, w.failed_at, st, &err, code);
                goto done;
            }
            cur = w.blk[count - 1];
        }
        if ((st = collect_messages(walked ? &w : &(range_walk){0}, &m, &err)) != KT_OK ||
            (st = kt_v1_messages_commitment(m.l2l1, m.n_l2l1, m.l1l2_hashes, m.n_hashes,
                                            &in.messages_commitment, &err)) != KT_OK) {
            out = kt_rpc_provider_error(s, rid, st, &err, code);
            goto done;
        }
    }
    if (!cur && (st = fetch_block(s, block, &cur_tmp, &cur, &err)) != KT_OK) {
        out = block_error(s, rid, block, st, &err, code);
        goto done;
    }
    kt_felt events_root;
    if ((st = check_events(cur, &events_root, &err)) != KT_OK) {
        out = event_error(rid, &err, code);
        goto done;
    }
    in.state_root = cur->root;
    in.block_hash = cur->hash;
    in.block_number = kt_felt_from_u64(block);
    in.events_commitment = events_root;
    if (sharding)
        in.fork_block_number = kt_felt_from_u64(s->o.fork_block_number);

    kt_rpc_subject sub = {.state = {.block_number = block, .block_hash = cur->hash,
                                    .state_root = cur->root}};
    kt_v1_attestation att = {
        .prev_state_root = in.prev_state_root, .state_root = in.state_root,
        .prev_block_hash = in.prev_block_hash, .block_hash = in.block_hash,
        .prev_block_number = in.prev_block_number, .block_number = in.block_number,
        .has_fork_block_number = sharding, .fork_block_number = in.fork_block_number,
        .events_commitment = events_root, .messages_commitment = in.messages_commitment,
        .katana_tee_config_hash = s->config_hash,
        .l2_to_l1 = m.l2l1, .n_l2_to_l1 = m.n_l2l1, .l1_to_l2 = m.l1l2, .n_l1_to_l2 = m.n_l1l2};
    char *text = NULL;
    static const char head[] = "{\"quote\":\"0x";
    if ((st = kt_commit_v1(&in, sub.report_data, &err)) != KT_OK ||
        (st = kt_v1_attestation_render(&att, &text, &err)) != KT_OK) {
        out = kt_rpc_provider_error(s, rid, st, &err, code);
        goto done;
    }
    if (strncmp(text, head, sizeof head - 1) != 0) { /* the codec's key order is Katana's */
        free(text);
        kt_fail(&err, KT_E_INTERNAL, "BlockAttestation does not start with the quote");
        out = kt_rpc_provider_error(s, rid, KT_E_INTERNAL, &err, code);
        goto done;
    }
    sub.tail = text + sizeof head - 1;
    sub.tail_len = strlen(sub.tail);
    out = kt_rpc_answer_attested(s, call, &sub, rid, code);
    free(text);
done:
    messages_free(&m);
    if (walked)
        walk_free(&w);
    kt_v1_block_free(&prev_tmp);
    kt_v1_block_free(&cur_tmp);
    return out;
}

/* ---- tee_getEventProof -------------------------------------------------------------------------- */

char *kt_rpc_event_proof_v1(kt_rpc_server *s, const json_t *params, const json_t *rid,
                            int *code) {
    static const param_spec spec[2] = {{"block_number", false, KT_BLOCK_NUMBER_MAX},
                                       {"event_index", false, UINT32_MAX}};
    uint64_t val[2];
    bool has[2];
    json_t *resp = NULL;
    if (!read_params(params, spec, val, has, rid, &resp)) {
        *code = RPC_INVALID_PARAMS;
        return kt_rpc_render(resp);
    }
    kt_error err = {0};
    kt_v1_block tmp = {0};
    const kt_v1_block *b = NULL;
    kt_v1_event *ev = NULL;
    kt_felt *leaves = NULL;
    kt_v1_proof_node *nodes = NULL;
    char *out = NULL;
    kt_status st = fetch_block(s, val[0], &tmp, &b, &err);
    if (st == KT_E_NOT_FOUND) {
        kt_fail(&err, st, "Block %" PRIu64 " not found", val[0]);
        out = event_error(rid, &err, code);
        goto done;
    }
    if (st != KT_OK) {
        out = kt_rpc_provider_error(s, rid, st, &err, code);
        goto done;
    }
    kt_felt root;
    if ((st = check_events(b, &root, &err)) != KT_OK) {
        out = event_error(rid, &err, code);
        goto done;
    }
    if (val[1] >= b->n_events) {
        kt_fail(&err, KT_E_RANGE, "Event index %" PRIu64 " out of bounds (block has %zu events)",
                val[1], b->n_events);
        out = event_error(rid, &err, code);
        goto done;
    }
    leaves = calloc(b->n_events, sizeof *leaves);
    if (!leaves || kt_v1_block_events(b, &ev, &err) != KT_OK) {
        out = kt_rpc_render(kt_rpc_error(rid, RPC_INTERNAL, "Internal error: out of memory"));
        *code = RPC_INTERNAL;
        goto done;
    }
    for (size_t i = 0; i < b->n_events; i++)
        leaves[i] = kt_v1_event_hash(&ev[i]);
    size_t n_nodes = 0;
    kt_felt proof_root;
    if ((st = kt_v1_events_proof(leaves, b->n_events, val[1], &proof_root, &nodes, &n_nodes,
                                 &err)) != KT_OK) {
        out = event_error(rid, &err, code);
        goto done;
    }
    const kt_v1_event *e = &ev[val[1]];
    kt_v1_event_proof p = {
        .block_number = val[0], .events_commitment = root, .events_count = (uint32_t)b->n_events,
        .event_hash = leaves[val[1]], .event_index = (uint32_t)val[1], .nodes = nodes,
        .n_nodes = n_nodes, .tx_hash = e->tx_hash, .from_address = e->from_address,
        .keys = (kt_felt *)e->keys, .n_keys = e->keys_len, .data = (kt_felt *)e->data,
        .n_data = e->data_len};
    char *text = NULL;
    if ((st = kt_v1_event_proof_render(&p, &text, &err)) != KT_OK) {
        out = kt_rpc_provider_error(s, rid, st, &err, code);
        goto done;
    }
    json_error_t je;
    json_t *result = json_loads(text, JSON_DECODE_ANY, &je);
    free(text);
    json_t *r = json_object();
    if (result && r && json_object_set_new(r, "jsonrpc", json_string("2.0")) == 0 &&
        json_object_set_new(r, "id", rid ? json_deep_copy(rid) : json_null()) == 0 &&
        json_object_set_new(r, "result", result) == 0) {
        result = NULL;
        out = json_dumps(r, JSON_COMPACT | JSON_PRESERVE_ORDER);
    }
    json_decref(result);
    json_decref(r);
    *code = 0;
done:
    free(nodes);
    free(leaves);
    free(ev);
    kt_v1_block_free(&tmp);
    return out;
}
