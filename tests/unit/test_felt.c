/* Felts: parsing, text and byte forms, and the field arithmetic. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "felt/fe.h"
#include "katana_tee/felt.h"

#define P_HEX "0x800000000000011000000000000000000000000000000000000000000000001"
#define PM1_HEX "0x800000000000011000000000000000000000000000000000000000000000000"
#define PM1_DEC "3618502788666131213697322783095070105623107215331596699973092056135872020480"
#define P_DEC "3618502788666131213697322783095070105623107215331596699973092056135872020481"

static kt_status parse(const char *s, kt_felt *out, kt_error *err) {
    return kt_felt_parse(s, strlen(s), out, "--state-root", err);
}

static void assert_parses_to(const char *s, const char *hex) {
    kt_felt f;
    kt_error err = {0};
    if (parse(s, &f, &err) != KT_OK)
        fail_msg("%s rejected: %s", s, err.message);
    char out[KT_FELT_HEX_MAX];
    kt_felt_to_hex(&f, out);
    assert_string_equal(out, hex);
}

static void assert_rejected(const char *s, kt_status want) {
    kt_felt f;
    kt_error err = {0};
    kt_status st = parse(s, &f, &err);
    if (st != want)
        fail_msg("\"%s\": status %d (%s), want %d", s, st, err.message, want);
    assert_int_equal(err.status, want);
    assert_non_null(strstr(err.message, "--state-root"));
    assert_null(strchr(err.message, '\n'));
}

/* Every `invalid` entry of the shared vectors is rejected. */
static void test_invalid_vectors(void **state) {
    (void)state;
    json_t *v = kt_test_load_json("vectors/poseidon.json");
    json_t *cases = json_object_get(v, "invalid");
    assert_true(json_array_size(cases) > 0);
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        const char *in = json_string_value(json_object_get(c, "input"));
        const char *why = json_string_value(json_object_get(c, "why"));
        assert_non_null(in);
        kt_felt f;
        kt_error err = {0};
        kt_status st = kt_felt_parse(in, strlen(in), &f, "vector", &err);
        if (st == KT_OK)
            fail_msg("invalid #%zu (%s) accepted: \"%s\"", i, why, in);
        assert_true(err.message[0] != '\0');
    }
    json_decref(v);
}

static void test_parse_accepts(void **state) {
    (void)state;
    assert_parses_to("0", "0x0");
    assert_parses_to("0x0", "0x0");
    assert_parses_to("0x0000", "0x0");
    assert_parses_to("1", "0x1");
    assert_parses_to("0x1", "0x1");
    assert_parses_to("0X1", "0x1");
    assert_parses_to("255", "0xff");
    assert_parses_to("0xFF", "0xff");
    assert_parses_to("0xaBcD", "0xabcd");
    assert_parses_to("007", "0x7");
    assert_parses_to("18446744073709551616", "0x10000000000000000");
    assert_parses_to(PM1_HEX, PM1_HEX);
    assert_parses_to(PM1_DEC, PM1_HEX);
    /* 64 hex digits with leading zeros */
    assert_parses_to("0x0000000000000000000000000000000000000000000000000000000000000001", "0x1");
    assert_parses_to("0x0800000000000011000000000000000000000000000000000000000000000000", PM1_HEX);
    /* 2^251 - 1 */
    assert_parses_to("0x7ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
                     "0x7ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
    /* len, not NUL, bounds the text */
    kt_felt f;
    assert_int_equal(kt_felt_parse("12345", 2, &f, "x", NULL), KT_OK);
    assert_true(kt_felt_equal(&f, &(kt_felt){{12, 0, 0, 0}}));
}

static void test_parse_rejects(void **state) {
    (void)state;
    assert_rejected("", KT_E_PARSE);
    assert_rejected("0x", KT_E_PARSE);
    assert_rejected("0X", KT_E_PARSE);
    assert_rejected("-1", KT_E_PARSE);
    assert_rejected("+1", KT_E_PARSE);
    assert_rejected("-0x1", KT_E_PARSE);
    assert_rejected("0xg1", KT_E_PARSE);
    assert_rejected("0x1 ", KT_E_PARSE);
    assert_rejected(" 1", KT_E_PARSE);
    assert_rejected("1a", KT_E_PARSE);
    assert_rejected("0x0x1", KT_E_PARSE);
    assert_rejected("1.0", KT_E_PARSE);
    assert_rejected("x1", KT_E_PARSE);
    assert_rejected(P_HEX, KT_E_RANGE);
    assert_rejected(P_DEC, KT_E_RANGE);
    assert_rejected("0x800000000000011000000000000000000000000000000000000000000000002", KT_E_RANGE);
    assert_rejected("0x1000000000000000000000000000000000000000000000000000000000000000", KT_E_RANGE);
    /* 2^256 - 1, in hex and decimal */
    assert_rejected("0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", KT_E_RANGE);
    assert_rejected("115792089237316195423570985008687907853269984665640564039457584007913129639935",
                    KT_E_RANGE);
    /* 2^256: more than 32 bytes */
    assert_rejected("115792089237316195423570985008687907853269984665640564039457584007913129639936",
                    KT_E_TOO_LARGE);
    assert_rejected("0x10000000000000000000000000000000000000000000000000000000000000000",
                    KT_E_TOO_LARGE);
    /* 65 hex digits even if the value is small */
    assert_rejected("0x00000000000000000000000000000000000000000000000000000000000000001",
                    KT_E_TOO_LARGE);
    /* 79 decimal digits */
    assert_rejected("0000000000000000000000000000000000000000000000000000000000000000000000000000001",
                    KT_E_TOO_LARGE);
    /* the message names the input and says why */
    kt_felt f;
    kt_error err = {0};
    assert_int_equal(parse(P_HEX, &f, &err), KT_E_RANGE);
    assert_string_equal(err.message, "--state-root: " P_HEX " is not below the Stark prime");
    /* NULL output is refused, not dereferenced */
    assert_int_equal(kt_felt_parse("1", 1, NULL, "x", NULL), KT_E_INVALID_ARG);
}

static void test_hex_and_bytes(void **state) {
    (void)state;
    kt_felt z = kt_felt_from_u64(0);
    char hex[KT_FELT_HEX_MAX];
    kt_felt_to_hex(&z, hex);
    assert_string_equal(hex, "0x0");
    kt_felt x = {{0x0123456789abcdefu, 0, 0x10u, 0}};
    kt_felt_to_hex(&x, hex);
    assert_string_equal(hex, "0x1000000000000000000123456789abcdef");

    kt_felt pm1;
    assert_int_equal(parse(PM1_HEX, &pm1, NULL), KT_OK);
    uint8_t be[32];
    kt_felt_to_be32(&pm1, be);
    uint8_t want[32];
    kt_test_hex("0800000000000011000000000000000000000000000000000000000000000000", want, 32);
    assert_memory_equal(be, want, 32);
    kt_felt back;
    assert_int_equal(kt_felt_from_be32(be, &back, NULL), KT_OK);
    assert_true(kt_felt_equal(&back, &pm1));
    /* p and 2^256-1 are refused */
    kt_test_hex("0800000000000011000000000000000000000000000000000000000000000001", be, 32);
    kt_error err = {0};
    assert_int_equal(kt_felt_from_be32(be, &back, &err), KT_E_RANGE);
    assert_non_null(strstr(err.message, "not below the Stark prime"));
    memset(be, 0xff, 32);
    assert_int_equal(kt_felt_from_be32(be, &back, NULL), KT_E_RANGE);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_vectors),
        cmocka_unit_test(test_parse_accepts),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_hex_and_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
