/*
 * Verifier tests of the state binding: the report data must be expected (or skipped by
 * name) and must match to the byte; a mock quote is never valid, at best untrusted.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "katana_tee/commit.h"
#include "katana_tee/quote.h"
#include "katana_tee/verify.h"
#include "verify_fixtures.h"

/* ---- the state binding ---------------------------------------------------------------- */

static void test_report_data_required(void **state) {
    (void)state;
    const verify_fixture *fc = verify_fixture_named("milan-v2-virtee");
    kt_verifier *v = NULL;
    kt_error err = {0};
    assert_int_equal(kt_verifier_new(&v, &err), KT_OK);
    kt_certs *c = verify_fixture_certs(fc);
    kt_quote *q = verify_load_quote(fc->quote);
    kt_verify_opts o;
    kt_verify_opts_init(&o);
    o.certs = c;
    o.has_time = true;
    o.at = verify_at(NOW_2026);
    kt_verdict *vd = malloc(sizeof *vd);
    /* nothing expected and nothing skipped: fails closed */
    assert_int_equal(kt_verify(v, q, &o, vd, &err), KT_E_REPORT_DATA);
    assert_int_equal(vd->checks[KT_CHECK_REPORT_DATA].result, KT_RESULT_FAIL);
    /* the real bytes pass; one different byte fails */
    memcpy(o.report_data, q->report_bytes + 0x50, 64);
    o.has_report_data = true;
    assert_int_equal(kt_verify(v, q, &o, vd, &err), KT_OK);
    o.report_data[63] ^= 1;
    assert_int_equal(kt_verify(v, q, &o, vd, &err), KT_E_REPORT_DATA);
    free(vd);
    kt_quote_free(&q);
    kt_certs_free(&c);
    kt_verifier_free(&v);
}

/* ---- mock quotes ------------------------------------------------------------------------ */

static void test_mock_quotes(void **state) {
    (void)state;
    kt_felt root = kt_felt_from_u64(1), hash = kt_felt_from_u64(2);
    uint8_t rd[64];
    kt_commit_v0(&root, &hash, rd);
    uint8_t *bytes = NULL;
    size_t len = 0;
    kt_error err = {0};
    assert_int_equal(kt_mock_quote_encode(NULL, 0, rd, &bytes, &len, &err), KT_OK);
    kt_quote *q = verify_quote_from_bytes(bytes, len);
    kt_verifier *v = NULL;
    assert_int_equal(kt_verifier_new(&v, &err), KT_OK);
    kt_verify_opts o;
    kt_verify_opts_init(&o);
    o.has_state = true;
    o.state_root = root;
    o.block_hash = hash;
    kt_verdict *vd = malloc(sizeof *vd);
    assert_int_equal(kt_verify(v, q, &o, vd, &err), KT_E_UNTRUSTED_QUOTE);
    assert_false(vd->valid);
    o.allow_mock = true;
    /* accepted as untrusted: never valid, never KT_OK */
    assert_int_equal(kt_verify(v, q, &o, vd, &err), KT_E_UNTRUSTED_QUOTE);
    assert_true(!vd->valid && vd->untrusted_mock);
    assert_int_equal(vd->trust, KT_TRUST_NONE);
    assert_int_equal(vd->checks[KT_CHECK_SIGNATURE].result, KT_RESULT_NOT_RUN);
    char *json = NULL;
    assert_int_equal(kt_verdict_to_json(vd, &json, &err), KT_OK);
    assert_non_null(strstr(json, "\"valid\": false"));
    assert_non_null(strstr(json, "\"verdict\": \"untrusted\""));
    free(json);
    /* a policy that lists measurements cannot be met by a mock quote */
    kt_policy pol;
    kt_policy_init(&pol);
    pol.measurement_count = 1;
    o.policy = &pol;
    assert_int_equal(kt_verify(v, q, &o, vd, &err), KT_E_POLICY);
    assert_false(vd->valid || vd->untrusted_mock);
    assert_int_equal(vd->checks[KT_CHECK_MEASUREMENT].result, KT_RESULT_FAIL);
    o.policy = NULL;
    o.block_hash = kt_felt_from_u64(3);
    assert_int_equal(kt_verify(v, q, &o, vd, &err), KT_E_REPORT_DATA);
    free(vd);
    kt_quote_free(&q);
    kt_bytes_free(bytes);
    kt_verifier_free(&v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_data_required),
        cmocka_unit_test(test_mock_quotes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
