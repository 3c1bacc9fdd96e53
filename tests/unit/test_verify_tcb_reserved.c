/*
 * Reserved bytes of the TCB_VERSION fields when the product is learnt late.
 * A version 2 report carries no CPUID, so without a product hint the strict
 * parser can refuse only the bytes reserved in every layout (4 and 5); the
 * verifier learns the product from the certificate chain and must then
 * refuse the bytes that product's layout reserves (Milan: 2..5). A validly
 * signed Milan v2 report with REPORTED_TCB byte 2 set verified VALID before.
 * (Bytes reserved in every layout are the parser's: test_report_tcb.c.)
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "katana_tee/quote.h"
#include "katana_tee/report.h"
#include "katana_tee/sim.h"
#include "katana_tee/verify.h"

static char *base_dir;
static kt_sim *sim;
static kt_sim_info info;

static int setup(void **state) {
    (void)state;
    kt_error err = {0};
    base_dir = kt_test_mkdtemp();
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/sim", base_dir);
    kt_sim_init_opts io;
    memset(&io, 0, sizeof io);
    io.product = KT_PRODUCT_MILAN;
    io.signer = KT_SIM_SIGNER_VCEK;
    io.has_not_before = true;
    io.not_before = 1767225600; /* 2026-01-01 */
    io.seed = (const uint8_t *)"katana-tee tcb reserved tests";
    io.seed_len = 29;
    if (kt_sim_init(dir, &io, &err) != KT_OK || kt_sim_open(dir, &sim, &err) != KT_OK)
        fail_msg("sim: %s", err.message);
    kt_sim_get_info(sim, &info);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    kt_sim_free(&sim);
    kt_test_rmtree(base_dir);
    free(base_dir);
    return 0;
}

/* Verify a v2 report whose four TCB fields are the chain's with `extra`
 * ORed into the one at `which` (0 current, 1 reported, 2 committed, 3
 * launch); product_hint as --product would give it. */
static kt_status verify_v2(int which, uint64_t extra, kt_product product_hint, kt_verdict *vd) {
    kt_error err = {0};
    kt_sim_params p;
    kt_sim_params_default(sim, &p);
    p.version = 2;
    uint64_t *tcbs[4] = {&p.current_tcb, &p.reported_tcb, &p.committed_tcb, &p.launch_tcb};
    *tcbs[which] |= extra;
    uint8_t rd[64] = {0};
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (kt_sim_quote(sim, &p, rd, &bytes, &len, true, &err) != KT_OK)
        fail_msg("sim quote: %s", err.message);
    kt_quote *q = NULL;
    assert_int_equal(kt_quote_decode(bytes, len, &q, &err), KT_OK);
    kt_verifier *v = NULL;
    assert_int_equal(kt_verifier_new(&v, &err), KT_OK);
    assert_int_equal(kt_verifier_add_trust_root(v, info.ark_der, info.ark_der_len, "sim", &err),
                     KT_OK);
    kt_verify_opts o;
    kt_verify_opts_init(&o);
    o.skip_report_data = true;
    o.has_time = true;
    o.at = 1795996800; /* 2026-12-01 */
    o.product = product_hint;
    kt_status st = kt_verify(v, q, &o, vd, &err);
    kt_verifier_free(&v);
    kt_quote_free(&q);
    kt_bytes_free(bytes);
    return st;
}

static void expect_result(const kt_verdict *vd, kt_check_id id, kt_check_result result, kt_status status,
                         const char *needle) {
    const kt_check *c = &vd->checks[id];
    if (c->result != result || c->status != status || (needle && !strstr(c->detail, needle)))
        fail_msg("%s: %s / %s: %s", kt_check_name(id), kt_check_result_name(c->result),
                 kt_status_name(c->status), c->detail);
}

static void test_clean_v2_is_valid(void **state) {
    (void)state;
    kt_verdict *vd = calloc(1, sizeof *vd);
    assert_int_equal(verify_v2(1, 0, KT_PRODUCT_UNKNOWN, vd), KT_OK);
    assert_true(vd->valid);
    expect_result(vd, KT_CHECK_TCB_BINDING, KT_RESULT_PASS, KT_OK, NULL);
    free(vd);
}

/* Milan-reserved byte 2 of each field, product from the chain: the TCB binding refuses it. */
static void test_milan_reserved_byte_from_chain(void **state) {
    (void)state;
    static const char *const names[4] = {"CURRENT_TCB", "REPORTED_TCB", "COMMITTED_TCB",
                                         "LAUNCH_TCB"};
    kt_verdict *vd = calloc(1, sizeof *vd);
    for (int which = 0; which < 4; which++) {
        assert_int_not_equal(verify_v2(which, UINT64_C(0x5a) << 16, KT_PRODUCT_UNKNOWN, vd), KT_OK);
        assert_false(vd->valid);
        expect_result(vd, KT_CHECK_QUOTE_FORMAT, KT_RESULT_PASS, KT_OK, NULL);
        expect_result(vd, KT_CHECK_TCB_BINDING, KT_RESULT_FAIL, KT_E_RESERVED, names[which]);
        expect_result(vd, KT_CHECK_TCB_BINDING, KT_RESULT_FAIL, KT_E_RESERVED, "byte 2");
    }
    free(vd);
}

/* With the product given, the parser itself refuses the same byte. */
static void test_milan_reserved_byte_with_hint(void **state) {
    (void)state;
    kt_verdict *vd = calloc(1, sizeof *vd);
    assert_int_not_equal(verify_v2(1, UINT64_C(0x5a) << 16, KT_PRODUCT_MILAN, vd), KT_OK);
    expect_result(vd, KT_CHECK_QUOTE_FORMAT, KT_RESULT_FAIL, KT_E_RESERVED, "REPORTED_TCB");
    free(vd);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_v2_is_valid),
        cmocka_unit_test(test_milan_reserved_byte_from_chain),
        cmocka_unit_test(test_milan_reserved_byte_with_hint),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
