/*
 * katana-tee — the expected SEV-SNP launch digest (MEASUREMENT).
 *
 * A quote proves which code runs only when the verifier knows which
 * MEASUREMENT to expect. kt_measure() computes it from the launch inputs —
 * OVMF firmware, optional kernel/initrd/command line (QEMU direct boot),
 * the vCPU count and signature, the VMM flavour, the guest features, or an
 * OVMF + Coconut-SVSM pair — bit for bit as the reference tool
 * virtee/sev-snp-measure v0.0.13 does, and as the AMD secure processor does
 * when QEMU (or EC2 / GCE) launches the guest:
 *
 *   ld = 48 zero bytes
 *   for every page the VMM adds:   ld = SHA-384(PAGE_INFO(ld, contents, type, gpa))
 *
 * in this order: the firmware pages (normal pages at 4 GiB − size); the
 * sections of the firmware's SEV metadata (zero, secrets, CPUID, SVSM CAA and
 * kernel-hashes pages; EC2 moves the CPUID pages last, GCE measures SNP_SEC_MEM
 * ranges as unmeasured pages); one VMSA page per vCPU (boot processor at
 * 0xFFFFFFF0, application processors at the firmware's SEV-ES reset EIP).
 *
 * Inputs are caller buffers; nothing here reads files except
 * kt_measure_from_description(). The firmware is untrusted: its GUIDed footer
 * table and SEV metadata are bounds-checked, and malformed, truncated,
 * overlapping, out-of-range or absurdly sized structures are refused with a
 * one-line message (KT_E_PARSE, KT_E_RANGE, KT_E_TOO_LARGE), as are
 * contradictory options (KT_E_INVALID_ARG) and firmware that cannot do what
 * was asked (KT_E_UNSUPPORTED: e.g. a kernel with firmware that has no
 * SNP_KERNEL_HASHES section). All of these are input errors
 * (KT_CAT_INPUT); only allocation or OpenSSL failures are not.
 *
 * What this does not check: that the firmware is genuine or the one the
 * host really loads, that the host passes these vCPU and VMM settings, or
 * anything about the guest policy, host data or ID block — those live in
 * other fields of the report. See docs/measure.md.
 */
#ifndef KATANA_TEE_MEASURE_H
#define KATANA_TEE_MEASURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "katana_tee/export.h"
#include "katana_tee/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* SNP launch digest (SHA-384) size; SEV and SEV-ES digests are 32 bytes. */
#define KT_MEASURE_DIGEST_SIZE 48
#define KT_MEASURE_SEV_DIGEST_SIZE 32

/* Limits (refused above them, KT_E_TOO_LARGE / KT_E_RANGE). */
#define KT_MEASURE_MAX_VCPUS 4096u
#define KT_MEASURE_MAX_FIRMWARE (64u * 1024u * 1024u) /* OVMF or SVSM image */
#define KT_MEASURE_MAX_SECTIONS 64u                   /* SEV metadata sections */

typedef enum kt_measure_mode {
    KT_MEASURE_SNP = 0,       /* "snp": the SNP launch digest */
    KT_MEASURE_SNP_OVMF_HASH, /* "snp:ovmf-hash": digest after the firmware pages only */
    KT_MEASURE_SNP_SVSM,      /* "snp:svsm": OVMF + Coconut-SVSM launch digest */
    KT_MEASURE_SEV_ES,        /* "seves": SEV-ES launch digest (SHA-256) */
    KT_MEASURE_SEV,           /* "sev": SEV launch digest (SHA-256) */
} kt_measure_mode;

typedef enum kt_measure_vmm {
    KT_MEASURE_VMM_QEMU = 0, /* "QEMU" */
    KT_MEASURE_VMM_EC2,      /* "ec2": AWS; RDX = 0x600, CPUID page measured last */
    KT_MEASURE_VMM_GCE,      /* "gce": Google; RDX = 0x600, SNP_SEC_MEM unmeasured */
} kt_measure_vmm;

/*
 * Everything a launch digest depends on. Initialise with
 * kt_measure_options_init(), then set what applies. Buffers are borrowed for
 * the duration of the call.
 */
typedef struct kt_measure_options {
    kt_measure_mode mode;
    kt_measure_vmm vmm;
    /* Number of vCPUs, 1..KT_MEASURE_MAX_VCPUS (not used by sev and
       snp:ovmf-hash). */
    uint32_t vcpus;
    /* CPUID signature (Fn0000_0001_EAX) put in RDX of each VMSA by QEMU; see
       kt_measure_vcpu_sig_by_name() / kt_measure_cpu_sig(). ec2 and gce ignore
       it. */
    uint32_t vcpu_sig;
    /* SEV_FEATURES of the SNP VMSAs (default 0x1 = SNPActive). snp:svsm
       ignores it (always 0x1), as do seves (0x0) and sev. */
    uint64_t guest_features;

    /* The OVMF image (required; for snp:svsm the OVMF that sits above the
       SVSM). Its GPA is 4 GiB − ovmf_len. */
    const uint8_t *ovmf;
    size_t ovmf_len;

    /* Optional: the 48-byte digest after the firmware pages (what
       "snp:ovmf-hash" prints). When set (mode snp only), the firmware pages
       are not hashed; the footer table and metadata still come from `ovmf`,
       so its last pages suffice. */
    const uint8_t *ovmf_hash;

    /* Direct kernel boot: when has_kernel, the SEV hashes table
       (cmdline, initrd, kernel SHA-256) is measured in the firmware's
       SNP_KERNEL_HASHES section (or appended, for sev/seves). The kernel
       and initrd digests come from `*_sha256` (32 bytes) when non-NULL,
       else from hashing the buffers. No initrd hashes as the empty string.
       cmdline: NULL or "" hashes as a single NUL byte, otherwise its bytes
       plus a NUL; it must be valid UTF-8. */
    bool has_kernel;
    const uint8_t *kernel;
    size_t kernel_len;
    const uint8_t *kernel_sha256;
    const uint8_t *initrd;
    size_t initrd_len;
    const uint8_t *initrd_sha256;
    const char *cmdline;

    /* snp:svsm only: the Coconut-SVSM image, placed to end at
       (OVMF GPA − vars_size), and the size of the OVMF_VARS flash (> 0). */
    const uint8_t *svsm;
    size_t svsm_len;
    uint64_t vars_size;
} kt_measure_options;

/* Defaults: mode snp, VMM QEMU, guest_features 0x1, everything else zero. */
KT_API void kt_measure_options_init(kt_measure_options *opts);

/*
 * Compute the launch digest. On success writes *digest_len bytes (48 for the
 * snp modes, 32 for sev and seves) to digest. Refuses (nothing written):
 * missing or contradictory options (no firmware, vcpus 0 or too many,
 * ovmf_hash outside mode snp, svsm outside snp:svsm or missing in it, a
 * kernel in snp:svsm, ec2/gce with snp:svsm, cmdline not UTF-8); firmware
 * without the SEV-ES reset block in its footer table (snp and seves need
 * its AP reset EIP) or, for snp:svsm, an SVSM without its SVSM-info entry;
 * a malformed footer table or SEV metadata (in any mode); a firmware size
 * that is not a multiple of 4 KiB when its pages are measured; a kernel
 * with firmware lacking an SNP_KERNEL_HASHES section (snp) or a
 * hashes-table GPA (sev/seves); more than one vCPU when the reset EIP is 0.
 * Keeps no global state (safe to call from several threads); for images of
 * 1 MiB or more it hashes firmware pages on up to 4 short-lived threads of
 * its own (the digest does not depend on it).
 */
KT_API KT_MUST_CHECK kt_status kt_measure(const kt_measure_options *opts,
                                          uint8_t digest[KT_MEASURE_DIGEST_SIZE],
                                          size_t *digest_len, kt_error *err);

/*
 * The CPUID signature QEMU reports for a named vCPU model — every name the
 * reference tool knows: EPYC, EPYC-v1..v4, EPYC-IBPB, EPYC-Rome(-v1..v3),
 * EPYC-Milan(-v1, -v2), EPYC-Genoa(-v1), EPYC-Turin (exact, case-sensitive).
 * KT_E_NOT_FOUND for any other name (the message lists the known ones).
 */
KT_API KT_MUST_CHECK kt_status kt_measure_vcpu_sig_by_name(const char *name, uint32_t *sig,
                                                           kt_error *err);

/* The i-th known vCPU model name (0-based), NULL past the end. */
KT_API const char *kt_measure_vcpu_type_name(size_t i);

/*
 * The CPUID Fn0000_0001_EAX signature of family/model/stepping (AMD's
 * extended-family encoding). KT_E_RANGE unless family <= 0x10E,
 * model <= 0xFF and stepping <= 0xF.
 */
KT_API KT_MUST_CHECK kt_status kt_measure_cpu_sig(uint32_t family, uint32_t model,
                                                  uint32_t stepping, uint32_t *sig,
                                                  kt_error *err);

/* Parse "snp", "snp:ovmf-hash", "snp:svsm", "seves", "sev" (KT_E_PARSE otherwise). */
KT_API KT_MUST_CHECK kt_status kt_measure_mode_parse(const char *text, kt_measure_mode *mode,
                                                     kt_error *err);

/* Parse "QEMU", "ec2", "gce" (exact case, as the reference tool; KT_E_PARSE otherwise). */
KT_API KT_MUST_CHECK kt_status kt_measure_vmm_parse(const char *text, kt_measure_vmm *vmm,
                                                    kt_error *err);

/*
 * Parse an integer as Python's int() does for the reference tool's options:
 * decimal with optional surrounding whitespace, a leading '+' and single
 * '_' between digits; with auto_base also "0x"/"0o"/"0b" prefixes (as
 * int(text, 0), which forbids leading zeros in decimal). Negative values and
 * values above max are refused (KT_E_RANGE); `what` names the option.
 */
KT_API KT_MUST_CHECK kt_status kt_measure_parse_int(const char *text, bool auto_base,
                                                    uint64_t max, uint64_t *out,
                                                    const char *what, kt_error *err);

/*
 * Read a JSON "launch description" and compute its SNP launch digest
 * (48 bytes) — what a verifier expects in the report's MEASUREMENT.
 * Keys (the CLI's options with '_' for '-'; see docs/measure.md):
 *   "mode" ("snp" — the default — or "snp:svsm"), "vcpus", "vcpu_type",
 *   "vcpu_sig", "vcpu_family", "vcpu_model", "vcpu_stepping", "vmm_type",
 *   "ovmf", "kernel", "initrd", "append", "guest_features", "snp_ovmf_hash",
 *   "svsm", "vars_size", "vars_file".
 * Paths are relative to the JSON file's folder. Integers are JSON integers
 * or strings in the forms kt_measure_parse_int() takes (vcpu_sig and
 * guest_features also 0x…). Unknown keys, wrong types, and every condition
 * kt_measure() refuses are errors; so are the other modes, whose digests
 * are not SNP launch measurements. The description is capped at 1 MiB,
 * firmware images at KT_MEASURE_MAX_FIRMWARE, kernels and initrds at 1 GiB.
 * Files are memory-mapped while the digest is computed. A missing or
 * unreadable file is KT_E_IO; messages name the description and the key.
 */
KT_API KT_MUST_CHECK kt_status kt_measure_from_description(const char *path,
                                                           uint8_t digest[KT_MEASURE_DIGEST_SIZE],
                                                           kt_error *err);

#ifdef __cplusplus
}
#endif

#endif
