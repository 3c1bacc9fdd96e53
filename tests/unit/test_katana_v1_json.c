/* The v1 JSON codec: every rpc_results entry of
 * ../shared/vectors/katana-v1.json parses and renders back byte for byte;
 * the appchain/sharding results' report data matches their fields; the
 * parsers refuse what Katana would not send. */
#include "v1_vectors.h"

#include "katana_tee/katana_v1.h"

static json_t *doc;

static int load(void **state) {
    (void)state;
    doc = kt_test_load_json("vectors/katana-v1.json");
    return doc ? 0 : -1;
}

static int unload(void **state) {
    (void)state;
    json_decref(doc);
    return 0;
}

/* the mock attester's quote: "MOCK" || report data || u32 LE byte sum */
static void check_mock_quote(const kt_v1_attestation *a, const char *name) {
    assert_int_equal(a->quote_len, 72);
    assert_memory_equal(a->quote, "MOCK", 4);
    uint8_t rd[KT_REPORT_DATA_SIZE];
    kt_v1_commit_input in;
    kt_v1_attestation_commit_input(a, &in);
    kt_error err = {0};
    assert_int_equal(kt_commit_v1(&in, rd, &err), KT_OK);
    if (memcmp(rd, a->quote + 4, 64) != 0)
        fail_msg("%s: report data in the quote is not the commitment of the fields", name);
}

static void test_rpc_results_round_trip(void **state) {
    (void)state;
    json_t *cases = v1_section(doc, "rpc_results", 11);
    size_t i, quotes = 0, proofs = 0;
    json_t *c;
    json_array_foreach(cases, i, c) {
        const char *method = json_string_value(json_object_get(c, "method"));
        const char *want = json_string_value(json_object_get(c, "result_json"));
        assert_non_null(want);
        char *got = NULL;
        kt_error err = {0};
        if (strcmp(method, "tee_generateQuote") == 0) {
            kt_v1_attestation a;
            if (kt_v1_attestation_parse(want, strlen(want), &a, &err) != KT_OK)
                fail_msg("%s: %s", v1_name(c), err.message);
            json_t *ctx = json_object_get(c, "context");
            const char *mode = json_string_value(json_object_get(ctx, "mode"));
            assert_int_equal(kt_v1_attestation_mode(&a),
                             strcmp(mode, "sharding") == 0 ? KT_V1_SHARDING : KT_V1_APPCHAIN);
            check_mock_quote(&a, v1_name(c));
            /* the config hash is the chain's */
            kt_felt chain = v1_key(ctx, "chain_id"), fee = v1_key(ctx, "fee_token");
            kt_felt ch = kt_v1_config_hash(&chain, &fee);
            assert_true(kt_felt_equal(&ch, &a.katana_tee_config_hash));
            assert_int_equal(kt_v1_attestation_render(&a, &got, &err), KT_OK);
            kt_v1_attestation_free(&a);
            quotes++;
        } else {
            kt_v1_event_proof p;
            if (kt_v1_event_proof_parse(want, strlen(want), &p, &err) != KT_OK)
                fail_msg("%s: %s", v1_name(c), err.message);
            char detail[160];
            if (kt_v1_event_proof_verify(&p, detail) != KT_V1_PROOF_OK)
                fail_msg("%s: %s", v1_name(c), detail);
            assert_int_equal(kt_v1_event_proof_render(&p, &got, &err), KT_OK);
            kt_v1_event_proof_free(&p);
            proofs++;
        }
        if (strcmp(got, want) != 0)
            fail_msg("%s: renders as\n%s\nwant\n%s", v1_name(c), got, want);
        free(got);
    }
    assert_int_equal(quotes, 6);
    assert_int_equal(proofs, 5);
}

/* A whole JSON-RPC response is accepted; an error response is refused. */
static void test_envelope(void **state) {
    (void)state;
    json_t *c = json_array_get(json_object_get(doc, "rpc_results"), 0);
    json_t *resp = json_pack("{s:s, s:i, s:O}", "jsonrpc", "2.0", "id", 1, "result",
                             json_object_get(c, "result"));
    char *text = json_dumps(resp, JSON_COMPACT);
    kt_v1_attestation a;
    kt_error err = {0};
    assert_int_equal(kt_v1_attestation_parse(text, strlen(text), &a, &err), KT_OK);
    kt_v1_attestation_free(&a);
    free(text);
    json_decref(resp);
    const char *e = "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":102,\"message\":\"Provider "
                    "error: Block hash not found for block 5\"}}";
    assert_int_equal(kt_v1_attestation_parse(e, strlen(e), &a, &err), KT_E_HTTP);
    assert_non_null(strstr(err.message, "error 102"));
    assert_non_null(strstr(err.message, "block 5"));
    kt_v1_attestation_free(&a);
    const char *extra = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{},\"x\":1}";
    assert_int_equal(kt_v1_attestation_parse(extra, strlen(extra), &a, &err), KT_E_PARSE);
    kt_v1_attestation_free(&a);
}

/* Take the first generateQuote result, change one thing, expect a named refusal. */
typedef struct mutation {
    const char *key;      /* top-level key to replace (NULL: text edit below) */
    const char *value;    /* JSON text of the new value; NULL removes the key */
    const char *in_error; /* expected substring of the message */
} mutation;

static void test_attestation_refusals(void **state) {
    (void)state;
    json_t *base = json_object_get(json_array_get(json_object_get(doc, "rpc_results"), 1),
                                   "result");
    static const mutation cases[] = {
        {"stateRoot", "\"0x0abc\"", "leading zero"},
        {"stateRoot", "\"0xABC\"", "lowercase"},
        {"stateRoot", "\"abc\"", "0x-prefixed"},
        {"stateRoot", "\"0x800000000000011000000000000000000000000000000000000000000000001\"",
         "not below the Stark prime"},
        {"stateRoot", "12", "felt string"},
        {"blockNumber", "5", "felt string"},
        {"prevBlockNumber", "null", "felt string"},
        {"quote", "\"0x4d4\"", "odd number"},
        {"quote", "\"0x4D4F\"", "uppercase"},
        {"quote", "\"4d4f\"", "0x-prefixed"},
        {"blockHash", NULL, "missing key \"blockHash\""},
        {"surprise", "1", "unknown key \"surprise\""},
        {"l2ToL1Messages", "{}", "expected an array"},
        {"l2ToL1Messages", "[{\"from_address\":\"0x1\",\"to_address\":\"0x2\"}]",
         "missing key \"payload\""},
        {"l2ToL1Messages",
         "[{\"fromAddress\":\"0x1\",\"to_address\":\"0x2\",\"payload\":[]}]", "unknown key"},
        {"l2ToL1Messages", "[{\"from_address\":\"0x1\",\"to_address\":\"0x2\",\"payload\":[1]}]",
         "l2ToL1Messages[0].payload[0]"},
        {"l1ToL2Messages",
         "[{\"from_address\":\"0x1\",\"to_address\":\"0x2\",\"selector\":\"0x3\",\"payload\":[],"
         "\"nonce\":\"0x0\"}]",
         "unknown key \"selector\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *m = json_deep_copy(base);
        if (cases[i].value) {
            json_t *v = json_loads(cases[i].value, JSON_DECODE_ANY, NULL);
            assert_non_null(v);
            json_object_set_new(m, cases[i].key, v);
        } else {
            json_object_del(m, cases[i].key);
        }
        char *text = json_dumps(m, JSON_COMPACT);
        kt_v1_attestation a;
        kt_error err = {0};
        kt_status st = kt_v1_attestation_parse(text, strlen(text), &a, &err);
        if (st == KT_OK || !strstr(err.message, cases[i].in_error))
            fail_msg("case %zu (%s): status %d, message \"%s\", want \"%s\"", i, cases[i].key,
                     (int)st, err.message, cases[i].in_error);
        kt_v1_attestation_free(&a);
        free(text);
        json_decref(m);
    }
    /* duplicate keys and non-JSON */
    const char *dup = "{\"quote\":\"0x00\",\"quote\":\"0x00\"}";
    kt_v1_attestation a;
    kt_error err = {0};
    assert_int_equal(kt_v1_attestation_parse(dup, strlen(dup), &a, &err), KT_E_PARSE);
    assert_non_null(strstr(err.message, "duplicate"));
    kt_v1_attestation_free(&a);
    assert_int_equal(kt_v1_attestation_parse("[1]", 3, &a, &err), KT_E_PARSE);
    assert_int_equal(kt_v1_attestation_parse("{", 1, &a, &err), KT_E_PARSE);
    kt_v1_attestation_free(&a);
}

static void test_event_proof_refusals(void **state) {
    (void)state;
    json_t *base = json_object_get(json_array_get(json_object_get(doc, "rpc_results"), 7),
                                   "result");
    static const mutation cases[] = {
        {"blockNumber", "\"0x5\"", "JSON integer"},
        {"blockNumber", "-1", "outside"},
        {"eventsCount", "4294967296", "outside"},
        {"eventIndex", "1.0", "JSON integer"},
        {"eventHash", "\"0x01\"", "leading zero"},
        {"keys", "[\"0x1\",2]", "keys[1]"},
        {"merkleProof", "[{\"node_hash\":\"0x1\"}]", "missing key \"node\""},
        {"merkleProof", "[{\"node_hash\":\"0x1\",\"node\":{\"left\":\"0x1\"}}]",
         "missing key \"right\""},
        {"merkleProof",
         "[{\"node_hash\":\"0x1\",\"node\":{\"left\":\"0x1\",\"right\":\"0x2\",\"path\":\"0x0\"}}]",
         "unknown key \"path\""},
        {"merkleProof",
         "[{\"node_hash\":\"0x1\",\"node\":{\"path\":\"0x0\",\"length\":256,\"child\":\"0x2\"}}]",
         "length"},
        {"merkleProof", "[{\"node_hash\":\"0x1\",\"node\":[]}]", "not a JSON object"},
        {"txHash", NULL, "missing key \"txHash\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *m = json_deep_copy(base);
        if (cases[i].value) {
            json_t *v = json_loads(cases[i].value, JSON_DECODE_ANY, NULL);
            assert_non_null(v);
            json_object_set_new(m, cases[i].key, v);
        } else {
            json_object_del(m, cases[i].key);
        }
        char *text = json_dumps(m, JSON_COMPACT);
        kt_v1_event_proof p;
        kt_error err = {0};
        kt_status st = kt_v1_event_proof_parse(text, strlen(text), &p, &err);
        if (st == KT_OK || !strstr(err.message, cases[i].in_error))
            fail_msg("case %zu (%s): status %d, message \"%s\", want \"%s\"", i, cases[i].key,
                     (int)st, err.message, cases[i].in_error);
        kt_v1_event_proof_free(&p);
        free(text);
        json_decref(m);
    }
    /* too many nodes */
    json_t *m = json_deep_copy(base);
    json_t *many = json_array();
    for (int k = 0; k <= KT_V1_MAX_PROOF_NODES; k++)
        json_array_append_new(many, json_pack("{s:s, s:{s:s, s:s}}", "node_hash", "0x1", "node",
                                              "left", "0x1", "right", "0x2"));
    json_object_set_new(m, "merkleProof", many);
    char *text = json_dumps(m, JSON_COMPACT);
    kt_v1_event_proof p;
    kt_error err = {0};
    assert_int_equal(kt_v1_event_proof_parse(text, strlen(text), &p, &err), KT_E_TOO_LARGE);
    kt_v1_event_proof_free(&p);
    free(text);
    json_decref(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rpc_results_round_trip),
        cmocka_unit_test(test_envelope),
        cmocka_unit_test(test_attestation_refusals),
        cmocka_unit_test(test_event_proof_refusals),
    };
    return cmocka_run_group_tests(tests, load, unload);
}
