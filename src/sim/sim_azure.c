/*
 * The simulator's Azure paravisor and vTPM (sim_azure.h): HCL reports over
 * simulator-signed SNP reports, and TPM quotes signed by a generated AK.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "azure/azure_internal.h"
#include "katana_tee/hex.h"
#include "katana_tee/quote.h"
#include "katana_tee/sim_azure.h"
#include "util/buf.h"
#include "util/cursor.h"
#include "util/error.h"

#define AZURE_NV_SIZE 2600
#define AZURE_POLICY 0x3001Full
#define CLAIMS_CAP 8192

struct kt_sim_azure {
    const kt_sim *sim;
    EVP_PKEY *ak;    /* private when generated, public when given */
    bool ak_private;
    EVP_PKEY *ek;    /* listed as HCLEkPub when asked (never used to sign) */
};

static kt_status ossl_fail(kt_error *err, const char *what) {
    ERR_clear_error();
    return kt_fail(err, KT_E_INTERNAL, "simulated Azure: %s failed (OpenSSL)", what);
}

kt_status kt_sim_azure_new(const kt_sim *sim, const uint8_t *ak_pub, size_t ak_pub_len,
                           kt_sim_azure **out, kt_error *err) {
    if (!sim || !out)
        return kt_fail(err, KT_E_INVALID_ARG, "simulated Azure: missing argument");
    *out = NULL;
    kt_sim_azure *az = calloc(1, sizeof *az);
    if (!az)
        return kt_fail_oom(err);
    az->sim = sim;
    kt_status st = KT_OK;
    if (ak_pub) {
        BIO *bio = BIO_new_mem_buf(ak_pub, (int)ak_pub_len);
        az->ak = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
        BIO_free(bio);
        if (!az->ak) {
            const unsigned char *p = ak_pub;
            az->ak = d2i_PUBKEY(NULL, &p, (long)ak_pub_len);
        }
        ERR_clear_error();
        if (!az->ak || EVP_PKEY_get_base_id(az->ak) != EVP_PKEY_RSA)
            st = kt_fail(err, KT_E_PARSE, "simulated Azure: the AK is not an RSA public key");
    } else {
        az->ak = EVP_RSA_gen(2048);
        az->ak_private = true;
        if (!az->ak)
            st = ossl_fail(err, "AK generation");
    }
    if (st != KT_OK) {
        kt_sim_azure_free(&az);
        return st;
    }
    *out = az;
    return KT_OK;
}

void kt_sim_azure_free(kt_sim_azure **az) {
    if (!az || !*az)
        return;
    EVP_PKEY_free((*az)->ak);
    EVP_PKEY_free((*az)->ek);
    free(*az);
    *az = NULL;
}

/* ---- claims ------------------------------------------------------------------------ */

static kt_status rsa_part(const EVP_PKEY *key, const char *param, char **b64, kt_error *err) {
    BIGNUM *bn = NULL;
    if (EVP_PKEY_get_bn_param(key, param, &bn) != 1)
        return ossl_fail(err, "reading the RSA key");
    int n = BN_num_bytes(bn);
    uint8_t buf[KT_AZURE_RSA_MAX_BYTES];
    kt_status st = KT_OK;
    if (n <= 0 || n > (int)sizeof buf || BN_bn2bin(bn, buf) != n)
        st = ossl_fail(err, "encoding the RSA key");
    else
        st = kt_azure_b64url_encode(buf, (size_t)n, b64, err);
    BN_free(bn);
    return st;
}

static kt_status append_jwk(kt_buf *b, const char *kid, const char *ops, const EVP_PKEY *key,
                            kt_error *err) {
    char *n = NULL, *e = NULL;
    kt_status st = rsa_part(key, OSSL_PKEY_PARAM_RSA_N, &n, err);
    if (st == KT_OK)
        st = rsa_part(key, OSSL_PKEY_PARAM_RSA_E, &e, err);
    if (st == KT_OK) {
        char head[128];
        snprintf(head, sizeof head, "{\"kid\":\"%s\",\"key_ops\":[\"%s\"],\"kty\":\"RSA\",\"e\":\"",
                 kid, ops);
        bool ok = kt_buf_append(b, head, strlen(head)) && kt_buf_append(b, e, strlen(e)) &&
                  kt_buf_append(b, "\",\"n\":\"", 7) && kt_buf_append(b, n, strlen(n)) &&
                  kt_buf_append(b, "\"}", 2);
        if (!ok)
            st = kt_fail(err, KT_E_TOO_LARGE, "simulated Azure: claims too large");
    }
    free(n);
    free(e);
    return st;
}

/* Claims bytes in Azure's key order: keys, vm-configuration, user-data. */
static kt_status make_claims(kt_sim_azure *az, const kt_sim_azure_opts *o,
                             const uint8_t user_data[64], kt_buf *b, kt_error *err) {
    kt_buf_init(b, CLAIMS_CAP);
    if (!kt_buf_append(b, "{\"keys\":[", 9))
        return kt_fail_oom(err);
    kt_status st = append_jwk(b, "HCLAkPub", "sign", az->ak, err);
    if (st == KT_OK && o->with_ek) {
        if (!az->ek && !(az->ek = EVP_RSA_gen(2048)))
            return ossl_fail(err, "EK generation");
        st = kt_buf_append(b, ",", 1) ? append_jwk(b, "HCLEkPub", "encrypt", az->ek, err)
                                      : kt_fail_oom(err);
    }
    if (st != KT_OK)
        return st;
    kt_sim_info info;
    kt_sim_get_info(az->sim, &info);
    char id_hex[17];
    kt_hex_encode(info.report_id, 8, id_hex);
    char cfg[256];
    snprintf(cfg, sizeof cfg,
             "],\"vm-configuration\":{\"console-enabled\":false,\"secure-boot\":true,"
             "\"tpm-enabled\":true,\"vmUniqueId\":\"SIM-%s\"}",
             id_hex);
    if (!kt_buf_append(b, cfg, strlen(cfg)))
        return kt_fail_oom(err);
    if (!o->omit_user_data) {
        char hex[129];
        const char *text = o->user_data_text;
        if (!text) {
            kt_hex_encode(user_data, 64, hex);
            for (int i = 0; o->uppercase && i < 128; i++)
                if (hex[i] >= 'a')
                    hex[i] = (char)(hex[i] - 32);
            text = hex;
        }
        if (!kt_buf_append(b, ",\"user-data\":\"", 14) || !kt_buf_append(b, text, strlen(text)) ||
            !kt_buf_append(b, "\"", 1))
            return kt_fail(err, KT_E_TOO_LARGE, "simulated Azure: claims too large");
    }
    return kt_buf_append(b, "}", 1) ? KT_OK : kt_fail_oom(err);
}

/* ---- HCL report ---------------------------------------------------------------------- */

kt_status kt_sim_azure_hcl(const kt_sim_azure *az_c, const kt_sim_azure_opts *opts,
                           const uint8_t user_data[64], uint8_t **out, size_t *out_len,
                           kt_error *err) {
    if (!az_c || !user_data || !out || !out_len)
        return kt_fail(err, KT_E_INVALID_ARG, "simulated Azure: missing argument");
    *out = NULL;
    kt_sim_azure *az = (kt_sim_azure *)az_c; /* the EK is made lazily */
    kt_sim_azure_opts o = {0};
    if (opts)
        o = *opts;
    uint32_t version = o.header_version ? o.header_version : 2;
    size_t nv = o.nv_size ? o.nv_size : AZURE_NV_SIZE;
    if (version != 1 && version != 2)
        return kt_fail(err, KT_E_INVALID_ARG, "simulated Azure: header version %u is not 1 or 2",
                       (unsigned)version);
    kt_buf claims;
    kt_status st = make_claims(az, &o, user_data, &claims, err);
    if (st != KT_OK) {
        kt_buf_free(&claims);
        return st;
    }
    size_t used = KT_HCL_CLAIMS_OFFSET + claims.len;
    if (used > nv || nv > KT_HCL_MAX_SIZE) {
        kt_buf_free(&claims);
        return kt_fail(err, KT_E_INVALID_ARG,
                       "simulated Azure: the HCL report needs %zu bytes, more than the NV size %zu",
                       used, nv);
    }
    /* REPORT_DATA = SHA-256(claims) || zeros, at VMPL 0 with Azure's policy */
    uint8_t report_data[64] = {0};
    size_t hl = 0;
    kt_sim_params params;
    if (o.params) {
        params = *o.params;
    } else {
        kt_sim_params_default(az->sim, &params);
        params.vmpl = 0;
        params.policy = AZURE_POLICY;
    }
    uint8_t *report = NULL, *hcl = NULL;
    size_t report_len = 0;
    st = kt_hcl_hash_claims(KT_HCL_HASH_SHA256, claims.data, claims.len, report_data, &hl, err);
    if (st == KT_OK)
        st = kt_sim_quote(az->sim, &params, report_data, &report, &report_len, false, err);
    if (st == KT_OK && !(hcl = calloc(1, nv)))
        st = kt_fail_oom(err);
    if (st == KT_OK) {
        kt_put_u32le(hcl, KT_HCL_MAGIC);
        kt_put_u32le(hcl + 4, version);
        kt_put_u32le(hcl + 8, (uint32_t)used);
        kt_put_u32le(hcl + 12, 2); /* AK_CERT_REQUEST */
        memcpy(hcl + KT_HCL_HEADER_SIZE, report, KT_REPORT_SIZE);
        kt_put_u32le(hcl + 0x4C0, (uint32_t)(20 + claims.len));
        kt_put_u32le(hcl + 0x4C4, 1);
        kt_put_u32le(hcl + 0x4C8, KT_HCL_REPORT_TYPE_SNP);
        kt_put_u32le(hcl + 0x4CC, KT_HCL_HASH_SHA256);
        kt_put_u32le(hcl + 0x4D0, (uint32_t)claims.len);
        memcpy(hcl + KT_HCL_CLAIMS_OFFSET, claims.data, claims.len);
        *out = hcl;
        *out_len = nv;
    }
    free(report);
    kt_buf_free(&claims);
    return st;
}

/* ---- TPM quote --------------------------------------------------------------------------- */

void kt_sim_azure_pcr(unsigned index, uint8_t out[32]) {
    char label[48];
    int n = snprintf(label, sizeof label, "katana-tee sim PCR %u", index);
    unsigned int len = 0;
    EVP_Digest(label, (size_t)n, out, &len, EVP_sha256(), NULL);
}

static void put_be16(kt_buf *b, uint16_t v) {
    uint8_t p[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    kt_buf_append(b, p, 2);
}

static void put_be32(kt_buf *b, uint32_t v) {
    put_be16(b, (uint16_t)(v >> 16));
    put_be16(b, (uint16_t)v);
}

kt_status kt_sim_azure_tpm_quote(const kt_sim_azure *az, const uint8_t *nonce, size_t nonce_len,
                                 uint8_t **msg, size_t *msg_len, uint8_t **sig, size_t *sig_len,
                                 kt_error *err) {
    if (!az || (!nonce && nonce_len) || nonce_len > 64 || !msg || !msg_len || !sig || !sig_len)
        return kt_fail(err, KT_E_INVALID_ARG, "simulated TPM quote: bad argument");
    if (!az->ak_private)
        return kt_fail(err, KT_E_INVALID_ARG,
                       "simulated TPM quote: the AK was given as a public key, it cannot sign");
    *msg = *sig = NULL;
    uint8_t pcrs[KT_TPM_PCR_COUNT][32], digest[32], name_hash[32];
    for (unsigned i = 0; i < KT_TPM_PCR_COUNT; i++)
        kt_sim_azure_pcr(i, pcrs[i]);
    kt_tpm_pcr_digest(&pcrs[0][0], 0xFFFFFF, digest);
    /* qualifiedSigner: nameAlg SHA-256 and a digest standing for the AK's name */
    unsigned char *spki = NULL;
    int spki_len = i2d_PUBKEY(az->ak, &spki);
    unsigned int hn = 0;
    if (spki_len <= 0 || EVP_Digest(spki, (size_t)spki_len, name_hash, &hn, EVP_sha256(), NULL) != 1) {
        OPENSSL_free(spki);
        return ossl_fail(err, "AK name");
    }
    OPENSSL_free(spki);
    kt_buf m;
    kt_buf_init(&m, 1024);
    put_be32(&m, KT_TPM_GENERATED_VALUE);
    put_be16(&m, KT_TPM_ST_ATTEST_QUOTE);
    put_be16(&m, 34);
    put_be16(&m, KT_TPM_ALG_SHA256);
    kt_buf_append(&m, name_hash, 32);
    put_be16(&m, (uint16_t)nonce_len);
    kt_buf_append(&m, nonce, nonce_len);
    put_be32(&m, 0); /* clock (u64) */
    put_be32(&m, 0x0001E240);
    put_be32(&m, 1);  /* resetCount */
    put_be32(&m, 0);  /* restartCount */
    kt_buf_append(&m, "\x01", 1); /* safe */
    put_be32(&m, 0x20191023); /* firmwareVersion (u64), as libtpms reports */
    put_be32(&m, 0x00163636);
    put_be32(&m, 1); /* one PCR bank: SHA-256, PCRs 0..23 */
    put_be16(&m, KT_TPM_ALG_SHA256);
    kt_buf_append(&m, "\x03\xff\xff\xff", 4);
    put_be16(&m, 32);
    bool ok = kt_buf_append(&m, digest, 32);

    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    size_t slen = 0;
    uint8_t *s = malloc(6 + KT_AZURE_RSA_MAX_BYTES);
    ok = ok && s && md && EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, az->ak) == 1 &&
         EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1 &&
         EVP_DigestSign(md, NULL, &slen, m.data, m.len) == 1 && slen <= KT_AZURE_RSA_MAX_BYTES &&
         EVP_DigestSign(md, s + 6, &slen, m.data, m.len) == 1;
    EVP_MD_CTX_free(md);
    if (!ok) {
        free(s);
        kt_buf_free(&m);
        return ossl_fail(err, "TPM quote signing");
    }
    /* TPMT_SIGNATURE: RSASSA, SHA-256, TPM2B signature */
    s[0] = 0x00, s[1] = 0x14, s[2] = 0x00, s[3] = 0x0B;
    s[4] = (uint8_t)(slen >> 8), s[5] = (uint8_t)slen;
    *sig = s;
    *sig_len = 6 + slen;
    *msg = m.data; /* kt_buf owns a malloc'd buffer */
    *msg_len = m.len;
    return KT_OK;
}

/* ---- evidence ------------------------------------------------------------------------------- */

kt_status kt_sim_azure_evidence(const kt_sim_azure *az, const kt_sim_azure_opts *opts,
                                const uint8_t report_data[64], bool with_quote, bool with_certs,
                                uint8_t **out, size_t *out_len, kt_error *err) {
    if (!az || !report_data || !out || !out_len)
        return kt_fail(err, KT_E_INVALID_ARG, "simulated Azure evidence: missing argument");
    *out = NULL;
    kt_azure_evidence ev;
    memset(&ev, 0, sizeof ev);
    ev.layout = KT_AZURE_LAYOUT_KATANA;
    kt_status st = kt_sim_azure_hcl(az, opts, report_data, &ev.hcl, &ev.hcl_len, err);
    if (st == KT_OK && with_quote) {
        st = kt_sim_azure_tpm_quote(az, report_data, 64, &ev.quote_msg, &ev.quote_msg_len,
                                    &ev.quote_sig, &ev.quote_sig_len, err);
        ev.pcr_mask = 0xFFFFFF;
        for (unsigned i = 0; i < KT_TPM_PCR_COUNT; i++)
            kt_sim_azure_pcr(i, ev.pcrs[i]);
    }
    if (st == KT_OK && with_certs) {
        kt_sim_info info;
        kt_sim_get_info(az->sim, &info);
        /* as Azure's host cache (THIM) gives them: VCEK, then the chain; borrowed */
        ev.certs[0] = (uint8_t *)info.leaf_der;
        ev.cert_lens[0] = info.leaf_der_len;
        ev.certs[1] = (uint8_t *)info.ca_der;
        ev.cert_lens[1] = info.ca_der_len;
        ev.certs[2] = (uint8_t *)info.ark_der;
        ev.cert_lens[2] = info.ark_der_len;
        ev.cert_count = 3;
    }
    if (st == KT_OK)
        st = kt_azure_evidence_encode(&ev, out, out_len, err);
    free(ev.hcl);
    free(ev.quote_msg);
    free(ev.quote_sig);
    return st;
}
