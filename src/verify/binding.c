/*
 * The per-call checks on a verified (or cached) chain: validity at the
 * verification time, product, signer kind, TCB and chip binding.
 */
#include <stdio.h>
#include <string.h>

#include "katana_tee/hex.h"
#include "report/report_internal.h"
#include "util/error.h"
#include "verify/internal.h"

void kt_check_validity(const kt_chain *c, time_t at, const char *const origins[3],
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

void kt_check_product(kt_product chain_product, const kt_amd_ext *ext, kt_report *report,
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

void kt_check_signer(kt_cert_role leaf_role, const kt_report *report, const kt_policy *pol,
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

/*
 * The reserved bytes of the report's four TCB_VERSION fields in the layout
 * of `product`. The parser checks them for the product it knew; a v2
 * report without a product hint is parsed knowing only the bytes reserved
 * in every layout, and the product is learnt from the chain: the rest are
 * checked here. False (and the check failed, naming the byte) when one is set.
 */
static bool tcb_reserved_clear(const kt_report *report, kt_product product, kt_check *check) {
    char msg[200];
    for (int field = 0; field < 4; field++)
        if (kt_report_tcb_reserved_text(report, field, product, msg, sizeof msg)) {
            kt_check_set(check, KT_RESULT_FAIL, KT_E_RESERVED, "%s", msg);
            return false;
        }
    return true;
}

void kt_check_tcb(const kt_amd_ext *ext, const kt_report *report, kt_product product,
                      kt_check *check) {
    if (!tcb_reserved_clear(report, product, check))
        return;
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

void kt_check_chip(const kt_amd_ext *ext, kt_cert_role leaf_role, const kt_report *report,
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
