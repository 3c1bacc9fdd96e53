/*
 * Internal: Azure verification with an expectation that is not in
 * kt_verify_opts — a Katana schema v1 answer's report data, which
 * kt_v1_verify computes from the answer's fields — and what the verified
 * claims carry back, so the v1 checks can run on the claims' user-data
 * (on Azure the guest's 64 bytes are there, not in REPORT_DATA).
 */
#ifndef KT_VERIFY_AZURE_EXPECT_H
#define KT_VERIFY_AZURE_EXPECT_H

#include <stdbool.h>
#include <stdint.h>

#include "katana_tee/quote.h"
#include "katana_tee/verify.h"

typedef struct kt_azure_expect {
    /* in: the 64 bytes user-data (and, without a given nonce, the TPM quote nonce) must
     * equal, and how the verdict names them */
    const uint8_t *data;
    const char *what;
    /* out: user-data is trusted only when the claims parse, REPORT_DATA binds them
     * (claims_binding passed) and user-data is present and well formed */
    bool user_data_verified;
    uint8_t user_data[64];
    char why_not[200]; /* when not verified: why, one line */
} kt_azure_expect;

/*
 * kt_azure_verify (the Azure checks of kt_verify) with `x` (may be NULL:
 * then exactly kt_azure_verify): the user_data check and the quote nonce
 * are judged against x->data instead of the v0 commitment or report data
 * in opts, and x's out fields are filled.
 */
kt_status kt_azure_verify_expect(kt_verifier *v, const kt_quote *quote,
                                 const kt_verify_opts *opts, kt_azure_expect *x,
                                 kt_verdict *vd, kt_error *err);

#endif
