/*
 * EventProofResponse, the tee_getEventProof result (Katana
 * crates/rpc/rpc-types/src/tee.rs and trie.rs @ eb76792c): camelCase
 * envelope; blockNumber, eventsCount, eventIndex and an edge's length are
 * JSON numbers; merkleProof is a list of {node_hash, node} with node
 * untagged: {left, right} or {path, length, child}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commit/v1_json.h"
#include "util/error.h"

#define WHAT "EventProofResponse"
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const proof_keys[] = {
    "blockNumber", "eventsCommitment", "eventsCount", "eventHash", "eventIndex",
    "merkleProof", "txHash",           "fromAddress", "keys",      "data",
};
static const char *const node_with_hash_keys[] = {"node_hash", "node"};
static const char *const binary_keys[] = {"left", "right"};
static const char *const edge_keys[] = {"path", "length", "child"};

void kt_v1_event_proof_free(kt_v1_event_proof *p) {
    if (!p)
        return;
    free(p->nodes);
    free(p->keys);
    free(p->data);
    memset(p, 0, sizeof *p);
}

static kt_status parse_node(const json_t *v, size_t i, kt_v1_proof_node *n, kt_error *err) {
    char where[96], inner[112];
    snprintf(where, sizeof where, WHAT ".merkleProof[%zu]", i);
    snprintf(inner, sizeof inner, "%s.node", where);
    kt_status st = kt_v1j_keys(v, where, node_with_hash_keys, 2, node_with_hash_keys, 2, err);
    if (st == KT_OK)
        st = kt_v1j_felt_key(v, "node_hash", where, &n->node_hash, err);
    if (st != KT_OK)
        return st;
    const json_t *node = json_object_get(v, "node");
    if (!json_is_object(node))
        return kt_fail(err, KT_E_PARSE, "%s: not a JSON object", inner);
    if (json_object_get(node, "left") || json_object_get(node, "right")) {
        n->kind = KT_V1_NODE_BINARY;
        st = kt_v1j_keys(node, inner, binary_keys, 2, binary_keys, 2, err);
        if (st == KT_OK)
            st = kt_v1j_felt_key(node, "left", inner, &n->left, err);
        if (st == KT_OK)
            st = kt_v1j_felt_key(node, "right", inner, &n->right, err);
        return st;
    }
    n->kind = KT_V1_NODE_EDGE;
    st = kt_v1j_keys(node, inner, edge_keys, 3, edge_keys, 3, err);
    if (st == KT_OK)
        st = kt_v1j_felt_key(node, "path", inner, &n->path, err);
    if (st == KT_OK)
        st = kt_v1j_felt_key(node, "child", inner, &n->child, err);
    uint64_t length = 0;
    char what[128];
    snprintf(what, sizeof what, "%s.length", inner);
    if (st == KT_OK)
        st = kt_v1j_uint(json_object_get(node, "length"), what, 255, &length, err);
    n->length = (unsigned)length; /* a u8 in Katana; the verifier judges 1..64 */
    return st;
}

kt_status kt_v1_event_proof_from_json(const json_t *r, kt_v1_event_proof *out, kt_error *err) {
    if (!out)
        return kt_fail(err, KT_E_INVALID_ARG, WHAT ": missing argument");
    memset(out, 0, sizeof *out);
    kt_status st = kt_v1j_keys(r, WHAT, proof_keys, COUNT(proof_keys), proof_keys,
                               COUNT(proof_keys), err);
    uint64_t v = 0;
    if (st == KT_OK)
        st = kt_v1j_uint(json_object_get(r, "blockNumber"), WHAT ".blockNumber", INT64_MAX,
                         &out->block_number, err);
    if (st == KT_OK)
        st = kt_v1j_felt_key(r, "eventsCommitment", WHAT, &out->events_commitment, err);
    if (st == KT_OK)
        st = kt_v1j_uint(json_object_get(r, "eventsCount"), WHAT ".eventsCount", UINT32_MAX, &v,
                         err);
    out->events_count = (uint32_t)v;
    if (st == KT_OK)
        st = kt_v1j_felt_key(r, "eventHash", WHAT, &out->event_hash, err);
    v = 0;
    if (st == KT_OK)
        st = kt_v1j_uint(json_object_get(r, "eventIndex"), WHAT ".eventIndex", UINT32_MAX, &v,
                         err);
    out->event_index = (uint32_t)v;
    if (st != KT_OK)
        return st;

    const json_t *proof = json_object_get(r, "merkleProof");
    if (!json_is_array(proof))
        return kt_fail(err, KT_E_PARSE, WHAT ".merkleProof: expected an array");
    size_t count = json_array_size(proof);
    if (count > KT_V1_MAX_PROOF_NODES)
        return kt_fail(err, KT_E_TOO_LARGE, WHAT ".merkleProof: %zu nodes is more than the %d "
                       "allowed", count, KT_V1_MAX_PROOF_NODES);
    if (count) {
        out->nodes = calloc(count, sizeof *out->nodes);
        if (!out->nodes)
            return kt_fail_oom(err);
        out->n_nodes = count;
    }
    for (size_t i = 0; st == KT_OK && i < count; i++)
        st = parse_node(json_array_get(proof, i), i, &out->nodes[i], err);
    if (st == KT_OK)
        st = kt_v1j_felt_key(r, "txHash", WHAT, &out->tx_hash, err);
    if (st == KT_OK)
        st = kt_v1j_felt_key(r, "fromAddress", WHAT, &out->from_address, err);
    if (st == KT_OK)
        st = kt_v1j_felt_list(json_object_get(r, "keys"), WHAT ".keys", &out->keys, &out->n_keys,
                              err);
    if (st == KT_OK)
        st = kt_v1j_felt_list(json_object_get(r, "data"), WHAT ".data", &out->data, &out->n_data,
                              err);
    return st;
}

static kt_status read_event_proof(const json_t *result, void *out, kt_error *err) {
    return kt_v1_event_proof_from_json(result, out, err);
}

kt_status kt_v1_event_proof_parse(const char *json, size_t len, kt_v1_event_proof *out, kt_error *err) {
    if (!out)
        return kt_fail(err, KT_E_INVALID_ARG, WHAT ": missing argument");
    memset(out, 0, sizeof *out);
    return kt_v1j_parse(json, len, WHAT, read_event_proof, out, err);
}

static json_t *node_json(const kt_v1_proof_node *n) {
    json_t *o = json_object(), *inner = json_object();
    bool ok = o && inner;
    if (ok && n->kind == KT_V1_NODE_BINARY)
        ok = kt_v1j_set(inner, "left", kt_v1j_felt_value(&n->left)) &&
             kt_v1j_set(inner, "right", kt_v1j_felt_value(&n->right));
    else if (ok)
        ok = kt_v1j_set(inner, "path", kt_v1j_felt_value(&n->path)) &&
             kt_v1j_set(inner, "length", json_integer((json_int_t)n->length)) &&
             kt_v1j_set(inner, "child", kt_v1j_felt_value(&n->child));
    ok = ok && kt_v1j_set(o, "node_hash", kt_v1j_felt_value(&n->node_hash));
    if (ok) {
        ok = kt_v1j_set(o, "node", inner);
        inner = NULL;
    }
    json_decref(inner);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *kt_v1_event_proof_to_json(const kt_v1_event_proof *p) {
    json_t *o = json_object(), *nodes = json_array();
    bool ok = o && nodes && p->block_number <= INT64_MAX;
    for (size_t i = 0; ok && i < p->n_nodes; i++)
        ok = json_array_append_new(nodes, node_json(&p->nodes[i])) == 0;
    ok = ok && kt_v1j_set(o, "blockNumber", json_integer((json_int_t)p->block_number)) &&
         kt_v1j_set(o, "eventsCommitment", kt_v1j_felt_value(&p->events_commitment)) &&
         kt_v1j_set(o, "eventsCount", json_integer((json_int_t)p->events_count)) &&
         kt_v1j_set(o, "eventHash", kt_v1j_felt_value(&p->event_hash)) &&
         kt_v1j_set(o, "eventIndex", json_integer((json_int_t)p->event_index));
    if (ok) {
        ok = kt_v1j_set(o, "merkleProof", nodes);
        nodes = NULL;
    }
    ok = ok && kt_v1j_set(o, "txHash", kt_v1j_felt_value(&p->tx_hash)) &&
         kt_v1j_set(o, "fromAddress", kt_v1j_felt_value(&p->from_address)) &&
         kt_v1j_set(o, "keys", kt_v1j_felt_array(p->keys, p->n_keys)) &&
         kt_v1j_set(o, "data", kt_v1j_felt_array(p->data, p->n_data));
    json_decref(nodes);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

kt_status kt_v1_event_proof_render(const kt_v1_event_proof *proof, char **json_out,
                                   kt_error *err) {
    if (!proof || !json_out)
        return kt_fail(err, KT_E_INVALID_ARG, WHAT ": missing argument to render");
    *json_out = NULL;
    json_t *o = kt_v1_event_proof_to_json(proof);
    kt_status st = kt_v1j_dump(o, json_out, err);
    json_decref(o);
    return st;
}
