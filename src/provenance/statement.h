/* Internal: checks on the in-toto Statement inside a provenance envelope. */
#ifndef KT_PROVENANCE_STATEMENT_H
#define KT_PROVENANCE_STATEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "katana_tee/provenance.h"

/* Lowercase hex SHA-384 and SHA-256 of a file's bytes. */
typedef struct kt_prov_digests {
    char sha384[97];
    char sha256[65];
} kt_prov_digests;

kt_status kt_prov_digest_file(const uint8_t *data, size_t len, kt_prov_digests *out, kt_error *err);

/*
 * Check payload (the decoded DSSE payload) as an in-toto Statement v1 with
 * the SLSA provenance v1 predicate naming `file` as a subject, and the commit
 * and builder of policy when set (policy may be NULL: no commit/builder
 * check). Sets result->reason and the found subject/commit/builder; returns
 * the status kt_prov_verify documents for that reason.
 */
kt_status kt_prov_check_statement(const uint8_t *payload, size_t payload_len,
                                  const kt_prov_digests *file, const kt_prov_policy *policy,
                                  kt_prov_result *result, kt_error *err);

/* Status for a failure reason (KT_E_PARSE, KT_E_SIGNATURE, KT_E_BINDING, KT_E_POLICY). */
kt_status kt_prov_reason_status(kt_prov_reason reason);

#endif
