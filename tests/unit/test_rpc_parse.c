/*
 * The RPC service's own parsers, without a server: the node URL origin and message
 * scrubbing (what clients and logs may see of a node URL), and v1 block objects and
 * v1 state files (Starknet BLOCK_WITH_RECEIPTS), with a negative case for each refusal.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "rpc/server_impl.h"
#include "rpc/v1_state.h"
#include "util/error.h"

/* ---- the node URL as clients see it; v1 block objects ---------------------------------------- */

static void test_node_origin(void **state) {
    (void)state;
    static const struct {
        const char *url, *origin;
    } good[] = {
        {"http://127.0.0.1:5050", "http://127.0.0.1:5050"},
        {"HTTPS://user:pw@node.example:443/v1/KEY?token=T#f", "https://node.example:443"},
        {"http://[::1]:8545/rpc", "http://[::1]:8545"},
        {"http://a@b@host/x", "http://host"},
    };
    char out[300];
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        kt_error err = {0};
        assert_int_equal(kt_rpc_node_origin(good[i].url, out, sizeof out, &err), KT_OK);
        assert_string_equal(out, good[i].origin);
    }
    static const char *const bad[] = {"ftp://x", "x", "http://", "http://:80", "http://h:0",
                                      "http://h:99999", "http://h:8x", "http://[::1", "http://h h/",
                                      "file:///etc/passwd"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kt_error err = {0};
        assert_int_equal(kt_rpc_node_origin(bad[i], out, sizeof out, &err), KT_E_INVALID_ARG);
        assert_true(err.message[0] != '\0');
    }
    kt_error e = {0};
    kt_fail(&e, KT_E_NETWORK, "POST http://h:1/p?token=SECRET failed; again http://h:1/p?token=SECRET");
    kt_rpc_scrub(&e, "http://h:1/p?token=SECRET", "http://h:1");
    assert_string_equal(e.message, "POST http://h:1 failed; again http://h:1");
}

static void v1_block_refused(const char *text, kt_status want, const char *needle) {
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    kt_v1_block b;
    kt_error err = {0};
    kt_status st = kt_v1_block_parse(j, "block", &b, &err);
    kt_v1_block_free(&b);
    json_decref(j);
    if (st != want || !strstr(err.message, needle))
        fail_msg("'%s': %s (%s), want %s with '%s'", text, kt_status_name(st), err.message,
                 kt_status_name(want), needle);
}

#define HDR "\"block_number\":3,\"block_hash\":\"0x1\",\"new_root\":\"0x2\""
#define L1H_TX "{\"type\":\"L1_HANDLER\",\"contract_address\":\"0x7\",\"entry_point_selector\":\"0x8\",\"calldata\":[\"0x9\",\"0xa\"],\"nonce\":\"0x1\"}"

static void test_v1_block_parse(void **state) {
    (void)state;
    /* a block with an event, an L2->L1 message and an L1 handler */
    static const char ok[] =
        "{" HDR ",\"transactions\":[{\"transaction\":" L1H_TX ",\"receipt\":{\"type\":\"L1_HANDLER\","
        "\"transaction_hash\":\"0xa2\",\"message_hash\":\"0xff\",\"messages_sent\":[{\"from_address\":"
        "\"0x7\",\"to_address\":\"0xb\",\"payload\":[\"0xc\",\"0xd\"]}],\"events\":[{\"from_address\":"
        "\"0x5\",\"keys\":[\"0x1\"],\"data\":[]}]}}]}";
    json_t *j = json_loads(ok, 0, NULL);
    kt_v1_block b;
    kt_error err = {0};
    assert_int_equal(kt_v1_block_parse(j, "block", &b, &err), KT_OK);
    json_decref(j);
    assert_int_equal(b.number, 3);
    assert_int_equal(b.n_events, 1);
    assert_int_equal(b.events[0].tx_hash.limb[0], 0xa2);
    assert_int_equal(b.n_l2_to_l1, 1);
    assert_int_equal(b.l2_to_l1[0].payload.len, 2);
    assert_int_equal(b.n_l1_to_l2_hashes, 1);
    assert_int_equal(b.l1_to_l2_hashes[0].limb[0], 0xff);
    assert_int_equal(b.n_l1_to_l2, 1);
    assert_int_equal(b.l1_to_l2[0].from_address.limb[0], 0x9); /* calldata[0] */
    assert_int_equal(b.l1_to_l2[0].payload.len, 1);
    assert_false(b.has_events_commitment);
    kt_v1_block_free(&b);

    v1_block_refused("[]", KT_E_PARSE, "not a block object");
    v1_block_refused("{\"block_number\":3,\"new_root\":\"0x2\",\"transactions\":[]}", KT_E_UNSUPPORTED, "pending");
    v1_block_refused("{" HDR ",\"status\":\"PRE_CONFIRMED\",\"transactions\":[]}", KT_E_UNSUPPORTED, "pending");
    v1_block_refused("{" HDR ",\"status\":\"REJECTED\",\"transactions\":[]}", KT_E_UNSUPPORTED, "REJECTED");
    v1_block_refused("{" HDR "}", KT_E_PARSE, "receipts needed");
    v1_block_refused("{\"block_number\":-1,\"block_hash\":\"0x1\",\"new_root\":\"0x2\",\"transactions\":[]}",
                     KT_E_PARSE, "negative");
    v1_block_refused("{\"block_number\":3,\"block_hash\":\"1\",\"new_root\":\"0x2\",\"transactions\":[]}",
                     KT_E_PARSE, "block_hash");
    v1_block_refused("{" HDR ",\"events_commitment\":7,\"transactions\":[]}", KT_E_PARSE, "events_commitment");
    v1_block_refused("{" HDR ",\"transactions\":[{\"receipt\":{}}]}", KT_E_PARSE, "{transaction, receipt}");
    v1_block_refused("{" HDR ",\"transactions\":[{\"transaction\":{\"type\":\"INVOKE\"},\"receipt\":{\"type\":"
                     "\"INVOKE\"}}]}", KT_E_PARSE, "transaction_hash");
    v1_block_refused("{" HDR ",\"transactions\":[{\"transaction\":{\"type\":\"INVOKE\"},\"receipt\":{\"type\":"
                     "\"L1_HANDLER\",\"transaction_hash\":\"0x1\"}}]}", KT_E_PARSE, "receipt type");
    v1_block_refused("{" HDR ",\"transactions\":[{\"transaction\":{\"type\":\"INVOKE\"},\"receipt\":{\"type\":"
                     "\"INVOKE\",\"transaction_hash\":\"0x1\",\"events\":[{\"from_address\":\"0x1\",\"keys\":"
                     "[\"0x800000000000011000000000000000000000000000000000000000000000001\"],\"data\":[]}]}}]}",
                     KT_E_RANGE, "keys[0]");
    v1_block_refused("{" HDR ",\"transactions\":[{\"transaction\":{\"type\":\"INVOKE\"},\"receipt\":{\"type\":"
                     "\"INVOKE\",\"transaction_hash\":\"0x1\",\"messages_sent\":[{\"from_address\":\"0x1\","
                     "\"to_address\":\"0x2\",\"payload\":\"0x3\"}]}}]}", KT_E_PARSE, "payload is not an array");
    v1_block_refused("{" HDR ",\"transactions\":[{\"transaction\":" L1H_TX ",\"receipt\":{\"type\":"
                     "\"L1_HANDLER\",\"transaction_hash\":\"0x1\"}}]}", KT_E_PARSE, "message_hash");
    v1_block_refused("{" HDR ",\"transactions\":[{\"transaction\":{\"type\":\"L1_HANDLER\",\"contract_address\":"
                     "\"0x7\",\"entry_point_selector\":\"0x8\",\"calldata\":[],\"nonce\":\"0x1\"},\"receipt\":"
                     "{\"type\":\"L1_HANDLER\",\"transaction_hash\":\"0x1\",\"message_hash\":\"0x1\"}}]}",
                     KT_E_PARSE, "calldata is empty");

    /* the state file: a set of such blocks, each number once */
    static const char twice[] = "{\"blocks\":[{" HDR ",\"transactions\":[]},{" HDR ",\"transactions\":[]}]}";
    kt_v1_state vs;
    assert_int_equal(kt_v1_state_parse((const uint8_t *)twice, strlen(twice), &vs, &err), KT_E_PARSE);
    assert_non_null(strstr(err.message, "block 3 twice"));
    static const char one[] = "{\"blocks\":[{" HDR ",\"transactions\":[]}]}";
    assert_int_equal(kt_v1_state_parse((const uint8_t *)one, strlen(one), &vs, &err), KT_OK);
    assert_non_null(kt_v1_state_find(&vs, 3));
    assert_null(kt_v1_state_find(&vs, 4));
    kt_v1_state_free(&vs);
    assert_int_equal(kt_v1_state_parse((const uint8_t *)"{}", 2, &vs, &err), KT_E_PARSE);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_origin),
        cmocka_unit_test(test_v1_block_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
