/*
 * The simulator's reports, checked with plain OpenSSL (tests/support/
 * sim_openssl.c, never the project's verifier): every product and signer
 * signs reports that parse, round-trip and verify; caller parameters and what
 * firmware would never produce; report ids; the certificate table it appends;
 * and the "sim" attester backend.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "katana_tee/attester.h"
#include "katana_tee/quote.h"
#include "katana_tee/report.h"
#include "katana_tee/sim.h"
#include "sim_cases.h"
#include "sim_openssl.h"

/* ---- reports ---------------------------------------------------------------- */

static void test_quotes_verify_and_round_trip(void **state) {
    (void)state;
    for (int i = 0; i < NSIMS; i++) {
        sim_case *c = &g_sims[i];
        kt_sim_info info;
        kt_sim_get_info(c->sim, &info);
        uint8_t rd[64];
        for (int k = 0; k < 64; k++)
            rd[k] = (uint8_t)(k * 7 + i);
        uint8_t *q = NULL;
        size_t qlen = 0;
        kt_error err = {0};
        assert_int_equal(kt_sim_quote(c->sim, NULL, rd, &q, &qlen, false, &err), KT_OK);
        assert_int_equal(qlen, KT_REPORT_SIZE);

        kt_report r;
        assert_int_equal(kt_report_parse(q, qlen, &r, &err), KT_OK);
        assert_int_equal(r.version, c->product == KT_PRODUCT_TURIN ? 5 : 3);
        assert_int_equal(r.product, c->product);
        assert_int_equal(r.signature_algo, 1);
        assert_int_equal(r.signing_key, c->signer == KT_SIM_SIGNER_VLEK ? 1 : 0);
        assert_int_equal(r.policy, 0x30000);
        assert_int_equal(r.vmpl, 1);
        assert_memory_equal(r.report_data, rd, 64);
        assert_memory_equal(r.report_id, info.report_id, 32);
        assert_int_equal(r.reported_tcb.raw, info.tcb.raw);
        assert_int_equal(r.current_tcb.raw, info.tcb.raw);
        uint8_t zero[64] = {0};
        if (c->signer == KT_SIM_SIGNER_VCEK)
            assert_memory_equal(r.chip_id, info.chip_id, 64);
        else
            assert_memory_equal(r.chip_id, zero, 64);
        if (c->product == KT_PRODUCT_TURIN)
            assert_memory_equal(r.chip_id + 8, zero, 56);

        uint8_t again[KT_REPORT_SIZE];
        assert_int_equal(kt_report_serialize(&r, again, &err), KT_OK);
        assert_memory_equal(again, q, KT_REPORT_SIZE);

        X509 *leaf = read_cert(c->dir, leaf_file(c->signer));
        assert_int_equal(verify_report_sig(q, leaf), 1);
        /* one flipped bit in the signed region breaks it */
        q[0x50] ^= 1;
        assert_int_equal(verify_report_sig(q, leaf), 0);
        X509_free(leaf);
        kt_bytes_free(q);
    }
}

static void test_report_params(void **state) {
    (void)state;
    kt_sim *sim = g_sims[0].sim; /* Milan VCEK */
    kt_sim_params p;
    kt_sim_params_default(sim, &p);
    uint8_t rd[64] = {1};
    uint8_t *q = NULL;
    size_t qlen;
    kt_error err = {0};
    kt_report r;

    p.version = 2;
    p.vmpl = 0;
    p.mask_chip_key = true;
    p.policy = 0x30000 | KT_POLICY_DEBUG;
    memset(p.measurement, 0xAB, 48);
    assert_int_equal(kt_sim_quote(sim, &p, rd, &q, &qlen, false, &err), KT_OK);
    kt_report_parse_opts po = {.product = KT_PRODUCT_MILAN};
    assert_int_equal(kt_report_parse_ex(q, qlen, &po, &r, NULL, &err), KT_OK);
    assert_int_equal(r.version, 2);
    assert_false(r.has_cpuid);
    assert_int_equal(r.vmpl, 0);
    assert_true(r.mask_chip_key);
    uint8_t zero[64] = {0};
    assert_memory_equal(r.chip_id, zero, 64);
    assert_true(r.policy & KT_POLICY_DEBUG);
    assert_int_equal(r.measurement[47], 0xAB);
    kt_bytes_free(q);

    kt_sim_params_default(sim, &p);
    p.version = 5;
    p.launch_mit_vector = 3;
    p.current_mit_vector = 7;
    assert_int_equal(kt_sim_quote(sim, &p, rd, &q, &qlen, false, &err), KT_OK);
    assert_int_equal(kt_report_parse(q, qlen, &r, &err), KT_OK);
    assert_true(r.has_mit_vector);
    assert_int_equal(r.launch_mit_vector, 3);
    assert_int_equal(r.current_mit_vector, 7);
    kt_bytes_free(q);

    /* what firmware would never produce */
    kt_sim_params_default(sim, &p);
    p.version = 6;
    assert_int_equal(kt_sim_quote(sim, &p, rd, &q, &qlen, false, &err), KT_E_INVALID_ARG);
    assert_null(q);
    kt_sim_params_default(sim, &p);
    p.vmpl = 4;
    assert_int_equal(kt_sim_quote(sim, &p, rd, &q, &qlen, false, &err), KT_E_INVALID_ARG);
    kt_sim_params_default(sim, &p);
    p.policy = 0;
    assert_int_equal(kt_sim_quote(sim, &p, rd, &q, &qlen, false, &err), KT_E_INVALID_ARG);
    assert_non_null(strstr(err.message, "bit 17"));
    kt_sim_params_default(g_sims[4].sim, &p); /* Turin */
    p.chip_id[20] = 1;
    assert_int_equal(kt_sim_quote(g_sims[4].sim, &p, rd, &q, &qlen, false, &err),
                     KT_E_INVALID_ARG);

    /* kt_sim_sign_report re-signs tampered bytes validly */
    assert_int_equal(kt_sim_quote(sim, NULL, rd, &q, &qlen, false, &err), KT_OK);
    q[0x30] = 7; /* VMPL 7: malformed, yet signed */
    assert_int_equal(kt_sim_sign_report(sim, q, &err), KT_OK);
    X509 *leaf = read_cert(g_sims[0].dir, "vcek.der");
    assert_int_equal(verify_report_sig(q, leaf), 1);
    assert_int_equal(kt_report_parse(q, qlen, &r, &err), KT_E_RANGE);
    X509_free(leaf);
    kt_bytes_free(q);
}

static void test_report_id(void **state) {
    (void)state;
    /* seeded: stable across quotes and across opens */
    kt_sim *again = NULL;
    kt_error err = {0};
    assert_int_equal(kt_sim_open(g_sims[2].dir, &again, &err), KT_OK);
    kt_sim_info a, b;
    kt_sim_get_info(g_sims[2].sim, &a);
    kt_sim_get_info(again, &b);
    assert_memory_equal(a.report_id, b.report_id, 32);
    kt_sim_free(&again);
    assert_null(again);

    /* re-issue the Genoa VCEK dir without a seed, keeping its keys: the key
     * survives, the chip id is kept, and report ids become random per open */
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/reuse", g_root);
    kt_sim_init_opts o;
    memset(&o, 0, sizeof o);
    o.product = KT_PRODUCT_GENOA;
    o.has_not_before = true;
    o.not_before = NOT_BEFORE;
    assert_int_equal(kt_sim_init(dir, &o, &err), KT_OK);
    X509 *first = read_cert(dir, "vcek.der");
    kt_sim_info before;
    assert_int_equal(kt_sim_open(dir, &again, &err), KT_OK);
    kt_sim_get_info(again, &before);
    kt_sim_free(&again);

    o.reuse_keys = true;
    o.has_tcb = true;
    o.tcb = kt_sim_default_tcb(KT_PRODUCT_GENOA);
    o.tcb.snp = 24;
    assert_int_equal(kt_sim_init(dir, &o, &err), KT_OK);
    X509 *second = read_cert(dir, "vcek.der");
    assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(first), X509_get0_pubkey(second)), 1);
    assert_int_equal(ext_int(second, AMD_OID "3.3"), 24);
    X509_free(first);
    X509_free(second);
    kt_sim *s1 = NULL, *s2 = NULL;
    assert_int_equal(kt_sim_open(dir, &s1, &err), KT_OK);
    assert_int_equal(kt_sim_open(dir, &s2, &err), KT_OK);
    kt_sim_get_info(s1, &a);
    kt_sim_get_info(s2, &b);
    assert_memory_equal(a.chip_id, before.chip_id, 64);
    assert_memory_not_equal(a.report_id, b.report_id, 32);
    kt_sim_free(&s1);
    kt_sim_free(&s2);
}

/* ---- cert table, attester, KDS tree ----------------------------------------- */

static void test_cert_table(void **state) {
    (void)state;
    for (int i = 0; i < 2; i++) {
        sim_case *c = &g_sims[i];
        kt_sim_info info;
        kt_sim_get_info(c->sim, &info);
        uint8_t rd[64] = {9};
        uint8_t *q = NULL;
        size_t qlen;
        kt_error err = {0};
        assert_int_equal(kt_sim_quote(c->sim, NULL, rd, &q, &qlen, true, &err), KT_OK);
        assert_true(qlen > KT_REPORT_SIZE);
        kt_cert_table t;
        assert_int_equal(kt_cert_table_parse(q + KT_REPORT_SIZE, qlen - KT_REPORT_SIZE, &t, &err),
                         KT_OK);
        assert_int_equal(t.count, 3);
        assert_int_equal(t.entries[0].kind,
                         c->signer == KT_SIM_SIGNER_VLEK ? KT_CERT_VLEK : KT_CERT_VCEK);
        assert_int_equal(t.entries[1].kind, KT_CERT_ASK);
        assert_int_equal(t.entries[2].kind, KT_CERT_ARK);
        assert_int_equal(t.entries[0].len, info.leaf_der_len);
        assert_memory_equal(t.entries[0].data, info.leaf_der, info.leaf_der_len);
        assert_memory_equal(t.entries[1].data, info.ca_der, info.ca_der_len);
        assert_memory_equal(t.entries[2].data, info.ark_der, info.ark_der_len);
        kt_quote *quote = NULL;
        assert_int_equal(kt_quote_decode(q, qlen, &quote, &err), KT_OK);
        assert_int_equal(quote->kind, KT_QUOTE_SNP);
        kt_quote_free(&quote);
        kt_bytes_free(q);
    }
}

static void test_attester(void **state) {
    (void)state;
    kt_attester_opts o;
    memset(&o, 0, sizeof o);
    o.backend = "sim";
    o.vmpl = 2;
    o.sim_dir = g_sims[4].dir;
    kt_attester *a = NULL;
    kt_error err = {0};
    /* libkatana-tee alone does not know the simulator: it names where it lives */
    const char *const *names = kt_attester_backends();
    for (size_t i = 0; names[i]; i++)
        assert_string_not_equal(names[i], "sim");
    assert_int_equal(kt_attester_new(&o, &a, &err), KT_E_NOT_BUILT);
    assert_non_null(strstr(err.message, "katana-tee-sim"));
    assert_int_equal(kt_sim_attester_register(&err), KT_OK);
    assert_int_equal(kt_sim_attester_register(&err), KT_OK); /* idempotent */
    assert_int_equal(kt_attester_new(&o, &a, &err), KT_OK);
    assert_string_equal(kt_attester_name(a), "sim");
    uint8_t rd[64] = {3};
    uint8_t *q = NULL;
    size_t qlen;
    assert_int_equal(kt_attester_quote(a, rd, &q, &qlen, &err), KT_OK);
    assert_int_equal(qlen, KT_REPORT_SIZE);
    kt_report r;
    assert_int_equal(kt_report_parse(q, qlen, &r, &err), KT_OK);
    assert_int_equal(r.vmpl, 2);
    assert_int_equal(r.product, KT_PRODUCT_TURIN);
    X509 *leaf = read_cert(g_sims[4].dir, "vcek.der");
    assert_int_equal(verify_report_sig(q, leaf), 1);
    X509_free(leaf);
    kt_bytes_free(q);
    kt_attester_free(&a);

    /* caller's params; with_certs */
    kt_sim_params p;
    kt_sim_params_default(g_sims[4].sim, &p);
    p.guest_svn = 77;
    o.sim_params = &p;
    o.vmpl = -1;
    o.with_certs = true;
    assert_int_equal(kt_attester_new(&o, &a, &err), KT_OK);
    assert_int_equal(kt_attester_quote(a, rd, &q, &qlen, &err), KT_OK);
    assert_true(qlen > KT_REPORT_SIZE);
    assert_int_equal(kt_report_parse(q, KT_REPORT_SIZE, &r, &err), KT_OK);
    assert_int_equal(r.guest_svn, 77);
    assert_int_equal(r.vmpl, 1);
    kt_bytes_free(q);
    kt_attester_free(&a);

    o.sim_dir = NULL;
    assert_int_equal(kt_attester_new(&o, &a, &err), KT_E_INVALID_ARG);
    char missing[4200];
    snprintf(missing, sizeof missing, "%s/nope", g_root);
    o.sim_dir = missing;
    assert_int_equal(kt_attester_new(&o, &a, &err), KT_E_IO);
    assert_null(a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quotes_verify_and_round_trip),
        cmocka_unit_test(test_report_params),
        cmocka_unit_test(test_report_id),
        cmocka_unit_test(test_cert_table),
        cmocka_unit_test(test_attester),
    };
    return cmocka_run_group_tests(tests, make_sims, free_sims);
}
