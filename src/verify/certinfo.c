/* kt_cert_info: what a certificate says (subject, serial, validity, TCB), for printing. */
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "util/amdname.h"
#include "util/error.h"
#include "verify/internal.h"

void kt_cert_info_of(const X509 *x, kt_cert_info *out) {
    memset(out, 0, sizeof *out);
    out->present = true;
    if (!kt_x509_subject_cn(x, out->subject, sizeof out->subject))
        snprintf(out->subject, sizeof out->subject, "(no common name)");
    if (!kt_x509_name_cn(X509_get_issuer_name(x), out->issuer, sizeof out->issuer))
        snprintf(out->issuer, sizeof out->issuer, "(no common name)");
    out->role = kt_cert_role_from_cn(out->subject);
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    char *hex = bn ? BN_bn2hex(bn) : NULL;
    snprintf(out->serial, sizeof out->serial, "%s", hex ? hex : "?");
    OPENSSL_free(hex);
    BN_free(bn);
    kt_x509_validity(x, &out->not_before, &out->not_after);
    kt_amd_ext ext;
    if ((out->role == KT_ROLE_VCEK || out->role == KT_ROLE_VLEK) &&
        kt_x509_amd_extensions(x, out->subject, &ext, NULL) == KT_OK) {
        out->has_tcb = ext.has_bl && ext.has_tee && ext.has_snp && ext.has_ucode;
        out->bl = ext.bl;
        out->tee = ext.tee;
        out->snp = ext.snp;
        out->ucode = ext.ucode;
        out->has_fmc = ext.has_fmc;
        out->fmc = ext.fmc;
        snprintf(out->product_name, sizeof out->product_name, "%s", ext.product_name);
    }
    ERR_clear_error();
}

typedef struct first_pem {
    kt_cert_info *out;
    bool found;
} first_pem;

static kt_status describe_block(void *ctx, const char *type, const uint8_t *der, size_t len,
                                int index, kt_error *err) {
    first_pem *f = ctx;
    (void)index;
    if (f->found || strcmp(type, "CERTIFICATE") != 0)
        return KT_OK;
    kt_status st = kt_cert_info_get(der, len, f->out, err);
    f->found = st == KT_OK;
    return st;
}

kt_status kt_cert_info_get(const uint8_t *bytes, size_t len, kt_cert_info *out, kt_error *err) {
    if (!bytes || !out)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_cert_info_get: bad argument");
    static const char marker[] = "-----BEGIN ";
    bool pem = false;
    for (size_t i = 0; !pem && i + sizeof marker - 1 <= len && i < 4096; i++)
        pem = memcmp(bytes + i, marker, sizeof marker - 1) == 0;
    if (pem) {
        first_pem f = {out, false};
        kt_status st = kt_pem_foreach(bytes, len, describe_block, &f, NULL, err);
        if (st == KT_OK && !f.found)
            st = kt_fail(err, KT_E_PARSE, "no PEM certificate found");
        return st;
    }
    const unsigned char *p = bytes;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (!x || p != bytes + len) {
        X509_free(x);
        ERR_clear_error();
        return kt_fail(err, KT_E_PARSE, "not a DER X.509 certificate (%zu bytes)", len);
    }
    kt_cert_info_of(x, out);
    X509_free(x);
    return KT_OK;
}
