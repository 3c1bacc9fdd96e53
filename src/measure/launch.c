/*
 * From the reference tool's options (as typed on a command line or written
 * in a launch description) to kt_measure_options: the same checks, in the
 * same spirit, as sev-snp-measure's argument handling, with the tool's
 * crashes and silent oddities turned into clear refusals.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "katana_tee/hex.h"
#include "measure/measure_internal.h"
#include "util/error.h"

#define MAX_KERNEL_FILE ((size_t)1 << 30) /* kernels and initrds up to 1 GiB */

static char *join_path(const char *dir, const char *path) {
    size_t n;
    char *out;
    if (!dir || !dir[0] || path[0] == '/') {
        n = strlen(path) + 1;
        out = malloc(n);
        if (out)
            memcpy(out, path, n);
        return out;
    }
    n = strlen(dir) + 1 + strlen(path) + 1;
    out = malloc(n);
    if (out)
        snprintf(out, n, "%s/%s", dir, path);
    return out;
}

static kt_status open_input(const kt_measure_args *a, const char *opt, const char *path,
                            size_t max, char **full, kt_mapped *m, kt_error *err) {
    if (!path[0])
        return kt_fail(err, KT_E_INVALID_ARG, "%s%s: empty path", a->opt_prefix, opt);
    *full = join_path(a->base_dir, path);
    if (!*full)
        return kt_fail_oom(err);
    char what[64];
    snprintf(what, sizeof what, "%s%s", a->opt_prefix, opt);
    return kt_map_file(*full, max, what, m, err);
}

static bool sha256(const kt_mapped *m, uint8_t out[32]) {
    unsigned int n = 0;
    return EVP_Digest(m->data, m->len, out, &n, EVP_sha256(), NULL) == 1 && n == 32;
}

void kt_measure_launch_free(kt_measure_launch *l) {
    kt_unmap_file(&l->ovmf);
    kt_unmap_file(&l->svsm);
    kt_unmap_file(&l->kernel);
    kt_unmap_file(&l->initrd);
    free(l->ovmf_path);
    free(l->svsm_path);
    free(l->kernel_path);
    free(l->initrd_path);
    free(l->vars_path);
    memset(l, 0, sizeof *l);
}

static kt_status prepare(const kt_measure_args *a, kt_measure_launch *l, kt_error *err) {
    const char *px = a->opt_prefix ? a->opt_prefix : "";
    kt_measure_options *o = &l->opts;
    kt_measure_options_init(o);
    kt_status st;

    if (!a->mode)
        return kt_fail(err, KT_E_INVALID_ARG, "%smode is required", px);
    if ((st = kt_measure_mode_parse(a->mode, &o->mode, err)) != KT_OK)
        return st;
    if (!a->ovmf)
        return kt_fail(err, KT_E_INVALID_ARG, "%sovmf is required", px);
    /* Option names are validated whatever the mode, as argparse does. */
    uint32_t type_sig = 0;
    if (a->vcpu_type && (st = kt_measure_vcpu_sig_by_name(a->vcpu_type, &type_sig, err)) != KT_OK)
        return st;
    if (a->has_vars_size && a->vars_file)
        return kt_fail(err, KT_E_INVALID_ARG, "%svars-size and %svars-file are mutually exclusive",
                       px, px);

    if (o->mode == KT_MEASURE_SNP_OVMF_HASH) {
        /* Like the tool: only the firmware matters; other options are not used. */
        if ((st = open_input(a, "ovmf", a->ovmf, KT_MEASURE_MAX_FIRMWARE, &l->ovmf_path, &l->ovmf,
                             err)) != KT_OK)
            return st;
        o->ovmf = l->ovmf.data;
        o->ovmf_len = l->ovmf.len;
        if (a->hash_all_inputs && !sha256(&l->ovmf, l->ovmf_sha256))
            return kt_fail(err, KT_E_INTERNAL, "SHA-256 failed");
        return KT_OK;
    }

    /* As the tool: an empty --initrd means none (hashed as the empty string). */
    const char *initrd = a->initrd && a->initrd[0] ? a->initrd : NULL;
    if (initrd && !a->kernel)
        return kt_fail(err, KT_E_INVALID_ARG, "%skernel required when using %sinitrd", px, px);
    if (a->append && a->append[0] && !a->kernel)
        return kt_fail(err, KT_E_INVALID_ARG, "%skernel required when using %sappend", px, px);
    if (o->mode != KT_MEASURE_SEV && !a->has_vcpus)
        return kt_fail(err, KT_E_INVALID_ARG, "missing %svcpus N in guest mode '%s'", px,
                       a->mode);
    if (a->has_vcpus) {
        if (a->vcpus == 0 || a->vcpus > KT_MEASURE_MAX_VCPUS)
            return kt_fail(err, KT_E_RANGE, "%svcpus: %llu is out of range (1..%u)", px,
                           (unsigned long long)a->vcpus, KT_MEASURE_MAX_VCPUS);
        o->vcpus = (uint32_t)a->vcpus;
    }
    if (a->vmm_type && (st = kt_measure_vmm_parse(a->vmm_type, &o->vmm, err)) != KT_OK)
        return st;

    /* vCPU signature: family/model/stepping, then the signature, then the type. */
    if (o->mode != KT_MEASURE_SEV) {
        if (a->has_family) {
            if (!a->has_model || !a->has_stepping)
                return kt_fail(err, KT_E_INVALID_ARG,
                               "%svcpu-family needs %svcpu-model and %svcpu-stepping", px, px, px);
            if (a->family > UINT32_MAX || a->model > UINT32_MAX || a->stepping > UINT32_MAX)
                return kt_fail(err, KT_E_RANGE, "vCPU family/model/stepping out of range");
            if ((st = kt_measure_cpu_sig((uint32_t)a->family, (uint32_t)a->model,
                                         (uint32_t)a->stepping, &o->vcpu_sig, err)) != KT_OK)
                return st;
        } else if (a->has_vcpu_sig) {
            if (a->vcpu_sig > UINT32_MAX)
                return kt_fail(err, KT_E_RANGE, "%svcpu-sig: 0x%llx does not fit in 32 bits", px,
                               (unsigned long long)a->vcpu_sig);
            o->vcpu_sig = (uint32_t)a->vcpu_sig;
        } else if (a->vcpu_type) {
            o->vcpu_sig = type_sig;
        } else if (o->vmm == KT_MEASURE_VMM_QEMU) {
            return kt_fail(err, KT_E_INVALID_ARG,
                           "missing %svcpu-type or %svcpu-sig or %svcpu-family in guest mode '%s'",
                           px, px, px, a->mode);
        }
    }
    if (a->has_guest_features)
        o->guest_features = a->guest_features;

    if (a->snp_ovmf_hash && a->snp_ovmf_hash[0]) {
        if (o->mode != KT_MEASURE_SNP)
            return kt_fail(err, KT_E_INVALID_ARG, "%ssnp-ovmf-hash only works with mode snp", px);
        char what[64];
        snprintf(what, sizeof what, "%ssnp-ovmf-hash", px);
        if ((st = kt_hex_decode_exact(a->snp_ovmf_hash, strlen(a->snp_ovmf_hash), l->ovmf_hash,
                                      sizeof l->ovmf_hash, what, err)) != KT_OK)
            return st;
        o->ovmf_hash = l->ovmf_hash;
    }

    bool svsm_mode = o->mode == KT_MEASURE_SNP_SVSM;
    if (svsm_mode) {
        if (o->vmm != KT_MEASURE_VMM_QEMU)
            return kt_fail(err, KT_E_UNSUPPORTED, "mode snp:svsm is only defined for %svmm-type QEMU",
                           px);
        if (!a->svsm)
            return kt_fail(err, KT_E_INVALID_ARG, "mode snp:svsm requires %ssvsm", px);
        if (a->kernel)
            return kt_fail(err, KT_E_INVALID_ARG,
                           "mode snp:svsm does not measure %skernel/%sinitrd/%sappend", px, px, px);
        if (a->vars_file) {
            if (!a->vars_file[0])
                return kt_fail(err, KT_E_INVALID_ARG, "%svars-file: empty path", px);
            l->vars_path = join_path(a->base_dir, a->vars_file);
            if (!l->vars_path)
                return kt_fail_oom(err);
            struct stat sb;
            if (stat(l->vars_path, &sb) != 0)
                return kt_fail(err, KT_E_IO, "%svars-file: cannot stat %s: %s", px, l->vars_path,
                               strerror(errno));
            if (!S_ISREG(sb.st_mode))
                return kt_fail(err, KT_E_IO, "%svars-file: %s is not a regular file", px,
                               l->vars_path);
            o->vars_size = (uint64_t)sb.st_size;
            if (o->vars_size == 0)
                return kt_fail(err, KT_E_INVALID_ARG, "%svars-file: %s is empty", px,
                               l->vars_path);
        } else if (a->has_vars_size && a->vars_size > 0) {
            o->vars_size = a->vars_size;
        } else {
            return kt_fail(err, KT_E_INVALID_ARG,
                           "snp:svsm mode requires %svars-size or %svars-file", px, px);
        }
    } else if (a->svsm || a->vars_file || a->has_vars_size) {
        return kt_fail(err, KT_E_INVALID_ARG,
                       "%ssvsm, %svars-size and %svars-file only apply to mode snp:svsm", px, px,
                       px);
    }

    if ((st = open_input(a, "ovmf", a->ovmf, KT_MEASURE_MAX_FIRMWARE, &l->ovmf_path, &l->ovmf,
                         err)) != KT_OK)
        return st;
    o->ovmf = l->ovmf.data;
    o->ovmf_len = l->ovmf.len;
    if (a->hash_all_inputs && !sha256(&l->ovmf, l->ovmf_sha256))
        return kt_fail(err, KT_E_INTERNAL, "SHA-256 failed");
    if (svsm_mode) {
        if ((st = open_input(a, "svsm", a->svsm, KT_MEASURE_MAX_FIRMWARE, &l->svsm_path, &l->svsm,
                             err)) != KT_OK)
            return st;
        o->svsm = l->svsm.data;
        o->svsm_len = l->svsm.len;
        if (a->hash_all_inputs && !sha256(&l->svsm, l->svsm_sha256))
            return kt_fail(err, KT_E_INTERNAL, "SHA-256 failed");
    }
    if (a->kernel) {
        o->has_kernel = true;
        if ((st = open_input(a, "kernel", a->kernel, MAX_KERNEL_FILE, &l->kernel_path, &l->kernel,
                             err)) != KT_OK)
            return st;
        if (!sha256(&l->kernel, l->kernel_sha256))
            return kt_fail(err, KT_E_INTERNAL, "SHA-256 failed");
        o->kernel_sha256 = l->kernel_sha256;
        /* No initrd hashes as the empty string. */
        if (initrd) {
            if ((st = open_input(a, "initrd", initrd, MAX_KERNEL_FILE, &l->initrd_path,
                                 &l->initrd, err)) != KT_OK)
                return st;
        }
        if (!sha256(&l->initrd, l->initrd_sha256))
            return kt_fail(err, KT_E_INTERNAL, "SHA-256 failed");
        o->initrd_sha256 = l->initrd_sha256;
        o->cmdline = a->append;
    }
    return KT_OK;
}

kt_status kt_measure_launch_prepare(const kt_measure_args *a, kt_measure_launch *l,
                                    kt_error *err) {
    memset(l, 0, sizeof *l);
    kt_measure_args copy = *a;
    if (!copy.opt_prefix)
        copy.opt_prefix = "";
    kt_status st = prepare(&copy, l, err);
    if (st != KT_OK)
        kt_measure_launch_free(l);
    return st;
}
