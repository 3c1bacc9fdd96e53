/* kt_v1_verify: a v1 tee_generateQuote answer from quote to verdict. */
#include <stdlib.h>
#include <string.h>

#include "katana_tee/katana_v1.h"
#include "katana_tee/quote.h"
#include "util/error.h"
#include "verify/v1_internal.h"

/* Offset of REPORT_DATA in an SEV-SNP attestation report. */
#define REPORT_DATA_OFFSET 0x50

kt_status kt_v1_verify(kt_verifier *verifier, const kt_v1_attestation *att,
                       const kt_v1_attestation *prev, const kt_v1_expect *exp,
                       const kt_verify_opts *opts, kt_verdict *verdict, kt_error *err) {
    if (!verifier || !att || !opts || !verdict)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_v1_verify: missing argument");
    if (!att->quote || att->quote_len == 0)
        return kt_fail(err, KT_E_PARSE, "BlockAttestation.quote is empty");
    kt_quote *quote = NULL;
    kt_status st = kt_quote_decode(att->quote, att->quote_len, &quote, err);
    if (st != KT_OK)
        return kt_fail_context(err, st, "BlockAttestation.quote");
    if (quote->kind == KT_QUOTE_AZURE) {
        /* the Azure attester's bytes are its evidence (JSON or an HCL report); the guest's
         * report data is in the claims' user-data, not at REPORT_DATA (v1_azure.c) */
        st = kt_v1_verify_azure(verifier, att, quote, prev, exp, opts, verdict, err);
        kt_quote_free(&quote);
        return st;
    }
    if (quote->encoding != KT_QUOTE_ENC_BINARY) {
        kt_quote_free(&quote);
        return kt_fail(err, KT_E_PARSE,
                       "BlockAttestation.quote holds text, not the attester's bytes");
    }

    /* the chain, signature and policy; the report data is judged below */
    kt_verify_opts o = *opts;
    o.has_state = false;
    o.has_report_data = false;
    o.skip_report_data = true;
    kt_error verr = {0};
    kt_status vst = kt_verify(verifier, quote, &o, verdict, &verr);

    const uint8_t *rd = quote->kind == KT_QUOTE_MOCK ? quote->mock_report_data
                                                     : quote->report_bytes + REPORT_DATA_OFFSET;
    kt_v1_checks checks;
    kt_error cerr = {0};
    kt_status cst = kt_v1_check_attestation(att, rd, exp, prev, &checks, &cerr);
    kt_quote_free(&quote);
    if (cst != KT_OK && kt_status_category_of(cst) != KT_CAT_VERIFY) {
        if (err)
            *err = cerr;
        return cst; /* out of memory */
    }
    kt_v1_checks_apply(&checks, verdict);
    if (vst == KT_E_UNTRUSTED_QUOTE && cst != KT_OK) {
        /* an accepted mock whose v1 fields fail is a failure, not "untrusted but matching" */
        verdict->untrusted_mock = false;
        verdict->valid = false;
        if (err)
            *err = cerr;
        return cst;
    }
    if (vst != KT_OK) {
        if (err)
            *err = verr;
        return vst;
    }
    if (cst != KT_OK) {
        if (err)
            *err = cerr;
        return cst;
    }
    return verdict->valid ? KT_OK : kt_fail(err, KT_E_INTERNAL, "verification incomplete");
}
