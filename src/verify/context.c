/* The verifier context: trusted roots and the cache of verified chains. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "katana_tee/hex.h"
#include "util/error.h"
#include "verify/internal.h"

/*
 * SHA-384 of the DER of AMD's root keys (ARK), one per product. From the
 * genuine certificates (see ../shared/fixtures/snp/MANIFEST.md); the same
 * roots AMD's KDS serves at /vcek/v1/{product}/cert_chain.
 */
static const uint8_t ark_milan_sha384[48] = {
    0x2f, 0x13, 0x16, 0x27, 0x3d, 0xad, 0xe9, 0xb8, 0x96, 0x87, 0x5d, 0xa0, 0xac, 0xb6, 0xbc, 0x1c,
    0x05, 0x47, 0xd4, 0x13, 0x20, 0xad, 0x32, 0x3c, 0xbf, 0xbe, 0xf6, 0x57, 0x0f, 0x03, 0x05, 0xa3,
    0xe7, 0xf8, 0x39, 0x8d, 0x0b, 0x44, 0xbd, 0x1f, 0x36, 0x07, 0x52, 0x95, 0xce, 0xfc, 0xc0, 0xdb};
static const uint8_t ark_genoa_sha384[48] = {
    0xd1, 0xb7, 0xbc, 0xfe, 0x68, 0x5d, 0x19, 0xe6, 0x3c, 0xa7, 0x92, 0x95, 0x73, 0x71, 0xb6, 0x19,
    0xce, 0xe7, 0x92, 0xdb, 0x28, 0x0c, 0x31, 0x2e, 0x7a, 0x00, 0x43, 0x3d, 0x50, 0x62, 0x24, 0xd5,
    0x95, 0x3a, 0xd9, 0xd3, 0x48, 0xd7, 0x4b, 0x4e, 0x17, 0x6f, 0xba, 0x1b, 0x6a, 0x61, 0x6e, 0xac};
static const uint8_t ark_turin_sha384[48] = {
    0x09, 0xda, 0x21, 0xf0, 0xe7, 0xd0, 0x4a, 0xc7, 0xf1, 0xb0, 0x43, 0x06, 0xeb, 0xc5, 0xd6, 0x5a,
    0x3c, 0x0e, 0xbe, 0xc9, 0x66, 0x17, 0x0d, 0x22, 0xfe, 0x26, 0xc4, 0x4e, 0xfc, 0xce, 0x8b, 0xe3,
    0xed, 0x29, 0x8a, 0x80, 0xd1, 0x0f, 0xcf, 0xa4, 0x13, 0x1c, 0x01, 0x02, 0x8f, 0xe5, 0x36, 0xd8};

const uint8_t *kt_amd_ark_fingerprint(kt_product product) {
    switch (product) {
    case KT_PRODUCT_MILAN: return ark_milan_sha384;
    case KT_PRODUCT_GENOA: return ark_genoa_sha384;
    case KT_PRODUCT_TURIN: return ark_turin_sha384;
    case KT_PRODUCT_UNKNOWN: break;
    }
    return NULL;
}

kt_status kt_check_set(kt_check *c, kt_check_result result, kt_status status, const char *fmt,
                       ...) {
    c->result = result;
    c->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->detail, sizeof c->detail, fmt, ap);
    va_end(ap);
    return status;
}

kt_status kt_verifier_new(kt_verifier **out, kt_error *err) {
    if (!out)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_verifier_new: no output pointer");
    kt_verifier *v = calloc(1, sizeof *v);
    if (!v)
        return kt_fail_oom(err);
    v->chain_max = KT_CHAIN_CACHE_MAX;
    atomic_init(&v->tick, 0);
    if (pthread_rwlock_init(&v->lock, NULL) != 0) {
        free(v);
        return kt_fail(err, KT_E_INTERNAL, "cannot create the verifier lock");
    }
    *out = v;
    return KT_OK;
}

void kt_chain_free(kt_chain *chain) {
    if (!chain)
        return;
    for (int i = 0; i < chain->pool_count; i++)
        EVP_PKEY_CTX_free(chain->verify_pool[i]);
    pthread_mutex_destroy(&chain->pool_lock);
    EVP_PKEY_free(chain->ark_key);
    EVP_PKEY_free(chain->inter_key);
    EVP_PKEY_free(chain->leaf_key);
    X509_NAME_free(chain->ark_name);
    X509_NAME_free(chain->inter_name);
    ASN1_INTEGER_free(chain->inter_serial);
    ASN1_INTEGER_free(chain->leaf_serial);
    free(chain);
}

void kt_verifier_free(kt_verifier **verifier) {
    if (!verifier || !*verifier)
        return;
    kt_verifier *v = *verifier;
    for (size_t i = 0; i < v->chain_count; i++)
        kt_chain_release(v->chains[i]);
    free(v->chains);
    for (size_t i = 0; i < v->root_count; i++)
        free(v->roots[i].der);
    pthread_rwlock_destroy(&v->lock);
    free(v);
    *verifier = NULL;
}

kt_status kt_verifier_add_trust_root(kt_verifier *v, const uint8_t *bytes, size_t len,
                                     const char *label, kt_error *err) {
    if (!v || !bytes)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_verifier_add_trust_root: bad argument");
    if (!label)
        label = "caller-trusted root";
    /* Reuse kt_certs to accept DER or PEM and insist it is an ARK. */
    kt_certs *tmp = NULL;
    kt_status st = kt_certs_new(&tmp, err);
    if (st == KT_OK)
        st = kt_certs_add(tmp, KT_ROLE_ARK, bytes, len, label, false, err);
    size_t der_len = 0;
    const uint8_t *der = st == KT_OK ? kt_certs_der(tmp, KT_ROLE_ARK, &der_len) : NULL;
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    if (st == KT_OK) {
        const unsigned char *p = der;
        cert = d2i_X509(NULL, &p, (long)der_len);
        key = cert ? X509_get0_pubkey(cert) : NULL;
        st = kt_x509_check_rsa4096(key, label, err);
    }
    if (st == KT_OK)
        st = kt_x509_check_pss_sha384(X509_get0_tbs_sigalg(cert), label, err);
    if (st == KT_OK && (X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) ||
                        X509_verify(cert, key) != 1))
        st = kt_fail(err, KT_E_CHAIN, "%s: not a valid self-signed root", label);
    if (st == KT_OK) {
        uint8_t *copy = malloc(der_len);
        if (!copy) {
            st = kt_fail_oom(err);
        } else {
            memcpy(copy, der, der_len);
            /* Readers (kt_verify) take the read lock around the roots. */
            pthread_rwlock_wrlock(&v->lock);
            if (v->root_count == KT_MAX_CALLER_ROOTS) {
                st = kt_fail(err, KT_E_TOO_LARGE, "at most %d extra trust roots",
                             KT_MAX_CALLER_ROOTS);
                free(copy);
            } else {
                kt_caller_root *r = &v->roots[v->root_count];
                r->der = copy;
                r->der_len = der_len;
                if (!SHA384(der, der_len, r->fingerprint)) {
                    free(copy);
                    r->der = NULL;
                    st = kt_fail(err, KT_E_INTERNAL, "%s: SHA-384 of the root failed", label);
                } else {
                    snprintf(r->label, sizeof r->label, "%s", label);
                    v->root_count++;
                }
            }
            pthread_rwlock_unlock(&v->lock);
        }
    }
    X509_free(cert);
    kt_certs_free(&tmp);
    /* A root the caller hands in is input: a bad one is a bad argument, not a failed
     * verification. */
    if (st != KT_OK && kt_status_category_of(st) == KT_CAT_VERIFY) {
        char why[sizeof err->message];
        snprintf(why, sizeof why, "%s", err ? err->message : "trust root rejected");
        st = kt_fail(err, KT_E_INVALID_ARG, "%s", why);
    }
    return st;
}

size_t kt_verifier_cached_chains(const kt_verifier *v) {
    if (!v)
        return 0;
    pthread_rwlock_rdlock((pthread_rwlock_t *)&v->lock);
    size_t n = v->chain_count;
    pthread_rwlock_unlock((pthread_rwlock_t *)&v->lock);
    return n;
}

bool kt_chain_key(const uint8_t *ark, size_t ark_len, const uint8_t *inter, size_t inter_len,
                  const uint8_t *leaf, size_t leaf_len, uint8_t key[32]) {
    uint64_t lens[3] = {ark_len, inter_len, leaf_len};
    EVP_MD_CTX *c = kt_thread_md_ctx(); /* no allocation on the warm path */
    unsigned int n = 0;
    bool ok = c && EVP_DigestInit_ex(c, kt_md_sha256(), NULL) &&
              EVP_DigestUpdate(c, lens, sizeof lens) && EVP_DigestUpdate(c, ark, ark_len) &&
              EVP_DigestUpdate(c, inter, inter_len) && EVP_DigestUpdate(c, leaf, leaf_len) &&
              EVP_DigestFinal_ex(c, key, &n) && n == 32;
    return ok; /* on failure the caller must not use the cache */
}

void kt_chain_release(const kt_chain *chain) {
    kt_chain *c = (kt_chain *)chain;
    if (c && atomic_fetch_sub(&c->refs, 1) == 1)
        kt_chain_free(c);
}

void kt_verifier_set_cache_max(kt_verifier *v, size_t max) {
    pthread_rwlock_wrlock(&v->lock);
    if (max >= 1 && max <= KT_CHAIN_CACHE_MAX && max >= v->chain_count)
        v->chain_max = max;
    pthread_rwlock_unlock(&v->lock);
}

const kt_chain *kt_verifier_lookup(kt_verifier *v, const uint8_t key[32]) {
    kt_chain *found = NULL;
    pthread_rwlock_rdlock(&v->lock);
    for (size_t i = 0; i < v->chain_count; i++) {
        if (memcmp(v->chains[i]->key, key, 32) == 0) {
            found = v->chains[i];
            atomic_fetch_add(&found->refs, 1);
            atomic_store(&found->last_used, atomic_fetch_add(&v->tick, 1) + 1);
            break;
        }
    }
    pthread_rwlock_unlock(&v->lock);
    return found;
}

const kt_chain *kt_verifier_insert(kt_verifier *v, kt_chain *chain) {
    pthread_rwlock_wrlock(&v->lock);
    for (size_t i = 0; i < v->chain_count; i++) {
        if (memcmp(v->chains[i]->key, chain->key, 32) == 0) {
            kt_chain *existing = v->chains[i];
            atomic_fetch_add(&existing->refs, 1);
            pthread_rwlock_unlock(&v->lock);
            kt_chain_free(chain);
            return existing;
        }
    }
    if (!v->chains) {
        v->chains = calloc(KT_CHAIN_CACHE_MAX, sizeof *v->chains);
        if (!v->chains) {
            pthread_rwlock_unlock(&v->lock);
            return NULL; /* not cached: caller keeps using (and frees) its own copy */
        }
    }
    size_t slot = v->chain_count;
    kt_chain *evicted = NULL;
    if (v->chain_count >= v->chain_max) {
        /* Full: the least recently used chain gives up its slot. */
        slot = 0;
        for (size_t i = 1; i < v->chain_count; i++)
            if (atomic_load(&v->chains[i]->last_used) <
                atomic_load(&v->chains[slot]->last_used))
                slot = i;
        evicted = v->chains[slot];
    } else {
        v->chain_count++;
    }
    atomic_init(&chain->refs, 2); /* the cache's and the caller's */
    atomic_init(&chain->last_used, atomic_fetch_add(&v->tick, 1) + 1);
    v->chains[slot] = chain;
    pthread_rwlock_unlock(&v->lock);
    kt_chain_release(evicted); /* freed now, or by the last kt_verify still using it */
    return chain;
}
