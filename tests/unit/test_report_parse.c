/*
 * The report codec against the real reports in ../shared/fixtures/snp/
 * (expectations from its MANIFEST.md, one row per fixture): strict parse,
 * fields, bit-exact round trip and rendering of each; then lengths, versions
 * and NULL arguments it refuses.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "katana_tee/report.h"
#include "report_fixtures.h"
#include "util/cursor.h"

/*
 * ---- expectations per fixture (MANIFEST.md "Report facts") -------------------------
 * Written out from ../shared/fixtures/snp/MANIFEST.md; test_report_sources.c
 * checks the same reports against the MANIFEST text itself, so a row copied
 * wrongly here cannot agree with the parser by accident.
 */

typedef struct fixture_row {
    const char *path;
    uint32_t version;
    kt_product product; /* v2 reports: unknown without a hint */
    kt_product_source source;
    unsigned signing_key;
    uint64_t policy;
    uint32_t vmpl;
    uint64_t platform_info;
    uint8_t fw_major, fw_minor, fw_build;
    uint8_t bl, tee, snp, ucode; /* REPORTED_TCB */
    bool has_cpuid;
    uint8_t fam, mod, step;
    uint64_t launch_mit, current_mit; /* v5 only */
} fixture_row;

#define U KT_PRODUCT_UNKNOWN
#define MI KT_PRODUCT_MILAN
#define GE KT_PRODUCT_GENOA
#define NONE KT_PRODUCT_FROM_NONE
#define CPUID KT_PRODUCT_FROM_CPUID

static const fixture_row fixtures[] = {
    /* path                                          ver prod src  key policy  vmpl pi    fw          bl  tee snp ucode cpuid fam   mod   step  mit */
    {"fixtures/snp/milan-v2-virtee/report.bin",        2, U,  NONE,  0, 0x30000, 0, 0x1,  1, 52, 4,  3,  0, 8,  115, false, 0,    0,    0,    0,   0},
    {"fixtures/snp/milan-v2-gosevguest-debug/report.bin", 2, U, NONE, 0, 0xb0000, 0, 0x1, 1, 49, 3,  2,  0, 5,  68,  false, 0,    0,    0,    0,   0},
    {"fixtures/snp/milan-v2-trustee/report.bin",       2, U,  NONE,  0, 0x3001f, 0, 0x1,  1, 52, 4,  3,  0, 8,  115, false, 0,    0,    0,    0,   0},
    {"fixtures/snp/milan-v2-constellation/report.bin", 2, U,  NONE,  0, 0x3001f, 0, 0x1,  1, 51, 1,  2,  0, 6,  93,  false, 0,    0,    0,    0,   0},
    {"fixtures/snp/milan-v2-lit-parse-only/report.bin", 2, U, NONE,  0, 0x30000, 0, 0x1,  1, 51, 3,  2,  0, 5,  115, false, 0,    0,    0,    0,   0},
    {"fixtures/snp/milan-v3-azure-cartridge/report.bin", 3, MI, CPUID, 0, 0x3001f, 0, 0x25, 1, 55, 29, 4, 0, 24, 219, true, 0x19, 0x01, 0x01, 0,   0},
    {"fixtures/snp/milan-v4-gcp-cartridge/report.bin", 4, MI, CPUID, 0, 0x30000, 0, 0x25, 1, 55, 31, 4,  0, 25, 219, true,  0x19, 0x01, 0x01, 0,   0},
    {"fixtures/snp/milan-v5-gcp-atakit/report.bin",    5, MI, CPUID, 0, 0x30000, 0, 0x25, 1, 58, 1,  4,  0, 29, 222, true,  0x19, 0x01, 0x01, 0xb, 0xb},
    {"fixtures/snp/milan-vlek-v3-aws-constellation/report.bin", 3, MI, CPUID, 1, 0x30000, 0, 0x27, 1, 55, 29, 4, 0, 24, 217, true, 0x19, 0x01, 0x01, 0, 0},
    {"fixtures/snp/genoa-v3-tinfoil/report.bin",       3, GE, CPUID, 0, 0x30000, 0, 0x27, 1, 55, 40, 10, 0, 23, 84,  true,  0x19, 0x11, 0x01, 0,   0},
    {"fixtures/snp/genoa-v3-tsm-veraison/outblob",     3, GE, CPUID, 0, 0x30000, 0, 0x25, 1, 55, 40, 10, 0, 23, 84,  true,  0x19, 0x11, 0x01, 0,   0},
    {"fixtures/snp/genoa-v3-azure-trustee/report.bin", 3, GE, CPUID, 0, 0x3001f, 0, 0x24, 1, 55, 40, 10, 0, 23, 84,  true,  0x19, 0x11, 0x01, 0,   0},
    {"fixtures/snp/genoa-v5-katana-parse-only/report.bin", 5, GE, CPUID, 0, 0x30000, 1, 0x67, 1, 55, 42, 10, 0, 24, 84, true, 0x19, 0x11, 0x01, 0, 0},
};

#define FIXTURE_COUNT (sizeof fixtures / sizeof fixtures[0])

/* A fixture row by its set folder name, never by its index. */
static const fixture_row *row_named(const char *set) {
    for (size_t i = 0; i < FIXTURE_COUNT; i++) {
        const char *p = strstr(fixtures[i].path, set);
        if (p && p[strlen(set)] == '/')
            return &fixtures[i];
    }
    fail_msg("no fixture row for %s", set);
    return NULL;
}

static void check_row(const fixture_row *row, const kt_report *r) {
    assert_int_equal(r->version, row->version);
    assert_int_equal(r->product, row->product);
    assert_int_equal(r->product_source, row->source);
    assert_int_equal(r->signing_key, row->signing_key);
    assert_int_equal(r->policy, row->policy);
    assert_int_equal(r->vmpl, row->vmpl);
    assert_int_equal(r->platform_info, row->platform_info);
    assert_int_equal(r->current_major, row->fw_major);
    assert_int_equal(r->current_minor, row->fw_minor);
    assert_int_equal(r->current_build, row->fw_build);
    assert_int_equal(r->reported_tcb.boot_loader, row->bl);
    assert_int_equal(r->reported_tcb.tee, row->tee);
    assert_int_equal(r->reported_tcb.snp, row->snp);
    assert_int_equal(r->reported_tcb.microcode, row->ucode);
    assert_false(r->reported_tcb.has_fmc);
    assert_int_equal(r->has_cpuid, row->has_cpuid);
    assert_int_equal(r->cpuid_fam_id, row->fam);
    assert_int_equal(r->cpuid_mod_id, row->mod);
    assert_int_equal(r->cpuid_step, row->step);
    assert_int_equal(r->has_mit_vector, row->version >= 5);
    assert_int_equal(r->launch_mit_vector, row->launch_mit);
    assert_int_equal(r->current_mit_vector, row->current_mit);
    assert_int_equal(r->signature_algo, KT_SIG_ALGO_ECDSA_P384_SHA384);
    assert_int_equal(r->author_key_en, false);
}

/* Every fixture: strict parse, fields as the manifest says, bit-exact round trip, rendering. */
static void test_fixtures(void **state) {
    (void)state;
    for (size_t i = 0; i < FIXTURE_COUNT; i++) {
        const fixture_row *row = &fixtures[i];
        uint8_t *bytes = load_report(row->path);
        kt_report r;
        kt_error err = {0};
        if (kt_report_parse(bytes, KT_REPORT_SIZE, &r, &err) != KT_OK)
            fail_msg("%s: %s", row->path, err.message);
        check_row(row, &r);
        assert_memory_equal(r.raw, bytes, KT_REPORT_SIZE);
        /* independent reads of a few fields */
        assert_memory_equal(r.report_data, bytes + 0x50, 64);
        assert_memory_equal(r.measurement, bytes + 0x90, 48);
        assert_memory_equal(r.chip_id, bytes + 0x1a0, 64);
        assert_memory_equal(r.signature_r, bytes + 0x2a0, 72);
        assert_int_equal(r.reported_tcb.raw, kt_get_u64le(bytes + 0x180));

        uint8_t out[KT_REPORT_SIZE];
        assert_int_equal(kt_report_serialize(&r, out, &err), KT_OK);
        if (memcmp(out, bytes, KT_REPORT_SIZE) != 0)
            fail_msg("%s: serialize is not byte-exact", row->path);

        /* lenient finds nothing in a valid report */
        kt_report_parse_opts opts = {true, KT_PRODUCT_UNKNOWN};
        kt_report_anomalies an;
        assert_int_equal(kt_report_parse_ex(bytes, KT_REPORT_SIZE, &opts, &r, &an, &err), KT_OK);
        assert_int_equal(an.count, 0);

        char *text = NULL, *json = NULL;
        assert_int_equal(kt_report_to_text(&r, &an, &text, &err), KT_OK);
        assert_non_null(strstr(text, "Identity"));
        assert_non_null(strstr(text, "Signature"));
        char fw[16];
        snprintf(fw, sizeof fw, "%u.%u.%u", row->fw_major, row->fw_minor, row->fw_build);
        assert_non_null(strstr(text, fw));
        assert_int_equal(kt_report_to_json(&r, NULL, &json, &err), KT_OK);
        json_error_t jerr;
        json_t *j = json_loads(json, 0, &jerr);
        if (!j)
            fail_msg("%s: rendered JSON does not parse: %s", row->path, jerr.text);
        assert_int_equal(json_integer_value(json_object_get(j, "version")), row->version);
        assert_int_equal(json_integer_value(json_object_get(j, "vmpl")), row->vmpl);
        json_t *rt = json_object_get(j, "reported_tcb");
        assert_int_equal(json_integer_value(json_object_get(rt, "microcode")), row->ucode);
        assert_int_equal(json_integer_value(json_object_get(rt, "snp")), row->snp);
        assert_true(json_is_boolean(json_object_get(json_object_get(j, "policy"), "debug")));
        assert_int_equal(json_is_true(json_object_get(json_object_get(j, "policy"), "debug")),
                         (row->policy & KT_POLICY_DEBUG) != 0);
        assert_int_equal(json_is_null(json_object_get(j, "cpuid")), !row->has_cpuid);
        assert_int_equal(json_is_null(json_object_get(j, "launch_mit_vector")), row->version < 5);
        assert_string_equal(json_string_value(json_object_get(j, "product")),
                            kt_product_name(row->product));
        json_decref(j);
        kt_string_free(text);
        kt_string_free(json);

        if (row->version == 2) {
            /* a caller hint decides the product of a v2 report */
            kt_report_parse_opts hint = {false, KT_PRODUCT_MILAN};
            assert_int_equal(kt_report_parse_ex(bytes, KT_REPORT_SIZE, &hint, &r, NULL, &err),
                             KT_OK);
            assert_int_equal(r.product, KT_PRODUCT_MILAN);
            assert_int_equal(r.product_source, KT_PRODUCT_FROM_CALLER);
            assert_int_equal(r.reported_tcb.snp, row->snp);
        } else {
            /* ... and is ignored for v3+ */
            kt_report_parse_opts hint = {false, KT_PRODUCT_TURIN};
            assert_int_equal(kt_report_parse_ex(bytes, KT_REPORT_SIZE, &hint, &r, NULL, &err),
                             KT_OK);
            assert_int_equal(r.product, row->product);
        }
        free(bytes);
    }
}

/* ---- lengths and versions ----------------------------------------------------------- */

static void test_truncated_fixture(void **state) {
    (void)state;
    size_t len = 0;
    uint8_t *b = kt_test_read_shared("fixtures/snp/milan-v2-lit-parse-only/report_truncated.bin",
                                     &len);
    assert_int_equal(len, 793);
    kt_report r;
    kt_error err = {0};
    assert_int_equal(kt_report_parse(b, len, &r, &err), KT_E_LENGTH);
    assert_string_equal(err.message, "report is 793 bytes, expected 1184");
    kt_report_parse_opts opts = {true, KT_PRODUCT_UNKNOWN};
    assert_int_equal(kt_report_parse_ex(b, len, &opts, &r, NULL, &err), KT_E_LENGTH);
    free(b);
}

static void test_every_short_length(void **state) {
    (void)state;
    uint8_t *b = load_report(row_named("milan-v2-virtee")->path);
    uint8_t *big = calloc(1, 2 * KT_REPORT_SIZE);
    memcpy(big, b, KT_REPORT_SIZE);
    kt_report_parse_opts opts = {true, KT_PRODUCT_UNKNOWN};
    kt_report r;
    for (size_t len = 0; len < KT_REPORT_SIZE; len++) {
        kt_error err = {0};
        /* a right-sized heap copy so ASan catches any read past len */
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, b, len);
        assert_int_equal(kt_report_parse(copy, len, &r, &err), KT_E_LENGTH);
        assert_int_equal(kt_report_parse_ex(copy, len, &opts, &r, NULL, &err), KT_E_LENGTH);
        free(copy);
    }
    size_t longs[] = {KT_REPORT_SIZE + 1, KT_REPORT_SIZE + 4, 2 * KT_REPORT_SIZE};
    for (size_t i = 0; i < 3; i++) {
        kt_error err = {0};
        assert_int_equal(kt_report_parse(big, longs[i], &r, &err), KT_E_LENGTH);
        assert_non_null(strstr(err.message, "expected 1184"));
    }
    free(big);
    free(b);
}

static void test_versions(void **state) {
    (void)state;
    uint8_t *b = load_report(row_named("milan-v2-virtee")->path);
    static const uint32_t bad[] = {0, 1, 6, 7, 0xffffffffu};
    kt_report_parse_opts opts = {true, KT_PRODUCT_UNKNOWN};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kt_put_u32le(b, bad[i]);
        kt_report r;
        kt_error err = {0};
        assert_int_equal(kt_report_parse(b, KT_REPORT_SIZE, &r, &err), KT_E_UNSUPPORTED);
        char want[96];
        snprintf(want, sizeof want, "report version %u is not supported (supported: 2, 3, 4, 5)",
                 (unsigned)bad[i]);
        assert_string_equal(err.message, want);
        assert_int_equal(kt_report_parse_ex(b, KT_REPORT_SIZE, &opts, &r, NULL, &err),
                         KT_E_UNSUPPORTED);
    }
    free(b);
}

static void test_null_arguments(void **state) {
    (void)state;
    kt_report r;
    kt_error err = {0};
    assert_int_equal(kt_report_parse(NULL, 5, &r, &err), KT_E_INVALID_ARG);
    assert_int_equal(kt_report_parse(NULL, 0, &r, &err), KT_E_LENGTH);
    uint8_t b[KT_REPORT_SIZE] = {2};
    assert_int_equal(kt_report_parse(b, sizeof b, NULL, &err), KT_E_INVALID_ARG);
    char *s = NULL;
    assert_int_equal(kt_report_to_text(NULL, NULL, &s, &err), KT_E_INVALID_ARG);
    assert_int_equal(kt_report_to_json(NULL, NULL, &s, &err), KT_E_INVALID_ARG);
    kt_string_free(NULL);
    kt_report_set_product(NULL, KT_PRODUCT_MILAN, KT_PRODUCT_FROM_CALLER);
    kt_report_parse_opts bad = {false, (kt_product)9};
    uint8_t *v = load_report(V3);
    assert_int_equal(kt_report_parse_ex(v, KT_REPORT_SIZE, &bad, &r, NULL, &err),
                     KT_E_INVALID_ARG);
    free(v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_truncated_fixture),
        cmocka_unit_test(test_every_short_length),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_null_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
