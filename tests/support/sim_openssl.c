/* Test support: plain-OpenSSL checks of the simulator's reports and certificates. */
#include "sim_openssl.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "testutil.h"

X509 *der_x509(const uint8_t *der, size_t len) {
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    assert_non_null(x);
    assert_ptr_equal(p, der + len);
    return x;
}

X509 *read_cert(const char *dir, const char *name) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t len;
    uint8_t *der = kt_test_read_file(path, &len);
    X509 *x = der_x509(der, len);
    free(der);
    return x;
}

X509 *shared_cert(const char *rel) {
    size_t len;
    uint8_t *der = kt_test_read_shared(rel, &len);
    X509 *x = der_x509(der, len);
    free(der);
    return x;
}

const ASN1_OCTET_STRING *ext_value(X509 *x, const char *oid) {
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    assert_non_null(obj);
    int i = X509_get_ext_by_OBJ(x, obj, -1);
    ASN1_OBJECT_free(obj);
    return i < 0 ? NULL : X509_EXTENSION_get_data(X509_get_ext(x, i));
}

long ext_int(X509 *x, const char *oid) {
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

bool ext_ia5(X509 *x, const char *oid, char *out, size_t cap) {
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
int verify_report_sig(const uint8_t *report, X509 *leaf) {
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

int verify_chain(X509 *ark, X509 *ca, X509 *leaf, long long when, X509_CRL *crl) {
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

const char *ca_file(kt_sim_signer s) {
    return s == KT_SIM_SIGNER_VLEK ? "asvk.der" : "ask.der";
}

const char *leaf_file(kt_sim_signer s) {
    return s == KT_SIM_SIGNER_VLEK ? "vlek.der" : "vcek.der";
}
