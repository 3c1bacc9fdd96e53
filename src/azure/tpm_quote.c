/*
 * TPM 2.0 quote structures (TPM 2.0 Part 2: TPMS_ATTEST, TPMT_SIGNATURE),
 * read without a TPM library so that the verifier builds and runs without
 * tpm2-tss. All integers are big-endian.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "azure/azure_internal.h"
#include "util/cursor.h"
#include "util/error.h"

/* A TPM2B: u16 size then at most `cap` bytes. */
static bool tpm2b(kt_cursor *c, uint8_t *out, size_t cap, size_t *len) {
    uint16_t n = kt_cursor_u16be(c);
    if (c->failed || n > cap)
        return false;
    *len = n;
    return kt_cursor_read(c, out, n);
}

kt_status kt_tpm_quote_parse(const uint8_t *bytes, size_t len, kt_tpm_quote_info *out,
                             kt_error *err) {
    if (!out || (!bytes && len))
        return kt_fail(err, KT_E_INVALID_ARG, "TPM quote: missing argument");
    memset(out, 0, sizeof *out);
    if (len > 1024)
        return kt_fail(err, KT_E_TOO_LARGE, "TPM quote is %zu bytes, more than 1024", len);
    kt_cursor c = kt_cursor_init(bytes, len);
    out->magic = kt_cursor_u32be(&c);
    out->type = kt_cursor_u16be(&c);
    if (!tpm2b(&c, out->signer_name, sizeof out->signer_name, &out->signer_name_len))
        return kt_fail(err, KT_E_LENGTH, "TPM quote: qualifiedSigner is truncated or too long");
    if (!tpm2b(&c, out->extra_data, sizeof out->extra_data, &out->extra_data_len))
        return kt_fail(err, KT_E_LENGTH, "TPM quote: extraData is truncated or above 64 bytes");
    out->clock = kt_cursor_u64be(&c);
    out->reset_count = kt_cursor_u32be(&c);
    out->restart_count = kt_cursor_u32be(&c);
    out->safe = kt_cursor_u8(&c);
    out->firmware_version = kt_cursor_u64be(&c);
    uint32_t banks = kt_cursor_u32be(&c);
    if (c.failed)
        return kt_fail(err, KT_E_LENGTH, "TPM quote: truncated before the PCR selection");
    if (banks != 1)
        return kt_fail(err, KT_E_UNSUPPORTED,
                       "TPM quote selects %u PCR banks; exactly one (SHA-256) is supported",
                       (unsigned)banks);
    out->pcr_hash = kt_cursor_u16be(&c);
    uint8_t select_size = kt_cursor_u8(&c);
    if (select_size > 4)
        return kt_fail(err, KT_E_UNSUPPORTED, "TPM quote: PCR select of %u bytes (at most 4)",
                       select_size);
    /* pcrSelect is a bitmap, PCR n in bit n % 8 of byte n / 8: little-endian, read as such */
    uint8_t select[4] = {0};
    kt_cursor_read(&c, select, select_size);
    if (select[3] != 0)
        return kt_fail(err, KT_E_UNSUPPORTED, "TPM quote selects PCRs above 23");
    kt_cursor bitmap = kt_cursor_init(select, sizeof select);
    out->pcr_select = kt_cursor_u32le(&bitmap);
    if (!tpm2b(&c, out->pcr_digest, sizeof out->pcr_digest, &out->pcr_digest_len))
        return kt_fail(err, KT_E_LENGTH, "TPM quote: pcrDigest is truncated or above 64 bytes");
    if (c.failed)
        return kt_fail(err, KT_E_LENGTH, "TPM quote is truncated");
    if (kt_cursor_remaining(&c) != 0)
        return kt_fail(err, KT_E_LENGTH, "TPM quote has %zu bytes after the TPMS_ATTEST",
                       kt_cursor_remaining(&c));
    if (out->pcr_hash != KT_TPM_ALG_SHA256)
        return kt_fail(err, KT_E_UNSUPPORTED,
                       "TPM quote selects PCR bank 0x%04x; only SHA-256 (0x000b) is supported",
                       out->pcr_hash);
    return KT_OK;
}

kt_status kt_tpm_signature_parse(const uint8_t *bytes, size_t len, bool raw, const uint8_t **sig,
                                 size_t *sig_len, kt_error *err) {
    if (!bytes || !sig || !sig_len)
        return kt_fail(err, KT_E_INVALID_ARG, "TPM signature: missing argument");
    if (raw) {
        if (len != 256 && len != 384 && len != 512)
            return kt_fail(err, KT_E_LENGTH, "TPM signature is %zu bytes, not an RSA signature",
                           len);
        *sig = bytes;
        *sig_len = len;
        return KT_OK;
    }
    kt_cursor c = kt_cursor_init(bytes, len);
    uint16_t alg = kt_cursor_u16be(&c), hash = kt_cursor_u16be(&c), n = kt_cursor_u16be(&c);
    if (c.failed)
        return kt_fail(err, KT_E_LENGTH, "TPMT_SIGNATURE is %zu bytes: truncated header", len);
    if (alg != KT_TPM_ALG_RSASSA || hash != KT_TPM_ALG_SHA256)
        return kt_fail(err, KT_E_UNSUPPORTED,
                       "TPMT_SIGNATURE scheme 0x%04x hash 0x%04x is not RSASSA (0x0014) with "
                       "SHA-256 (0x000b)",
                       alg, hash);
    if (n != kt_cursor_remaining(&c) || (n != 256 && n != 384 && n != 512))
        return kt_fail(err, KT_E_LENGTH,
                       "TPMT_SIGNATURE: RSA signature of %u bytes with %zu bytes left", n,
                       kt_cursor_remaining(&c));
    *sig = kt_cursor_take(&c, n);
    *sig_len = n;
    return KT_OK;
}

kt_status kt_tpm_quote_verify_sig(EVP_PKEY *key, const uint8_t *msg, size_t msg_len,
                                  const uint8_t *sig, size_t sig_len, kt_error *err) {
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int ok = md && EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, key) == 1 &&
                     EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1
                 ? EVP_DigestVerify(md, sig, sig_len, msg, msg_len)
                 : -1;
    EVP_MD_CTX_free(md);
    ERR_clear_error();
    if (ok != 1)
        return kt_fail(err, KT_E_SIGNATURE,
                       "RSASSA-PKCS1-v1_5/SHA-256 signature over the TPMS_ATTEST does not verify "
                       "with HCLAkPub");
    return KT_OK;
}

bool kt_tpm_pcr_digest(const uint8_t *pcrs, uint32_t select,
                       uint8_t out[32]) {
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
    for (int i = 0; ok && i < KT_TPM_PCR_COUNT; i++)
        if (select & (1u << i))
            ok = EVP_DigestUpdate(md, pcrs + 32 * i, 32) == 1;
    unsigned int n = 0;
    ok = ok && EVP_DigestFinal_ex(md, out, &n) == 1 && n == 32;
    EVP_MD_CTX_free(md);
    return ok;
}
