/* Test support: read expectations out of ../shared's MANIFEST.md and SNP-REFERENCE.md. */
#include "shared_docs.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static char *read_text(const char *rel) {
    size_t len = 0;
    uint8_t *b = kt_test_read_shared(rel, &len);
    char *t = realloc(b, len + 1);
    if (!t)
        fail_msg("out of memory reading %s", rel);
    t[len] = '\0';
    return t;
}

const char *kt_manifest_set_of(const char *fixture_path) {
    static char set[128];
    const char *prefix = "fixtures/snp/";
    if (strncmp(fixture_path, prefix, strlen(prefix)) != 0)
        fail_msg("%s is not under %s", fixture_path, prefix);
    const char *s = fixture_path + strlen(prefix);
    size_t n = strcspn(s, "/");
    if (n == 0 || n >= sizeof set || s[n] != '/')
        fail_msg("no set folder in %s", fixture_path);
    memcpy(set, s, n);
    set[n] = '\0';
    return set;
}

/* The Summary row "| `set/` | Product ... |": its product column's first word. */
static void summary_product(const char *text, const char *set, char *out, size_t cap) {
    char key[160];
    snprintf(key, sizeof key, "| `%s/` | ", set);
    const char *p = strstr(text, key);
    if (!p)
        fail_msg("MANIFEST.md Summary has no row for %s", set);
    p += strlen(key);
    size_t n = strcspn(p, " |");
    if (n == 0 || n >= cap)
        fail_msg("MANIFEST.md Summary row for %s has no product", set);
    memcpy(out, p, n);
    out[n] = '\0';
}

void kt_manifest_report_facts(const char *set, kt_manifest_facts *out) {
    memset(out, 0, sizeof *out);
    char *text = read_text("fixtures/snp/MANIFEST.md");
    char heading[160];
    snprintf(heading, sizeof heading, "\n### `%s/`\n", set);
    const char *sec = strstr(text, heading);
    if (!sec)
        fail_msg("MANIFEST.md has no section for %s", set);
    sec += strlen(heading);
    const char *end = strstr(sec, "\n### ");
    const char *facts = strstr(sec, "- **Report facts:** ");
    if (!facts || (end && facts > end))
        fail_msg("MANIFEST.md section %s has no Report facts line", set);
    facts += strlen("- **Report facts:** ");
    int used = 0;
    int got = sscanf(facts,
                     "version %u, CPUID fam/model/step %x/%x/%x, firmware %u.%u.%u, "
                     "reported TCB {'bl': %u, 'tee': %u, 'snp': %u, 'ucode': %u}, "
                     "policy 0x%" SCNx64 ", VMPL %u, platform_info 0x%" SCNx64
                     ", signing_key=%7[A-Z]%n",
                     &out->version, &out->fam, &out->mod, &out->step, &out->fw_major,
                     &out->fw_minor, &out->fw_build, &out->bl, &out->tee, &out->snp, &out->ucode,
                     &out->policy, &out->vmpl, &out->platform_info, out->signing_key, &used);
    if (got != 15 || used == 0)
        fail_msg("MANIFEST.md Report facts of %s: only %d of 15 fields read", set, got);
    summary_product(text, set, out->product, sizeof out->product);
    free(text);
}

/*
 * Walk the §1.2 paragraph: "family 0xNN" sets the family, "0xAA–0xBB" (an en
 * dash) adds a pending range, "to Word" gives the pending ranges that product.
 */
size_t kt_snpref_cpuid_ranges(kt_cpuid_range *out, size_t cap) {
    char *text = read_text("docs/SNP-REFERENCE.md");
    const char *p = strstr(text, "* v3+: from CPUID_FAM_ID / CPUID_MOD_ID.");
    if (!p)
        fail_msg("SNP-REFERENCE.md: no '* v3+: from CPUID_FAM_ID' paragraph");
    const char *end = strstr(p, "go-sev-guest keys on");
    if (!end)
        fail_msg("SNP-REFERENCE.md: the CPUID paragraph's end was not found");
    const char *dash = "\xe2\x80\x93";
    unsigned family = 0;
    size_t n = 0, pending = 0;
    while (p < end) {
        unsigned a, b;
        int used = 0;
        if (sscanf(p, "family 0x%x%n", &a, &used) == 1 && used > 0) {
            family = a;
            p += used;
        } else if (strncmp(p, "0x", 2) == 0 && sscanf(p, "0x%x%n", &a, &used) == 1 &&
                   strncmp(p + used, dash, 3) == 0 &&
                   sscanf(p + used + 3, "0x%x", &b) == 1) {
            if (family == 0 || n >= cap)
                fail_msg("SNP-REFERENCE.md: a model range without a family, or too many");
            out[n].family = family;
            out[n].model_lo = a;
            out[n].model_hi = b;
            out[n].product[0] = '\0';
            n++;
            pending++;
            p += used + 3;
        } else if (strncmp(p, " to ", 4) == 0 && pending > 0) {
            char word[16];
            if (sscanf(p + 4, "%15[A-Za-z]", word) != 1)
                fail_msg("SNP-REFERENCE.md: 'to' without a product name");
            for (size_t i = n - pending; i < n; i++)
                snprintf(out[i].product, sizeof out[i].product, "%s", word);
            pending = 0;
            p += 4;
        } else {
            p++;
        }
    }
    if (pending != 0)
        fail_msg("SNP-REFERENCE.md: a model range names no product");
    free(text);
    return n;
}
