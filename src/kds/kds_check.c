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

#define OID_PRODUCT_NAME "1.3.6.1.4.1.3704.1.2"
#define OID_BL_SPL "1.3.6.1.4.1.3704.1.3.1"
#define OID_TEE_SPL "1.3.6.1.4.1.3704.1.3.2"
#define OID_SNP_SPL "1.3.6.1.4.1.3704.1.3.3"
#define OID_UCODE_SPL "1.3.6.1.4.1.3704.1.3.8"
#define OID_FMC_SPL "1.3.6.1.4.1.3704.1.3.9"
#define OID_HWID "1.3.6.1.4.1.3704.1.4"

static bool name_cn(const X509_NAME *name, char *out, size_t cap) {
    int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (idx < 0)
        return false;
    const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
    int n = ASN1_STRING_length(s);
    if (!s || n <= 0 || (size_t)n >= cap)
        return false;
    memcpy(out, ASN1_STRING_get0_data(s), (size_t)n);
    out[n] = '\0';
    return strlen(out) == (size_t)n; /* no embedded NUL */
}

static time_t asn1_time(const ASN1_TIME *t) {
    struct tm tm;
    if (!t || !ASN1_TIME_to_tm(t, &tm))
        return 0;
    return kt_kds_timegm(&tm);
}

/* The raw extnValue of the extension with this dotted OID, or NULL. */
static const ASN1_OCTET_STRING *ext_value(X509 *cert, const char *oid) {
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    if (!obj)
        return NULL;
    int idx = X509_get_ext_by_OBJ(cert, obj, -1);
    ASN1_OBJECT_free(obj);
    if (idx < 0)
        return NULL;
    return X509_EXTENSION_get_data(X509_get_ext(cert, idx));
}

/* An SPL extension: a DER INTEGER in 0..255. -1 when absent, -2 when malformed. */
static int ext_spl(X509 *cert, const char *oid) {
    const ASN1_OCTET_STRING *v = ext_value(cert, oid);
    if (!v)
        return -1;
    const unsigned char *p = ASN1_STRING_get0_data(v);
    long len = ASN1_STRING_length(v);
    ASN1_INTEGER *i = d2i_ASN1_INTEGER(NULL, &p, len);
    if (!i)
        return -2;
    bool whole = p == ASN1_STRING_get0_data(v) + len;
    int64_t x = 0;
    int ok = ASN1_INTEGER_get_int64(&x, i);
    ASN1_INTEGER_free(i);
    if (!whole || !ok || x < 0 || x > 255)
        return -2;
    return (int)x;
}

static kt_status check_vcek(const kt_kds_object *obj, const uint8_t *der, size_t len,
                            const char *what, time_t *expires, kt_error *err) {
    const char *prod = kt_product_name(obj->product);
    const unsigned char *p = der;
    X509 *cert = d2i_X509(NULL, &p, (long)len);
    if (!cert || p != der + len) {
        X509_free(cert);
        ERR_clear_error();
        return kt_fail(err, KT_E_CERT_FORMAT, "%s: not a DER X.509 certificate (%zu bytes)", what,
                       len);
    }
    kt_status st = KT_OK;
    char cn[128], icn[128], want[64];
    EVP_PKEY *key = X509_get0_pubkey(cert);
    char group[64] = "";
    size_t glen = 0;
    if (!name_cn(X509_get_subject_name(cert), cn, sizeof cn) || strcmp(cn, "SEV-VCEK") != 0) {
        st = kt_fail(err, KT_E_CERT_FORMAT, "%s: not a VCEK (subject CN is not SEV-VCEK)", what);
        goto out;
    }
    snprintf(want, sizeof want, "SEV-%s", prod);
    if (!name_cn(X509_get_issuer_name(cert), icn, sizeof icn) || strcmp(icn, want) != 0) {
        st = kt_fail(err, KT_E_CERT_FORMAT, "%s: VCEK issued by %s, expected %s", what,
                     name_cn(X509_get_issuer_name(cert), icn, sizeof icn) ? icn : "(no CN)", want);
        goto out;
    }
    if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
        !EVP_PKEY_get_group_name(key, group, sizeof group, &glen) ||
        strcmp(group, "secp384r1") != 0) {
        ERR_clear_error();
        st = kt_fail(err, KT_E_CERT_FORMAT, "%s: VCEK key is not EC P-384", what);
        goto out;
    }
    const ASN1_OCTET_STRING *pn = ext_value(cert, OID_PRODUCT_NAME);
    if (pn) {
        /* IA5String "Milan-B0": tag 0x16, short length, then the text. */
        const unsigned char *d = ASN1_STRING_get0_data(pn);
        int n = ASN1_STRING_length(pn);
        size_t pl = strlen(prod);
        if (n < 2 || d[0] != 0x16 || d[1] != n - 2 || (size_t)(n - 2) < pl ||
            memcmp(d + 2, prod, pl) != 0) {
            st = kt_fail(err, KT_E_CERT_FORMAT, "%s: VCEK productName is not %s", what, prod);
            goto out;
        }
    }

    /* hwID: raw bytes as KDS issues it, or wrapped in a DER OCTET STRING. */
    size_t hw_len = obj->product == KT_PRODUCT_TURIN ? 8 : 64;
    const ASN1_OCTET_STRING *hw = ext_value(cert, OID_HWID);
    if (!hw) {
        st = kt_fail(err, KT_E_CERT_FORMAT, "%s: VCEK has no hwID extension", what);
        goto out;
    }
    const unsigned char *h = ASN1_STRING_get0_data(hw);
    size_t hn = (size_t)ASN1_STRING_length(hw);
    if (hn == hw_len + 2 && h[0] == 0x04 && h[1] == hw_len) {
        h += 2;
        hn -= 2;
    }
    if (hn != hw_len || memcmp(h, obj->chip_id, hw_len) != 0) {
        char got[17] = "", exp[17];
        kt_hex_encode(h, hn < 8 ? hn : 8, got);
        kt_hex_encode(obj->chip_id, 8, exp);
        st = kt_fail(err, KT_E_BINDING,
                     "%s: VCEK is for another chip (hwID %s%s, %zu bytes; requested %s%s)", what,
                     got, hn > 8 ? "..." : "", hn, exp, hw_len > 8 ? "..." : "");
        goto out;
    }

    static const struct {
        const char *oid;
        const char *name;
    } spl[] = {{OID_BL_SPL, "blSPL"},     {OID_TEE_SPL, "teeSPL"}, {OID_SNP_SPL, "snpSPL"},
               {OID_UCODE_SPL, "ucodeSPL"}, {OID_FMC_SPL, "fmcSPL"}};
    int want_spl[5] = {obj->tcb.boot_loader, obj->tcb.tee, obj->tcb.snp, obj->tcb.microcode,
                       obj->tcb.fmc};
    size_t nspl = obj->product == KT_PRODUCT_TURIN ? 5 : 4;
    for (size_t i = 0; i < nspl; i++) {
        int v = ext_spl(cert, spl[i].oid);
        if (v == -1 || v == -2) {
            st = kt_fail(err, KT_E_CERT_FORMAT, "%s: VCEK %s extension is %s", what, spl[i].name,
                         v == -1 ? "missing" : "malformed");
            goto out;
        }
        if (v != want_spl[i]) {
            st = kt_fail(err, KT_E_BINDING, "%s: VCEK is for another TCB (%s=%d, requested %d)",
                         what, spl[i].name, v, want_spl[i]);
            goto out;
        }
    }
    *expires = asn1_time(X509_get0_notAfter(cert));
out:
    X509_free(cert);
    return st;
}

static bool is_rsa(X509 *cert) {
    EVP_PKEY *k = X509_get0_pubkey(cert);
    ERR_clear_error();
    return k && (EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA ||
                 EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA_PSS);
}

static kt_status check_chain(const kt_kds_object *obj, const uint8_t *pem, size_t len,
                             const char *what, time_t *expires, kt_error *err) {
    const char *prod = kt_product_name(obj->product);
    if (len > 64 * 1024)
        return kt_fail(err, KT_E_CERT_FORMAT, "%s: %zu bytes is too large for a chain", what, len);
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio)
        return kt_fail_oom(err);
    X509 *certs[2] = {NULL, NULL};
    int count = 0;
    kt_status st = KT_OK;
    for (;;) {
        char *name = NULL, *header = NULL;
        unsigned char *data = NULL;
        long dlen = 0;
        if (!PEM_read_bio(bio, &name, &header, &data, &dlen)) {
            ERR_clear_error();
            break;
        }
        if (strcmp(name, "CERTIFICATE") != 0) {
            st = kt_fail(err, KT_E_CERT_FORMAT, "%s: PEM block '%s' is not a certificate", what,
                         name);
        } else if (count >= 2) {
            st = kt_fail(err, KT_E_CERT_FORMAT, "%s: more than two certificates", what);
        } else {
            const unsigned char *p = data;
            certs[count] = d2i_X509(NULL, &p, dlen);
            if (!certs[count] || p != data + dlen) {
                ERR_clear_error();
                st = kt_fail(err, KT_E_CERT_FORMAT, "%s: certificate #%d does not decode", what,
                             count + 1);
            }
            count++;
        }
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(data);
        if (st != KT_OK)
            goto out;
    }
    if (count != 2) {
        st = kt_fail(err, KT_E_CERT_FORMAT,
                     "%s: expected 2 PEM certificates (intermediate, ARK), found %d", what, count);
        goto out;
    }
    char want_mid[64], want_ark[64], cn[128];
    snprintf(want_mid, sizeof want_mid, obj->vlek ? "SEV-VLEK-%s" : "SEV-%s", prod);
    snprintf(want_ark, sizeof want_ark, "ARK-%s", prod);
    if (!name_cn(X509_get_subject_name(certs[0]), cn, sizeof cn) || strcmp(cn, want_mid) != 0) {
        st = kt_fail(err, KT_E_CERT_FORMAT, "%s: first certificate is %s, expected %s", what,
                     name_cn(X509_get_subject_name(certs[0]), cn, sizeof cn) ? cn : "(no CN)",
                     want_mid);
        goto out;
    }
    if (!name_cn(X509_get_subject_name(certs[1]), cn, sizeof cn) || strcmp(cn, want_ark) != 0) {
        st = kt_fail(err, KT_E_CERT_FORMAT, "%s: second certificate is %s, expected %s", what,
                     name_cn(X509_get_subject_name(certs[1]), cn, sizeof cn) ? cn : "(no CN)",
                     want_ark);
        goto out;
    }
    if (X509_NAME_cmp(X509_get_issuer_name(certs[0]), X509_get_subject_name(certs[1])) != 0 ||
        X509_NAME_cmp(X509_get_issuer_name(certs[1]), X509_get_subject_name(certs[1])) != 0) {
        st = kt_fail(err, KT_E_CERT_FORMAT, "%s: %s is not issued by %s, or %s is not self-issued",
                     what, want_mid, want_ark, want_ark);
        goto out;
    }
    if (!is_rsa(certs[0]) || !is_rsa(certs[1])) {
        st = kt_fail(err, KT_E_CERT_FORMAT, "%s: chain certificates must have RSA keys", what);
        goto out;
    }
    time_t a = asn1_time(X509_get0_notAfter(certs[0]));
    time_t b = asn1_time(X509_get0_notAfter(certs[1]));
    *expires = a < b ? a : b;
out:
    X509_free(certs[0]);
    X509_free(certs[1]);
    BIO_free(bio);
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
    char cn[128], want[64];
    snprintf(want, sizeof want, "ARK-%s", kt_product_name(obj->product));
    kt_status st = KT_OK;
    if (!name_cn(X509_CRL_get_issuer(crl), cn, sizeof cn) || strcmp(cn, want) != 0)
        st = kt_fail(err, KT_E_CERT_FORMAT, "%s: CRL issued by %s, expected %s", what,
                     name_cn(X509_CRL_get_issuer(crl), cn, sizeof cn) ? cn : "(no CN)", want);
    else
        *expires = asn1_time(X509_CRL_get0_nextUpdate(crl));
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
