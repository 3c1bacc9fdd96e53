/*
 * Test support: expected values read from the shared documents themselves, so
 * that a test's expectations come from ../shared and never from the code under
 * test. Every reader fails the test (fail_msg) when the document or the entry
 * is missing or does not have the expected shape — never a silent default.
 */
#ifndef KT_TEST_SHARED_DOCS_H
#define KT_TEST_SHARED_DOCS_H

#include <stddef.h>
#include <stdint.h>

/* One fixture set's "Report facts" line in fixtures/snp/MANIFEST.md. */
typedef struct kt_manifest_facts {
    unsigned version;
    unsigned fam, mod, step;            /* CPUID fam/model/step (00/00/00 for v2) */
    unsigned fw_major, fw_minor, fw_build;
    unsigned bl, tee, snp, ucode;       /* reported TCB */
    uint64_t policy;
    unsigned vmpl;
    uint64_t platform_info;
    char signing_key[8];                /* "VCEK" or "VLEK" */
    char product[16];                   /* first word of the Summary table's product column */
} kt_manifest_facts;

/* Facts of the set named `set` (a folder name, e.g. "milan-v2-virtee"). */
void kt_manifest_report_facts(const char *set, kt_manifest_facts *out);

/* The set folder of a fixture path "fixtures/snp/<set>/<file>" (static buffer). */
const char *kt_manifest_set_of(const char *fixture_path);

/*
 * The CPUID-to-product map stated in docs/SNP-REFERENCE.md §1.2 ("snpguest
 * maps family 0x19 with model 0x00–0x0F to Milan, ..."): each range names a
 * family, an inclusive model range and the product word that follows "to".
 */
typedef struct kt_cpuid_range {
    unsigned family, model_lo, model_hi;
    char product[16];
} kt_cpuid_range;

/* Fills up to `cap` ranges and returns how many the paragraph states. */
size_t kt_snpref_cpuid_ranges(kt_cpuid_range *out, size_t cap);

#endif
