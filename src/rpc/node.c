/* Chain state sources: the Starknet node client and the state file. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rpc/node.h"
#include "rpc/server_impl.h"
#include "util/error.h"
#include "util/fileio.h"

bool kt_block_state_equal(const kt_block_state *a, const kt_block_state *b) {
    return a->block_number == b->block_number && kt_felt_equal(&a->block_hash, &b->block_hash) &&
           kt_felt_equal(&a->state_root, &b->state_root);
}

/* A felt from a JSON string that must be "0x…" (the Starknet spec's FELT). */
kt_status kt_rpc_json_felt(const json_t *obj, const char *name, bool hex_only, kt_felt *out,
                             const char *where, kt_error *err) {
    const json_t *v = json_object_get(obj, name);
    if (!v)
        return kt_fail(err, KT_E_PARSE, "%s has no %s", where, name);
    if (!json_is_string(v))
        return kt_fail(err, KT_E_PARSE, "%s: %s is not a string", where, name);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (hex_only && (n < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')))
        return kt_fail(err, KT_E_PARSE, "%s: %s '%.80s' is not 0x-prefixed hex", where, name, s);
    char what[96];
    snprintf(what, sizeof what, "%s %s", where, name);
    return kt_felt_parse(s, n, out, what, err);
}

/* A u64 from a JSON integer (or, when allowed, a decimal/0x-hex string). */
kt_status kt_rpc_json_u64(const json_t *obj, const char *name, bool allow_string,
                            uint64_t *out, const char *where, kt_error *err) {
    const json_t *v = json_object_get(obj, name);
    if (!v)
        return kt_fail(err, KT_E_PARSE, "%s has no %s", where, name);
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < 0)
            return kt_fail(err, KT_E_PARSE, "%s: %s %" JSON_INTEGER_FORMAT " is negative", where,
                           name, i);
        *out = (uint64_t)i;
        return KT_OK;
    }
    if (allow_string && json_is_string(v)) {
        kt_felt f;
        char what[96];
        snprintf(what, sizeof what, "%s %s", where, name);
        kt_status st = kt_felt_parse(json_string_value(v), json_string_length(v), &f, what, err);
        if (st != KT_OK)
            return st;
        if (f.limb[1] || f.limb[2] || f.limb[3] || f.limb[0] > KT_BLOCK_NUMBER_MAX)
            return kt_fail(err, KT_E_RANGE, "%s: %s is above 2^63-1", where, name);
        *out = f.limb[0];
        return KT_OK;
    }
    return kt_fail(err, KT_E_PARSE, "%s: %s is not a non-negative integer", where, name);
}

kt_status kt_block_id_from_json(const json_t *v, kt_block_id *out, kt_error *err) {
    memset(out, 0, sizeof *out);
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (strcmp(s, "latest") == 0) {
            out->kind = KT_BLOCK_ID_LATEST;
            return KT_OK;
        }
        if (strcmp(s, "l1_accepted") == 0) {
            out->kind = KT_BLOCK_ID_L1_ACCEPTED;
            return KT_OK;
        }
        if (strcmp(s, "pending") == 0 || strcmp(s, "pre_confirmed") == 0)
            return kt_fail(err, KT_E_UNSUPPORTED,
                           "block id '%s': pending blocks are never attested", s);
        return kt_fail(err, KT_E_PARSE,
                       "block id '%.40s' is not a known tag (latest, l1_accepted)", s);
    }
    if (!json_is_object(v) || json_object_size(v) != 1)
        return kt_fail(err, KT_E_PARSE,
                       "block id must be \"latest\", \"l1_accepted\", {\"block_number\": N} or "
                       "{\"block_hash\": \"0x…\"}");
    if (json_object_get(v, "block_number")) {
        out->kind = KT_BLOCK_ID_NUMBER;
        return kt_rpc_json_u64(v, "block_number", false, &out->number, "block id", err);
    }
    if (json_object_get(v, "block_hash")) {
        out->kind = KT_BLOCK_ID_HASH;
        return kt_rpc_json_felt(v, "block_hash", true, &out->hash, "block id", err);
    }
    return kt_fail(err, KT_E_PARSE, "block id object must hold block_number or block_hash");
}

json_t *kt_block_id_to_json(const kt_block_id *id) {
    char hex[KT_FELT_HEX_MAX];
    switch (id->kind) {
    case KT_BLOCK_ID_NUMBER:
        return json_pack("{s:I}", "block_number", (json_int_t)id->number);
    case KT_BLOCK_ID_HASH:
        kt_felt_to_hex(&id->hash, hex);
        return json_pack("{s:s}", "block_hash", hex);
    case KT_BLOCK_ID_L1_ACCEPTED:
        return json_string("l1_accepted");
    case KT_BLOCK_ID_LATEST:
    default:
        return json_string("latest");
    }
}

/* ---- node ---------------------------------------------------------------------------- */

static const char *node_shown(const kt_node *node) {
    return node->shown ? node->shown : "(node)";
}

/* The HTTP client names the URL in its messages: keep only the origin. */
static void node_scrub(const kt_node *node, kt_error *err) {
    char redacted[1024];
    kt_http_redact_url(node->url, redacted, sizeof redacted);
    kt_rpc_scrub(err, redacted, node_shown(node));
    kt_rpc_scrub(err, node->url, node_shown(node));
}

static kt_status node_call(kt_node *node, const char *method, json_t *params, uint64_t *id,
                           kt_http_response *resp, kt_error *err) {
    *id = atomic_fetch_add_explicit(&node->next_id, 1, memory_order_relaxed) + 1;
    json_t *req = json_pack("{s:s, s:s, s:o*, s:I}", "jsonrpc", "2.0", "method", method,
                            "params", params, "id", (json_int_t)*id);
    char *text = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (!text)
        return kt_fail_oom(err);
    static const char *const headers[] = {"Content-Type: application/json",
                                          "Accept: application/json", NULL};
    kt_http_request r = {
        .method = "POST",
        .url = node->url,
        .headers = headers,
        .body = (const uint8_t *)text,
        .body_len = strlen(text),
        .connect_timeout_ms = node->connect_timeout_ms > 0 ? node->connect_timeout_ms : 2000,
        .timeout_ms = node->timeout_ms > 0 ? node->timeout_ms : 10000,
        .max_body = node->max_body,
    };
    kt_status st = kt_http_perform(&r, resp, err);
    free(text);
    if (st != KT_OK) {
        node_scrub(node, err);
        return st;
    }
    if (resp->status != 200)
        return kt_fail(err, KT_E_HTTP, "node %s answered %s with HTTP %ld", node_shown(node),
                       method, resp->status);
    return KT_OK;
}

/* Check the JSON-RPC envelope of a node answer and return its result (borrowed from *doc). */
static kt_status node_result(const uint8_t *body, size_t len, uint64_t expected_id,
                             const char *method, json_t **doc, const json_t **result,
                             kt_error *err) {
    json_error_t je;
    *doc = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &je);
    if (!*doc)
        return kt_fail(err, KT_E_PARSE, "node answer to %s is not JSON: %s (line %d, column %d)",
                       method, je.text, je.line, je.column);
    if (!json_is_object(*doc))
        return kt_fail(err, KT_E_PARSE, "node answer to %s is not a JSON-RPC response object",
                       method);
    const json_t *ver = json_object_get(*doc, "jsonrpc");
    if (!json_is_string(ver) || strcmp(json_string_value(ver), "2.0") != 0)
        return kt_fail(err, KT_E_PARSE, "node answer to %s is not JSON-RPC 2.0", method);
    const json_t *id = json_object_get(*doc, "id");
    if (!json_is_integer(id) || (uint64_t)json_integer_value(id) != expected_id)
        return kt_fail(err, KT_E_PARSE, "node answer to %s carries the wrong id (sent %" PRIu64 ")",
                       method, expected_id);
    const json_t *e = json_object_get(*doc, "error");
    if (e) {
        const json_t *code = json_object_get(e, "code");
        const json_t *msg = json_object_get(e, "message");
        const json_t *data = json_object_get(e, "data");
        char *data_text = data ? json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        kt_fail(err, KT_E_NOT_FOUND, "node answered %s with error %" JSON_INTEGER_FORMAT ": %.200s%s%.200s",
                method, json_is_integer(code) ? json_integer_value(code) : 0,
                json_is_string(msg) ? json_string_value(msg) : "(no message)",
                data_text ? " " : "", data_text ? data_text : "");
        free(data_text);
        return KT_E_NOT_FOUND;
    }
    *result = json_object_get(*doc, "result");
    if (!*result)
        return kt_fail(err, KT_E_PARSE, "node answer to %s has neither result nor error", method);
    return KT_OK;
}

kt_status kt_node_parse_block(const uint8_t *body, size_t len, uint64_t expected_id,
                              kt_block_state *out, kt_error *err) {
    static const char method[] = "starknet_getBlockWithTxHashes";
    json_t *doc = NULL;
    const json_t *b = NULL;
    kt_status st = node_result(body, len, expected_id, method, &doc, &b, err);
    if (st != KT_OK)
        goto done;
    if (!json_is_object(b)) {
        st = kt_fail(err, KT_E_PARSE, "node answer to %s: result is not a block object", method);
        goto done;
    }
    const json_t *status = json_object_get(b, "status");
    if (status && !json_is_string(status)) {
        st = kt_fail(err, KT_E_PARSE, "node block: status is not a string");
        goto done;
    }
    const char *s = status ? json_string_value(status) : NULL;
    if ((s && (strcmp(s, "PENDING") == 0 || strcmp(s, "PRE_CONFIRMED") == 0)) ||
        !json_object_get(b, "block_hash")) {
        st = kt_fail(err, KT_E_UNSUPPORTED,
                     "node returned a pending block (%s); pending blocks are never attested",
                     s ? s : "no block_hash");
        goto done;
    }
    if (s && strcmp(s, "REJECTED") == 0) {
        st = kt_fail(err, KT_E_UNSUPPORTED, "node returned a REJECTED block; not attested");
        goto done;
    }
    kt_block_state bs;
    st = kt_rpc_json_felt(b, "block_hash", true, &bs.block_hash, "node block", err);
    if (st == KT_OK)
        st = kt_rpc_json_felt(b, "new_root", true, &bs.state_root, "node block", err);
    if (st == KT_OK)
        st = kt_rpc_json_u64(b, "block_number", false, &bs.block_number, "node block", err);
    if (st == KT_OK)
        *out = bs;
done:
    json_decref(doc);
    return st;
}

kt_status kt_node_get_block(kt_node *node, const kt_block_id *id, kt_block_state *out,
                            kt_error *err) {
    json_t *params = json_pack("{s:o}", "block_id", kt_block_id_to_json(id));
    if (!params)
        return kt_fail_oom(err);
    kt_http_response resp;
    uint64_t rid;
    kt_status st = node_call(node, "starknet_getBlockWithTxHashes", params, &rid, &resp, err);
    if (st == KT_OK)
        st = kt_node_parse_block(resp.body.data, resp.body.len, rid, out, err);
    kt_http_response_free(&resp);
    return st;
}

kt_status kt_node_get_block_receipts(kt_node *node, uint64_t number, kt_v1_block *out,
                                     kt_error *err) {
    static const char method[] = "starknet_getBlockWithReceipts";
    memset(out, 0, sizeof *out);
    json_t *params = json_pack("{s:{s:I}}", "block_id", "block_number", (json_int_t)number);
    if (!params)
        return kt_fail_oom(err);
    kt_http_response resp;
    uint64_t rid;
    json_t *doc = NULL;
    const json_t *r = NULL;
    kt_status st = node_call(node, method, params, &rid, &resp, err);
    if (st == KT_OK)
        st = node_result(resp.body.data, resp.body.len, rid, method, &doc, &r, err);
    if (st == KT_OK) {
        char where[64];
        snprintf(where, sizeof where, "node block %" PRIu64, number);
        st = kt_v1_block_parse(r, where, out, err);
        if (st == KT_OK && out->number != number)
            st = kt_fail(err, KT_E_NOT_FOUND, "the node's answer holds block %" PRIu64
                         ", not block %" PRIu64, out->number, number);
    }
    json_decref(doc);
    kt_http_response_free(&resp);
    return st;
}

kt_status kt_node_block_number(kt_node *node, uint64_t *out, kt_error *err) {
    kt_http_response resp;
    uint64_t rid;
    json_t *doc = NULL;
    const json_t *r = NULL;
    kt_status st = node_call(node, "starknet_blockNumber", json_array(), &rid, &resp, err);
    if (st == KT_OK)
        st = node_result(resp.body.data, resp.body.len, rid, "starknet_blockNumber", &doc, &r,
                         err);
    if (st == KT_OK) {
        if (!json_is_integer(r) || json_integer_value(r) < 0)
            st = kt_fail(err, KT_E_PARSE, "node answer to starknet_blockNumber is not a block number");
        else
            *out = (uint64_t)json_integer_value(r);
    }
    json_decref(doc);
    kt_http_response_free(&resp);
    return st;
}

kt_status kt_node_forward(kt_node *node, const uint8_t *body, size_t len, kt_http_response *resp,
                          kt_error *err) {
    static const char *const headers[] = {"Content-Type: application/json", NULL};
    kt_http_request r = {
        .method = "POST",
        .url = node->url,
        .headers = headers,
        .body = body,
        .body_len = len,
        .connect_timeout_ms = node->connect_timeout_ms > 0 ? node->connect_timeout_ms : 2000,
        .timeout_ms = node->timeout_ms > 0 ? node->timeout_ms : 10000,
        .max_body = node->max_body,
    };
    kt_status st = kt_http_perform(&r, resp, err);
    if (st != KT_OK)
        node_scrub(node, err);
    return st;
}

/* ---- state file -------------------------------------------------------------------- */

kt_status kt_state_parse(const uint8_t *text, size_t len, kt_block_state *out, kt_error *err) {
    json_error_t je;
    json_t *doc = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &je);
    if (!doc)
        return kt_fail(err, KT_E_PARSE, "state is not JSON: %s (line %d, column %d)", je.text,
                       je.line, je.column);
    kt_status st = KT_OK;
    kt_block_state bs;
    if (!json_is_object(doc))
        st = kt_fail(err, KT_E_PARSE, "state is not a JSON object");
    if (st == KT_OK)
        st = kt_rpc_json_felt(doc, "stateRoot", false, &bs.state_root, "state", err);
    if (st == KT_OK)
        st = kt_rpc_json_felt(doc, "blockHash", false, &bs.block_hash, "state", err);
    if (st == KT_OK)
        st = kt_rpc_json_u64(doc, "blockNumber", true, &bs.block_number, "state", err);
    if (st == KT_OK)
        *out = bs;
    json_decref(doc);
    return st;
}

static kt_status state_file_reload(kt_state_file *sf, kt_error *err) {
    struct stat sb;
    if (stat(sf->path, &sb) != 0)
        return kt_fail(err, KT_E_IO, "state file %s: %s", sf->path, strerror(errno));
    if (sf->loaded && sb.st_dev == sf->dev && sb.st_ino == sf->ino && sb.st_size == sf->size &&
        sb.st_mtim.tv_sec == sf->mtime.tv_sec && sb.st_mtim.tv_nsec == sf->mtime.tv_nsec)
        return KT_OK;
    uint8_t *data = NULL;
    size_t len = 0;
    kt_status st = kt_file_read(sf->path, KT_STATE_FILE_MAX, &data, &len, err);
    if (st != KT_OK)
        return st;
    kt_block_state bs;
    st = kt_state_parse(data, len, &bs, err);
    free(data);
    if (st != KT_OK)
        return kt_fail_context(err, st, "state file %s", sf->path);
    /* The signature is the one seen before reading: a write racing the read shows up next time. */
    sf->state = bs;
    sf->dev = sb.st_dev;
    sf->ino = sb.st_ino;
    sf->size = sb.st_size;
    sf->mtime = sb.st_mtim;
    sf->loaded = true;
    return KT_OK;
}

kt_status kt_state_file_open(kt_state_file *sf, const char *path, kt_error *err) {
    memset(sf, 0, sizeof *sf);
    sf->path = path;
    if (pthread_mutex_init(&sf->mu, NULL) != 0)
        return kt_fail(err, KT_E_INTERNAL, "cannot create a mutex");
    kt_status st = state_file_reload(sf, err);
    if (st != KT_OK)
        pthread_mutex_destroy(&sf->mu);
    return st;
}

kt_status kt_state_file_get(kt_state_file *sf, kt_block_state *out, kt_error *err) {
    pthread_mutex_lock(&sf->mu);
    kt_status st = state_file_reload(sf, err);
    if (st == KT_OK)
        *out = sf->state;
    else
        sf->loaded = false; /* a broken file is not served from the old state */
    pthread_mutex_unlock(&sf->mu);
    return st;
}

void kt_state_file_close(kt_state_file *sf) {
    if (sf && sf->path) {
        pthread_mutex_destroy(&sf->mu);
        sf->path = NULL;
    }
}
