/*
 * katana-tee — Azure SEV-SNP confidential VMs: HCL report, runtime claims,
 * vTPM quote, and the evidence object that carries them.
 *
 * On Azure the guest has no /dev/sev-guest. The paravisor (VMPL 0) keeps the
 * SNP report inside an "HCL report" in vTPM NV index 0x01400001, and sets the
 * hardware REPORT_DATA to HASH(runtime-claims JSON) || zero tail. The guest's
 * 64 bytes enter only through NV index 0x01400002, which the paravisor copies
 * into the claims' "user-data". The guest OS itself is measured only into
 * vTPM PCRs, which a TPM2_Quote signed by the claims' HCLAkPub key covers.
 * Formats and rules: docs/azure.md.
 *
 * Nothing in this header needs a TPM library: the parsers and checks are pure
 * (OpenSSL + jansson). Only the `azure` attester (attester.h) needs tpm2-tss.
 */
#ifndef KATANA_TEE_AZURE_H
#define KATANA_TEE_AZURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "katana_tee/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- HCL report (NV 0x01400001) ------------------------------------------------ */

#define KT_HCL_MAGIC 0x414C4348u         /* "HCLA" little-endian */
#define KT_HCL_HEADER_SIZE 32
#define KT_HCL_HW_REPORT_SIZE 1184       /* SNP report slot at offset 0x20 */
#define KT_HCL_CLAIMS_OFFSET 0x4D4       /* 1236: claims JSON starts here */
#define KT_HCL_MAX_SIZE (64 * 1024)      /* cap on an HCL report we accept */
#define KT_HCL_REPORT_TYPE_SNP 2
#define KT_HCL_REPORT_TYPE_TDX 4

typedef enum kt_hcl_hash {
    KT_HCL_HASH_SHA256 = 1,
    KT_HCL_HASH_SHA384 = 2,
    KT_HCL_HASH_SHA512 = 3,
} kt_hcl_hash;

/*
 * A parsed HCL report: header fields and views into the caller's buffer
 * (which must outlive the struct).
 */
typedef struct kt_hcl_report {
    uint32_t header_version;  /* 1 or 2 */
    uint32_t report_size;     /* as stated; informational (checked to be within the buffer) */
    uint32_t request_type;
    uint32_t status;
    uint32_t data_size;       /* = 20 + claims_size (checked) */
    uint32_t data_version;
    uint32_t report_type;     /* KT_HCL_REPORT_TYPE_SNP (checked) */
    uint32_t hash_type;       /* kt_hcl_hash (checked) */
    const uint8_t *snp_report; /* 1184 bytes at offset 0x20 */
    const uint8_t *claims;     /* claims_len bytes at offset 0x4D4 */
    size_t claims_len;
    size_t used_len;           /* 1236 + claims_len; the rest of the buffer is padding */
} kt_hcl_report;

/*
 * Parse an HCL report strictly: "HCLA" magic, header version 1 or 2,
 * report_type 2 (SNP), hash_type 1..3, data_size == 20 + claims_size,
 * 1236 + claims_size <= len, the stated report_size within the buffer (its
 * meaning differs between sources, so it is not used), and nothing but zero
 * bytes after the claims. The
 * SNP report itself is not parsed here (kt_report_parse).
 * Refuses with KT_E_LENGTH (too short / sizes disagree), KT_E_PARSE (magic),
 * KT_E_UNSUPPORTED (versions, report_type, hash_type), KT_E_TOO_LARGE.
 */
KT_API KT_MUST_CHECK kt_status kt_hcl_parse(const uint8_t *bytes, size_t len,
                                            kt_hcl_report *out, kt_error *err);

/* Digest length of an HCL hash_type (32, 48, 64), or 0 for an invalid one. */
KT_API size_t kt_hcl_hash_len(uint32_t hash_type);

/*
 * HASH(claims) per hash_type into out (up to 64 bytes); *out_len receives
 * the digest length. KT_E_UNSUPPORTED for an invalid hash_type.
 */
KT_API KT_MUST_CHECK kt_status kt_hcl_hash_claims(uint32_t hash_type, const uint8_t *claims,
                                                  size_t claims_len, uint8_t out[64],
                                                  size_t *out_len, kt_error *err);

/* ---- runtime claims JSON ------------------------------------------------------- */

#define KT_AZURE_RSA_MAX_BYTES 512 /* up to RSA-4096 */

typedef enum kt_user_data_state {
    KT_USER_DATA_ABSENT = 0,    /* no "user-data" key (older paravisors, or none written) */
    KT_USER_DATA_OK = 1,        /* exactly 128 hex digits, decoded into user_data */
    KT_USER_DATA_MALFORMED = 2, /* present but not 128 hex digits (see user_data_error) */
} kt_user_data_state;

typedef struct kt_azure_claims {
    /* HCLAkPub: RSA modulus and exponent, big-endian, leading zeros stripped */
    uint8_t ak_n[KT_AZURE_RSA_MAX_BYTES];
    size_t ak_n_len;
    uint8_t ak_e[8];
    size_t ak_e_len;
    kt_user_data_state user_data_state;
    uint8_t user_data[64];
    char user_data_error[128];
    char vm_unique_id[64];  /* vm-configuration.vmUniqueId, "" if absent */
    int secure_boot;        /* vm-configuration.secure-boot: 1/0, -1 if absent */
    int tpm_enabled;        /* -1 if absent */
    int console_enabled;    /* -1 if absent */
    size_t key_count;       /* number of keys[] entries */
} kt_azure_claims;

/*
 * Parse runtime claims (the exact stored bytes): JSON object, duplicate keys
 * rejected at every level, "keys" an array holding exactly one JWK with kid
 * "HCLAkPub" (kty "RSA", n and e unpadded base64url; key_ops not checked),
 * RSA modulus 2048..4096 bits. "user-data" is recorded in user_data_state
 * (not refused here: the user_data check names a malformed value).
 * Refuses KT_E_PARSE (JSON, types, base64url), KT_E_NOT_FOUND (no HCLAkPub),
 * KT_E_UNSUPPORTED (kty not RSA, modulus size).
 */
KT_API KT_MUST_CHECK kt_status kt_azure_claims_parse(const uint8_t *bytes, size_t len,
                                                     kt_azure_claims *out, kt_error *err);

/* ---- TPM 2.0 quote (TPMS_ATTEST + TPMT_SIGNATURE), no TPM library ------------- */

#define KT_TPM_GENERATED_VALUE 0xFF544347u
#define KT_TPM_ST_ATTEST_QUOTE 0x8018u
#define KT_TPM_ALG_SHA256 0x000Bu
#define KT_TPM_ALG_RSASSA 0x0014u
#define KT_TPM_PCR_COUNT 24

typedef struct kt_tpm_quote_info {
    uint32_t magic;
    uint16_t type;
    uint8_t signer_name[68];   /* qualifiedSigner (TPM2B_NAME) */
    size_t signer_name_len;
    uint8_t extra_data[64];    /* the nonce (TPM2B_DATA) */
    size_t extra_data_len;
    uint64_t clock;
    uint32_t reset_count, restart_count;
    uint8_t safe;
    uint64_t firmware_version;
    uint16_t pcr_hash;         /* hash of the (single) PCR selection */
    uint32_t pcr_select;       /* bit i = PCR i selected */
    uint8_t pcr_digest[64];
    size_t pcr_digest_len;
} kt_tpm_quote_info;

/*
 * Parse a TPMS_ATTEST of type quote, big-endian, strictly: the whole buffer
 * is consumed, sizes bounded (name ≤ 68, extraData ≤ 64, digest ≤ 64), one
 * PCR selection bank of ≤ 4 select bytes. Magic and type are recorded, not
 * refused (the tpm_quote check names them); a selection over another bank
 * or several banks is KT_E_UNSUPPORTED. KT_E_LENGTH/KT_E_PARSE otherwise.
 */
KT_API KT_MUST_CHECK kt_status kt_tpm_quote_parse(const uint8_t *bytes, size_t len,
                                                  kt_tpm_quote_info *out, kt_error *err);

/*
 * Take the RSA signature out of a TPMT_SIGNATURE (sigAlg RSASSA, hash
 * SHA-256, TPM2B size = rest of buffer), or accept raw signature bytes
 * (256 or 512 bytes, as trustee stores them) when `raw` is true.
 * *sig points into `bytes`. KT_E_UNSUPPORTED for another scheme or hash.
 */
KT_API KT_MUST_CHECK kt_status kt_tpm_signature_parse(const uint8_t *bytes, size_t len, bool raw,
                                                      const uint8_t **sig, size_t *sig_len,
                                                      kt_error *err);

/* ---- the evidence object ------------------------------------------------------- */

typedef enum kt_azure_layout {
    KT_AZURE_LAYOUT_KATANA = 1,      /* this project's evidence JSON (docs/azure.md) */
    KT_AZURE_LAYOUT_TRUSTEE_V1 = 2,  /* {version, hcl_report, tpm_quote{...}, vcek} base64url */
    KT_AZURE_LAYOUT_TRUSTEE_LIST = 3, /* {report:[bytes], quote{message,signature,pcrs}, vcek PEM} */
    KT_AZURE_LAYOUT_CARTRIDGE = 4,   /* {report, ak_pub, tpm_quote, tpm_signature, tpm_pcrs, vek_certs} */
    KT_AZURE_LAYOUT_HCL = 5,         /* a bare HCL report (the NV area) */
} kt_azure_layout;

#define KT_AZURE_EVIDENCE_VERSION 1
#define KT_AZURE_EVIDENCE_FORMAT "katana-tee/azure-evidence"
#define KT_AZURE_MAX_CERTS 4

typedef struct kt_azure_evidence {
    kt_azure_layout layout;
    /* Either the HCL report (hcl != NULL), or, in the cartridge layout, the
     * bare SNP report plus the claims bytes. */
    uint8_t *hcl;
    size_t hcl_len;
    uint8_t *report;
    size_t report_len;
    uint8_t *claims;
    size_t claims_len;
    /* TPM quote: present when quote_msg != NULL */
    uint8_t *quote_msg;
    size_t quote_msg_len;
    uint8_t *quote_sig;
    size_t quote_sig_len;
    bool quote_sig_raw;   /* raw RSA bytes rather than a TPMT_SIGNATURE */
    uint32_t pcr_mask;    /* which pcrs[] are given */
    uint8_t pcrs[KT_TPM_PCR_COUNT][32];
    /* certificates carried along (DER, or PEM text that may hold several): VCEK first */
    uint8_t *certs[KT_AZURE_MAX_CERTS];
    size_t cert_lens[KT_AZURE_MAX_CERTS];
    size_t cert_count;
} kt_azure_evidence;

/* Name of a layout: "katana", "trustee-v1", "trustee-list", "cartridge", "hcl". */
KT_API const char *kt_azure_layout_name(kt_azure_layout layout);

/*
 * Whether bytes look like Azure evidence: a bare HCL report ("HCLA" magic),
 * or a JSON object in one of the layouts above (detected by its keys; the
 * content is not checked). Cheap enough for a quote decoder to ask first.
 */
KT_API bool kt_azure_evidence_detect(const uint8_t *bytes, size_t len);

/*
 * Decode evidence in any layout. Only the envelope is checked (JSON, base64,
 * hex, sizes ≤ caps, duplicate keys refused, PCR indexes < 24, 32-byte PCR
 * values); the HCL report, claims and quote are parsed by the verifier so a
 * malformed one is reported by a named check. Allocates *out; free with
 * kt_azure_evidence_free. KT_E_PARSE / KT_E_LENGTH / KT_E_TOO_LARGE.
 */
KT_API KT_MUST_CHECK kt_status kt_azure_evidence_decode(const uint8_t *bytes, size_t len,
                                                        kt_azure_evidence **out, kt_error *err);

/*
 * Encode evidence as this project's JSON (version KT_AZURE_EVIDENCE_VERSION):
 * {"format","version","hcl_report" hex, "tpm_quote":{"message","signature",
 * "pcrs":[{"index","value"}]}, "certs":[hex of DER or PEM]}. Only evidence with an
 * HCL report can be encoded. *out is a NUL-terminated malloc'd string
 * (kt_bytes_free), *out_len its length.
 */
KT_API KT_MUST_CHECK kt_status kt_azure_evidence_encode(const kt_azure_evidence *ev,
                                                        uint8_t **out, size_t *out_len,
                                                        kt_error *err);

/* Deep copy (used by kt_quote). */
KT_API KT_MUST_CHECK kt_status kt_azure_evidence_copy(const kt_azure_evidence *ev,
                                                      kt_azure_evidence **out, kt_error *err);

KT_API void kt_azure_evidence_free(kt_azure_evidence **ev);

/*
 * The SNP report and claims the evidence holds (views into it): from the
 * HCL report (parsed strictly, *hcl filled) or from the cartridge fields
 * (*hcl zeroed, hash_type SHA-256 assumed as Azure's paravisor uses).
 */
KT_API KT_MUST_CHECK kt_status kt_azure_evidence_parts(const kt_azure_evidence *ev,
                                                       kt_hcl_report *hcl,
                                                       const uint8_t **snp_report,
                                                       const uint8_t **claims, size_t *claims_len,
                                                       kt_error *err);

/*
 * Description for `show`, as text or as a JSON object: layout, HCL header,
 * the claims (as stored, and what was read from them: AK size, user-data),
 * the TPM quote (nonce, selection, digest), the PCR values and the
 * certificates carried. A part that does not parse is described by its
 * error, not refused. *out is malloc'd (free()).
 */
KT_API KT_MUST_CHECK kt_status kt_azure_evidence_describe(const kt_azure_evidence *ev, bool json,
                                                          char **out, kt_error *err);

/* ---- verification options ------------------------------------------------------- */

/* Azure-specific verification inputs (kt_verify_opts.azure; NULL = defaults). */
typedef struct kt_azure_opts {
    /* Expected TPM quote nonce. Default: the expected report data (64 bytes),
     * as the azure attester uses the same bytes for user-data and nonce. */
    bool has_nonce;
    uint8_t nonce[64];
    size_t nonce_len;
    bool require_quote; /* fail tpm_quote when the evidence carries no quote */
} kt_azure_opts;

#ifdef __cplusplus
}
#endif

#endif
