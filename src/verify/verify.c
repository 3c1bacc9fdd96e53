/* kt_verify: from a quote to a verdict, one named check at a time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ecdsa.h>
#include <openssl/err.h>
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

/* ---- report signature ------------------------------------------------------- */

/* A 72-byte little-endian field as a BIGNUM (only the low 48 bytes may be set). */
static BIGNUM *le72_to_bn(const uint8_t le[72]) {
    uint8_t be[72];
    for (int i = 0; i < 72; i++)
        be[i] = le[71 - i];
    return BN_bin2bn(be, 72, NULL);
}

kt_status kt_report_signature_verify(EVP_PKEY *leaf_key, const kt_report *report,
                                     kt_error *err) {
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = le72_to_bn(report->signature_r);
    BIGNUM *s = le72_to_bn(report->signature_s);
    unsigned char *der = NULL;
    int der_len = 0;
    kt_status st = KT_OK;
    if (!sig || !r || !s || !ECDSA_SIG_set0(sig, r, s)) {
        BN_free(r);
        BN_free(s);
        st = kt_fail(err, KT_E_INTERNAL, "cannot build the ECDSA signature");
        goto out;
    }
    der_len = i2d_ECDSA_SIG(sig, &der);
    if (der_len <= 0) {
        st = kt_fail(err, KT_E_INTERNAL, "cannot encode the ECDSA signature");
        goto out;
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha384(), NULL, leaf_key) == 1
                 ? EVP_DigestVerify(md, der, (size_t)der_len, report->raw,
                                    KT_REPORT_SIGNED_SIZE)
                 : -1;
    EVP_MD_CTX_free(md);
    if (ok != 1)
        st = kt_fail(err, KT_E_SIGNATURE,
                     "ECDSA P-384/SHA-384 signature over bytes 0x000..0x29f does not verify "
                     "with the leaf key");
out:
    OPENSSL_free(der);
    ECDSA_SIG_free(sig);
    ERR_clear_error();
    return st;
}

/* ---- gathering certificates --------------------------------------------------- */

/* The certificates of this verification: caller's, the quote's table, sources. */
typedef struct gathered {
    kt_certs *owned; /* merged copy, when one was needed */
    const kt_certs *use;
} gathered;

static bool complete_for(const kt_certs *c, kt_cert_role leaf) {
    kt_cert_role inter = leaf == KT_ROLE_VLEK ? KT_ROLE_ASVK : KT_ROLE_ASK;
    return kt_certs_has(c, KT_ROLE_ARK) && kt_certs_has(c, inter) && kt_certs_has(c, leaf);
}

static kt_status copy_roles(kt_certs *dst, const kt_certs *src, kt_error *err) {
    for (int r = KT_ROLE_ARK; r <= KT_ROLE_CRL; r++) {
        size_t len;
        const uint8_t *der = kt_certs_der(src, (kt_cert_role)r, &len);
        if (der && !kt_certs_has(dst, (kt_cert_role)r)) {
            kt_status st = kt_certs_add(dst, (kt_cert_role)r, der, len,
                                        kt_certs_origin(src, (kt_cert_role)r), false, err);
            if (st != KT_OK)
                return st;
        }
    }
    return KT_OK;
}

static unsigned missing_roles(const kt_certs *c, kt_cert_role leaf, bool want_crl) {
    kt_cert_role inter = leaf == KT_ROLE_VLEK ? KT_ROLE_ASVK : KT_ROLE_ASK;
    unsigned need = 0;
    if (!kt_certs_has(c, KT_ROLE_ARK))
        need |= 1u << KT_ROLE_ARK;
    if (!kt_certs_has(c, inter))
        need |= 1u << inter;
    if (!kt_certs_has(c, leaf))
        need |= 1u << leaf;
    if (want_crl && !kt_certs_has(c, KT_ROLE_CRL))
        need |= 1u << KT_ROLE_CRL;
    return need;
}

static kt_status gather(const kt_verifier *v, const kt_quote *quote, const kt_verify_opts *opts,
                        const kt_report *report, kt_product product, kt_cert_role leaf,
                        bool want_crl, gathered *g, kt_error *err) {
    g->owned = NULL;
    g->use = opts->certs;
    bool table = opts->use_quote_certs && quote->cert_table_bytes && quote->cert_table_len;
    if (opts->certs && complete_for(opts->certs, leaf) && !table &&
        (!want_crl || kt_certs_has(opts->certs, KT_ROLE_CRL) || opts->source_count == 0))
        return KT_OK; /* the fast path: nothing to merge */
    kt_status st = kt_certs_new(&g->owned, err);
    if (st == KT_OK && opts->certs)
        st = copy_roles(g->owned, opts->certs, err);
    if (st == KT_OK && table) {
        kt_cert_table t;
        st = kt_cert_table_parse(quote->cert_table_bytes, quote->cert_table_len, &t, err);
        kt_certs *from_table = NULL;
        if (st == KT_OK)
            st = kt_certs_new(&from_table, err);
        if (st == KT_OK)
            st = kt_certs_add_cert_table(from_table, &t, "quote certificate table", err);
        if (st == KT_OK)
            st = copy_roles(g->owned, from_table, err);
        kt_certs_free(&from_table);
    }
    /* A caller-trusted root stands in for a missing ARK (the simulator's own root). */
    if (st == KT_OK && !kt_certs_has(g->owned, KT_ROLE_ARK) && v->root_count == 1)
        st = kt_certs_add(g->owned, KT_ROLE_ARK, v->roots[0].der, v->roots[0].der_len,
                          v->roots[0].label, false, err);
    for (size_t i = 0; st == KT_OK && i < opts->source_count; i++) {
        unsigned need = missing_roles(g->owned, leaf, want_crl);
        if (!need)
            break;
        const kt_cert_source *src = opts->sources[i];
        st = src->fetch(src->ctx, report, product, need, g->owned, err);
        if (st != KT_OK)
            kt_fail_context(err, st, "certificate source '%s'", src->name);
    }
    if (st != KT_OK) {
        kt_certs_free(&g->owned);
        return st;
    }
    g->use = g->owned;
    return KT_OK;
}

/* ---- per-call checks on a verified (or cached) chain ------------------------------ */

static void check_validity(const kt_chain *c, time_t at, const char *const origins[3],
                           kt_check *check) {
    static const char *const names[3] = {"ARK", NULL, NULL};
    char when[32];
    kt_format_time(at, when);
    for (int i = 0; i < 3; i++) {
        const char *name = i == 0 ? names[0]
                           : i == 1 ? kt_cert_role_name(c->inter_role)
                                    : kt_cert_role_name(c->leaf_role);
        char nb[32], na[32];
        kt_format_time(c->not_before[i], nb);
        kt_format_time(c->not_after[i], na);
        if (at < c->not_before[i]) {
            kt_check_set(check, KT_RESULT_FAIL, KT_E_CERT_EXPIRED,
                         "%s (%s) is not valid until %s; verification time %s", name,
                         origins[i], nb, when);
            return;
        }
        if (at > c->not_after[i]) {
            kt_check_set(check, KT_RESULT_FAIL, KT_E_CERT_EXPIRED,
                         "%s (%s) expired on %s; verification time %s", name, origins[i], na,
                         when);
            return;
        }
    }
    char leaf_na[32];
    kt_format_time(c->not_after[2], leaf_na);
    kt_check_set(check, KT_RESULT_PASS, KT_OK, "all three certificates valid at %s (%s until %s)",
                 when, kt_cert_role_name(c->leaf_role), leaf_na);
}

static void check_revocation(const kt_chain *c, const kt_certs *certs, time_t at,
                             const kt_policy *policy, kt_check *check) {
    size_t len;
    const uint8_t *der = kt_certs_der(certs, KT_ROLE_CRL, &len);
    if (!der) {
        if (policy->require_crl)
            kt_check_set(check, KT_RESULT_FAIL, KT_E_CRL,
                         "the policy requires a revocation check but no CRL is available "
                         "(give --crl, or use --kds)");
        else
            kt_check_set(check, KT_RESULT_SKIPPED, KT_OK,
                         "no CRL given (--crl or --kds); revocation not checked");
        return;
    }
    const char *origin = kt_certs_origin(certs, KT_ROLE_CRL);
    const unsigned char *p = der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
    kt_error e = {0};
    if (!crl) {
        kt_check_set(check, KT_RESULT_FAIL, KT_E_CRL, "CRL from %s does not decode", origin);
        return;
    }
    /* AMD's CRLs are issued by the ARK and cover the ASK/ASVK; a CRL issued by
     * the intermediate covers leaves. */
    bool by_ark = X509_NAME_cmp(X509_CRL_get_issuer(crl), c->ark_name) == 0;
    bool by_inter = !by_ark && X509_NAME_cmp(X509_CRL_get_issuer(crl), c->inter_name) == 0;
    const ASN1_BIT_STRING *sig;
    const X509_ALGOR *alg;
    X509_CRL_get0_signature(crl, &sig, &alg);
    time_t this_update = 0, next_update = 0;
    char when[32], nu[32], tu[32];
    kt_format_time(at, when);
    if (!by_ark && !by_inter) {
        kt_check_set(check, KT_RESULT_FAIL, KT_E_CRL,
                     "CRL from %s was issued by neither the ARK nor the %s of this chain",
                     origin, kt_cert_role_name(c->inter_role));
    } else if (kt_x509_check_pss_sha384(alg, "CRL", &e) != KT_OK) {
        kt_check_set(check, KT_RESULT_FAIL, KT_E_CRL, "%s", e.message);
    } else if (X509_CRL_verify(crl, by_ark ? c->ark_key : c->inter_key) != 1) {
        kt_check_set(check, KT_RESULT_FAIL, KT_E_CRL, "CRL from %s: signature by the %s does not verify",
                     origin, by_ark ? "ARK" : kt_cert_role_name(c->inter_role));
    } else if (!kt_asn1_time_to_time_t(X509_CRL_get0_lastUpdate(crl), &this_update) ||
               !X509_CRL_get0_nextUpdate(crl) ||
               !kt_asn1_time_to_time_t(X509_CRL_get0_nextUpdate(crl), &next_update)) {
        kt_check_set(check, KT_RESULT_FAIL, KT_E_CRL, "CRL from %s has no usable update times",
                     origin);
    } else if (at < this_update) {
        kt_format_time(this_update, tu);
        kt_check_set(check, KT_RESULT_FAIL, KT_E_CRL,
                     "CRL from %s was issued %s, after the verification time %s", origin, tu,
                     when);
    } else if (at > next_update) {
        kt_format_time(next_update, nu);
        kt_check_set(check, KT_RESULT_FAIL, KT_E_CRL,
                     "CRL from %s is stale: its next update was due %s; verification time %s",
                     origin, nu, when);
    } else {
        X509_REVOKED *entry = NULL;
        const ASN1_INTEGER *serial = by_ark ? c->inter_serial : c->leaf_serial;
        const char *who = by_ark ? kt_cert_role_name(c->inter_role)
                                 : kt_cert_role_name(c->leaf_role);
        if (X509_CRL_get0_by_serial(crl, &entry, (ASN1_INTEGER *)serial) == 1) {
            kt_check_set(check, KT_RESULT_FAIL, KT_E_REVOKED,
                         "the %s is revoked by the CRL from %s", who, origin);
        } else {
            kt_format_time(next_update, nu);
            kt_check_set(check, KT_RESULT_PASS, KT_OK,
                         "%s not listed in the CRL from %s (signed by the %s, current until %s)",
                         who, origin, by_ark ? "ARK" : kt_cert_role_name(c->inter_role), nu);
        }
    }
    X509_CRL_free(crl);
    ERR_clear_error();
}

/* Product: the chain's, the leaf's productName, and the report's CPUID agree. */
static void check_product(kt_product chain_product, const kt_amd_ext *ext, kt_report *report,
                          kt_product hint, kt_check *check) {
    const char *want = kt_product_name(chain_product);
    size_t wl = strlen(want);
    if (!ext->product_name[0]) {
        kt_check_set(check, KT_RESULT_FAIL, KT_E_BINDING, "leaf has no productName extension");
        return;
    }
    /* "Milan-B0" / "Milan-B1" name a stepping of Milan. */
    if (strncmp(ext->product_name, want, wl) != 0 ||
        (ext->product_name[wl] != '\0' && ext->product_name[wl] != '-')) {
        kt_check_set(check, KT_RESULT_FAIL, KT_E_BINDING,
                     "leaf productName '%s' does not match the %s chain", ext->product_name, want);
        return;
    }
    if (report->product_source == KT_PRODUCT_FROM_CPUID ||
        report->product_source == KT_PRODUCT_FROM_CHIP_ID) {
        if (report->product != chain_product) {
            kt_check_set(check, KT_RESULT_FAIL, KT_E_BINDING,
                         "report says %s (%s) but the chain is %s",
                         kt_product_name(report->product),
                         report->product_source == KT_PRODUCT_FROM_CPUID ? "CPUID" : "chip id",
                         want);
            return;
        }
    } else if (report->has_cpuid) {
        kt_check_set(check, KT_RESULT_FAIL, KT_E_BINDING,
                     "report CPUID family 0x%02x model 0x%02x is not a known product",
                     report->cpuid_fam_id, report->cpuid_mod_id);
        return;
    }
    if (hint != KT_PRODUCT_UNKNOWN && hint != chain_product) {
        kt_check_set(check, KT_RESULT_FAIL, KT_E_BINDING, "--product %s but the chain is %s",
                     kt_product_name(hint), want);
        return;
    }
    const char *how = report->has_cpuid ? "chain, leaf productName and report CPUID agree"
                                        : "chain and leaf productName agree (v2 report: no CPUID)";
    kt_report_set_product(report, chain_product,
                          report->has_cpuid ? KT_PRODUCT_FROM_CPUID : KT_PRODUCT_FROM_CALLER);
    kt_check_set(check, KT_RESULT_PASS, KT_OK, "%s: %s (%s)", want, how, ext->product_name);
}

static void check_signer(kt_cert_role leaf_role, const kt_report *report, const kt_policy *pol,
                         kt_check *check) {
    unsigned key = report->signing_key;
    if (key == KT_SIGNING_KEY_NONE) {
        kt_check_set(check, KT_RESULT_FAIL, KT_E_BINDING, "report is not signed (SIGNING_KEY none)");
        return;
    }
    kt_cert_role want = key == KT_SIGNING_KEY_VLEK ? KT_ROLE_VLEK : KT_ROLE_VCEK;
    if (want != leaf_role) {
        kt_check_set(check, KT_RESULT_FAIL, KT_E_BINDING,
                     "report says it is signed by a %s but the leaf is a %s",
                     kt_cert_role_name(want), kt_cert_role_name(leaf_role));
        return;
    }
    if ((pol->signer == KT_SIGNER_REQUIRE_VCEK && want != KT_ROLE_VCEK) ||
        (pol->signer == KT_SIGNER_REQUIRE_VLEK && want != KT_ROLE_VLEK)) {
        kt_check_set(check, KT_RESULT_FAIL, KT_E_POLICY, "the policy requires a %s signer, not %s",
                     pol->signer == KT_SIGNER_REQUIRE_VCEK ? "VCEK" : "VLEK",
                     kt_cert_role_name(want));
        return;
    }
    kt_check_set(check, KT_RESULT_PASS, KT_OK, "SIGNING_KEY %s matches the leaf",
                 kt_cert_role_name(want));
}

static void check_tcb(const kt_amd_ext *ext, const kt_report *report, kt_product product,
                      kt_check *check) {
    const kt_tcb *t = &report->reported_tcb;
    struct {
        const char *name;
        bool has;
        uint8_t cert, rep;
    } parts[] = {
        {"blSPL", ext->has_bl, ext->bl, t->boot_loader},
        {"teeSPL", ext->has_tee, ext->tee, t->tee},
        {"snpSPL", ext->has_snp, ext->snp, t->snp},
        {"ucodeSPL", ext->has_ucode, ext->ucode, t->microcode},
        {"fmcSPL", ext->has_fmc, ext->fmc, t->fmc},
    };
    size_t n = product == KT_PRODUCT_TURIN ? 5 : 4;
    for (size_t i = 0; i < n; i++) {
        if (!parts[i].has) {
            kt_check_set(check, KT_RESULT_FAIL, KT_E_BINDING, "leaf has no %s extension",
                         parts[i].name);
            return;
        }
        if (parts[i].cert != parts[i].rep) {
            kt_check_set(check, KT_RESULT_FAIL, KT_E_BINDING,
                         "leaf %s is %u but the report's REPORTED_TCB has %u", parts[i].name,
                         parts[i].cert, parts[i].rep);
            return;
        }
    }
    if (product == KT_PRODUCT_TURIN)
        kt_check_set(check, KT_RESULT_PASS, KT_OK,
                     "REPORTED_TCB fmc=%u bl=%u tee=%u snp=%u ucode=%u equals the leaf", t->fmc,
                     t->boot_loader, t->tee, t->snp, t->microcode);
    else
        kt_check_set(check, KT_RESULT_PASS, KT_OK,
                     "REPORTED_TCB bl=%u tee=%u snp=%u ucode=%u equals the leaf", t->boot_loader,
                     t->tee, t->snp, t->microcode);
}

static bool all_zero(const uint8_t *p, size_t n) {
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

static void check_chip(const kt_amd_ext *ext, kt_cert_role leaf_role, const kt_report *report,
                       kt_product product, kt_check *check) {
    if (leaf_role == KT_ROLE_VLEK) {
        kt_check_set(check, KT_RESULT_SKIPPED, KT_OK,
                     "VLEK is not chip-specific (cspID %s)", ext->csp_id[0] ? ext->csp_id : "-");
        return;
    }
    if (ext->has_csp_id) {
        kt_check_set(check, KT_RESULT_FAIL, KT_E_BINDING, "a VCEK must not carry a cspID");
        return;
    }
    if (report->mask_chip_key && all_zero(report->chip_id, 64)) {
        kt_check_set(check, KT_RESULT_SKIPPED, KT_OK,
                     "CHIP_ID masked by the host (MASK_CHIP_KEY): binding rests on the VCEK source");
        return;
    }
    size_t want = product == KT_PRODUCT_TURIN ? 8 : 64;
    if (ext->hwid_len != want) {
        kt_check_set(check, KT_RESULT_FAIL, KT_E_BINDING,
                     ext->hwid_len ? "leaf hwID is %zu bytes, expected %zu for %s"
                                   : "leaf has no hwID extension%.0zu (expected %zu bytes for %s)",
                     ext->hwid_len, want, kt_product_name(product));
        return;
    }
    if (memcmp(ext->hwid, report->chip_id, want) != 0 ||
        !all_zero(report->chip_id + want, 64 - want)) {
        kt_check_set(check, KT_RESULT_FAIL, KT_E_BINDING,
                     "leaf hwID does not equal the report's CHIP_ID: the VCEK is another chip's");
        return;
    }
    char hex[17];
    kt_hex_encode(report->chip_id, 8, hex);
    kt_check_set(check, KT_RESULT_PASS, KT_OK, "hwID equals CHIP_ID (%s…)", hex);
}

static void check_report_data(const kt_verify_opts *opts, const uint8_t actual[64],
                              kt_check *check) {
    uint8_t expected[64];
    const char *what;
    if (opts->has_state) {
        kt_commit_v0(&opts->state_root, &opts->block_hash, expected);
        what = "the v0 commitment of the given state root and block hash";
    } else if (opts->has_report_data) {
        memcpy(expected, opts->report_data, 64);
        what = "the given report data";
    } else if (opts->skip_report_data) {
        kt_check_set(check, KT_RESULT_SKIPPED, KT_OK, "skipped on request: state binding not checked");
        return;
    } else {
        kt_check_set(check, KT_RESULT_FAIL, KT_E_REPORT_DATA,
                     "no expected state given (state root and block hash, or report data)");
        return;
    }
    if (memcmp(expected, actual, 64) != 0) {
        char want[17], got[17];
        kt_hex_encode(expected, 8, want);
        kt_hex_encode(actual, 8, got);
        kt_check_set(check, KT_RESULT_FAIL, KT_E_REPORT_DATA,
                     "report data %s… is not %s (%s…)", got, what, want);
        return;
    }
    kt_check_set(check, KT_RESULT_PASS, KT_OK, "report data equals %s", what);
}

/* ---- kt_verify ------------------------------------------------------------------ */

static void skip_all(kt_verdict *vd, kt_check_id from, kt_check_id to, const char *why) {
    for (int i = from; i <= (int)to; i++)
        if (vd->checks[i].result == KT_RESULT_NOT_RUN)
            kt_check_set(&vd->checks[i], KT_RESULT_SKIPPED, KT_OK, "%s", why);
}

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
    if (!vd->valid && first == KT_OK)
        first = kt_fail(err, KT_E_INTERNAL, "verification incomplete");
    return vd->valid ? KT_OK : first;
}

static kt_status verify_mock(const kt_quote *quote, const kt_verify_opts *opts,
                             kt_verdict *vd, kt_error *err) {
    if (!opts->allow_mock) {
        kt_check_set(&vd->checks[KT_CHECK_QUOTE_FORMAT], KT_RESULT_FAIL, KT_E_UNTRUSTED_QUOTE,
                     "mock quote — not a hardware attestation (allow it explicitly to check "
                     "only its report data)");
        return finish(vd, KT_OK, err);
    }
    vd->untrusted_mock = true;
    kt_check_set(&vd->checks[KT_CHECK_QUOTE_FORMAT], KT_RESULT_PASS, KT_OK,
                 "mock quote accepted as UNTRUSTED on request: no hardware signature");
    check_report_data(opts, quote->mock_report_data, &vd->checks[KT_CHECK_REPORT_DATA]);
    skip_all(vd, KT_CHECK_ROOT, KT_CHECK_PLATFORM, "mock quote: nothing to check");
    return finish(vd, KT_OK, err);
}

kt_status kt_verify(kt_verifier *v, const kt_quote *quote, const kt_verify_opts *opts,
                    kt_verdict *vd, kt_error *err) {
    if (!v || !quote || !opts || !vd)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_verify: missing argument");
    memset(vd, 0, sizeof *vd);
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

    if (quote->kind == KT_QUOTE_AZURE)
        return kt_azure_verify(v, quote, opts, vd, err);
    /* The Azure checks do not apply to other quotes (and are not rendered). */
    skip_all(vd, KT_CHECK_CLAIMS_BINDING, KT_CHECK_PCRS, "not Azure evidence");
    if (quote->kind == KT_QUOTE_MOCK)
        return verify_mock(quote, opts, vd, err);

    /* 1. the report parses strictly */
    kt_report_parse_opts popts = {.lenient = false, .product = opts->product};
    kt_report *report = &vd->report;
    kt_status st = kt_report_parse_ex(quote->report_bytes, KT_REPORT_SIZE, &popts, report, NULL,
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
    gathered g;
    st = gather(v, quote, opts, report, product, leaf_role, want_crl, &g, err);
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
    const kt_chain *chain = keyed ? kt_verifier_lookup(v, key) : NULL;
    kt_chain *fresh = NULL;
    EVP_PKEY *loose_key = NULL;
    kt_amd_ext loose_ext;
    bool has_loose_ext = false;
    if (chain) {
        kt_check_set(&vd->checks[KT_CHECK_ROOT], KT_RESULT_PASS, KT_OK, "%s", chain->detail[0]);
        kt_check_set(&vd->checks[KT_CHECK_INTERMEDIATE], KT_RESULT_PASS, KT_OK, "%s",
                     chain->detail[1]);
        kt_check_set(&vd->checks[KT_CHECK_LEAF], KT_RESULT_PASS, KT_OK, "%s", chain->detail[2]);
    } else {
        kt_status cst;
        kt_error cerr = {0};
        fresh = kt_chain_evaluate(v, ark, ark_len, vd->origin[KT_ROLE_ARK], inter, inter_len,
                                  vd->origin[inter_role], leaf, leaf_len, vd->origin[leaf_role],
                                  vd->checks, &loose_key, &loose_ext, &has_loose_ext, &cst,
                                  &cerr);
        if (fresh) {
            memcpy(fresh->key, key, 32);
            if (keyed) {
                const kt_chain *cached = kt_verifier_insert(v, fresh);
                if (cached) {
                    chain = cached;
                    fresh = NULL; /* owned by the cache now (or freed as a duplicate) */
                } else {
                    chain = fresh;
                }
            } else {
                chain = fresh;
            }
        } else if (vd->checks[KT_CHECK_ROOT].result == KT_RESULT_NOT_RUN) {
            kt_check_set(&vd->checks[KT_CHECK_ROOT], KT_RESULT_FAIL, cst, "%s", cerr.message);
        }
    }

    if (chain) {
        vd->trust = chain->trust;
        vd->product = chain->product;
        snprintf(vd->root_label, sizeof vd->root_label, "%s", chain->root_label);
        const char *origins[3] = {vd->origin[KT_ROLE_ARK], vd->origin[chain->inter_role],
                                  vd->origin[chain->leaf_role]};
        check_validity(chain, at, origins, &vd->checks[KT_CHECK_VALIDITY]);
        check_revocation(chain, g.use, at, policy, &vd->checks[KT_CHECK_REVOCATION]);
        check_product(chain->product, &chain->ext, report, opts->product,
                      &vd->checks[KT_CHECK_PRODUCT]);
        check_signer(chain->leaf_role, report, policy, &vd->checks[KT_CHECK_SIGNER]);
        if (vd->checks[KT_CHECK_PRODUCT].result == KT_RESULT_PASS) {
            check_tcb(&chain->ext, report, chain->product, &vd->checks[KT_CHECK_TCB_BINDING]);
            check_chip(&chain->ext, chain->leaf_role, report, chain->product,
                       &vd->checks[KT_CHECK_CHIP_BINDING]);
        }
    }
    /* The signature is checked even when the chain failed: it tells a forged leaf
     * (same key, edited extensions) from a wrong one. */
    EVP_PKEY *sig_key = chain ? chain->leaf_key : loose_key;
    if (sig_key) {
        kt_error serr = {0};
        if (kt_report_signature_verify(sig_key, report, &serr) == KT_OK)
            kt_check_set(&vd->checks[KT_CHECK_SIGNATURE], KT_RESULT_PASS, KT_OK,
                         "ECDSA P-384/SHA-384 over bytes 0x000..0x29f verifies with the %s",
                         kt_cert_role_name(leaf_role));
        else
            kt_check_set(&vd->checks[KT_CHECK_SIGNATURE], KT_RESULT_FAIL, KT_E_SIGNATURE, "%s",
                         serr.message);
    }
    check_report_data(opts, report->report_data, &vd->checks[KT_CHECK_REPORT_DATA]);
    kt_policy_evaluate(policy, report, vd->checks);

    EVP_PKEY_free(loose_key);
    kt_chain_free(fresh);
    kt_certs_free(&g.owned);
    return finish(vd, KT_OK, err);
}
