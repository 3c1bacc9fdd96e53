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
#include "katana_tee/katana_v1.h"
#include "util/buf.h"

#define KT_BUNDLE_MAGIC "katana-tee verification bundle"

typedef enum kt_bundle_expect {
    KT_EXPECT_NONE = 0,        /* nothing expected and not skipped (the check fails) */
    KT_EXPECT_SKIP = 1,        /* skipped by name */
    KT_EXPECT_STATE = 2,       /* state root + block hash (schema v0 commitment) */
    KT_EXPECT_REPORT_DATA = 3, /* raw 64 bytes */
    KT_EXPECT_KATANA_V1 = 4,   /* a schema v1 BlockAttestation: its fields are the expectation */
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
    /* KT_EXPECT_KATANA_V1: the answer, what it follows (--follows), what was expected */
    kt_v1_attestation v1_att;
    bool v1_has_prev;
    kt_v1_attestation v1_prev;
    kt_v1_expect v1_expect;
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

/* ---- the schema v1 expectation (v1.c) ---------------------------------------------------- */

/* Copy a v1 answer, its predecessor and expectations into b (expect = KT_EXPECT_KATANA_V1). */
kt_status kt_bundle_v1_set(kt_bundle *b, const kt_bundle_v1 *v1, kt_error *err);
/* Add the v1 members (attestation, follows, config, settlement) to the "expected" object. */
bool kt_bundle_v1_to_json(const kt_bundle *b, json_t *expected);
/* Read them from an "expected" object whose mode is "katana_v1" (strictly). */
kt_status kt_bundle_v1_read(kt_bundle *b, const json_t *expected, const char *file,
                            kt_error *err);
/* Whether q's report and certificate table (none counts as empty) are
 * exactly report[0..KT_REPORT_SIZE) and table[0..table_len). */
bool kt_bundle_quote_is(const kt_quote *q, const uint8_t *report, const uint8_t *table,
                        size_t table_len);

/* The answer's quote must be exactly the recorded quote (report and table). */
kt_status kt_bundle_v1_check_quote(const kt_bundle *b, const char *file, kt_error *err);
/* Lines for kt_bundle_describe. */
bool kt_bundle_v1_describe(const kt_bundle *b, kt_buf *t);
void kt_bundle_free_fields(kt_bundle *b);

#endif
