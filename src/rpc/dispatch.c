/* JSON-RPC dispatch: single calls and batches, tee_generateQuote, the proxy. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "katana_tee/commit.h"
#include "rpc/server_impl.h"

/* ---- the state to attest ----------------------------------------------------------------- */

/* A source answered for the block it was asked for, or the answer is refused. */
static kt_status same_block(const char *source, const kt_block_id *id, const kt_block_state *got,
                            kt_error *err) {
    char hex[KT_FELT_HEX_MAX];
    switch (id->kind) {
    case KT_BLOCK_ID_NUMBER:
        if (id->number == got->block_number)
            return KT_OK;
        return kt_fail(err, KT_E_NOT_FOUND, "%s holds block %" PRIu64 ", not block %" PRIu64,
                       source, got->block_number, id->number);
    case KT_BLOCK_ID_HASH:
        if (kt_felt_equal(&id->hash, &got->block_hash))
            return KT_OK;
        kt_felt_to_hex(&id->hash, hex);
        return kt_fail(err, KT_E_NOT_FOUND, "%s holds block %" PRIu64 ", not block %s", source,
                       got->block_number, hex);
    default:
        return KT_OK;
    }
}

static kt_status get_state(kt_rpc_server *s, const kt_block_id *id, kt_block_state *out,
                           kt_error *err) {
    if (s->have_node) {
        kt_status st = kt_node_get_block(&s->node, id, out, err);
        /* an answer of any kind (even an error object) means the node is up */
        bool up = st != KT_E_NETWORK && st != KT_E_HTTP;
        kt_rpc_note_node(s, up, up ? NULL : err->message);
        if (st == KT_OK)
            st = same_block("the node's answer", id, out, err);
        return st;
    }
    kt_status st = kt_state_file_get(&s->state, out, err);
    kt_rpc_note_state(s, st, err);
    if (st != KT_OK)
        return st;
    if (id->kind == KT_BLOCK_ID_L1_ACCEPTED)
        return kt_fail(err, KT_E_UNSUPPORTED, "a state file cannot tell the l1_accepted block");
    return same_block("the state file", id, out, err);
}

/* ---- tee_generateQuote ------------------------------------------------------------------- */

static bool attester_unavailable(kt_status st) {
    return st == KT_E_NO_DEVICE || st == KT_E_NOT_BUILT || st == KT_E_PERMISSION;
}

/* The optional block id: absent/null/[]/{} = latest; [id]; {"block_id": id}. */
static bool quote_params(const json_t *params, kt_block_id *id, const json_t *rid, json_t **resp) {
    memset(id, 0, sizeof *id);
    const json_t *v = NULL;
    if (!params || json_is_null(params)) {
        return true;
    } else if (json_is_array(params)) {
        if (json_array_size(params) > 1) {
            *resp = kt_rpc_error(rid, RPC_INVALID_PARAMS,
                              "Invalid params: tee_generateQuote takes at most one parameter "
                              "(block_id), got %zu",
                              json_array_size(params));
            return false;
        }
        v = json_array_get(params, 0);
    } else {
        const char *k;
        const json_t *val;
        json_object_foreach((json_t *)params, k, val) {
            if (strcmp(k, "block_id") != 0) {
                *resp = kt_rpc_error(rid, RPC_INVALID_PARAMS,
                                  "Invalid params: unknown parameter '%.64s' (only block_id)", k);
                return false;
            }
            v = val;
        }
    }
    if (!v || json_is_null(v))
        return true;
    kt_error e = {0};
    if (kt_block_id_from_json(v, id, &e) != KT_OK) {
        *resp = kt_rpc_error(rid, RPC_INVALID_PARAMS, "Invalid params: %s", e.message);
        return false;
    }
    return true;
}


/* A JSON-RPC success answer around an already rendered result object. */
static char *splice_result(const json_t *rid, const qstr *result) {
    char *idtext = rid ? json_dumps(rid, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    static const char head[] = "{\"jsonrpc\":\"2.0\",\"id\":", mid[] = ",\"result\":";
    const char *idt = idtext ? idtext : "null";
    size_t il = strlen(idt);
    size_t n = sizeof head - 1 + il + sizeof mid - 1 + result->len + 1;
    char *out = (rid && !idtext) ? NULL : malloc(n + 1);
    if (out) {
        char *p = out;
        memcpy(p, head, sizeof head - 1);
        p += sizeof head - 1;
        memcpy(p, idt, il);
        p += il;
        memcpy(p, mid, sizeof mid - 1);
        p += sizeof mid - 1;
        memcpy(p, result->text, result->len);
        p += result->len;
        *p++ = '}';
        *p = '\0';
    }
    free(idtext);
    return out;
}

char *kt_rpc_provider_error(kt_rpc_server *s, const json_t *rid, kt_status st,
                            const kt_error *err, int *code) {
    char q[600];
    kt_rpc_log(s, KT_LOG_WARN, "provider_error", "status=%s error=%s", kt_status_name(st),
               kt_rpc_quoted(err->message, q, sizeof q));
    *code = RPC_TEE_PROVIDER;
    return kt_rpc_render(kt_rpc_error(rid, RPC_TEE_PROVIDER, "Provider error: %s", err->message));
}

char *kt_rpc_answer_attested(kt_rpc_server *s, kt_rpc_call *call, const kt_rpc_subject *sub,
                             const json_t *rid, int *code) {
    qstr *result = NULL;
    kt_error err = {0};
    kt_status st = kt_rpc_attest(s, call, sub, &result, &err);
    if (st == KT_E_RATE_LIMIT) {
        *code = RPC_LIMIT_EXCEEDED;
        return kt_rpc_render(kt_rpc_error(rid, RPC_LIMIT_EXCEEDED, "Limit exceeded: %s", err.message));
    }
    if (st != KT_OK) {
        if (attester_unavailable(st)) {
            *code = RPC_TEE_NOT_AVAILABLE;
            return kt_rpc_render(kt_rpc_error(rid, RPC_TEE_NOT_AVAILABLE, "TEE not available: %s", err.message));
        }
        *code = RPC_TEE_QUOTE_FAILED;
        return kt_rpc_render(kt_rpc_error(rid, RPC_TEE_QUOTE_FAILED, "Quote generation failed: %s", err.message));
    }
    *code = 0;
    char *out = splice_result(rid, result);
    kt_rpc_qstr_unref(result);
    return out;
}

/* Schema v0: the result after the quote, field names and order as Katana's original
 * TeeQuoteResponse (camelCase); only hex and digits inside. */
static void v0_subject(const kt_block_state *bs, char *tail, size_t cap, kt_rpc_subject *sub) {
    char root[KT_FELT_HEX_MAX], hash[KT_FELT_HEX_MAX];
    kt_felt_to_hex(&bs->state_root, root);
    kt_felt_to_hex(&bs->block_hash, hash);
    int n = snprintf(tail, cap, "\",\"stateRoot\":\"%s\",\"blockHash\":\"%s\",\"blockNumber\":%" PRIu64 "}",
                     root, hash, bs->block_number);
    kt_commit_v0(&bs->state_root, &bs->block_hash, sub->report_data);
    sub->tail = tail;
    sub->tail_len = (size_t)n;
    sub->state = *bs;
}

/* Answer text for one v0 tee_generateQuote call; *code is 0 or the error code sent. */
static char *generate_quote_v0(kt_rpc_server *s, kt_rpc_call *call, const json_t *params,
                               const json_t *rid, int *code) {
    json_t *resp = NULL;
    kt_block_id id;
    if (!quote_params(params, &id, rid, &resp)) {
        *code = RPC_INVALID_PARAMS;
        return kt_rpc_render(resp);
    }
    kt_block_state bs;
    kt_error err = {0};
    kt_status st = get_state(s, &id, &bs, &err);
    if (st != KT_OK)
        return kt_rpc_provider_error(s, rid, st, &err, code);
    char tail[3 * KT_FELT_HEX_MAX + 96];
    kt_rpc_subject sub;
    v0_subject(&bs, tail, sizeof tail, &sub);
    return kt_rpc_answer_attested(s, call, &sub, rid, code);
}

/* ---- dispatch ---------------------------------------------------------------------------- */

static bool valid_id(const json_t *id) {
    return json_is_null(id) || json_is_string(id) || json_is_integer(id);
}

/*
 * Check the request object. On failure *resp is the error to send (every
 * invalid request is answered, with id null unless a usable id was given).
 */
static bool check_request(const json_t *req, const char **method, const json_t **id,
                          const json_t **params, json_t **resp) {
    *id = NULL;
    if (!json_is_object(req)) {
        *resp = kt_rpc_error(NULL, RPC_INVALID_REQUEST, "Invalid request: not a JSON-RPC request object");
        return false;
    }
    const json_t *rid = json_object_get(req, "id");
    const json_t *shown_id = rid && valid_id(rid) ? rid : NULL;
    if (rid && !valid_id(rid)) {
        *resp = kt_rpc_error(NULL, RPC_INVALID_REQUEST,
                          "Invalid request: id must be a string, an integer or null");
        return false;
    }
    const json_t *ver = json_object_get(req, "jsonrpc");
    if (!json_is_string(ver) || strcmp(json_string_value(ver), "2.0") != 0) {
        *resp = kt_rpc_error(shown_id, RPC_INVALID_REQUEST, "Invalid request: jsonrpc must be \"2.0\"");
        return false;
    }
    const json_t *m = json_object_get(req, "method");
    if (!json_is_string(m)) {
        *resp = kt_rpc_error(shown_id, RPC_INVALID_REQUEST,
                          m ? "Invalid request: method is not a string"
                            : "Invalid request: no method");
        return false;
    }
    const json_t *p = json_object_get(req, "params");
    if (p && !json_is_null(p) && !json_is_array(p) && !json_is_object(p)) {
        *resp = kt_rpc_error(shown_id, RPC_INVALID_REQUEST,
                          "Invalid request: params must be an array or an object");
        return false;
    }
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)req, k, v) {
        if (strcmp(k, "jsonrpc") && strcmp(k, "method") && strcmp(k, "params") && strcmp(k, "id")) {
            *resp = kt_rpc_error(shown_id, RPC_INVALID_REQUEST,
                              "Invalid request: unknown member '%.64s'", k);
            return false;
        }
    }
    *method = json_string_value(m);
    *id = rid;
    *params = p;
    return true;
}

static bool is_tee_method(const char *m) {
    return strncmp(m, "tee_", 4) == 0;
}

/* Forward one request object to the node; the node's answer object (or an error). */
static json_t *proxy_call(kt_rpc_server *s, const json_t *req, const json_t *rid) {
    atomic_fetch_add_explicit(&s->proxied, 1, memory_order_relaxed);
    char *text = json_dumps(req, JSON_COMPACT);
    if (!text)
        return kt_rpc_error(rid, RPC_INTERNAL, "Internal error: out of memory");
    kt_http_response resp;
    kt_error err = {0};
    kt_status st = kt_node_forward(&s->node, (const uint8_t *)text, strlen(text), &resp, &err);
    free(text);
    kt_rpc_note_node(s, st == KT_OK, err.message);
    json_t *out = NULL;
    if (st == KT_OK) {
        json_error_t je;
        out = json_loadb((const char *)resp.body.data, resp.body.len, 0, &je);
        if (!json_is_object(out)) {
            json_decref(out);
            out = kt_rpc_error(rid, RPC_TEE_PROVIDER,
                            "Provider error: node answered HTTP %ld with no JSON-RPC response",
                            resp.status);
        }
    } else {
        out = kt_rpc_error(rid, RPC_TEE_PROVIDER, "Provider error: %s", err.message);
    }
    kt_http_response_free(&resp);
    return out;
}

static char kt_rpc_oom_text[] =
    "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32603,\"message\":\"Internal error: out of memory\"}}";

/* Answer text for one call; NULL when it was a notification, kt_rpc_oom_text when memory ran out. */
static char *handle_call(kt_rpc_server *s, kt_rpc_call *call, const json_t *req) {
    atomic_fetch_add_explicit(&s->rpc_calls, 1, memory_order_relaxed);
    const char *method = NULL;
    const json_t *id = NULL, *params = NULL;
    json_t *bad = NULL;
    char *text = NULL;
    int code = 0;
    if (!check_request(req, &method, &id, &params, &bad)) {
        atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
        text = kt_rpc_render(bad);
        return text ? text : kt_rpc_oom_text;
    }
    bool notification = id == NULL;
    bool v1 = s->o.schema == KT_RPC_SCHEMA_V1;
    if (strcmp(method, "tee_generateQuote") == 0) {
        if (notification)
            return NULL; /* no one would see the quote: do not spend an attestation on it */
        atomic_fetch_add_explicit(&s->quote_requests, 1, memory_order_relaxed);
        text = v1 ? kt_rpc_generate_quote_v1(s, call, params, id, &code)
                  : generate_quote_v0(s, call, params, id, &code);
    } else if (v1 && strcmp(method, "tee_getEventProof") == 0) {
        if (notification)
            return NULL;
        text = kt_rpc_event_proof_v1(s, params, id, &code);
    } else if (s->o.proxy && !is_tee_method(method)) {
        text = kt_rpc_render(proxy_call(s, req, id));
        if (notification) {
            free(text);
            return NULL;
        }
        return text ? text : kt_rpc_oom_text;
    } else {
        if (notification)
            return NULL;
        code = RPC_METHOD_NOT_FOUND;
        text = kt_rpc_render(kt_rpc_error(id, RPC_METHOD_NOT_FOUND, "Method not found: %.100s", method));
    }
    if (code || !text)
        atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
    if (kt_rpc_log_on(s, KT_LOG_DEBUG)) {
        char m[160];
        kt_rpc_log(s, KT_LOG_DEBUG, "call", "method=%s code=%d", kt_rpc_quoted(method, m, sizeof m), code);
    }
    return text ? text : kt_rpc_oom_text;
}


/* Join answer texts into a batch answer "[a,b,…]" (frees them); NULL when out of memory. */
static char *join_batch(char **parts, size_t n, size_t *len) {
    size_t total = 2;
    for (size_t i = 0; i < n; i++)
        total += strlen(parts[i]) + 1;
    char *out = malloc(total + 1);
    size_t j = 0;
    if (out)
        out[j++] = '[';
    for (size_t i = 0; i < n; i++) {
        if (out) {
            if (i)
                out[j++] = ',';
            size_t l = strlen(parts[i]);
            memcpy(out + j, parts[i], l);
            j += l;
        }
        if (parts[i] != kt_rpc_oom_text)
            free(parts[i]);
    }
    if (out) {
        out[j++] = ']';
        out[j] = '\0';
        *len = j;
    }
    return out;
}

void kt_rpc_server_handle(kt_rpc_server *s, const uint8_t *body, size_t len, int *http_status,
                          char **out, size_t *out_len) {
    kt_rpc_dispatch(s, "local", body, len, http_status, out, out_len);
}

void kt_rpc_dispatch(kt_rpc_server *s, const char *client, const uint8_t *body, size_t len,
                     int *http_status, char **out, size_t *out_len) {
    kt_rpc_call call = {.client = client, .attested = 0};
    *http_status = 200;
    *out = NULL;
    *out_len = 0;
    json_error_t je;
    json_t *doc = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    char *text = NULL;
    if (!doc) {
        atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
        text = kt_rpc_render(kt_rpc_error(NULL, RPC_PARSE, "Parse error: %s (line %d, column %d)", je.text,
                                je.line, je.column));
    } else if (json_is_array(doc)) {
        size_t n = json_array_size(doc);
        if (n == 0) {
            atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
            text = kt_rpc_render(kt_rpc_error(NULL, RPC_INVALID_REQUEST, "Invalid request: empty batch"));
        } else if (n > s->o.max_batch) {
            atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
            text = kt_rpc_render(kt_rpc_error(NULL, RPC_INVALID_REQUEST,
                                    "Invalid request: batch of %zu calls exceeds the limit of %zu",
                                    n, s->o.max_batch));
        } else {
            char **parts = calloc(n, sizeof *parts);
            size_t k = 0;
            for (size_t i = 0; parts && i < n; i++) {
                char *r = handle_call(s, &call, json_array_get(doc, i));
                if (r)
                    parts[k++] = r;
            }
            if (parts && k == 0) { /* notifications only: nothing to answer */
                free(parts);
                json_decref(doc);
                return;
            }
            if (parts)
                text = join_batch(parts, k, out_len);
            free(parts);
        }
    } else {
        const char *method = NULL;
        const json_t *id = NULL, *params = NULL;
        json_t *bad = NULL;
        if (s->o.proxy && check_request(doc, &method, &id, &params, &bad) &&
            !is_tee_method(method)) {
            /* a single proxied call travels byte for byte, both ways */
            atomic_fetch_add_explicit(&s->rpc_calls, 1, memory_order_relaxed);
            atomic_fetch_add_explicit(&s->proxied, 1, memory_order_relaxed);
            kt_http_response nresp;
            kt_error err = {0};
            kt_status st = kt_node_forward(&s->node, body, len, &nresp, &err);
            kt_rpc_note_node(s, st == KT_OK, err.message);
            if (st == KT_OK) {
                json_decref(doc);
                *http_status = (int)nresp.status;
                if (nresp.body.len) {
                    *out = (char *)nresp.body.data; /* NUL-terminated, malloc'd */
                    *out_len = nresp.body.len;
                    nresp.body.data = NULL;
                }
                kt_http_response_free(&nresp);
                return;
            }
            kt_http_response_free(&nresp);
            atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
            if (!id) {
                json_decref(doc);
                return; /* a notification: no one to tell */
            }
            text = kt_rpc_render(kt_rpc_error(id, RPC_TEE_PROVIDER, "Provider error: %s", err.message));
        } else {
            json_decref(bad);
            text = handle_call(s, &call, doc);
            if (!text) {
                json_decref(doc);
                return; /* notification */
            }
        }
    }
    json_decref(doc);
    if (text == kt_rpc_oom_text)
        text = NULL;
    *out = text;
    if (text && !*out_len)
        *out_len = strlen(text);
    if (!*out) {
        *out = strdup(kt_rpc_oom_text);
        *out_len = *out ? sizeof kt_rpc_oom_text - 1 : 0;
        *http_status = *out ? 200 : 500;
    }
}
