/*
 * katana-tee — what a "quote" is on the wire.
 *
 * A quote is one of:
 *  - an SEV-SNP report: the raw 1184 bytes, optionally followed by the
 *    extended-report certificate table (as SNP_GET_EXT_REPORT and the
 *    configfs-tsm `auxblob` deliver it);
 *  - a mock quote (Katana's format): "MOCK" || prefix || 64 bytes of report
 *    data || u32le sum of all preceding bytes. It carries no hardware trust
 *    and is always labelled "mock — not a hardware attestation";
 *  - Azure evidence (azure.h): an HCL report with claims, vTPM quote and
 *    VCEK, in this project's JSON or a layout other tools publish.
 * and it may arrive as binary, as hex text (with or without "0x"; whitespace
 * anywhere, as `xxd -p` wraps it), as base64, as the JSON result of
 * tee_generateQuote (whose "quote" member is taken, along with
 * stateRoot/blockHash/blockNumber when present), or as configfs-tsm's two
 * files in JSON: {"outblob": report, "auxblob": certificate table}, each hex
 * or base64.
 */
#ifndef KATANA_TEE_QUOTE_H
#define KATANA_TEE_QUOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "katana_tee/felt.h"
#include "katana_tee/report.h"
#include "katana_tee/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KT_QUOTE_MAX_SIZE (1024 * 1024) /* hard cap on any quote envelope */
#define KT_MOCK_MAGIC "MOCK"

typedef enum kt_quote_kind {
    KT_QUOTE_SNP = 1,  /* SEV-SNP attestation report (maybe with a cert table) */
    KT_QUOTE_MOCK = 2, /* Katana mock quote: no hardware trust */
    KT_QUOTE_AZURE = 3, /* Azure evidence: HCL report (+ TPM quote, VCEK), see azure.h */
} kt_quote_kind;

typedef enum kt_quote_encoding {
    KT_QUOTE_ENC_BINARY = 0,
    KT_QUOTE_ENC_HEX = 1,
    KT_QUOTE_ENC_JSON = 2,
    KT_QUOTE_ENC_BASE64 = 3,
} kt_quote_encoding;

/* ---- extended-report certificate table ------------------------------------ */

/*
 * The role a certificate (or CRL) plays in an AMD chain: one enum for the
 * verifier (kt_certs, verdict origins) and for certificate-table entries.
 */
typedef enum kt_cert_role {
    KT_ROLE_AUTO = 0, /* detect from the subject CN (ARK-*, SEV-*, SEV-VLEK-*, SEV-VCEK, SEV-VLEK);
                         in a certificate table: an entry whose GUID is not AMD's */
    KT_ROLE_ARK = 1,
    KT_ROLE_ASK = 2,
    KT_ROLE_ASVK = 3,
    KT_ROLE_VCEK = 4,
    KT_ROLE_VLEK = 5,
    KT_ROLE_CRL = 6,
} kt_cert_role;

/*
 * A certificate-table entry's kind is a kt_cert_role named by the entry's
 * well-known GUID (bytes in the order of the printed GUID string). The
 * table's ASK GUID also holds the ASVK in VLEK tables (kind KT_CERT_ASK; the
 * verifier tells them apart by the subject CN).
 */
typedef kt_cert_role kt_cert_kind;
#define KT_CERT_OTHER KT_ROLE_AUTO
#define KT_CERT_VCEK KT_ROLE_VCEK
#define KT_CERT_VLEK KT_ROLE_VLEK
#define KT_CERT_ASK KT_ROLE_ASK
#define KT_CERT_ARK KT_ROLE_ARK

typedef struct kt_cert_entry {
    uint8_t guid[16];
    kt_cert_kind kind;
    const uint8_t *data; /* points into the table's buffer */
    size_t len;
    bool is_pem;         /* entry holds PEM text rather than DER */
} kt_cert_entry;

#define KT_CERT_TABLE_MAX_ENTRIES 16

typedef struct kt_cert_table {
    size_t count;
    kt_cert_entry entries[KT_CERT_TABLE_MAX_ENTRIES];
} kt_cert_table;

/* "VCEK", "VLEK", "ASK", "ARK" or "other". */
KT_API const char *kt_cert_kind_name(kt_cert_kind kind);

/*
 * Parse a certificate table strictly: 24-byte entries {GUID, u32le offset,
 * u32le length} ending with an all-zero entry; every entry's data must lie
 * inside the buffer, after the entry list, and not overlap another entry;
 * no duplicate GUIDs; at most KT_CERT_TABLE_MAX_ENTRIES. Entry data pointers
 * borrow from `bytes`, which must outlive the table.
 */
KT_API KT_MUST_CHECK kt_status kt_cert_table_parse(const uint8_t *bytes, size_t len,
                                                   kt_cert_table *out, kt_error *err);

/*
 * Build a certificate table from entries (their guid, data and len are
 * used; kind is ignored) into a malloc'd buffer (free with kt_bytes_free).
 */
KT_API KT_MUST_CHECK kt_status kt_cert_table_build(const kt_cert_entry *entries, size_t count,
                                                   uint8_t **out, size_t *out_len, kt_error *err);

/* The GUID bytes for a well-known kind (NULL for KT_CERT_OTHER). */
KT_API const uint8_t *kt_cert_kind_guid(kt_cert_kind kind);

/* ---- quotes ---------------------------------------------------------------- */

typedef struct kt_quote {
    kt_quote_kind kind;
    kt_quote_encoding encoding; /* how it arrived */

    /* KT_QUOTE_SNP */
    uint8_t report_bytes[KT_REPORT_SIZE];
    uint8_t *cert_table_bytes; /* NULL when none; owned by the quote */
    size_t cert_table_len;

    /* KT_QUOTE_MOCK */
    uint8_t mock_report_data[64];
    uint8_t *mock_prefix; /* owned; NULL when empty */
    size_t mock_prefix_len;

    /* KT_QUOTE_AZURE: the decoded evidence (owned); report_bytes then holds
     * the embedded SNP report when the evidence is long enough to have one */
    struct kt_azure_evidence *azure;

    /* from a tee_generateQuote JSON envelope, when present */
    bool has_state;
    kt_felt state_root;
    kt_felt block_hash;
    bool has_block_number;
    uint64_t block_number;
} kt_quote;

/*
 * Detect the envelope and decode a quote from bytes (binary, hex text or
 * JSON; surrounding whitespace in text forms is ignored). The SNP report is
 * only length-checked here: parse it with kt_report_parse. A cert table
 * that follows a report is parsed strictly (kt_cert_table_parse) before the
 * quote is accepted. Allocates *out; free with kt_quote_free.
 *
 * Detection: bytes starting with "MOCK" are a binary mock quote (checksum
 * verified); other input without control bytes (besides whitespace) is
 * text: JSON if it starts with '{' or '[', else hex when every character
 * (whitespace aside) is a hex digit, else base64; anything else is
 * binary, where 1184 bytes are a report and more are a report followed by a
 * certificate table. JSON is a tee_generateQuote result object or a whole
 * JSON-RPC response (its "result"; an "error" member is refused); "quote" is
 * required, stateRoot and blockHash come together or not at all (felts,
 * kt_felt_parse), blockNumber is a non-negative integer. What a hex or JSON
 * envelope holds must itself be a binary quote (no nesting), or Azure
 * evidence (kt_azure_evidence_detect, checked first at both levels).
 * Refuses: empty input, more than KT_QUOTE_MAX_SIZE bytes (KT_E_TOO_LARGE),
 * wrong sizes (KT_E_LENGTH, "quote is 1000 bytes: not an SEV-SNP report
 * (1184 bytes), not a mock quote (no MOCK magic)"), bad hex, malformed JSON,
 * a bad mock checksum or a malformed certificate table (KT_E_PARSE).
 * On failure *out is NULL.
 */
KT_API KT_MUST_CHECK kt_status kt_quote_decode(const uint8_t *bytes, size_t len, kt_quote **out,
                                               kt_error *err);

KT_API void kt_quote_free(kt_quote **quote);

/*
 * Encode a mock quote: "MOCK" || prefix || report_data || u32le checksum.
 * Allocates *out (free with kt_bytes_free).
 */
KT_API KT_MUST_CHECK kt_status kt_mock_quote_encode(const uint8_t *prefix, size_t prefix_len,
                                                    const uint8_t report_data[64], uint8_t **out,
                                                    size_t *out_len, kt_error *err);

/* Free bytes the library returned. NULL is allowed. */
KT_API void kt_bytes_free(uint8_t *bytes);

#ifdef __cplusplus
}
#endif

#endif
