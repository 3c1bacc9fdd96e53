/*
 * The report codec's facts checked against ../shared's own words rather than
 * against tables copied from src/report:
 *  - the CPUID family/model -> product map, read from SNP-REFERENCE.md §1.2
 *    (which cites virtee/snpguest src/fetch.rs get_processor_model), checked
 *    for every family 0x17..0x1B and every model 0x00..0xFF;
 *  - every fixture report's fields, read from MANIFEST.md "Report facts"
 *    (and its Summary product column for v3+ reports, where CPUID decides).
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "katana_tee/report.h"
#include "shared_docs.h"

static kt_product product_named(const char *name) {
    kt_product p = KT_PRODUCT_UNKNOWN;
    kt_error err = {0};
    if (kt_product_parse(name, &p, &err) != KT_OK)
        fail_msg("the reference names product '%s', which the library does not know: %s", name,
                 err.message);
    return p;
}

static void test_cpuid_map_from_reference(void **state) {
    (void)state;
    kt_cpuid_range ranges[16];
    size_t n = kt_snpref_cpuid_ranges(ranges, 16);
    /* the paragraph names Milan, Genoa (twice) and Turin: four ranges */
    assert_int_equal(n, 4);
    bool seen_milan = false, seen_genoa = false, seen_turin = false;
    for (size_t i = 0; i < n; i++) {
        kt_product p = product_named(ranges[i].product);
        seen_milan |= p == KT_PRODUCT_MILAN;
        seen_genoa |= p == KT_PRODUCT_GENOA;
        seen_turin |= p == KT_PRODUCT_TURIN;
    }
    assert_true(seen_milan && seen_genoa && seen_turin);
    for (unsigned fam = 0x17; fam <= 0x1b; fam++) {
        for (unsigned mod = 0; mod <= 0xff; mod++) {
            kt_product want = KT_PRODUCT_UNKNOWN;
            for (size_t i = 0; i < n; i++)
                if (ranges[i].family == fam && mod >= ranges[i].model_lo &&
                    mod <= ranges[i].model_hi)
                    want = product_named(ranges[i].product);
            kt_product got = kt_product_from_cpuid((uint8_t)fam, (uint8_t)mod);
            if (got != want)
                fail_msg("family 0x%02x model 0x%02x: %s, the reference says %s", fam, mod,
                         kt_product_name(got), kt_product_name(want));
        }
    }
}

static const char *const sets[] = {
    "milan-v2-virtee",         "milan-v2-gosevguest-debug", "milan-v2-trustee",
    "milan-v2-constellation",  "milan-v2-lit-parse-only",   "milan-v3-azure-cartridge",
    "milan-v4-gcp-cartridge",  "milan-v5-gcp-atakit",       "milan-vlek-v3-aws-constellation",
    "genoa-v3-tinfoil",        "genoa-v3-azure-trustee",    "genoa-v5-katana-parse-only",
};

static void check_against_manifest(const char *set, const char *file) {
    char rel[256];
    snprintf(rel, sizeof rel, "fixtures/snp/%s/%s", set, file);
    size_t len = 0;
    uint8_t *b = kt_test_read_shared(rel, &len);
    kt_manifest_facts m;
    kt_manifest_report_facts(set, &m);
    kt_report r;
    kt_error err = {0};
    if (kt_report_parse(b, len, &r, &err) != KT_OK)
        fail_msg("%s: %s", rel, err.message);
    assert_int_equal(r.version, m.version);
    assert_int_equal(r.has_cpuid, m.version >= 3);
    if (r.has_cpuid) {
        assert_int_equal(r.cpuid_fam_id, m.fam);
        assert_int_equal(r.cpuid_mod_id, m.mod);
        assert_int_equal(r.cpuid_step, m.step);
        assert_int_equal(r.product, product_named(m.product));
        assert_int_equal(r.product_source, KT_PRODUCT_FROM_CPUID);
    } else {
        /* v2 has no CPUID bytes: the MANIFEST prints them as 00/00/00 */
        assert_int_equal(m.fam | m.mod | m.step, 0);
        assert_int_equal(r.product, KT_PRODUCT_UNKNOWN);
    }
    assert_int_equal(r.current_major, m.fw_major);
    assert_int_equal(r.current_minor, m.fw_minor);
    assert_int_equal(r.current_build, m.fw_build);
    assert_int_equal(r.reported_tcb.boot_loader, m.bl);
    assert_int_equal(r.reported_tcb.tee, m.tee);
    assert_int_equal(r.reported_tcb.snp, m.snp);
    assert_int_equal(r.reported_tcb.microcode, m.ucode);
    assert_int_equal(r.policy, m.policy);
    assert_int_equal(r.vmpl, m.vmpl);
    assert_int_equal(r.platform_info, m.platform_info);
    assert_int_equal(r.signing_key, strcmp(m.signing_key, "VLEK") == 0 ? 1 : 0);
    assert_true(strcmp(m.signing_key, "VCEK") == 0 || strcmp(m.signing_key, "VLEK") == 0);
    free(b);
}

static void test_fixtures_match_manifest(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        check_against_manifest(sets[i], "report.bin");
    check_against_manifest("genoa-v3-tsm-veraison", "outblob");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpuid_map_from_reference),
        cmocka_unit_test(test_fixtures_match_manifest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
