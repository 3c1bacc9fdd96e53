/*
 * Internal to src/bundle: the bundle as held in memory, and the pieces the
 * writer, reader, re-verifier and describer share. One function (build_doc)
 * turns the in-memory bundle into its JSON document, for writing and for
 * the reader's check that the input is exactly that document.
 */
#ifndef KT_BUNDLE_INTERNAL_H
#define KT_BUNDLE_INTERNAL_H

#include <jansson.h>

#include "katana_tee/bundle.h"

#define KT_BUNDLE_MAGIC "katana-tee verification bundle"

typedef enum kt_bundle_expect {
    KT_EXPECT_NONE = 0,        /* nothing expected and not skipped (the check fails) */
    KT_EXPECT_SKIP = 1,        /* skipped by name */
    KT_EXPECT_STATE = 2,       /* state root + block hash (schema v0 commitment) */
    KT_EXPECT_REPORT_DATA = 3, /* raw 64 bytes */
} kt_bundle_expect;

struct kt_bundle {
    char version[64]; /* katana-tee version that wrote it */
    time_t at;
    uint8_t *report; /* KT_REPORT_SIZE bytes followed by the certificate table */
    size_t table_len;
    kt_product product_hint;
    kt_bundle_expect expect;
    kt_felt state_root, block_hash;
    uint8_t report_data[64];
    kt_policy policy;
    bool use_quote_certs;
    kt_certs *certs; /* every certificate and CRL the verification used */
    size_t root_count;
    uint8_t *root_bytes[KT_BUNDLE_MAX_TRUST_ROOTS];
    size_t root_len[KT_BUNDLE_MAX_TRUST_ROOTS];
    char *root_label[KT_BUNDLE_MAX_TRUST_ROOTS];
    json_t *launch; /* NULL when none */
    /* the recorded verdict */
    bool valid;
    kt_trust trust;
    kt_check_result results[KT_CHECK_COUNT];
    char statuses[KT_CHECK_COUNT][48];
};

/* The document for a bundle (new reference), with content_sha256 set. NULL on OOM. */
json_t *kt_bundle_build_doc(const kt_bundle *b, kt_error *err);
/* Canonical text of a JSON value (malloc'd, with a trailing newline). */
char *kt_bundle_canonical(const json_t *doc);
/* SHA-256 (hex) of the canonical form of doc without "content_sha256". */
kt_status kt_bundle_digest(const json_t *doc, char hex[65], kt_error *err);

/* Base64 (standard alphabet, padded) of bytes; malloc'd. */
char *kt_bundle_b64(const uint8_t *bytes, size_t len);
/* Strict base64 decode: canonical padding, no whitespace; KT_E_PARSE naming `what`. */
kt_status kt_bundle_unb64(const char *text, const char *what, uint8_t **out, size_t *len,
                          kt_error *err);

/* The policy as the JSON object kt_policy_parse_json reads (every field explicit). */
json_t *kt_bundle_policy_json(const kt_policy *p);

const char *kt_bundle_trust_name(kt_trust t);
void kt_bundle_free_fields(kt_bundle *b);

#endif
