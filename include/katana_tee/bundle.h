/*
 * katana-tee — verification bundles: one self-contained, versioned JSON
 * document holding everything a verification used, so that anyone can
 * re-run it later, offline, from the bundle alone.
 *
 * A bundle (format: docs/bundle.schema.json, described in docs/kds.md)
 * holds the quote (report bytes and certificate table), what was expected
 * (state root and block hash, report data, a Katana schema v1
 * BlockAttestation with what it follows and the expected chain, or
 * nothing), every certificate
 * and CRL the verification used (DER, base64, by role), the policy, the
 * caller-trusted roots, the launch description (informational: the
 * measurement it gave is in the policy), the verification time, the
 * katana-tee version, and the verdict (every check's result and status).
 *
 * Serialisation is canonical: keys sorted, no insignificant whitespace,
 * ASCII only, one trailing newline; "content_sha256" is the SHA-256 of the
 * canonical document without that member. The same verification therefore
 * gives the same bytes. Reading is strict: a document that is not exactly
 * the canonical serialisation of what it holds, has an unknown or missing
 * member, a wrong digest, or an unsupported version is refused
 * (KT_E_PARSE / KT_E_UNSUPPORTED) — no byte of a bundle is ignored; so is
 * a schema v1 answer that does not parse strictly or whose quote is not
 * the bundle's recorded quote.
 *
 * A bundle is NOT signed: the digest detects damage, not forgery. Trust
 * comes from re-verification (kt_bundle_reverify), which checks the AMD
 * chain against the pinned roots again; roots the bundle lists as
 * caller-trusted are trusted again only because the bundle says so, and the
 * re-verified verdict names them as not AMD's.
 */
#ifndef KATANA_TEE_BUNDLE_H
#define KATANA_TEE_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "katana_tee/export.h"
#include "katana_tee/katana_v1.h"
#include "katana_tee/quote.h"
#include "katana_tee/status.h"
#include "katana_tee/verify.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KT_BUNDLE_VERSION 1
#define KT_BUNDLE_MAX_SIZE ((size_t)8 * 1024 * 1024)
#define KT_BUNDLE_MAX_TRUST_ROOTS 8

/*
 * A recorder notes which certificates the verifier's sources supplied (the
 * caller's own certificates and the quote's table are known already). Use:
 * kt_bundle_recorder_new; kt_bundle_recorder_wrap(rec, &opts) before
 * kt_verify (it replaces opts.sources by recording wrappers of the same
 * sources, at most 8, and fixes opts.at to now when no time was given, so
 * the bundle records the time actually used); kt_verify; kt_bundle_write.
 * The recorder must outlive the verification.
 */
typedef struct kt_bundle_recorder kt_bundle_recorder;

KT_API KT_MUST_CHECK kt_status kt_bundle_recorder_new(kt_bundle_recorder **out, kt_error *err);
KT_API KT_MUST_CHECK kt_status kt_bundle_recorder_wrap(kt_bundle_recorder *rec,
                                                       kt_verify_opts *opts, kt_error *err);
KT_API void kt_bundle_recorder_free(kt_bundle_recorder **rec);

/* A caller-trusted root as given to kt_verifier_add_trust_root. */
typedef struct kt_bundle_root {
    const uint8_t *bytes;
    size_t len;
    const char *label;
} kt_bundle_root;

typedef struct kt_bundle_inputs {
    const kt_quote *quote;       /* an SEV-SNP quote (mock quotes are refused) */
    const kt_verify_opts *opts;  /* as passed to kt_verify (after kt_bundle_recorder_wrap) */
    const kt_bundle_recorder *recorder;
    const kt_bundle_root *roots; /* the verifier's caller-trusted roots, in order */
    size_t root_count;
    const char *launch_json;     /* the launch description (JSON text) or NULL */
} kt_bundle_inputs;

/*
 * Serialise a finished verification. *out is the canonical document
 * (NUL-terminated, *len without the NUL; free with kt_bytes_free).
 * Refuses (KT_E_INVALID_ARG) a mock quote or Azure evidence, more than 8 roots, a verdict
 * without a parsed report, and a certificate role the verdict used whose
 * bytes cannot be found; KT_E_PARSE for a launch description that is not JSON.
 */
KT_API KT_MUST_CHECK kt_status kt_bundle_write(const kt_bundle_inputs *in,
                                               const kt_verdict *verdict, char **out,
                                               size_t *len, kt_error *err);

/* The schema v1 side of a verification done with kt_v1_verify. */
typedef struct kt_bundle_v1 {
    const kt_v1_attestation *attestation; /* the answer verified (required) */
    const kt_v1_attestation *follows;     /* the previous answer (--follows) or NULL */
    const kt_v1_expect *expect;           /* as passed to kt_v1_verify; NULL = kt_v1_expect_init */
} kt_bundle_v1;

/*
 * kt_bundle_write for a verification of a schema v1 answer (kt_v1_verify):
 * the bundle also holds the answer as Katana sent it (its JSON object), the
 * previous answer when one was given, and the expectations (chain id and
 * fee token, settlement), so kt_bundle_reverify re-runs kt_v1_verify.
 * in->quote may be NULL: the quote is the answer's; when given it must be
 * the same bytes (else KT_E_INVALID_ARG). The answer's quote must be a
 * binary SEV-SNP report (a mock quote or Azure evidence is refused with
 * KT_E_INVALID_ARG, as by kt_bundle_write). `v1` NULL is kt_bundle_write.
 */
KT_API KT_MUST_CHECK kt_status kt_bundle_write_v1(const kt_bundle_inputs *in,
                                                  const kt_bundle_v1 *v1,
                                                  const kt_verdict *verdict, char **out,
                                                  size_t *len, kt_error *err);

/* A bundle read back. */
typedef struct kt_bundle kt_bundle;

/* Read and check a bundle strictly (see above). `what` names it in messages. */
KT_API KT_MUST_CHECK kt_status kt_bundle_read(const uint8_t *bytes, size_t len, const char *what,
                                              kt_bundle **out, kt_error *err);
KT_API void kt_bundle_free(kt_bundle **bundle);

/* The recorded verification time and verdict validity. */
KT_API time_t kt_bundle_time(const kt_bundle *bundle);
KT_API bool kt_bundle_recorded_valid(const kt_bundle *bundle);
/* Whether the bundle records the verification of a schema v1 answer. */
KT_API bool kt_bundle_is_v1(const kt_bundle *bundle);

/*
 * Re-run the verification from the bundle alone (no network, no cache, no
 * files), at the bundle's time or at *at when at is not NULL: kt_verify,
 * or kt_v1_verify with the recorded answer, previous answer and
 * expectations when the bundle holds a schema v1 answer. Fills
 * *verdict and sets *same when every check reached the recorded result and
 * status (and validity matches); `diff` (may be NULL) receives one line
 * naming the first checks that differ. Returns KT_OK when the re-run
 * itself could run (whatever the verdict), an error otherwise.
 */
KT_API KT_MUST_CHECK kt_status kt_bundle_reverify(const kt_bundle *bundle, const time_t *at,
                                                  kt_verdict *verdict, bool *same, char *diff,
                                                  size_t diff_cap, kt_error *err);

/* A human description of a bundle's contents (malloc'd text; free with kt_bytes_free). */
KT_API KT_MUST_CHECK kt_status kt_bundle_describe(const kt_bundle *bundle, char **out,
                                                  kt_error *err);

#ifdef __cplusplus
}
#endif

#endif
