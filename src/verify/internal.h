/* Internal: the verifier context, its chain cache, and the pieces of kt_verify. */
#ifndef KT_VERIFY_INTERNAL_H
#define KT_VERIFY_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "katana_tee/verify.h"
#include "verify/x509util.h"

#define KT_MAX_CALLER_ROOTS 8
#define KT_CHAIN_CACHE_MAX 1024

typedef struct kt_caller_root {
    uint8_t fingerprint[48]; /* SHA-384 of the DER */
    char label[96];
    uint8_t *der;
    size_t der_len;
} kt_caller_root;

/*
 * A chain that verified: ARK (trusted, self-signed) -> intermediate -> leaf.
 * Immutable once in the cache (but for its use counters); shared by all
 * threads. It holds nothing about any one caller: where a caller's
 * certificates came from is added to the verdict per call.
 */
typedef struct kt_chain {
    uint8_t key[32]; /* SHA-256 over the three DER certificates */
    kt_product product;
    kt_trust trust;
    char root_label[96];
    kt_cert_role inter_role; /* ASK or ASVK */
    kt_cert_role leaf_role;  /* VCEK or VLEK */
    time_t not_before[3], not_after[3]; /* ARK, intermediate, leaf */
    EVP_PKEY *ark_key, *inter_key, *leaf_key;
    X509_NAME *ark_name, *inter_name;
    ASN1_INTEGER *inter_serial, *leaf_serial;
    kt_amd_ext ext;
    char detail[3][256]; /* root / intermediate / leaf pass details, without origins */
    kt_cert_info info[3];  /* ARK, intermediate, leaf: what they say, for the verdict */
    atomic_int refs;           /* the cache's reference + one per kt_verify using it */
    pthread_mutex_t pool_lock; /* guards verify_pool */
    EVP_PKEY_CTX *verify_pool[8]; /* leaf-key verify contexts, initialised, idle */
    int pool_count;
    atomic_ullong last_used;   /* the verifier's tick at the last lookup (LRU) */
} kt_chain;

struct kt_verifier {
    kt_caller_root roots[KT_MAX_CALLER_ROOTS];
    size_t root_count;
    pthread_rwlock_t lock; /* guards roots, root_count, chains, chain_count, chain_max */
    kt_chain **chains;     /* KT_CHAIN_CACHE_MAX slots, allocated on the first insert */
    size_t chain_count;
    size_t chain_max;      /* least recently used chains are evicted beyond this */
    atomic_ullong tick;
};

void kt_chain_free(kt_chain *chain);

/* Drop one reference to a chain (from lookup or insert); frees it after the last. */
void kt_chain_release(const kt_chain *chain);

/* Test hook: cache at most `max` (1..KT_CHAIN_CACHE_MAX) chains. */
void kt_verifier_set_cache_max(kt_verifier *v, size_t max);

/*
 * Evaluate a chain from DER bytes. Fills the ROOT, INTERMEDIATE and LEAF
 * checks of `checks`. On success returns a new kt_chain (caller owns); on
 * failure returns NULL, and *leaf_key / *ext receive whatever could still be
 * read from the leaf (so the report signature and bindings can be reported).
 */
kt_chain *kt_chain_evaluate(const kt_verifier *v, const uint8_t *ark, size_t ark_len,
                            const char *ark_origin, const uint8_t *inter, size_t inter_len,
                            const char *inter_origin, const uint8_t *leaf, size_t leaf_len,
                            const char *leaf_origin, kt_check *checks, EVP_PKEY **leaf_key,
                            kt_amd_ext *ext, bool *has_ext, kt_status *status, kt_error *err);

/*
 * Look up / insert verified chains (thread-safe). Both return a reference the
 * caller gives back with kt_chain_release. Insert takes ownership of `chain`
 * (returning it, or the equal chain already cached, after freeing `chain`);
 * when the cache is full the least recently used chain is evicted (freed once
 * no kt_verify still uses it). NULL only when memory ran out: the caller then
 * keeps (and frees) its own chain.
 */
const kt_chain *kt_verifier_lookup(kt_verifier *v, const uint8_t key[32]);
const kt_chain *kt_verifier_insert(kt_verifier *v, kt_chain *chain);

/* Key of a chain: SHA-256 over the lengths and bytes of the three certificates. False on failure. */
bool kt_chain_key(const uint8_t *ark, size_t ark_len, const uint8_t *inter, size_t inter_len,
                  const uint8_t *leaf, size_t leaf_len, uint8_t key[32]);

/* Record a check result (detail printf-style). Returns status for chaining. */
kt_status kt_check_set(kt_check *c, kt_check_result result, kt_status status, const char *fmt,
                       ...) __attribute__((format(printf, 4, 5)));

/* This thread's digest context (NULL only when out of memory); callers initialise it. */
EVP_MD_CTX *kt_thread_md_ctx(void);

/* SHA-256 / SHA-384 fetched once per process (kept until exit). */
const EVP_MD *kt_md_sha256(void);
const EVP_MD *kt_md_sha384(void);

/* ECDSA P-384 / SHA-384 over the signed part of a report with a chain's leaf key,
 * reusing an idle verify context of the chain (none allocated when one is idle). */
kt_status kt_chain_signature_verify(kt_chain *chain, const kt_report *report, kt_error *err);

/* ECDSA P-384 / SHA-384 over the signed part of a report, r/s little-endian. */
kt_status kt_report_signature_verify(EVP_PKEY *leaf_key, const kt_report *report,
                                     kt_error *err);

/* The policy checks (DEBUG .. PLATFORM) of a parsed report. */
void kt_policy_evaluate(const kt_policy *policy, const kt_report *report, kt_check *checks);

/* The policy checks for a mock quote accepted with allow_mock (no report). */
void kt_policy_evaluate_mock(const kt_policy *policy, kt_check *checks);

/* ---- the pieces of kt_verify (verify.c orchestrates them) ------------------ */

/* The certificates of one verification (gather.c). */
typedef struct kt_gathered {
    kt_certs *owned;     /* merged copy, when one was needed (free with kt_certs_free) */
    const kt_certs *use; /* what the checks read: opts->certs or owned */
} kt_gathered;

/*
 * Gather the certificates for a report whose leaf is `leaf`: the caller's,
 * the quote's table, a lone caller-trusted root standing in for the ARK, then
 * opts->sources for what is missing (the CRL too when want_crl). Fails only
 * when a table does not parse or a source fails.
 */
kt_status kt_verify_gather(const kt_verifier *v, const kt_quote *quote, const kt_verify_opts *opts,
                           const kt_report *report, kt_product product, kt_cert_role leaf,
                           bool want_crl, kt_gathered *g, kt_error *err);

/* Binding checks on a verified chain (binding.c); each fills one check. */
void kt_check_validity(const kt_chain *c, time_t at, const char *const origins[3],
                       kt_check *check);
void kt_check_product(kt_product chain_product, const kt_amd_ext *ext, kt_report *report,
                      kt_product hint, kt_check *check);
void kt_check_signer(kt_cert_role leaf_role, const kt_report *report, const kt_policy *pol,
                     kt_check *check);
void kt_check_tcb(const kt_amd_ext *ext, const kt_report *report, kt_product product,
                  kt_check *check);
void kt_check_chip(const kt_amd_ext *ext, kt_cert_role leaf_role, const kt_report *report,
                   kt_product product, kt_check *check);

/* The state binding (state.c): fills REPORT_DATA and the verdict's state fields. */
void kt_check_report_data(const kt_verify_opts *opts, const kt_quote *quote,
                          const uint8_t actual[64], kt_verdict *vd);

/* One JSON object describing a certificate (verdict.c; kt_cert_info_to_json wraps it). */
struct json_t;
struct json_t *kt_cert_info_json(const kt_cert_info *ci);


/* Fill a kt_cert_info from a parsed certificate (certinfo.c). */
void kt_cert_info_of(const X509 *x, kt_cert_info *out);

/* The revocation check (revocation.c). */
void kt_check_revocation(const kt_chain *c, const kt_certs *certs, time_t at,
                         const kt_policy *policy, kt_check *check);

#endif
