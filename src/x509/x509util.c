#include "x509/x509util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>

#include "util/error.h"

bool kt_x509_subject_cn(const X509 *cert, char *out, size_t cap) {
    return kt_x509_name_cn(X509_get_subject_name(cert), out, cap);
}

kt_status kt_pem_foreach(const uint8_t *pem, size_t len, kt_pem_block_fn fn, void *ctx,
                         int *count, kt_error *err) {
    if (count)
        *count = 0;
    if (len > INT32_MAX)
        return kt_fail(err, KT_E_TOO_LARGE, "PEM text of %zu bytes is too large", len);
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio)
        return kt_fail_oom(err);
    kt_status st = KT_OK;
    for (int index = 0; st == KT_OK; index++) {
        char *type = NULL, *header = NULL;
        unsigned char *data = NULL;
        long dlen = 0;
        if (!PEM_read_bio(bio, &type, &header, &data, &dlen))
            break; /* no further block */
        st = fn(ctx, type, data, (size_t)dlen, index, err);
        if (count)
            *count = index + 1;
        OPENSSL_free(type);
        OPENSSL_free(header);
        OPENSSL_free(data);
    }
    ERR_clear_error();
    BIO_free(bio);
    return st;
}

bool kt_x509_name_cn(const X509_NAME *name, char *out, size_t cap) {
    int idx = name ? X509_NAME_get_index_by_NID(name, NID_commonName, -1) : -1;
    if (idx < 0)
        return false;
    const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
    int len = ASN1_STRING_length(s);
    if (len <= 0 || (size_t)len >= cap)
        return false;
    memcpy(out, ASN1_STRING_get0_data(s), (size_t)len);
    out[len] = '\0';
    return strlen(out) == (size_t)len; /* no embedded NUL */
}

kt_product kt_x509_product_from_cn(const char *cn) {
    const char *dash = strrchr(cn, '-');
    const char *name = dash ? dash + 1 : cn;
    if (strcmp(name, "Milan") == 0)
        return KT_PRODUCT_MILAN;
    if (strcmp(name, "Genoa") == 0)
        return KT_PRODUCT_GENOA;
    if (strcmp(name, "Turin") == 0)
        return KT_PRODUCT_TURIN;
    return KT_PRODUCT_UNKNOWN;
}

static int algor_md_nid(const X509_ALGOR *alg) {
    const ASN1_OBJECT *obj;
    int ptype;
    const void *pval;
    X509_ALGOR_get0(&obj, &ptype, &pval, alg);
    /* Hash parameters must be absent or NULL (RFC 4055). */
    if (ptype != V_ASN1_UNDEF && ptype != V_ASN1_NULL && ptype != 0)
        return NID_undef;
    return OBJ_obj2nid(obj);
}

kt_status kt_x509_check_pss_sha384(const X509_ALGOR *alg, const char *what, kt_error *err) {
    const ASN1_OBJECT *obj;
    int ptype;
    const void *pval;
    X509_ALGOR_get0(&obj, &ptype, &pval, alg);
    int nid = OBJ_obj2nid(obj);
    if (nid != NID_rsassaPss)
        return kt_fail(err, KT_E_CERT_FORMAT,
                       "%s is signed with %s, not RSASSA-PSS as AMD signs", what,
                       nid == NID_undef ? "an unknown algorithm" : OBJ_nid2ln(nid));
    if (ptype != V_ASN1_SEQUENCE)
        return kt_fail(err, KT_E_CERT_FORMAT, "%s: RSASSA-PSS parameters missing", what);
    RSA_PSS_PARAMS *pss = ASN1_item_unpack((const ASN1_STRING *)pval,
                                           ASN1_ITEM_rptr(RSA_PSS_PARAMS));
    if (!pss)
        return kt_fail(err, KT_E_CERT_FORMAT, "%s: RSASSA-PSS parameters do not decode", what);
    kt_status st = KT_OK;
    X509_ALGOR *mgf_md = NULL;
    if (!pss->hashAlgorithm || algor_md_nid(pss->hashAlgorithm) != NID_sha384) {
        st = kt_fail(err, KT_E_CERT_FORMAT, "%s: RSASSA-PSS hash is not SHA-384", what);
        goto done;
    }
    if (!pss->maskGenAlgorithm || OBJ_obj2nid(pss->maskGenAlgorithm->algorithm) != NID_mgf1 ||
        !pss->maskGenAlgorithm->parameter ||
        pss->maskGenAlgorithm->parameter->type != V_ASN1_SEQUENCE) {
        st = kt_fail(err, KT_E_CERT_FORMAT, "%s: RSASSA-PSS mask generation is not MGF1", what);
        goto done;
    }
    mgf_md = ASN1_item_unpack(pss->maskGenAlgorithm->parameter->value.sequence,
                              ASN1_ITEM_rptr(X509_ALGOR));
    if (!mgf_md || algor_md_nid(mgf_md) != NID_sha384) {
        st = kt_fail(err, KT_E_CERT_FORMAT, "%s: RSASSA-PSS MGF1 hash is not SHA-384", what);
        goto done;
    }
    long salt = pss->saltLength ? ASN1_INTEGER_get(pss->saltLength) : 20;
    if (salt != 48) {
        st = kt_fail(err, KT_E_CERT_FORMAT, "%s: RSASSA-PSS salt length is %ld, not 48", what,
                     salt);
        goto done;
    }
    long trailer = pss->trailerField ? ASN1_INTEGER_get(pss->trailerField) : 1;
    if (trailer != 1)
        st = kt_fail(err, KT_E_CERT_FORMAT, "%s: RSASSA-PSS trailer field is %ld, not 1", what,
                     trailer);
done:
    X509_ALGOR_free(mgf_md);
    RSA_PSS_PARAMS_free(pss);
    return st;
}

kt_status kt_x509_check_rsa4096(EVP_PKEY *key, const char *what, kt_error *err) {
    if (!key)
        return kt_fail(err, KT_E_CERT_FORMAT, "%s: public key does not decode", what);
    int id = EVP_PKEY_get_base_id(key);
    if (id != EVP_PKEY_RSA && id != EVP_PKEY_RSA_PSS)
        return kt_fail(err, KT_E_CERT_FORMAT, "%s: key is not RSA", what);
    if (EVP_PKEY_get_bits(key) != 4096)
        return kt_fail(err, KT_E_CERT_FORMAT, "%s: RSA key has %d bits, not 4096", what,
                       EVP_PKEY_get_bits(key));
    return KT_OK;
}

kt_status kt_x509_check_p384(EVP_PKEY *key, const char *what, kt_error *err) {
    if (!key)
        return kt_fail(err, KT_E_CERT_FORMAT, "%s: public key does not decode", what);
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC)
        return kt_fail(err, KT_E_CERT_FORMAT, "%s: key is not an elliptic-curve key", what);
    char group[64] = "";
    size_t glen = 0;
    if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                        &glen) ||
        strcmp(group, "secp384r1") != 0)
        return kt_fail(err, KT_E_CERT_FORMAT, "%s: EC key is on %s, not P-384", what,
                       group[0] ? group : "an unknown curve");
    return KT_OK;
}

bool kt_asn1_time_to_time_t(const ASN1_TIME *t, time_t *out) {
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!t || !ASN1_TIME_to_tm(t, &tm))
        return false;
    *out = (time_t)kt_timegm(&tm);
    return true;
}

bool kt_x509_validity(const X509 *cert, time_t *not_before, time_t *not_after) {
    return kt_asn1_time_to_time_t(X509_get0_notBefore(cert), not_before) &&
           kt_asn1_time_to_time_t(X509_get0_notAfter(cert), not_after);
}

/* ---- AMD extensions -------------------------------------------------------- */

#define AMD_ARC "1.3.6.1.4.1.3704.1."

/*
 * The value of the extension with this OID: *value NULL when absent; an
 * extension that appears more than once is refused (which one would count?).
 */
static kt_status find_ext(const X509 *cert, const char *oid, const char *label, const char *what,
                          const ASN1_OCTET_STRING **value, kt_error *err) {
    *value = NULL;
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    if (!obj)
        return kt_fail(err, KT_E_INTERNAL, "cannot build OID %s", oid);
    int count = 0;
    for (int idx = X509_get_ext_by_OBJ(cert, obj, -1); idx >= 0;
         idx = X509_get_ext_by_OBJ(cert, obj, idx)) {
        count++;
        *value = X509_EXTENSION_get_data(X509_get_ext(cert, idx));
    }
    ASN1_OBJECT_free(obj);
    if (count > 1)
        return kt_fail(err, KT_E_CERT_FORMAT, "%s: extension %s appears %d times", what, label,
                       count);
    return KT_OK;
}

/* An SPL: a DER INTEGER 0..255 filling the whole extension value. */
static kt_status ext_spl(const X509 *cert, const char *oid, const char *label, const char *what,
                         bool *has, uint8_t *out, kt_error *err) {
    const ASN1_OCTET_STRING *v;
    *has = false;
    kt_status st = find_ext(cert, oid, label, what, &v, err);
    if (st != KT_OK || !v)
        return st;
    const unsigned char *p = ASN1_STRING_get0_data(v);
    long len = ASN1_STRING_length(v);
    const unsigned char *start = p;
    ASN1_INTEGER *i = d2i_ASN1_INTEGER(NULL, &p, len);
    long value = -1;
    bool whole = i && p == start + len;
    if (i && whole)
        value = ASN1_INTEGER_get(i);
    ASN1_INTEGER_free(i);
    if (!whole || value < 0 || value > 255)
        return kt_fail(err, KT_E_CERT_FORMAT,
                       "%s: extension %s is not a DER INTEGER between 0 and 255", what, label);
    *has = true;
    *out = (uint8_t)value;
    return KT_OK;
}

static kt_status ext_ia5(const X509 *cert, const char *oid, const char *label, const char *what,
                         bool *has, char *out, size_t cap, kt_error *err) {
    const ASN1_OCTET_STRING *v;
    *has = false;
    out[0] = '\0';
    kt_status st = find_ext(cert, oid, label, what, &v, err);
    if (st != KT_OK || !v)
        return st;
    const unsigned char *p = ASN1_STRING_get0_data(v);
    long len = ASN1_STRING_length(v);
    const unsigned char *start = p;
    ASN1_IA5STRING *s = d2i_ASN1_IA5STRING(NULL, &p, len);
    bool ok = s && p == start + len && (size_t)ASN1_STRING_length(s) < cap &&
              memchr(ASN1_STRING_get0_data(s), 0, (size_t)ASN1_STRING_length(s)) == NULL;
    if (ok) {
        memcpy(out, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
        out[ASN1_STRING_length(s)] = '\0';
    }
    ASN1_IA5STRING_free(s);
    if (!ok)
        return kt_fail(err, KT_E_CERT_FORMAT, "%s: extension %s is not a DER IA5String", what,
                       label);
    *has = true;
    return KT_OK;
}

static kt_status ext_hwid(const X509 *cert, const char *what, kt_amd_ext *out, kt_error *err) {
    const ASN1_OCTET_STRING *v;
    out->hwid_len = 0;
    kt_status st = find_ext(cert, AMD_ARC "4", "hwID", what, &v, err);
    if (st != KT_OK || !v)
        return st;
    const unsigned char *p = ASN1_STRING_get0_data(v);
    size_t len = (size_t)ASN1_STRING_length(v);
    /* KDS stores the 64 (Turin: 8) id bytes raw; some tools wrap them in an OCTET STRING. */
    if (len == 64 || len == 8) {
        memcpy(out->hwid, p, len);
        out->hwid_len = len;
        return KT_OK;
    }
    if ((len == 66 || len == 10) && p[0] == 0x04 && p[1] == len - 2) {
        memcpy(out->hwid, p + 2, len - 2);
        out->hwid_len = len - 2;
        return KT_OK;
    }
    return kt_fail(err, KT_E_CERT_FORMAT,
                   "%s: hwID extension is %zu bytes (expected 64, or 8 on Turin)", what, len);
}

kt_status kt_x509_amd_extensions(const X509 *cert, const char *what, kt_amd_ext *out,
                                 kt_error *err) {
    memset(out, 0, sizeof *out);
    const ASN1_OCTET_STRING *sv;
    kt_status st = find_ext(cert, AMD_ARC "1", "structVersion", what, &sv, err);
    if (st != KT_OK)
        return st;
    if (sv) {
        const unsigned char *p = ASN1_STRING_get0_data(sv);
        ASN1_INTEGER *i = d2i_ASN1_INTEGER(NULL, &p, ASN1_STRING_length(sv));
        if (!i)
            return kt_fail(err, KT_E_CERT_FORMAT, "%s: structVersion is not a DER INTEGER", what);
        out->has_struct_version = true;
        out->struct_version = ASN1_INTEGER_get(i);
        ASN1_INTEGER_free(i);
    }
    bool has_name;
    st = ext_ia5(cert, AMD_ARC "2", "productName", what, &has_name, out->product_name,
                           sizeof out->product_name, err);
    if (st == KT_OK)
        st = ext_spl(cert, AMD_ARC "3.1", "blSPL", what, &out->has_bl, &out->bl, err);
    if (st == KT_OK)
        st = ext_spl(cert, AMD_ARC "3.2", "teeSPL", what, &out->has_tee, &out->tee, err);
    if (st == KT_OK)
        st = ext_spl(cert, AMD_ARC "3.3", "snpSPL", what, &out->has_snp, &out->snp, err);
    if (st == KT_OK)
        st = ext_spl(cert, AMD_ARC "3.8", "ucodeSPL", what, &out->has_ucode, &out->ucode, err);
    if (st == KT_OK)
        st = ext_spl(cert, AMD_ARC "3.9", "fmcSPL", what, &out->has_fmc, &out->fmc, err);
    if (st == KT_OK)
        st = ext_hwid(cert, what, out, err);
    if (st == KT_OK)
        st = ext_ia5(cert, AMD_ARC "5", "cspID", what, &out->has_csp_id, out->csp_id,
                     sizeof out->csp_id, err);
    return st;
}

bool kt_pem_detect(const uint8_t *bytes, size_t len) {
    static const char marker[] = "-----BEGIN ";
    size_t m = sizeof marker - 1;
    if (!bytes || len < m)
        return false;
    /* the marker may start at offsets 0..4095; compare only where a '-' is */
    size_t span = len - m + 1 < 4096 ? len - m + 1 : 4096;
    for (const uint8_t *p = bytes; (p = memchr(p, '-', span - (size_t)(p - bytes))) != NULL; p++)
        if (memcmp(p, marker, m) == 0)
            return true;
    return false;
}
