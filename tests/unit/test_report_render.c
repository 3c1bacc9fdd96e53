/*
 * What the report codec writes: reports serialised from decoded fields
 * (signer info from flags or the raw word, absent fields of older versions),
 * and the text and JSON renderings of a real report
 * (../shared/fixtures/snp/genoa-v5-katana-parse-only).
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "katana_tee/report.h"
#include "report_fixtures.h"
#include "util/cursor.h"

/* ---- serialising ---------------------------------------------------------------------------------- */

static void test_serialize_from_fields(void **state) {
    (void)state;
    kt_report r;
    memset(&r, 0, sizeof r);
    r.version = 5;
    r.guest_svn = 7;
    r.policy = 0x30000;
    r.vmpl = 1;
    r.signature_algo = 1;
    r.current_tcb.raw = 0x541800000000000aull;
    r.reported_tcb = r.committed_tcb = r.launch_tcb = r.current_tcb;
    r.platform_info = 0x25;
    r.signing_key = KT_SIGNING_KEY_VLEK; /* only the decoded flags are set */
    r.author_key_en = true;
    memset(r.report_data, 0xab, sizeof r.report_data);
    memset(r.measurement, 0x11, sizeof r.measurement);
    r.has_cpuid = true;
    r.cpuid_fam_id = 0x19;
    r.cpuid_mod_id = 0x11;
    r.cpuid_step = 1;
    memset(r.chip_id, 0x5a, sizeof r.chip_id);
    r.current_major = 1;
    r.current_minor = 55;
    r.current_build = 42;
    r.has_mit_vector = true;
    r.launch_mit_vector = 0xb;
    r.current_mit_vector = 0xf;
    memset(r.signature_r, 0x77, 48);
    memset(r.signature_s, 0x66, 48);
    uint8_t out[KT_REPORT_SIZE];
    kt_error err = {0};
    assert_int_equal(kt_report_serialize(&r, out, &err), KT_OK);
    assert_int_equal(kt_get_u32le(out + 0x48), 1u << 2 | 1u);
    kt_report back;
    assert_int_equal(kt_report_parse(out, sizeof out, &back, &err), KT_OK);
    assert_int_equal(back.signing_key, KT_SIGNING_KEY_VLEK);
    assert_true(back.author_key_en);
    assert_int_equal(back.product, KT_PRODUCT_GENOA);
    assert_int_equal(back.current_mit_vector, 0xf);
    assert_int_equal(back.reported_tcb.snp, 24);
    assert_memory_equal(back.report_data, r.report_data, 64);
    assert_memory_equal(back.signature_s, r.signature_s, 72);

    /* only the raw word set: the same bytes */
    r.signer_info = 1u << 2 | 1u;
    r.signing_key = 0;
    r.author_key_en = false;
    uint8_t out2[KT_REPORT_SIZE];
    assert_int_equal(kt_report_serialize(&r, out2, &err), KT_OK);
    assert_memory_equal(out, out2, sizeof out);
    /* both set and disagreeing: refused */
    r.signing_key = KT_SIGNING_KEY_VCEK;
    r.mask_chip_key = true;
    assert_int_equal(kt_report_serialize(&r, out2, &err), KT_E_INVALID_ARG);
    r.mask_chip_key = false;

    /* absent fields of older versions are written as zero */
    r.version = 2;
    assert_int_equal(kt_report_serialize(&r, out2, &err), KT_OK);
    assert_int_equal(out2[0x188], 0);
    assert_int_equal(kt_get_u64le(out2 + 0x1f8), 0);
    assert_int_equal(kt_report_parse(out2, sizeof out2, &back, &err), KT_OK);
    assert_false(back.has_cpuid);

    r.version = 1;
    assert_int_equal(kt_report_serialize(&r, out2, &err), KT_E_INVALID_ARG);
    r.version = 6;
    assert_int_equal(kt_report_serialize(&r, out2, &err), KT_E_INVALID_ARG);
    r.version = 3;
    r.signing_key = 8;
    r.signer_info = 0;
    assert_int_equal(kt_report_serialize(&r, out2, &err), KT_E_INVALID_ARG);
}

static void test_text_layout(void **state) {
    (void)state;
    uint8_t *b = load_report("fixtures/snp/genoa-v5-katana-parse-only/report.bin");
    kt_report r;
    kt_error err = {0};
    assert_int_equal(kt_report_parse(b, KT_REPORT_SIZE, &r, &err), KT_OK);
    char *text = NULL;
    assert_int_equal(kt_report_to_text(&r, NULL, &text, &err), KT_OK);
    static const char *const want[] = {
        "SEV-SNP attestation report, version 5",
        "\nIdentity\n",
        "Genoa (from CPUID family 0x19, model 0x11)",
        "\nPolicy\n",
        "\nTCB (layout Milan/Genoa)\n",
        "boot_loader 10, tee 0, snp 24, microcode 84",
        "\nPlatform\n",
        "SMT_EN, TSME_EN, ECC_EN, ALIAS_CHECK_COMPLETE, unknown bit 6",
        "firmware current     1.55.42",
        "\nDigests\n",
        "\nSignature\n",
        "VCEK (0)",
        "ECDSA P-384 with SHA-384",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(text, want[i]))
            fail_msg("text lacks '%s':\n%s", want[i], text);
    /* order of the groups */
    assert_true(strstr(text, "Identity") < strstr(text, "Policy"));
    assert_true(strstr(text, "Policy") < strstr(text, "TCB ("));
    assert_true(strstr(text, "Platform") < strstr(text, "Digests"));
    assert_true(strstr(text, "Digests") < strstr(text, "Signature"));
    kt_string_free(text);

    /* JSON: byte arrays lowercase hex without 0x, R/S as stored */
    char *json = NULL;
    assert_int_equal(kt_report_to_json(&r, NULL, &json, &err), KT_OK);
    json_t *j = json_loads(json, 0, NULL);
    const char *chip = json_string_value(json_object_get(j, "chip_id"));
    assert_int_equal(strlen(chip), 128);
    assert_true(strncmp(chip, "01b884fd", 8) == 0);
    for (const char *p = chip; *p; p++)
        assert_true((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'));
    json_t *sig = json_object_get(j, "signature");
    assert_int_equal(strlen(json_string_value(json_object_get(sig, "r"))), 144);
    assert_string_equal(json_string_value(json_object_get(j, "product_source")), "cpuid");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(j, "current_version"), "text")),
        "1.55.42");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "signer_info"),
                                                          "signing_key_name")),
                        "VCEK");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "reported_tcb"),
                                                          "layout")),
                        "milan_genoa");
    assert_null(json_object_get(json_object_get(j, "reported_tcb"), "fmc"));
    json_decref(j);
    kt_string_free(json);
    free(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_serialize_from_fields),
        cmocka_unit_test(test_text_layout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
