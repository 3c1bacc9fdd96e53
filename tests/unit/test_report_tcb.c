/*
 * The reserved bytes of the four TCB_VERSION fields, per product layout
 * (../shared/docs/SNP-REFERENCE.md §3): every byte of every TCB field of a
 * real Milan, Genoa, (re-labelled) Turin and product-unknown v2 report is
 * set in turn; the strict parser must refuse exactly the reserved ones.
 * Also the component-wise comparisons the verifier uses instead of raw values.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "katana_tee/report.h"

static const unsigned tcb_offsets[] = {0x038, 0x180, 0x1E0, 0x1F0};

static uint8_t *load(const char *rel) {
    size_t len = 0;
    uint8_t *b = kt_test_read_shared(rel, &len);
    assert_int_equal(len, KT_REPORT_SIZE);
    return b;
}

/* Turin: CPUID family 0x1A model 0x02, and Turin-shaped TCBs (fmc 0, bl 1, tee 0, snp 2, ucode 0x47). */
static void make_turin(uint8_t *b) {
    static const uint8_t turin_tcb[8] = {0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x47};
    b[0x188] = 0x1A;
    b[0x189] = 0x02;
    for (size_t i = 0; i < 4; i++)
        memcpy(b + tcb_offsets[i], turin_tcb, 8);
}

static void check_every_byte(const uint8_t *orig, kt_product expect_product, const bool reserved[8]) {
    kt_report r;
    kt_error err = {0};
    assert_int_equal(kt_report_parse(orig, KT_REPORT_SIZE, &r, &err), KT_OK);
    assert_int_equal(r.product, expect_product);
    uint8_t *b = malloc(KT_REPORT_SIZE);
    assert_non_null(b);
    for (size_t f = 0; f < 4; f++) {
        for (unsigned byte = 0; byte < 8; byte++) {
            memcpy(b, orig, KT_REPORT_SIZE);
            b[tcb_offsets[f] + byte] ^= 0x5A;
            memset(&err, 0, sizeof err);
            kt_status st = kt_report_parse(b, KT_REPORT_SIZE, &r, &err);
            if (reserved[byte]) {
                if (st != KT_E_RESERVED)
                    fail_msg("product %d: TCB at 0x%03x byte %u accepted", (int)expect_product,
                             tcb_offsets[f], byte);
                char want[16];
                snprintf(want, sizeof want, "0x%03x", tcb_offsets[f] + byte);
                assert_non_null(strstr(err.message, want));
                assert_non_null(strstr(err.message, "TCB"));
            } else if (st != KT_OK) {
                fail_msg("product %d: TCB at 0x%03x byte %u refused: %s", (int)expect_product,
                         tcb_offsets[f], byte, err.message);
            }
        }
    }
    free(b);
}

/* Which TCB bytes each layout reserves (SNP-REFERENCE.md §3). */
#define MILAN_GENOA {false, false, true, true, true, true, false, false}
#define TURIN {false, false, false, false, true, true, true, false}
#define COMMON {false, false, false, false, true, true, false, false}

static const struct layout_case {
    const char *fixture;
    bool turin; /* relabel as Turin (make_turin) */
    kt_product product;
    bool reserved[8];
} layout_cases[] = {
    {"fixtures/snp/milan-v3-azure-cartridge/report.bin", false, KT_PRODUCT_MILAN, MILAN_GENOA},
    {"fixtures/snp/genoa-v3-tinfoil/report.bin", false, KT_PRODUCT_GENOA, MILAN_GENOA},
    {"fixtures/snp/genoa-v3-tinfoil/report.bin", true, KT_PRODUCT_TURIN, TURIN},
    /* v2, no hint, Milan-shaped chip id: product unknown; only bytes 4..5 are reserved in
     * both layouts, so only they can be refused */
    {"fixtures/snp/milan-v2-virtee/report.bin", false, KT_PRODUCT_UNKNOWN, COMMON},
};

static void test_every_layout(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof layout_cases / sizeof layout_cases[0]; i++) {
        const struct layout_case *lc = &layout_cases[i];
        uint8_t *b = load(lc->fixture);
        if (lc->turin)
            make_turin(b);
        check_every_byte(b, lc->product, lc->reserved);
        free(b);
    }
}

/* The bytes of the original finding, on a Milan report. */
static void test_reported_bytes(void **state) {
    (void)state;
    static const unsigned found[] = {0x182, 0x1E4, 0x03A};
    for (size_t i = 0; i < 3; i++) {
        uint8_t *c = load("fixtures/snp/milan-v3-azure-cartridge/report.bin");
        c[found[i]] = 1;
        kt_report r;
        kt_error err = {0};
        assert_int_equal(kt_report_parse(c, KT_REPORT_SIZE, &r, &err), KT_E_RESERVED);
        free(c);
    }
}

static void test_lenient_lists_anomaly(void **state) {
    (void)state;
    uint8_t *b = load("fixtures/snp/milan-v3-azure-cartridge/report.bin");
    b[0x182] = 7;
    kt_report_parse_opts o = {true, KT_PRODUCT_UNKNOWN};
    kt_report r;
    kt_report_anomalies an;
    kt_error err = {0};
    assert_int_equal(kt_report_parse_ex(b, KT_REPORT_SIZE, &o, &r, &an, &err), KT_OK);
    assert_int_equal(an.count, 1);
    assert_int_equal(an.items[0].status, KT_E_RESERVED);
    assert_non_null(strstr(an.items[0].text, "REPORTED_TCB byte 2 (offset 0x182)"));
    free(b);
}

static void test_masks_and_compare(void **state) {
    (void)state;
    assert_int_equal(kt_tcb_reserved_mask(KT_PRODUCT_MILAN), 0x0000FFFFFFFF0000ULL);
    assert_int_equal(kt_tcb_reserved_mask(KT_PRODUCT_GENOA), 0x0000FFFFFFFF0000ULL);
    assert_int_equal(kt_tcb_reserved_mask(KT_PRODUCT_TURIN), 0x00FFFFFF00000000ULL);
    assert_int_equal(kt_tcb_reserved_mask(KT_PRODUCT_UNKNOWN), 0x0000FFFF00000000ULL);
    /* the decoded components never overlap the reserved mask */
    kt_tcb all = {0, true, 0xff, 0xff, 0xff, 0xff, 0xff};
    assert_int_equal(kt_tcb_encode(&all, KT_PRODUCT_TURIN) & kt_tcb_reserved_mask(KT_PRODUCT_TURIN), 0);
    assert_int_equal(kt_tcb_encode(&all, KT_PRODUCT_MILAN) & kt_tcb_reserved_mask(KT_PRODUCT_MILAN), 0);

    kt_tcb a = kt_tcb_decode(0x4700000000000301ULL, KT_PRODUCT_MILAN); /* bl 1 tee 3 snp 0 */
    kt_tcb b = kt_tcb_decode(0x4708000000000301ULL, KT_PRODUCT_MILAN); /* snp 8 */
    kt_tcb c = kt_tcb_decode(0x4708000000000201ULL, KT_PRODUCT_MILAN); /* tee 2 */
    assert_true(kt_tcb_equal(&a, &a));
    assert_false(kt_tcb_equal(&a, &b));
    assert_true(kt_tcb_at_most(&a, &b));
    assert_false(kt_tcb_at_most(&b, &a));
    assert_false(kt_tcb_at_most(&a, &c)); /* incomparable: tee 3 > 2, snp 0 < 8 */
    assert_false(kt_tcb_at_most(&c, &a));
    /* reserved bytes do not make equal TCBs different */
    kt_tcb noisy = kt_tcb_decode(0x4700123400000301ULL, KT_PRODUCT_MILAN);
    assert_true(kt_tcb_equal(&a, &noisy));
    kt_tcb turin = kt_tcb_decode(0x4700000002000100ULL, KT_PRODUCT_TURIN);
    assert_false(kt_tcb_equal(&a, &turin));
    assert_false(kt_tcb_at_most(&a, &turin));
    assert_false(kt_tcb_equal(NULL, &a));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_layout),
        cmocka_unit_test(test_reported_bytes),
        cmocka_unit_test(test_lenient_lists_anomaly),
        cmocka_unit_test(test_masks_and_compare),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
