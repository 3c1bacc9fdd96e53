/*
 * Checking that what KDS (or the cache) handed us is the object we asked
 * for, before anything is cached or used. Shape only: signatures and
 * pinned roots are the verifier's job.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "katana_tee/hex.h"
#include "kds/kds_internal.h"
#include "util/error.h"
#include "x509/x509util.h"

/*
 * Certificates are decoded with the shared X.509 helpers (x509/x509util.h):
 * one parser of AMD's extensions for the whole library.
 */

static time_t not_after(const X509 *cert) {
    time_t t = 0;
    return kt_asn1_time_to_time_t(X509_get0_notAfter(cert), &t) ? t : 0;
}

static kt_status check_vcek_tcb(const kt_kds_object *obj, const kt_amd_ext *ext, const char *what,
                                kt_error *err) {
    const struct {
        const char *name;
        bool has;
        int value, want;
    } spl[] = {
        {"blSPL", ext->has_bl, ext->bl, obj->tcb.boot_loader},
        {"teeSPL", ext->has_tee, ext->tee, obj->tcb.tee},
        {"snpSPL", ext->has_snp, ext->snp, obj->tcb.snp},
        {"ucodeSPL", ext->has_ucode, ext->ucode, obj->tcb.microcode},
        {"fmcSPL", ext->has_fmc, ext->fmc, obj->tcb.fmc},
    };
    size_t n = obj->product == KT_PRODUCT_TURIN ? 5 : 4;
    for (size_t i = 0; i < n; i++) {
        if (!spl[i].has)
            return kt_fail(err, KT_E_CERT_FORMAT, "%s: VCEK %s extension is missing", what,
                           spl[i].name);
        if (spl[i].value != spl[i].want)
            return kt_fail(err, KT_E_BINDING, "%s: VCEK is for another TCB (%s=%d, requested %d)",
                           what, spl[i].name, spl[i].value, spl[i].want);
    }
    return KT_OK;
}

static kt_status check_vcek_cert(const kt_kds_object *obj, X509 *cert, const char *what,
                                 kt_error *err) {
    const char *prod = kt_product_name(obj->product);
    char cn[128] = "", icn[128] = "", want[64];
    snprintf(want, sizeof want, "SEV-%s", prod);
    if (!kt_x509_subject_cn(cert, cn, sizeof cn) || strcmp(cn, "SEV-VCEK") != 0)
        return kt_fail(err, KT_E_CERT_FORMAT, "%s: not a VCEK (subject CN is not SEV-VCEK)", what);
    if (!kt_x509_name_cn(X509_get_issuer_name(cert), icn, sizeof icn) || strcmp(icn, want) != 0)
        return kt_fail(err, KT_E_CERT_FORMAT, "%s: VCEK issued by %s, expected %s", what,
                       icn[0] ? icn : "(no CN)", want);
    kt_error why = {0};
    if (kt_x509_check_p384(X509_get0_pubkey(cert), "VCEK", &why) != KT_OK)
        return kt_fail(err, KT_E_CERT_FORMAT, "%s: VCEK key is not EC P-384 (%s)", what,
                       why.message);
    kt_amd_ext ext;
    kt_status st = kt_x509_amd_extensions(cert, what, &ext, err);
    if (st != KT_OK)
        return st;
    size_t pl = strlen(prod);
    if (ext.product_name[0] && (strncmp(ext.product_name, prod, pl) != 0 ||
                                (ext.product_name[pl] != '\0' && ext.product_name[pl] != '-')))
        return kt_fail(err, KT_E_CERT_FORMAT, "%s: VCEK productName is %s, not %s", what,
                       ext.product_name, prod);
    size_t hw_len = obj->product == KT_PRODUCT_TURIN ? 8 : 64;
    if (ext.hwid_len == 0)
        return kt_fail(err, KT_E_CERT_FORMAT, "%s: VCEK has no hwID extension", what);
    if (ext.hwid_len != hw_len || memcmp(ext.hwid, obj->chip_id, hw_len) != 0) {
        char got[17] = "", exp[17];
        kt_hex_encode(ext.hwid, ext.hwid_len < 8 ? ext.hwid_len : 8, got);
        kt_hex_encode(obj->chip_id, 8, exp);
        return kt_fail(err, KT_E_BINDING,
                       "%s: VCEK is for another chip (hwID %s%s, %zu bytes; requested %s%s)", what,
                       got, ext.hwid_len > 8 ? "..." : "", ext.hwid_len, exp,
                       hw_len > 8 ? "..." : "");
    }
    return check_vcek_tcb(obj, &ext, what, err);
}

static kt_status check_vcek(const kt_kds_object *obj, const uint8_t *der, size_t len,
                            const char *what, time_t *expires, kt_error *err) {
    const unsigned char *p = der;
    X509 *cert = d2i_X509(NULL, &p, (long)len);
    if (!cert || p != der + len) {
        X509_free(cert);
        ERR_clear_error();
        return kt_fail(err, KT_E_CERT_FORMAT, "%s: not a DER X.509 certificate (%zu bytes)", what,
                       len);
    }
    kt_status st = check_vcek_cert(obj, cert, what, err);
    if (st == KT_OK)
        *expires = not_after(cert);
    X509_free(cert);
    return st;
}

static bool is_rsa(X509 *cert) {
    EVP_PKEY *k = X509_get0_pubkey(cert);
    ERR_clear_error();
    return k && (EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA ||
                 EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA_PSS);
}

/* The two certificates of a KDS chain, collected block by block. */
typedef struct chain_blocks {
    X509 *certs[2];
    const char *what;
} chain_blocks;

static kt_status chain_block(void *ctx, const char *type, const uint8_t *der, size_t len,
                             int index, kt_error *err) {
    chain_blocks *c = ctx;
    if (strcmp(type, "CERTIFICATE") != 0)
        return kt_fail(err, KT_E_CERT_FORMAT, "%s: PEM block '%s' is not a certificate", c->what,
                       type);
    if (index >= 2)
        return kt_fail(err, KT_E_CERT_FORMAT, "%s: more than two certificates", c->what);
    const unsigned char *p = der;
    c->certs[index] = d2i_X509(NULL, &p, (long)len);
    if (!c->certs[index] || p != der + len) {
        ERR_clear_error();
        return kt_fail(err, KT_E_CERT_FORMAT, "%s: certificate #%d does not decode", c->what,
                       index + 1);
    }
    return KT_OK;
}

static kt_status check_chain_certs(const kt_kds_object *obj, X509 *const certs[2],
                                   const char *what, kt_error *err) {
    const char *prod = kt_product_name(obj->product);
    char want_mid[64], want_ark[64], cn[128] = "";
    snprintf(want_mid, sizeof want_mid, obj->vlek ? "SEV-VLEK-%s" : "SEV-%s", prod);
    snprintf(want_ark, sizeof want_ark, "ARK-%s", prod);
    if (!kt_x509_subject_cn(certs[0], cn, sizeof cn) || strcmp(cn, want_mid) != 0)
        return kt_fail(err, KT_E_CERT_FORMAT, "%s: first certificate is %s, expected %s", what,
                       cn[0] ? cn : "(no CN)", want_mid);
    cn[0] = '\0';
    if (!kt_x509_subject_cn(certs[1], cn, sizeof cn) || strcmp(cn, want_ark) != 0)
        return kt_fail(err, KT_E_CERT_FORMAT, "%s: second certificate is %s, expected %s", what,
                       cn[0] ? cn : "(no CN)", want_ark);
    if (X509_NAME_cmp(X509_get_issuer_name(certs[0]), X509_get_subject_name(certs[1])) != 0 ||
        X509_NAME_cmp(X509_get_issuer_name(certs[1]), X509_get_subject_name(certs[1])) != 0)
        return kt_fail(err, KT_E_CERT_FORMAT,
                       "%s: %s is not issued by %s, or %s is not self-issued", what, want_mid,
                       want_ark, want_ark);
    if (!is_rsa(certs[0]) || !is_rsa(certs[1]))
        return kt_fail(err, KT_E_CERT_FORMAT, "%s: chain certificates must have RSA keys", what);
    return KT_OK;
}

static kt_status check_chain(const kt_kds_object *obj, const uint8_t *pem, size_t len,
                             const char *what, time_t *expires, kt_error *err) {
    if (len > 64 * 1024)
        return kt_fail(err, KT_E_CERT_FORMAT, "%s: %zu bytes is too large for a chain", what, len);
    chain_blocks c = {{NULL, NULL}, what};
    int count = 0;
    kt_status st = kt_pem_foreach(pem, len, chain_block, &c, &count, err);
    if (st == KT_OK && count != 2)
        st = kt_fail(err, KT_E_CERT_FORMAT,
                     "%s: expected 2 PEM certificates (intermediate, ARK), found %d", what, count);
    if (st == KT_OK)
        st = check_chain_certs(obj, c.certs, what, err);
    if (st == KT_OK) {
        time_t a = not_after(c.certs[0]), b = not_after(c.certs[1]);
        *expires = a < b ? a : b;
    }
    X509_free(c.certs[0]);
    X509_free(c.certs[1]);
    return st;
}

static kt_status check_crl(const kt_kds_object *obj, const uint8_t *der, size_t len,
                           const char *what, time_t *expires, kt_error *err) {
    const unsigned char *p = der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
    if (!crl || p != der + len) {
        X509_CRL_free(crl);
        ERR_clear_error();
        return kt_fail(err, KT_E_CERT_FORMAT, "%s: not a DER X.509 CRL (%zu bytes)", what, len);
    }
    char cn[128] = "", want[64];
    snprintf(want, sizeof want, "ARK-%s", kt_product_name(obj->product));
    kt_status st = KT_OK;
    time_t next = 0;
    if (!kt_x509_name_cn(X509_CRL_get_issuer(crl), cn, sizeof cn) || strcmp(cn, want) != 0)
        st = kt_fail(err, KT_E_CERT_FORMAT, "%s: CRL issued by %s, expected %s", what,
                     cn[0] ? cn : "(no CN)", want);
    else if (X509_CRL_get0_nextUpdate(crl) &&
             kt_asn1_time_to_time_t(X509_CRL_get0_nextUpdate(crl), &next))
        *expires = next;
    X509_CRL_free(crl);
    return st;
}

kt_status kt_kds_check_object(const kt_kds_object *obj, const uint8_t *bytes, size_t len,
                              const char *what, time_t *expires, kt_error *err) {
    if (!obj || !bytes || !expires)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_kds_check_object: bad argument");
    if (len == 0)
        return kt_fail(err, KT_E_CERT_FORMAT, "%s: empty", what);
    if (len > INT32_MAX)
        return kt_fail(err, KT_E_TOO_LARGE, "%s: too large", what);
    *expires = 0;
    switch (obj->kind) {
    case KT_KDS_VCEK: return check_vcek(obj, bytes, len, what, expires, err);
    case KT_KDS_CHAIN: return check_chain(obj, bytes, len, what, expires, err);
    case KT_KDS_CRL: return check_crl(obj, bytes, len, what, expires, err);
    }
    return kt_fail(err, KT_E_INVALID_ARG, "kt_kds_check_object: unknown object kind");
}
