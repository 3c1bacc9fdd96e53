/* Internal to the schema v1 checks (src/verify/v1_*.c). */
#ifndef KT_VERIFY_V1_INTERNAL_H
#define KT_VERIFY_V1_INTERNAL_H

#include "katana_tee/katana_v1.h"
#include "katana_tee/quote.h"

/*
 * kt_v1_check_attestation on 64 bytes that `where` names in the check
 * details ("report data" for an SEV-SNP report's REPORT_DATA, "claims
 * user-data" for Azure evidence).
 */
kt_status kt_v1_check_attestation_in(const kt_v1_attestation *att, const uint8_t report_data[64],
                                     const char *where, const kt_v1_expect *exp,
                                     const kt_v1_attestation *prev, kt_v1_checks *out,
                                     kt_error *err);

/*
 * kt_v1_verify for an answer whose quote is Azure evidence (v1_azure.c):
 * the Azure checks with user_data (and the TPM quote nonce) judged against
 * the v1 report data of the answer's fields, then the v1 checks on the
 * claims' user-data — only when the claims binding passed and user-data is
 * present and well formed; otherwise the v1 checks are "not run", naming why.
 */
kt_status kt_v1_verify_azure(kt_verifier *verifier, const kt_v1_attestation *att,
                             const kt_quote *quote, const kt_v1_attestation *prev,
                             const kt_v1_expect *exp, const kt_verify_opts *opts,
                             kt_verdict *verdict, kt_error *err);

#endif
