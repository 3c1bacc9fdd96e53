/*
 * The JSON-RPC server under concurrency: the quote cache, one attestation shared by
 * simultaneous requests (its failure too), a load of concurrent clients with every answer
 * checked, and the bounds on held attestations (per client, and deadlines).
 */
#include "testutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/http.h"
#include "rpc_harness.h"

static void test_quote_cache(void **state) {
    (void)state;
    kt_rpc_opts o = {.node_url = rpc_node.url};
    rpc_start_server(&o);
    for (int i = 0; i < 3; i++) {
        json_t *r = rpc_call(rpc_quote_req, NULL);
        assert_non_null(json_object_get(r, "result"));
        json_decref(r);
    }
    assert_int_equal(atomic_load(&rpc_fake.calls), 1);
    assert_int_equal(rpc_stats().cache_hits, 2);
    rpc_node_set(RPC_NODE_OK, 6, "0x2a0c", "0x5748"); /* a new block: a new quote */
    json_t *r = rpc_call(rpc_quote_req, NULL);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "result"), "blockNumber")), 6);
    json_decref(r);
    assert_int_equal(atomic_load(&rpc_fake.calls), 2);
    char *h = kt_rpc_server_health(rpc_server, NULL);
    json_t *hj = json_loads(h, 0, NULL);
    json_t *last = json_object_get(hj, "lastAttested");
    assert_int_equal(json_integer_value(json_object_get(last, "blockNumber")), 6);
    assert_string_equal(json_string_value(json_object_get(last, "blockHash")), "0x2a0c");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(hj, "stats"), "attestations")), 2);
    assert_true(json_is_true(json_object_get(json_object_get(hj, "node"), "reachable")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(hj, "attester"), "name")), "fake");
    json_decref(hj);
    free(h);
    rpc_stop_server();

    kt_rpc_opts o2 = {.node_url = rpc_node.url, .no_quote_cache = true};
    rpc_start_server(&o2);
    for (int i = 0; i < 3; i++) {
        r = rpc_call(rpc_quote_req, NULL);
        json_decref(r);
    }
    assert_int_equal(atomic_load(&rpc_fake.calls), 3); /* counted from this server's start */
    rpc_stop_server();
}

typedef struct worker {
    pthread_t t;
    char *answer;
} worker;

static void *one_quote(void *arg) {
    worker *w = arg;
    long status;
    w->answer = rpc_post_raw(rpc_server_url, rpc_quote_req, strlen(rpc_quote_req), "application/json", &status);
    return NULL;
}

static void test_single_flight(void **state) {
    (void)state;
    /* no cache: sharing comes from the single flight alone */
    kt_rpc_opts o = {.node_url = rpc_node.url, .no_quote_cache = true, .threads = -1};
    rpc_start_server(&o);
    enum { N = 6 };
    rpc_fake.gate_waiters = N - 1;
    worker w[N];
    for (int i = 0; i < N; i++)
        assert_int_equal(pthread_create(&w[i].t, NULL, one_quote, &w[i]), 0);
    for (int i = 0; i < N; i++)
        pthread_join(w[i].t, NULL);
    assert_int_equal(atomic_load(&rpc_fake.calls), 1);
    kt_rpc_stats st = rpc_stats();
    assert_int_equal(st.shared, N - 1);
    assert_int_equal(st.waiting, 0);
    char *want = rpc_expected_answer("1", 5, "0x9d5a2699a8e04e928948106512b301ff69c94b21bbb92bdfb718271bc4b9a9", "0xe2ee9416ea4e8bfb");
    for (int i = 0; i < N; i++) {
        assert_string_equal(w[i].answer, want);
        free(w[i].answer);
    }
    free(want);
    /* the shared failure reaches every waiter too */
    rpc_fake.fail = KT_E_DEVICE;
    atomic_store(&rpc_fake.calls, 0);
    for (int i = 0; i < N; i++)
        assert_int_equal(pthread_create(&w[i].t, NULL, one_quote, &w[i]), 0);
    for (int i = 0; i < N; i++)
        pthread_join(w[i].t, NULL);
    assert_int_equal(atomic_load(&rpc_fake.calls), 1);
    for (int i = 0; i < N; i++) {
        assert_non_null(strstr(w[i].answer, "\"code\":101"));
        free(w[i].answer);
    }
    rpc_stop_server();
}

/* Load: concurrent clients, every answer accounted for and correct. */
enum { LOAD_THREADS = 8, LOAD_REQUESTS = 500 };

typedef struct load_worker {
    pthread_t t;
    const char *want;
    unsigned ok, bad;
} load_worker;

static void *load_run(void *arg) {
    load_worker *w = arg;
    char hurl[96];
    snprintf(hurl, sizeof hurl, "%shealth", rpc_server_url);
    static const char *const headers[] = {"Content-Type: application/json", NULL};
    for (int i = 0; i < LOAD_REQUESTS; i++) {
        bool health = i % 5 == 4;
        kt_http_request req = {.method = health ? "GET" : "POST", .url = health ? hurl : rpc_server_url,
                               .headers = headers, .body = (const uint8_t *)rpc_quote_req,
                               .body_len = strlen(rpc_quote_req)};
        kt_http_response resp;
        kt_error err = {0};
        if (kt_http_perform(&req, &resp, &err) == KT_OK && resp.status == 200 &&
            (health ? strstr((char *)resp.body.data, "\"status\":\"ok\"") != NULL
                    : strcmp((char *)resp.body.data, w->want) == 0))
            w->ok++;
        else
            w->bad++;
        kt_http_response_free(&resp);
    }
    return NULL;
}

static void test_load(void **state) {
    (void)state;
    kt_rpc_opts o = {.node_url = rpc_node.url};
    rpc_start_server(&o);
    char *want = rpc_expected_answer("1", 5, "0x9d5a2699a8e04e928948106512b301ff69c94b21bbb92bdfb718271bc4b9a9", "0xe2ee9416ea4e8bfb");
    rpc_wait_settled();
    load_worker w[LOAD_THREADS];
    for (int i = 0; i < LOAD_THREADS; i++) {
        w[i] = (load_worker){.want = want};
        assert_int_equal(pthread_create(&w[i].t, NULL, load_run, &w[i]), 0);
    }
    unsigned ok = 0, bad = 0;
    for (int i = 0; i < LOAD_THREADS; i++) {
        pthread_join(w[i].t, NULL);
        ok += w[i].ok;
        bad += w[i].bad;
    }
    free(want);
    assert_int_equal(bad, 0);
    assert_int_equal(ok, LOAD_THREADS * LOAD_REQUESTS);
    kt_rpc_stats st = rpc_stats();
    assert_int_equal(st.http_requests, LOAD_THREADS * LOAD_REQUESTS);
    assert_int_equal(st.attestations, 1);
    assert_int_equal(st.errors, 0);
    rpc_stop_server();
}

/* A held attestation: other requests are bounded per client and wait with a deadline. */
typedef struct held_call {
    pthread_t t;
    char *out;
} held_call;

static void *handle_quote(void *arg) {
    held_call *h = arg;
    int hs;
    size_t len;
    kt_rpc_server_handle(rpc_server, (const uint8_t *)rpc_quote_req, strlen(rpc_quote_req), &hs, &h->out, &len);
    return NULL;
}

static void wait_holding(void) {
    for (int i = 0; i < 2000 && !atomic_load(&rpc_fake.holding); i++) {
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_true(atomic_load(&rpc_fake.holding));
}

static void test_attest_bounds(void **state) {
    (void)state;
    kt_rpc_opts o = {.node_url = rpc_node.url, .max_attest_per_client = 1, .attest_wait_ms = 200};
    rpc_start_server(&o);
    atomic_store(&rpc_fake.hold, true);
    held_call a = {0};
    assert_int_equal(pthread_create(&a.t, NULL, handle_quote, &a), 0);
    wait_holding();
    /* the same block: waits for the held attestation, gives up at the deadline (101) */
    held_call b = {0};
    handle_quote(&b);
    assert_non_null(strstr(b.out, "\"code\":101"));
    assert_non_null(strstr(b.out, "waited 200 ms"));
    free(b.out);
    /* another block from the same client while one of its attestations runs: -32005 */
    rpc_node_set(RPC_NODE_OK, 6, "0x2", "0x1");
    held_call c = {0};
    handle_quote(&c);
    assert_non_null(strstr(c.out, "\"code\":-32005"));
    assert_non_null(strstr(c.out, "Limit exceeded: client local already has 1"));
    free(c.out);
    atomic_store(&rpc_fake.hold, false);
    pthread_join(a.t, NULL);
    assert_non_null(strstr(a.out, "\"result\""));
    free(a.out);
    assert_int_equal(atomic_load(&rpc_fake.calls), 1);
    rpc_stop_server();

    /* another client's attestation queues on the attester lock, also with a deadline */
    kt_rpc_opts o2 = {.node_url = rpc_node.url, .attest_wait_ms = 200};
    rpc_node_set(RPC_NODE_OK, 5, "0x9d5a2699a8e04e928948106512b301ff69c94b21bbb92bdfb718271bc4b9a9", "0xe2ee9416ea4e8bfb");
    rpc_start_server(&o2);
    atomic_store(&rpc_fake.hold, true);
    held_call d = {0};
    assert_int_equal(pthread_create(&d.t, NULL, handle_quote, &d), 0);
    wait_holding();
    rpc_node_set(RPC_NODE_OK, 6, "0x2", "0x1");
    long status;
    char *e = rpc_post_raw(rpc_server_url, rpc_quote_req, strlen(rpc_quote_req), "application/json", &status);
    assert_non_null(strstr(e, "\"code\":101"));
    assert_non_null(strstr(e, "the attester stayed busy for 200 ms"));
    free(e);
    atomic_store(&rpc_fake.hold, false);
    pthread_join(d.t, NULL);
    free(d.out);
    rpc_stop_server();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_quote_cache, rpc_reset),
        cmocka_unit_test_setup(test_single_flight, rpc_reset),
        cmocka_unit_test_setup(test_load, rpc_reset),
        cmocka_unit_test_setup(test_attest_bounds, rpc_reset),
    };
    return cmocka_run_group_tests(tests, rpc_node_setup, rpc_node_teardown);
}
