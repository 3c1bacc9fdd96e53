/*
 * Internal: the pieces of the launch-digest computation — the OVMF footer
 * table / SEV metadata parser, the SHA-384 page chain (GCTX), VMSA pages,
 * read-only file mappings, and the option resolution shared by the CLI and
 * kt_measure_from_description().
 */
#ifndef KT_MEASURE_INTERNAL_H
#define KT_MEASURE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "katana_tee/measure.h"

#define KT_PAGE_SIZE 4096u
#define KT_FOUR_GIB 0x100000000ull

/* SEV metadata section types (OvmfPkg/ResetVector/X64/OvmfSevMetadata.asm). */
enum {
    KT_SECTION_SNP_SEC_MEM = 0x1,
    KT_SECTION_SNP_SECRETS = 0x2,
    KT_SECTION_CPUID = 0x3,
    KT_SECTION_SVSM_CAA = 0x4,
    KT_SECTION_SNP_KERNEL_HASHES = 0x10,
};

typedef struct kt_ovmf_section {
    uint32_t gpa;
    uint32_t size;
    uint32_t type;
} kt_ovmf_section;

/* What the digest needs from a firmware (OVMF or SVSM) image. */
typedef struct kt_ovmf_info {
    bool has_footer; /* the footer-table GUID is present at the end */
    bool has_reset_block;
    uint32_t reset_eip; /* SEV-ES reset block: AP entry point */
    bool has_hash_table;
    uint32_t hash_table_gpa;  /* SEV hash table (kernel hashes) GPA, 0 = none */
    uint32_t hash_table_size; /* its reserved size, 0 when the entry has none */
    bool has_svsm_info;
    uint32_t svsm_entry_offset; /* SVSM info: entry point offset from the SVSM base */
    bool has_metadata;
    size_t nsections;
    kt_ovmf_section sections[KT_MEASURE_MAX_SECTIONS];
} kt_ovmf_info;

/*
 * Parse the GUIDed footer table at the end of a firmware image and the SEV
 * metadata it points to. `base_gpa` is where the image starts in guest
 * memory (sections must lie below it); `what` names the image in messages.
 * A missing footer GUID is not an error (has_footer = false); everything
 * malformed is.
 */
kt_status kt_ovmf_parse(const uint8_t *data, size_t len, uint64_t base_gpa, const char *what,
                        kt_ovmf_info *info, kt_error *err);

/* The SHA-384 launch-digest chain. */
typedef struct kt_gctx {
    uint8_t ld[KT_MEASURE_DIGEST_SIZE];
    EVP_MD_CTX *ctx;
    EVP_MD *md;
} kt_gctx;

enum {
    KT_PAGE_NORMAL = 0x01,
    KT_PAGE_VMSA = 0x02,
    KT_PAGE_ZERO = 0x03,
    KT_PAGE_UNMEASURED = 0x04,
    KT_PAGE_SECRETS = 0x05,
    KT_PAGE_CPUID = 0x06,
};

kt_status kt_gctx_init(kt_gctx *g, const uint8_t *seed, kt_error *err);
void kt_gctx_free(kt_gctx *g);
/* Normal pages: len must be a multiple of 4 KiB. */
kt_status kt_gctx_normal_pages(kt_gctx *g, uint64_t gpa, const uint8_t *data, size_t len,
                               kt_error *err);
/* Pages of one content-less type (zero, unmeasured, secrets, CPUID). */
kt_status kt_gctx_empty_pages(kt_gctx *g, uint8_t type, uint64_t gpa, uint64_t len,
                              kt_error *err);
kt_status kt_gctx_vmsa_page(kt_gctx *g, const uint8_t page[KT_PAGE_SIZE], kt_error *err);

/* VMSA (initial register state) pages. */
typedef enum { KT_VMSA_SEV_ES_SNP, KT_VMSA_SVSM } kt_vmsa_kind;
void kt_vmsa_build(uint8_t page[KT_PAGE_SIZE], kt_vmsa_kind kind, uint64_t eip,
                   uint64_t sev_features, uint32_t vcpu_sig, kt_measure_vmm vmm);

/* The SEV hashes table: 0xB0 bytes (0xA8 used + padding to 16). */
#define KT_SEV_HASH_TABLE_LEN 0xA8u
#define KT_SEV_HASH_TABLE_PADDED 0xB0u
void kt_sev_hash_table(uint8_t out[KT_SEV_HASH_TABLE_PADDED], const uint8_t cmdline_sha256[32],
                       const uint8_t initrd_sha256[32], const uint8_t kernel_sha256[32]);

/* A file mapped read-only (or read, when it cannot be mapped). */
typedef struct kt_mapped {
    const uint8_t *data;
    size_t len;
    void *map_base;
    uint8_t *heap;
} kt_mapped;

kt_status kt_map_file(const char *path, size_t max, const char *what, kt_mapped *m,
                      kt_error *err);
void kt_unmap_file(kt_mapped *m);

/*
 * The reference tool's options, as given (strings and optional integers),
 * before resolution. Used by `katana-tee measure` and by
 * kt_measure_from_description().
 */
typedef struct kt_measure_args {
    const char *mode;
    bool has_vcpus, has_vcpu_sig, has_family, has_model, has_stepping;
    bool has_guest_features, has_vars_size;
    uint64_t vcpus, vcpu_sig, family, model, stepping, guest_features, vars_size;
    const char *vcpu_type;
    const char *vmm_type;
    const char *ovmf, *kernel, *initrd, *append, *snp_ovmf_hash, *svsm, *vars_file;
    const char *base_dir; /* relative paths are taken from here (NULL: as given) */
    const char *opt_prefix; /* "--" for the CLI, "" for JSON keys */
    bool hash_all_inputs;   /* also SHA-256 the firmware images (for --json) */
} kt_measure_args;

/* Resolved options plus the mapped files they point into. */
typedef struct kt_measure_launch {
    kt_measure_options opts;
    uint8_t ovmf_hash[KT_MEASURE_DIGEST_SIZE];
    kt_mapped ovmf, svsm, kernel, initrd;
    char *ovmf_path, *svsm_path, *kernel_path, *initrd_path, *vars_path;
    uint8_t ovmf_sha256[32], svsm_sha256[32], kernel_sha256[32], initrd_sha256[32];
} kt_measure_launch;

kt_status kt_measure_launch_prepare(const kt_measure_args *a, kt_measure_launch *l,
                                    kt_error *err);
void kt_measure_launch_free(kt_measure_launch *l);

const char *kt_measure_mode_name(kt_measure_mode mode);
const char *kt_measure_vmm_name(kt_measure_vmm vmm);

#endif
