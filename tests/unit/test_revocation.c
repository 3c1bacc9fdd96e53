/*
 * Revocation through CRLs issued by the intermediate (ASK / ASVK), next to
 * the ARK-issued CRL AMD publishes. AMD's own CRLs list ASKs; a CRL signed by
 * the intermediate covers the leaves it issued (VCEK / VLEK). Everything is
 * made by the simulator: its chain, its quotes, and CRLs signed with the
 * simulator's ARK or intermediate key (kt_sim_build_crl takes any issuer).
 * Each CRL outcome is checked on the revocation line of a real verdict.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "katana_tee/quote.h"
#include "katana_tee/sim.h"
#include "katana_tee/verify.h"
#include "sim/sim_internal.h"

#define NOT_BEFORE 1735689600LL /* 2025-01-01 */
#define AT 1738368000LL         /* 2025-02-01: inside every validity window */
#define THIS_UPDATE 1736899200LL /* 2025-01-15 */
#define NEXT_UPDATE 1740787200LL /* 2025-03-01 */

typedef struct chain {
    char dir[4200];
    kt_sim_signer signer;
    const char *inter; /* "ask" / "asvk" */
    const char *leaf;  /* "vcek" / "vlek" */
    X509 *ark, *ca;
    EVP_PKEY *ark_key, *ca_key;
    uint64_t ca_serial, leaf_serial;
    uint8_t *quote;
    size_t quote_len;
} chain;

static char *g_root;
static chain g_chains[2]; /* Milan VCEK, Genoa VLEK */

static X509 *read_cert(const char *dir, const char *name) {
    char path[4300];
    snprintf(path, sizeof path, "%s/%s.der", dir, name);
    size_t len = 0;
    uint8_t *der = kt_test_read_file(path, &len);
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    free(der);
    if (!x)
        fail_msg("%s does not decode", path);
    return x;
}

static EVP_PKEY *read_key(const char *dir, const char *name) {
    char path[4300];
    snprintf(path, sizeof path, "%s/%s.key", dir, name);
    EVP_PKEY *k = NULL;
    kt_error err = {0};
    if (kt_sim_read_key(path, &k, &err) != KT_OK)
        fail_msg("%s: %s", path, err.message);
    return k;
}

static uint64_t serial_of(X509 *x) {
    uint64_t v = 0;
    if (ASN1_INTEGER_get_uint64(&v, X509_get0_serialNumber(x)) != 1)
        fail_msg("a simulator serial does not fit 64 bits");
    return v;
}

static void make_chain(chain *c, kt_product product, kt_sim_signer signer, uint8_t tag) {
    snprintf(c->dir, sizeof c->dir, "%s/%s-%s", g_root, kt_product_name(product),
             kt_sim_signer_name(signer));
    c->signer = signer;
    c->inter = signer == KT_SIM_SIGNER_VLEK ? "asvk" : "ask";
    c->leaf = kt_sim_signer_name(signer);
    uint8_t seed[2] = {0x7e, tag};
    kt_sim_init_opts o;
    memset(&o, 0, sizeof o);
    o.product = product;
    o.signer = signer;
    o.has_not_before = true;
    o.not_before = NOT_BEFORE;
    o.seed = seed;
    o.seed_len = sizeof seed;
    kt_error err = {0};
    kt_sim *sim = NULL;
    if (kt_sim_init(c->dir, &o, &err) != KT_OK || kt_sim_open(c->dir, &sim, &err) != KT_OK)
        fail_msg("sim %s: %s", c->dir, err.message);
    uint8_t rd[64] = {0x42};
    if (kt_sim_quote(sim, NULL, rd, &c->quote, &c->quote_len, false, &err) != KT_OK)
        fail_msg("sim quote: %s", err.message);
    kt_sim_free(&sim);
    c->ark = read_cert(c->dir, "ark");
    c->ca = read_cert(c->dir, c->inter);
    c->ark_key = read_key(c->dir, "ark");
    c->ca_key = read_key(c->dir, c->inter);
    X509 *leaf = read_cert(c->dir, c->leaf);
    c->ca_serial = serial_of(c->ca);
    c->leaf_serial = serial_of(leaf);
    X509_free(leaf);
    if (c->ca_serial == c->leaf_serial)
        fail_msg("the test needs distinct intermediate and leaf serials");
}

static int setup(void **state) {
    (void)state;
    g_root = kt_test_mkdtemp();
    make_chain(&g_chains[0], KT_PRODUCT_MILAN, KT_SIM_SIGNER_VCEK, 1);
    make_chain(&g_chains[1], KT_PRODUCT_GENOA, KT_SIM_SIGNER_VLEK, 2);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    for (int i = 0; i < 2; i++) {
        chain *c = &g_chains[i];
        X509_free(c->ark);
        X509_free(c->ca);
        EVP_PKEY_free(c->ark_key);
        EVP_PKEY_free(c->ca_key);
        kt_bytes_free(c->quote);
    }
    kt_test_rmtree(g_root);
    free(g_root);
    return 0;
}

/* A CRL named after `issuer`, signed with `key`, listing `serials`. */
static uint8_t *crl(X509 *issuer, EVP_PKEY *key, const uint64_t *serials, size_t n,
                    int64_t this_update, int64_t next_update, size_t *len) {
    uint8_t *der = NULL;
    kt_error err = {0};
    if (kt_sim_build_crl(issuer, key, serials, n, this_update, next_update, &der, len, &err) !=
        KT_OK)
        fail_msg("building a CRL: %s", err.message);
    return der;
}

/* Verify the chain's quote with its own root trusted and `crl_der` given. */
static kt_status verify_with(const chain *c, const uint8_t *crl_der, size_t crl_len,
                             bool require_crl, kt_verdict *vd) {
    kt_error err = {0};
    kt_verifier *v = NULL;
    kt_certs *certs = NULL;
    kt_quote *q = NULL;
    assert_int_equal(kt_verifier_new(&v, &err), KT_OK);
    char ark[4300];
    snprintf(ark, sizeof ark, "%s/ark.der", c->dir);
    size_t ark_len = 0;
    uint8_t *ark_der = kt_test_read_file(ark, &ark_len);
    assert_int_equal(kt_verifier_add_trust_root(v, ark_der, ark_len, "sim root", &err), KT_OK);
    free(ark_der);
    assert_int_equal(kt_certs_new(&certs, &err), KT_OK);
    assert_int_equal(kt_certs_add_dir(certs, c->dir, &err), KT_OK);
    if (crl_der)
        assert_int_equal(
            kt_certs_add(certs, KT_ROLE_CRL, crl_der, crl_len, "test CRL", false, &err), KT_OK);
    assert_int_equal(kt_quote_decode(c->quote, c->quote_len, &q, &err), KT_OK);
    kt_policy pol;
    kt_policy_init(&pol);
    pol.require_crl = require_crl;
    kt_verify_opts o;
    kt_verify_opts_init(&o);
    o.certs = certs;
    o.policy = &pol;
    o.skip_report_data = true;
    o.has_time = true;
    o.at = (time_t)AT;
    kt_status st = kt_verify(v, q, &o, vd, &err);
    kt_quote_free(&q);
    kt_certs_free(&certs);
    kt_verifier_free(&v);
    return st;
}

static void expect_revocation(const kt_verdict *vd, kt_check_result want, const char *needle) {
    const kt_check *ck = &vd->checks[KT_CHECK_REVOCATION];
    if (ck->result != want || !strstr(ck->detail, needle))
        fail_msg("revocation: result %d, want %d; detail '%s' lacks '%s'", (int)ck->result,
                 (int)want, ck->detail, needle);
}

/* The baseline: without a CRL everything passes and revocation is skipped by name. */
static void test_no_crl(void **state) {
    (void)state;
    kt_verdict *vd = malloc(sizeof *vd);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(verify_with(&g_chains[i], NULL, 0, false, vd), KT_OK);
        expect_revocation(vd, KT_RESULT_SKIPPED, "revocation not checked");
        assert_int_equal(verify_with(&g_chains[i], NULL, 0, true, vd), KT_E_CRL);
        expect_revocation(vd, KT_RESULT_FAIL, "requires a revocation check");
    }
    free(vd);
}

/* The intermediate revokes the leaf it issued: VCEK by the ASK, VLEK by the ASVK. */
static void test_intermediate_revokes_leaf(void **state) {
    (void)state;
    kt_verdict *vd = malloc(sizeof *vd);
    for (int i = 0; i < 2; i++) {
        chain *c = &g_chains[i];
        uint64_t serials[3] = {c->leaf_serial - 1, c->leaf_serial, c->leaf_serial + 1};
        size_t len = 0;
        uint8_t *der = crl(c->ca, c->ca_key, serials, 3, THIS_UPDATE, NEXT_UPDATE, &len);
        kt_status st = verify_with(c, der, len, true, vd);
        assert_int_equal(st, KT_E_REVOKED);
        assert_false(vd->valid);
        const char *who = c->signer == KT_SIM_SIGNER_VLEK ? "the VLEK is revoked"
                                                          : "the VCEK is revoked";
        expect_revocation(vd, KT_RESULT_FAIL, who);
        /* everything else about the quote is fine: only revocation failed */
        for (int k = 0; k < KT_CHECK_COUNT; k++)
            if (k != KT_CHECK_REVOCATION)
                assert_int_not_equal(vd->checks[k].result, KT_RESULT_FAIL);
        free(der);
    }
    free(vd);
}

/* An intermediate-issued CRL that lists other serials: passes, naming its signer. */
static void test_intermediate_crl_not_listing(void **state) {
    (void)state;
    kt_verdict *vd = malloc(sizeof *vd);
    for (int i = 0; i < 2; i++) {
        chain *c = &g_chains[i];
        /* the intermediate's own serial in its CRL does not revoke the intermediate */
        uint64_t serials[2] = {c->leaf_serial + 7, c->ca_serial};
        size_t len = 0;
        uint8_t *der = crl(c->ca, c->ca_key, serials, 2, THIS_UPDATE, NEXT_UPDATE, &len);
        assert_int_equal(verify_with(c, der, len, true, vd), KT_OK);
        assert_true(vd->valid);
        expect_revocation(vd, KT_RESULT_PASS,
                          c->signer == KT_SIM_SIGNER_VLEK ? "signed by the ASVK"
                                                          : "signed by the ASK");
        free(der);
        /* empty */
        der = crl(c->ca, c->ca_key, NULL, 0, THIS_UPDATE, NEXT_UPDATE, &len);
        assert_int_equal(verify_with(c, der, len, true, vd), KT_OK);
        free(der);
    }
    free(vd);
}

/* The ARK revokes the intermediate; an ARK CRL listing the leaf's serial does not revoke it. */
static void test_ark_crl_scope(void **state) {
    (void)state;
    kt_verdict *vd = malloc(sizeof *vd);
    for (int i = 0; i < 2; i++) {
        chain *c = &g_chains[i];
        size_t len = 0;
        uint8_t *der = crl(c->ark, c->ark_key, &c->ca_serial, 1, THIS_UPDATE, NEXT_UPDATE, &len);
        assert_int_equal(verify_with(c, der, len, false, vd), KT_E_REVOKED);
        expect_revocation(vd, KT_RESULT_FAIL,
                          c->signer == KT_SIM_SIGNER_VLEK ? "the ASVK is revoked"
                                                          : "the ASK is revoked");
        free(der);
        /* serial numbers are per issuer: the ARK's list says nothing about the ASK's leaves */
        der = crl(c->ark, c->ark_key, &c->leaf_serial, 1, THIS_UPDATE, NEXT_UPDATE, &len);
        assert_int_equal(verify_with(c, der, len, true, vd), KT_OK);
        expect_revocation(vd, KT_RESULT_PASS, "signed by the ARK");
        free(der);
    }
    free(vd);
}

/* A CRL carrying the intermediate's name but signed by another key is refused. */
static void test_forged_intermediate_crl(void **state) {
    (void)state;
    kt_verdict *vd = malloc(sizeof *vd);
    chain *c = &g_chains[0];
    size_t len = 0;
    /* ASK's name, the ARK's key (RSA-PSS like the real one, so only the key is wrong) */
    uint8_t *der = crl(c->ca, c->ark_key, NULL, 0, THIS_UPDATE, NEXT_UPDATE, &len);
    assert_int_equal(verify_with(c, der, len, false, vd), KT_E_CRL);
    expect_revocation(vd, KT_RESULT_FAIL, "signature by the ASK does not verify");
    free(der);
    /* the other chain's intermediate: issued by neither the ARK nor the ASK of this chain */
    chain *o = &g_chains[1];
    der = crl(o->ca, o->ca_key, &c->leaf_serial, 1, THIS_UPDATE, NEXT_UPDATE, &len);
    assert_int_equal(verify_with(c, der, len, false, vd), KT_E_CRL);
    expect_revocation(vd, KT_RESULT_FAIL, "issued by neither the ARK nor the ASK");
    free(der);
    free(vd);
}

/* An intermediate CRL outside its window: stale or not yet issued. */
static void test_intermediate_crl_window(void **state) {
    (void)state;
    kt_verdict *vd = malloc(sizeof *vd);
    chain *c = &g_chains[0];
    size_t len = 0;
    uint8_t *der = crl(c->ca, c->ca_key, NULL, 0, NOT_BEFORE, THIS_UPDATE, &len);
    assert_int_equal(verify_with(c, der, len, false, vd), KT_E_CRL);
    expect_revocation(vd, KT_RESULT_FAIL, "stale");
    free(der);
    der = crl(c->ca, c->ca_key, NULL, 0, NEXT_UPDATE, NEXT_UPDATE + 86400, &len);
    assert_int_equal(verify_with(c, der, len, false, vd), KT_E_CRL);
    expect_revocation(vd, KT_RESULT_FAIL, "after the verification time");
    free(der);
    free(vd);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_crl),
        cmocka_unit_test(test_intermediate_revokes_leaf),
        cmocka_unit_test(test_intermediate_crl_not_listing),
        cmocka_unit_test(test_ark_crl_scope),
        cmocka_unit_test(test_forged_intermediate_crl),
        cmocka_unit_test(test_intermediate_crl_window),
    };
    return cmocka_run_group_tests_name("revocation", tests, setup, teardown);
}
