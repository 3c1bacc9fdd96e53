/*
 * Katana schema v1 answers whose quote is Azure evidence (the simulated
 * paravisor): the v1 checks run on the verified claims' user-data, the
 * user_data check is judged against the answer's v1 report data; a tampered
 * field fails at report_data; evidence over the v0 commitment fails; and
 * when the claims binding fails or user-data is absent or malformed the v1
 * checks are "not run", never passed.
 */
#include "v1_sim_env.h"

#include <stdio.h>

#include "azure/azure_internal.h"
#include "katana_tee/azure.h"
#include "katana_tee/commit.h"
#include "katana_tee/katana_v1.h"
#include "katana_tee/quote.h"
#include "katana_tee/sim.h"
#include "katana_tee/sim_azure.h"
#include "katana_tee/verify.h"

typedef v1_env env;

/* Evidence from the simulated paravisor over rd, as the answer's quote. */
static void set_evidence(env *e, kt_v1_attestation *a, const kt_sim_azure_opts *o,
                         const uint8_t rd[64]) {
    uint8_t *bytes = NULL;
    size_t len = 0;
    kt_error err = {0};
    if (kt_sim_azure_evidence(e->az, o, rd, true, true, &bytes, &len, &err) != KT_OK)
        fail_msg("sim-azure: %s", err.message);
    v1_set_quote_bytes(a, bytes, len);
    kt_bytes_free(bytes);
}

typedef struct outcome {
    kt_status st;
    kt_error err;
    kt_verdict vd;
} outcome;

static void verify(env *e, const kt_v1_attestation *a, const kt_v1_expect *exp, outcome *out) {
    memset(out, 0, sizeof *out);
    kt_verifier *v = NULL;
    assert_int_equal(kt_verifier_new(&v, &out->err), KT_OK);
    assert_int_equal(kt_verifier_add_trust_root(v, e->info.ark_der, e->info.ark_der_len, "sim",
                                                &out->err),
                     KT_OK);
    kt_verify_opts o;
    kt_verify_opts_init(&o);
    out->st = kt_v1_verify(v, a, NULL, exp, &o, &out->vd, &out->err);
    assert_true((out->st == KT_OK) == out->vd.valid);
    kt_verifier_free(&v);
}

static void expect_result(const outcome *o, kt_check_id id, kt_check_result r, const char *needle) {
    const kt_check *c = &o->vd.checks[id];
    if (c->result != r || (needle && !strstr(c->detail, needle)))
        fail_msg("%s: %s \"%s\", wanted %s with \"%s\"", kt_check_name(id),
                 kt_check_result_name(c->result), c->detail, kt_check_result_name(r),
                 needle ? needle : "");
}

static void expect_v1_not_run(const outcome *o, const char *why) {
    expect_result(o, KT_CHECK_CONFIG_HASH, KT_RESULT_NOT_RUN, why);
    expect_result(o, KT_CHECK_REPORT_DATA, KT_RESULT_NOT_RUN, why);
    expect_result(o, KT_CHECK_MESSAGES, KT_RESULT_NOT_RUN, why);
    expect_result(o, KT_CHECK_CONTINUITY, KT_RESULT_NOT_RUN, why);
    assert_false(o->vd.valid);
    assert_int_not_equal(o->st, KT_OK);
}

static void test_valid(void **state) {
    env *e = *state;
    for (size_t i = 1; i < 6; i += 3) { /* appchain with messages; sharding */
        kt_v1_attestation a;
        kt_v1_expect exp;
        uint8_t rd[64];
        v1_answer_fields(e, i, &a, &exp, rd);
        set_evidence(e, &a, NULL, rd);
        outcome *o = calloc(1, sizeof *o);
        verify(e, &a, &exp, o);
        if (o->st != KT_OK)
            fail_msg("answer %zu: %s", i, o->err.message);
        assert_true(o->vd.azure);
        expect_result(o, KT_CHECK_CLAIMS_BINDING, KT_RESULT_PASS, NULL);
        expect_result(o, KT_CHECK_USER_DATA, KT_RESULT_PASS, "v1 report data of the answer");
        expect_result(o, KT_CHECK_TPM_QUOTE, KT_RESULT_PASS, "nonce as expected");
        expect_result(o, KT_CHECK_REPORT_DATA, KT_RESULT_PASS, "claims user-data[0..32] = ");
        expect_result(o, KT_CHECK_CONFIG_HASH, KT_RESULT_PASS, "claims user-data[32..64]");
        expect_result(o, KT_CHECK_MESSAGES, a.has_fork_block_number ? KT_RESULT_SKIPPED
                                                                    : KT_RESULT_PASS, NULL);
        expect_result(o, KT_CHECK_VMPL, KT_RESULT_PASS, "VMPL 0"); /* the Azure profile */
        free(o);
        kt_v1_attestation_free(&a);
    }
}

static void test_tampered_field(void **state) {
    env *e = *state;
    kt_v1_attestation a;
    kt_v1_expect exp;
    uint8_t rd[64];
    v1_answer_fields(e, 1, &a, &exp, rd);
    set_evidence(e, &a, NULL, rd);
    outcome *o = calloc(1, sizeof *o);
    static const size_t fields[] = {
        offsetof(kt_v1_attestation, state_root), offsetof(kt_v1_attestation, block_hash),
        offsetof(kt_v1_attestation, prev_block_number),
        offsetof(kt_v1_attestation, messages_commitment)};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        kt_felt *f = (kt_felt *)((char *)&a + fields[i]);
        kt_felt saved = *f;
        *f = kt_felt_from_u64(0x1234);
        verify(e, &a, &exp, o);
        assert_int_equal(o->st, KT_E_REPORT_DATA);
        if (strncmp(o->err.message, "report_data: claims user-data[0..32]", 36) != 0)
            fail_msg("field %zu: %s", i, o->err.message);
        expect_result(o, KT_CHECK_REPORT_DATA, KT_RESULT_FAIL, "is not the appchain commitment");
        expect_result(o, KT_CHECK_USER_DATA, KT_RESULT_FAIL, "is not the v1 report data");
        expect_result(o, KT_CHECK_CLAIMS_BINDING, KT_RESULT_PASS, NULL);
        *f = saved;
    }
    /* the config hash half: config_hash fails (and report_data, whose preimage holds it) */
    a.katana_tee_config_hash = kt_felt_from_u64(7);
    verify(e, &a, &exp, o);
    assert_false(o->vd.valid);
    expect_result(o, KT_CHECK_CONFIG_HASH, KT_RESULT_FAIL, "is not katanaTeeConfigHash");
    free(o);
    kt_v1_attestation_free(&a);
}

static void test_v0_user_data(void **state) {
    env *e = *state;
    kt_v1_attestation a;
    kt_v1_expect exp;
    uint8_t rd[64], v0[64];
    v1_answer_fields(e, 1, &a, &exp, rd);
    kt_commit_v0(&a.state_root, &a.block_hash, v0); /* what a v0 attester would have bound */
    set_evidence(e, &a, NULL, v0);
    outcome *o = calloc(1, sizeof *o);
    verify(e, &a, &exp, o);
    assert_false(o->vd.valid);
    assert_int_equal(o->st, KT_E_REPORT_DATA);
    expect_result(o, KT_CHECK_CLAIMS_BINDING, KT_RESULT_PASS, NULL); /* genuine, but v0 */
    expect_result(o, KT_CHECK_USER_DATA, KT_RESULT_FAIL, "is not the v1 report data");
    expect_result(o, KT_CHECK_REPORT_DATA, KT_RESULT_FAIL, "claims user-data[0..32]");
    expect_result(o, KT_CHECK_CONFIG_HASH, KT_RESULT_FAIL, "claims user-data[32..64]");
    expect_result(o, KT_CHECK_TPM_QUOTE, KT_RESULT_FAIL, "nonce");
    free(o);
    kt_v1_attestation_free(&a);
}

static void test_untrusted_user_data(void **state) {
    env *e = *state;
    kt_v1_attestation a;
    kt_v1_expect exp;
    uint8_t rd[64];
    v1_answer_fields(e, 1, &a, &exp, rd);
    outcome *o = calloc(1, sizeof *o);
    kt_error err = {0};

    /* the claims changed after REPORT_DATA was made: the binding fails, user-data is not
     * trusted even though it still holds the right bytes */
    set_evidence(e, &a, NULL, rd);
    kt_quote *q = NULL;
    assert_int_equal(kt_quote_decode(a.quote, a.quote_len, &q, &err), KT_OK);
    static const char key[] = "vmUniqueId\":\"";
    uint8_t *p = q->azure->hcl + KT_HCL_CLAIMS_OFFSET;
    size_t n = q->azure->hcl_len - KT_HCL_CLAIMS_OFFSET, i = 0;
    while (i + 13 < n && memcmp(p + i, key, 13) != 0)
        i++;
    assert_true(i + 13 < n);
    p[i + 13] ^= 0x01;
    uint8_t *enc = NULL;
    size_t enc_len = 0;
    assert_int_equal(kt_azure_evidence_encode(q->azure, &enc, &enc_len, &err), KT_OK);
    v1_set_quote_bytes(&a, enc, enc_len);
    free(enc);
    kt_quote_free(&q);
    verify(e, &a, &exp, o);
    expect_result(o, KT_CHECK_CLAIMS_BINDING, KT_RESULT_FAIL, NULL);
    expect_v1_not_run(o, "REPORT_DATA does not bind the runtime claims");
    assert_int_equal(o->st, KT_E_BINDING);

    /* no user-data in the claims */
    kt_sim_azure_opts absent = {.omit_user_data = true};
    set_evidence(e, &a, &absent, rd);
    verify(e, &a, &exp, o);
    expect_result(o, KT_CHECK_CLAIMS_BINDING, KT_RESULT_PASS, NULL);
    expect_result(o, KT_CHECK_USER_DATA, KT_RESULT_FAIL, "no \"user-data\"");
    expect_v1_not_run(o, "carry no \"user-data\"");

    /* malformed user-data */
    kt_sim_azure_opts malformed = {.user_data_text = "0123"};
    set_evidence(e, &a, &malformed, rd);
    verify(e, &a, &exp, o);
    expect_result(o, KT_CHECK_USER_DATA, KT_RESULT_FAIL, NULL);
    expect_v1_not_run(o, "malformed");

    /* the SNP signature broken: the claims binding still holds, so the v1 checks run, but
     * the verdict fails at the signature */
    set_evidence(e, &a, NULL, rd);
    assert_int_equal(kt_quote_decode(a.quote, a.quote_len, &q, &err), KT_OK);
    q->azure->hcl[32 + 0x2A0] ^= 0x01;
    assert_int_equal(kt_azure_evidence_encode(q->azure, &enc, &enc_len, &err), KT_OK);
    v1_set_quote_bytes(&a, enc, enc_len);
    free(enc);
    kt_quote_free(&q);
    verify(e, &a, &exp, o);
    expect_result(o, KT_CHECK_SIGNATURE, KT_RESULT_FAIL, NULL);
    assert_false(o->vd.valid);
    assert_int_equal(o->st, KT_E_SIGNATURE);
    free(o);
    kt_v1_attestation_free(&a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_tampered_field),
        cmocka_unit_test(test_v0_user_data),
        cmocka_unit_test(test_untrusted_user_data),
    };
    return cmocka_run_group_tests(tests, v1_env_setup, v1_env_teardown);
}
