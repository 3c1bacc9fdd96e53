/* The launch digest: kt_measure() and its small parsers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "measure/measure_internal.h"
#include "util/error.h"
#include "util/hexdigit.h"

#define PAGE_MASK 0xfffu
#define BSP_EIP 0xFFFFFFF0u

void kt_measure_options_init(kt_measure_options *opts) {
    memset(opts, 0, sizeof *opts);
    opts->mode = KT_MEASURE_SNP;
    opts->vmm = KT_MEASURE_VMM_QEMU;
    opts->guest_features = 0x1;
}

/* ---- names -------------------------------------------------------------- */

static const struct {
    const char *name;
    kt_measure_mode mode;
} MODES[] = {
    {"snp", KT_MEASURE_SNP},         {"snp:ovmf-hash", KT_MEASURE_SNP_OVMF_HASH},
    {"snp:svsm", KT_MEASURE_SNP_SVSM}, {"seves", KT_MEASURE_SEV_ES},
    {"sev", KT_MEASURE_SEV},
};

kt_status kt_measure_mode_parse(const char *text, kt_measure_mode *mode, kt_error *err) {
    for (size_t i = 0; text && i < sizeof MODES / sizeof MODES[0]; i++) {
        if (strcmp(text, MODES[i].name) == 0) {
            *mode = MODES[i].mode;
            return KT_OK;
        }
    }
    return kt_fail(err, KT_E_PARSE,
                   "mode '%s' is not one of snp, snp:ovmf-hash, snp:svsm, seves, sev",
                   text ? text : "");
}

const char *kt_measure_mode_name(kt_measure_mode mode) {
    for (size_t i = 0; i < sizeof MODES / sizeof MODES[0]; i++)
        if (MODES[i].mode == mode)
            return MODES[i].name;
    return "?";
}

kt_status kt_measure_vmm_parse(const char *text, kt_measure_vmm *vmm, kt_error *err) {
    if (text && strcmp(text, "QEMU") == 0)
        *vmm = KT_MEASURE_VMM_QEMU;
    else if (text && strcmp(text, "ec2") == 0)
        *vmm = KT_MEASURE_VMM_EC2;
    else if (text && strcmp(text, "gce") == 0)
        *vmm = KT_MEASURE_VMM_GCE;
    else
        return kt_fail(err, KT_E_PARSE, "unknown VMM type '%s' (QEMU, ec2, gce)",
                       text ? text : "");
    return KT_OK;
}

const char *kt_measure_vmm_name(kt_measure_vmm vmm) {
    switch (vmm) {
    case KT_MEASURE_VMM_QEMU: return "QEMU";
    case KT_MEASURE_VMM_EC2: return "ec2";
    case KT_MEASURE_VMM_GCE: return "gce";
    }
    return "?";
}

/* ---- vCPU signatures ------------------------------------------------------ */

kt_status kt_measure_cpu_sig(uint32_t family, uint32_t model, uint32_t stepping, uint32_t *sig,
                             kt_error *err) {
    if (family > 0xf + 0xff || model > 0xff || stepping > 0xf)
        return kt_fail(err, KT_E_RANGE,
                       "vCPU family %u / model %u / stepping %u out of range (family <= 270, "
                       "model <= 255, stepping <= 15)",
                       family, model, stepping);
    uint32_t fam_lo = family > 0xf ? 0xf : family;
    uint32_t fam_hi = family > 0xf ? family - 0xf : 0;
    *sig = fam_hi << 20 | (model >> 4) << 16 | fam_lo << 8 | (model & 0xf) << 4 | stepping;
    return KT_OK;
}

/* QEMU's builtin x86 models (family, model, stepping), as the reference tool lists them. */
static const struct {
    const char *name;
    uint8_t family, model, stepping;
} VCPU_TYPES[] = {
    {"EPYC", 23, 1, 2},          {"EPYC-v1", 23, 1, 2},       {"EPYC-v2", 23, 1, 2},
    {"EPYC-IBPB", 23, 1, 2},     {"EPYC-v3", 23, 1, 2},       {"EPYC-v4", 23, 1, 2},
    {"EPYC-Rome", 23, 49, 0},    {"EPYC-Rome-v1", 23, 49, 0}, {"EPYC-Rome-v2", 23, 49, 0},
    {"EPYC-Rome-v3", 23, 49, 0}, {"EPYC-Milan", 25, 1, 1},    {"EPYC-Milan-v1", 25, 1, 1},
    {"EPYC-Milan-v2", 25, 1, 1}, {"EPYC-Genoa", 25, 17, 0},   {"EPYC-Genoa-v1", 25, 17, 0},
    {"EPYC-Turin", 26, 0, 0},
};
#define VCPU_TYPE_COUNT (sizeof VCPU_TYPES / sizeof VCPU_TYPES[0])

const char *kt_measure_vcpu_type_name(size_t i) {
    return i < VCPU_TYPE_COUNT ? VCPU_TYPES[i].name : NULL;
}

kt_status kt_measure_vcpu_sig_by_name(const char *name, uint32_t *sig, kt_error *err) {
    for (size_t i = 0; name && i < VCPU_TYPE_COUNT; i++) {
        if (strcmp(name, VCPU_TYPES[i].name) == 0)
            return kt_measure_cpu_sig(VCPU_TYPES[i].family, VCPU_TYPES[i].model,
                                      VCPU_TYPES[i].stepping, sig, err);
    }
    char list[400] = "";
    size_t used = 0;
    for (size_t i = 0; i < VCPU_TYPE_COUNT && used < sizeof list; i++) {
        int n = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                         VCPU_TYPES[i].name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    return kt_fail(err, KT_E_NOT_FOUND, "unknown vCPU type '%s' (known: %s)", name ? name : "",
                   list);
}

/* ---- Python-style integers ------------------------------------------------ */

static bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

kt_status kt_measure_parse_int(const char *text, bool auto_base, uint64_t max, uint64_t *out,
                               const char *what, kt_error *err) {
    if (!text)
        return kt_fail(err, KT_E_INVALID_ARG, "%s: no value", what);
    const char *p = text, *end = text + strlen(text);
    while (p < end && is_space(*p))
        p++;
    while (end > p && is_space(end[-1]))
        end--;
    if (p < end && *p == '-')
        return kt_fail(err, KT_E_RANGE, "%s: '%s' is negative", what, text);
    if (p < end && *p == '+')
        p++;
    unsigned base = 10;
    bool prefixed = false;
    if (auto_base && end - p >= 2 && p[0] == '0') {
        char c = (char)(p[1] | 0x20);
        base = c == 'x' ? 16 : c == 'o' ? 8 : c == 'b' ? 2 : 10;
        if (base != 10) {
            p += 2;
            prefixed = true;
            if (p < end && *p == '_') /* int("0x_1f", 0) is valid */
                p++;
        }
    }
    if (p == end)
        return kt_fail(err, KT_E_PARSE, "%s: '%s' is not an integer", what, text);
    /* int(x, 0) refuses decimal literals with leading zeros ("010"), except all zeros. */
    if (auto_base && !prefixed && *p == '0') {
        for (const char *q = p; q < end; q++)
            if (*q != '0' && *q != '_')
                return kt_fail(err, KT_E_PARSE,
                               "%s: '%s' is not an integer (leading zeros; use 0o for octal)",
                               what, text);
    }
    uint64_t v = 0;
    bool overflow = false, prev_us = true; /* no leading '_' */
    for (const char *q = p; q < end; q++) {
        if (*q == '_') {
            if (prev_us)
                return kt_fail(err, KT_E_PARSE, "%s: '%s' is not an integer", what, text);
            prev_us = true;
            continue;
        }
        /* bases are 2, 8, 10 or 16: the hex codec's digits cover them; -1 is >= any base */
        unsigned d = (unsigned)kt_hex_digit_value(*q);
        if (d >= base)
            return kt_fail(err, KT_E_PARSE, "%s: '%s' is not an integer", what, text);
        prev_us = false;
        if (v > (UINT64_MAX - d) / base)
            overflow = true;
        else
            v = v * base + d;
    }
    if (prev_us)
        return kt_fail(err, KT_E_PARSE, "%s: '%s' is not an integer", what, text);
    if (overflow || v > max)
        return kt_fail(err, KT_E_RANGE, "%s: %s is out of range (at most %llu)", what, text,
                       (unsigned long long)max);
    *out = v;
    return KT_OK;
}

/* ---- the digest ------------------------------------------------------------- */

static bool valid_utf8(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t len;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            len = 2;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        /* No overlong forms, surrogates or values beyond U+10FFFF. */
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
            return false;
        i += len;
    }
    return true;
}

static bool sha256(const uint8_t *data, size_t len, uint8_t out[32]) {
    unsigned int n = 0;
    return EVP_Digest(len ? data : (const uint8_t *)"", len, out, &n, EVP_sha256(), NULL) == 1 &&
           n == 32;
}

/* The SHA-256 digests of cmdline, initrd and kernel, then the table. */
static kt_status hash_table(const kt_measure_options *o, uint8_t table[KT_SEV_HASH_TABLE_PADDED],
                            kt_error *err) {
    uint8_t kh[32], ih[32], ch[32];
    if (o->kernel_sha256)
        memcpy(kh, o->kernel_sha256, 32);
    else if (!sha256(o->kernel, o->kernel_len, kh))
        return kt_fail(err, KT_E_INTERNAL, "SHA-256 failed");
    if (o->initrd_sha256)
        memcpy(ih, o->initrd_sha256, 32);
    else if (!sha256(o->initrd, o->initrd_len, ih))
        return kt_fail(err, KT_E_INTERNAL, "SHA-256 failed");
    const char *cl = o->cmdline ? o->cmdline : "";
    /* The NUL terminator is part of what QEMU hashes. */
    if (!sha256((const uint8_t *)cl, strlen(cl) + 1, ch))
        return kt_fail(err, KT_E_INTERNAL, "SHA-256 failed");
    kt_sev_hash_table(table, ch, ih, kh);
    return KT_OK;
}

static bool has_section(const kt_ovmf_info *info, uint32_t type) {
    for (size_t i = 0; i < info->nsections; i++)
        if (info->sections[i].type == type)
            return true;
    return false;
}

/* The kernel-hashes page: the table at the hash-table GPA's offset in the page. */
static kt_status kernel_hashes_page(const kt_measure_options *o, const kt_ovmf_info *info,
                                    const kt_ovmf_section *s, uint8_t page[KT_PAGE_SIZE],
                                    kt_error *err) {
    if (!info->has_hash_table || info->hash_table_gpa == 0)
        return kt_fail(err, KT_E_UNSUPPORTED,
                       "OVMF has an SNP_KERNEL_HASHES section but no SEV hash table GPA in its "
                       "footer table");
    if (s->size != KT_PAGE_SIZE)
        return kt_fail(err, KT_E_PARSE,
                       "OVMF SNP_KERNEL_HASHES section is 0x%x bytes, not one page", s->size);
    uint32_t gpa = info->hash_table_gpa;
    if (gpa < s->gpa || gpa - s->gpa >= s->size)
        return kt_fail(err, KT_E_RANGE,
                       "OVMF SEV hash table GPA 0x%x lies outside its SNP_KERNEL_HASHES section "
                       "(0x%x..0x%x)",
                       gpa, s->gpa, s->gpa + s->size);
    uint32_t off = gpa & PAGE_MASK;
    if (off + KT_SEV_HASH_TABLE_PADDED > KT_PAGE_SIZE ||
        (info->hash_table_size != 0 && info->hash_table_size < KT_SEV_HASH_TABLE_PADDED))
        return kt_fail(err, KT_E_RANGE,
                       "OVMF SEV hash table at 0x%x (size 0x%x) has no room for the 0x%x-byte "
                       "hashes table",
                       gpa, info->hash_table_size, KT_SEV_HASH_TABLE_PADDED);
    uint8_t table[KT_SEV_HASH_TABLE_PADDED];
    kt_status st = hash_table(o, table, err);
    if (st != KT_OK)
        return st;
    memset(page, 0, KT_PAGE_SIZE);
    memcpy(page + off, table, sizeof table);
    return KT_OK;
}

static kt_status snp_sections(kt_gctx *g, const kt_measure_options *o, const kt_ovmf_info *info,
                              bool with_kernel, kt_measure_vmm vmm, kt_error *err) {
    kt_status st = KT_OK;
    for (size_t i = 0; i < info->nsections && st == KT_OK; i++) {
        const kt_ovmf_section *s = &info->sections[i];
        switch (s->type) {
        case KT_SECTION_SNP_SEC_MEM:
            st = kt_gctx_empty_pages(g, vmm == KT_MEASURE_VMM_GCE ? KT_PAGE_UNMEASURED : KT_PAGE_ZERO,
                                     s->gpa, s->size, err);
            break;
        case KT_SECTION_SNP_SECRETS:
            st = kt_gctx_empty_pages(g, KT_PAGE_SECRETS, s->gpa, KT_PAGE_SIZE, err);
            break;
        case KT_SECTION_CPUID:
            /* EC2 adds the CPUID page after every other section. */
            if (vmm != KT_MEASURE_VMM_EC2)
                st = kt_gctx_empty_pages(g, KT_PAGE_CPUID, s->gpa, KT_PAGE_SIZE, err);
            break;
        case KT_SECTION_SVSM_CAA:
            st = kt_gctx_empty_pages(g, KT_PAGE_ZERO, s->gpa, s->size, err);
            break;
        case KT_SECTION_SNP_KERNEL_HASHES:
            if (with_kernel) {
                uint8_t page[KT_PAGE_SIZE];
                st = kernel_hashes_page(o, info, s, page, err);
                if (st == KT_OK)
                    st = kt_gctx_normal_pages(g, s->gpa, page, sizeof page, err);
            } else {
                st = kt_gctx_empty_pages(g, KT_PAGE_ZERO, s->gpa, s->size, err);
            }
            break;
        default:
            st = kt_fail(err, KT_E_INTERNAL, "unexpected section type 0x%x", s->type);
        }
    }
    if (st == KT_OK && vmm == KT_MEASURE_VMM_EC2) {
        for (size_t i = 0; i < info->nsections && st == KT_OK; i++)
            if (info->sections[i].type == KT_SECTION_CPUID)
                st = kt_gctx_empty_pages(g, KT_PAGE_CPUID, info->sections[i].gpa, KT_PAGE_SIZE,
                                         err);
    }
    return st;
}

static kt_status check_options(const kt_measure_options *o, kt_error *err) {
    if (!o->ovmf || o->ovmf_len == 0)
        return kt_fail(err, KT_E_INVALID_ARG, "no OVMF firmware given");
    if (o->ovmf_hash && o->mode != KT_MEASURE_SNP)
        return kt_fail(err, KT_E_INVALID_ARG,
                       "a precalculated OVMF hash only works with mode snp, not %s",
                       kt_measure_mode_name(o->mode));
    bool needs_vcpus = o->mode == KT_MEASURE_SNP || o->mode == KT_MEASURE_SNP_SVSM ||
                       o->mode == KT_MEASURE_SEV_ES;
    if (needs_vcpus && (o->vcpus == 0 || o->vcpus > KT_MEASURE_MAX_VCPUS))
        return kt_fail(err, KT_E_RANGE, "%u vCPUs is out of range (1..%u)", o->vcpus,
                       KT_MEASURE_MAX_VCPUS);
    if (o->mode == KT_MEASURE_SNP_SVSM) {
        if (!o->svsm || o->svsm_len == 0)
            return kt_fail(err, KT_E_INVALID_ARG, "mode snp:svsm needs an SVSM image");
        if (o->vars_size == 0)
            return kt_fail(err, KT_E_INVALID_ARG, "mode snp:svsm needs the OVMF_VARS size");
        if (o->vmm != KT_MEASURE_VMM_QEMU)
            return kt_fail(err, KT_E_UNSUPPORTED, "mode snp:svsm is only defined for QEMU, not %s",
                           kt_measure_vmm_name(o->vmm));
        if (o->has_kernel)
            return kt_fail(err, KT_E_INVALID_ARG,
                           "mode snp:svsm does not measure a kernel (no kernel hashes)");
        if (o->svsm_len > KT_MEASURE_MAX_FIRMWARE)
            return kt_fail(err, KT_E_TOO_LARGE, "SVSM image of %zu bytes exceeds %u bytes",
                           o->svsm_len, KT_MEASURE_MAX_FIRMWARE);
    } else if (o->svsm || o->vars_size) {
        return kt_fail(err, KT_E_INVALID_ARG, "an SVSM image or OVMF_VARS size needs mode snp:svsm");
    }
    if (o->has_kernel && o->mode == KT_MEASURE_SNP_OVMF_HASH)
        return kt_fail(err, KT_E_INVALID_ARG, "mode snp:ovmf-hash measures the firmware only");
    if (!o->has_kernel && (o->kernel || o->kernel_len || o->kernel_sha256))
        return kt_fail(err, KT_E_INVALID_ARG, "kernel data given but has_kernel is not set");
    if (o->has_kernel) {
        if ((!o->kernel && o->kernel_len) || (!o->initrd && o->initrd_len))
            return kt_fail(err, KT_E_INVALID_ARG, "kernel or initrd length without data");
    } else if (o->initrd || o->initrd_len || o->initrd_sha256 ||
               (o->cmdline && o->cmdline[0])) {
        return kt_fail(err, KT_E_INVALID_ARG, "an initrd or command line needs a kernel");
    }
    if (o->cmdline && !valid_utf8((const uint8_t *)o->cmdline, strlen(o->cmdline)))
        return kt_fail(err, KT_E_PARSE, "the kernel command line is not valid UTF-8");
    if (o->ovmf_len > KT_MEASURE_MAX_FIRMWARE)
        return kt_fail(err, KT_E_TOO_LARGE, "OVMF image of %zu bytes exceeds %u bytes",
                       o->ovmf_len, KT_MEASURE_MAX_FIRMWARE);
    return KT_OK;
}

static kt_status firmware_pages(kt_gctx *g, const uint8_t *data, size_t len, uint64_t gpa,
                                const char *what, kt_error *err) {
    if (len % KT_PAGE_SIZE != 0)
        return kt_fail(err, KT_E_PARSE, "%s size %zu is not a multiple of 4096 bytes", what, len);
    return kt_gctx_normal_pages(g, gpa, data, len, err);
}

static kt_status measure_snp(const kt_measure_options *o, const kt_ovmf_info *ovmf,
                             uint8_t digest[48], kt_error *err) {
    kt_gctx g;
    kt_status st = kt_gctx_init(&g, o->ovmf_hash, err);
    if (st != KT_OK)
        return st;
    uint64_t ovmf_gpa = KT_FOUR_GIB - o->ovmf_len;
    uint8_t page[KT_PAGE_SIZE];

    if (o->mode == KT_MEASURE_SNP_OVMF_HASH) {
        st = firmware_pages(&g, o->ovmf, o->ovmf_len, ovmf_gpa, "OVMF", err);
    } else if (o->mode == KT_MEASURE_SNP) {
        if (!ovmf->has_footer)
            st = kt_fail(err, KT_E_UNSUPPORTED,
                         "OVMF has no GUIDed footer table, so no SEV-ES reset block (not an OVMF "
                         "image?)");
        else if (!ovmf->has_reset_block)
            st = kt_fail(err, KT_E_UNSUPPORTED,
                         "OVMF has no SEV-ES reset block in its footer table (not an SEV "
                         "firmware?)");
        else if (o->vcpus > 1 && ovmf->reset_eip == 0)
            st = kt_fail(err, KT_E_UNSUPPORTED,
                         "OVMF's SEV-ES reset EIP is 0, so it cannot start %u vCPUs", o->vcpus);
        else if (o->has_kernel && !has_section(ovmf, KT_SECTION_SNP_KERNEL_HASHES))
            st = kt_fail(err, KT_E_UNSUPPORTED,
                         ovmf->has_metadata
                             ? "a kernel was given but the OVMF SEV metadata has no "
                               "SNP_KERNEL_HASHES section (firmware without measured direct boot)"
                             : "a kernel was given but the OVMF has no SEV metadata, so no "
                               "SNP_KERNEL_HASHES section");
        if (st == KT_OK && !o->ovmf_hash)
            st = firmware_pages(&g, o->ovmf, o->ovmf_len, ovmf_gpa, "OVMF", err);
        if (st == KT_OK)
            st = snp_sections(&g, o, ovmf, o->has_kernel, o->vmm, err);
        if (st == KT_OK) {
            kt_vmsa_build(page, KT_VMSA_SEV_ES_SNP, BSP_EIP, o->guest_features, o->vcpu_sig,
                          o->vmm);
            for (uint32_t i = 0; i < o->vcpus && st == KT_OK; i++) {
                if (i == 1)
                    kt_vmsa_build(page, KT_VMSA_SEV_ES_SNP, ovmf->reset_eip, o->guest_features,
                                  o->vcpu_sig, o->vmm);
                st = kt_gctx_vmsa_page(&g, page, err);
            }
        }
    } else { /* snp:svsm */
        uint64_t svsm_end = ovmf_gpa;
        kt_ovmf_info svsm;
        if (o->vars_size > svsm_end || svsm_end - o->vars_size < o->svsm_len) {
            st = kt_fail(err, KT_E_RANGE,
                         "OVMF_VARS size %llu leaves no room below the OVMF for the %zu-byte "
                         "SVSM",
                         (unsigned long long)o->vars_size, o->svsm_len);
        } else {
            svsm_end -= o->vars_size;
            uint64_t svsm_gpa = svsm_end - o->svsm_len;
            st = kt_ovmf_parse(o->svsm, o->svsm_len, svsm_gpa, "SVSM", &svsm, err);
            if (st == KT_OK && !svsm.has_svsm_info)
                st = kt_fail(err, KT_E_UNSUPPORTED,
                             "SVSM image has no SVSM-info entry in its footer table");
            if (st == KT_OK)
                st = firmware_pages(&g, o->ovmf, o->ovmf_len, ovmf_gpa, "OVMF", err);
            if (st == KT_OK)
                st = firmware_pages(&g, o->svsm, o->svsm_len, svsm_gpa, "SVSM", err);
            if (st == KT_OK)
                st = snp_sections(&g, o, &svsm, false, KT_MEASURE_VMM_QEMU, err);
            if (st == KT_OK) {
                /* Every vCPU starts at the SVSM entry point; SEV_FEATURES is fixed. */
                kt_vmsa_build(page, KT_VMSA_SVSM, svsm_gpa + svsm.svsm_entry_offset, 0x1,
                              o->vcpu_sig, KT_MEASURE_VMM_QEMU);
                for (uint32_t i = 0; i < o->vcpus && st == KT_OK; i++)
                    st = kt_gctx_vmsa_page(&g, page, err);
            }
        }
    }
    if (st == KT_OK)
        memcpy(digest, g.ld, 48);
    kt_gctx_free(&g);
    return st;
}

/* SEV and SEV-ES: one SHA-256 over firmware, hashes table and (SEV-ES) VMSAs. */
static kt_status measure_sev(const kt_measure_options *o, const kt_ovmf_info *ovmf,
                             uint8_t digest[32], kt_error *err) {
    if (o->has_kernel && (!ovmf->has_hash_table || ovmf->hash_table_gpa == 0))
        return kt_fail(err, KT_E_UNSUPPORTED,
                       "a kernel was given but the OVMF has no SEV hash table GPA (no measured "
                       "direct boot)");
    bool es = o->mode == KT_MEASURE_SEV_ES;
    if (es && !ovmf->has_reset_block)
        return kt_fail(err, KT_E_UNSUPPORTED,
                       "OVMF has no SEV-ES reset block in its footer table (not an SEV firmware?)");
    if (es && o->vcpus > 1 && ovmf->reset_eip == 0)
        return kt_fail(err, KT_E_UNSUPPORTED,
                       "OVMF's SEV-ES reset EIP is 0, so it cannot start %u vCPUs", o->vcpus);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx && EVP_DigestInit_ex2(ctx, EVP_sha256(), NULL) == 1 &&
              EVP_DigestUpdate(ctx, o->ovmf, o->ovmf_len) == 1;
    if (ok && o->has_kernel) {
        uint8_t table[KT_SEV_HASH_TABLE_PADDED];
        kt_status st = hash_table(o, table, err);
        if (st != KT_OK) {
            EVP_MD_CTX_free(ctx);
            return st;
        }
        ok = EVP_DigestUpdate(ctx, table, sizeof table) == 1;
    }
    if (ok && es) {
        uint8_t page[KT_PAGE_SIZE];
        kt_vmsa_build(page, KT_VMSA_SEV_ES_SNP, BSP_EIP, 0, o->vcpu_sig, o->vmm);
        for (uint32_t i = 0; i < o->vcpus && ok; i++) {
            if (i == 1)
                kt_vmsa_build(page, KT_VMSA_SEV_ES_SNP, ovmf->reset_eip, 0, o->vcpu_sig, o->vmm);
            ok = EVP_DigestUpdate(ctx, page, sizeof page) == 1;
        }
    }
    unsigned int n = 0;
    ok = ok && EVP_DigestFinal_ex(ctx, digest, &n) == 1 && n == 32;
    EVP_MD_CTX_free(ctx);
    return ok ? KT_OK : kt_fail(err, KT_E_INTERNAL, "SHA-256 failed");
}

kt_status kt_measure(const kt_measure_options *opts, uint8_t digest[KT_MEASURE_DIGEST_SIZE],
                     size_t *digest_len, kt_error *err) {
    if (!opts || !digest || !digest_len)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_measure: missing argument");
    kt_status st = check_options(opts, err);
    if (st != KT_OK)
        return st;
    kt_ovmf_info *ovmf = malloc(sizeof *ovmf);
    if (!ovmf)
        return kt_fail_oom(err);
    st = kt_ovmf_parse(opts->ovmf, opts->ovmf_len, KT_FOUR_GIB - opts->ovmf_len, "OVMF", ovmf,
                       err);
    uint8_t out[KT_MEASURE_DIGEST_SIZE];
    size_t n = 0;
    if (st == KT_OK) {
        if (opts->mode == KT_MEASURE_SEV || opts->mode == KT_MEASURE_SEV_ES) {
            st = measure_sev(opts, ovmf, out, err);
            n = KT_MEASURE_SEV_DIGEST_SIZE;
        } else {
            st = measure_snp(opts, ovmf, out, err);
            n = KT_MEASURE_DIGEST_SIZE;
        }
    }
    free(ovmf);
    if (st == KT_OK) {
        memcpy(digest, out, n);
        *digest_len = n;
    }
    return st;
}
