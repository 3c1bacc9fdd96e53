/*
 * Products and TCBs in the report codec: product and signing-key names, the
 * policy and platform-info bit tables, the Milan/Genoa and Turin TCB layouts
 * (../shared/docs/SNP-REFERENCE.md §3), and how a report's product is decided
 * (chip id for v2, CPUID for v3+, the caller's hint).
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "katana_tee/report.h"
#include "report_fixtures.h"
#include "util/cursor.h"

/* ---- products and TCBs ------------------------------------------------------------------------- */

/* kt_product_from_cpuid: checked against SNP-REFERENCE.md §1.2 in test_report_sources.c. */

static void test_product_names(void **state) {
    (void)state;
    kt_product p;
    kt_error err = {0};
    assert_int_equal(kt_product_parse("milan", &p, &err), KT_OK);
    assert_int_equal(p, KT_PRODUCT_MILAN);
    assert_int_equal(kt_product_parse("GENOA", &p, &err), KT_OK);
    assert_int_equal(p, KT_PRODUCT_GENOA);
    assert_int_equal(kt_product_parse("Turin", &p, &err), KT_OK);
    assert_int_equal(p, KT_PRODUCT_TURIN);
    assert_int_equal(kt_product_parse("zen5", &p, &err), KT_E_PARSE);
    assert_non_null(strstr(err.message, "zen5"));
    assert_int_equal(kt_product_parse("", &p, &err), KT_E_PARSE);
    assert_int_equal(kt_product_parse("milanx", &p, &err), KT_E_PARSE);
    assert_string_equal(kt_product_name(KT_PRODUCT_MILAN), "Milan");
    assert_string_equal(kt_product_name(KT_PRODUCT_GENOA), "Genoa");
    assert_string_equal(kt_product_name(KT_PRODUCT_TURIN), "Turin");
    assert_string_equal(kt_product_name(KT_PRODUCT_UNKNOWN), "unknown");
    assert_string_equal(kt_signing_key_name(0), "VCEK");
    assert_string_equal(kt_signing_key_name(1), "VLEK");
    assert_string_equal(kt_signing_key_name(7), "none");
    assert_string_equal(kt_signing_key_name(4), "reserved");
}

static void test_bit_tables(void **state) {
    (void)state;
    size_t n = 0;
    for (const kt_bit_name *b = kt_policy_bit_names(); b->name; b++, n++)
        assert_true(KT_POLICY_KNOWN_BITS >> b->bit & 1);
    assert_int_equal(n, 10); /* bits 16..25 */
    n = 0;
    bool tio = false;
    for (const kt_bit_name *b = kt_platform_info_bit_names(); b->name; b++, n++) {
        assert_true(KT_PLATFORM_KNOWN_BITS >> b->bit & 1);
        tio |= b->bit == 7 && strcmp(b->name, "TIO_EN") == 0;
    }
    assert_int_equal(n, 7);
    assert_true(tio);
}

static void test_tcb_layouts(void **state) {
    (void)state;
    /* SNP-REFERENCE.md §3: Turin bytes 00 01 00 02 00 00 00 47 */
    uint8_t bytes[8] = {0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x47};
    uint64_t raw = kt_get_u64le(bytes);
    kt_tcb t = kt_tcb_decode(raw, KT_PRODUCT_TURIN);
    assert_true(t.has_fmc);
    assert_int_equal(t.fmc, 0);
    assert_int_equal(t.boot_loader, 1);
    assert_int_equal(t.tee, 0);
    assert_int_equal(t.snp, 2);
    assert_int_equal(t.microcode, 0x47);
    assert_int_equal(kt_tcb_encode(&t, KT_PRODUCT_TURIN), raw);
    kt_tcb m = kt_tcb_decode(raw, KT_PRODUCT_MILAN);
    assert_false(m.has_fmc);
    assert_int_equal(m.boot_loader, 0);
    assert_int_equal(m.tee, 1);
    assert_int_equal(m.snp, 0);
    /* Milan/Genoa: bl byte 0, tee byte 1, snp byte 6, ucode byte 7 */
    kt_tcb g = {0};
    g.boot_loader = 10;
    g.tee = 0;
    g.snp = 23;
    g.microcode = 84;
    assert_int_equal(kt_tcb_encode(&g, KT_PRODUCT_GENOA), 0x541700000000000aull);
    assert_int_equal(kt_tcb_encode(&g, KT_PRODUCT_UNKNOWN), 0x541700000000000aull);
    kt_tcb f = {0};
    f.fmc = 1;
    f.boot_loader = 2;
    f.tee = 3;
    f.snp = 4;
    f.microcode = 5;
    assert_int_equal(kt_tcb_encode(&f, KT_PRODUCT_TURIN), 0x0500000004030201ull);
    kt_tcb back = kt_tcb_decode(0x0500000004030201ull, KT_PRODUCT_TURIN);
    assert_int_equal(back.fmc, 1);
    assert_int_equal(back.snp, 4);
}

/* v2: chip-id rule; v3: CPUID decides; set_product re-decodes. */
static void test_product_determination(void **state) {
    (void)state;
    kt_report r;
    kt_error err = {0};
    uint8_t *b = load_report(V2);
    memset(b + 0x1a0, 0, 64);
    memcpy(b + 0x1a0, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    uint8_t turin_tcb[8] = {0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x47};
    for (unsigned off = 0; off < 4; off++) /* all four TCB fields in the Turin layout */
        memcpy(b + (unsigned[]){0x038, 0x180, 0x1e0, 0x1f0}[off], turin_tcb, 8);
    assert_int_equal(kt_report_parse(b, KT_REPORT_SIZE, &r, &err), KT_OK);
    assert_int_equal(r.product, KT_PRODUCT_TURIN);
    assert_int_equal(r.product_source, KT_PRODUCT_FROM_CHIP_ID);
    assert_true(r.reported_tcb.has_fmc);
    assert_int_equal(r.reported_tcb.snp, 2);
    assert_int_equal(r.reported_tcb.boot_loader, 1);
    /* the caller's hint wins over the heuristic (lenient: byte 3 is reserved for Genoa) */
    kt_report_parse_opts hint = {true, KT_PRODUCT_GENOA};
    assert_int_equal(kt_report_parse_ex(b, KT_REPORT_SIZE, &hint, &r, NULL, &err), KT_OK);
    assert_int_equal(r.product, KT_PRODUCT_GENOA);
    assert_int_equal(r.reported_tcb.tee, 1);
    /* a masked (all-zero) chip id says nothing */
    memset(b + 0x1a0, 0, 64);
    assert_int_equal(kt_report_parse(b, KT_REPORT_SIZE, &r, &err), KT_OK);
    assert_int_equal(r.product, KT_PRODUCT_UNKNOWN);
    assert_int_equal(r.product_source, KT_PRODUCT_FROM_NONE);
    assert_false(r.reported_tcb.has_fmc);
    kt_report_set_product(&r, KT_PRODUCT_TURIN, KT_PRODUCT_FROM_CALLER);
    assert_int_equal(r.product, KT_PRODUCT_TURIN);
    assert_int_equal(r.product_source, KT_PRODUCT_FROM_CALLER);
    assert_true(r.reported_tcb.has_fmc);
    assert_true(r.current_tcb.has_fmc && r.committed_tcb.has_fmc && r.launch_tcb.has_fmc);
    assert_int_equal(r.reported_tcb.snp, 2);
    free(b);

    /* v3 with Turin CPUID (family 0x1a model 0x02) */
    b = load_report(V3);
    b[0x188] = 0x1a;
    b[0x189] = 0x02;
    memcpy(b + 0x180, turin_tcb, 8);
    assert_int_equal(kt_report_parse_ex(b, KT_REPORT_SIZE, &hint, &r, NULL, &err), KT_OK);
    assert_int_equal(r.product, KT_PRODUCT_TURIN);
    assert_int_equal(r.product_source, KT_PRODUCT_FROM_CPUID);
    assert_int_equal(r.reported_tcb.snp, 2);
    char *text = NULL;
    assert_int_equal(kt_report_to_text(&r, NULL, &text, &err), KT_OK);
    assert_non_null(strstr(text, "fmc 0, boot_loader 1, tee 0, snp 2, microcode 71"));
    assert_non_null(strstr(text, "layout Turin"));
    kt_string_free(text);
    /* an unrecognised CPUID leaves the product unknown */
    b[0x188] = 0x30;
    assert_int_equal(kt_report_parse(b, KT_REPORT_SIZE, &r, &err), KT_OK);
    assert_int_equal(r.product, KT_PRODUCT_UNKNOWN);
    free(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_product_names),
        cmocka_unit_test(test_bit_tables),
        cmocka_unit_test(test_tcb_layouts),
        cmocka_unit_test(test_product_determination),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
