/*
 * The JSON-RPC server when its sources fail: a node that answers garbage, errors, pending
 * blocks or nothing at all; node answers the block parser refuses; an attester that fails
 * (and a failure that is not cached).
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rpc/node.h"
#include "rpc_harness.h"

static void test_provider_errors(void **state) {
    (void)state;
    kt_rpc_opts o = {.node_url = rpc_node.url};
    rpc_start_server(&o);
    rpc_node_set(RPC_NODE_GARBAGE, 5, "0x1", "0x2");
    rpc_assert_error(rpc_quote_req, 102, "Provider error: node answer to starknet_getBlockWithTxHashes is not JSON");
    rpc_node_set(RPC_NODE_PENDING, 5, "0x1", "0x2");
    rpc_assert_error(rpc_quote_req, 102, "pending");
    rpc_node_set(RPC_NODE_PRE_CONFIRMED, 6, "0x1", "0x2");
    rpc_assert_error(rpc_quote_req, 102, "PRE_CONFIRMED");
    rpc_node_set(RPC_NODE_RPC_ERROR, 5, "0x1", "0x2");
    rpc_assert_error(rpc_quote_req, 102, "error 24: Block not found");
    rpc_node_set(RPC_NODE_HTTP_500, 5, "0x1", "0x2");
    rpc_assert_error(rpc_quote_req, 102, "HTTP 500");
    rpc_node_set(RPC_NODE_WRONG_ID, 5, "0x1", "0x2");
    rpc_assert_error(rpc_quote_req, 102, "wrong id");
    rpc_node_set(RPC_NODE_OK, 5, "0x1", "0x800000000000011000000000000000000000000000000000000000000000001");
    rpc_assert_error(rpc_quote_req, 102, "new_root");
    assert_int_equal(atomic_load(&rpc_fake.calls), 0); /* nothing was attested */
    rpc_stop_server();

    /* node down: a port with no listener */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t sl = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    close(fd);
    char dead[64];
    snprintf(dead, sizeof dead, "http://127.0.0.1:%u", ntohs(sa.sin_port));
    kt_rpc_opts o2 = {.node_url = dead};
    rpc_start_server(&o2);
    rpc_assert_error(rpc_quote_req, 102, "Provider error: POST http://127.0.0.1");
    char *h = kt_rpc_server_health(rpc_server, NULL);
    json_t *hj = json_loads(h, 0, NULL);
    assert_true(json_is_false(json_object_get(json_object_get(hj, "node"), "reachable")));
    assert_string_equal(json_string_value(json_object_get(hj, "status")), "unavailable");
    json_decref(hj);
    free(h);
    rpc_stop_server();
}

static void test_node_parse(void **state) {
    (void)state;
    kt_block_state bs;
    kt_error err = {0};
    static const char good[] = "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"status\":\"ACCEPTED_ON_L1\","
                               "\"block_hash\":\"0x10\",\"block_number\":3,\"new_root\":\"0x0\"}}";
    assert_int_equal(kt_node_parse_block((const uint8_t *)good, strlen(good), 7, &bs, &err), KT_OK);
    assert_int_equal(bs.block_number, 3);
    assert_int_equal(bs.block_hash.limb[0], 16);
    assert_int_equal(kt_node_parse_block((const uint8_t *)good, strlen(good), 8, &bs, &err), KT_E_PARSE);
    static const struct {
        const char *text;
        kt_status st;
        const char *needle;
    } bad[] = {
        {"{\"id\":7,\"result\":{}}", KT_E_PARSE, "JSON-RPC 2.0"},
        {"[]", KT_E_PARSE, "response object"},
        {"{\"jsonrpc\":\"2.0\",\"id\":7}", KT_E_PARSE, "neither"},
        {"{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":[]}", KT_E_PARSE, "block object"},
        {"{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"block_hash\":\"0x1\",\"new_root\":\"0x1\",\"block_number\":-3}}", KT_E_PARSE, "negative"},
        {"{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"block_hash\":\"0x1\",\"new_root\":\"0x1\",\"block_number\":1.5}}", KT_E_PARSE, "block_number"},
        {"{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"block_hash\":\"16\",\"new_root\":\"0x1\",\"block_number\":1}}", KT_E_PARSE, "0x-prefixed"},
        {"{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"block_hash\":\"0x1\",\"block_number\":1}}", KT_E_PARSE, "new_root"},
        {"{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"block_hash\":\"0x1\",\"new_root\":\"0xzz\",\"block_number\":1}}", KT_E_PARSE, "new_root"},
        {"{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"status\":\"REJECTED\",\"block_hash\":\"0x1\",\"new_root\":\"0x1\",\"block_number\":1}}", KT_E_UNSUPPORTED, "REJECTED"},
        {"{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"status\":\"PENDING\",\"block_hash\":\"0x1\",\"new_root\":\"0x1\",\"block_number\":1}}", KT_E_UNSUPPORTED, "pending"},
        {"{\"jsonrpc\":\"2.0\",\"id\":7,\"id\":7,\"result\":{}}", KT_E_PARSE, "duplicate"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kt_error e = {0};
        kt_status st = kt_node_parse_block((const uint8_t *)bad[i].text, strlen(bad[i].text), 7, &bs, &e);
        if (st != bad[i].st || !strstr(e.message, bad[i].needle))
            fail_msg("case %zu: %s (%s), want %s", i, kt_status_name(st), e.message, bad[i].needle);
    }
}

static void test_attester_errors(void **state) {
    (void)state;
    kt_rpc_opts o = {.node_url = rpc_node.url};
    rpc_start_server(&o);
    rpc_fake.fail = KT_E_NO_DEVICE;
    rpc_assert_error(rpc_quote_req, 100, "TEE not available: no /dev/sev-guest");
    rpc_fake.fail = KT_E_DEVICE;
    rpc_assert_error(rpc_quote_req, 101, "Quote generation failed: firmware returned status 0x16");
    /* a failure is not cached: the next request tries again and succeeds */
    rpc_fake.fail = KT_OK;
    json_t *r = rpc_call(rpc_quote_req, NULL);
    assert_non_null(json_object_get(r, "result"));
    json_decref(r);
    assert_int_equal(atomic_load(&rpc_fake.calls), 3);
    rpc_stop_server();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_provider_errors, rpc_reset),
        cmocka_unit_test_setup(test_node_parse, rpc_reset),
        cmocka_unit_test_setup(test_attester_errors, rpc_reset),
    };
    return cmocka_run_group_tests(tests, rpc_node_setup, rpc_node_teardown);
}
