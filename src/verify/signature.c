/*
 * The report signature: ECDSA P-384 / SHA-384 over bytes 0x000..0x29F as
 * received, with r and s stored little-endian in 72-byte fields.
 */
#include <string.h>

#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "util/error.h"
#include "verify/internal.h"

/* A 72-byte little-endian field as a BIGNUM (only the low 48 bytes may be set). */
static BIGNUM *le72_to_bn(const uint8_t le[72]) {
    uint8_t be[72];
    for (int i = 0; i < 72; i++)
        be[i] = le[71 - i];
    return BN_bin2bn(be, 72, NULL);
}

kt_status kt_report_signature_verify(EVP_PKEY *leaf_key, const kt_report *report,
                                     kt_error *err) {
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = le72_to_bn(report->signature_r);
    BIGNUM *s = le72_to_bn(report->signature_s);
    unsigned char *der = NULL;
    int der_len = 0;
    kt_status st = KT_OK;
    if (!sig || !r || !s || !ECDSA_SIG_set0(sig, r, s)) {
        BN_free(r);
        BN_free(s);
        st = kt_fail(err, KT_E_INTERNAL, "cannot build the ECDSA signature");
        goto out;
    }
    der_len = i2d_ECDSA_SIG(sig, &der);
    if (der_len <= 0) {
        st = kt_fail(err, KT_E_INTERNAL, "cannot encode the ECDSA signature");
        goto out;
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha384(), NULL, leaf_key) == 1
                 ? EVP_DigestVerify(md, der, (size_t)der_len, report->raw,
                                    KT_REPORT_SIGNED_SIZE)
                 : -1;
    EVP_MD_CTX_free(md);
    if (ok != 1)
        st = kt_fail(err, KT_E_SIGNATURE,
                     "ECDSA P-384/SHA-384 signature over bytes 0x000..0x29f does not verify "
                     "with the leaf key");
out:
    OPENSSL_free(der);
    ECDSA_SIG_free(sig);
    ERR_clear_error();
    return st;
}
