/*
 * katana-tee — verification: from a quote to a verdict a verifier can trust.
 *
 * The chain of trust checked by kt_verify:
 *
 *   AMD root key (ARK, pinned) -signs-> ASK/ASVK -signs-> VCEK/VLEK -signs-> report
 *   report.report_data == v0 commitment of (state_root, block_hash), or given bytes
 *   report.policy / TCB / VMPL / measurement ... satisfy the verifier's policy
 *
 * Every check is one named line of the verdict (kt_check_id): pass, fail with a
 * reason, or skipped with the reason it was skipped. A verdict is valid only
 * when no check failed and no check that the policy requires was skipped.
 *
 * Roots: the ARKs of Milan, Genoa and Turin are pinned in the library by the
 * SHA-384 fingerprint of their DER certificates. The certificates themselves
 * come from the caller (files, a directory, the quote's certificate table)
 * or from certificate sources (cache, KDS). Any other root — e.g. the
 * simulator's — is trusted only when the caller adds it with
 * kt_verifier_add_trust_root, and the verdict then names it as such.
 *
 * What kt_verify does NOT check: how old the report is (SEV-SNP reports carry
 * no time; bind freshness through the report data), and whether the measured
 * image is the one you want unless the policy lists expected measurements.
 */
#ifndef KATANA_TEE_VERIFY_H
#define KATANA_TEE_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "katana_tee/felt.h"
#include "katana_tee/quote.h"
#include "katana_tee/report.h"
#include "katana_tee/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- certificates -------------------------------------------------------- */

/* kt_cert_role, the one enum for what a certificate is, lives in quote.h. */

/* "ARK", "ASK", "ASVK", "VCEK", "VLEK", "CRL" (or "auto"). */
KT_API const char *kt_cert_role_name(kt_cert_role role);

/*
 * A set of certificates and CRLs gathered for verification, each with its
 * role and where it came from ("certs/vcek.der", "quote certificate table",
 * "KDS cache"). Owns copies of the bytes. Not thread-safe while being filled;
 * read-only use by kt_verify from several threads is safe.
 */
typedef struct kt_certs kt_certs;

KT_API KT_MUST_CHECK kt_status kt_certs_new(kt_certs **out, kt_error *err);
KT_API void kt_certs_free(kt_certs **certs);

/*
 * Add one DER or PEM object (a PEM input may hold several certificates, e.g.
 * KDS's cert_chain.pem: each is added). With KT_ROLE_AUTO the role comes from
 * the subject CN; a CRL is recognised as such. A role already present is
 * replaced only if `replace` is true, otherwise KT_E_INVALID_ARG ("two VCEK
 * certificates given: certs/vcek.der and quote certificate table").
 * Rejects bytes that are neither a certificate nor a CRL (KT_E_CERT_FORMAT).
 */
KT_API KT_MUST_CHECK kt_status kt_certs_add(kt_certs *certs, kt_cert_role role,
                                            const uint8_t *bytes, size_t len, const char *origin,
                                            bool replace, kt_error *err);

/* Read a file (DER or PEM) and add it as kt_certs_add does; origin = path. */
KT_API KT_MUST_CHECK kt_status kt_certs_add_file(kt_certs *certs, kt_cert_role role,
                                                 const char *path, kt_error *err);

/*
 * Add a folder laid out as snpguest uses and `katana-tee fetch` writes:
 * ark, ask (or asvk) and vcek (or vlek), each as NAME.pem or NAME.der;
 * optionally a PEM bundle cert_chain.pem / vlek_cert_chain.pem and a CRL
 * (crl.der, crl.pem, *.crl). Fails with KT_E_IO if the folder cannot be read
 * and KT_E_NOT_FOUND if it holds no certificate at all.
 */
KT_API KT_MUST_CHECK kt_status kt_certs_add_dir(kt_certs *certs, const char *dir,
                                                kt_error *err);

/* Add every VCEK/VLEK/ASK/ARK entry of an extended-report certificate table. */
KT_API KT_MUST_CHECK kt_status kt_certs_add_cert_table(kt_certs *certs,
                                                       const kt_cert_table *table,
                                                       const char *origin, kt_error *err);

/* Whether a role is present, and where it came from (NULL if absent). */
KT_API bool kt_certs_has(const kt_certs *certs, kt_cert_role role);
KT_API const char *kt_certs_origin(const kt_certs *certs, kt_cert_role role);

/* The DER bytes held for a role (NULL/0 when absent); borrowed. */
KT_API const uint8_t *kt_certs_der(const kt_certs *certs, kt_cert_role role, size_t *len);

/*
 * A source of certificates the verifier consults, in order, for what is
 * still missing after the caller's certificates and the quote's table (e.g.
 * the on-disk cache, then AMD KDS). `fetch` adds what it can for the report
 * (product already determined) to `certs`; it returns KT_OK when it simply
 * has nothing, and an error only when it failed (network, corrupt cache).
 * `need` is a bit set of (1 << kt_cert_role) for the missing roles.
 */
typedef struct kt_cert_source {
    const char *name; /* "cache", "kds", ... */
    kt_status (*fetch)(void *ctx, const kt_report *report, kt_product product, unsigned need,
                       kt_certs *certs, kt_error *err);
    void *ctx;
} kt_cert_source;

/*
 * What a certificate says, for people: subject, serial, validity and — for a
 * VCEK/VLEK — the TCB it was issued for (AMD's SPL extensions).
 */
typedef struct kt_cert_info {
    bool present;
    kt_cert_role role;     /* from the subject CN */
    char subject[128];     /* the subject's common name, e.g. "SEV-VCEK" */
    char issuer[128];      /* the issuer's common name */
    char serial[80];       /* hex, without 0x */
    time_t not_before, not_after;
    bool has_tcb;          /* a VCEK/VLEK with SPL extensions */
    uint8_t bl, tee, snp, ucode, fmc;
    bool has_fmc;          /* Turin leaves */
    char product_name[64]; /* AMD productName extension, "" when absent */
} kt_cert_info;

/*
 * Describe one DER or PEM certificate (the first of a PEM text). Refuses
 * bytes that are not an X.509 certificate (KT_E_PARSE). Checks nothing:
 * this only reads.
 */
KT_API KT_MUST_CHECK kt_status kt_cert_info_get(const uint8_t *bytes, size_t len,
                                                kt_cert_info *out, kt_error *err);

/* One line describing a certificate ("CN=… issued by CN=…, serial …, valid …, TCB …"),
 * truncated to fit `cap` bytes (always NUL-terminated when cap > 0). */
KT_API void kt_cert_info_line(const kt_cert_info *ci, char *out, size_t cap);

/* The same as one compact JSON object (role, subject, issuer, serial, not_before, not_after,
 * tcb, product_name; docs/verification.md); *out is allocated, release it with free(). */
KT_API KT_MUST_CHECK kt_status kt_cert_info_to_json(const kt_cert_info *ci, char **out,
                                                    kt_error *err);

/* ---- policy --------------------------------------------------------------- */

#define KT_POLICY_MAX_MEASUREMENTS 64

/* A minimum TCB; components set to -1 are not checked. */
typedef struct kt_tcb_min {
    int boot_loader, tee, snp, microcode, fmc;
} kt_tcb_min;

typedef enum kt_signer_req {
    KT_SIGNER_EITHER = 0,
    KT_SIGNER_REQUIRE_VCEK = 1,
    KT_SIGNER_REQUIRE_VLEK = 2,
} kt_signer_req;

/*
 * The verifier's policy. kt_policy_init() gives the secure defaults:
 * debug forbidden, migration agent forbidden, unknown guest-policy bits
 * forbidden, SMT allowed, either signer, CRL not required, nothing else
 * constrained. Every `has_*` flag turns its check on.
 */
typedef struct kt_policy {
    bool allow_debug;
    bool allow_migrate_ma;
    bool allow_smt;
    bool allow_unknown_policy_bits;
    bool require_single_socket;
    bool require_crl; /* revocation must be checked (a CRL must be available) */
    kt_signer_req signer;

    size_t measurement_count; /* 0: not checked (an empty list in JSON is refused) */
    uint8_t measurements[KT_POLICY_MAX_MEASUREMENTS][48];

    bool has_host_data;
    uint8_t host_data[32];
    bool has_id_key_digest;
    uint8_t id_key_digest[48];
    bool has_author_key_digest;
    uint8_t author_key_digest[48];
    bool has_family_id;
    uint8_t family_id[16];
    bool has_image_id;
    uint8_t image_id[16];
    bool has_report_id;
    uint8_t report_id[32];
    bool has_chip_id;
    uint8_t chip_id[64];

    bool has_min_guest_svn;
    uint32_t min_guest_svn;
    bool has_min_tcb; /* applies to REPORTED_TCB */
    kt_tcb_min min_tcb;
    bool has_min_launch_tcb;
    kt_tcb_min min_launch_tcb;
    bool has_min_firmware; /* CURRENT major.minor.build (lexicographic) */
    uint8_t min_fw_major, min_fw_minor, min_fw_build;
    bool has_min_abi; /* guest policy ABI_MAJOR.ABI_MINOR */
    uint8_t min_abi_major, min_abi_minor;

    bool has_vmpl_exact;
    uint32_t vmpl_exact;
    bool has_vmpl_max;
    uint32_t vmpl_max;

    uint64_t required_platform_bits;  /* each set bit must be set in PLATFORM_INFO */
    uint64_t forbidden_platform_bits; /* each set bit must be clear */

    /* Azure evidence: pinned SHA-256 PCR values (bit i of pcr_mask = PCR i) */
    uint32_t pcr_mask;
    uint8_t pcr_values[24][32];
} kt_policy;

KT_API void kt_policy_init(kt_policy *policy);

/*
 * Check that a policy can be satisfied at all; KT_E_INVALID_ARG naming the
 * problem otherwise: more than KT_POLICY_MAX_MEASUREMENTS measurements, a
 * VMPL above 3, `vmpl_exact` above `vmpl_max`, a PLATFORM_INFO bit both
 * required and forbidden, a minimum TCB with no component or one outside
 * 0..255, and — when `product` is Milan or Genoa (KT_PRODUCT_UNKNOWN skips
 * this) — a minimum `fmc`, which only Turin reports carry. kt_policy_parse_json
 * and kt_verify (with the report's product) call it; a policy that fails it
 * never yields a verdict that passes.
 */
KT_API KT_MUST_CHECK kt_status kt_policy_validate(const kt_policy *policy, kt_product product,
                                                  kt_error *err);

/*
 * Parse a policy from JSON text (format in docs/verification.md); unknown
 * keys are an error (a typo must not silently weaken a policy). `what` names
 * the source in messages (e.g. the file name).
 */
KT_API KT_MUST_CHECK kt_status kt_policy_parse_json(const char *text, size_t len,
                                                    const char *what, kt_policy *policy,
                                                    kt_error *err);

/* ---- the verdict ------------------------------------------------------------ */

typedef enum kt_check_id {
    KT_CHECK_QUOTE_FORMAT = 0, /* quote parses strictly; not a mock quote */
    KT_CHECK_ROOT,             /* ARK is pinned AMD (or caller-trusted) and self-signed */
    KT_CHECK_INTERMEDIATE,     /* ASK/ASVK signed by the ARK, right algorithms */
    KT_CHECK_LEAF,             /* VCEK/VLEK signed by the ASK/ASVK, right algorithms */
    KT_CHECK_VALIDITY,         /* every certificate valid at the verification time */
    KT_CHECK_REVOCATION,       /* CRL signed by the ARK, current, not listing the chain */
    KT_CHECK_PRODUCT,          /* chain, leaf productName and report CPUID agree */
    KT_CHECK_SIGNER,           /* SIGNING_KEY matches the leaf kind (VCEK/VLEK) */
    KT_CHECK_TCB_BINDING,      /* leaf SPLs == REPORTED_TCB */
    KT_CHECK_CHIP_BINDING,     /* leaf hwID == CHIP_ID */
    KT_CHECK_SIGNATURE,        /* ECDSA P-384 signature over bytes 0x000..0x29F */
    KT_CHECK_REPORT_DATA,      /* report data == expected commitment / bytes */
    KT_CHECK_MEASUREMENT,      /* measurement in the policy's list */
    KT_CHECK_DEBUG,            /* guest policy DEBUG */
    KT_CHECK_MIGRATION,        /* guest policy MIGRATE_MA */
    KT_CHECK_GUEST_POLICY,     /* SMT, single socket, unknown bits, ABI minimum */
    KT_CHECK_VMPL,             /* exact / maximum VMPL */
    KT_CHECK_MIN_TCB,          /* minimum reported / launch TCB, firmware version, guest SVN */
    KT_CHECK_IDENTITY,         /* host data, family/image/report/chip id, key digests */
    KT_CHECK_PLATFORM,         /* required / forbidden PLATFORM_INFO bits */
    KT_CHECK_CONFIG_HASH,      /* v1: report data[32..64] == katanaTeeConfigHash (== expected) */
    KT_CHECK_MESSAGES,         /* v1: messagesCommitment recomputed from the message lists */
    KT_CHECK_CONTINUITY,       /* v1 --follows: prev* fields == the previous attestation's */
    /* Azure evidence only (azure.h); absent from renderings of other quotes */
    KT_CHECK_CLAIMS_BINDING,   /* REPORT_DATA == HASH(runtime claims) || zero tail */
    KT_CHECK_USER_DATA,        /* claims user-data == expected report data */
    KT_CHECK_TPM_QUOTE,        /* vTPM quote: magic/type, nonce, HCLAkPub signature, PCR digest */
    KT_CHECK_PCRS,             /* PCR values pinned by the policy */
    KT_CHECK_COUNT
} kt_check_id;

typedef enum kt_check_result {
    KT_RESULT_NOT_RUN = 0, /* an earlier failure prevented it */
    KT_RESULT_PASS = 1,
    KT_RESULT_FAIL = 2,
    KT_RESULT_SKIPPED = 3, /* not asked for (detail says why) */
} kt_check_result;

/* Stable short name of a check, e.g. "signature", "tcb_binding". */
KT_API const char *kt_check_name(kt_check_id id);
/* "pass", "fail", "skipped", "not run". */
KT_API const char *kt_check_result_name(kt_check_result result);

typedef struct kt_check {
    kt_check_result result;
    kt_status status; /* KT_OK unless failed */
    char detail[256];
} kt_check;

typedef enum kt_trust {
    KT_TRUST_NONE = 0,        /* nothing trusted (failed, or mock) */
    KT_TRUST_AMD = 1,         /* chain ends at a pinned AMD root */
    KT_TRUST_CALLER_ROOT = 2, /* chain ends at a root the caller added (e.g. the simulator) */
} kt_trust;

/*
 * The verdict. Its layout is part of the ABI (fixed arrays, caller-allocated):
 * a program built against one header and run against another library must
 * compare KT_VERDICT_SIZE with kt_verdict_size() (and likewise for kt_policy
 * and kt_verify_opts) before use, as libsodium's size functions allow.
 * Fields are only ever appended.
 */
typedef struct kt_verdict {
    bool valid;            /* every check passed or was skipped, none failed or not run */
    bool untrusted_mock;   /* a mock quote accepted with allow_mock: never valid; report data
                              (and nothing else) checked — see kt_verify */
    kt_trust trust;
    char root_label[96];   /* "AMD ARK-Milan (pinned)" or the caller's label */
    kt_product product;
    kt_signing_key signer;
    char origin[7][160];   /* where each kt_cert_role came from (indexed by kt_cert_role); "" if unused */
    bool has_report;
    kt_report report;      /* the parsed report, when it parsed */
    bool azure;            /* Azure evidence: the Azure checks apply */
    kt_check checks[KT_CHECK_COUNT];

    /* Which state the report data was checked against (has_state: a state root and
     * block hash were expected; with raw report data only, false). The block number
     * comes from the quote's envelope: schema v0 report data does not bind it. */
    bool has_state;
    kt_felt state_root;
    kt_felt block_hash;
    bool has_block_number;
    uint64_t block_number;

    /* The certificates of the chain that was checked (ARK, intermediate, leaf), when it
     * decoded; indexed 0..2. */
    kt_cert_info chain_certs[3];
} kt_verdict;

#define KT_VERDICT_SIZE sizeof(kt_verdict)
#define KT_POLICY_SIZE sizeof(kt_policy)
/* sizeof the structs as this library was built (see kt_verdict). */
KT_API size_t kt_verdict_size(void);
KT_API size_t kt_policy_size(void);
KT_API size_t kt_verify_opts_size(void);

/* ---- the verifier ----------------------------------------------------------- */

/*
 * A verifier context: trust anchors plus a cache of verified chains, so that
 * verifying many quotes from the same chip costs one ECDSA verification
 * each. Safe to share between threads once set up (kt_verify may be called
 * concurrently; kt_verifier_add_trust_root may not run concurrently with it).
 */
typedef struct kt_verifier kt_verifier;

KT_API KT_MUST_CHECK kt_status kt_verifier_new(kt_verifier **out, kt_error *err);
KT_API void kt_verifier_free(kt_verifier **verifier);

/*
 * Trust an extra root (DER or PEM certificate), e.g. the simulator's ARK.
 * `label` names it in verdicts ("caller-trusted root sim/ark.pem"). The root
 * must be a self-signed RSA-PSS/SHA-384 certificate with a 4096-bit key.
 */
KT_API KT_MUST_CHECK kt_status kt_verifier_add_trust_root(kt_verifier *verifier,
                                                          const uint8_t *bytes, size_t len,
                                                          const char *label, kt_error *err);

/* Number of verified chains held in the cache (for tests and benchmarks). */
KT_API size_t kt_verifier_cached_chains(const kt_verifier *verifier);

typedef struct kt_verify_opts {
    const kt_certs *certs; /* caller's certificates (may be NULL) */
    const kt_cert_source *const *sources; /* consulted in order for what is missing */
    size_t source_count;
    bool use_quote_certs;  /* take certificates from the quote's table (default via init: true) */

    bool has_time;
    time_t at; /* verification time (default: now) */

    /* expected state binding: state root + block hash (v0), or raw 64 bytes */
    bool has_state;
    kt_felt state_root;
    kt_felt block_hash;
    bool has_report_data;
    uint8_t report_data[64];
    bool skip_report_data; /* neither given: skip the check (by name) instead of failing it */

    kt_product product; /* hint for v2 reports; KT_PRODUCT_UNKNOWN = from chain */
    const kt_policy *policy; /* NULL = kt_policy_init defaults */
    bool allow_mock;         /* accept a mock quote as UNTRUSTED, checking report data only */
    const struct kt_azure_opts *azure; /* Azure evidence inputs (azure.h); NULL = defaults */
} kt_verify_opts;

#define KT_VERIFY_OPTS_SIZE sizeof(kt_verify_opts)

KT_API void kt_verify_opts_init(kt_verify_opts *opts);

/*
 * Verify a quote. The verdict is always filled (every check named). Returns
 * KT_OK when the verdict is valid; otherwise the status of the first failed
 * check (KT_E_SIGNATURE, KT_E_CHAIN, KT_E_POLICY, ... — category
 * KT_CAT_VERIFY), or an input/platform status when the quote could not be
 * read or a certificate source failed; err carries the message.
 * A mock quote never verifies. Without allow_mock it fails quote_format
 * (KT_E_UNTRUSTED_QUOTE). With allow_mock its report data is checked against
 * the expected state, every policy constraint it cannot meet (measurements,
 * identity, TCB, VMPL, platform, signer, require_crl, ...) fails, the chain
 * and signature checks are "not run", and — when nothing failed — the
 * verdict has untrusted_mock set, valid false, and the return is
 * KT_E_UNTRUSTED_QUOTE (never KT_OK).
 * A policy that kt_policy_validate refuses (for the report's product)
 * returns KT_E_INVALID_ARG before any check runs (all "not run").
 */
KT_API KT_MUST_CHECK kt_status kt_verify(kt_verifier *verifier, const kt_quote *quote,
                                         const kt_verify_opts *opts, kt_verdict *verdict,
                                         kt_error *err);

/* Render a verdict as text (one line per check) or JSON (docs/verification.md). */
KT_API KT_MUST_CHECK kt_status kt_verdict_to_text(const kt_verdict *verdict, char **out,
                                                  kt_error *err);
KT_API KT_MUST_CHECK kt_status kt_verdict_to_json(const kt_verdict *verdict, char **out,
                                                  kt_error *err);

/* The pinned AMD ARK fingerprint (SHA-384 of the DER) for a product, or NULL. */
KT_API const uint8_t *kt_amd_ark_fingerprint(kt_product product);

#ifdef __cplusplus
}
#endif

#endif
