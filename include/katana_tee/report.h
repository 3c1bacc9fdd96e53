/*
 * katana-tee — the SEV-SNP attestation report codec.
 *
 * An ATTESTATION_REPORT is 1184 bytes, little-endian, laid out by AMD's
 * SEV-SNP ABI (doc 56860). kt_report keeps the exact bytes it was parsed
 * from (`raw`, which is what signatures are checked over) next to every
 * field decoded. Fields that an older report version does not have are
 * marked absent (`has_cpuid`, `has_mit_vector`), never read as zero.
 *
 * Versions 2, 3, 4 and 5 are supported (4 has the layout of 3). Product
 * (Milan / Genoa / Turin) is needed to decode TCB values, because Turin
 * lays them out differently; it comes from the CPUID bytes for v3+, and for
 * v2 from the caller's hint, or the chip-id rule (a non-zero CHIP_ID whose
 * bytes 8..63 are zero can only be Turin), else it stays unknown and TCBs
 * are decoded with the Milan/Genoa layout (shared by both products).
 *
 * What parsing does NOT check: the signature, the certificate chain, and
 * any policy. Those belong to kt_verify (verify.h).
 */
#ifndef KATANA_TEE_REPORT_H
#define KATANA_TEE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "katana_tee/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KT_REPORT_SIZE 1184        /* 0x4A0 */
#define KT_REPORT_SIGNED_SIZE 0x2A0 /* bytes 0x000..0x29F are signed */
#define KT_REPORT_MIN_VERSION 2
#define KT_REPORT_MAX_VERSION 5
#define KT_SIG_ALGO_ECDSA_P384_SHA384 1

/* ---- products -------------------------------------------------------- */

typedef enum kt_product {
    KT_PRODUCT_UNKNOWN = 0,
    KT_PRODUCT_MILAN = 1,
    KT_PRODUCT_GENOA = 2, /* also Bergamo and Siena: same KDS endpoint */
    KT_PRODUCT_TURIN = 3,
} kt_product;

/* How the product of a report was determined. */
typedef enum kt_product_source {
    KT_PRODUCT_FROM_NONE = 0,    /* unknown */
    KT_PRODUCT_FROM_CPUID = 1,   /* v3+ CPUID_FAM_ID / CPUID_MOD_ID */
    KT_PRODUCT_FROM_CHIP_ID = 2, /* v2: chip-id length rule (Turin only) */
    KT_PRODUCT_FROM_CALLER = 3,  /* caller's hint or kt_report_set_product */
} kt_product_source;

/* "Milan", "Genoa", "Turin" (the KDS path names), or "unknown". */
KT_API const char *kt_product_name(kt_product product);

/* Parse "milan"/"Milan"/"genoa"/"turin" (case-insensitive). */
KT_API KT_MUST_CHECK kt_status kt_product_parse(const char *name, kt_product *out, kt_error *err);

/* Product from CPUID family/model; KT_PRODUCT_UNKNOWN if not recognised. */
KT_API kt_product kt_product_from_cpuid(uint8_t family, uint8_t model);

/* ---- TCB_VERSION ----------------------------------------------------- */

/*
 * A decoded TCB_VERSION. `raw` is the 64-bit little-endian value as stored;
 * the components are decoded with the product's layout:
 *   Milan/Genoa: byte0 boot_loader, byte1 tee, byte6 snp, byte7 microcode
 *   Turin:       byte0 fmc, byte1 boot_loader, byte2 tee, byte3 snp, byte7 microcode
 */
typedef struct kt_tcb {
    uint64_t raw;
    bool has_fmc; /* Turin layout */
    uint8_t fmc;
    uint8_t boot_loader;
    uint8_t tee;
    uint8_t snp;
    uint8_t microcode;
} kt_tcb;

/* Decode with the product's layout (Milan/Genoa for KT_PRODUCT_UNKNOWN). Reserved bytes are ignored. */
KT_API kt_tcb kt_tcb_decode(uint64_t raw, kt_product product);
/* Encode components back to the raw value for the product's layout. */
KT_API uint64_t kt_tcb_encode(const kt_tcb *tcb, kt_product product);

/*
 * The bits of a raw TCB_VERSION that the product's layout reserves (must be
 * zero): bytes 2..5 for Milan/Genoa, 4..6 for Turin, and for an unknown
 * product only 4..5 (reserved in both). The strict report parser refuses
 * reports whose four TCB fields set any of them (for the product it
 * determined); a caller that sets the product later (kt_report_set_product)
 * should check `raw & kt_tcb_reserved_mask(product)` itself.
 */
KT_API uint64_t kt_tcb_reserved_mask(kt_product product);

/*
 * Compare decoded TCBs component by component (fmc, boot loader, TEE, SNP,
 * microcode), never the raw values, whose reserved bytes carry no meaning.
 * kt_tcb_equal: every component equal. kt_tcb_at_most: every component of
 * a <= b's (a partial order: false when neither is below the other).
 * Both are false when either is NULL or only one has the Turin layout.
 */
KT_API bool kt_tcb_equal(const kt_tcb *a, const kt_tcb *b);
KT_API bool kt_tcb_at_most(const kt_tcb *a, const kt_tcb *b);

/* ---- bit fields -------------------------------------------------------- */

/* GUEST POLICY (offset 0x008) */
#define KT_POLICY_ABI_MINOR(p) ((uint8_t)((p) & 0xff))
#define KT_POLICY_ABI_MAJOR(p) ((uint8_t)(((p) >> 8) & 0xff))
#define KT_POLICY_SMT (1ULL << 16)
#define KT_POLICY_RESERVED_ONE (1ULL << 17) /* must be 1 */
#define KT_POLICY_MIGRATE_MA (1ULL << 18)
#define KT_POLICY_DEBUG (1ULL << 19)
#define KT_POLICY_SINGLE_SOCKET (1ULL << 20)
#define KT_POLICY_CXL_ALLOW (1ULL << 21)
#define KT_POLICY_MEM_AES_256_XTS (1ULL << 22)
#define KT_POLICY_RAPL_DIS (1ULL << 23)
#define KT_POLICY_CIPHERTEXT_HIDING (1ULL << 24)
#define KT_POLICY_PAGE_SWAP_DISABLE (1ULL << 25)
#define KT_POLICY_KNOWN_BITS 0x3FFFFFFULL /* bits 0..25 */

/* PLATFORM_INFO (offset 0x040) */
#define KT_PLATFORM_SMT_EN (1ULL << 0)
#define KT_PLATFORM_TSME_EN (1ULL << 1)
#define KT_PLATFORM_ECC_EN (1ULL << 2)
#define KT_PLATFORM_RAPL_DIS (1ULL << 3)
#define KT_PLATFORM_CIPHERTEXT_HIDING_EN (1ULL << 4)
#define KT_PLATFORM_ALIAS_CHECK_COMPLETE (1ULL << 5)
#define KT_PLATFORM_TIO_EN (1ULL << 7)
#define KT_PLATFORM_KNOWN_BITS 0xBFULL /* bit 6 seen in real data, undocumented */

/* signer info word (offset 0x048) */
#define KT_SIGNER_AUTHOR_KEY_EN (1U << 0)
#define KT_SIGNER_MASK_CHIP_KEY (1U << 1)
#define KT_SIGNER_SIGNING_KEY(w) (((w) >> 2) & 0x7)
#define KT_SIGNER_MBZ_MASK 0xFFFFFFE0U

typedef enum kt_signing_key {
    KT_SIGNING_KEY_VCEK = 0,
    KT_SIGNING_KEY_VLEK = 1,
    KT_SIGNING_KEY_NONE = 7,
} kt_signing_key;

/* One named bit of a flag word, for rendering. Tables end with name NULL. */
typedef struct kt_bit_name {
    unsigned bit;
    const char *name;
} kt_bit_name;

KT_API const kt_bit_name *kt_policy_bit_names(void);
KT_API const kt_bit_name *kt_platform_info_bit_names(void);

/* "VCEK", "VLEK", "none" or "reserved". */
KT_API const char *kt_signing_key_name(unsigned signing_key);

/* ---- the report -------------------------------------------------------- */

typedef struct kt_report {
    uint8_t raw[KT_REPORT_SIZE]; /* the exact bytes parsed (signature is over raw[0..0x2A0)) */

    uint32_t version;
    uint32_t guest_svn;
    uint64_t policy;
    uint8_t family_id[16];
    uint8_t image_id[16];
    uint32_t vmpl;
    uint32_t signature_algo;
    kt_tcb current_tcb;
    uint64_t platform_info;
    uint32_t signer_info; /* raw word; see the accessors below */
    bool author_key_en;
    bool mask_chip_key;
    uint8_t signing_key; /* kt_signing_key value, or a reserved 2..6 */
    uint8_t report_data[64];
    uint8_t measurement[48];
    uint8_t host_data[32];
    uint8_t id_key_digest[48];
    uint8_t author_key_digest[48];
    uint8_t report_id[32];
    uint8_t report_id_ma[32];
    kt_tcb reported_tcb;
    bool has_cpuid; /* v3+ */
    uint8_t cpuid_fam_id;
    uint8_t cpuid_mod_id;
    uint8_t cpuid_step;
    uint8_t chip_id[64];
    kt_tcb committed_tcb;
    uint8_t current_build, current_minor, current_major;
    uint8_t committed_build, committed_minor, committed_major;
    kt_tcb launch_tcb;
    bool has_mit_vector; /* v5+ */
    uint64_t launch_mit_vector;
    uint64_t current_mit_vector;
    uint8_t signature_r[72]; /* little-endian, as stored at 0x2A0 */
    uint8_t signature_s[72]; /* little-endian, as stored at 0x2E8 */

    kt_product product;
    kt_product_source product_source;
} kt_report;

/* Parse options. Zero-initialised options mean: strict, no product hint. */
typedef struct kt_report_parse_opts {
    bool lenient;       /* decode what can be decoded; list anomalies instead of failing */
    kt_product product; /* product hint for v2 reports (v3+ use their CPUID bytes) */
} kt_report_parse_opts;

/* One problem found while parsing leniently. */
typedef struct kt_report_anomaly {
    kt_status status;
    char text[160];
} kt_report_anomaly;

#define KT_REPORT_MAX_ANOMALIES 24

typedef struct kt_report_anomalies {
    size_t count;
    bool truncated; /* more anomalies than fit */
    kt_report_anomaly items[KT_REPORT_MAX_ANOMALIES];
} kt_report_anomalies;

/*
 * Strictly parse exactly KT_REPORT_SIZE bytes. Fails with:
 *  KT_E_LENGTH      len is not 1184 ("report is 793 bytes, expected 1184")
 *  KT_E_UNSUPPORTED version outside 2..5 ("report version 7 is not supported
 *                   (supported: 2, 3, 4, 5)"), signature algorithm not 1
 *  KT_E_RANGE       VMPL above 3, SIGNING_KEY reserved (2..6)
 *  KT_E_RESERVED    a must-be-zero byte range or bit is set (named), or
 *                   policy bit 17 (must be one) is clear
 * Unknown bits of PLATFORM_INFO and unknown (reserved) guest-policy bits
 * above bit 25 never fail parsing: flag words grow with the ABI. Callers
 * that care (verification policy) look at them.
 */
KT_API KT_MUST_CHECK kt_status kt_report_parse(const uint8_t *bytes, size_t len, kt_report *out,
                                               kt_error *err);

/*
 * Parse with options. In lenient mode, a wrong version/length still fails
 * (nothing can be decoded), but every other violation is recorded in
 * `anomalies` (may be NULL) and KT_OK is returned; in strict mode the first
 * violation fails as kt_report_parse does. A product hint applies to v2
 * reports only; for v3+ the CPUID bytes decide (an unrecognised family/model
 * leaves the product unknown: use kt_report_set_product). Strict failures
 * are reported in offset order (the first one wins) and leave *out zeroed.
 */
KT_API KT_MUST_CHECK kt_status kt_report_parse_ex(const uint8_t *bytes, size_t len,
                                                  const kt_report_parse_opts *opts,
                                                  kt_report *out, kt_report_anomalies *anomalies,
                                                  kt_error *err);

/*
 * Set the product (e.g. learned from the certificate chain) and re-decode
 * the four TCB fields with its layout.
 */
KT_API void kt_report_set_product(kt_report *report, kt_product product, kt_product_source src);

/*
 * Serialise the decoded fields (not `raw`) to 1184 bytes: the inverse of
 * parsing for every strictly valid report (bit-exact round trip). TCBs are
 * written from their `raw` values; reserved ranges are written as zero;
 * fields absent in the report's version are written as zero. Used by the
 * simulator to build reports. Fails (KT_E_INVALID_ARG) on a version outside
 * 2..5.
 * The signer word's low five bits may be given either way: through the
 * decoded author_key_en / mask_chip_key / signing_key, or through the raw
 * `signer_info` word (bits 31:5 are always taken from it). If both are
 * non-zero they must agree (else KT_E_INVALID_ARG); signing_key must be 0..7.
 */
KT_API KT_MUST_CHECK kt_status kt_report_serialize(const kt_report *report,
                                                   uint8_t out[KT_REPORT_SIZE], kt_error *err);

/* ---- rendering ------------------------------------------------------------ */

/*
 * Render the report as readable text, grouped (identity, policy, TCB,
 * platform, digests, signature), into a malloc'd NUL-terminated string
 * (caller frees with kt_string_free). Anomalies (may be NULL) are listed at
 * the end.
 */
KT_API KT_MUST_CHECK kt_status kt_report_to_text(const kt_report *report,
                                                 const kt_report_anomalies *anomalies,
                                                 char **out, kt_error *err);

/*
 * Render the report as JSON (schema documented in docs/report-json.md),
 * malloc'd, caller frees with kt_string_free. Byte arrays are lowercase hex
 * without 0x, 64-bit words "0x" + 16 hex digits, fields absent in the
 * report's version are null; anomalies (may be NULL) become an array.
 */
KT_API KT_MUST_CHECK kt_status kt_report_to_json(const kt_report *report,
                                                 const kt_report_anomalies *anomalies,
                                                 char **out, kt_error *err);

/* Free a string the library returned. NULL is allowed. */
KT_API void kt_string_free(char *s);

#ifdef __cplusplus
}
#endif

#endif
