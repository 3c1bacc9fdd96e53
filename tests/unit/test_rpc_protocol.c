/*
 * The JSON-RPC server's protocol layers: JSON-RPC 2.0 errors and batches (limits,
 * notifications), the HTTP layer (body limit, content types, methods, /health, binding),
 * and proxying of non-tee methods to the node byte for byte.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "rpc_harness.h"

static void test_jsonrpc_errors(void **state) {
    (void)state;
    kt_rpc_opts o = {.node_url = rpc_node.url, .max_batch = 3};
    rpc_start_server(&o);
    rpc_assert_error("{\"jsonrpc\":\"2.0\",", -32700, "Parse error");
    rpc_assert_error("{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"method\":\"y\",\"id\":1}", -32700, "duplicate");
    rpc_assert_error("{\"jsonrpc\":\"1.0\",\"method\":\"tee_generateQuote\",\"id\":1}", -32600, "jsonrpc");
    rpc_assert_error("{\"method\":\"tee_generateQuote\",\"id\":1}", -32600, "jsonrpc");
    rpc_assert_error("{\"jsonrpc\":\"2.0\",\"id\":1}", -32600, "no method");
    rpc_assert_error("{\"jsonrpc\":\"2.0\",\"method\":5,\"id\":1}", -32600, "method");
    rpc_assert_error("{\"jsonrpc\":\"2.0\",\"method\":\"tee_generateQuote\",\"id\":[1]}", -32600, "id");
    rpc_assert_error("{\"jsonrpc\":\"2.0\",\"method\":\"tee_generateQuote\",\"params\":5,\"id\":1}", -32600, "params");
    rpc_assert_error("{\"jsonrpc\":\"2.0\",\"method\":\"tee_generateQuote\",\"id\":1,\"extra\":1}", -32600, "extra");
    rpc_assert_error("42", -32600, "not a JSON-RPC request");
    rpc_assert_error("[]", -32600, "empty batch");
    rpc_assert_error("[1,2,3,4]", -32600, "limit of 3");
    rpc_assert_error("{\"jsonrpc\":\"2.0\",\"method\":\"starknet_chainId\",\"id\":1}", -32601, "starknet_chainId");
    rpc_assert_error("{\"jsonrpc\":\"2.0\",\"method\":\"tee_other\",\"id\":1}", -32601, "tee_other");

    /* the request id comes back as sent, on errors too */
    json_t *r = rpc_call("{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":\"x-1\"}", NULL);
    assert_string_equal(json_string_value(json_object_get(r, "id")), "x-1");
    json_decref(r);

    /* a mixed batch: answers in order, invalid entries answered, notifications not */
    long status;
    r = rpc_call("[{\"jsonrpc\":\"2.0\",\"method\":\"tee_generateQuote\",\"id\":1},"
             "{\"jsonrpc\":\"2.0\",\"method\":\"tee_generateQuote\"},"
             "\"junk\","
             "{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":2}]",
             &status);
    assert_int_equal(rpc_error_code(r), -32600); /* 4 calls: over the limit of 3 */
    json_decref(r);
    rpc_stop_server();

    kt_rpc_opts o2 = {.node_url = rpc_node.url};
    rpc_start_server(&o2);
    r = rpc_call("[{\"jsonrpc\":\"2.0\",\"method\":\"tee_generateQuote\",\"id\":1},"
             "{\"jsonrpc\":\"2.0\",\"method\":\"tee_generateQuote\"},"
             "\"junk\","
             "{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":2}]",
             &status);
    assert_int_equal(status, 200);
    assert_true(json_is_array(r));
    assert_int_equal(json_array_size(r), 3);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(r, 0), "id")), 1);
    assert_non_null(json_object_get(json_array_get(r, 0), "result"));
    assert_int_equal(rpc_error_code(json_array_get(r, 1)), -32600);
    assert_true(json_is_null(json_object_get(json_array_get(r, 1), "id")));
    assert_int_equal(rpc_error_code(json_array_get(r, 2)), -32601);
    json_decref(r);
    /* notifications only: nothing to answer, and no attestation spent */
    unsigned calls = atomic_load(&rpc_fake.calls);
    r = rpc_call("{\"jsonrpc\":\"2.0\",\"method\":\"tee_generateQuote\"}", &status);
    assert_null(r);
    assert_int_equal(status, 200);
    r = rpc_call("[{\"jsonrpc\":\"2.0\",\"method\":\"nope\"}]", &status);
    assert_null(r);
    assert_int_equal(atomic_load(&rpc_fake.calls), calls);
    rpc_stop_server();
}

static void test_http_layer(void **state) {
    (void)state;
    kt_rpc_opts o = {.node_url = rpc_node.url, .max_body = 256};
    rpc_start_server(&o);
    long status;
    char big[1024];
    memset(big, ' ', sizeof big);
    memcpy(big, rpc_quote_req, strlen(rpc_quote_req));
    char *t = rpc_post_raw(rpc_server_url, big, sizeof big, "application/json", &status);
    assert_int_equal(status, 413);
    assert_non_null(strstr(t, "exceeds the limit of 256"));
    free(t);
    t = rpc_post_raw(rpc_server_url, rpc_quote_req, strlen(rpc_quote_req), "text/plain", &status);
    assert_int_equal(status, 415);
    free(t);
    t = rpc_post_raw(rpc_server_url, rpc_quote_req, strlen(rpc_quote_req), "application/json; charset=utf-8", &status);
    assert_int_equal(status, 200);
    free(t);

    kt_http_response resp;
    kt_error err = {0};
    kt_http_request get = {.url = rpc_server_url};
    assert_int_equal(kt_http_perform(&get, &resp, &err), KT_OK);
    assert_int_equal(resp.status, 405);
    kt_http_response_free(&resp);
    char hurl[96];
    snprintf(hurl, sizeof hurl, "%shealth", rpc_server_url);
    get.url = hurl;
    rpc_wait_settled();
    assert_int_equal(kt_http_perform(&get, &resp, &err), KT_OK);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.content_type, "application/json");
    json_t *h = json_loads((char *)resp.body.data, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(json_object_get(h, "attester"), "name")), "fake");
    assert_string_equal(json_string_value(json_object_get(h, "source")), "node");
    assert_non_null(json_object_get(json_object_get(h, "stats"), "attestations"));
    json_decref(h);
    kt_http_response_free(&resp);

    /* a second server on the same port cannot bind, and says why */
    char taken[64];
    snprintf(taken, sizeof taken, "127.0.0.1:%u", kt_rpc_server_port(rpc_server));
    kt_rpc_opts o2 = {.node_url = rpc_node.url, .attester = &rpc_fake_attester, .listen = taken};
    kt_rpc_server *second = NULL;
    assert_int_equal(kt_rpc_server_start(&o2, &second, &err), KT_E_IO);
    assert_non_null(strstr(err.message, taken));
    assert_null(second);
    rpc_stop_server();

    kt_rpc_opts bad = {.attester = &rpc_fake_attester};
    assert_int_equal(kt_rpc_server_start(&bad, &second, &err), KT_E_INVALID_ARG);
    bad.node_url = rpc_node.url;
    bad.listen = "127.0.0.1";
    assert_int_equal(kt_rpc_server_start(&bad, &second, &err), KT_E_INVALID_ARG);
    bad.listen = "127.0.0.1:99999";
    assert_int_equal(kt_rpc_server_start(&bad, &second, &err), KT_E_INVALID_ARG);
    bad.listen = NULL;
    bad.state_path = "/nonexistent";
    assert_int_equal(kt_rpc_server_start(&bad, &second, &err), KT_E_INVALID_ARG);
}

static void test_proxy(void **state) {
    (void)state;
    kt_rpc_opts o = {.node_url = rpc_node.url, .proxy = true};
    rpc_start_server(&o);
    static const char chain_id[] = "{\"jsonrpc\":\"2.0\",\"method\":\"starknet_chainId\",\"id\":9}";
    long status;
    char *t = rpc_post_raw(rpc_server_url, chain_id, strlen(chain_id), "application/json", &status);
    assert_int_equal(status, 200);
    assert_string_equal(t, "{ \"jsonrpc\": \"2.0\", \"id\": 9, \"result\": \"0x4b4154414e41\" }");
    free(t);
    /* tee_* is ours even when proxying */
    rpc_assert_error("{\"jsonrpc\":\"2.0\",\"method\":\"tee_other\",\"id\":1}", -32601, "tee_other");
    /* in a batch, proxied entries come back in place */
    json_t *r = rpc_call("[{\"jsonrpc\":\"2.0\",\"method\":\"starknet_chainId\",\"id\":1},"
                     "{\"jsonrpc\":\"2.0\",\"method\":\"tee_generateQuote\",\"id\":2}]",
                     &status);
    assert_int_equal(json_array_size(r), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(r, 0), "result")),
                        "0x4b4154414e41");
    assert_non_null(json_object_get(json_array_get(r, 1), "result"));
    json_decref(r);
    assert_int_equal(rpc_stats().proxied, 2);
    rpc_stop_server();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_jsonrpc_errors, rpc_reset),
        cmocka_unit_test_setup(test_http_layer, rpc_reset),
        cmocka_unit_test_setup(test_proxy, rpc_reset),
    };
    return cmocka_run_group_tests(tests, rpc_node_setup, rpc_node_teardown);
}
