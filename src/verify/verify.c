/* kt_verify: from a quote to a verdict, one named check at a time (the orchestrator). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "katana_tee/commit.h"
#include "katana_tee/hex.h"
#include "azure/azure_internal.h"
#include "util/error.h"
#include "verify/internal.h"

static const char *const check_names[KT_CHECK_COUNT] = {
    "quote_format", "root",        "intermediate",  "leaf",        "validity",
    "revocation",   "product",     "signer",        "tcb_binding", "chip_binding",
    "signature",    "report_data", "measurement",   "debug",       "migration",
    "guest_policy", "vmpl",        "minimum_tcb",   "identity",    "platform",
    "config_hash",  "messages",    "continuity",
    "claims_binding", "user_data", "tpm_quote",     "pcrs",
};

const char *kt_check_name(kt_check_id id) {
    return (unsigned)id < KT_CHECK_COUNT ? check_names[id] : "unknown";
}

const char *kt_check_result_name(kt_check_result result) {
    switch (result) {
    case KT_RESULT_PASS: return "pass";
    case KT_RESULT_FAIL: return "fail";
    case KT_RESULT_SKIPPED: return "skipped";
    case KT_RESULT_NOT_RUN: break;
    }
    return "not run";
}

void kt_verify_opts_init(kt_verify_opts *opts) {
    memset(opts, 0, sizeof *opts);
    opts->use_quote_certs = true;
}

/* ---- kt_verify ------------------------------------------------------------------ */

size_t kt_verdict_size(void) {
    return sizeof(kt_verdict);
}

size_t kt_policy_size(void) {
    return sizeof(kt_policy);
}

size_t kt_verify_opts_size(void) {
    return sizeof(kt_verify_opts);
}

static void mark_skipped(kt_verdict *vd, kt_check_id from, kt_check_id to, const char *why) {
    for (int i = from; i <= (int)to; i++)
        if (vd->checks[i].result == KT_RESULT_NOT_RUN)
            kt_check_set(&vd->checks[i], KT_RESULT_SKIPPED, KT_OK, "%s", why);
}

static void mark_not_run(kt_verdict *vd, kt_check_id from, kt_check_id to, const char *why) {
    for (int i = from; i <= (int)to; i++)
        if (vd->checks[i].result == KT_RESULT_NOT_RUN)
            kt_check_set(&vd->checks[i], KT_RESULT_NOT_RUN, KT_OK, "%s", why);
}

/*
 * The verdict from the checks: valid only when every check passed or was
 * skipped by name. Returns KT_OK for a valid verdict, else `early` if set,
 * else the status of the first failed check (err says which and why).
 */
static kt_status finish(kt_verdict *vd, kt_status early, kt_error *err) {
    vd->valid = early == KT_OK;
    kt_status first = early;
    for (int i = 0; i < KT_CHECK_COUNT; i++) {
        if (vd->checks[i].result == KT_RESULT_FAIL || vd->checks[i].result == KT_RESULT_NOT_RUN)
            vd->valid = false;
        if (first == KT_OK && vd->checks[i].result == KT_RESULT_FAIL) {
            first = vd->checks[i].status;
            kt_fail(err, first, "%s: %s", kt_check_name((kt_check_id)i), vd->checks[i].detail);
        }
    }
    if (!vd->valid && first == KT_OK) {
        for (int i = 0; i < KT_CHECK_COUNT && first == KT_OK; i++)
            if (vd->checks[i].result == KT_RESULT_NOT_RUN)
                first = kt_fail(err, KT_E_INTERNAL, "verification incomplete: %s not run",
                                kt_check_name((kt_check_id)i));
        if (first == KT_OK)
            first = kt_fail(err, KT_E_INTERNAL, "verification incomplete");
    }
    return vd->valid ? KT_OK : first;
}

/*
 * A mock quote: never valid. With allow_mock, its report data is checked and
 * the policy's constraints fail (a mock has no report); when nothing failed
 * the verdict is "untrusted" (KT_E_UNTRUSTED_QUOTE), not valid.
 */
static kt_status verify_mock(const kt_quote *quote, const kt_verify_opts *opts,
                             const kt_policy *policy, kt_verdict *vd, kt_error *err) {
    static const char no_chain[] =
        "mock quote: no certificate chain or hardware signature to check";
    if (!opts->allow_mock) {
        kt_check_set(&vd->checks[KT_CHECK_QUOTE_FORMAT], KT_RESULT_FAIL, KT_E_UNTRUSTED_QUOTE,
                     "mock quote — not a hardware attestation (allow it explicitly to check "
                     "only its report data)");
        mark_not_run(vd, KT_CHECK_ROOT, KT_CHECK_PLATFORM, "mock quote: not checked");
        return finish(vd, KT_OK, err);
    }
    kt_check_set(&vd->checks[KT_CHECK_QUOTE_FORMAT], KT_RESULT_PASS, KT_OK,
                 "mock quote decodes (checksum correct); accepted as UNTRUSTED on request");
    kt_check_report_data(opts, quote, quote->mock_report_data, vd);
    kt_policy_evaluate_mock(policy, vd->checks);
    mark_not_run(vd, KT_CHECK_ROOT, KT_CHECK_SIGNATURE, no_chain);
    kt_status st = finish(vd, KT_OK, err);
    for (int i = 0; i < KT_CHECK_COUNT; i++)
        if (vd->checks[i].result == KT_RESULT_FAIL)
            return st;
    vd->untrusted_mock = true;
    vd->valid = false;
    return kt_fail(err, KT_E_UNTRUSTED_QUOTE,
                   "mock quote: report data matches, but it carries no hardware attestation");
}

kt_status kt_verify(kt_verifier *v, const kt_quote *quote, const kt_verify_opts *opts,
                    kt_verdict *vd, kt_error *err) {
    if (!v || !quote || !opts || !vd)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_verify: missing argument");
    memset(vd, 0, sizeof *vd);
    /* schema v1 lines: filled by kt_v1_checks_apply when verifying a v1 answer */
    mark_skipped(vd, KT_CHECK_CONFIG_HASH, KT_CHECK_CONTINUITY, "not a schema v1 answer");
    kt_error local = {0};
    if (!err)
        err = &local;
    kt_policy defaults;
    const kt_policy *policy = opts->policy;
    if (!policy) {
        kt_policy_init(&defaults);
        policy = &defaults;
    }
    time_t at = opts->has_time ? opts->at : time(NULL);

    kt_status st = kt_policy_validate(policy, KT_PRODUCT_UNKNOWN, err);
    if (st != KT_OK)
        return st; /* a policy error: every check "not run" */
    if (quote->kind == KT_QUOTE_AZURE)
        return kt_azure_verify(v, quote, opts, vd, err);
    /* The Azure checks do not apply to other quotes (and are not rendered). */
    mark_skipped(vd, KT_CHECK_CLAIMS_BINDING, KT_CHECK_PCRS, "not Azure evidence");
    if (quote->kind == KT_QUOTE_MOCK)
        return verify_mock(quote, opts, policy, vd, err);

    /* 1. the report parses strictly */
    kt_report_parse_opts popts = {.lenient = false, .product = opts->product};
    kt_report *report = &vd->report;
    st = kt_report_parse_ex(quote->report_bytes, KT_REPORT_SIZE, &popts, report, NULL,
                                      err);
    if (st != KT_OK) {
        kt_check_set(&vd->checks[KT_CHECK_QUOTE_FORMAT], KT_RESULT_FAIL, st, "%s", err->message);
        return st; /* bad input: the verdict says why, the caller gets an input error */
    }
    vd->has_report = true;
    vd->signer = (kt_signing_key)report->signing_key;
    kt_check_set(&vd->checks[KT_CHECK_QUOTE_FORMAT], KT_RESULT_PASS, KT_OK,
                 "SEV-SNP report version %u parses strictly", report->version);

    /* 2. certificates */
    kt_cert_role leaf_role = report->signing_key == KT_SIGNING_KEY_VLEK ? KT_ROLE_VLEK
                                                                        : KT_ROLE_VCEK;
    kt_product product = report->product != KT_PRODUCT_UNKNOWN ? report->product : opts->product;
    bool want_crl = true;
    kt_gathered g;
    st = kt_verify_gather(v, quote, opts, report, product, leaf_role, want_crl, &g, err);
    if (st != KT_OK) {
        kt_check_set(&vd->checks[KT_CHECK_ROOT], KT_RESULT_FAIL, st, "%s", err->message);
        finish(vd, st, err);
        return st;
    }
    /* If the report's own leaf kind is missing but the other kind is present, use that
     * one: the signer check will then say what is wrong. */
    if (!kt_certs_has(g.use, leaf_role)) {
        kt_cert_role other = leaf_role == KT_ROLE_VCEK ? KT_ROLE_VLEK : KT_ROLE_VCEK;
        if (kt_certs_has(g.use, other))
            leaf_role = other;
    }
    kt_cert_role inter_role = leaf_role == KT_ROLE_VLEK ? KT_ROLE_ASVK : KT_ROLE_ASK;
    /* Likewise for the intermediate: the chain check then names the mismatch. */
    if (!kt_certs_has(g.use, inter_role)) {
        kt_cert_role other = inter_role == KT_ROLE_ASK ? KT_ROLE_ASVK : KT_ROLE_ASK;
        if (kt_certs_has(g.use, other))
            inter_role = other;
    }
    size_t ark_len, inter_len, leaf_len;
    const uint8_t *ark = kt_certs_der(g.use, KT_ROLE_ARK, &ark_len);
    const uint8_t *inter = kt_certs_der(g.use, inter_role, &inter_len);
    const uint8_t *leaf = kt_certs_der(g.use, leaf_role, &leaf_len);
    for (int r = KT_ROLE_ARK; r <= KT_ROLE_CRL; r++) {
        const char *o = kt_certs_origin(g.use, (kt_cert_role)r);
        snprintf(vd->origin[r], sizeof vd->origin[r], "%s", o ? o : "");
    }
    if (!ark || !inter || !leaf) {
        kt_check_id id = !ark ? KT_CHECK_ROOT : !inter ? KT_CHECK_INTERMEDIATE : KT_CHECK_LEAF;
        kt_cert_role missing = !ark ? KT_ROLE_ARK : !inter ? inter_role : leaf_role;
        kt_check_set(&vd->checks[id], KT_RESULT_FAIL, KT_E_CERT_MISSING,
                     "no %s certificate: give it (--certs DIR, --%s FILE), use a quote with a "
                     "certificate table, or fetch it (--kds)",
                     kt_cert_role_name(missing),
                     missing == KT_ROLE_ARK ? "ark" : missing == inter_role ? "ask" : "vcek");
        kt_certs_free(&g.owned);
        return finish(vd, KT_OK, err);
    }

    /* 3. the chain: from the cache, or evaluated now */
    uint8_t key[32];
    bool keyed = kt_chain_key(ark, ark_len, inter, inter_len, leaf, leaf_len, key);
    const kt_chain *held = keyed ? kt_verifier_lookup(v, key) : NULL; /* a cache reference */
    const kt_chain *chain = held;
    kt_chain *fresh = NULL; /* evaluated now and not in the cache: ours to free */
    EVP_PKEY *loose_key = NULL;
    kt_amd_ext loose_ext;
    bool has_loose_ext = false;
    if (!chain) {
        kt_status cst;
        kt_error cerr = {0};
        fresh = kt_chain_evaluate(v, ark, ark_len, vd->origin[KT_ROLE_ARK], inter, inter_len,
                                  vd->origin[inter_role], leaf, leaf_len, vd->origin[leaf_role],
                                  vd->checks, &loose_key, &loose_ext, &has_loose_ext, &cst,
                                  &cerr);
        if (fresh) {
            memcpy(fresh->key, key, 32);
            held = keyed ? kt_verifier_insert(v, fresh) : NULL;
            if (held)
                fresh = NULL; /* owned by the cache now (or freed as a duplicate) */
            chain = held ? held : fresh;
        } else if (vd->checks[KT_CHECK_ROOT].result == KT_RESULT_NOT_RUN) {
            kt_check_set(&vd->checks[KT_CHECK_ROOT], KT_RESULT_FAIL, cst, "%s", cerr.message);
        }
    }
    if (chain)
        memcpy(vd->chain_certs, chain->info, sizeof vd->chain_certs);
    if (chain) {
        /* The cached text says what passed; where this caller's certificates came from
         * is added here, never stored in the shared chain. */
        const char *origins[3] = {vd->origin[KT_ROLE_ARK], vd->origin[chain->inter_role],
                                  vd->origin[chain->leaf_role]};
        for (int i = 0; i < 3; i++)
            kt_check_set(&vd->checks[KT_CHECK_ROOT + i], KT_RESULT_PASS, KT_OK, "%s (%s)",
                         chain->detail[i], origins[i][0] ? origins[i] : "origin not recorded");
    }

    /* A policy that cannot apply to this report's product (a minimum fmc on Milan): a
     * policy error, before any check of the report could pass because of it. */
    kt_product known = report->product != KT_PRODUCT_UNKNOWN ? report->product
                       : chain                                ? chain->product
                                                              : opts->product;
    if ((st = kt_policy_validate(policy, known, err)) != KT_OK) {
        EVP_PKEY_free(loose_key);
        kt_chain_release(held);
        kt_chain_free(fresh);
        kt_certs_free(&g.owned);
        vd->valid = false;
        return st;
    }
    if (chain) {
        vd->trust = chain->trust;
        vd->product = chain->product;
        snprintf(vd->root_label, sizeof vd->root_label, "%s", chain->root_label);
        const char *origins[3] = {vd->origin[KT_ROLE_ARK], vd->origin[chain->inter_role],
                                  vd->origin[chain->leaf_role]};
        kt_check_validity(chain, at, origins, &vd->checks[KT_CHECK_VALIDITY]);
        kt_check_revocation(chain, g.use, at, policy, &vd->checks[KT_CHECK_REVOCATION]);
        kt_check_product(chain->product, &chain->ext, report, opts->product,
                      &vd->checks[KT_CHECK_PRODUCT]);
        kt_check_signer(chain->leaf_role, report, policy, &vd->checks[KT_CHECK_SIGNER]);
        if (vd->checks[KT_CHECK_PRODUCT].result == KT_RESULT_PASS) {
            kt_check_tcb(&chain->ext, report, chain->product, &vd->checks[KT_CHECK_TCB_BINDING]);
            kt_check_chip(&chain->ext, chain->leaf_role, report, chain->product,
                       &vd->checks[KT_CHECK_CHIP_BINDING]);
        }
    }
    /* The signature is checked even when the chain failed: it tells a forged leaf
     * (same key, edited extensions) from a wrong one. */
    EVP_PKEY *sig_key = chain ? chain->leaf_key : loose_key;
    if (sig_key) {
        kt_error serr = {0};
        kt_status sst = chain ? kt_chain_signature_verify((kt_chain *)chain, report, &serr)
                              : kt_report_signature_verify(sig_key, report, &serr);
        if (sst == KT_OK)
            kt_check_set(&vd->checks[KT_CHECK_SIGNATURE], KT_RESULT_PASS, KT_OK,
                         "ECDSA P-384/SHA-384 over bytes 0x000..0x29f verifies with the %s",
                         kt_cert_role_name(leaf_role));
        else
            kt_check_set(&vd->checks[KT_CHECK_SIGNATURE], KT_RESULT_FAIL, KT_E_SIGNATURE, "%s",
                         serr.message);
    }
    /* 4. what was attested, then the policy. Further checks of the same report (another
     * report-data schema, a platform profile) are added here, each filling its own
     * kt_check, before finish() turns the checks into the verdict. */
    kt_check_report_data(opts, quote, report->report_data, vd);
    kt_policy_evaluate(policy, report, vd->checks);

    EVP_PKEY_free(loose_key);
    kt_chain_release(held);
    kt_chain_free(fresh);
    kt_certs_free(&g.owned);
    return finish(vd, KT_OK, err);
}
