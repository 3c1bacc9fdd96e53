/*
 * Every rejection of the report codec on otherwise real reports
 * (../shared/fixtures/snp/): each reserved range (one test per range), bytes
 * that are fields in one version and reserved in another, field ranges and
 * bits; then lenient mode, which lists the same anomalies instead of failing,
 * and random bytes.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "katana_tee/report.h"
#include "report_fixtures.h"
#include "util/cursor.h"

/* ---- reserved ranges: one test per range -------------------------------------------- */

typedef struct reserved_case {
    const char *base; /* fixture of the version the range applies to */
    unsigned offset;  /* byte to corrupt */
    const char *name; /* what the message must name */
} reserved_case;


static const reserved_case rc_04c_first = {V3, 0x04c, "reserved bytes 0x04c..0x04f"};
static const reserved_case rc_04c_last = {V5, 0x04f, "reserved bytes 0x04c..0x04f"};
static const reserved_case rc_188_v2 = {V2, 0x188, "reserved bytes 0x188..0x19f"};
static const reserved_case rc_18a_v2 = {V2, 0x18a, "reserved bytes 0x188..0x19f"};
static const reserved_case rc_18b_v3 = {V3, 0x18b, "reserved bytes 0x18b..0x19f"};
static const reserved_case rc_19f_v4 = {V4, 0x19f, "reserved bytes 0x18b..0x19f"};
static const reserved_case rc_1eb = {V3, 0x1eb, "reserved bytes 0x1eb must be zero"};
static const reserved_case rc_1ef = {V2, 0x1ef, "reserved bytes 0x1ef must be zero"};
static const reserved_case rc_1f8_v2 = {V2, 0x1f8, "reserved bytes 0x1f8..0x29f"};
static const reserved_case rc_200_v4 = {V4, 0x200, "reserved bytes 0x1f8..0x29f"};
static const reserved_case rc_208_v5 = {V5, 0x208, "reserved bytes 0x208..0x29f"};
static const reserved_case rc_29f_v5 = {V5, 0x29f, "reserved bytes 0x208..0x29f"};
static const reserved_case rc_r_high = {V3, 0x2d0, "reserved bytes 0x2d0..0x2e7"};
static const reserved_case rc_r_top = {V2, 0x2e7, "reserved bytes 0x2d0..0x2e7"};
static const reserved_case rc_s_high = {V4, 0x318, "reserved bytes 0x318..0x32f"};
static const reserved_case rc_s_top = {V5, 0x32f, "reserved bytes 0x318..0x32f"};
static const reserved_case rc_sig_area = {V3, 0x330, "reserved bytes 0x330..0x49f"};
static const reserved_case rc_sig_end = {V2, 0x49f, "reserved bytes 0x330..0x49f"};

static void test_reserved(void **state) {
    const reserved_case *c = *state;
    uint8_t *b = load_report(c->base);
    b[c->offset] = 0x80;
    kt_report r;
    kt_error err = {0};
    assert_int_equal(kt_report_parse(b, KT_REPORT_SIZE, &r, &err), KT_E_RESERVED);
    if (!strstr(err.message, c->name))
        fail_msg("message '%s' does not name '%s'", err.message, c->name);
    char byte[32];
    snprintf(byte, sizeof byte, "byte 0x%03x is 0x80", c->offset);
    assert_non_null(strstr(err.message, byte));
    /* on failure nothing decoded is left behind */
    assert_int_equal(r.version, 0);

    kt_report_parse_opts opts = {true, KT_PRODUCT_UNKNOWN};
    kt_report_anomalies an;
    assert_int_equal(kt_report_parse_ex(b, KT_REPORT_SIZE, &opts, &r, &an, &err), KT_OK);
    assert_int_equal(an.count, 1);
    assert_int_equal(an.items[0].status, KT_E_RESERVED);
    assert_non_null(strstr(an.items[0].text, c->name));
    free(b);
}

/* Bytes that are fields in one version and reserved in another. */
static void test_version_dependent_fields(void **state) {
    (void)state;
    kt_report r;
    kt_error err = {0};
    /* v3+: CPUID bytes are fields */
    uint8_t *b = load_report(V3);
    b[0x18a] = 0x02;
    assert_int_equal(kt_report_parse(b, KT_REPORT_SIZE, &r, &err), KT_OK);
    assert_int_equal(r.cpuid_step, 2);
    /* v4 (v3 layout): the mitigation-vector bytes are still reserved */
    free(b);
    b = load_report(V5);
    kt_put_u64le(b + 0x1f8, 0x1234);
    kt_put_u64le(b + 0x200, 0x5678);
    assert_int_equal(kt_report_parse(b, KT_REPORT_SIZE, &r, &err), KT_OK);
    assert_int_equal(r.launch_mit_vector, 0x1234);
    assert_int_equal(r.current_mit_vector, 0x5678);
    /* the same bytes in a v4 report are reserved */
    kt_put_u32le(b, 4);
    assert_int_equal(kt_report_parse(b, KT_REPORT_SIZE, &r, &err), KT_E_RESERVED);
    assert_non_null(strstr(err.message, "0x1f8..0x29f"));
    free(b);
    /* a v2 report has neither: absent, not zero-valued fields */
    b = load_report(V2);
    assert_int_equal(kt_report_parse(b, KT_REPORT_SIZE, &r, &err), KT_OK);
    assert_false(r.has_cpuid);
    assert_false(r.has_mit_vector);
    free(b);
}

/* ---- field ranges -------------------------------------------------------------------------- */

static kt_status parse_mut(const char *base, void (*mut)(uint8_t *, uint32_t), uint32_t v,
                           kt_report *r, kt_error *err) {
    uint8_t *b = load_report(base);
    mut(b, v);
    kt_status st = kt_report_parse(b, KT_REPORT_SIZE, r, err);
    free(b);
    return st;
}

static void set_algo(uint8_t *b, uint32_t v) {
    kt_put_u32le(b + 0x34, v);
}
static void set_vmpl(uint8_t *b, uint32_t v) {
    kt_put_u32le(b + 0x30, v);
}
static void set_signer(uint8_t *b, uint32_t v) {
    kt_put_u32le(b + 0x48, v);
}
static void set_policy_lo(uint8_t *b, uint32_t v) {
    kt_put_u32le(b + 0x08, v);
}
static void set_policy_hi(uint8_t *b, uint32_t v) {
    kt_put_u32le(b + 0x0c, v);
}
static void set_platform(uint8_t *b, uint32_t v) {
    kt_put_u32le(b + 0x40, v);
}
static void set_platform_hi(uint8_t *b, uint32_t v) {
    kt_put_u32le(b + 0x44, v);
}

static void test_signature_algo(void **state) {
    (void)state;
    kt_report r;
    kt_error err = {0};
    assert_int_equal(parse_mut(V3, set_algo, 0, &r, &err), KT_E_UNSUPPORTED);
    assert_non_null(strstr(err.message, "signature algorithm 0 is not supported"));
    assert_int_equal(parse_mut(V3, set_algo, 2, &r, &err), KT_E_UNSUPPORTED);
    assert_non_null(strstr(err.message, "signature algorithm 2 is not supported"));
    assert_int_equal(parse_mut(V3, set_algo, 1, &r, &err), KT_OK);
}

static void test_vmpl(void **state) {
    (void)state;
    kt_report r;
    kt_error err = {0};
    for (uint32_t v = 0; v <= 3; v++) {
        assert_int_equal(parse_mut(V2, set_vmpl, v, &r, &err), KT_OK);
        assert_int_equal(r.vmpl, v);
    }
    assert_int_equal(parse_mut(V2, set_vmpl, 4, &r, &err), KT_E_RANGE);
    assert_string_equal(err.message, "VMPL 4 is out of range (0..3)");
    assert_int_equal(parse_mut(V2, set_vmpl, 0xffffffffu, &r, &err), KT_E_RANGE);
}

static void test_signing_key(void **state) {
    (void)state;
    kt_report r;
    kt_error err = {0};
    for (uint32_t key = 2; key <= 6; key++) {
        assert_int_equal(parse_mut(V3, set_signer, key << 2, &r, &err), KT_E_RANGE);
        char want[64];
        snprintf(want, sizeof want, "signing key %u is reserved", (unsigned)key);
        assert_non_null(strstr(err.message, want));
    }
    assert_int_equal(parse_mut(V3, set_signer, 7u << 2 | 3u, &r, &err), KT_OK);
    assert_int_equal(r.signing_key, KT_SIGNING_KEY_NONE);
    assert_true(r.author_key_en);
    assert_true(r.mask_chip_key);
    assert_int_equal(parse_mut(V3, set_signer, 1u << 5, &r, &err), KT_E_RESERVED);
    assert_non_null(strstr(err.message, "signer info bits 31:5 must be zero"));
    assert_int_equal(parse_mut(V3, set_signer, 0x80000000u, &r, &err), KT_E_RESERVED);
}

static void test_policy_and_platform_bits(void **state) {
    (void)state;
    kt_report r;
    kt_error err = {0};
    /* bit 17 must be one */
    assert_int_equal(parse_mut(V2, set_policy_lo, 0x10000, &r, &err), KT_E_RESERVED);
    assert_non_null(strstr(err.message, "policy bit 17 must be one"));
    /* reserved policy bits 26..63 and unknown platform bits never fail */
    assert_int_equal(parse_mut(V2, set_policy_lo, 0x04030000u, &r, &err), KT_OK);
    assert_int_equal(r.policy, 0x04030000u);
    assert_int_equal(parse_mut(V2, set_policy_hi, 0x80000000u, &r, &err), KT_OK);
    assert_int_equal(parse_mut(V2, set_platform, 0xffffffffu, &r, &err), KT_OK);
    assert_int_equal(parse_mut(V2, set_platform_hi, 0x80000000u, &r, &err), KT_OK);

    /* rendering names unknown bits */
    uint8_t *b = load_report(V5);
    kt_put_u64le(b + 0x08, 0x30000 | 1ull << 26 | 1ull << 63);
    kt_put_u64le(b + 0x40, 0x25 | 1ull << 6 | 1ull << 40);
    assert_int_equal(kt_report_parse(b, KT_REPORT_SIZE, &r, &err), KT_OK);
    char *text = NULL, *json = NULL;
    assert_int_equal(kt_report_to_text(&r, NULL, &text, &err), KT_OK);
    assert_non_null(strstr(text, "SMT, RESERVED_ONE, unknown bit 26, unknown bit 63"));
    assert_non_null(strstr(text, "SMT_EN, ECC_EN, ALIAS_CHECK_COMPLETE, unknown bit 6, unknown bit 40"));
    assert_int_equal(kt_report_to_json(&r, NULL, &json, &err), KT_OK);
    json_t *j = json_loads(json, 0, NULL);
    assert_non_null(j);
    json_t *pu = json_object_get(json_object_get(j, "policy"), "unknown_bits");
    assert_int_equal(json_array_size(pu), 2);
    assert_int_equal(json_integer_value(json_array_get(pu, 0)), 26);
    assert_int_equal(json_integer_value(json_array_get(pu, 1)), 63);
    json_t *pi = json_object_get(j, "platform_info");
    assert_string_equal(json_string_value(json_object_get(pi, "raw")), "0x0000010000000065");
    assert_true(json_is_true(json_object_get(pi, "alias_check_complete")));
    assert_int_equal(json_array_size(json_object_get(pi, "unknown_bits")), 2);
    json_decref(j);
    kt_string_free(text);
    kt_string_free(json);

    /* every bit set (found by fuzz_report: long lines must still render) */
    kt_put_u64le(b + 0x08, ~0ull);
    kt_put_u64le(b + 0x40, ~0ull);
    assert_int_equal(kt_report_parse(b, KT_REPORT_SIZE, &r, &err), KT_OK);
    assert_int_equal(kt_report_to_text(&r, NULL, &text, &err), KT_OK);
    assert_non_null(strstr(text, "PAGE_SWAP_DISABLE, unknown bit 26, unknown bit 27"));
    assert_non_null(strstr(text, "ALIAS_CHECK_COMPLETE, unknown bit 6, TIO_EN, unknown bit 8"));
    assert_non_null(strstr(text, "unknown bit 62, unknown bit 63\n  debug"));
    assert_int_equal(kt_report_to_json(&r, NULL, &json, &err), KT_OK);
    j = json_loads(json, 0, NULL);
    assert_int_equal(json_array_size(json_object_get(json_object_get(j, "policy"), "unknown_bits")),
                     38);
    assert_int_equal(
        json_array_size(json_object_get(json_object_get(j, "platform_info"), "unknown_bits")), 57);
    json_decref(j);
    kt_string_free(text);
    kt_string_free(json);
    free(b);
}

/* ---- lenient mode ----------------------------------------------------------------------------- */

static void test_lenient_lists_anomalies(void **state) {
    (void)state;
    uint8_t *b = load_report(V3);
    kt_put_u32le(b + 0x08, 0x10000); /* policy bit 17 clear */
    kt_put_u32le(b + 0x30, 4);       /* VMPL */
    kt_put_u32le(b + 0x34, 0);       /* algorithm */
    kt_put_u32le(b + 0x48, 3u << 2 | 1u << 9);
    b[0x1eb] = 1;
    b[0x400] = 1;
    kt_report r;
    kt_error err = {0};
    /* strict: the first in offset order */
    assert_int_equal(kt_report_parse(b, KT_REPORT_SIZE, &r, &err), KT_E_RESERVED);
    assert_non_null(strstr(err.message, "policy bit 17"));

    kt_report_parse_opts opts = {true, KT_PRODUCT_UNKNOWN};
    kt_report_anomalies an;
    assert_int_equal(kt_report_parse_ex(b, KT_REPORT_SIZE, &opts, &r, &an, &err), KT_OK);
    static const struct {
        kt_status st;
        const char *text;
    } want[] = {
        {KT_E_RESERVED, "policy bit 17"},
        {KT_E_RANGE, "VMPL 4"},
        {KT_E_UNSUPPORTED, "signature algorithm 0"},
        {KT_E_RESERVED, "signer info bits 31:5"},
        {KT_E_RANGE, "signing key 3"},
        {KT_E_RESERVED, "0x1eb"},
        {KT_E_RESERVED, "0x330..0x49f"},
    };
    assert_int_equal(an.count, sizeof want / sizeof want[0]);
    assert_false(an.truncated);
    for (size_t i = 0; i < an.count; i++) {
        assert_int_equal(an.items[i].status, want[i].st);
        if (!strstr(an.items[i].text, want[i].text))
            fail_msg("anomaly %zu '%s' lacks '%s'", i, an.items[i].text, want[i].text);
    }
    /* what could be decoded was */
    assert_int_equal(r.vmpl, 4);
    assert_int_equal(r.signing_key, 3);
    assert_int_equal(r.product, KT_PRODUCT_GENOA);
    char *text = NULL, *json = NULL;
    assert_int_equal(kt_report_to_text(&r, &an, &text, &err), KT_OK);
    assert_non_null(strstr(text, "Anomalies (7)"));
    assert_non_null(strstr(text, "signing key 3 is reserved"));
    assert_int_equal(kt_report_to_json(&r, &an, &json, &err), KT_OK);
    json_t *j = json_loads(json, 0, NULL);
    json_t *list = json_object_get(j, "anomalies");
    assert_int_equal(json_array_size(list), 7);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 1), "status")),
                        "KT_E_RANGE");
    json_decref(j);
    kt_string_free(text);
    kt_string_free(json);
    free(b);
}

/* Random bytes: never crash; strict rejects, lenient decodes with anomalies. */
static void test_random_bytes(void **state) {
    (void)state;
    uint32_t seed = 20261124;
    uint8_t *b = malloc(KT_REPORT_SIZE);
    for (int round = 0; round < 2000; round++) {
        for (size_t i = 0; i < KT_REPORT_SIZE; i++) {
            seed = seed * 1103515245u + 12345u;
            b[i] = (uint8_t)(seed >> 16);
        }
        if (round % 2)
            kt_put_u32le(b, 2 + (uint32_t)round % 4);
        kt_report r;
        kt_error err = {0};
        assert_int_not_equal(kt_report_parse(b, KT_REPORT_SIZE, &r, &err), KT_OK);
        kt_report_parse_opts opts = {true, KT_PRODUCT_UNKNOWN};
        kt_report_anomalies an;
        kt_status st = kt_report_parse_ex(b, KT_REPORT_SIZE, &opts, &r, &an, &err);
        if (round % 2) {
            assert_int_equal(st, KT_OK);
            assert_true(an.count > 0);
            char *text = NULL;
            assert_int_equal(kt_report_to_text(&r, &an, &text, &err), KT_OK);
            kt_string_free(text);
        } else {
            assert_int_equal(st, KT_E_UNSUPPORTED);
        }
    }
    free(b);
}

#define RESERVED_TEST(c) cmocka_unit_test_prestate(test_reserved, (void *)&(c))

int main(void) {
    const struct CMUnitTest tests[] = {
        RESERVED_TEST(rc_04c_first),
        RESERVED_TEST(rc_04c_last),
        RESERVED_TEST(rc_188_v2),
        RESERVED_TEST(rc_18a_v2),
        RESERVED_TEST(rc_18b_v3),
        RESERVED_TEST(rc_19f_v4),
        RESERVED_TEST(rc_1eb),
        RESERVED_TEST(rc_1ef),
        RESERVED_TEST(rc_1f8_v2),
        RESERVED_TEST(rc_200_v4),
        RESERVED_TEST(rc_208_v5),
        RESERVED_TEST(rc_29f_v5),
        RESERVED_TEST(rc_r_high),
        RESERVED_TEST(rc_r_top),
        RESERVED_TEST(rc_s_high),
        RESERVED_TEST(rc_s_top),
        RESERVED_TEST(rc_sig_area),
        RESERVED_TEST(rc_sig_end),
        cmocka_unit_test(test_version_dependent_fields),
        cmocka_unit_test(test_signature_algo),
        cmocka_unit_test(test_vmpl),
        cmocka_unit_test(test_signing_key),
        cmocka_unit_test(test_policy_and_platform_bits),
        cmocka_unit_test(test_lenient_lists_anomalies),
        cmocka_unit_test(test_random_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
