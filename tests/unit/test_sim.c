/*
 * The simulator, checked with plain OpenSSL written here (never with the
 * project's verifier): report signatures, chains, extensions, CRLs, and
 * byte-for-byte agreement of our certificate layout with AMD's real ones.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "katana_tee/attester.h"
#include "katana_tee/quote.h"
#include "katana_tee/report.h"
#include "katana_tee/sim.h"
#include "util/fileio.h"

#define NOT_BEFORE 1735689600LL            /* 2025-01-01T00:00:00Z */
#define CHAIN_TIME (NOT_BEFORE + 30 * 86400LL) /* inside every validity window */
#define AMD_OID "1.3.6.1.4.1.3704.1."
#define NSIMS 6

typedef struct sim_case {
    kt_product product;
    kt_sim_signer signer;
    char dir[4096];
    kt_sim *sim;
} sim_case;

static char *g_root;
static sim_case g_sims[NSIMS];
static const char *const aws_csp = "CN=cc-eu-west-1.amazonaws.com";

/* ---- plain-OpenSSL helpers -------------------------------------------------- */

static X509 *der_x509(const uint8_t *der, size_t len) {
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    assert_non_null(x);
    assert_ptr_equal(p, der + len);
    return x;
}

static X509 *read_cert(const char *dir, const char *name) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t len;
    uint8_t *der = kt_test_read_file(path, &len);
    X509 *x = der_x509(der, len);
    free(der);
    return x;
}

static X509 *shared_cert(const char *rel) {
    size_t len;
    uint8_t *der = kt_test_read_shared(rel, &len);
    X509 *x = der_x509(der, len);
    free(der);
    return x;
}

static const ASN1_OCTET_STRING *ext_value(X509 *x, const char *oid) {
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    assert_non_null(obj);
    int i = X509_get_ext_by_OBJ(x, obj, -1);
    ASN1_OBJECT_free(obj);
    return i < 0 ? NULL : X509_EXTENSION_get_data(X509_get_ext(x, i));
}

/* An extension holding a DER INTEGER; -1 when absent. */
static long ext_int(X509 *x, const char *oid) {
    const ASN1_OCTET_STRING *v = ext_value(x, oid);
    if (!v)
        return -1;
    const unsigned char *p = ASN1_STRING_get0_data(v);
    ASN1_INTEGER *i = d2i_ASN1_INTEGER(NULL, &p, ASN1_STRING_length(v));
    assert_non_null(i);
    assert_ptr_equal(p, ASN1_STRING_get0_data(v) + ASN1_STRING_length(v));
    long n = ASN1_INTEGER_get(i);
    ASN1_INTEGER_free(i);
    return n;
}

/* An extension holding a DER IA5String, copied to out; false when absent. */
static bool ext_ia5(X509 *x, const char *oid, char *out, size_t cap) {
    const ASN1_OCTET_STRING *v = ext_value(x, oid);
    if (!v)
        return false;
    const unsigned char *p = ASN1_STRING_get0_data(v);
    ASN1_IA5STRING *s = d2i_ASN1_IA5STRING(NULL, &p, ASN1_STRING_length(v));
    assert_non_null(s);
    assert_true((size_t)ASN1_STRING_length(s) < cap);
    memcpy(out, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
    out[ASN1_STRING_length(s)] = '\0';
    ASN1_IA5STRING_free(s);
    return true;
}

/* SHA-384 over 0x000..0x29F, r/s little-endian at 0x2A0/0x2E8 → ECDSA_SIG. */
static int verify_report_sig(const uint8_t *report, X509 *leaf) {
    uint8_t be[72];
    BIGNUM *r, *s;
    for (int i = 0; i < 72; i++)
        be[i] = report[0x2A0 + 71 - i];
    r = BN_bin2bn(be, 72, NULL);
    for (int i = 0; i < 72; i++)
        be[i] = report[0x2E8 + 71 - i];
    s = BN_bin2bn(be, 72, NULL);
    ECDSA_SIG *sig = ECDSA_SIG_new();
    assert_true(ECDSA_SIG_set0(sig, r, s));
    unsigned char *der = NULL;
    int der_len = i2d_ECDSA_SIG(sig, &der);
    ECDSA_SIG_free(sig);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int rc = EVP_DigestVerifyInit(md, NULL, EVP_sha384(), NULL, X509_get0_pubkey(leaf)) == 1
                 ? EVP_DigestVerify(md, der, (size_t)der_len, report, 0x2A0)
                 : -1;
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    return rc;
}

/* X509_verify_cert with the ARK as the only anchor; returns the X509_V_ code. */
static int verify_chain(X509 *ark, X509 *ca, X509 *leaf, long long when, X509_CRL *crl) {
    X509_STORE *store = X509_STORE_new();
    assert_true(X509_STORE_add_cert(store, ark));
    if (crl)
        assert_true(X509_STORE_add_crl(store, crl));
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    sk_X509_push(untrusted, ca);
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    assert_true(X509_STORE_CTX_init(ctx, store, leaf, untrusted));
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_time(param, (time_t)when);
    if (crl)
        X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_CRL_CHECK); /* the target only */
    int ok = X509_verify_cert(ctx);
    int code = ok == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
    if (ok == 1)
        assert_int_equal(X509_STORE_CTX_get_error(ctx), X509_V_OK);
    X509_STORE_CTX_free(ctx);
    sk_X509_free(untrusted);
    X509_STORE_free(store);
    return code;
}

static const char *ca_file(kt_sim_signer s) {
    return s == KT_SIM_SIGNER_VLEK ? "asvk.der" : "ask.der";
}

static const char *leaf_file(kt_sim_signer s) {
    return s == KT_SIM_SIGNER_VLEK ? "vlek.der" : "vcek.der";
}

/* ---- fixtures ------------------------------------------------------------- */

static int make_sims(void **state) {
    (void)state;
    g_root = kt_test_mkdtemp();
    const kt_product products[3] = {KT_PRODUCT_MILAN, KT_PRODUCT_GENOA, KT_PRODUCT_TURIN};
    for (int i = 0; i < NSIMS; i++) {
        sim_case *c = &g_sims[i];
        c->product = products[i / 2];
        c->signer = (i % 2) ? KT_SIM_SIGNER_VLEK : KT_SIM_SIGNER_VCEK;
        snprintf(c->dir, sizeof c->dir, "%s/%s-%s", g_root, kt_product_name(c->product),
                 kt_sim_signer_name(c->signer));
        uint8_t seed[2] = {0x5e, (uint8_t)i};
        kt_sim_init_opts o;
        memset(&o, 0, sizeof o);
        o.product = c->product;
        o.signer = c->signer;
        o.has_not_before = true;
        o.not_before = NOT_BEFORE;
        o.seed = seed;
        o.seed_len = sizeof seed;
        if (c->product == KT_PRODUCT_MILAN && c->signer == KT_SIM_SIGNER_VLEK)
            o.csp_id = aws_csp;
        kt_error err = {0};
        if (kt_sim_init(c->dir, &o, &err) != KT_OK || kt_sim_open(c->dir, &c->sim, &err) != KT_OK) {
            fprintf(stderr, "sim setup %s: %s\n", c->dir, err.message);
            return -1;
        }
    }
    return 0;
}

static int free_sims(void **state) {
    (void)state;
    for (int i = 0; i < NSIMS; i++)
        kt_sim_free(&g_sims[i].sim);
    kt_sim_free(&g_sims[0].sim); /* second free of NULL is a no-op */
    kt_test_rmtree(g_root);
    free(g_root);
    return 0;
}

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

static void test_kds_tree(void **state) {
    (void)state;
    sim_case *c = &g_sims[0];
    char out[4200], path[8600];
    snprintf(out, sizeof out, "%s/kds", g_root);
    kt_error err = {0};
    assert_int_equal(kt_sim_write_kds_tree(c->sim, out, &err), KT_OK);
    kt_sim_info info;
    kt_sim_get_info(c->sim, &info);

    size_t a_len, b_len;
    snprintf(path, sizeof path, "%s/vcek/v1/Milan/cert_chain", out);
    uint8_t *a = kt_test_read_file(path, &a_len);
    snprintf(path, sizeof path, "%s/cert_chain.pem", c->dir);
    uint8_t *b = kt_test_read_file(path, &b_len);
    assert_int_equal(a_len, b_len);
    assert_memory_equal(a, b, a_len);
    free(a);
    free(b);

    char hwid[129], name[64];
    for (int i = 0; i < 64; i++)
        snprintf(hwid + 2 * i, 3, "%02x", info.chip_id[i]);
    kt_sim_kds_vcek_name(KT_PRODUCT_MILAN, &info.tcb, name);
    assert_string_equal(name, "bl4_tee0_snp29_ucode222.der");
    snprintf(path, sizeof path, "%s/vcek/v1/Milan/%s/%s", out, hwid, name);
    a = kt_test_read_file(path, &a_len);
    assert_int_equal(a_len, info.leaf_der_len);
    assert_memory_equal(a, info.leaf_der, a_len);
    free(a);

    snprintf(path, sizeof path, "%s/vcek/v1/Milan/crl", out);
    a = kt_test_read_file(path, &a_len);
    const unsigned char *p = a;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)a_len);
    assert_non_null(crl);
    X509 *ark = der_x509(info.ark_der, info.ark_der_len);
    assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(ark)), 1);
    X509_free(ark);
    X509_CRL_free(crl);
    free(a);

    snprintf(path, sizeof path, "%s/index.json", out);
    json_error_t jerr;
    json_t *idx = json_load_file(path, 0, &jerr);
    assert_non_null(idx);
    json_t *entries = json_object_get(idx, "entries");
    assert_int_equal(json_array_size(entries), 3);
    json_t *vcek = json_array_get(entries, 2);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(vcek, "query"), "ucodeSPL")),
                     222);
    json_decref(idx);

    kt_tcb turin = kt_sim_default_tcb(KT_PRODUCT_TURIN);
    kt_sim_kds_vcek_name(KT_PRODUCT_TURIN, &turin, name);
    assert_string_equal(name, "fmc0_bl1_tee0_snp2_ucode71.der");
}

/* ---- refusals -------------------------------------------------------------------- */

static void test_init_refusals(void **state) {
    (void)state;
    kt_sim_init_opts o;
    memset(&o, 0, sizeof o);
    kt_error err = {0};
    char dir[4200];
    /* existing simulator dir without reuse, and a non-empty ordinary dir */
    assert_int_equal(kt_sim_init(g_sims[0].dir, &o, &err), KT_E_INVALID_ARG);
    assert_non_null(strstr(err.message, "reuse"));
    snprintf(dir, sizeof dir, "%s/full", g_root);
    assert_int_equal(mkdir(dir, 0700), 0);
    char file[4300];
    snprintf(file, sizeof file, "%s/x", dir);
    kt_error ferr = {0};
    assert_int_equal(kt_file_write_atomic(file, "x", 1, 0644, &ferr), KT_OK);
    o.reuse_keys = true; /* not a simulator dir: reuse does not apply */
    assert_int_equal(kt_sim_init(dir, &o, &err), KT_E_INVALID_ARG);
    assert_non_null(strstr(err.message, "not empty"));
    o.reuse_keys = false;

    snprintf(dir, sizeof dir, "%s/bad", g_root);
    o.product = KT_PRODUCT_TURIN;
    o.has_chip_id = true;
    memset(o.chip_id, 1, 64);
    assert_int_equal(kt_sim_init(dir, &o, &err), KT_E_INVALID_ARG);
    memset(&o, 0, sizeof o);
    o.has_tcb = true;
    o.tcb.fmc = 1;
    assert_int_equal(kt_sim_init(dir, &o, &err), KT_E_INVALID_ARG);
    memset(&o, 0, sizeof o);
    o.report_version = 6;
    assert_int_equal(kt_sim_init(dir, &o, &err), KT_E_INVALID_ARG);
    assert_int_equal(access(dir, F_OK), -1); /* nothing created on refusal */

    kt_tcb t = kt_sim_default_tcb(KT_PRODUCT_MILAN);
    assert_int_equal(kt_sim_tcb_parse("bl=5,snp=30", KT_PRODUCT_MILAN, &t, &err), KT_OK);
    assert_int_equal(t.boot_loader, 5);
    assert_int_equal(t.snp, 30);
    assert_int_equal(t.microcode, 222);
    kt_tcb want = t;
    assert_int_equal(t.raw, kt_tcb_encode(&want, KT_PRODUCT_MILAN));
    assert_int_equal(kt_sim_tcb_parse("fmc=1", KT_PRODUCT_MILAN, &t, &err), KT_E_INVALID_ARG);
    assert_int_equal(kt_sim_tcb_parse("bl=256", KT_PRODUCT_MILAN, &t, &err), KT_E_RANGE);
    assert_int_equal(kt_sim_tcb_parse("bl=", KT_PRODUCT_MILAN, &t, &err), KT_E_PARSE);
    assert_int_equal(kt_sim_tcb_parse("xyz=1", KT_PRODUCT_MILAN, &t, &err), KT_E_PARSE);
    assert_int_equal(kt_sim_tcb_parse("bl=1,", KT_PRODUCT_MILAN, &t, &err), KT_E_PARSE);
    assert_int_equal(kt_sim_tcb_parse("bl=1x", KT_PRODUCT_MILAN, &t, &err), KT_E_PARSE);
    assert_int_equal(kt_sim_tcb_parse("fmc=3,bl=2", KT_PRODUCT_TURIN, &t, &err), KT_OK);
    assert_int_equal(t.raw & 0xffff, 0x0203);
}

static void copy_file(const char *from_dir, const char *to_dir, const char *name,
                      const char *as) {
    char a[4300], b[4300];
    snprintf(a, sizeof a, "%s/%s", from_dir, name);
    snprintf(b, sizeof b, "%s/%s", to_dir, as ? as : name);
    size_t len;
    uint8_t *data = kt_test_read_file(a, &len);
    kt_error err = {0};
    assert_int_equal(kt_file_write_atomic(b, data, len, 0600, &err), KT_OK);
    free(data);
}

static void test_open_refusals(void **state) {
    (void)state;
    static const char *const files[] = {"sim.json", "ark.key", "ark.der", "ask.key",
                                        "ask.der",  "vcek.key", "vcek.der"};
    char dir[4200], cfg[4300];
    snprintf(dir, sizeof dir, "%s/copy", g_root);
    assert_int_equal(mkdir(dir, 0700), 0);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        copy_file(g_sims[0].dir, dir, files[i], NULL);
    kt_sim *s = NULL;
    kt_error err = {0};
    assert_int_equal(kt_sim_open(dir, &s, &err), KT_OK);
    kt_sim_free(&s);

    /* a leaf key from another simulator */
    copy_file(g_sims[2].dir, dir, "vcek.key", NULL);
    assert_int_equal(kt_sim_open(dir, &s, &err), KT_E_CERT_FORMAT);
    assert_null(s);
    copy_file(g_sims[0].dir, dir, "vcek.key", NULL);
    /* an ASK from another simulator: not issued by this ARK */
    copy_file(g_sims[2].dir, dir, "ask.der", NULL);
    copy_file(g_sims[2].dir, dir, "ask.key", NULL);
    assert_int_equal(kt_sim_open(dir, &s, &err), KT_E_CHAIN);
    copy_file(g_sims[0].dir, dir, "ask.der", NULL);
    copy_file(g_sims[0].dir, dir, "ask.key", NULL);

    /* sim.json: unknown member, bad JSON, wrong format */
    snprintf(cfg, sizeof cfg, "%s/sim.json", dir);
    size_t len;
    uint8_t *orig = kt_test_read_file(cfg, &len);
    static const char *const bad[] = {
        "{\"format\":\"katana-tee-sim/1\"}",
        "{",
        "[]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(kt_file_write_atomic(cfg, bad[i], strlen(bad[i]), 0644, &err), KT_OK);
        assert_int_equal(kt_sim_open(dir, &s, &err), KT_E_PARSE);
    }
    char *edited = malloc(len + 32);
    memcpy(edited, orig, len);
    char *brace = strrchr((char *)orig, '}');
    size_t at = (size_t)(brace - (char *)orig);
    int n = snprintf(edited + at, 32, ",\"bogus\":1}\n");
    assert_int_equal(kt_file_write_atomic(cfg, edited, at + (size_t)n, 0644, &err), KT_OK);
    assert_int_equal(kt_sim_open(dir, &s, &err), KT_E_PARSE);
    assert_non_null(strstr(err.message, "bogus"));
    free(edited);
    free(orig);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quotes_verify_and_round_trip),
        cmocka_unit_test(test_report_params),
        cmocka_unit_test(test_report_id),
        cmocka_unit_test(test_chain_verifies),
        cmocka_unit_test(test_extensions_match_report),
        cmocka_unit_test(test_leaves_mirror_amd),
        cmocka_unit_test(test_cas_mirror_amd),
        cmocka_unit_test(test_crl),
        cmocka_unit_test(test_issue_leaf_variants),
        cmocka_unit_test(test_cert_table),
        cmocka_unit_test(test_attester),
        cmocka_unit_test(test_kds_tree),
        cmocka_unit_test(test_init_refusals),
        cmocka_unit_test(test_open_refusals),
    };
    return cmocka_run_group_tests(tests, make_sims, free_sims);
}
