/* Simulator: per-product facts, defaults, small helpers. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "sim/sim_internal.h"
#include "util/error.h"
#include "util/timeutil.h"

const char *kt_sim_signer_name(kt_sim_signer signer) {
    return signer == KT_SIM_SIGNER_VLEK ? "vlek" : "vcek";
}

size_t kt_sim_hwid_len(kt_product product) {
    return product == KT_PRODUCT_TURIN ? 8 : 64;
}

const char *kt_sim_product_path(kt_product product) {
    switch (product) {
    case KT_PRODUCT_GENOA: return "Genoa";
    case KT_PRODUCT_TURIN: return "Turin";
    default: return "Milan";
    }
}

/* The productName extension as KDS writes it: Milan VCEKs carry the
 * stepping ("Milan-B0"), VLEKs and the other products the bare name. */
const char *kt_sim_product_ext_name(kt_product product, kt_sim_signer signer) {
    if (product == KT_PRODUCT_MILAN && signer == KT_SIM_SIGNER_VCEK)
        return "Milan-B0";
    return kt_sim_product_path(product);
}

/* AMD numbers its CA certificates 0x{P}0000 (ARK), 0x{P}0001 (ASK) and
 * 0x{P}0101 (ASVK), with P = 1 Milan, 2 Genoa, 3 Turin. */
static uint64_t product_index(kt_product product) {
    switch (product) {
    case KT_PRODUCT_GENOA: return 2;
    case KT_PRODUCT_TURIN: return 3;
    default: return 1;
    }
}

uint64_t kt_sim_ark_serial(kt_product product) {
    return product_index(product) << 16;
}

uint64_t kt_sim_ca_serial(kt_product product, kt_sim_signer signer) {
    return (product_index(product) << 16) | (signer == KT_SIM_SIGNER_VLEK ? 0x101u : 0x1u);
}

int kt_sim_leaf_years(kt_sim_signer signer) {
    return signer == KT_SIM_SIGNER_VLEK ? 1 : 7;
}

void kt_sim_tcb_fix(kt_tcb *tcb, kt_product product) {
    tcb->has_fmc = product == KT_PRODUCT_TURIN;
    if (!tcb->has_fmc)
        tcb->fmc = 0;
    tcb->raw = kt_tcb_encode(tcb, product);
}

/* TCBs seen on current firmware of each product (fixtures): Milan's
 * microcode SPL is above 127, so its ucodeSPL takes two INTEGER bytes. */
kt_tcb kt_sim_default_tcb(kt_product product) {
    kt_tcb t;
    memset(&t, 0, sizeof t);
    switch (product) {
    case KT_PRODUCT_GENOA:
        t.boot_loader = 10, t.tee = 0, t.snp = 23, t.microcode = 84;
        break;
    case KT_PRODUCT_TURIN:
        t.fmc = 0, t.boot_loader = 1, t.tee = 0, t.snp = 2, t.microcode = 0x47;
        break;
    default:
        product = KT_PRODUCT_MILAN;
        t.boot_loader = 4, t.tee = 0, t.snp = 29, t.microcode = 222;
        break;
    }
    kt_sim_tcb_fix(&t, product);
    return t;
}

/* Report defaults modelled on real reports of each product: CPUID bytes,
 * PLATFORM_INFO (SMT, ECC, alias check complete) and firmware 1.55.x. */
void kt_sim_report_cfg_default(kt_product product, kt_sim_report_cfg *out) {
    memset(out, 0, sizeof *out);
    out->policy = 0x30000;
    out->vmpl = 1;
    out->platform_info = 0x25;
    out->major = 1;
    out->minor = 55;
    switch (product) {
    case KT_PRODUCT_GENOA:
        out->version = 3;
        out->cpuid_fam = 0x19, out->cpuid_mod = 0x11, out->cpuid_step = 0x01;
        out->build = 40;
        break;
    case KT_PRODUCT_TURIN:
        out->version = 5;
        out->cpuid_fam = 0x1A, out->cpuid_mod = 0x02, out->cpuid_step = 0x01;
        out->build = 61;
        break;
    default:
        out->version = 3;
        out->cpuid_fam = 0x19, out->cpuid_mod = 0x01, out->cpuid_step = 0x01;
        out->build = 29;
        break;
    }
}

int64_t kt_sim_add_years(int64_t t, int years) {
    time_t tt = (time_t)t;
    struct tm tm;
    if (!OPENSSL_gmtime(&tt, &tm))
        return t + (int64_t)years * 31556952; /* out of gmtime's range: average year */
    int64_t y = (int64_t)tm.tm_year + 1900 + years;
    int mday = tm.tm_mday;
    if (tm.tm_mon == 1 && mday == 29 && !kt_is_leap_year(y))
        mday = 28;
    int64_t days = kt_days_from_civil(y, tm.tm_mon + 1, mday);
    return days * 86400 + tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
}

kt_status kt_sim_parse_time(const char *text, const char *what, int64_t *out, kt_error *err) {
    time_t t;
    if (kt_parse_time(text, &t, err) != KT_OK)
        return kt_fail_context(err, KT_E_PARSE, "%s", what);
    /* X.509 UTCTime starts in 1950; certificates the simulator issues use it */
    if (t < -631152000)
        return kt_fail(err, KT_E_RANGE, "%s: '%s' is before 1950", what, text);
    *out = (int64_t)t;
    return KT_OK;
}

char *kt_sim_path(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

kt_status kt_sim_tcb_parse(const char *text, kt_product product, kt_tcb *tcb, kt_error *err) {
    if (!text || !tcb)
        return kt_fail(err, KT_E_INVALID_ARG, "TCB: missing argument");
    kt_tcb t = *tcb;
    const char *p = text;
    if (!*p)
        return kt_fail(err, KT_E_PARSE, "TCB: empty specification");
    while (*p) {
        const char *eq = strchr(p, '=');
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        if (!eq || eq > end)
            return kt_fail(err, KT_E_PARSE, "TCB: '%.*s' is not name=value", (int)(end - p), p);
        size_t nlen = (size_t)(eq - p);
        const char *v = eq + 1;
        if (v == end || !isdigit((unsigned char)*v))
            return kt_fail(err, KT_E_PARSE, "TCB: %.*s has no numeric value", (int)nlen, p);
        errno = 0;
        char *vend = NULL;
        unsigned long n = strtoul(v, &vend, 0);
        if (errno || vend != end)
            return kt_fail(err, KT_E_PARSE, "TCB: %.*s value '%.*s' is not a number", (int)nlen,
                           p, (int)(end - v), v);
        if (n > 255)
            return kt_fail(err, KT_E_RANGE, "TCB: %.*s=%lu is out of range (0..255)", (int)nlen, p,
                           n);
        uint8_t b = (uint8_t)n;
        if (nlen == 2 && strncmp(p, "bl", 2) == 0)
            t.boot_loader = b;
        else if (nlen == 3 && strncmp(p, "tee", 3) == 0)
            t.tee = b;
        else if (nlen == 3 && strncmp(p, "snp", 3) == 0)
            t.snp = b;
        else if (nlen == 5 && strncmp(p, "ucode", 5) == 0)
            t.microcode = b;
        else if (nlen == 3 && strncmp(p, "fmc", 3) == 0) {
            if (product != KT_PRODUCT_TURIN)
                return kt_fail(err, KT_E_INVALID_ARG, "TCB: fmc exists only on Turin, not %s",
                               kt_sim_product_path(product));
            t.fmc = b;
        } else
            return kt_fail(err, KT_E_PARSE,
                           "TCB: unknown component '%.*s' (expected bl, tee, snp, ucode, fmc)",
                           (int)nlen, p);
        p = *end ? end + 1 : end;
        if (*end && !*p)
            return kt_fail(err, KT_E_PARSE, "TCB: trailing comma");
    }
    kt_sim_tcb_fix(&t, product);
    *tcb = t;
    return KT_OK;
}
