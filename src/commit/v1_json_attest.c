/*
 * BlockAttestation, the tee_generateQuote result (Katana
 * crates/rpc/rpc-types/src/tee.rs and message.rs @ eb76792c): camelCase
 * envelope, snake_case message items, every number a hex felt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commit/v1_json.h"
#include "katana_tee/hex.h"
#include "util/error.h"

#define WHAT "BlockAttestation"

/* Katana's serialisation order; forkBlockNumber only in sharding mode. */
static const char *const attestation_keys[] = {
    "quote",          "prevStateRoot",      "stateRoot",         "prevBlockHash",
    "blockHash",      "prevBlockNumber",    "blockNumber",       "forkBlockNumber",
    "eventsCommitment", "messagesCommitment", "katanaTeeConfigHash", "l2ToL1Messages",
    "l1ToL2Messages",
};
static const char *const l2_to_l1_keys[] = {"from_address", "to_address", "payload"};
static const char *const l1_to_l2_keys[] = {"from_address", "to_address", "entry_point_selector",
                                            "payload", "nonce"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

void kt_v1_attestation_free(kt_v1_attestation *att) {
    if (!att)
        return;
    free(att->quote);
    for (size_t i = 0; i < att->n_l2_to_l1 && att->l2_to_l1; i++)
        free(att->l2_to_l1[i].payload);
    for (size_t i = 0; i < att->n_l1_to_l2 && att->l1_to_l2; i++)
        free(att->l1_to_l2[i].payload);
    free(att->l2_to_l1);
    free(att->l1_to_l2);
    memset(att, 0, sizeof *att);
}

kt_v1_mode kt_v1_attestation_mode(const kt_v1_attestation *att) {
    return att->has_fork_block_number ? KT_V1_SHARDING : KT_V1_APPCHAIN;
}

void kt_v1_attestation_commit_input(const kt_v1_attestation *att, kt_v1_commit_input *in) {
    memset(in, 0, sizeof *in);
    in->mode = kt_v1_attestation_mode(att);
    in->prev_state_root = att->prev_state_root;
    in->state_root = att->state_root;
    in->prev_block_hash = att->prev_block_hash;
    in->block_hash = att->block_hash;
    in->prev_block_number = att->prev_block_number;
    in->block_number = att->block_number;
    in->messages_commitment = att->messages_commitment;
    in->fork_block_number = att->fork_block_number;
    in->events_commitment = att->events_commitment;
    in->config_hash = att->katana_tee_config_hash;
}

static kt_status parse_quote(const json_t *v, kt_v1_attestation *out, kt_error *err) {
    const char *s = json_string_value(v);
    if (!s)
        return kt_fail(err, KT_E_PARSE, WHAT ".quote: expected a 0x-hex string");
    size_t len = json_string_length(v);
    if (len < 2 || s[0] != '0' || s[1] != 'x')
        return kt_fail(err, KT_E_PARSE, WHAT ".quote: not 0x-prefixed hex");
    size_t digits = len - 2;
    if (digits % 2)
        return kt_fail(err, KT_E_LENGTH, WHAT ".quote: odd number of hex digits (%zu)", digits);
    if (digits / 2 > KT_V1J_MAX_QUOTE)
        return kt_fail(err, KT_E_TOO_LARGE, WHAT ".quote: %zu bytes is more than the %zu allowed",
                       digits / 2, KT_V1J_MAX_QUOTE);
    for (size_t i = 2; i < len; i++)
        if (s[i] >= 'A' && s[i] <= 'F')
            return kt_fail(err, KT_E_PARSE, WHAT ".quote: uppercase hex at position %zu", i);
    if (digits == 0)
        return kt_fail(err, KT_E_LENGTH, WHAT ".quote: empty");
    out->quote = malloc(digits / 2);
    if (!out->quote)
        return kt_fail_oom(err);
    return kt_hex_decode(s, len, out->quote, digits / 2, &out->quote_len, WHAT ".quote", err);
}

static kt_status parse_l2_to_l1(const json_t *v, size_t i, kt_v1_l2_to_l1 *m, kt_error *err) {
    char where[96], what[128];
    snprintf(where, sizeof where, WHAT ".l2ToL1Messages[%zu]", i);
    kt_status st = kt_v1j_keys(v, where, l2_to_l1_keys, COUNT(l2_to_l1_keys), l2_to_l1_keys,
                               COUNT(l2_to_l1_keys), err);
    if (st == KT_OK)
        st = kt_v1j_felt_key(v, "from_address", where, &m->from_address, err);
    if (st == KT_OK)
        st = kt_v1j_felt_key(v, "to_address", where, &m->to_address, err);
    snprintf(what, sizeof what, "%s.payload", where);
    if (st == KT_OK)
        st = kt_v1j_felt_list(json_object_get(v, "payload"), what, &m->payload, &m->payload_len,
                              err);
    return st;
}

static kt_status parse_l1_to_l2(const json_t *v, size_t i, kt_v1_l1_to_l2 *m, kt_error *err) {
    char where[96], what[128];
    snprintf(where, sizeof where, WHAT ".l1ToL2Messages[%zu]", i);
    kt_status st = kt_v1j_keys(v, where, l1_to_l2_keys, COUNT(l1_to_l2_keys), l1_to_l2_keys,
                               COUNT(l1_to_l2_keys), err);
    if (st == KT_OK)
        st = kt_v1j_felt_key(v, "from_address", where, &m->from_address, err);
    if (st == KT_OK)
        st = kt_v1j_felt_key(v, "to_address", where, &m->to_address, err);
    if (st == KT_OK)
        st = kt_v1j_felt_key(v, "entry_point_selector", where, &m->entry_point_selector, err);
    snprintf(what, sizeof what, "%s.payload", where);
    if (st == KT_OK)
        st = kt_v1j_felt_list(json_object_get(v, "payload"), what, &m->payload, &m->payload_len,
                              err);
    if (st == KT_OK)
        st = kt_v1j_felt_key(v, "nonce", where, &m->nonce, err);
    return st;
}

/* An array of message objects: allocate `size` bytes per item, parse each. */
static kt_status parse_list(const json_t *v, const char *what, size_t size, void **items,
                            size_t *n, kt_status (*parse_one)(const json_t *, size_t, void *,
                                                               kt_error *),
                            kt_error *err) {
    if (!json_is_array(v))
        return kt_fail(err, KT_E_PARSE, WHAT ".%s: expected an array", what);
    size_t count = json_array_size(v);
    if (count > KT_V1J_MAX_LIST)
        return kt_fail(err, KT_E_TOO_LARGE, WHAT ".%s: %zu items is more than the %zu allowed",
                       what, count, KT_V1J_MAX_LIST);
    if (count == 0)
        return KT_OK;
    *items = calloc(count, size);
    if (!*items)
        return kt_fail_oom(err);
    for (size_t i = 0; i < count; i++) {
        *n = i + 1; /* so free releases what item i allocated, even on failure */
        kt_status st = parse_one(json_array_get(v, i), i, (char *)*items + i * size, err);
        if (st != KT_OK)
            return st;
    }
    return KT_OK;
}

static kt_status parse_l2_item(const json_t *v, size_t i, void *m, kt_error *err) {
    return parse_l2_to_l1(v, i, m, err);
}

static kt_status parse_l1_item(const json_t *v, size_t i, void *m, kt_error *err) {
    return parse_l1_to_l2(v, i, m, err);
}

kt_status kt_v1_attestation_from_json(const json_t *r, kt_v1_attestation *out, kt_error *err) {
    if (!out)
        return kt_fail(err, KT_E_INVALID_ARG, WHAT ": missing argument");
    memset(out, 0, sizeof *out);
    static const char *const required[] = {
        "quote",     "prevStateRoot",    "stateRoot",          "prevBlockHash",
        "blockHash", "prevBlockNumber",  "blockNumber",        "eventsCommitment",
        "messagesCommitment", "katanaTeeConfigHash", "l2ToL1Messages", "l1ToL2Messages",
    };
    kt_status st = kt_v1j_keys(r, WHAT, attestation_keys, COUNT(attestation_keys), required,
                               COUNT(required), err);
    if (st != KT_OK)
        return st;
    struct {
        const char *key;
        kt_felt *dst;
    } felts[] = {
        {"prevStateRoot", &out->prev_state_root},
        {"stateRoot", &out->state_root},
        {"prevBlockHash", &out->prev_block_hash},
        {"blockHash", &out->block_hash},
        {"prevBlockNumber", &out->prev_block_number},
        {"blockNumber", &out->block_number},
        {"eventsCommitment", &out->events_commitment},
        {"messagesCommitment", &out->messages_commitment},
        {"katanaTeeConfigHash", &out->katana_tee_config_hash},
    };
    st = parse_quote(json_object_get(r, "quote"), out, err);
    for (size_t i = 0; st == KT_OK && i < COUNT(felts); i++)
        st = kt_v1j_felt_key(r, felts[i].key, WHAT, felts[i].dst, err);
    if (st == KT_OK && json_object_get(r, "forkBlockNumber")) {
        out->has_fork_block_number = true;
        st = kt_v1j_felt_key(r, "forkBlockNumber", WHAT, &out->fork_block_number, err);
    }
    if (st == KT_OK)
        st = parse_list(json_object_get(r, "l2ToL1Messages"), "l2ToL1Messages",
                        sizeof(kt_v1_l2_to_l1), (void **)&out->l2_to_l1, &out->n_l2_to_l1,
                        parse_l2_item, err);
    if (st == KT_OK)
        st = parse_list(json_object_get(r, "l1ToL2Messages"), "l1ToL2Messages",
                        sizeof(kt_v1_l1_to_l2), (void **)&out->l1_to_l2, &out->n_l1_to_l2,
                        parse_l1_item, err);
    return st;
}

static kt_status read_attestation(const json_t *result, void *out, kt_error *err) {
    return kt_v1_attestation_from_json(result, out, err);
}

kt_status kt_v1_attestation_parse(const char *json, size_t len, kt_v1_attestation *out, kt_error *err) {
    if (!out)
        return kt_fail(err, KT_E_INVALID_ARG, WHAT ": missing argument");
    memset(out, 0, sizeof *out);
    return kt_v1j_parse(json, len, WHAT, read_attestation, out, err);
}

/* ---- rendering ----------------------------------------------------------------- */

static json_t *l2_to_l1_json(const kt_v1_l2_to_l1 *m) {
    json_t *o = json_object();
    if (o && kt_v1j_set(o, "from_address", kt_v1j_felt_value(&m->from_address)) &&
        kt_v1j_set(o, "to_address", kt_v1j_felt_value(&m->to_address)) &&
        kt_v1j_set(o, "payload", kt_v1j_felt_array(m->payload, m->payload_len)))
        return o;
    json_decref(o);
    return NULL;
}

static json_t *l1_to_l2_json(const kt_v1_l1_to_l2 *m) {
    json_t *o = json_object();
    if (o && kt_v1j_set(o, "from_address", kt_v1j_felt_value(&m->from_address)) &&
        kt_v1j_set(o, "to_address", kt_v1j_felt_value(&m->to_address)) &&
        kt_v1j_set(o, "entry_point_selector", kt_v1j_felt_value(&m->entry_point_selector)) &&
        kt_v1j_set(o, "payload", kt_v1j_felt_array(m->payload, m->payload_len)) &&
        kt_v1j_set(o, "nonce", kt_v1j_felt_value(&m->nonce)))
        return o;
    json_decref(o);
    return NULL;
}

static json_t *quote_json(const uint8_t *quote, size_t len) {
    if (len > KT_V1J_MAX_QUOTE)
        return NULL;
    char *hex = malloc(2 * len + 3);
    if (!hex)
        return NULL;
    hex[0] = '0';
    hex[1] = 'x';
    kt_hex_encode(quote, len, hex + 2);
    json_t *s = json_string(hex);
    free(hex);
    return s;
}

json_t *kt_v1_attestation_to_json(const kt_v1_attestation *a) {
    json_t *o = json_object();
    json_t *l2 = json_array(), *l1 = json_array();
    bool ok = o && l2 && l1;
    for (size_t i = 0; ok && i < a->n_l2_to_l1; i++)
        ok = json_array_append_new(l2, l2_to_l1_json(&a->l2_to_l1[i])) == 0;
    for (size_t i = 0; ok && i < a->n_l1_to_l2; i++)
        ok = json_array_append_new(l1, l1_to_l2_json(&a->l1_to_l2[i])) == 0;
    ok = ok && kt_v1j_set(o, "quote", quote_json(a->quote, a->quote_len)) &&
         kt_v1j_set(o, "prevStateRoot", kt_v1j_felt_value(&a->prev_state_root)) &&
         kt_v1j_set(o, "stateRoot", kt_v1j_felt_value(&a->state_root)) &&
         kt_v1j_set(o, "prevBlockHash", kt_v1j_felt_value(&a->prev_block_hash)) &&
         kt_v1j_set(o, "blockHash", kt_v1j_felt_value(&a->block_hash)) &&
         kt_v1j_set(o, "prevBlockNumber", kt_v1j_felt_value(&a->prev_block_number)) &&
         kt_v1j_set(o, "blockNumber", kt_v1j_felt_value(&a->block_number));
    if (ok && a->has_fork_block_number)
        ok = kt_v1j_set(o, "forkBlockNumber", kt_v1j_felt_value(&a->fork_block_number));
    ok = ok && kt_v1j_set(o, "eventsCommitment", kt_v1j_felt_value(&a->events_commitment)) &&
         kt_v1j_set(o, "messagesCommitment", kt_v1j_felt_value(&a->messages_commitment)) &&
         kt_v1j_set(o, "katanaTeeConfigHash", kt_v1j_felt_value(&a->katana_tee_config_hash));
    if (ok) {
        ok = kt_v1j_set(o, "l2ToL1Messages", l2);
        l2 = NULL;
    }
    if (ok) {
        ok = kt_v1j_set(o, "l1ToL2Messages", l1);
        l1 = NULL;
    }
    json_decref(l2);
    json_decref(l1);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

kt_status kt_v1_attestation_render(const kt_v1_attestation *att, char **json_out,
                                   kt_error *err) {
    if (!att || !json_out || (att->quote_len && !att->quote))
        return kt_fail(err, KT_E_INVALID_ARG, WHAT ": missing argument to render");
    *json_out = NULL;
    json_t *o = kt_v1_attestation_to_json(att);
    kt_status st = kt_v1j_dump(o, json_out, err);
    json_decref(o);
    return st;
}
