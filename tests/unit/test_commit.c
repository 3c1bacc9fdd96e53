/* Report-data schema v0 against ../shared/vectors/katana-report-data.json. */
#include "testutil.h"

#include <string.h>

#include "katana_tee/commit.h"
#include "katana_tee/felt.h"

static kt_felt felt_field(json_t *c, const char *key) {
    const char *s = json_string_value(json_object_get(c, key));
    if (!s)
        fail_msg("case has no string %s", key);
    kt_felt f;
    kt_error err = {0};
    if (kt_felt_parse(s, strlen(s), &f, key, &err) != KT_OK)
        fail_msg("cannot parse %s: %s", key, err.message);
    return f;
}

static void test_v0_vectors(void **state) {
    (void)state;
    json_t *v = kt_test_load_json("vectors/katana-report-data.json");
    json_t *cases = json_object_get(v, "cases");
    assert_true(json_array_size(cases) > 0);
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        kt_felt root = felt_field(c, "state_root");
        kt_felt block = felt_field(c, "block_hash");

        kt_felt commitment = kt_commit_v0_felt(&root, &block);
        char hex[KT_FELT_HEX_MAX];
        kt_felt_to_hex(&commitment, hex);
        const char *want_c = json_string_value(json_object_get(c, "commitment"));
        assert_non_null(want_c);
        if (strcmp(hex, want_c) != 0)
            fail_msg("case %zu: commitment %s, want %s", i, hex, want_c);

        uint8_t rd[KT_REPORT_DATA_SIZE];
        memset(rd, 0xa5, sizeof rd);
        kt_commit_v0(&root, &block, rd);
        uint8_t want[KT_REPORT_DATA_SIZE];
        const char *want_rd = json_string_value(json_object_get(c, "report_data"));
        assert_non_null(want_rd);
        kt_test_hex(want_rd, want, sizeof want);
        assert_memory_equal(rd, want, sizeof want);
    }
    json_decref(v);
}

/* The commitment is order-sensitive and the tail is zero. */
static void test_v0_shape(void **state) {
    (void)state;
    kt_felt a = kt_felt_from_u64(1), b = kt_felt_from_u64(2);
    uint8_t ab[KT_REPORT_DATA_SIZE], ba[KT_REPORT_DATA_SIZE];
    kt_commit_v0(&a, &b, ab);
    kt_commit_v0(&b, &a, ba);
    assert_memory_not_equal(ab, ba, 32);
    static const uint8_t zero[32] = {0};
    assert_memory_equal(ab + 32, zero, 32);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v0_vectors),
        cmocka_unit_test(test_v0_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
