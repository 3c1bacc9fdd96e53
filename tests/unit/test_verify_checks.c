/*
 * Verifier tests on simulated chains: each named check rejects what it must (trust,
 * bindings, revocation, policy, hostile reports, the quote's own certificate table),
 * the cases the real fixtures cannot make.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "katana_tee/quote.h"
#include "katana_tee/sim.h"
#include "katana_tee/verify.h"
#include "verify_fixtures.h"
#include "verify_sim.h"

static void test_sim_trust(void **state) {
    (void)state;
    vsim_case sc;
    const vsim_env *envs[] = {&vsim_milan, &vsim_turin, &vsim_vlek};
    for (int i = 0; i < 3; i++) {
        vsim_case_init(&sc, envs[i]);
        vsim_expect_valid(&sc, "sim chain with its root trusted");
        sc.trust_sim = false; /* AMD's pinned roots alone */
        vsim_expect_fail(&sc, KT_CHECK_ROOT, KT_E_UNTRUSTED_ROOT, "sim chain, pinned roots only");
    }
}

static void test_sim_bindings(void **state) {
    (void)state;
    kt_error err = {0};
    vsim_case sc;
    uint8_t *leaf = NULL;
    size_t leaf_len = 0;

    /* a leaf for another chip */
    vsim_case_init(&sc, &vsim_milan);
    uint8_t other_chip[64];
    memcpy(other_chip, vsim_milan.info.chip_id, 64);
    other_chip[5] ^= 0x40;
    assert_int_equal(kt_sim_issue_leaf(vsim_milan.sim, other_chip, NULL, 0, 0, &leaf, &leaf_len, &err), KT_OK);
    sc.leaf = leaf;
    sc.leaf_len = leaf_len;
    vsim_expect_fail(&sc, KT_CHECK_CHIP_BINDING, KT_E_BINDING, "leaf of another chip");
    kt_bytes_free(leaf);

    /* a leaf for another TCB (Milan and Turin, whose FMC SPL also counts) */
    const vsim_env *envs[] = {&vsim_milan, &vsim_turin};
    for (int i = 0; i < 2; i++) {
        vsim_case_init(&sc, envs[i]);
        kt_tcb tcb = envs[i]->info.tcb;
        tcb.snp = (uint8_t)(tcb.snp + 1);
        assert_int_equal(kt_sim_issue_leaf(envs[i]->sim, NULL, &tcb, 0, 0, &leaf, &leaf_len, &err), KT_OK);
        sc.leaf = leaf;
        sc.leaf_len = leaf_len;
        vsim_expect_fail(&sc, KT_CHECK_TCB_BINDING, KT_E_BINDING, "leaf with another snpSPL");
        kt_bytes_free(leaf);
    }
    vsim_case_init(&sc, &vsim_turin);
    kt_tcb tcb = vsim_turin.info.tcb;
    tcb.fmc = (uint8_t)(tcb.fmc + 1);
    assert_int_equal(kt_sim_issue_leaf(vsim_turin.sim, NULL, &tcb, 0, 0, &leaf, &leaf_len, &err), KT_OK);
    sc.leaf = leaf;
    sc.leaf_len = leaf_len;
    vsim_expect_fail(&sc, KT_CHECK_TCB_BINDING, KT_E_BINDING, "Turin leaf with another fmcSPL");
    kt_bytes_free(leaf);

    /* the report's REPORTED_TCB moved instead of the leaf */
    vsim_case_init(&sc, &vsim_milan);
    kt_tcb rep = kt_tcb_decode(sc.params.reported_tcb, KT_PRODUCT_MILAN);
    rep.microcode = (uint8_t)(rep.microcode + 1);
    sc.params.reported_tcb = kt_tcb_encode(&rep, KT_PRODUCT_MILAN);
    vsim_expect_fail(&sc, KT_CHECK_TCB_BINDING, KT_E_BINDING, "report with another microcode SPL");

    /* an expired leaf, and a leaf not yet valid */
    vsim_case_init(&sc, &vsim_milan);
    assert_int_equal(kt_sim_issue_leaf(vsim_milan.sim, NULL, NULL, verify_at("2020-01-01"),
                                       verify_at("2021-01-01"), &leaf, &leaf_len, &err), KT_OK);
    sc.leaf = leaf;
    sc.leaf_len = leaf_len;
    vsim_expect_fail(&sc, KT_CHECK_VALIDITY, KT_E_CERT_EXPIRED, "expired leaf");
    kt_bytes_free(leaf);
    vsim_case_init(&sc, &vsim_milan);
    sc.time = verify_at("2025-01-01");
    vsim_expect_fail(&sc, KT_CHECK_VALIDITY, KT_E_CERT_EXPIRED, "before the chain's validity");

    /* masked chip id: the binding is skipped by name, the verdict stays valid */
    vsim_case_init(&sc, &vsim_milan);
    sc.params.mask_chip_key = true;
    kt_verdict *vd = malloc(sizeof *vd);
    assert_int_equal(vsim_verify(&sc, vd), KT_OK);
    assert_int_equal(vd->checks[KT_CHECK_CHIP_BINDING].result, KT_RESULT_SKIPPED);
    /* VLEK: not chip-specific */
    vsim_case_init(&sc, &vsim_vlek);
    assert_int_equal(vsim_verify(&sc, vd), KT_OK);
    assert_int_equal(vd->signer, KT_SIGNING_KEY_VLEK);
    assert_int_equal(vd->checks[KT_CHECK_CHIP_BINDING].result, KT_RESULT_SKIPPED);
    free(vd);
}

static void test_sim_revocation(void **state) {
    (void)state;
    kt_error err = {0};
    vsim_case sc;
    uint8_t *crl = NULL;
    size_t crl_len = 0;
    kt_verdict *vd = malloc(sizeof *vd);
    time_t t = verify_at("2026-11-24T00:00:00Z");

    vsim_case_init(&sc, &vsim_milan); /* an empty, current CRL passes */
    assert_int_equal(kt_sim_make_crl(vsim_milan.sim, NULL, 0, t - 86400, t + 86400, &crl, &crl_len, &err), KT_OK);
    sc.crl = crl;
    sc.crl_len = crl_len;
    assert_int_equal(vsim_verify(&sc, vd), KT_OK);
    assert_int_equal(vd->checks[KT_CHECK_REVOCATION].result, KT_RESULT_PASS);
    kt_bytes_free(crl);

    uint64_t serial = vsim_milan.info.ca_serial; /* the ASK revoked */
    assert_int_equal(kt_sim_make_crl(vsim_milan.sim, &serial, 1, t - 86400, t + 86400, &crl, &crl_len, &err), KT_OK);
    sc.crl = crl;
    sc.crl_len = crl_len;
    vsim_expect_fail(&sc, KT_CHECK_REVOCATION, KT_E_REVOKED, "revoked ASK");
    kt_bytes_free(crl);

    assert_int_equal(kt_sim_make_crl(vsim_milan.sim, NULL, 0, t - 10 * 86400, t - 86400, &crl, &crl_len, &err), KT_OK);
    sc.crl = crl;
    sc.crl_len = crl_len;
    vsim_expect_fail(&sc, KT_CHECK_REVOCATION, KT_E_CRL, "stale CRL");
    kt_bytes_free(crl);

    /* a CRL signed by another root */
    assert_int_equal(kt_sim_make_crl(vsim_turin.sim, NULL, 0, t - 86400, t + 86400, &crl, &crl_len, &err), KT_OK);
    sc.crl = crl;
    sc.crl_len = crl_len;
    vsim_expect_fail(&sc, KT_CHECK_REVOCATION, KT_E_CRL, "CRL of another root");
    kt_bytes_free(crl);

    /* no CRL: skipped, unless the policy requires one */
    vsim_case_init(&sc, &vsim_milan);
    assert_int_equal(vsim_verify(&sc, vd), KT_OK);
    assert_int_equal(vd->checks[KT_CHECK_REVOCATION].result, KT_RESULT_SKIPPED);
    sc.policy.require_crl = true;
    vsim_expect_fail(&sc, KT_CHECK_REVOCATION, KT_E_CRL, "policy requires a CRL");
    free(vd);
}

static void test_sim_policy(void **state) {
    (void)state;
    vsim_case sc;

    vsim_case_init(&sc, &vsim_milan);
    sc.params.policy |= KT_POLICY_DEBUG;
    vsim_expect_fail(&sc, KT_CHECK_DEBUG, KT_E_POLICY, "debug guest");
    sc.policy.allow_debug = true;
    vsim_expect_valid(&sc, "debug guest, allowed");

    vsim_case_init(&sc, &vsim_milan);
    sc.params.policy |= KT_POLICY_MIGRATE_MA;
    vsim_expect_fail(&sc, KT_CHECK_MIGRATION, KT_E_POLICY, "migration agent");

    vsim_case_init(&sc, &vsim_milan);
    sc.params.vmpl = 1;
    sc.policy.has_vmpl_exact = true;
    sc.policy.vmpl_exact = 0;
    vsim_expect_fail(&sc, KT_CHECK_VMPL, KT_E_POLICY, "wrong VMPL");
    sc.policy.has_vmpl_exact = false;
    sc.policy.has_vmpl_max = true;
    sc.policy.vmpl_max = 0;
    vsim_expect_fail(&sc, KT_CHECK_VMPL, KT_E_POLICY, "VMPL above maximum");
    sc.policy.vmpl_max = 1;
    vsim_expect_valid(&sc, "VMPL at maximum");

    vsim_case_init(&sc, &vsim_milan);
    memset(sc.params.measurement, 0xab, 48);
    sc.policy.measurement_count = 2;
    memset(sc.policy.measurements[0], 0x11, 48);
    memset(sc.policy.measurements[1], 0xab, 48);
    vsim_expect_valid(&sc, "measurement in the list");
    memset(sc.policy.measurements[1], 0xac, 48);
    vsim_expect_fail(&sc, KT_CHECK_MEASUREMENT, KT_E_MEASUREMENT, "measurement not in the list");

    vsim_case_init(&sc, &vsim_milan);
    sc.policy.has_min_tcb = true;
    sc.policy.min_tcb.snp = vsim_milan.info.tcb.snp + 1;
    vsim_expect_fail(&sc, KT_CHECK_MIN_TCB, KT_E_POLICY, "snp SPL below minimum");
    sc.policy.min_tcb.snp = vsim_milan.info.tcb.snp;
    vsim_expect_valid(&sc, "snp SPL at minimum");
    sc.policy.has_min_firmware = true;
    sc.policy.min_fw_major = 99;
    vsim_expect_fail(&sc, KT_CHECK_MIN_TCB, KT_E_POLICY, "firmware below minimum");

    vsim_case_init(&sc, &vsim_milan);
    sc.policy.has_host_data = true;
    memset(sc.policy.host_data, 7, 32);
    vsim_expect_fail(&sc, KT_CHECK_IDENTITY, KT_E_POLICY, "host data");
    memset(sc.params.host_data, 7, 32);
    vsim_expect_valid(&sc, "host data equal");

    vsim_case_init(&sc, &vsim_milan);
    sc.policy.signer = KT_SIGNER_REQUIRE_VLEK;
    vsim_expect_fail(&sc, KT_CHECK_SIGNER, KT_E_POLICY, "policy requires VLEK");

    vsim_case_init(&sc, &vsim_milan);
    sc.params.policy &= ~KT_POLICY_SMT;
    sc.policy.allow_smt = false;
    vsim_expect_valid(&sc, "SMT off, SMT forbidden");
    sc.params.policy |= KT_POLICY_SMT;
    vsim_expect_fail(&sc, KT_CHECK_GUEST_POLICY, KT_E_POLICY, "SMT forbidden");

    vsim_case_init(&sc, &vsim_milan);
    sc.policy.required_platform_bits = KT_PLATFORM_TSME_EN;
    sc.params.platform_info = KT_PLATFORM_SMT_EN;
    vsim_expect_fail(&sc, KT_CHECK_PLATFORM, KT_E_POLICY, "required platform bit missing");
}

/* Reports the firmware would never sign, signed anyway: parse or binding rejects them. */
static void test_sim_hostile_reports(void **state) {
    (void)state;
    kt_error err = {0};
    uint8_t rd[64] = {0};
    uint8_t *bytes = NULL;
    size_t len = 0;
    assert_int_equal(kt_sim_quote(vsim_milan.sim, NULL, rd, &bytes, &len, false, &err), KT_OK);
    kt_certs *c = NULL;
    assert_int_equal(kt_certs_new(&c, &err), KT_OK);
    assert_int_equal(kt_certs_add(c, KT_ROLE_ARK, vsim_milan.info.ark_der, vsim_milan.info.ark_der_len, "ark", false, &err), KT_OK);
    assert_int_equal(kt_certs_add(c, KT_ROLE_AUTO, vsim_milan.info.ca_der, vsim_milan.info.ca_der_len, "ask", false, &err), KT_OK);
    assert_int_equal(kt_certs_add(c, KT_ROLE_AUTO, vsim_milan.info.leaf_der, vsim_milan.info.leaf_der_len, "vcek", false, &err), KT_OK);
    kt_verifier *v = NULL;
    assert_int_equal(kt_verifier_new(&v, &err), KT_OK);
    assert_int_equal(kt_verifier_add_trust_root(v, vsim_milan.info.ark_der, vsim_milan.info.ark_der_len, "sim", &err), KT_OK);
    kt_verify_opts o;
    kt_verify_opts_init(&o);
    o.certs = c;
    o.skip_report_data = true;
    o.has_time = true;
    o.at = verify_at("2026-11-24");
    kt_verdict *vd = malloc(sizeof *vd);

    struct {
        const char *what;
        size_t off;
        uint8_t value;
        kt_check_id check;
        kt_status status;
    } cases[] = {
        {"signed as VLEK but the leaf is a VCEK", 0x48, 1u << 2, KT_CHECK_SIGNER, KT_E_BINDING},
        {"unknown guest-policy bit 30", 0x0b, 0x40, KT_CHECK_GUEST_POLICY, KT_E_POLICY},
        {"CPUID says Genoa, chain is Milan", 0x189, 0x11, KT_CHECK_PRODUCT, KT_E_BINDING},
        {"version 1", 0x00, 1, KT_CHECK_QUOTE_FORMAT, KT_E_UNSUPPORTED},
        {"reserved byte 0x4c set", 0x4c, 1, KT_CHECK_QUOTE_FORMAT, KT_E_RESERVED},
        {"signature algorithm 2", 0x34, 2, KT_CHECK_QUOTE_FORMAT, KT_E_UNSUPPORTED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t m[KT_REPORT_SIZE];
        memcpy(m, bytes, sizeof m);
        if (cases[i].off == 0x48 || cases[i].off == 0x0b)
            m[cases[i].off] |= cases[i].value;
        else
            m[cases[i].off] = cases[i].value;
        if (cases[i].off == 0x189)
            m[0x188] = 0x19; /* family 0x19 */
        assert_int_equal(kt_sim_sign_report(vsim_milan.sim, m, &err), KT_OK);
        kt_quote *q = verify_quote_from_bytes(m, sizeof m);
        kt_status st = kt_verify(v, q, &o, vd, &err);
        if (st == KT_OK || vd->checks[cases[i].check].result != KT_RESULT_FAIL ||
            vd->checks[cases[i].check].status != cases[i].status)
            fail_msg("%s: expected %s to fail with %s, got %s (%s)", cases[i].what,
                     kt_check_name(cases[i].check), kt_status_name(cases[i].status),
                     kt_status_name(st), vd->checks[cases[i].check].detail);
        kt_quote_free(&q);
    }
    free(vd);
    kt_verifier_free(&v);
    kt_certs_free(&c);
    kt_bytes_free(bytes);
}

/* A sim quote with its certificate table verifies from the quote alone (+ trusted root). */
static void test_sim_cert_table(void **state) {
    (void)state;
    kt_error err = {0};
    uint8_t rd[64] = {9};
    uint8_t *bytes = NULL;
    size_t len = 0;
    assert_int_equal(kt_sim_quote(vsim_turin.sim, NULL, rd, &bytes, &len, true, &err), KT_OK);
    assert_true(len > KT_REPORT_SIZE);
    kt_quote *q = verify_quote_from_bytes(bytes, len);
    kt_verifier *v = NULL;
    assert_int_equal(kt_verifier_new(&v, &err), KT_OK);
    kt_verify_opts o;
    kt_verify_opts_init(&o);
    memcpy(o.report_data, rd, 64);
    o.has_report_data = true;
    o.has_time = true;
    o.at = verify_at("2026-11-24");
    kt_verdict *vd = malloc(sizeof *vd);
    assert_int_equal(kt_verify(v, q, &o, vd, &err), KT_E_UNTRUSTED_ROOT);
    assert_int_equal(kt_verifier_add_trust_root(v, vsim_turin.info.ark_der, vsim_turin.info.ark_der_len, "sim", &err), KT_OK);
    assert_int_equal(kt_verify(v, q, &o, vd, &err), KT_OK);
    assert_int_equal(vd->product, KT_PRODUCT_TURIN);
    assert_non_null(strstr(vd->origin[KT_ROLE_VCEK], "quote certificate table"));
    o.use_quote_certs = false;
    assert_int_equal(kt_verify(v, q, &o, vd, &err), KT_E_CERT_MISSING);
    free(vd);
    kt_verifier_free(&v);
    kt_quote_free(&q);
    kt_bytes_free(bytes);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_trust),
        cmocka_unit_test(test_sim_bindings),
        cmocka_unit_test(test_sim_revocation),
        cmocka_unit_test(test_sim_policy),
        cmocka_unit_test(test_sim_hostile_reports),
        cmocka_unit_test(test_sim_cert_table),
    };
    return cmocka_run_group_tests(tests, vsim_setup, vsim_teardown);
}
