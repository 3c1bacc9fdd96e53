/*
 * The simulator's certificates, checked with plain OpenSSL (tests/support/
 * sim_openssl.c, never the project's verifier): chains and validity windows,
 * VCEK/VLEK extensions against the report, byte-for-byte agreement of our
 * certificate layout with AMD's real ones, CRLs, and leaves issued on demand.
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
#include <openssl/x509v3.h>

/* ---- chain, extensions, CRL -------------------------------------------------- */

static void test_chain_verifies(void **state) {
    (void)state;
    for (int i = 0; i < NSIMS; i++) {
        sim_case *c = &g_sims[i];
        X509 *ark = read_cert(c->dir, "ark.der");
        X509 *ca = read_cert(c->dir, ca_file(c->signer));
        X509 *leaf = read_cert(c->dir, leaf_file(c->signer));
        assert_int_equal(verify_chain(ark, ca, leaf, CHAIN_TIME, NULL), X509_V_OK);
        /* validity as AMD's: CA 25 years, VCEK 7, VLEK 1 */
        int days, secs;
        assert_true(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(ark), X509_get0_notAfter(ark)));
        assert_int_equal(days, 9131); /* 2025-01-01 .. 2050-01-01 */
        assert_true(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(leaf),
                                   X509_get0_notAfter(leaf)));
        assert_int_equal(days, c->signer == KT_SIM_SIGNER_VLEK ? 365 : 2556);
        assert_int_equal(ASN1_INTEGER_get(X509_get0_serialNumber(leaf)), 0);
        /* after the leaf expired */
        long long late = c->signer == KT_SIM_SIGNER_VLEK ? NOT_BEFORE + 400 * 86400LL
                                                          : NOT_BEFORE + 2600 * 86400LL;
        assert_int_equal(verify_chain(ark, ca, leaf, late, NULL), X509_V_ERR_CERT_HAS_EXPIRED);
        /* a chain of another product's ARK does not verify */
        X509 *other_ark = read_cert(g_sims[(i + 2) % NSIMS].dir, "ark.der");
        assert_int_not_equal(verify_chain(other_ark, ca, leaf, CHAIN_TIME, NULL), X509_V_OK);
        X509_free(other_ark);
        X509_free(ark);
        X509_free(ca);
        X509_free(leaf);
    }
}

static void test_extensions_match_report(void **state) {
    (void)state;
    for (int i = 0; i < NSIMS; i++) {
        sim_case *c = &g_sims[i];
        X509 *leaf = read_cert(c->dir, leaf_file(c->signer));
        uint8_t rd[64] = {0};
        uint8_t *q = NULL;
        size_t qlen;
        kt_error err = {0};
        assert_int_equal(kt_sim_quote(c->sim, NULL, rd, &q, &qlen, false, &err), KT_OK);
        kt_report r;
        assert_int_equal(kt_report_parse(q, qlen, &r, &err), KT_OK);
        kt_tcb t = kt_tcb_decode(r.reported_tcb.raw, c->product);
        bool turin = c->product == KT_PRODUCT_TURIN;

        assert_int_equal(ext_int(leaf, AMD_OID "1"), turin ? 1 : 0);
        char name[64];
        assert_true(ext_ia5(leaf, AMD_OID "2", name, sizeof name));
        const char *expect = c->signer == KT_SIM_SIGNER_VLEK ? kt_product_name(c->product)
                             : c->product == KT_PRODUCT_MILAN ? "Milan-B0"
                                                              : kt_product_name(c->product);
        assert_string_equal(name, expect);
        assert_int_equal(ext_int(leaf, AMD_OID "3.1"), t.boot_loader);
        assert_int_equal(ext_int(leaf, AMD_OID "3.2"), t.tee);
        assert_int_equal(ext_int(leaf, AMD_OID "3.3"), t.snp);
        assert_int_equal(ext_int(leaf, AMD_OID "3.8"), t.microcode);
        assert_int_equal(ext_int(leaf, AMD_OID "3.9"), turin ? t.fmc : -1);
        assert_int_equal(ext_int(leaf, AMD_OID "3.4"), turin ? -1 : 0);
        for (int k = 5; k <= 7; k++) {
            char oid[32];
            snprintf(oid, sizeof oid, AMD_OID "3.%d", k);
            assert_int_equal(ext_int(leaf, oid), 0);
        }
        const ASN1_OCTET_STRING *hwid = ext_value(leaf, AMD_OID "4");
        char csp[128];
        if (c->signer == KT_SIM_SIGNER_VCEK) {
            assert_non_null(hwid);
            size_t n = turin ? 8 : 64;
            assert_int_equal(ASN1_STRING_length(hwid), n);
            assert_memory_equal(ASN1_STRING_get0_data(hwid), r.chip_id, n);
            assert_false(ext_ia5(leaf, AMD_OID "5", csp, sizeof csp));
        } else {
            assert_null(hwid);
            assert_true(ext_ia5(leaf, AMD_OID "5", csp, sizeof csp));
            assert_string_equal(csp, c->product == KT_PRODUCT_MILAN ? aws_csp
                                                                    : "CN=sim.katana-tee.invalid");
        }
        X509_free(leaf);
        kt_bytes_free(q);
    }
}

/* DER of the extensions, issuer, subject and signature algorithm of a leaf. */
static void assert_same_layout(X509 *ours, X509 *amd) {
    assert_int_equal(X509_get_ext_count(ours), X509_get_ext_count(amd));
    for (int i = 0; i < X509_get_ext_count(amd); i++) {
        unsigned char *a = NULL, *b = NULL;
        int la = i2d_X509_EXTENSION(X509_get_ext(ours, i), &a);
        int lb = i2d_X509_EXTENSION(X509_get_ext(amd, i), &b);
        assert_int_equal(la, lb);
        assert_memory_equal(a, b, (size_t)la);
        OPENSSL_free(a);
        OPENSSL_free(b);
    }
    unsigned char *a = NULL, *b = NULL;
    int la = i2d_X509_NAME(X509_get_issuer_name(ours), &a);
    int lb = i2d_X509_NAME(X509_get_issuer_name(amd), &b);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, (size_t)la);
    OPENSSL_free(a);
    OPENSSL_free(b);
    a = b = NULL;
    la = i2d_X509_NAME(X509_get_subject_name(ours), &a);
    lb = i2d_X509_NAME(X509_get_subject_name(amd), &b);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, (size_t)la);
    OPENSSL_free(a);
    OPENSSL_free(b);
    a = b = NULL;
    la = i2d_X509_ALGOR(X509_get0_tbs_sigalg(ours), &a);
    lb = i2d_X509_ALGOR(X509_get0_tbs_sigalg(amd), &b);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, (size_t)la);
    OPENSSL_free(a);
    OPENSSL_free(b);
}

/* Issue a leaf with a real VCEK/VLEK's chip id and TCB: every extension,
 * both names and the signature algorithm must equal AMD's byte for byte. */
static void check_against_amd(int sim_index, const char *fixture) {
    sim_case *c = &g_sims[sim_index];
    X509 *amd = shared_cert(fixture);
    uint8_t chip[64] = {0};
    const ASN1_OCTET_STRING *hw = ext_value(amd, AMD_OID "4");
    if (hw)
        memcpy(chip, ASN1_STRING_get0_data(hw), (size_t)ASN1_STRING_length(hw));
    kt_tcb t;
    memset(&t, 0, sizeof t);
    t.boot_loader = (uint8_t)ext_int(amd, AMD_OID "3.1");
    t.tee = (uint8_t)ext_int(amd, AMD_OID "3.2");
    t.snp = (uint8_t)ext_int(amd, AMD_OID "3.3");
    t.microcode = (uint8_t)ext_int(amd, AMD_OID "3.8");
    if (c->product == KT_PRODUCT_TURIN)
        t.fmc = (uint8_t)ext_int(amd, AMD_OID "3.9");
    uint8_t *der = NULL;
    size_t len;
    kt_error err = {0};
    assert_int_equal(kt_sim_issue_leaf(c->sim, hw ? chip : NULL, &t, 0, 0, &der, &len, &err),
                     KT_OK);
    X509 *ours = der_x509(der, len);
    assert_same_layout(ours, amd);
    X509_free(ours);
    X509_free(amd);
    kt_bytes_free(der);
}

static void test_leaves_mirror_amd(void **state) {
    (void)state;
    check_against_amd(0, "fixtures/snp/milan-v5-gcp-atakit/vcek.der");
    check_against_amd(2, "fixtures/snp/genoa-v3-tinfoil/vcek.der");
    check_against_amd(4, "fixtures/snp/turin-vcek-only-virtee/vcek.der");
    check_against_amd(1, "fixtures/snp/milan-vlek-v3-aws-constellation/vlek.der");
}

/* ARK/ASK/ASVK: same names, signature algorithm (explicit trailer), and
 * extensions except the key identifiers, which depend on the key. */
static void test_cas_mirror_amd(void **state) {
    (void)state;
    static const struct {
        int sim;
        const char *ours, *amd;
    } pairs[] = {
        {0, "ark.der", "fixtures/snp/amd-roots/milan_ark.der"},
        {0, "ask.der", "fixtures/snp/amd-roots/milan_ask.der"},
        {1, "asvk.der", "fixtures/snp/amd-roots/milan_asvk.der"},
        {2, "ark.der", "fixtures/snp/amd-roots/genoa_ark.der"},
        {3, "asvk.der", "fixtures/snp/amd-roots/genoa_asvk.der"},
        {4, "ask.der", "fixtures/snp/amd-roots/turin_ask.der"},
        {5, "asvk.der", "fixtures/snp/amd-roots/turin_asvk.der"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        X509 *ours = read_cert(g_sims[pairs[i].sim].dir, pairs[i].ours);
        X509 *amd = shared_cert(pairs[i].amd);
        assert_int_equal(ASN1_INTEGER_get(X509_get0_serialNumber(ours)),
                         ASN1_INTEGER_get(X509_get0_serialNumber(amd)));
        assert_int_equal(X509_get_ext_count(ours), X509_get_ext_count(amd));
        for (int k = 0; k < X509_get_ext_count(amd); k++) {
            X509_EXTENSION *eo = X509_get_ext(ours, k), *ea = X509_get_ext(amd, k);
            int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ea));
            assert_int_equal(OBJ_obj2nid(X509_EXTENSION_get_object(eo)), nid);
            assert_int_equal(X509_EXTENSION_get_critical(eo), X509_EXTENSION_get_critical(ea));
            if (nid == NID_subject_key_identifier || nid == NID_authority_key_identifier)
                continue;
            const ASN1_OCTET_STRING *vo = X509_EXTENSION_get_data(eo);
            const ASN1_OCTET_STRING *va = X509_EXTENSION_get_data(ea);
            assert_int_equal(ASN1_STRING_cmp(vo, va), 0);
        }
        unsigned char *a = NULL, *b = NULL;
        int la = i2d_X509_ALGOR(X509_get0_tbs_sigalg(ours), &a);
        int lb = i2d_X509_ALGOR(X509_get0_tbs_sigalg(amd), &b);
        assert_int_equal(la, lb);
        assert_memory_equal(a, b, (size_t)la);
        OPENSSL_free(a);
        OPENSSL_free(b);
        assert_int_equal(X509_NAME_cmp(X509_get_subject_name(ours), X509_get_subject_name(amd)),
                         0);
        X509_free(ours);
        X509_free(amd);
    }
}

static void test_crl(void **state) {
    (void)state;
    for (int i = 0; i < 2; i++) { /* a VCEK and a VLEK chain */
        sim_case *c = &g_sims[i];
        kt_sim_info info;
        kt_sim_get_info(c->sim, &info);
        uint64_t serials[2] = {info.ca_serial, 0x1234};
        uint8_t *der = NULL;
        size_t len;
        kt_error err = {0};
        assert_int_equal(kt_sim_make_crl(c->sim, serials, 2, NOT_BEFORE + 86400,
                                         NOT_BEFORE + 40 * 86400LL, &der, &len, &err),
                         KT_OK);
        const unsigned char *p = der;
        X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
        assert_non_null(crl);
        X509 *ark = read_cert(c->dir, "ark.der");
        X509 *ca = read_cert(c->dir, ca_file(c->signer));
        X509 *leaf = read_cert(c->dir, leaf_file(c->signer));
        assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(ark)), 1);
        assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(ca)), 0);
        const ASN1_BIT_STRING *csig;
        const X509_ALGOR *calg;
        X509_CRL_get0_signature(crl, &csig, &calg);
        const ASN1_OBJECT *alg_oid;
        X509_ALGOR_get0(&alg_oid, NULL, NULL, calg);
        assert_int_equal(OBJ_obj2nid(alg_oid), NID_rsassaPss);
        assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ark)), 0);
        X509_REVOKED *rev = NULL;
        assert_int_equal(X509_CRL_get0_by_cert(crl, &rev, ca), 1);
        assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 2);
        /* the CRL covers what the ARK issues: checking the ASK/ASVK fails */
        assert_int_equal(verify_chain(ark, ca, ca, CHAIN_TIME, crl), X509_V_ERR_CERT_REVOKED);
        X509_CRL_free(crl);
        kt_bytes_free(der);

        /* an empty CRL lets the chain through with CRL checking on */
        assert_int_equal(kt_sim_make_crl(c->sim, NULL, 0, NOT_BEFORE + 86400,
                                         NOT_BEFORE + 40 * 86400LL, &der, &len, &err),
                         KT_OK);
        p = der;
        crl = d2i_X509_CRL(NULL, &p, (long)len);
        assert_non_null(crl);
        assert_int_equal(verify_chain(ark, ca, ca, CHAIN_TIME, crl), X509_V_OK);
        assert_int_equal(verify_chain(ark, ca, ca, NOT_BEFORE + 50 * 86400LL, crl),
                         X509_V_ERR_CRL_HAS_EXPIRED);
        X509_CRL_free(crl);
        kt_bytes_free(der);
        assert_int_equal(kt_sim_make_crl(c->sim, NULL, 0, 10, 10, &der, &len, &err),
                         KT_E_INVALID_ARG);
        X509_free(ark);
        X509_free(ca);
        X509_free(leaf);
    }
}

static void test_issue_leaf_variants(void **state) {
    (void)state;
    sim_case *c = &g_sims[0];
    X509 *ark = read_cert(c->dir, "ark.der");
    X509 *ca = read_cert(c->dir, "ask.der");
    X509 *leaf = read_cert(c->dir, "vcek.der");
    uint8_t other_chip[64];
    memset(other_chip, 0x42, sizeof other_chip);
    kt_tcb t = kt_sim_default_tcb(KT_PRODUCT_MILAN);
    t.microcode = 7;
    uint8_t *der = NULL;
    size_t len;
    kt_error err = {0};

    assert_int_equal(kt_sim_issue_leaf(c->sim, other_chip, &t, 0, 0, &der, &len, &err), KT_OK);
    X509 *x = der_x509(der, len);
    assert_int_equal(verify_chain(ark, ca, x, CHAIN_TIME, NULL), X509_V_OK);
    assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), X509_get0_pubkey(leaf)), 1);
    assert_memory_equal(ASN1_STRING_get0_data(ext_value(x, AMD_OID "4")), other_chip, 64);
    assert_int_equal(ext_int(x, AMD_OID "3.8"), 7);
    X509_free(x);
    kt_bytes_free(der);

    /* expired: valid 2020..2021 only */
    assert_int_equal(kt_sim_issue_leaf(c->sim, NULL, NULL, 1577836800LL, 1609459200LL, &der, &len,
                                       &err),
                     KT_OK);
    x = der_x509(der, len);
    assert_int_equal(verify_chain(ark, ca, x, CHAIN_TIME, NULL), X509_V_ERR_CERT_HAS_EXPIRED);
    X509_free(x);
    kt_bytes_free(der);
    assert_int_equal(kt_sim_issue_leaf(c->sim, NULL, NULL, 100, 50, &der, &len, &err),
                     KT_E_INVALID_ARG);
    X509_free(ark);
    X509_free(ca);
    X509_free(leaf);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain_verifies),
        cmocka_unit_test(test_extensions_match_report),
        cmocka_unit_test(test_leaves_mirror_amd),
        cmocka_unit_test(test_cas_mirror_amd),
        cmocka_unit_test(test_crl),
        cmocka_unit_test(test_issue_leaf_variants),
    };
    return cmocka_run_group_tests(tests, make_sims, free_sims);
}
