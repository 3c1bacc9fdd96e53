/* Pedersen hash and hash_array against ../shared/vectors/katana-v1.json. */
#include "testutil.h"

#include <string.h>

#include "katana_tee/felt.h"
#include "katana_tee/pedersen.h"
#include "katana_tee/poseidon.h"

static kt_felt parse_felt(const char *s) {
    kt_felt f = {{0, 0, 0, 0}};
    kt_error err = {0};
    if (!s || kt_felt_parse(s, strlen(s), &f, "vector felt", &err) != KT_OK)
        fail_msg("bad vector felt %s: %s", s ? s : "(null)", err.message);
    return f;
}

/* inputs -> malloc'd felts */
static kt_felt *felts_of(json_t *arr, size_t *n) {
    *n = json_array_size(arr);
    kt_felt *xs = calloc(*n + 1, sizeof *xs);
    assert_non_null(xs);
    for (size_t i = 0; i < *n; i++)
        xs[i] = parse_felt(json_string_value(json_array_get(arr, i)));
    return xs;
}

static void expect_felt(const kt_felt *got, const char *want, const char *name) {
    char hex[KT_FELT_HEX_MAX];
    kt_felt_to_hex(got, hex);
    if (!want || strcmp(hex, want) != 0)
        fail_msg("%s: got %s, want %s", name, hex, want ? want : "(null)");
}

static void test_pedersen_hash_array_vectors(void **state) {
    (void)state;
    json_t *v = kt_test_load_json("vectors/katana-v1.json");
    json_t *cases = json_object_get(v, "pedersen_hash_array");
    assert_int_equal(json_array_size(cases), 13);
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        size_t n;
        kt_felt *xs = felts_of(json_object_get(c, "inputs"), &n);
        kt_felt h = kt_pedersen_hash_array(xs, n);
        expect_felt(&h, json_string_value(json_object_get(c, "hash")),
                    json_string_value(json_object_get(c, "name")));
        free(xs);
    }
    json_decref(v);
}

/* The fold by hand: hash_array([x]) = pedersen(pedersen(0, x), 1). */
static void test_pedersen_fold_shape(void **state) {
    (void)state;
    kt_felt zero = kt_felt_from_u64(0), one = kt_felt_from_u64(1), x = kt_felt_from_u64(7);
    kt_felt inner = kt_pedersen_hash(&zero, &x);
    kt_felt want = kt_pedersen_hash(&inner, &one);
    kt_felt got = kt_pedersen_hash_array(&x, 1);
    assert_true(kt_felt_equal(&got, &want));
    /* [] = pedersen(0, 0) = the shift point's x */
    kt_felt empty = kt_pedersen_hash_array(NULL, 0);
    expect_felt(&empty, "0x49ee3eba8c1600700ee1b87eb599f16716b0b1022947733551fde4050ca6804",
                "pedersen(0, 0)");
    /* order matters, and the high 4 bits of each input count */
    kt_felt ab = kt_pedersen_hash(&one, &x), ba = kt_pedersen_hash(&x, &one);
    assert_false(kt_felt_equal(&ab, &ba));
    kt_felt hi = parse_felt("0x100000000000000000000000000000000000000000000000000000000000000");
    kt_felt h1 = kt_pedersen_hash(&hi, &zero), h2 = kt_pedersen_hash(&zero, &hi);
    assert_false(kt_felt_equal(&h1, &h2));
    assert_false(kt_felt_equal(&h1, &empty));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pedersen_hash_array_vectors),
        cmocka_unit_test(test_pedersen_fold_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
