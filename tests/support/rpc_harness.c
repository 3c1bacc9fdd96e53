/* Test support: the node double, the fake attester and the client helpers of the RPC
 * server tests (see rpc_harness.h). */
#include "rpc_harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "http/http.h"
#include "katana_tee/quote.h"
#include "testutil.h"
#include "util/error.h"

/* ---- the node double -------------------------------------------------------------------- */

rpc_node_double rpc_node = {.mu = PTHREAD_MUTEX_INITIALIZER};

typedef struct upload {
    char *data;
    size_t len;
} upload;

void rpc_node_set(rpc_node_mode mode, uint64_t number, const char *hash, const char *root) {
    pthread_mutex_lock(&rpc_node.mu);
    rpc_node.mode = mode;
    rpc_node.number = number;
    snprintf(rpc_node.hash, sizeof rpc_node.hash, "%s", hash);
    snprintf(rpc_node.root, sizeof rpc_node.root, "%s", root);
    pthread_mutex_unlock(&rpc_node.mu);
}

unsigned rpc_node_block_calls(void) {
    pthread_mutex_lock(&rpc_node.mu);
    unsigned n = rpc_node.block_calls;
    pthread_mutex_unlock(&rpc_node.mu);
    return n;
}

static enum MHD_Result node_reply(struct MHD_Connection *c, unsigned code, const char *text) {
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
                                                             MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

static char *node_answer(const char *body, unsigned *code) {
    *code = 200;
    json_t *req = json_loads(body, 0, NULL);
    const char *method = json_string_value(json_object_get(req, "method"));
    json_t *id = json_object_get(req, "id");
    char *idtext = id ? json_dumps(id, JSON_ENCODE_ANY) : strdup("null");
    char *out = malloc(4096);
    pthread_mutex_lock(&rpc_node.mu);
    if (method && strcmp(method, "starknet_getBlockWithTxHashes") == 0) {
        rpc_node.block_calls++;
        snprintf(rpc_node.last_body, sizeof rpc_node.last_body, "%s", body);
        switch (rpc_node.mode) {
        case RPC_NODE_OK:
            snprintf(out, 4096,
                     "{\"jsonrpc\":\"2.0\",\"result\":{\"status\":\"ACCEPTED_ON_L2\","
                     "\"block_hash\":\"%s\",\"parent_hash\":\"0x1\",\"block_number\":%llu,"
                     "\"new_root\":\"%s\",\"timestamp\":1700000000,\"sequencer_address\":\"0x5\","
                     "\"l1_gas_price\":{\"price_in_fri\":\"0x1\",\"price_in_wei\":\"0x2\"},"
                     "\"l2_gas_price\":{\"price_in_fri\":\"0x1\",\"price_in_wei\":\"0x2\"},"
                     "\"l1_data_gas_price\":{\"price_in_fri\":\"0x1\",\"price_in_wei\":\"0x2\"},"
                     "\"l1_da_mode\":\"BLOB\",\"starknet_version\":\"0.13.4\","
                     "\"transactions\":[\"0xaa\",\"0xbb\"]},\"id\":%s}",
                     rpc_node.hash, (unsigned long long)rpc_node.number, rpc_node.root, idtext);
            break;
        case RPC_NODE_PENDING:
            snprintf(out, 4096,
                     "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":{\"parent_hash\":\"0x1\","
                     "\"timestamp\":1700000000,\"sequencer_address\":\"0x5\","
                     "\"l1_gas_price\":{\"price_in_fri\":\"0x1\",\"price_in_wei\":\"0x2\"},"
                     "\"l1_da_mode\":\"BLOB\",\"starknet_version\":\"0.13.4\","
                     "\"transactions\":[]}}",
                     idtext);
            break;
        case RPC_NODE_PRE_CONFIRMED:
            snprintf(out, 4096,
                     "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":{\"status\":\"PRE_CONFIRMED\","
                     "\"block_number\":%llu,\"timestamp\":1700000000,\"sequencer_address\":\"0x5\","
                     "\"transactions\":[]}}",
                     idtext, (unsigned long long)rpc_node.number);
            break;
        case RPC_NODE_RPC_ERROR:
            snprintf(out, 4096,
                     "{\"jsonrpc\":\"2.0\",\"id\":%s,\"error\":{\"code\":24,\"message\":\"Block not found\"}}",
                     idtext);
            break;
        case RPC_NODE_HTTP_500:
            *code = 500;
            snprintf(out, 4096, "internal error");
            break;
        case RPC_NODE_WRONG_ID:
            snprintf(out, 4096, "{\"jsonrpc\":\"2.0\",\"id\":999999,\"result\":{}}");
            break;
        case RPC_NODE_GARBAGE:
        default:
            snprintf(out, 4096, "<html>502 Bad Gateway</html>");
            break;
        }
    } else if (method && strcmp(method, "starknet_blockNumber") == 0) {
        snprintf(out, 4096, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":%llu}", idtext,
                 (unsigned long long)rpc_node.number);
    } else if (method && strcmp(method, "starknet_chainId") == 0) {
        /* odd spacing on purpose: proxying must hand it back byte for byte */
        snprintf(out, 4096, "{ \"jsonrpc\": \"2.0\", \"id\": %s, \"result\": \"0x4b4154414e41\" }",
                 idtext);
    } else {
        snprintf(out, 4096,
                 "{\"jsonrpc\":\"2.0\",\"id\":%s,\"error\":{\"code\":-32601,\"message\":\"Method not found\"}}",
                 idtext);
    }
    pthread_mutex_unlock(&rpc_node.mu);
    free(idtext);
    json_decref(req);
    return out;
}

static enum MHD_Result node_handler(void *cls, struct MHD_Connection *c, const char *url,
                                    const char *method, const char *version, const char *data,
                                    size_t *size, void **con_cls) {
    (void)cls;
    (void)url;
    (void)version;
    (void)method;
    upload *u = *con_cls;
    if (!u) {
        *con_cls = calloc(1, sizeof(upload));
        return MHD_YES;
    }
    if (*size) {
        u->data = realloc(u->data, u->len + *size + 1);
        memcpy(u->data + u->len, data, *size);
        u->len += *size;
        u->data[u->len] = '\0';
        *size = 0;
        return MHD_YES;
    }
    unsigned code;
    char *text = node_answer(u->data ? u->data : "", &code);
    enum MHD_Result ret = node_reply(c, code, text);
    free(text);
    return ret;
}

static void node_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                           enum MHD_RequestTerminationCode toe) {
    (void)cls;
    (void)c;
    (void)toe;
    upload *u = *con_cls;
    if (u) {
        free(u->data);
        free(u);
    }
    *con_cls = NULL;
}

static void node_start(void) {
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rpc_node.mhd = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD, 0, NULL, NULL, node_handler,
                                    NULL, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED,
                                    node_completed, NULL, MHD_OPTION_THREAD_POOL_SIZE, 4u,
                                    MHD_OPTION_END);
    assert_non_null(rpc_node.mhd);
    snprintf(rpc_node.url, sizeof rpc_node.url, "http://127.0.0.1:%u/rpc",
             MHD_get_daemon_info(rpc_node.mhd, MHD_DAEMON_INFO_BIND_PORT)->port);
    rpc_node_set(RPC_NODE_OK, 5, "0x9d5a2699a8e04e928948106512b301ff69c94b21bbb92bdfb718271bc4b9a9", "0xe2ee9416ea4e8bfb");
}

int rpc_node_setup(void **state) {
    (void)state;
    node_start();
    return 0;
}

int rpc_node_teardown(void **state) {
    (void)state;
    MHD_stop_daemon(rpc_node.mhd);
    rpc_node.mhd = NULL;
    return 0;
}

/* ---- the fake attester -------------------------------------------------------------------- */

rpc_fake_state rpc_fake;

static kt_status fake_quote(void *ctx, const uint8_t report_data[64], uint8_t **quote,
                            size_t *quote_len, kt_error *err) {
    (void)ctx;
    atomic_fetch_add(&rpc_fake.calls, 1);
    if (rpc_fake.gate_waiters) {
        /* deterministic overlap: wait (bounded) until the others are queued behind us */
        for (int i = 0; i < 2000; i++) {
            kt_rpc_stats st;
            kt_rpc_server_stats(rpc_fake.server, &st);
            if (st.waiting >= rpc_fake.gate_waiters)
                break;
            struct timespec ts = {0, 5 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    if (atomic_load(&rpc_fake.hold)) {
        atomic_store(&rpc_fake.holding, true);
        for (int i = 0; i < 2000 && atomic_load(&rpc_fake.hold); i++) {
            struct timespec ts = {0, 5 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        atomic_store(&rpc_fake.holding, false);
    }
    if (rpc_fake.fail == KT_E_NO_DEVICE)
        return kt_fail(err, KT_E_NO_DEVICE, "no /dev/sev-guest and no configfs-tsm");
    if (rpc_fake.fail != KT_OK)
        return kt_fail(err, rpc_fake.fail, "firmware returned status 0x16");
    return kt_mock_quote_encode(NULL, 0, report_data, quote, quote_len, err);
}

static const kt_attester_ops fake_ops = {"fake", fake_quote, NULL};
kt_attester rpc_fake_attester = {&fake_ops, NULL};

/* ---- the server and its clients ------------------------------------------------------------ */

kt_rpc_server *rpc_server;
char rpc_server_url[64];

void rpc_start_server(kt_rpc_opts *o) {
    if (o->schema == KT_RPC_SCHEMA_DEFAULT)
        o->schema = KT_RPC_SCHEMA_V0; /* these tests are Katana's original form */
    if (!o->attester)
        o->attester = &rpc_fake_attester;
    if (!o->listen)
        o->listen = "127.0.0.1:0";
    kt_error err = {0};
    kt_status st = kt_rpc_server_start(o, &rpc_server, &err);
    if (st != KT_OK)
        fail_msg("server: %s", err.message);
    rpc_fake.server = rpc_server;
    atomic_store(&rpc_fake.calls, 0); /* the server's start-up probe of the attester */
    snprintf(rpc_server_url, sizeof rpc_server_url, "http://127.0.0.1:%u/", kt_rpc_server_port(rpc_server));
}

void rpc_stop_server(void) {
    kt_rpc_server_stop(&rpc_server);
    assert_null(rpc_server);
    rpc_fake.server = NULL;
}

/* Wait until the health prober has had its first word (status no longer "starting"). */
void rpc_wait_settled(void) {
    for (int i = 0; i < 200; i++) {
        char *h = kt_rpc_server_health(rpc_server, NULL);
        bool starting = strstr(h, "\"status\":\"starting\"") != NULL;
        free(h);
        if (!starting)
            return;
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    fail_msg("the health prober never reported");
}

int rpc_reset(void **state) {
    (void)state;
    atomic_store(&rpc_fake.calls, 0);
    rpc_fake.fail = KT_OK;
    rpc_fake.gate_waiters = 0;
    atomic_store(&rpc_fake.hold, false);
    rpc_node_set(RPC_NODE_OK, 5, "0x9d5a2699a8e04e928948106512b301ff69c94b21bbb92bdfb718271bc4b9a9", "0xe2ee9416ea4e8bfb");
    return 0;
}

/* POST body; returns the raw answer text (malloc'd, maybe "") and the HTTP status. */
char *rpc_post_raw(const char *url, const char *body, size_t len, const char *ct, long *status) {
    char hdr[128];
    snprintf(hdr, sizeof hdr, "Content-Type: %s", ct);
    const char *const headers[] = {hdr, NULL};
    kt_http_request req = {.method = "POST", .url = url, .headers = headers,
                           .body = (const uint8_t *)body, .body_len = len};
    kt_http_response resp;
    kt_error err = {0};
    kt_status st = kt_http_perform(&req, &resp, &err);
    if (st != KT_OK)
        fail_msg("POST %s: %s", url, err.message);
    *status = resp.status;
    char *text = strdup((char *)resp.body.data);
    kt_http_response_free(&resp);
    return text;
}

json_t *rpc_call(const char *body, long *status) {
    long s = 0;
    char *text = rpc_post_raw(rpc_server_url, body, strlen(body), "application/json", &s);
    if (status)
        *status = s;
    json_t *v = text[0] ? json_loads(text, 0, NULL) : NULL;
    if (text[0] && !v)
        fail_msg("answer is not JSON: %s", text);
    free(text);
    return v;
}

long rpc_error_code(const json_t *resp) {
    const json_t *e = json_object_get(resp, "error");
    assert_non_null(e);
    return (long)json_integer_value(json_object_get(e, "code"));
}

static const char *rpc_error_message(const json_t *resp) {
    return json_string_value(json_object_get(json_object_get(resp, "error"), "message"));
}

void rpc_assert_error(const char *body, long code, const char *needle) {
    json_t *r = rpc_call(body, NULL);
    assert_non_null(r);
    assert_int_equal(rpc_error_code(r), code);
    if (needle && !strstr(rpc_error_message(r), needle))
        fail_msg("message '%s' lacks '%s'", rpc_error_message(r), needle);
    json_decref(r);
}

const char rpc_quote_req[] = "{\"jsonrpc\":\"2.0\",\"method\":\"tee_generateQuote\",\"id\":1}";

kt_rpc_stats rpc_stats(void) {
    kt_rpc_stats st;
    kt_rpc_server_stats(rpc_server, &st);
    return st;
}

/*
 * The exact answer text for a state from ../shared/vectors/katana-report-data.json (matched
 * by its literal state_root and block_hash): the report data is the vector's, and the mock
 * quote is built here from Katana's mock format ("MOCK" || report data || u32 LE of the sum
 * of the preceding bytes), not by the library under test.
 */
char *rpc_expected_answer(const char *id, uint64_t number, const char *hash, const char *root) {
    json_t *v = kt_test_load_json("vectors/katana-report-data.json");
    const char *rd = NULL;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(v, "cases"), i, c) {
        if (strcmp(json_string_value(json_object_get(c, "state_root")), root) == 0 &&
            strcmp(json_string_value(json_object_get(c, "block_hash")), hash) == 0)
            rd = json_string_value(json_object_get(c, "report_data"));
    }
    if (!rd)
        fail_msg("no vector for state_root %s, block_hash %s", root, hash);
    unsigned sum = 'M' + 'O' + 'C' + 'K';
    for (size_t k = 0; k < 128; k += 2) {
        unsigned byte;
        sscanf(rd + k, "%2x", &byte);
        sum += byte;
    }
    char *out = malloc(4096);
    snprintf(out, 4096,
             "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":{\"quote\":\"0x4d4f434b%s%02x%02x%02x%02x\","
             "\"stateRoot\":\"%s\",\"blockHash\":\"%s\",\"blockNumber\":%llu}}",
             id, rd, sum & 0xff, (sum >> 8) & 0xff, (sum >> 16) & 0xff, sum >> 24, root, hash,
             (unsigned long long)number);
    json_decref(v);
    return out;
}
