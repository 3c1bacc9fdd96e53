/* One block's v1 inputs from a Starknet BLOCK_WITH_RECEIPTS object (see v1_block.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "katana_tee/hex.h"
#include "rpc/node.h"
#include "rpc/v1_block.h"
#include "util/error.h"

/* Grow *arr (of *cap elements of size sz) to hold need elements, up to max. */
static kt_status grow(void **arr, size_t *cap, size_t need, size_t sz, size_t max,
                      const char *what, kt_error *err) {
    if (need <= *cap)
        return KT_OK;
    if (need > max)
        return kt_fail(err, KT_E_TOO_LARGE, "block has more than %zu %s", max, what);
    size_t n = *cap ? *cap * 2 : 16;
    while (n < need)
        n *= 2;
    if (n > max)
        n = max;
    void *p = realloc(*arr, n * sz);
    if (!p)
        return kt_fail_oom(err);
    *arr = p;
    *cap = n;
    return KT_OK;
}

typedef struct parser {
    kt_v1_block *b;
    size_t ev_cap, l2l1_cap, hash_cap, l1l2_cap;
    char where[128];
} parser;

/* A JSON array of felts appended to the pool. */
static kt_status felt_list(parser *p, const json_t *obj, const char *name, kt_v1_span *span,
                           kt_error *err) {
    const json_t *arr = json_object_get(obj, name);
    if (!json_is_array(arr))
        return kt_fail(err, KT_E_PARSE, "%s: %s is not an array", p->where, name);
    kt_v1_block *b = p->b;
    size_t n = json_array_size(arr);
    kt_status st = grow((void **)&b->pool, &b->pool_cap, b->pool_len + n, sizeof *b->pool,
                        KT_V1_BLOCK_MAX_FELTS, "felts in keys, data and payloads", err);
    if (st != KT_OK)
        return st;
    span->off = b->pool_len;
    span->len = n;
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(arr, i);
        if (!json_is_string(v) || json_string_length(v) < 2 ||
            strncmp(json_string_value(v), "0x", 2) != 0)
            return kt_fail(err, KT_E_PARSE, "%s: %s[%zu] is not a 0x-hex felt", p->where, name, i);
        char what[160];
        snprintf(what, sizeof what, "%s %s[%zu]", p->where, name, i);
        st = kt_felt_parse(json_string_value(v), json_string_length(v), &b->pool[b->pool_len + i],
                           what, err);
        if (st != KT_OK)
            return st;
    }
    b->pool_len += n;
    return KT_OK;
}

static kt_status receipt_events(parser *p, const json_t *rc, const kt_felt *tx_hash,
                                kt_error *err) {
    const json_t *evs = json_object_get(rc, "events");
    if (!evs)
        return KT_OK;
    if (!json_is_array(evs))
        return kt_fail(err, KT_E_PARSE, "%s: receipt events is not an array", p->where);
    kt_v1_block *b = p->b;
    size_t i;
    const json_t *ev;
    json_array_foreach(evs, i, ev) {
        kt_status st = grow((void **)&b->events, &p->ev_cap, b->n_events + 1, sizeof *b->events,
                            KT_V1_BLOCK_MAX_ITEMS, "events", err);
        if (st != KT_OK)
            return st;
        struct kt_v1_block_event *e = &b->events[b->n_events];
        e->tx_hash = *tx_hash;
        if (!json_is_object(ev))
            return kt_fail(err, KT_E_PARSE, "%s: an event is not an object", p->where);
        if ((st = kt_rpc_json_felt(ev, "from_address", true, &e->from_address, p->where, err)) ||
            (st = felt_list(p, ev, "keys", &e->keys, err)) ||
            (st = felt_list(p, ev, "data", &e->data, err)))
            return st;
        b->n_events++;
    }
    return KT_OK;
}

static kt_status receipt_messages(parser *p, const json_t *rc, kt_error *err) {
    const json_t *ms = json_object_get(rc, "messages_sent");
    if (!ms)
        return KT_OK;
    if (!json_is_array(ms))
        return kt_fail(err, KT_E_PARSE, "%s: messages_sent is not an array", p->where);
    kt_v1_block *b = p->b;
    size_t i;
    const json_t *m;
    json_array_foreach(ms, i, m) {
        kt_status st = grow((void **)&b->l2_to_l1, &p->l2l1_cap, b->n_l2_to_l1 + 1,
                            sizeof *b->l2_to_l1, KT_V1_BLOCK_MAX_ITEMS, "messages", err);
        if (st != KT_OK)
            return st;
        struct kt_v1_block_l2l1 *o = &b->l2_to_l1[b->n_l2_to_l1];
        if (!json_is_object(m))
            return kt_fail(err, KT_E_PARSE, "%s: a message is not an object", p->where);
        if ((st = kt_rpc_json_felt(m, "from_address", true, &o->from_address, p->where, err)) ||
            (st = kt_rpc_json_felt(m, "to_address", true, &o->to_address, p->where, err)) ||
            (st = felt_list(p, m, "payload", &o->payload, err)))
            return st;
        b->n_l2_to_l1++;
    }
    return KT_OK;
}

/* The 32-byte message hash of an L1_HANDLER receipt, read big-endian mod p. */
static kt_status receipt_message_hash(parser *p, const json_t *rc, kt_error *err) {
    const json_t *v = json_object_get(rc, "message_hash");
    const char *s = json_string_value(v);
    if (!s || json_string_length(v) < 3 || strncmp(s, "0x", 2) != 0 ||
        json_string_length(v) > 66)
        return kt_fail(err, KT_E_PARSE, "%s: L1_HANDLER receipt message_hash is not 0x + up to 64 hex digits",
                       p->where);
    char digits[65];
    size_t n = json_string_length(v) - 2;
    memset(digits, '0', 64 - n);
    memcpy(digits + 64 - n, s + 2, n);
    uint8_t be[32];
    size_t got = 0;
    kt_status st = kt_hex_decode(digits, 64, be, sizeof be, &got, "message_hash", err);
    if (st != KT_OK)
        return st;
    kt_v1_block *b = p->b;
    st = grow((void **)&b->l1_to_l2_hashes, &p->hash_cap, b->n_l1_to_l2_hashes + 1,
              sizeof *b->l1_to_l2_hashes, KT_V1_BLOCK_MAX_ITEMS, "L1 handler receipts", err);
    if (st != KT_OK)
        return st;
    b->l1_to_l2_hashes[b->n_l1_to_l2_hashes++] = kt_v1_felt_from_be32_mod(be);
    return KT_OK;
}

/* An L1_HANDLER transaction as BlockAttestation lists it: from = calldata[0]. */
static kt_status l1_handler_tx(parser *p, const json_t *tx, kt_error *err) {
    kt_v1_block *b = p->b;
    kt_status st = grow((void **)&b->l1_to_l2, &p->l1l2_cap, b->n_l1_to_l2 + 1,
                        sizeof *b->l1_to_l2, KT_V1_BLOCK_MAX_ITEMS, "L1 handler transactions", err);
    if (st != KT_OK)
        return st;
    struct kt_v1_block_l1l2 *o = &b->l1_to_l2[b->n_l1_to_l2];
    kt_v1_span calldata;
    if ((st = kt_rpc_json_felt(tx, "contract_address", true, &o->to_address, p->where, err)) ||
        (st = kt_rpc_json_felt(tx, "entry_point_selector", true, &o->selector, p->where, err)) ||
        (st = kt_rpc_json_felt(tx, "nonce", true, &o->nonce, p->where, err)) ||
        (st = felt_list(p, tx, "calldata", &calldata, err)))
        return st;
    if (calldata.len == 0) /* Katana would panic ("missing message sender address") */
        return kt_fail(err, KT_E_PARSE, "%s: L1_HANDLER calldata is empty (no sender)", p->where);
    o->from_address = b->pool[calldata.off];
    o->payload = (kt_v1_span){calldata.off + 1, calldata.len - 1};
    b->n_l1_to_l2++;
    return KT_OK;
}

static kt_status one_tx(parser *p, const json_t *item, size_t i, kt_error *err) {
    const json_t *tx = json_object_get(item, "transaction");
    const json_t *rc = json_object_get(item, "receipt");
    if (!json_is_object(tx) || !json_is_object(rc))
        return kt_fail(err, KT_E_PARSE, "%s: transactions[%zu] is not {transaction, receipt}",
                       p->where, i);
    kt_felt tx_hash;
    kt_status st = kt_rpc_json_felt(rc, "transaction_hash", true, &tx_hash, p->where, err);
    if (st != KT_OK)
        return st;
    const char *type = json_string_value(json_object_get(rc, "type"));
    const char *tx_type = json_string_value(json_object_get(tx, "type"));
    if (!type || !tx_type)
        return kt_fail(err, KT_E_PARSE, "%s: transactions[%zu] has no type", p->where, i);
    bool l1_handler = strcmp(type, "L1_HANDLER") == 0;
    if (l1_handler != (strcmp(tx_type, "L1_HANDLER") == 0))
        return kt_fail(err, KT_E_PARSE, "%s: transactions[%zu]: receipt type %.20s, transaction type %.20s",
                       p->where, i, type, tx_type);
    if ((st = receipt_events(p, rc, &tx_hash, err)) || (st = receipt_messages(p, rc, err)))
        return st;
    if (l1_handler && ((st = receipt_message_hash(p, rc, err)) || (st = l1_handler_tx(p, tx, err))))
        return st;
    return KT_OK;
}

kt_status kt_v1_block_parse(const json_t *obj, const char *where, kt_v1_block *out,
                            kt_error *err) {
    memset(out, 0, sizeof *out);
    parser p = {.b = out};
    snprintf(p.where, sizeof p.where, "%s", where);
    if (!json_is_object(obj))
        return kt_fail(err, KT_E_PARSE, "%s is not a block object", where);
    const json_t *status = json_object_get(obj, "status");
    const char *s = json_string_value(status);
    if ((s && (strcmp(s, "PENDING") == 0 || strcmp(s, "PRE_CONFIRMED") == 0)) ||
        !json_object_get(obj, "block_hash"))
        return kt_fail(err, KT_E_UNSUPPORTED, "%s is pending; pending blocks are never attested",
                       where);
    if (s && strcmp(s, "REJECTED") == 0)
        return kt_fail(err, KT_E_UNSUPPORTED, "%s was REJECTED; not attested", where);
    kt_status st;
    if ((st = kt_rpc_json_felt(obj, "block_hash", true, &out->hash, where, err)) ||
        (st = kt_rpc_json_felt(obj, "new_root", true, &out->root, where, err)) ||
        (st = kt_rpc_json_u64(obj, "block_number", false, &out->number, where, err)))
        return st;
    const char *ec_name = json_object_get(obj, "events_commitment") ? "events_commitment"
                          : json_object_get(obj, "event_commitment") ? "event_commitment"
                                                                     : NULL;
    if (ec_name) {
        st = kt_rpc_json_felt(obj, ec_name, true, &out->events_commitment, where, err);
        if (st != KT_OK)
            return st;
        out->has_events_commitment = true;
    }
    const json_t *txs = json_object_get(obj, "transactions");
    if (!json_is_array(txs))
        return kt_fail(err, KT_E_PARSE, "%s: transactions is not an array (receipts needed)",
                       where);
    size_t i;
    const json_t *item;
    json_array_foreach(txs, i, item) {
        if ((st = one_tx(&p, item, i, err)) != KT_OK)
            return st;
    }
    return KT_OK;
}

void kt_v1_block_free(kt_v1_block *b) {
    if (!b)
        return;
    free(b->pool);
    free(b->events);
    free(b->l2_to_l1);
    free(b->l1_to_l2_hashes);
    free(b->l1_to_l2);
    memset(b, 0, sizeof *b);
}

kt_status kt_v1_block_events(const kt_v1_block *b, kt_v1_event **out, kt_error *err) {
    *out = NULL;
    if (!b->n_events)
        return KT_OK;
    kt_v1_event *ev = calloc(b->n_events, sizeof *ev);
    if (!ev)
        return kt_fail_oom(err);
    for (size_t i = 0; i < b->n_events; i++) {
        const struct kt_v1_block_event *e = &b->events[i];
        ev[i] = (kt_v1_event){e->tx_hash, e->from_address, b->pool + e->keys.off, e->keys.len,
                              b->pool + e->data.off, e->data.len};
    }
    *out = ev;
    return KT_OK;
}

kt_status kt_v1_block_events_root(const kt_v1_block *b, kt_felt *root, kt_error *err) {
    kt_v1_event *ev = NULL;
    kt_status st = kt_v1_block_events(b, &ev, err);
    if (st != KT_OK)
        return st;
    kt_felt *leaves = b->n_events ? calloc(b->n_events, sizeof *leaves) : NULL;
    if (b->n_events && !leaves) {
        free(ev);
        return kt_fail_oom(err);
    }
    for (size_t i = 0; i < b->n_events; i++)
        leaves[i] = kt_v1_event_hash(&ev[i]);
    st = kt_v1_events_root(leaves, b->n_events, root, err);
    free(leaves);
    free(ev);
    return st;
}
