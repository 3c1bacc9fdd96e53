/*
 * Verifying Azure evidence. The SNP report inside the HCL report goes
 * through the ordinary SEV-SNP checks (chain, TCB and chip binding,
 * signature, CRL, policy) under an Azure profile: VMPL 0, because the report
 * is the paravisor's, not the guest's. Then what is particular to Azure:
 * REPORT_DATA binds the runtime claims (claims_binding), the claims carry the
 * guest's 64 bytes (user_data), and the vTPM quote signed by the claims'
 * HCLAkPub covers the PCRs that measure the guest OS (tpm_quote, pcrs).
 */
#include <stdio.h>
#include <string.h>

#include "azure/azure_internal.h"
#include "katana_tee/commit.h"
#include "katana_tee/hex.h"
#include "util/error.h"
#include "verify/azure_expect.h"
#include "verify/internal.h"

#define AZURE_VMPL 0 /* the paravisor's VMPL: the level that asked for the report */

/* Caller's certificates first; the evidence's fill only the roles still missing. */
static kt_status merge_certs(const kt_verify_opts *opts, const kt_azure_evidence *ev,
                             kt_certs **out, kt_error *err) {
    kt_certs *merged = NULL, *carried = NULL;
    kt_status st = kt_certs_new(&merged, err);
    if (st == KT_OK)
        st = kt_certs_new(&carried, err);
    for (size_t i = 0; st == KT_OK && opts->use_quote_certs && i < ev->cert_count; i++)
        st = kt_certs_add(carried, KT_ROLE_AUTO, ev->certs[i], ev->cert_lens[i],
                          "Azure evidence", false, err);
    for (int r = KT_ROLE_ARK; st == KT_OK && r <= KT_ROLE_CRL; r++) {
        const kt_certs *from = opts->certs && kt_certs_has(opts->certs, (kt_cert_role)r)
                                   ? opts->certs
                                   : carried;
        size_t len;
        const uint8_t *der = kt_certs_der(from, (kt_cert_role)r, &len);
        if (der)
            st = kt_certs_add(merged, (kt_cert_role)r, der, len,
                              kt_certs_origin(from, (kt_cert_role)r), false, err);
    }
    kt_certs_free(&carried);
    if (st != KT_OK) {
        kt_certs_free(&merged);
        return st;
    }
    *out = merged;
    return KT_OK;
}

static bool all_zero(const uint8_t *p, size_t n) {
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

static void check_claims_binding(const kt_hcl_report *hcl, const uint8_t *claims,
                                 size_t claims_len, const uint8_t report_data[64],
                                 kt_check *c) {
    uint8_t h[64];
    size_t hl = 0;
    kt_error e = {0};
    if (kt_hcl_hash_claims(hcl->hash_type, claims, claims_len, h, &hl, &e) != KT_OK) {
        kt_check_set(c, KT_RESULT_FAIL, e.status, "%s", e.message);
        return;
    }
    const char *name = hl == 32 ? "SHA-256" : hl == 48 ? "SHA-384" : "SHA-512";
    if (memcmp(h, report_data, hl) != 0) {
        char want[17], got[17];
        kt_hex_encode(h, 8, want);
        kt_hex_encode(report_data, 8, got);
        kt_check_set(c, KT_RESULT_FAIL, KT_E_BINDING,
                     "REPORT_DATA %s… is not %s of the %zu bytes of runtime claims (%s…)", got,
                     name, claims_len, want);
        return;
    }
    if (!all_zero(report_data + hl, 64 - hl)) {
        kt_check_set(c, KT_RESULT_FAIL, KT_E_BINDING,
                     "REPORT_DATA bytes %zu..63 after the claims %s are not zero", hl, name);
        return;
    }
    kt_check_set(c, KT_RESULT_PASS, KT_OK,
                 "REPORT_DATA = %s of the %zu bytes of runtime claims, zero tail", name,
                 claims_len);
}

/* The 64 bytes the guest should have bound: a v1 answer's, the v0 commitment or given bytes. */
static bool expected_data(const kt_verify_opts *opts, const kt_azure_expect *x, uint8_t out[64],
                          const char **what) {
    if (x && x->data) {
        memcpy(out, x->data, 64);
        *what = x->what ? x->what : "the expected report data";
        return true;
    }
    if (opts->has_state) {
        kt_commit_v0(&opts->state_root, &opts->block_hash, out);
        *what = "the v0 commitment of the given state root and block hash";
        return true;
    }
    if (opts->has_report_data) {
        memcpy(out, opts->report_data, 64);
        *what = "the given report data";
        return true;
    }
    return false;
}

static void check_user_data(const kt_verify_opts *opts, const kt_azure_expect *x,
                            const kt_azure_claims *claims, kt_check *c) {
    uint8_t want[64];
    const char *what = "";
    bool have = expected_data(opts, x, want, &what);
    if (!have && opts->skip_report_data) {
        kt_check_set(c, KT_RESULT_SKIPPED, KT_OK, "skipped on request: state binding not checked");
        return;
    }
    if (claims->user_data_state == KT_USER_DATA_ABSENT) {
        kt_check_set(c, KT_RESULT_FAIL, KT_E_REPORT_DATA,
                     "the runtime claims carry no \"user-data\": nothing binds the guest's data");
        return;
    }
    if (claims->user_data_state == KT_USER_DATA_MALFORMED) {
        kt_check_set(c, KT_RESULT_FAIL, KT_E_REPORT_DATA, "%s", claims->user_data_error);
        return;
    }
    if (!have) {
        kt_check_set(c, KT_RESULT_FAIL, KT_E_REPORT_DATA,
                     "no expected state given (state root and block hash, or report data)");
        return;
    }
    if (memcmp(want, claims->user_data, 64) != 0) {
        char w[17], g[17];
        kt_hex_encode(want, 8, w);
        kt_hex_encode(claims->user_data, 8, g);
        kt_check_set(c, KT_RESULT_FAIL, KT_E_REPORT_DATA,
                     "claims user-data %s… is not %s (%s…)", g, what, w);
        return;
    }
    kt_check_set(c, KT_RESULT_PASS, KT_OK, "claims user-data equals %s", what);
}

static kt_status quote_checks(const kt_azure_evidence *ev, const kt_azure_claims *claims,
                              const kt_verify_opts *opts, const kt_azure_expect *x,
                              char *detail, size_t cap, kt_error *err) {
    kt_tpm_quote_info q;
    kt_status st = kt_tpm_quote_parse(ev->quote_msg, ev->quote_msg_len, &q, err);
    if (st != KT_OK)
        return st;
    if (q.magic != KT_TPM_GENERATED_VALUE)
        return kt_fail(err, KT_E_PARSE, "TPMS_ATTEST magic 0x%08x is not TPM_GENERATED 0x%08x",
                       (unsigned)q.magic, KT_TPM_GENERATED_VALUE);
    if (q.type != KT_TPM_ST_ATTEST_QUOTE)
        return kt_fail(err, KT_E_PARSE, "TPMS_ATTEST type 0x%04x is not a quote (0x8018)", q.type);
    /* nonce: given, else the expected report data (the attester uses the same 64 bytes) */
    const kt_azure_opts *ao = opts->azure;
    uint8_t want[64];
    size_t want_len = 0;
    const char *what = "";
    if (ao && ao->has_nonce) {
        want_len = ao->nonce_len;
        memcpy(want, ao->nonce, want_len);
        what = "the given nonce";
    } else if (expected_data(opts, x, want, &what)) {
        want_len = 64;
    } else if (!opts->skip_report_data) {
        return kt_fail(err, KT_E_REPORT_DATA,
                       "no expected nonce (give the report data, the state, or a nonce)");
    }
    if (want_len && (q.extra_data_len != want_len || memcmp(q.extra_data, want, want_len) != 0))
        return kt_fail(err, KT_E_REPORT_DATA, "quote nonce (%zu bytes) is not %s (%zu bytes)",
                       q.extra_data_len, what, want_len);
    const uint8_t *sig;
    size_t sig_len;
    if ((st = kt_tpm_signature_parse(ev->quote_sig, ev->quote_sig_len, ev->quote_sig_raw, &sig,
                                     &sig_len, err)) != KT_OK)
        return st;
    EVP_PKEY *ak = kt_azure_claims_ak_key(claims, err);
    if (!ak)
        return KT_E_PARSE;
    st = kt_tpm_quote_verify_sig(ak, ev->quote_msg, ev->quote_msg_len, sig, sig_len, err);
    EVP_PKEY_free(ak);
    if (st != KT_OK)
        return st;
    if (q.pcr_select == 0)
        return kt_fail(err, KT_E_BINDING, "the quote selects no PCRs");
    if ((q.pcr_select & ev->pcr_mask) != q.pcr_select)
        return kt_fail(err, KT_E_BINDING,
                       "the quote selects PCRs (mask 0x%06x) whose values the evidence lacks "
                       "(given 0x%06x)",
                       (unsigned)q.pcr_select, (unsigned)ev->pcr_mask);
    uint8_t digest[32];
    if (!kt_tpm_pcr_digest(&ev->pcrs[0][0], q.pcr_select, digest))
        return kt_fail(err, KT_E_INTERNAL, "cannot hash the PCR values");
    if (q.pcr_digest_len != 32 || memcmp(digest, q.pcr_digest, 32) != 0)
        return kt_fail(err, KT_E_BINDING,
                       "pcrDigest of the quote is not SHA-256 of the given PCR values "
                       "(selection 0x%06x)",
                       (unsigned)q.pcr_select);
    int selected = 0;
    for (int i = 0; i < KT_TPM_PCR_COUNT; i++)
        selected += (q.pcr_select >> i) & 1;
    snprintf(detail, cap,
             "TPM quote signed by HCLAkPub (RSASSA/SHA-256), nonce %s, %d SHA-256 PCRs match "
             "its digest",
             want_len ? "as expected" : "not checked (skipped on request)", selected);
    return KT_OK;
}

static void check_pcrs(const kt_policy *policy, const kt_azure_evidence *ev,
                       const kt_check *quote, kt_check *c) {
    if (!policy->pcr_mask) {
        kt_check_set(c, KT_RESULT_SKIPPED, KT_OK, "the policy pins no PCR values");
        return;
    }
    if (quote->result != KT_RESULT_PASS) {
        kt_check_set(c, KT_RESULT_FAIL, KT_E_MEASUREMENT,
                     "the policy pins PCRs but no verified TPM quote covers them");
        return;
    }
    for (int i = 0; i < KT_TPM_PCR_COUNT; i++) {
        if (!(policy->pcr_mask & (1u << i)))
            continue;
        if (!(ev->pcr_mask & (1u << i))) {
            kt_check_set(c, KT_RESULT_FAIL, KT_E_MEASUREMENT,
                         "PCR %d is pinned by the policy but not in the quote", i);
            return;
        }
        if (memcmp(policy->pcr_values[i], ev->pcrs[i], 32) != 0) {
            char got[17];
            kt_hex_encode(ev->pcrs[i], 8, got);
            kt_check_set(c, KT_RESULT_FAIL, KT_E_MEASUREMENT,
                         "PCR %d is %s…, not the value the policy pins", i, got);
            return;
        }
    }
    kt_check_set(c, KT_RESULT_PASS, KT_OK, "PCRs pinned by the policy match (mask 0x%06x)",
                 (unsigned)policy->pcr_mask);
}

/* Valid when nothing failed and nothing was left not run; status of the first failure. */
static kt_status conclude(kt_verdict *vd, kt_error *err) {
    vd->valid = true;
    kt_status first = KT_OK;
    for (int i = 0; i < KT_CHECK_COUNT; i++) {
        const kt_check *c = &vd->checks[i];
        if (c->result == KT_RESULT_FAIL || c->result == KT_RESULT_NOT_RUN)
            vd->valid = false;
        if (first == KT_OK && c->result == KT_RESULT_FAIL)
            first = kt_fail(err, c->status, "%s: %s", kt_check_name((kt_check_id)i), c->detail);
    }
    if (!vd->valid && first == KT_OK)
        first = kt_fail(err, KT_E_INTERNAL, "verification incomplete");
    return vd->valid ? KT_OK : first;
}

kt_status kt_azure_verify(kt_verifier *v, const kt_quote *quote, const kt_verify_opts *opts,
                          kt_verdict *vd, kt_error *err) {
    return kt_azure_verify_expect(v, quote, opts, NULL, vd, err);
}

/* Whether the claims' user-data can be trusted, into x (see azure_expect.h). */
static void note_user_data(kt_azure_expect *x, const kt_verdict *vd,
                           const kt_azure_claims *claims) {
    if (!x)
        return;
    const kt_check *binding = &vd->checks[KT_CHECK_CLAIMS_BINDING];
    x->user_data_verified = false;
    if (!claims)
        snprintf(x->why_not, sizeof x->why_not, "the runtime claims do not parse");
    else if (binding->result != KT_RESULT_PASS)
        snprintf(x->why_not, sizeof x->why_not,
                 "REPORT_DATA does not bind the runtime claims (claims_binding %s)",
                 kt_check_result_name(binding->result));
    else if (claims->user_data_state == KT_USER_DATA_ABSENT)
        snprintf(x->why_not, sizeof x->why_not, "the runtime claims carry no \"user-data\"");
    else if (claims->user_data_state != KT_USER_DATA_OK)
        snprintf(x->why_not, sizeof x->why_not, "the claims' user-data is malformed: %s",
                 claims->user_data_error);
    else {
        x->user_data_verified = true;
        memcpy(x->user_data, claims->user_data, 64);
    }
}

kt_status kt_azure_verify_expect(kt_verifier *v, const kt_quote *quote,
                                 const kt_verify_opts *opts, kt_azure_expect *x,
                                 kt_verdict *vd, kt_error *err) {
    const kt_azure_evidence *ev = quote->azure;
    if (x) {
        x->user_data_verified = false;
        snprintf(x->why_not, sizeof x->why_not,
                 "the evidence did not parse far enough to reach its claims");
    }
    memset(vd, 0, sizeof *vd);
    vd->azure = true;
    kt_hcl_report hcl;
    const uint8_t *snp = NULL, *claims_bytes = NULL;
    size_t claims_len = 0;
    kt_status st = ev ? kt_azure_evidence_parts(ev, &hcl, &snp, &claims_bytes, &claims_len, err)
                      : kt_fail(err, KT_E_INVALID_ARG, "Azure quote without evidence");
    if (st != KT_OK) {
        kt_check_set(&vd->checks[KT_CHECK_QUOTE_FORMAT], KT_RESULT_FAIL, st, "%s", err->message);
        return st;
    }

    /* 1. the SEV-SNP checks on the embedded report, Azure profile */
    kt_policy policy;
    if (opts->policy)
        policy = *opts->policy;
    else
        kt_policy_init(&policy);
    if (!policy.has_vmpl_exact && !policy.has_vmpl_max) {
        policy.has_vmpl_exact = true;
        policy.vmpl_exact = AZURE_VMPL;
    }
    kt_certs *certs = NULL;
    if ((st = merge_certs(opts, ev, &certs, err)) != KT_OK) {
        kt_check_set(&vd->checks[KT_CHECK_ROOT], KT_RESULT_FAIL, st, "%s", err->message);
        return conclude(vd, err);
    }
    kt_quote snp_quote;
    memset(&snp_quote, 0, sizeof snp_quote);
    snp_quote.kind = KT_QUOTE_SNP;
    memcpy(snp_quote.report_bytes, snp, KT_REPORT_SIZE);
    kt_verify_opts o = *opts;
    o.certs = certs;
    o.policy = &policy;
    o.skip_report_data = true;
    o.has_state = o.has_report_data = false;
    o.azure = NULL;
    kt_error snp_err = {0};
    st = kt_verify(v, &snp_quote, &o, vd, &snp_err);
    kt_certs_free(&certs);
    vd->azure = true;
    if (!vd->has_report) { /* the embedded report did not parse */
        if (err)
            *err = snp_err;
        return st;
    }
    kt_check_set(&vd->checks[KT_CHECK_QUOTE_FORMAT], KT_RESULT_PASS, KT_OK,
                 "%s: SEV-SNP report version %u%s%s", kt_azure_layout_name(ev->layout),
                 vd->report.version, ev->hcl ? " in an HCL report, header version " : "",
                 ev->hcl ? (hcl.header_version == 1 ? "1" : "2") : " with separate claims");
    kt_check_set(&vd->checks[KT_CHECK_REPORT_DATA], KT_RESULT_SKIPPED, KT_OK,
                 "Azure: REPORT_DATA holds the claims hash (claims_binding); the expected data "
                 "is in the claims (user_data)");

    /* 2. the claims */
    check_claims_binding(&hcl, claims_bytes, claims_len, vd->report.report_data,
                         &vd->checks[KT_CHECK_CLAIMS_BINDING]);
    kt_azure_claims claims;
    kt_error cerr = {0};
    if (kt_azure_claims_parse(claims_bytes, claims_len, &claims, &cerr) != KT_OK) {
        kt_check_set(&vd->checks[KT_CHECK_USER_DATA], KT_RESULT_FAIL, cerr.status, "%s",
                     cerr.message);
        kt_check_set(&vd->checks[KT_CHECK_TPM_QUOTE], KT_RESULT_NOT_RUN, KT_OK,
                     "not run: the claims (and their HCLAkPub) do not parse");
        kt_check_set(&vd->checks[KT_CHECK_PCRS], KT_RESULT_NOT_RUN, KT_OK,
                     "not run: the claims do not parse");
        note_user_data(x, vd, NULL);
        return conclude(vd, err);
    }
    check_user_data(opts, x, &claims, &vd->checks[KT_CHECK_USER_DATA]);
    note_user_data(x, vd, &claims);

    /* 3. the vTPM quote and the PCRs */
    kt_check *qc = &vd->checks[KT_CHECK_TPM_QUOTE];
    if (!ev->quote_msg) {
        bool required = (opts->azure && opts->azure->require_quote) || policy.pcr_mask;
        kt_check_set(qc, required ? KT_RESULT_FAIL : KT_RESULT_SKIPPED,
                     required ? KT_E_MEASUREMENT : KT_OK,
                     "no TPM quote in the evidence: the guest OS (measured only into vTPM PCRs) "
                     "is not covered");
    } else {
        char detail[sizeof qc->detail];
        kt_error qerr = {0};
        if (quote_checks(ev, &claims, opts, x, detail, sizeof detail, &qerr) == KT_OK)
            kt_check_set(qc, KT_RESULT_PASS, KT_OK, "%s", detail);
        else
            kt_check_set(qc, KT_RESULT_FAIL, qerr.status, "%s", qerr.message);
    }
    check_pcrs(&policy, ev, qc, &vd->checks[KT_CHECK_PCRS]);
    return conclude(vd, err);
}
