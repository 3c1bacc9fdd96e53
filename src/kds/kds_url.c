/* KDS object names, URLs and cache keys. */
#include <stdio.h>
#include <string.h>

#include "katana_tee/hex.h"
#include "kds/kds_internal.h"
#include "util/error.h"

const char *kt_kds_object_name(const kt_kds_object *obj) {
    switch (obj->kind) {
    case KT_KDS_VCEK: return "VCEK";
    case KT_KDS_CHAIN: return obj->vlek ? "VLEK chain (ASVK, ARK)" : "VCEK chain (ASK, ARK)";
    case KT_KDS_CRL: return obj->vlek ? "VLEK CRL" : "VCEK CRL";
    }
    return "object";
}

static bool product_known(kt_product p) {
    return p == KT_PRODUCT_MILAN || p == KT_PRODUCT_GENOA || p == KT_PRODUCT_TURIN;
}

kt_status kt_kds_vcek_object(const kt_report *report, kt_product product, kt_kds_object *obj,
                             kt_error *err) {
    if (!report || !obj)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_kds_vcek_object: bad argument");
    if (product == KT_PRODUCT_UNKNOWN)
        product = report->product;
    if (!product_known(product))
        return kt_fail(err, KT_E_INVALID_ARG,
                       "the report's product is unknown (a v2 report does not say): "
                       "give the product (Milan, Genoa or Turin)");
    if (report->signing_key == KT_SIGNING_KEY_VLEK)
        return kt_fail(err, KT_E_INVALID_ARG,
                       "the report is signed by a VLEK, which KDS does not publish: "
                       "take it from the host's certificate table");
    if (report->signing_key != KT_SIGNING_KEY_VCEK)
        return kt_fail(err, KT_E_INVALID_ARG, "the report is not signed by a VCEK (SIGNING_KEY %u)",
                       (unsigned)report->signing_key);
    bool zero = true;
    for (size_t i = 0; i < sizeof report->chip_id; i++)
        zero = zero && report->chip_id[i] == 0;
    if (zero)
        return kt_fail(err, KT_E_INVALID_ARG,
                       "the report's CHIP_ID is masked (all zero): its VCEK cannot be looked up");
    memset(obj, 0, sizeof *obj);
    obj->kind = KT_KDS_VCEK;
    obj->product = product;
    memcpy(obj->chip_id, report->chip_id, sizeof obj->chip_id);
    /* Decode from the raw value: the report may have been parsed without knowing the product. */
    obj->tcb = kt_tcb_decode(report->reported_tcb.raw, product);
    return KT_OK;
}

/* Hex of the hwID as KDS wants it: 64 bytes, or the first 8 on Turin. */
static void hwid_hex(const kt_kds_object *obj, char out[129]) {
    size_t n = obj->product == KT_PRODUCT_TURIN ? 8 : 64;
    kt_hex_encode(obj->chip_id, n, out);
}

static kt_status fits(int n, size_t cap, const char *what, kt_error *err) {
    if (n < 0 || (size_t)n >= cap)
        return kt_fail(err, KT_E_INVALID_ARG, "%s does not fit in %zu bytes", what, cap);
    return KT_OK;
}

kt_status kt_kds_object_url(const char *base, const kt_kds_object *obj, char *out, size_t cap,
                            kt_error *err) {
    if (!base || !obj || !out || !cap)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_kds_object_url: bad argument");
    if (!product_known(obj->product))
        return kt_fail(err, KT_E_INVALID_ARG, "unknown product: KDS has Milan, Genoa and Turin");
    const char *prod = kt_product_name(obj->product);
    int n;
    switch (obj->kind) {
    case KT_KDS_VCEK: {
        char hw[129];
        hwid_hex(obj, hw);
        const kt_tcb *t = &obj->tcb;
        if (obj->product == KT_PRODUCT_TURIN)
            n = snprintf(out, cap,
                         "%s/vcek/v1/%s/%s?fmcSPL=%02u&blSPL=%02u&teeSPL=%02u&snpSPL=%02u"
                         "&ucodeSPL=%02u",
                         base, prod, hw, t->fmc, t->boot_loader, t->tee, t->snp, t->microcode);
        else
            n = snprintf(out, cap, "%s/vcek/v1/%s/%s?blSPL=%02u&teeSPL=%02u&snpSPL=%02u&ucodeSPL=%02u",
                         base, prod, hw, t->boot_loader, t->tee, t->snp, t->microcode);
        break;
    }
    case KT_KDS_CHAIN:
        n = snprintf(out, cap, "%s/%s/v1/%s/cert_chain", base, obj->vlek ? "vlek" : "vcek", prod);
        break;
    case KT_KDS_CRL:
        n = snprintf(out, cap, "%s/%s/v1/%s/crl", base, obj->vlek ? "vlek" : "vcek", prod);
        break;
    default:
        return kt_fail(err, KT_E_INVALID_ARG, "kt_kds_object_url: unknown object kind");
    }
    return fits(n, cap, "the KDS URL", err);
}

kt_status kt_kds_object_cache_rel(const kt_kds_object *obj, char *out, size_t cap,
                                  kt_error *err) {
    if (!obj || !out || !cap)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_kds_object_cache_rel: bad argument");
    if (!product_known(obj->product))
        return kt_fail(err, KT_E_INVALID_ARG, "unknown product: KDS has Milan, Genoa and Turin");
    const char *prod = kt_product_name(obj->product);
    const char *which = obj->vlek ? "vlek" : "vcek";
    int n;
    switch (obj->kind) {
    case KT_KDS_VCEK: {
        char hw[129];
        hwid_hex(obj, hw);
        const kt_tcb *t = &obj->tcb;
        if (obj->product == KT_PRODUCT_TURIN)
            n = snprintf(out, cap, "vcek/%s/%s/fmc%02u-bl%02u-tee%02u-snp%02u-ucode%02u.der", prod,
                         hw, t->fmc, t->boot_loader, t->tee, t->snp, t->microcode);
        else
            n = snprintf(out, cap, "vcek/%s/%s/bl%02u-tee%02u-snp%02u-ucode%02u.der", prod, hw,
                         t->boot_loader, t->tee, t->snp, t->microcode);
        break;
    }
    case KT_KDS_CHAIN: n = snprintf(out, cap, "chain/%s/%s.pem", prod, which); break;
    case KT_KDS_CRL: n = snprintf(out, cap, "crl/%s/%s.der", prod, which); break;
    default: return kt_fail(err, KT_E_INVALID_ARG, "kt_kds_object_cache_rel: unknown kind");
    }
    return fits(n, cap, "the cache path", err);
}
