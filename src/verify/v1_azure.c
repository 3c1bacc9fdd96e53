/*
 * A schema v1 answer whose quote is Azure evidence. On Azure the SEV-SNP
 * report's REPORT_DATA is the hash of the runtime claims (the paravisor's),
 * and the guest's 64 bytes — Katana's v1 report data — are the claims'
 * "user-data". So the v1 checks run on user-data, and only once it is
 * trusted: the claims parse and REPORT_DATA binds them. The Azure user_data
 * check (and the TPM quote nonce) are judged against the v1 report data of
 * the answer's own fields, never skipped.
 */
#include <stdio.h>
#include <string.h>

#include "katana_tee/katana_v1.h"
#include "util/error.h"
#include "verify/azure_expect.h"
#include "verify/internal.h"
#include "verify/v1_internal.h"

static void not_run(kt_v1_checks *c, const char *why) {
    kt_check *all[] = {&c->config_hash, &c->report_data, &c->messages, &c->continuity};
    for (size_t i = 0; i < 4; i++)
        kt_check_set(all[i], KT_RESULT_NOT_RUN, KT_OK,
                     "not run: %s, so the claims' user-data (the guest's report data) is not "
                     "attested",
                     why);
}

kt_status kt_v1_verify_azure(kt_verifier *verifier, const kt_v1_attestation *att,
                             const kt_quote *quote, const kt_v1_attestation *prev,
                             const kt_v1_expect *exp, const kt_verify_opts *opts,
                             kt_verdict *vd, kt_error *err) {
    /* what the guest must have bound: the v1 report data of the answer's fields */
    kt_v1_commit_input in;
    kt_v1_attestation_commit_input(att, &in);
    uint8_t want[64];
    kt_status st = kt_commit_v1(&in, want, err);
    if (st != KT_OK) {
        memset(vd, 0, sizeof *vd); /* nothing checked: every line "not run" */
        return st;
    }
    kt_verify_opts o = *opts;
    o.has_state = o.has_report_data = o.skip_report_data = false;
    kt_azure_expect x;
    memset(&x, 0, sizeof x);
    x.data = want;
    x.what = "the v1 report data of the answer's fields (commitment || katanaTeeConfigHash)";
    kt_error verr = {0};
    kt_status vst = kt_azure_verify_expect(verifier, quote, &o, &x, vd, &verr);

    kt_v1_checks checks;
    memset(&checks, 0, sizeof checks);
    if (x.user_data_verified) {
        kt_error cerr = {0};
        kt_status cst = kt_v1_check_attestation_in(att, x.user_data, "claims user-data", exp,
                                                   prev, &checks, &cerr);
        if (cst != KT_OK && kt_status_category_of(cst) != KT_CAT_VERIFY) {
            if (err)
                *err = cerr;
            return cst; /* out of memory */
        }
    } else {
        not_run(&checks, x.why_not);
    }
    kt_v1_checks_apply(&checks, vd);
    if (vst != KT_OK && kt_status_category_of(vst) != KT_CAT_VERIFY) {
        vd->valid = false;
        if (err)
            *err = verr;
        return vst; /* the evidence could not be read, or a certificate source failed */
    }
    /* the first failure in verdict order: a tampered field fails report_data before the
     * user_data and tpm_quote lines it also breaks */
    vd->valid = true;
    for (int i = 0; i < KT_CHECK_COUNT; i++)
        if (vd->checks[i].result == KT_RESULT_FAIL || vd->checks[i].result == KT_RESULT_NOT_RUN)
            vd->valid = false;
    for (int i = 0; i < KT_CHECK_COUNT; i++)
        if (vd->checks[i].result == KT_RESULT_FAIL)
            return kt_fail(err, vd->checks[i].status, "%s: %s", kt_check_name((kt_check_id)i),
                           vd->checks[i].detail);
    if (vst != KT_OK) { /* a failure no check line recorded: never let it pass */
        vd->valid = false;
        if (err)
            *err = verr;
        return vst;
    }
    if (!vd->valid)
        return kt_fail(err, KT_E_INTERNAL, "verification incomplete: %s", x.why_not);
    return KT_OK;
}
