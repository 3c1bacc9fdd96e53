/*
 * katana-tee — signed build provenance of a release (DSSE + in-toto + SLSA).
 *
 * A release writes katana-tee.intoto.jsonl: one line holding one DSSE JSON
 * envelope {"payloadType", "payload", "signatures": [{"keyid", "sig"}...]}
 * whose payload is an in-toto Statement v1 with predicate type
 * https://slsa.dev/provenance/v1 and the released binary as its subject.
 * Each signature is ECDSA P-256 with SHA-256, DER encoded, over the DSSE
 * pre-authentication encoding
 *     "DSSEv1" SP LEN(payloadType) SP payloadType SP LEN(payload) SP payload
 * (LEN = ASCII decimal byte count, payload = the decoded bytes).
 *
 * Base64 (payload and sig) follows the DSSE envelope: either the standard or
 * the URL-safe alphabet, padded or not, but one alphabet per string, no
 * whitespace and canonical trailing bits; anything else is refused.
 *
 * Everything is checked offline: no key server, no transparency log. The
 * caller supplies the trusted public keys and how many of them must have
 * signed (the threshold).
 */
#ifndef KATANA_TEE_PROVENANCE_H
#define KATANA_TEE_PROVENANCE_H

#include <stddef.h>
#include <stdint.h>

#include "katana_tee/export.h"
#include "katana_tee/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KT_PROV_PAYLOAD_TYPE_URI "application/vnd.in-toto+json"
#define KT_PROV_STATEMENT_TYPE_URI "https://in-toto.io/Statement/v1"
#define KT_PROV_PREDICATE_TYPE_URI "https://slsa.dev/provenance/v1"
/* builder.id written by scripts/release. */
#define KT_PROV_BUILDER_ID "https://github.com/katana-tee/katana-tee/scripts/release@v1"

/* Hard limits: an envelope larger than this is refused before parsing. */
#define KT_PROV_ENVELOPE_MAX (1u << 20)
#define KT_PROV_MAX_SIGNATURES 16
#define KT_PROV_MAX_KEYS 16

/* Why a verification failed: one stable name per check (kt_prov_reason_name). */
typedef enum kt_prov_reason {
    KT_PROV_OK = 0,
    KT_PROV_ENVELOPE,       /* not a DSSE JSON envelope (missing/extra/typed-wrong fields) */
    KT_PROV_BASE64,         /* payload or sig is not valid base64 as DSSE defines it */
    KT_PROV_PAYLOAD_TYPE,   /* payloadType is not application/vnd.in-toto+json */
    KT_PROV_SIGNATURE,      /* no signature verifies with any given key */
    KT_PROV_THRESHOLD,      /* some, but fewer than threshold, distinct keys signed */
    KT_PROV_STATEMENT,      /* payload is not JSON or not an in-toto Statement v1 */
    KT_PROV_PREDICATE_TYPE, /* predicateType is not https://slsa.dev/provenance/v1 */
    KT_PROV_SUBJECT,        /* no subject carries the file's SHA-384/SHA-256 */
    KT_PROV_COMMIT,         /* the source commit is not the one asked for */
    KT_PROV_BUILDER,        /* runDetails.builder.id is not the one asked for */
} kt_prov_reason;

/* Short stable name, e.g. "subject-digest". Never NULL. */
KT_API const char *kt_prov_reason_name(kt_prov_reason reason);

/* What the caller trusts and asks for. Keys are PEM SubjectPublicKeyInfo of EC P-256. */
typedef struct kt_prov_policy {
    const char *const *keys_pem; /* n_keys NUL-terminated PEM texts, 1..KT_PROV_MAX_KEYS */
    size_t n_keys;
    unsigned threshold;   /* distinct keys that must have signed; 0 means 1 */
    const char *commit;   /* NULL: not checked; else the source commit (full hex) */
    const char *builder;  /* NULL: not checked; else runDetails.builder.id */
} kt_prov_policy;

/* What a verification found (filled as far as it got, also on failure). */
typedef struct kt_prov_result {
    kt_prov_reason reason;
    unsigned signatures;       /* signatures in the envelope */
    unsigned keys_matched;     /* distinct given keys with a valid signature */
    char subject_name[128];    /* the matching subject's name ("" if none) */
    char commit[96];           /* buildDefinition source commit ("" if absent) */
    char builder[256];         /* runDetails.builder.id ("" if absent) */
} kt_prov_result;

/*
 * Verify envelope (the bytes of a .intoto.jsonl holding exactly one envelope,
 * surrounding whitespace allowed) for the file whose bytes are artifact.
 * Checks, in order: envelope shape, payloadType, base64, the PAE signatures
 * against the policy keys (each key and each signature counts once), the
 * statement and predicate types, a subject whose sha384 and/or sha256 (every
 * one present, at least one) equals the file's, then commit and builder when
 * the policy names them.
 * Returns KT_OK when all pass. Failures set result->reason and return
 * KT_E_PARSE (envelope, base64, statement), KT_E_SIGNATURE (signature,
 * threshold), KT_E_BINDING (subject) or KT_E_POLICY (payload type, predicate
 * type, commit, builder); KT_E_INVALID_ARG for a bad policy (unreadable key,
 * not P-256, threshold above n_keys). Does not check: the predicate's other
 * fields (resolved dependencies, the lock digest), key revocation or time.
 */
KT_API KT_MUST_CHECK kt_status kt_prov_verify(const uint8_t *envelope, size_t envelope_len,
                                              const uint8_t *artifact, size_t artifact_len,
                                              const kt_prov_policy *policy, kt_prov_result *result,
                                              kt_error *err);

/*
 * Create an envelope around statement (JSON bytes, written as the payload
 * unchanged) signed with key_pem (PEM EC P-256 private key), or, when
 * envelope is non-NULL, add one signature to that envelope (its payload and
 * existing signatures unchanged; statement must then be NULL). keyid is
 * written as given; NULL writes the SHA-256 hex of the public key's DER.
 * When artifact is non-NULL, refuses (KT_E_BINDING) unless the statement
 * names that file's digests: a rebuilder signs only what it rebuilt.
 * Does not verify existing signatures. On KT_OK *out is a NUL-terminated
 * one-line JSON envelope with a trailing newline; free it with free().
 */
KT_API KT_MUST_CHECK kt_status kt_prov_sign(const uint8_t *envelope, size_t envelope_len,
                                            const uint8_t *statement, size_t statement_len,
                                            const char *key_pem, const char *keyid,
                                            const uint8_t *artifact, size_t artifact_len,
                                            char **out, kt_error *err);

#ifdef __cplusplus
}
#endif

#endif
