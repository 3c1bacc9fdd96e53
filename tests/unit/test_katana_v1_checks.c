/* The v1 checks and kt_v1_verify on the tee_generateQuote results of
 * ../shared/vectors/katana-v1.json (Katana's mock quotes): each passes as
 * given and each check fails, by name, on its own tampering. */
#include "v1_vectors.h"

#include "katana_tee/katana_v1.h"
#include "katana_tee/verify.h"

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

/* result i (a tee_generateQuote one), its expectation and report data */
static void answer(size_t i, kt_v1_attestation *a, kt_v1_expect *exp, uint8_t rd[64]) {
    json_t *c = json_array_get(json_object_get(doc, "rpc_results"), i);
    const char *text = json_string_value(json_object_get(c, "result_json"));
    kt_error err = {0};
    if (kt_v1_attestation_parse(text, strlen(text), a, &err) != KT_OK)
        fail_msg("%s", err.message);
    json_t *ctx = json_object_get(c, "context");
    kt_v1_expect_init(exp);
    exp->has_config = true;
    exp->chain_id = v1_key(ctx, "chain_id");
    exp->fee_token = v1_key(ctx, "fee_token");
    assert_int_equal(a->quote_len, 72);
    memcpy(rd, a->quote + 4, 64); /* the mock quote: "MOCK" || report data || sum */
}

static void test_vectors_pass(void **state) {
    (void)state;
    for (size_t i = 0; i < 6; i++) {
        kt_v1_attestation a;
        kt_v1_expect exp;
        uint8_t rd[64];
        answer(i, &a, &exp, rd);
        kt_v1_checks c;
        kt_error err = {0};
        if (kt_v1_check_attestation(&a, rd, &exp, NULL, &c, &err) != KT_OK)
            fail_msg("result %zu: %s", i, err.message);
        assert_int_equal(c.config_hash.result, KT_RESULT_PASS);
        assert_int_equal(c.report_data.result, KT_RESULT_PASS);
        assert_int_equal(c.messages.result,
                         a.has_fork_block_number ? KT_RESULT_SKIPPED : KT_RESULT_PASS);
        assert_int_equal(c.continuity.result, KT_RESULT_SKIPPED);
        /* without an expected chain, config_hash is skipped, not passed */
        exp.has_config = false;
        assert_int_equal(kt_v1_check_attestation(&a, rd, &exp, NULL, &c, &err), KT_OK);
        assert_int_equal(c.config_hash.result, KT_RESULT_SKIPPED);
        kt_v1_attestation_free(&a);
    }
}

static void test_each_check_fails(void **state) {
    (void)state;
    kt_v1_attestation a, prev;
    kt_v1_expect exp;
    uint8_t rd[64];
    answer(1, &a, &exp, rd); /* appchain with both kinds of messages */
    kt_v1_checks c;
    kt_error err = {0};

    rd[5] ^= 1; /* first half: the commitment */
    assert_int_equal(kt_v1_check_attestation(&a, rd, &exp, NULL, &c, &err), KT_E_REPORT_DATA);
    assert_int_equal(c.report_data.result, KT_RESULT_FAIL);
    assert_non_null(strstr(err.message, "report_data"));
    rd[5] ^= 1;

    rd[40] ^= 1; /* second half: the config hash */
    assert_int_equal(kt_v1_check_attestation(&a, rd, &exp, NULL, &c, &err), KT_E_REPORT_DATA);
    assert_int_equal(c.config_hash.result, KT_RESULT_FAIL);
    rd[40] ^= 1;

    exp.chain_id = kt_felt_from_u64(1); /* another chain */
    assert_int_equal(kt_v1_check_attestation(&a, rd, &exp, NULL, &c, &err), KT_E_POLICY);
    assert_int_equal(c.config_hash.result, KT_RESULT_FAIL);
    assert_int_equal(c.report_data.result, KT_RESULT_PASS);
    exp.has_config = false;

    assert_true(a.n_l2_to_l1 > 0);
    a.l2_to_l1[0].to_address = kt_felt_from_u64(99); /* lists no longer match */
    assert_int_equal(kt_v1_check_attestation(&a, rd, &exp, NULL, &c, &err), KT_E_REPORT_DATA);
    assert_int_equal(c.messages.result, KT_RESULT_FAIL);
    assert_int_equal(c.report_data.result, KT_RESULT_PASS);
    kt_v1_attestation_free(&a);

    /* Ethereum-settled forced: the Starknet-rebuilt hashes are not used */
    answer(1, &a, &exp, rd);
    exp.settlement = KT_V1_SETTLEMENT_ETHEREUM;
    assert_int_equal(kt_v1_check_attestation(&a, rd, &exp, NULL, &c, &err), KT_E_REPORT_DATA);
    assert_non_null(strstr(c.messages.detail, "could not be rebuilt"));
    exp.settlement = KT_V1_SETTLEMENT_STARKNET;
    assert_int_equal(kt_v1_check_attestation(&a, rd, &exp, NULL, &c, &err), KT_OK);

    /* continuity: a previous answer whose current fields are this one's prev */
    answer(0, &prev, &exp, rd);
    prev.block_number = a.prev_block_number;
    prev.block_hash = a.prev_block_hash;
    prev.state_root = a.prev_state_root;
    prev.katana_tee_config_hash = a.katana_tee_config_hash;
    kt_v1_attestation_free(&a);
    answer(1, &a, &exp, rd);
    assert_int_equal(kt_v1_check_attestation(&a, rd, &exp, &prev, &c, &err), KT_OK);
    assert_int_equal(c.continuity.result, KT_RESULT_PASS);
    prev.state_root = kt_felt_from_u64(5);
    assert_int_equal(kt_v1_check_attestation(&a, rd, &exp, &prev, &c, &err), KT_E_BINDING);
    assert_non_null(strstr(c.continuity.detail, "prevStateRoot"));
    kt_v1_attestation_free(&prev);
    kt_v1_attestation_free(&a);

    /* a genesis answer follows nothing; a sharding answer may carry no messages */
    answer(1, &prev, &exp, rd);
    answer(0, &a, &exp, rd);
    assert_int_equal(kt_v1_check_attestation(&a, rd, &exp, &prev, &c, &err), KT_E_BINDING);
    assert_non_null(strstr(c.continuity.detail, "genesis"));
    kt_v1_attestation_free(&a);
    kt_v1_attestation_free(&prev);
    answer(4, &a, &exp, rd);
    a.messages_commitment = kt_felt_from_u64(1);
    assert_int_equal(kt_v1_check_attestation(&a, rd, &exp, NULL, &c, &err), KT_E_REPORT_DATA);
    assert_int_equal(c.messages.result, KT_RESULT_FAIL);
    kt_v1_attestation_free(&a);
}

/* kt_v1_verify on a mock quote: only with allow_mock, and the lines land in the verdict. */
static void test_v1_verify_mock(void **state) {
    (void)state;
    kt_v1_attestation a;
    kt_v1_expect exp;
    uint8_t rd[64];
    answer(4, &a, &exp, rd);
    kt_verifier *v = NULL;
    kt_error err = {0};
    assert_int_equal(kt_verifier_new(&v, &err), KT_OK);
    kt_verify_opts o;
    kt_verify_opts_init(&o);
    kt_verdict *vd = calloc(1, sizeof *vd);
    assert_non_null(vd);
    assert_int_not_equal(kt_v1_verify(v, &a, NULL, &exp, &o, vd, &err), KT_OK);
    assert_false(vd->valid);
    o.allow_mock = true; /* accepted as untrusted: its checks run, it is never valid */
    assert_int_equal(kt_v1_verify(v, &a, NULL, &exp, &o, vd, &err), KT_E_UNTRUSTED_QUOTE);
    assert_true(!vd->valid && vd->untrusted_mock);
    assert_int_equal(vd->checks[KT_CHECK_CONFIG_HASH].result, KT_RESULT_PASS);
    assert_int_equal(vd->checks[KT_CHECK_REPORT_DATA].result, KT_RESULT_PASS);
    assert_int_equal(vd->checks[KT_CHECK_MESSAGES].result, KT_RESULT_SKIPPED);
    assert_string_equal(kt_check_name(KT_CHECK_CONTINUITY), "continuity");
    a.state_root = kt_felt_from_u64(7);
    assert_int_equal(kt_v1_verify(v, &a, NULL, &exp, &o, vd, &err), KT_E_REPORT_DATA);
    assert_false(vd->valid);
    assert_int_equal(vd->checks[KT_CHECK_REPORT_DATA].result, KT_RESULT_FAIL);
    /* a quote that is no quote */
    a.quote[0] = 'X';
    assert_int_equal(kt_v1_verify(v, &a, NULL, &exp, &o, vd, &err), KT_E_LENGTH);
    free(vd);
    kt_verifier_free(&v);
    kt_v1_attestation_free(&a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors_pass),
        cmocka_unit_test(test_each_check_fails),
        cmocka_unit_test(test_v1_verify_mock),
    };
    return cmocka_run_group_tests(tests, load, unload);
}
