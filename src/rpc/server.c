/* The JSON-RPC server: HTTP glue (libmicrohttpd), dispatch, single-flight quote cache. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "katana_tee/commit.h"
#include "katana_tee/hex.h"
#include "katana_tee/quote.h"
#include "rpc/node.h"
#include "rpc/server.h"
#include "util/buf.h"
#include "util/error.h"

/* Katana's TEE error codes (katana rpc-api error/tee.rs) and JSON-RPC 2.0's own. */
enum {
    RPC_TEE_NOT_AVAILABLE = 100,
    RPC_TEE_QUOTE_FAILED = 101,
    RPC_TEE_PROVIDER = 102,
    RPC_PARSE = -32700,
    RPC_INVALID_REQUEST = -32600,
    RPC_METHOD_NOT_FOUND = -32601,
    RPC_INVALID_PARAMS = -32602,
    RPC_INTERNAL = -32603,
};

#define NODE_HEALTH_MAX_AGE_S 5
#define HTTP_TOO_LARGE 413u /* MHD renamed its constant across versions */

/*
 * The rendered result object of one attestation, {"quote":…,"blockNumber":N}, reference
 * counted and shared by the cache and the requests answering with it: a cached answer
 * costs a copy, not a JSON rebuild of a 2.4 KB hex string.
 */
typedef struct qstr {
    atomic_uint refs;
    size_t len;
    char text[];
} qstr;

static qstr *qstr_ref(qstr *q) {
    if (q)
        atomic_fetch_add_explicit(&q->refs, 1, memory_order_relaxed);
    return q;
}

static void qstr_unref(qstr *q) {
    if (q && atomic_fetch_sub_explicit(&q->refs, 1, memory_order_acq_rel) == 1)
        free(q);
}

/* One attestation in progress (or just finished) for one block. */
typedef struct flight {
    struct flight *next;
    kt_block_state key;
    unsigned refs; /* the leader and every waiter; freed by the last one out */
    bool done;
    kt_status status;
    kt_error err;
    qstr *quote;
} flight;

struct kt_rpc_server {
    kt_rpc_opts o;
    char *node_url;
    char *state_path;
    kt_node node;
    bool have_node;
    kt_state_file state;
    bool have_state;
    struct MHD_Daemon *mhd;
    uint16_t port;
    time_t started;
    char start_error[256]; /* the last libmicrohttpd message while starting */
    bool starting;

    pthread_mutex_t mu; /* guards everything below up to `waiting` */
    pthread_cond_t cv;
    flight *flights;
    bool cache_valid;
    kt_block_state cache_key;
    qstr *cache_quote;
    bool have_last;
    kt_block_state last;
    time_t last_at;
    unsigned waiting;

    pthread_mutex_t attester_mu; /* attesters are not assumed to be thread-safe */

    atomic_int node_reachable; /* -1 unknown, 0 no, 1 yes */
    atomic_llong node_checked; /* CLOCK_MONOTONIC seconds of the last node exchange */
    atomic_flag probing;

    atomic_uint_fast64_t http_requests, rpc_calls, quote_requests, attestations, cache_hits,
        shared, errors, proxied;
};

/* ---- logging ------------------------------------------------------------------------- */

static bool log_on(const kt_rpc_server *s, kt_log_level level) {
    return s->o.log && level <= s->o.log_level;
}

static void log_event(const kt_rpc_server *s, kt_log_level level, const char *event,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void log_event(const kt_rpc_server *s, kt_log_level level, const char *event,
                      const char *fmt, ...) {
    if (!log_on(s, level))
        return;
    char fields[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fields, sizeof fields, fmt, ap);
    va_end(ap);
    s->o.log(s->o.log_ctx, level, event, fields);
}

/* A log value in double quotes with ", \ and control characters escaped. */
static const char *quoted(const char *in, char *out, size_t cap) {
    size_t j = 0;
    out[j++] = '"';
    for (const char *p = in; *p && j + 6 < cap; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            out[j++] = '\\';
            out[j++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            j += (size_t)snprintf(out + j, cap - j, "\\x%02x", c);
        } else {
            out[j++] = (char)c;
        }
    }
    out[j++] = '"';
    out[j] = '\0';
    return out;
}

static long long mono_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec;
}

static void note_node(kt_rpc_server *s, bool ok) {
    atomic_store(&s->node_reachable, ok ? 1 : 0);
    atomic_store(&s->node_checked, mono_seconds());
}

/* ---- JSON-RPC building blocks --------------------------------------------------------- */

static json_t *rpc_error(const json_t *id, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static json_t *rpc_error(const json_t *id, int code, const char *fmt, ...) {
    char msg[KT_ERROR_MSG_MAX + 64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *e = json_pack("{s:i, s:s}", "code", code, "message", msg);
    json_t *r = json_object();
    if (!e || !r || json_object_set_new(r, "jsonrpc", json_string("2.0")) != 0 ||
        json_object_set_new(r, "id", id ? json_deep_copy(id) : json_null()) != 0 ||
        json_object_set_new(r, "error", e) != 0) {
        json_decref(r);
        return NULL;
    }
    return r;
}

/* ---- the state to attest ----------------------------------------------------------------- */

static kt_status get_state(kt_rpc_server *s, const kt_block_id *id, kt_block_state *out,
                           kt_error *err) {
    if (s->have_node) {
        kt_status st = kt_node_get_block(&s->node, id, out, err);
        /* an answer of any kind (even an error object) means the node is up */
        note_node(s, st != KT_E_NETWORK && st != KT_E_HTTP);
        return st;
    }
    kt_status st = kt_state_file_get(&s->state, out, err);
    if (st != KT_OK)
        return st;
    char hex[KT_FELT_HEX_MAX];
    switch (id->kind) {
    case KT_BLOCK_ID_LATEST:
        return KT_OK;
    case KT_BLOCK_ID_NUMBER:
        if (id->number == out->block_number)
            return KT_OK;
        return kt_fail(err, KT_E_NOT_FOUND, "state file holds block %" PRIu64 ", not block %" PRIu64,
                       out->block_number, id->number);
    case KT_BLOCK_ID_HASH:
        if (kt_felt_equal(&id->hash, &out->block_hash))
            return KT_OK;
        kt_felt_to_hex(&id->hash, hex);
        return kt_fail(err, KT_E_NOT_FOUND, "state file holds block %" PRIu64 ", not block %s",
                       out->block_number, hex);
    case KT_BLOCK_ID_L1_ACCEPTED:
    default:
        return kt_fail(err, KT_E_UNSUPPORTED, "a state file cannot tell the l1_accepted block");
    }
}

/* ---- single-flight attestation with a one-block cache --------------------------------------- */

static flight *find_flight(kt_rpc_server *s, const kt_block_state *key) {
    for (flight *f = s->flights; f; f = f->next)
        if (kt_block_state_equal(&f->key, key))
            return f;
    return NULL;
}

/* Drop one reference to f (mu held); the last one unlinks and frees it. */
static void flight_release(kt_rpc_server *s, flight *f) {
    if (--f->refs)
        return;
    for (flight **pp = &s->flights; *pp; pp = &(*pp)->next) {
        if (*pp == f) {
            *pp = f->next;
            break;
        }
    }
    qstr_unref(f->quote);
    free(f);
}

/* Field names and order as Katana's TeeQuoteResponse (camelCase); only hex and digits inside. */
static qstr *make_result_text(const uint8_t *quote, size_t len, const kt_block_state *key) {
    char root[KT_FELT_HEX_MAX], hash[KT_FELT_HEX_MAX];
    kt_felt_to_hex(&key->state_root, root);
    kt_felt_to_hex(&key->block_hash, hash);
    char tail[3 * KT_FELT_HEX_MAX + 96];
    int tn = snprintf(tail, sizeof tail, "\",\"stateRoot\":\"%s\",\"blockHash\":\"%s\",\"blockNumber\":%" PRIu64 "}",
                      root, hash, key->block_number);
    static const char head[] = "{\"quote\":\"0x";
    size_t n = sizeof head - 1 + 2 * len + (size_t)tn;
    qstr *q = malloc(sizeof *q + n + 1);
    if (!q)
        return NULL;
    atomic_init(&q->refs, 1);
    memcpy(q->text, head, sizeof head - 1);
    kt_hex_encode(quote, len, q->text + sizeof head - 1);
    memcpy(q->text + sizeof head - 1 + 2 * len, tail, (size_t)tn + 1);
    q->len = n;
    return q;
}

static kt_status run_attester(kt_rpc_server *s, const kt_block_state *key, qstr **out,
                              kt_error *err) {
    uint8_t report_data[KT_REPORT_DATA_SIZE];
    kt_commit_v0(&key->state_root, &key->block_hash, report_data);
    uint8_t *quote = NULL;
    size_t quote_len = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_mutex_lock(&s->attester_mu);
    atomic_fetch_add_explicit(&s->attestations, 1, memory_order_relaxed);
    kt_status st = kt_attester_quote(s->o.attester, report_data, &quote, &quote_len, err);
    pthread_mutex_unlock(&s->attester_mu);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long long us = (t1.tv_sec - t0.tv_sec) * 1000000LL + (t1.tv_nsec - t0.tv_nsec) / 1000;
    if (st != KT_OK) {
        char q[600];
        log_event(s, KT_LOG_ERROR, "attest_failed", "block=%" PRIu64 " status=%s error=%s us=%lld",
                  key->block_number, kt_status_name(st), quoted(err->message, q, sizeof q), us);
        return st;
    }
    *out = make_result_text(quote, quote_len, key);
    kt_bytes_free(quote);
    if (!*out)
        return kt_fail_oom(err);
    if (log_on(s, KT_LOG_INFO)) {
        char hash[KT_FELT_HEX_MAX];
        kt_felt_to_hex(&key->block_hash, hash);
        log_event(s, KT_LOG_INFO, "attested", "block=%" PRIu64 " hash=%s quote_bytes=%zu us=%lld",
                  key->block_number, hash, quote_len, us);
    }
    return KT_OK;
}

static kt_status attest(kt_rpc_server *s, const kt_block_state *key, qstr **out, kt_error *err) {
    bool use_cache = !s->o.no_quote_cache;
    pthread_mutex_lock(&s->mu);
    if (use_cache && s->cache_valid && kt_block_state_equal(&s->cache_key, key)) {
        *out = qstr_ref(s->cache_quote);
        pthread_mutex_unlock(&s->mu);
        atomic_fetch_add_explicit(&s->cache_hits, 1, memory_order_relaxed);
        return KT_OK;
    }
    flight *f = find_flight(s, key);
    if (f) {
        f->refs++;
        s->waiting++;
        atomic_fetch_add_explicit(&s->shared, 1, memory_order_relaxed);
        while (!f->done)
            pthread_cond_wait(&s->cv, &s->mu);
        s->waiting--;
        kt_status st = f->status;
        if (st == KT_OK)
            *out = qstr_ref(f->quote);
        else if (err)
            *err = f->err;
        flight_release(s, f);
        pthread_mutex_unlock(&s->mu);
        return st;
    }
    f = calloc(1, sizeof *f);
    if (!f) {
        pthread_mutex_unlock(&s->mu);
        return kt_fail_oom(err);
    }
    f->key = *key;
    f->refs = 1;
    f->next = s->flights;
    s->flights = f;
    pthread_mutex_unlock(&s->mu);

    qstr *q = NULL;
    kt_error e = {0};
    kt_status st = run_attester(s, key, &q, &e);

    pthread_mutex_lock(&s->mu);
    f->done = true;
    f->status = st;
    f->err = e;
    f->quote = q; /* the flight's reference */
    if (st == KT_OK) {
        if (use_cache) {
            qstr_unref(s->cache_quote);
            s->cache_quote = qstr_ref(q);
            s->cache_key = *key;
            s->cache_valid = true;
        }
        s->have_last = true;
        s->last = *key;
        s->last_at = time(NULL);
        *out = qstr_ref(q);
    } else if (err) {
        *err = e;
    }
    pthread_cond_broadcast(&s->cv);
    flight_release(s, f);
    pthread_mutex_unlock(&s->mu);
    return st;
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
            *resp = rpc_error(rid, RPC_INVALID_PARAMS,
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
                *resp = rpc_error(rid, RPC_INVALID_PARAMS,
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
        *resp = rpc_error(rid, RPC_INVALID_PARAMS, "Invalid params: %s", e.message);
        return false;
    }
    return true;
}

/* A JSON value as compact text, consuming it (NULL stays NULL). */
static char *render(json_t *v) {
    char *text = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(v);
    return text;
}

/* Answer text for one tee_generateQuote call; *code is 0 or the error code sent. */
static char *generate_quote(kt_rpc_server *s, const json_t *params, const json_t *rid, int *code) {
    atomic_fetch_add_explicit(&s->quote_requests, 1, memory_order_relaxed);
    json_t *resp = NULL;
    kt_block_id id;
    if (!quote_params(params, &id, rid, &resp)) {
        *code = RPC_INVALID_PARAMS;
        return render(resp);
    }
    kt_block_state bs;
    kt_error err = {0};
    kt_status st = get_state(s, &id, &bs, &err);
    if (st != KT_OK) {
        char q[600];
        log_event(s, KT_LOG_WARN, "provider_error", "status=%s error=%s", kt_status_name(st),
                  quoted(err.message, q, sizeof q));
        *code = RPC_TEE_PROVIDER;
        return render(rpc_error(rid, RPC_TEE_PROVIDER, "Provider error: %s", err.message));
    }
    qstr *result = NULL;
    st = attest(s, &bs, &result, &err);
    if (st != KT_OK) {
        if (attester_unavailable(st)) {
            *code = RPC_TEE_NOT_AVAILABLE;
            return render(rpc_error(rid, RPC_TEE_NOT_AVAILABLE, "TEE not available: %s", err.message));
        }
        *code = RPC_TEE_QUOTE_FAILED;
        return render(rpc_error(rid, RPC_TEE_QUOTE_FAILED, "Quote generation failed: %s", err.message));
    }
    *code = 0;
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
    qstr_unref(result);
    return out;
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
        *resp = rpc_error(NULL, RPC_INVALID_REQUEST, "Invalid request: not a JSON-RPC request object");
        return false;
    }
    const json_t *rid = json_object_get(req, "id");
    const json_t *shown_id = rid && valid_id(rid) ? rid : NULL;
    if (rid && !valid_id(rid)) {
        *resp = rpc_error(NULL, RPC_INVALID_REQUEST,
                          "Invalid request: id must be a string, an integer or null");
        return false;
    }
    const json_t *ver = json_object_get(req, "jsonrpc");
    if (!json_is_string(ver) || strcmp(json_string_value(ver), "2.0") != 0) {
        *resp = rpc_error(shown_id, RPC_INVALID_REQUEST, "Invalid request: jsonrpc must be \"2.0\"");
        return false;
    }
    const json_t *m = json_object_get(req, "method");
    if (!json_is_string(m)) {
        *resp = rpc_error(shown_id, RPC_INVALID_REQUEST,
                          m ? "Invalid request: method is not a string"
                            : "Invalid request: no method");
        return false;
    }
    const json_t *p = json_object_get(req, "params");
    if (p && !json_is_null(p) && !json_is_array(p) && !json_is_object(p)) {
        *resp = rpc_error(shown_id, RPC_INVALID_REQUEST,
                          "Invalid request: params must be an array or an object");
        return false;
    }
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)req, k, v) {
        if (strcmp(k, "jsonrpc") && strcmp(k, "method") && strcmp(k, "params") && strcmp(k, "id")) {
            *resp = rpc_error(shown_id, RPC_INVALID_REQUEST,
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
        return rpc_error(rid, RPC_INTERNAL, "Internal error: out of memory");
    kt_http_response resp;
    kt_error err = {0};
    kt_status st = kt_node_forward(&s->node, (const uint8_t *)text, strlen(text), &resp, &err);
    free(text);
    note_node(s, st == KT_OK);
    json_t *out = NULL;
    if (st == KT_OK) {
        json_error_t je;
        out = json_loadb((const char *)resp.body.data, resp.body.len, 0, &je);
        if (!json_is_object(out)) {
            json_decref(out);
            out = rpc_error(rid, RPC_TEE_PROVIDER,
                            "Provider error: node answered HTTP %ld with no JSON-RPC response",
                            resp.status);
        }
    } else {
        out = rpc_error(rid, RPC_TEE_PROVIDER, "Provider error: %s", err.message);
    }
    kt_http_response_free(&resp);
    return out;
}

static char oom_text[] =
    "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32603,\"message\":\"Internal error: out of memory\"}}";

/* Answer text for one call; NULL when it was a notification, oom_text when memory ran out. */
static char *handle_call(kt_rpc_server *s, const json_t *req) {
    atomic_fetch_add_explicit(&s->rpc_calls, 1, memory_order_relaxed);
    const char *method = NULL;
    const json_t *id = NULL, *params = NULL;
    json_t *bad = NULL;
    char *text = NULL;
    int code = 0;
    if (!check_request(req, &method, &id, &params, &bad)) {
        atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
        text = render(bad);
        return text ? text : oom_text;
    }
    bool notification = id == NULL;
    if (strcmp(method, "tee_generateQuote") == 0) {
        if (notification)
            return NULL; /* no one would see the quote: do not spend an attestation on it */
        text = generate_quote(s, params, id, &code);
    } else if (s->o.proxy && !is_tee_method(method)) {
        text = render(proxy_call(s, req, id));
        if (notification) {
            free(text);
            return NULL;
        }
        return text ? text : oom_text;
    } else {
        if (notification)
            return NULL;
        code = RPC_METHOD_NOT_FOUND;
        text = render(rpc_error(id, RPC_METHOD_NOT_FOUND, "Method not found: %.100s", method));
    }
    if (code || !text)
        atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
    if (log_on(s, KT_LOG_DEBUG)) {
        char m[160];
        log_event(s, KT_LOG_DEBUG, "call", "method=%s code=%d", quoted(method, m, sizeof m), code);
    }
    return text ? text : oom_text;
}

static char *dump(const json_t *v, size_t *len) {
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    *len = text ? strlen(text) : 0;
    return text;
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
        if (parts[i] != oom_text)
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
    *http_status = 200;
    *out = NULL;
    *out_len = 0;
    json_error_t je;
    json_t *doc = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    char *text = NULL;
    if (!doc) {
        atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
        text = render(rpc_error(NULL, RPC_PARSE, "Parse error: %s (line %d, column %d)", je.text,
                                je.line, je.column));
    } else if (json_is_array(doc)) {
        size_t n = json_array_size(doc);
        if (n == 0) {
            atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
            text = render(rpc_error(NULL, RPC_INVALID_REQUEST, "Invalid request: empty batch"));
        } else if (n > s->o.max_batch) {
            atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
            text = render(rpc_error(NULL, RPC_INVALID_REQUEST,
                                    "Invalid request: batch of %zu calls exceeds the limit of %zu",
                                    n, s->o.max_batch));
        } else {
            char **parts = calloc(n, sizeof *parts);
            size_t k = 0;
            for (size_t i = 0; parts && i < n; i++) {
                char *r = handle_call(s, json_array_get(doc, i));
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
            note_node(s, st == KT_OK);
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
            text = render(rpc_error(id, RPC_TEE_PROVIDER, "Provider error: %s", err.message));
        } else {
            json_decref(bad);
            text = handle_call(s, doc);
            if (!text) {
                json_decref(doc);
                return; /* notification */
            }
        }
    }
    json_decref(doc);
    if (text == oom_text)
        text = NULL;
    *out = text;
    if (text && !*out_len)
        *out_len = strlen(text);
    if (!*out) {
        *out = strdup(oom_text);
        *out_len = *out ? sizeof oom_text - 1 : 0;
        *http_status = *out ? 200 : 500;
    }
}

/* ---- /health ------------------------------------------------------------------------------ */

static void probe_node(kt_rpc_server *s) {
    long long age = mono_seconds() - atomic_load(&s->node_checked);
    if (atomic_load(&s->node_reachable) >= 0 && age < NODE_HEALTH_MAX_AGE_S)
        return;
    if (atomic_flag_test_and_set(&s->probing))
        return; /* someone else is asking right now */
    uint64_t n;
    kt_error err = {0};
    kt_status st = kt_node_block_number(&s->node, &n, &err);
    bool up = st != KT_E_NETWORK && st != KT_E_HTTP;
    note_node(s, up);
    if (!up) {
        char q[600];
        log_event(s, KT_LOG_WARN, "node_unreachable", "error=%s", quoted(err.message, q, sizeof q));
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

/* ---- HTTP (libmicrohttpd) ------------------------------------------------------------------- */

typedef struct conn_ctx {
    kt_buf body;
    bool too_large;
    size_t discarded;
} conn_ctx;

static conn_ctx health_marker; /* *con_cls of a GET /health between its two calls */

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned code, char *text, size_t len,
                                 const char *content_type, const char *allow) {
    struct MHD_Response *r =
        text ? MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE)
             : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    if (content_type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_rpc_error(struct MHD_Connection *c, unsigned http, int code,
                                      const char *msg, const char *allow) {
    json_t *e = rpc_error(NULL, code, "%s", msg);
    size_t len = 0;
    char *text = e ? dump(e, &len) : NULL;
    json_decref(e);
    return send_text(c, http, text, len, "application/json", allow);
}

static bool json_content_type(const char *ct) {
    if (!ct)
        return false;
    size_t n = strlen("application/json");
    return strncasecmp(ct, "application/json", n) == 0 &&
           (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls) {
    (void)version;
    kt_rpc_server *s = cls;
    conn_ctx *ctx = *con_cls;
    char msg[160];
    if (ctx == &health_marker) {
        atomic_fetch_add_explicit(&s->http_requests, 1, memory_order_relaxed);
        char *text = kt_rpc_server_health(s);
        if (!text)
            return send_rpc_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, RPC_INTERNAL,
                                  "Internal error: out of memory", NULL);
        return send_text(c, MHD_HTTP_OK, text, strlen(text), "application/json", NULL);
    }
    if (!ctx) {
        bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
                   strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
        if (get && strcmp(url, "/health") == 0) {
            /* answer on the next call: a response queued on the first call, before the
             * (empty) body is read, makes libmicrohttpd close the connection */
            *con_cls = &health_marker;
            return MHD_YES;
        }
        if (strcmp(method, MHD_HTTP_METHOD_POST) != 0) {
            atomic_fetch_add_explicit(&s->http_requests, 1, memory_order_relaxed);
            snprintf(msg, sizeof msg, "HTTP method %.16s is not allowed: JSON-RPC takes POST (GET only for /health)", method);
            return send_rpc_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, RPC_INVALID_REQUEST, msg,
                                  "POST");
        }
        const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (!json_content_type(ct)) {
            atomic_fetch_add_explicit(&s->http_requests, 1, memory_order_relaxed);
            snprintf(msg, sizeof msg, "Content-Type must be application/json, not '%.40s'",
                     ct ? ct : "");
            return send_rpc_error(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, RPC_INVALID_REQUEST, msg,
                                  NULL);
        }
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            char *end = NULL;
            unsigned long long n = strtoull(cl, &end, 10);
            if (end != cl && *end == '\0' && n > s->o.max_body) {
                atomic_fetch_add_explicit(&s->http_requests, 1, memory_order_relaxed);
                snprintf(msg, sizeof msg, "request body of %llu bytes exceeds the limit of %zu",
                         n, s->o.max_body);
                return send_rpc_error(c, HTTP_TOO_LARGE, RPC_INVALID_REQUEST, msg,
                                      NULL);
            }
        }
        ctx = calloc(1, sizeof *ctx);
        if (!ctx)
            return MHD_NO;
        kt_buf_init(&ctx->body, s->o.max_body);
        *con_cls = ctx;
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (!ctx->too_large && !kt_buf_append(&ctx->body, upload_data, n)) {
            ctx->too_large = true;
            kt_buf_free(&ctx->body);
        }
        if (ctx->too_large) {
            ctx->discarded += n;
            if (ctx->discarded > 8 * s->o.max_body + 65536)
                return MHD_NO; /* a chunked upload that will not stop: drop the connection */
        }
        return MHD_YES;
    }
    atomic_fetch_add_explicit(&s->http_requests, 1, memory_order_relaxed);
    if (ctx->too_large) {
        snprintf(msg, sizeof msg, "request body exceeds the limit of %zu bytes", s->o.max_body);
        return send_rpc_error(c, HTTP_TOO_LARGE, RPC_INVALID_REQUEST, msg, NULL);
    }
    int status = 200;
    char *out = NULL;
    size_t out_len = 0;
    kt_rpc_server_handle(s, ctx->body.data ? ctx->body.data : (const uint8_t *)"", ctx->body.len,
                         &status, &out, &out_len);
    return send_text(c, (unsigned)status, out, out_len, out ? "application/json" : NULL, NULL);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    (void)cls;
    (void)c;
    (void)toe;
    conn_ctx *ctx = *con_cls;
    if (ctx && ctx != &health_marker) {
        kt_buf_free(&ctx->body);
        free(ctx);
    }
    *con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
    kt_rpc_server *s = cls;
    char text[400];
    vsnprintf(text, sizeof text, fmt, ap);
    size_t n = strlen(text);
    while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        text[--n] = '\0';
    if (s->starting)
        snprintf(s->start_error, sizeof s->start_error, "%.255s", text); /* first line is enough */
    char q[600];
    log_event(s, KT_LOG_WARN, "http", "message=%s", quoted(text, q, sizeof q));
}

/* ---- lifecycle ---------------------------------------------------------------------------- */

static kt_status parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *sslen,
                              kt_error *err) {
    char host[256];
    const char *port;
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (!close || close[1] != ':' || (size_t)(close - listen - 1) >= sizeof host)
            return kt_fail(err, KT_E_INVALID_ARG, "listen address '%s' is not [ADDR]:PORT", listen);
        memcpy(host, listen + 1, (size_t)(close - listen - 1));
        host[close - listen - 1] = '\0';
        port = close + 2;
    } else {
        const char *colon = strrchr(listen, ':');
        if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof host)
            return kt_fail(err, KT_E_INVALID_ARG, "listen address '%s' is not HOST:PORT", listen);
        memcpy(host, listen, (size_t)(colon - listen));
        host[colon - listen] = '\0';
        port = colon + 1;
    }
    char *end = NULL;
    unsigned long p = strtoul(port, &end, 10);
    if (!port[0] || *end || p > 65535)
        return kt_fail(err, KT_E_INVALID_ARG, "listen address '%s': port '%s' is not 0..65535",
                       listen, port);
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int rc = getaddrinfo(host, port, &hints, &ai);
    if (rc != 0 || !ai)
        return kt_fail(err, KT_E_INVALID_ARG, "listen address '%s': %s", listen, gai_strerror(rc));
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *sslen = ai->ai_addrlen;
    freeaddrinfo(ai);
    return KT_OK;
}

static void server_free(kt_rpc_server *s) {
    if (s->mhd)
        MHD_stop_daemon(s->mhd);
    /* no request runs any more: no flights remain, only the cache */
    qstr_unref(s->cache_quote);
    if (s->have_state)
        kt_state_file_close(&s->state);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->attester_mu);
    free(s->node_url);
    free(s->state_path);
    free(s);
}

kt_status kt_rpc_server_start(const kt_rpc_opts *opts, kt_rpc_server **out, kt_error *err) {
    if (!opts || !out)
        return kt_fail(err, KT_E_INVALID_ARG, "rpc server: missing argument");
    *out = NULL;
    if (!opts->attester)
        return kt_fail(err, KT_E_INVALID_ARG, "rpc server: no attester");
    if (!!opts->node_url == !!opts->state_path)
        return kt_fail(err, KT_E_INVALID_ARG, "give exactly one of a node URL and a state file");
    if (opts->proxy && !opts->node_url)
        return kt_fail(err, KT_E_INVALID_ARG, "proxying needs a node URL");
    if (opts->threads < -1 || opts->threads > 1024)
        return kt_fail(err, KT_E_INVALID_ARG, "thread count %d is out of range (-1..1024)",
                       opts->threads);

    kt_rpc_server *s = calloc(1, sizeof *s);
    if (!s)
        return kt_fail_oom(err);
    s->o = *opts;
    if (!s->o.listen)
        s->o.listen = KT_RPC_DEFAULT_LISTEN;
    if (!s->o.max_body)
        s->o.max_body = KT_RPC_DEFAULT_MAX_BODY;
    if (!s->o.max_batch)
        s->o.max_batch = KT_RPC_DEFAULT_MAX_BATCH;
    if (!s->o.max_connections)
        s->o.max_connections = KT_RPC_DEFAULT_MAX_CONNECTIONS;
    if (!s->o.threads)
        s->o.threads = KT_RPC_DEFAULT_THREADS;
    if (!s->o.idle_timeout_s)
        s->o.idle_timeout_s = KT_RPC_DEFAULT_IDLE_TIMEOUT_S;
    if (s->o.node_timeout_ms <= 0)
        s->o.node_timeout_ms = KT_RPC_DEFAULT_NODE_TIMEOUT_MS;
    s->started = time(NULL);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    pthread_mutex_init(&s->attester_mu, NULL);
    atomic_init(&s->node_reachable, -1);
    atomic_init(&s->node_checked, 0);
    atomic_flag_clear(&s->probing);

    if (opts->node_url) {
        s->node_url = strdup(opts->node_url);
        if (!s->node_url) {
            server_free(s);
            return kt_fail_oom(err);
        }
        s->have_node = true;
        s->node.url = s->node_url;
        s->node.timeout_ms = s->o.node_timeout_ms;
        s->node.max_body = s->o.node_max_body;
        atomic_init(&s->node.next_id, 0);
    } else {
        s->state_path = strdup(opts->state_path);
        if (!s->state_path) {
            server_free(s);
            return kt_fail_oom(err);
        }
        kt_status st = kt_state_file_open(&s->state, s->state_path, err);
        if (st != KT_OK) {
            server_free(s);
            return st;
        }
        s->have_state = true;
    }

    struct sockaddr_storage ss;
    socklen_t sslen = 0;
    kt_status st = parse_listen(s->o.listen, &ss, &sslen, err);
    if (st != KT_OK) {
        server_free(s);
        return st;
    }
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
    if (s->o.threads < 0)
        flags |= MHD_USE_THREAD_PER_CONNECTION;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->starting = true;
    /* the pool option only when there is a pool (MHD warns about a size of 0 or 1) */
    struct MHD_OptionItem pool[] = {
        {s->o.threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END,
         s->o.threads > 1 ? s->o.threads : 0, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    s->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)s->o.max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)s->o.idle_timeout_s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_ARRAY, pool, MHD_OPTION_END);
    s->starting = false;
    if (!s->mhd) {
        kt_fail(err, KT_E_IO, "cannot listen on %s: %s", s->o.listen,
                s->start_error[0] ? s->start_error : "libmicrohttpd could not start");
        server_free(s);
        return KT_E_IO;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : 0;
    log_event(s, KT_LOG_INFO, "listening",
              "address=%s port=%u attester=%s source=%s threads=%d max_body=%zu max_batch=%zu "
              "max_connections=%u quote_cache=%s proxy=%s",
              s->o.listen, (unsigned)s->port, kt_attester_name(s->o.attester),
              s->have_node ? "node" : "state", s->o.threads, s->o.max_body, s->o.max_batch,
              s->o.max_connections, s->o.no_quote_cache ? "off" : "on", s->o.proxy ? "on" : "off");
    *out = s;
    return KT_OK;
}

uint16_t kt_rpc_server_port(const kt_rpc_server *s) {
    return s ? s->port : 0;
}

void kt_rpc_server_stop(kt_rpc_server **server) {
    if (!server || !*server)
        return;
    kt_rpc_server *s = *server;
    log_event(s, KT_LOG_INFO, "stopping", "http_requests=%" PRIu64 " attestations=%" PRIu64,
              (uint64_t)atomic_load(&s->http_requests), (uint64_t)atomic_load(&s->attestations));
    server_free(s);
    *server = NULL;
}
