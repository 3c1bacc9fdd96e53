/*
 * Simulator: the certificate factory. Everything here mirrors AMD's real
 * certificates (see docs/simulator.md for the field-by-field list):
 * distinguished names, serials, validity, extension order and encodings,
 * and RSASSA-PSS SHA-384 signatures. AMD's CA certificates spell out the
 * PSS trailerField (1) explicitly; its current VCEKs, VLEKs and CRLs omit
 * it (the DER default), which is also what OpenSSL writes.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "sim/sim_internal.h"
#include "util/error.h"
#include "util/fileio.h"

#define KEY_FILE_MAX (64 * 1024)

static kt_status ossl_fail(kt_error *err, const char *what) {
    unsigned long e = ERR_get_error();
    char buf[160] = "";
    if (e)
        ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return kt_fail(err, KT_E_INTERNAL, "simulator: %s failed%s%s", what, e ? ": " : "", buf);
}

kt_status kt_sim_gen_rsa4096(EVP_PKEY **out, kt_error *err) {
    *out = EVP_RSA_gen(4096);
    return *out ? KT_OK : ossl_fail(err, "RSA-4096 key generation");
}

kt_status kt_sim_gen_p384(EVP_PKEY **out, kt_error *err) {
    *out = EVP_EC_gen("P-384");
    return *out ? KT_OK : ossl_fail(err, "P-384 key generation");
}

/* OU=Engineering, C=US, L=Santa Clara, ST=CA, O=Advanced Micro Devices,
 * CN=<cn>, in AMD's order; C is a PrintableString, the rest UTF8String. */
static X509_NAME *amd_name(const char *cn) {
    static const struct {
        const char *field;
        const char *value;
    } rdns[] = {
        {"OU", "Engineering"}, {"C", "US"}, {"L", "Santa Clara"},
        {"ST", "CA"},          {"O", "Advanced Micro Devices"},
    };
    X509_NAME *n = X509_NAME_new();
    if (!n)
        return NULL;
    for (size_t i = 0; i < sizeof rdns / sizeof rdns[0]; i++) {
        if (!X509_NAME_add_entry_by_txt(n, rdns[i].field, MBSTRING_UTF8,
                                        (const unsigned char *)rdns[i].value, -1, -1, 0))
            goto fail;
    }
    if (!X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0))
        goto fail;
    return n;
fail:
    X509_NAME_free(n);
    return NULL;
}

static bool set_validity(X509 *x, int64_t not_before, int64_t not_after) {
    ASN1_TIME *nb = ASN1_TIME_set(NULL, (time_t)not_before);
    ASN1_TIME *na = ASN1_TIME_set(NULL, (time_t)not_after);
    bool ok = nb && na && X509_set1_notBefore(x, nb) && X509_set1_notAfter(x, na);
    ASN1_TIME_free(nb);
    ASN1_TIME_free(na);
    return ok;
}

static bool set_serial(X509 *x, uint64_t serial) {
    ASN1_INTEGER *s = ASN1_INTEGER_new();
    bool ok = s && ASN1_INTEGER_set_uint64(s, serial) && X509_set_serialNumber(x, s);
    ASN1_INTEGER_free(s);
    return ok;
}

static bool add_conf_ext(X509 *x, X509 *issuer, int nid, const char *value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    bool ok = ext && X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

/* An extension whose extnValue is `len` bytes taken as they are. */
static bool add_raw_ext_crit(X509 *x, const char *oid, int critical, const uint8_t *value,
                             size_t len) {
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    bool ok = obj && os && ASN1_OCTET_STRING_set(os, value, (int)len);
    X509_EXTENSION *ext = ok ? X509_EXTENSION_create_by_OBJ(NULL, obj, critical, os) : NULL;
    ok = ext && X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(os);
    ASN1_OBJECT_free(obj);
    return ok;
}

static bool add_raw_ext(X509 *x, const char *oid, const uint8_t *value, size_t len) {
    return add_raw_ext_crit(x, oid, 0, value, len);
}

/* extnValue = DER INTEGER (AMD's SPL and structVersion extensions). */
static bool add_int_ext(X509 *x, const char *oid, long value) {
    ASN1_INTEGER *i = ASN1_INTEGER_new();
    unsigned char *der = NULL;
    int len = (i && ASN1_INTEGER_set(i, value)) ? i2d_ASN1_INTEGER(i, &der) : -1;
    bool ok = len > 0 && add_raw_ext(x, oid, der, (size_t)len);
    OPENSSL_free(der);
    ASN1_INTEGER_free(i);
    return ok;
}

/* extnValue = DER IA5String (productName, cspID). */
static bool add_ia5_ext(X509 *x, const char *oid, const char *text) {
    ASN1_IA5STRING *s = ASN1_IA5STRING_new();
    unsigned char *der = NULL;
    int len = (s && ASN1_STRING_set(s, text, (int)strlen(text))) ? i2d_ASN1_IA5STRING(s, &der)
                                                                  : -1;
    bool ok = len > 0 && add_raw_ext(x, oid, der, (size_t)len);
    OPENSSL_free(der);
    ASN1_IA5STRING_free(s);
    return ok;
}

static EVP_MD_CTX *pss_ctx(EVP_PKEY *key) {
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    if (!md || EVP_DigestSignInit(md, &pctx, EVP_sha384(), NULL, key) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 48) <= 0 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha384()) <= 0) {
        EVP_MD_CTX_free(md);
        return NULL;
    }
    return md;
}

/* Re-encode PSS parameters with trailerField = 1 spelled out. */
static bool add_explicit_trailer(X509_ALGOR *alg) {
    const ASN1_OBJECT *oid;
    int ptype;
    const void *pval;
    X509_ALGOR_get0(&oid, &ptype, &pval, alg);
    if (OBJ_obj2nid(oid) != NID_rsassaPss || ptype != V_ASN1_SEQUENCE)
        return false;
    const ASN1_STRING *seq = pval;
    const unsigned char *p = ASN1_STRING_get0_data(seq);
    RSA_PSS_PARAMS *pss = d2i_RSA_PSS_PARAMS(NULL, &p, ASN1_STRING_length(seq));
    if (!pss)
        return false;
    ASN1_INTEGER_free(pss->trailerField);
    pss->trailerField = ASN1_INTEGER_new();
    ASN1_STRING *packed = NULL;
    bool ok = pss->trailerField && ASN1_INTEGER_set(pss->trailerField, 1) &&
              (packed = ASN1_item_pack(pss, ASN1_ITEM_rptr(RSA_PSS_PARAMS), NULL)) != NULL;
    RSA_PSS_PARAMS_free(pss);
    if (!ok)
        return false;
    if (!X509_ALGOR_set0(alg, OBJ_nid2obj(NID_rsassaPss), V_ASN1_SEQUENCE, packed)) {
        ASN1_STRING_free(packed);
        return false;
    }
    return true;
}

/*
 * Sign x with RSASSA-PSS SHA-384 (MGF1-SHA-384, salt 48). With
 * explicit_trailer, the algorithm identifiers are rewritten after OpenSSL
 * chose them and the TBS is signed again by hand, since OpenSSL always
 * omits the default trailerField. The result is re-read from DER so every
 * cached field of the X509 matches the bytes.
 */
static kt_status sign_cert(X509 **xp, EVP_PKEY *key, bool explicit_trailer, kt_error *err) {
    X509 *x = *xp;
    EVP_MD_CTX *md = pss_ctx(key);
    if (!md || X509_sign_ctx(x, md) <= 0) {
        EVP_MD_CTX_free(md);
        return ossl_fail(err, "certificate signing");
    }
    EVP_MD_CTX_free(md);
    if (explicit_trailer) {
        const ASN1_BIT_STRING *csig;
        const X509_ALGOR *calg;
        X509_get0_signature(&csig, &calg, x);
        /* OpenSSL offers no setter for these; they are plain members of x. */
        X509_ALGOR *outer = (X509_ALGOR *)calg;
        X509_ALGOR *inner = (X509_ALGOR *)X509_get0_tbs_sigalg(x);
        ASN1_BIT_STRING *sig = (ASN1_BIT_STRING *)csig;
        unsigned char *tbs = NULL;
        int tbs_len;
        if (!add_explicit_trailer(outer) || !add_explicit_trailer(inner) ||
            (tbs_len = i2d_re_X509_tbs(x, &tbs)) <= 0)
            return ossl_fail(err, "PSS parameter encoding");
        md = pss_ctx(key);
        size_t slen = 0;
        unsigned char *sbuf = NULL;
        bool ok = md && EVP_DigestSign(md, NULL, &slen, tbs, (size_t)tbs_len) == 1 &&
                  (sbuf = OPENSSL_malloc(slen)) != NULL &&
                  EVP_DigestSign(md, sbuf, &slen, tbs, (size_t)tbs_len) == 1 &&
                  ASN1_BIT_STRING_set(sig, sbuf, (int)slen);
        sig->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
        sig->flags |= ASN1_STRING_FLAG_BITS_LEFT;
        OPENSSL_free(sbuf);
        OPENSSL_free(tbs);
        EVP_MD_CTX_free(md);
        if (!ok)
            return ossl_fail(err, "certificate signing");
    }
    unsigned char *der = NULL;
    int len = i2d_X509(x, &der);
    const unsigned char *p = der;
    X509 *clean = len > 0 ? d2i_X509(NULL, &p, len) : NULL;
    OPENSSL_free(der);
    if (!clean)
        return ossl_fail(err, "certificate re-encoding");
    X509_free(x);
    *xp = clean;
    return KT_OK;
}

static X509 *new_cert(uint64_t serial, const char *issuer_cn, const char *subject_cn,
                      int64_t not_before, int64_t not_after, EVP_PKEY *pubkey) {
    X509 *x = X509_new();
    X509_NAME *iss = amd_name(issuer_cn);
    X509_NAME *sub = amd_name(subject_cn);
    bool ok = x && iss && sub && X509_set_version(x, X509_VERSION_3) && set_serial(x, serial) &&
              X509_set_issuer_name(x, iss) && X509_set_subject_name(x, sub) &&
              set_validity(x, not_before, not_after) && X509_set_pubkey(x, pubkey);
    X509_NAME_free(iss);
    X509_NAME_free(sub);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static void crl_url(char *out, size_t cap, kt_product product, kt_sim_signer signer) {
    snprintf(out, cap, "URI:https://kdsintf.amd.com/%s/v1/%s/crl",
             signer == KT_SIM_SIGNER_VLEK ? "vlek" : "vcek", kt_sim_product_path(product));
}

kt_status kt_sim_make_ark(kt_product product, EVP_PKEY *ark_key, int64_t not_before, X509 **out,
                          kt_error *err) {
    *out = NULL;
    char cn[32], url[96];
    snprintf(cn, sizeof cn, "ARK-%s", kt_sim_product_path(product));
    crl_url(url, sizeof url, product, KT_SIM_SIGNER_VCEK);
    X509 *x = new_cert(kt_sim_ark_serial(product), cn, cn, not_before,
                       kt_sim_add_years(not_before, 25), ark_key);
    /* AMD's ARK: keyUsage, SKI, basicConstraints, CRL distribution point. */
    if (!x || !add_conf_ext(x, NULL, NID_key_usage, "critical,keyCertSign,cRLSign") ||
        !add_conf_ext(x, NULL, NID_subject_key_identifier, "hash") ||
        !add_conf_ext(x, NULL, NID_basic_constraints, "critical,CA:TRUE") ||
        !add_conf_ext(x, NULL, NID_crl_distribution_points, url)) {
        X509_free(x);
        return ossl_fail(err, "building the ARK certificate");
    }
    kt_status st = sign_cert(&x, ark_key, true, err);
    if (st != KT_OK) {
        X509_free(x);
        return st;
    }
    *out = x;
    return KT_OK;
}

/* AMD's ASK/ASVK keyUsage (keyCertSign) is the BIT STRING 03 02 01 04: one
 * unused bit where DER would say two. Verifiers must accept AMD's bytes, so
 * the simulator presents the same ones rather than OpenSSL's 03 02 02 04. */
static const uint8_t ask_key_usage[] = {0x03, 0x02, 0x01, 0x04};

kt_status kt_sim_make_ca(kt_product product, kt_sim_signer signer, X509 *ark, EVP_PKEY *ark_key,
                         EVP_PKEY *ca_key, int64_t not_before, X509 **out, kt_error *err) {
    *out = NULL;
    char ark_cn[32], cn[32], url[96];
    snprintf(ark_cn, sizeof ark_cn, "ARK-%s", kt_sim_product_path(product));
    snprintf(cn, sizeof cn, "%s%s", signer == KT_SIM_SIGNER_VLEK ? "SEV-VLEK-" : "SEV-",
             kt_sim_product_path(product));
    crl_url(url, sizeof url, product, signer);
    X509 *x = new_cert(kt_sim_ca_serial(product, signer), ark_cn, cn, not_before,
                       kt_sim_add_years(not_before, 25), ca_key);
    /* AMD's ASK/ASVK: SKI, AKI (key id), basicConstraints pathlen 0,
     * keyUsage keyCertSign, CRL distribution point. */
    if (!x || !X509_set_issuer_name(x, X509_get_subject_name(ark)) ||
        !add_conf_ext(x, ark, NID_subject_key_identifier, "hash") ||
        !add_conf_ext(x, ark, NID_authority_key_identifier, "keyid:always") ||
        !add_conf_ext(x, ark, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
        !add_raw_ext_crit(x, "2.5.29.15", 1, ask_key_usage, sizeof ask_key_usage) ||
        !add_conf_ext(x, ark, NID_crl_distribution_points, url)) {
        X509_free(x);
        return ossl_fail(err, "building the ASK certificate");
    }
    kt_status st = sign_cert(&x, ark_key, true, err);
    if (st != KT_OK) {
        X509_free(x);
        return st;
    }
    *out = x;
    return KT_OK;
}

#define AMD_OID "1.3.6.1.4.1.3704.1."

/*
 * The VCEK/VLEK extensions, in the order KDS issues them:
 *   Milan/Genoa: structVersion, productName, bl, tee, spl4..spl7, snp, ucode, hwID|cspID
 *   Turin:       structVersion(1), productName, fmc, bl, tee, snp, spl5..spl7, ucode, hwID
 * hwID is the raw chip id (64 bytes, Turin 8) with no DER tag, as KDS has it.
 * No AMD Turin VLEK is available to compare with; ours follows the Turin
 * VCEK layout with cspID in place of hwID.
 */
static bool add_amd_exts(X509 *x, kt_product product, kt_sim_signer signer,
                         const uint8_t chip_id[64], const kt_tcb *tcb, const char *csp_id) {
    bool turin = product == KT_PRODUCT_TURIN;
    if (!add_int_ext(x, AMD_OID "1", turin ? 1 : 0) ||
        !add_ia5_ext(x, AMD_OID "2", kt_sim_product_ext_name(product, signer)))
        return false;
    if (turin) {
        if (!add_int_ext(x, AMD_OID "3.9", tcb->fmc) ||
            !add_int_ext(x, AMD_OID "3.1", tcb->boot_loader) ||
            !add_int_ext(x, AMD_OID "3.2", tcb->tee) || !add_int_ext(x, AMD_OID "3.3", tcb->snp) ||
            !add_int_ext(x, AMD_OID "3.5", 0) || !add_int_ext(x, AMD_OID "3.6", 0) ||
            !add_int_ext(x, AMD_OID "3.7", 0))
            return false;
    } else {
        if (!add_int_ext(x, AMD_OID "3.1", tcb->boot_loader) ||
            !add_int_ext(x, AMD_OID "3.2", tcb->tee) || !add_int_ext(x, AMD_OID "3.4", 0) ||
            !add_int_ext(x, AMD_OID "3.5", 0) || !add_int_ext(x, AMD_OID "3.6", 0) ||
            !add_int_ext(x, AMD_OID "3.7", 0) || !add_int_ext(x, AMD_OID "3.3", tcb->snp))
            return false;
    }
    if (!add_int_ext(x, AMD_OID "3.8", tcb->microcode))
        return false;
    if (signer == KT_SIM_SIGNER_VLEK)
        return add_ia5_ext(x, AMD_OID "5", csp_id);
    return add_raw_ext(x, AMD_OID "4", chip_id, kt_sim_hwid_len(product));
}

kt_status kt_sim_make_leaf(kt_product product, kt_sim_signer signer, X509 *ca, EVP_PKEY *ca_key,
                           EVP_PKEY *leaf_key, const uint8_t chip_id[64], const kt_tcb *tcb,
                           const char *csp_id, int64_t not_before, int64_t not_after, X509 **out,
                           kt_error *err) {
    *out = NULL;
    char ca_cn[32];
    snprintf(ca_cn, sizeof ca_cn, "%s%s", signer == KT_SIM_SIGNER_VLEK ? "SEV-VLEK-" : "SEV-",
             kt_sim_product_path(product));
    /* VCEKs and VLEKs have serial number 0 and no standard extensions. */
    X509 *x = new_cert(0, ca_cn, signer == KT_SIM_SIGNER_VLEK ? "SEV-VLEK" : "SEV-VCEK",
                       not_before, not_after, leaf_key);
    if (!x || !X509_set_issuer_name(x, X509_get_subject_name(ca)) ||
        !add_amd_exts(x, product, signer, chip_id, tcb, csp_id)) {
        X509_free(x);
        return ossl_fail(err, "building the leaf certificate");
    }
    kt_status st = sign_cert(&x, ca_key, false, err);
    if (st != KT_OK) {
        X509_free(x);
        return st;
    }
    *out = x;
    return KT_OK;
}

/* Move DER that OpenSSL allocated (buf, n bytes) into a malloc'd copy the caller
 * frees with kt_bytes_free; buf is released either way. */
static kt_status own_der(unsigned char *buf, int n, uint8_t **der, size_t *len, kt_error *err) {
    *der = malloc((size_t)n);
    if (!*der) {
        OPENSSL_free(buf);
        return kt_fail_oom(err);
    }
    memcpy(*der, buf, (size_t)n);
    *len = (size_t)n;
    OPENSSL_free(buf);
    return KT_OK;
}

kt_status kt_sim_build_crl(X509 *ark, EVP_PKEY *ark_key, const uint64_t *serials, size_t count,
                           int64_t this_update, int64_t next_update, uint8_t **der, size_t *len,
                           kt_error *err) {
    *der = NULL;
    *len = 0;
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *tu = ASN1_TIME_set(NULL, (time_t)this_update);
    ASN1_TIME *nu = ASN1_TIME_set(NULL, (time_t)next_update);
    ASN1_INTEGER *num = ASN1_INTEGER_new();
    AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
    const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(ark);
    EVP_MD_CTX *md = NULL;
    bool ok = crl && tu && nu && num && akid && skid && X509_CRL_set_version(crl, X509_CRL_VERSION_2) &&
              X509_CRL_set_issuer_name(crl, X509_get_subject_name(ark)) &&
              X509_CRL_set1_lastUpdate(crl, tu) && X509_CRL_set1_nextUpdate(crl, nu) &&
              ASN1_INTEGER_set_int64(num, this_update) &&
              (akid->keyid = ASN1_OCTET_STRING_dup(skid)) != NULL;
    for (size_t i = 0; ok && i < count; i++) {
        X509_REVOKED *r = X509_REVOKED_new();
        ASN1_INTEGER *s = ASN1_INTEGER_new();
        ok = r && s && ASN1_INTEGER_set_uint64(s, serials[i]) &&
             X509_REVOKED_set_serialNumber(r, s) && X509_REVOKED_set_revocationDate(r, tu) &&
             X509_CRL_add0_revoked(crl, r);
        ASN1_INTEGER_free(s);
        if (!ok)
            X509_REVOKED_free(r);
    }
    ok = ok && X509_CRL_sort(crl) &&
         X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, akid, 0, 0) == 1 &&
         X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) == 1 && (md = pss_ctx(ark_key)) &&
         X509_CRL_sign_ctx(crl, md) > 0;
    unsigned char *buf = NULL;
    int n = ok ? i2d_X509_CRL(crl, &buf) : -1;
    EVP_MD_CTX_free(md);
    AUTHORITY_KEYID_free(akid);
    ASN1_INTEGER_free(num);
    ASN1_TIME_free(tu);
    ASN1_TIME_free(nu);
    X509_CRL_free(crl);
    if (n <= 0)
        return ossl_fail(err, "building the CRL");
    return own_der(buf, n, der, len, err);
}

kt_status kt_sim_cert_der(X509 *cert, uint8_t **der, size_t *len, kt_error *err) {
    *der = NULL;
    *len = 0;
    unsigned char *buf = NULL;
    int n = i2d_X509(cert, &buf);
    if (n <= 0)
        return ossl_fail(err, "certificate encoding");
    return own_der(buf, n, der, len, err);
}

kt_status kt_sim_cert_pem(X509 *cert, char **pem, size_t *len, kt_error *err) {
    *pem = NULL;
    *len = 0;
    BIO *b = BIO_new(BIO_s_mem());
    char *data = NULL;
    long n;
    if (!b || !PEM_write_bio_X509(b, cert) || (n = BIO_get_mem_data(b, &data)) <= 0) {
        BIO_free(b);
        return ossl_fail(err, "certificate PEM encoding");
    }
    *pem = malloc((size_t)n + 1);
    if (!*pem) {
        BIO_free(b);
        return kt_fail_oom(err);
    }
    memcpy(*pem, data, (size_t)n);
    (*pem)[n] = '\0';
    *len = (size_t)n;
    BIO_free(b);
    return KT_OK;
}

kt_status kt_sim_write_key(const char *path, EVP_PKEY *key, kt_error *err) {
    /* secmem BIO: its buffer is cleared when freed. */
    BIO *b = BIO_new(BIO_s_secmem());
    char *data = NULL;
    long n;
    if (!b || !PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) ||
        (n = BIO_get_mem_data(b, &data)) <= 0) {
        BIO_free(b);
        return ossl_fail(err, "private key encoding");
    }
    kt_status st = kt_file_write_atomic(path, data, (size_t)n, 0600, err);
    kt_wipe(data, (size_t)n);
    BIO_free(b);
    return st;
}

kt_status kt_sim_read_key(const char *path, EVP_PKEY **out, kt_error *err) {
    *out = NULL;
    uint8_t *data = NULL;
    size_t len = 0;
    kt_status st = kt_file_read_secret(path, KEY_FILE_MAX, &data, &len, err);
    if (st != KT_OK)
        return st;
    BIO *b = BIO_new_mem_buf(data, (int)len);
    EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    kt_wipe(data, len);
    free(data);
    if (!k) {
        ERR_clear_error();
        return kt_fail(err, KT_E_PARSE, "%s is not a PEM private key", path);
    }
    *out = k;
    return KT_OK;
}
