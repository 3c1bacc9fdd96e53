/*
 * The report signature: ECDSA P-384 / SHA-384 over bytes 0x000..0x29F as
 * received, with r and s stored little-endian in 72-byte fields.
 *
 * This is the one public-key operation of a warm verification, so it
 * allocates as little as OpenSSL lets it: the DER signature is built on the
 * stack, and the digest context is one per thread, reset between uses (the
 * key's EVP_PKEY_CTX inside it is still OpenSSL's to allocate).
 */
#include <pthread.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "util/error.h"
#include "verify/internal.h"

/* ---- one digest context per thread ------------------------------------------------- */

static pthread_key_t md_key;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static bool md_key_ok;
/* Fetched once: EVP_sha384() would make OpenSSL 3 fetch the implementation on every init. */
static EVP_MD *sha256_md, *sha384_md;

static void md_ctx_free(void *ctx) {
    EVP_MD_CTX_free(ctx);
}

static void md_key_init(void) {
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    sha384_md = EVP_MD_fetch(NULL, "SHA384", NULL);
    md_key_ok = sha256_md && sha384_md && pthread_key_create(&md_key, md_ctx_free) == 0;
}

const EVP_MD *kt_md_sha256(void) {
    pthread_once(&md_once, md_key_init);
    return sha256_md ? sha256_md : EVP_sha256();
}

const EVP_MD *kt_md_sha384(void) {
    pthread_once(&md_once, md_key_init);
    return sha384_md ? sha384_md : EVP_sha384();
}

EVP_MD_CTX *kt_thread_md_ctx(void) {
    pthread_once(&md_once, md_key_init);
    if (!md_key_ok)
        return NULL;
    EVP_MD_CTX *ctx = pthread_getspecific(md_key);
    if (ctx)
        return ctx; /* callers re-initialise it (EVP_DigestInit_ex / EVP_MD_CTX_reset) */
    ctx = EVP_MD_CTX_new();
    if (ctx && pthread_setspecific(md_key, ctx) != 0) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* ---- the DER encoding of (r, s), without BIGNUMs ------------------------------------ */

/*
 * One DER INTEGER from a 72-byte little-endian field whose value must fit
 * in 48 bytes (P-384): minimal big-endian bytes, a 0x00 first when the top
 * bit is set. Returns the bytes written (at most 51), 0 when the value is
 * too wide (a malformed signature that cannot verify).
 */
static size_t der_integer(const uint8_t le[72], uint8_t out[51]) {
    for (size_t i = 48; i < 72; i++)
        if (le[i])
            return 0;
    size_t top = 48;
    while (top > 1 && le[top - 1] == 0)
        top--;
    size_t n = 0;
    out[n++] = 0x02;
    bool pad = (le[top - 1] & 0x80) != 0;
    out[n++] = (uint8_t)(top + pad);
    if (pad)
        out[n++] = 0x00;
    for (size_t i = top; i > 0; i--)
        out[n++] = le[i - 1];
    return n;
}

/* SEQUENCE { INTEGER r, INTEGER s } in at most 2 + 2 * 51 bytes. */
static size_t der_signature(const kt_report *report, uint8_t out[104]) {
    uint8_t r[51], s[51];
    size_t rn = der_integer(report->signature_r, r);
    size_t sn = der_integer(report->signature_s, s);
    if (!rn || !sn)
        return 0;
    out[0] = 0x30;
    out[1] = (uint8_t)(rn + sn); /* at most 102: short-form length */
    memcpy(out + 2, r, rn);
    memcpy(out + 2 + rn, s, sn);
    return 2 + rn + sn;
}

/* SHA-384 of the signed bytes with this thread's context (no allocation once warm). */
static bool report_digest(const kt_report *report, uint8_t digest[48]) {
    EVP_MD_CTX *md = kt_thread_md_ctx();
    unsigned int n = 0;
    return md && EVP_DigestInit_ex(md, kt_md_sha384(), NULL) == 1 &&
           EVP_DigestUpdate(md, report->raw, KT_REPORT_SIGNED_SIZE) == 1 &&
           EVP_DigestFinal_ex(md, digest, &n) == 1 && n == 48;
}

kt_status kt_chain_signature_verify(kt_chain *chain, const kt_report *report, kt_error *err) {
    uint8_t der[104], digest[48];
    size_t der_len = der_signature(report, der);
    if (!der_len)
        return kt_fail(err, KT_E_SIGNATURE,
                       "signature r or s is wider than 48 bytes: not a P-384 signature");
    if (!report_digest(report, digest))
        return kt_fail(err, KT_E_INTERNAL, "cannot compute SHA-384 of the report");
    EVP_PKEY_CTX *ctx = NULL;
    pthread_mutex_lock(&chain->pool_lock);
    if (chain->pool_count > 0)
        ctx = chain->verify_pool[--chain->pool_count];
    pthread_mutex_unlock(&chain->pool_lock);
    if (!ctx) {
        ctx = EVP_PKEY_CTX_new_from_pkey(NULL, chain->leaf_key, NULL);
        if (ctx && EVP_PKEY_verify_init(ctx) != 1) {
            EVP_PKEY_CTX_free(ctx);
            ctx = NULL;
        }
        if (!ctx) {
            ERR_clear_error();
            return kt_fail(err, KT_E_INTERNAL, "cannot set up ECDSA verification");
        }
    }
    int ok = EVP_PKEY_verify(ctx, der, der_len, digest, sizeof digest);
    ERR_clear_error();
    pthread_mutex_lock(&chain->pool_lock);
    if (chain->pool_count < (int)(sizeof chain->verify_pool / sizeof chain->verify_pool[0])) {
        chain->verify_pool[chain->pool_count++] = ctx;
        ctx = NULL;
    }
    pthread_mutex_unlock(&chain->pool_lock);
    EVP_PKEY_CTX_free(ctx);
    if (ok != 1)
        return kt_fail(err, KT_E_SIGNATURE,
                       "ECDSA P-384/SHA-384 signature over bytes 0x000..0x29f does not verify "
                       "with the leaf key");
    return KT_OK;
}

kt_status kt_report_signature_verify(EVP_PKEY *leaf_key, const kt_report *report,
                                     kt_error *err) {
    uint8_t der[104];
    size_t der_len = der_signature(report, der);
    if (!der_len)
        return kt_fail(err, KT_E_SIGNATURE,
                       "signature r or s is wider than 48 bytes: not a P-384 signature");
    EVP_MD_CTX *md = kt_thread_md_ctx();
    if (!md)
        return kt_fail(err, KT_E_INTERNAL, "cannot create a digest context");
    EVP_MD_CTX_reset(md); /* no key context of an earlier use may remain */
    int ok = EVP_DigestVerifyInit(md, NULL, kt_md_sha384(), NULL, leaf_key) == 1
                 ? EVP_DigestVerify(md, der, der_len, report->raw, KT_REPORT_SIGNED_SIZE)
                 : -1;
    EVP_MD_CTX_reset(md); /* the key context is not kept between verifications */
    ERR_clear_error();
    if (ok != 1)
        return kt_fail(err, KT_E_SIGNATURE,
                       "ECDSA P-384/SHA-384 signature over bytes 0x000..0x29f does not verify "
                       "with the leaf key");
    return KT_OK;
}
