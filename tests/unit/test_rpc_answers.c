/*
 * The JSON-RPC server's answer to tee_generateQuote, byte for byte against the shared v0
 * vectors: the node's latest block, a block id parameter, and a state file as the source.
 */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "katana_tee/hex.h"
#include "katana_tee/quote.h"
#include "rpc/node.h"
#include "rpc/server.h"
#include "rpc_harness.h"
#include "util/fileio.h"

static void test_generate_quote(void **state) {
    (void)state;
    kt_rpc_opts o = {.node_url = rpc_node.url};
    rpc_start_server(&o);
    unsigned before = rpc_node_block_calls();
    /* leading zeros and upper case from the node come back canonical */
    rpc_node_set(RPC_NODE_OK, 5, "0x009D5A2699A8E04E928948106512B301FF69C94B21BBB92BDFB718271BC4B9A9", "0x0E2EE9416EA4E8BFB");
    long status;
    char *text = rpc_post_raw(rpc_server_url, rpc_quote_req, strlen(rpc_quote_req), "application/json", &status);
    assert_int_equal(status, 200);
    char *want = rpc_expected_answer("1", 5, "0x9d5a2699a8e04e928948106512b301ff69c94b21bbb92bdfb718271bc4b9a9", "0xe2ee9416ea4e8bfb");
    assert_string_equal(text, want); /* byte for byte: names, order, types */
    free(want);
    free(text);
    assert_int_equal(rpc_node_block_calls() - before, 1); /* ONE node call */
    pthread_mutex_lock(&rpc_node.mu);
    json_t *sent = json_loads(rpc_node.last_body, 0, NULL);
    pthread_mutex_unlock(&rpc_node.mu);
    assert_string_equal(json_string_value(json_object_get(sent, "method")),
                        "starknet_getBlockWithTxHashes");
    assert_string_equal(json_string_value(json_object_get(json_object_get(sent, "params"), "block_id")),
                        "latest");
    json_decref(sent);

    /* the quote decodes, and its report data is the v0 commitment of the returned state */
    json_t *r = rpc_call(rpc_quote_req, NULL);
    const char *qhex = json_string_value(json_object_get(json_object_get(r, "result"), "quote"));
    kt_quote *q = NULL;
    assert_int_equal(kt_quote_decode((const uint8_t *)qhex, strlen(qhex), &q, NULL), KT_OK);
    assert_int_equal(q->kind, KT_QUOTE_MOCK);
    uint8_t rd[64]; /* the vector's report data for this state */
    size_t rdlen = 0;
    static const char want_rd[] = "05028d1f6cb97dd9e57094bc101ac17815c3f2845fc6c3d3ec597dc9ec978e50"
                                  "0000000000000000000000000000000000000000000000000000000000000000";
    assert_int_equal(kt_hex_decode(want_rd, 128, rd, sizeof rd, &rdlen, "rd", NULL), KT_OK);
    assert_memory_equal(q->mock_report_data, rd, 64);
    kt_quote_free(&q);
    json_decref(r);

    /* string ids and empty params forms */
    r = rpc_call("{\"jsonrpc\":\"2.0\",\"method\":\"tee_generateQuote\",\"params\":[],\"id\":\"abc\"}", NULL);
    assert_string_equal(json_string_value(json_object_get(r, "id")), "abc");
    assert_non_null(json_object_get(r, "result"));
    json_decref(r);
    r = rpc_call("{\"jsonrpc\":\"2.0\",\"method\":\"tee_generateQuote\",\"params\":{},\"id\":null}", NULL);
    assert_true(json_is_null(json_object_get(r, "id")));
    assert_non_null(json_object_get(r, "result"));
    json_decref(r);
    rpc_stop_server();
}

static void test_block_id_extension(void **state) {
    (void)state;
    kt_rpc_opts o = {.node_url = rpc_node.url};
    rpc_start_server(&o);
    json_t *r = rpc_call("{\"jsonrpc\":\"2.0\",\"method\":\"tee_generateQuote\",\"params\":[{\"block_number\":5}],\"id\":2}", NULL);
    assert_non_null(json_object_get(r, "result"));
    json_decref(r);
    pthread_mutex_lock(&rpc_node.mu);
    json_t *sent = json_loads(rpc_node.last_body, 0, NULL);
    pthread_mutex_unlock(&rpc_node.mu);
    json_t *bid = json_object_get(json_object_get(sent, "params"), "block_id");
    assert_int_equal(json_integer_value(json_object_get(bid, "block_number")), 5);
    json_decref(sent);

    r = rpc_call("{\"jsonrpc\":\"2.0\",\"method\":\"tee_generateQuote\",\"params\":{\"block_id\":{\"block_hash\":\"0x9D5A2699A8E04E928948106512B301FF69C94B21BBB92BDFB718271BC4B9A9\"}},\"id\":3}", NULL);
    assert_non_null(json_object_get(r, "result"));
    json_decref(r);
    pthread_mutex_lock(&rpc_node.mu);
    sent = json_loads(rpc_node.last_body, 0, NULL);
    pthread_mutex_unlock(&rpc_node.mu);
    bid = json_object_get(json_object_get(sent, "params"), "block_id");
    assert_string_equal(json_string_value(json_object_get(bid, "block_hash")), "0x9d5a2699a8e04e928948106512b301ff69c94b21bbb92bdfb718271bc4b9a9");
    json_decref(sent);

    rpc_assert_error("{\"jsonrpc\":\"2.0\",\"method\":\"tee_generateQuote\",\"params\":[\"pending\"],\"id\":4}",
                 -32602, "never attested");
    rpc_assert_error("{\"jsonrpc\":\"2.0\",\"method\":\"tee_generateQuote\",\"params\":[\"latest\",1],\"id\":4}",
                 -32602, "at most one");
    rpc_assert_error("{\"jsonrpc\":\"2.0\",\"method\":\"tee_generateQuote\",\"params\":{\"block\":1},\"id\":4}",
                 -32602, "unknown parameter");
    rpc_assert_error("{\"jsonrpc\":\"2.0\",\"method\":\"tee_generateQuote\",\"params\":[{\"block_number\":-1}],\"id\":4}",
                 -32602, "negative");
    rpc_assert_error("{\"jsonrpc\":\"2.0\",\"method\":\"tee_generateQuote\",\"params\":[{\"block_hash\":\"0x8000000000000110000000000000000000000000000000000000000000000001\"}],\"id\":4}",
                 -32602, "prime");
    rpc_assert_error("{\"jsonrpc\":\"2.0\",\"method\":\"tee_generateQuote\",\"params\":[7],\"id\":4}",
                 -32602, "block id");
    rpc_stop_server();
}

static void test_state_file(void **state) {
    (void)state;
    char *dir = kt_test_mkdtemp();
    char path[512];
    snprintf(path, sizeof path, "%s/state.json", dir);
    static const char s1[] = "{\"stateRoot\":\"0xe2ee9416ea4e8bfb\",\"blockHash\":\"0x9d5a2699a8e04e928948106512b301ff69c94b21bbb92bdfb718271bc4b9a9\",\"blockNumber\":5}";
    assert_int_equal(kt_file_write_atomic(path, s1, strlen(s1), 0644, NULL), KT_OK);
    kt_rpc_opts o = {.state_path = path};
    rpc_start_server(&o);
    int hs;
    char *out;
    size_t len;
    kt_rpc_server_handle(rpc_server, (const uint8_t *)rpc_quote_req, strlen(rpc_quote_req), &hs, &out, &len);
    char *want = rpc_expected_answer("1", 5, "0x9d5a2699a8e04e928948106512b301ff69c94b21bbb92bdfb718271bc4b9a9", "0xe2ee9416ea4e8bfb");
    assert_string_equal(out, want);
    free(want);
    free(out);
    /* the file changes: the next request sees the new block */
    static const char s2[] = "{\"blockNumber\":\"0x6\",\"stateRoot\":\"0x1\",\"blockHash\":\"2\",\"note\":1}";
    assert_int_equal(kt_file_write_atomic(path, s2, strlen(s2), 0644, NULL), KT_OK);
    kt_rpc_server_handle(rpc_server, (const uint8_t *)rpc_quote_req, strlen(rpc_quote_req), &hs, &out, &len);
    want = rpc_expected_answer("1", 6, "0x2", "0x1");
    assert_string_equal(out, want);
    free(want);
    free(out);
    /* a broken file is an error (not the old state), fixed again it is read again */
    static const char s3[] = "{\"stateRoot\":\"0x5748\",\"blockNumber\":6}";
    assert_int_equal(kt_file_write_atomic(path, s3, strlen(s3), 0644, NULL), KT_OK);
    kt_rpc_server_handle(rpc_server, (const uint8_t *)rpc_quote_req, strlen(rpc_quote_req), &hs, &out, &len);
    assert_non_null(strstr(out, "\"code\":102"));
    assert_non_null(strstr(out, "no blockHash"));
    free(out);
    assert_int_equal(kt_file_write_atomic(path, s1, strlen(s1), 0644, NULL), KT_OK);
    kt_rpc_server_handle(rpc_server, (const uint8_t *)rpc_quote_req, strlen(rpc_quote_req), &hs, &out, &len);
    assert_non_null(strstr(out, "\"blockNumber\":5"));
    free(out);
    static const char other[] = "{\"jsonrpc\":\"2.0\",\"method\":\"tee_generateQuote\",\"params\":[{\"block_number\":4}],\"id\":1}";
    kt_rpc_server_handle(rpc_server, (const uint8_t *)other, strlen(other), &hs, &out, &len);
    assert_non_null(strstr(out, "holds block 5, not block 4"));
    free(out);
    rpc_stop_server();
    kt_test_rmtree(dir);
    free(dir);

    kt_block_state bs;
    kt_error err = {0};
    static const char *const bad[] = {
        "[]", "{\"stateRoot\":5,\"blockHash\":\"0x1\",\"blockNumber\":1}",
        "{\"stateRoot\":\"0x1\",\"blockHash\":\"0x1\",\"blockNumber\":-1}",
        "{\"stateRoot\":\"0x1\",\"blockHash\":\"0x1\",\"blockNumber\":\"0x10000000000000000\"}",
        "{\"stateRoot\":\"0x1\",\"blockHash\":\"0x1\"}", "{",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_not_equal(kt_state_parse((const uint8_t *)bad[i], strlen(bad[i]), &bs, &err), KT_OK);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_generate_quote, rpc_reset),
        cmocka_unit_test_setup(test_block_id_extension, rpc_reset),
        cmocka_unit_test_setup(test_state_file, rpc_reset),
    };
    return cmocka_run_group_tests(tests, rpc_node_setup, rpc_node_teardown);
}
