/* Poseidon: known answers from ../shared/vectors/poseidon.json, plus a plain reference. */
#include "testutil.h"

#include <string.h>

#include "katana_tee/felt.h"
#include "katana_tee/poseidon.h"
#include "poseidon/poseidon_constants.h"
#include "poseidon/poseidon_internal.h"

static kt_felt felt_of(json_t *j) {
    const char *s = json_string_value(j);
    if (!s)
        fail_msg("vector value is not a string");
    kt_felt f;
    kt_error err = {0};
    if (kt_felt_parse(s, strlen(s), &f, "vector", &err) != KT_OK)
        fail_msg("cannot parse vector felt %s: %s", s, err.message);
    return f;
}

static void assert_felt_hex(const kt_felt *f, json_t *expected, const char *ctx, size_t idx) {
    char hex[KT_FELT_HEX_MAX];
    kt_felt_to_hex(f, hex);
    const char *want = json_string_value(expected);
    if (!want || strcmp(hex, want) != 0)
        fail_msg("%s #%zu: got %s, want %s", ctx, idx, hex, want ? want : "(null)");
}

static json_t *vectors(void) {
    return kt_test_load_json("vectors/poseidon.json");
}

static void test_permutation_vectors(void **state) {
    (void)state;
    json_t *v = vectors();
    json_t *cases = json_object_get(v, "permutation");
    assert_true(json_array_size(cases) > 0);
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        kt_felt s[3];
        for (size_t j = 0; j < 3; j++)
            s[j] = felt_of(json_array_get(json_object_get(c, "input"), j));
        kt_poseidon_permute(s);
        for (size_t j = 0; j < 3; j++)
            assert_felt_hex(&s[j], json_array_get(json_object_get(c, "output"), j), "permutation",
                            i);
    }
    json_decref(v);
}

static void test_hash_vectors(void **state) {
    (void)state;
    json_t *v = vectors();
    json_t *cases = json_object_get(v, "hash");
    assert_true(json_array_size(cases) > 0);
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        kt_felt a = felt_of(json_object_get(c, "a"));
        kt_felt b = felt_of(json_object_get(c, "b"));
        kt_felt h = kt_poseidon_hash(&a, &b);
        assert_felt_hex(&h, json_object_get(c, "hash"), "hash", i);
    }
    json_decref(v);
}

static void test_hash_single_vectors(void **state) {
    (void)state;
    json_t *v = vectors();
    json_t *cases = json_object_get(v, "hash_single");
    assert_true(json_array_size(cases) > 0);
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        kt_felt x = felt_of(json_object_get(c, "x"));
        kt_felt h = kt_poseidon_hash_single(&x);
        assert_felt_hex(&h, json_object_get(c, "hash"), "hash_single", i);
    }
    json_decref(v);
}

static void test_hash_many_vectors(void **state) {
    (void)state;
    json_t *v = vectors();
    json_t *cases = json_object_get(v, "hash_many");
    assert_true(json_array_size(cases) > 0);
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        json_t *in = json_object_get(c, "inputs");
        size_t n = json_array_size(in);
        kt_felt xs[128];
        assert_true(n <= 128);
        for (size_t j = 0; j < n; j++)
            xs[j] = felt_of(json_array_get(in, j));
        kt_felt h = kt_poseidon_hash_many(xs, n);
        assert_felt_hex(&h, json_object_get(c, "hash"), "hash_many", i);
    }
    json_decref(v);
}

/* The anchors named in the vectors' README, written out here as well. */
static void test_anchors(void **state) {
    (void)state;
    kt_felt one = kt_felt_from_u64(1), two = kt_felt_from_u64(2);
    kt_felt h = kt_poseidon_hash(&one, &two);
    char hex[KT_FELT_HEX_MAX];
    kt_felt_to_hex(&h, hex);
    assert_string_equal(hex, "0x5d44a3decb2b2e0cc71071f7b802f45dd792d064f0fc7316c46514f70f9891a");
    kt_felt s[3] = {kt_felt_from_u64(1), kt_felt_from_u64(2), kt_felt_from_u64(3)};
    kt_poseidon_permute(s);
    kt_felt_to_hex(&s[0], hex);
    assert_string_equal(hex, "0xfa8c9b6742b6176139365833d001e30e932a9bf7456d009b1b174f36d558c5");
}

/* hash(a, b) is the permutation of [a, b, 2]; hash_single(x) of [x, 0, 1];
 * hash_many of two elements is not hash(a, b) (padding differs). */
static void test_hash_definitions(void **state) {
    (void)state;
    kt_felt a = kt_felt_from_u64(0x1234), b = kt_felt_from_u64(0xabcdef);
    kt_felt s[3] = {a, b, kt_felt_from_u64(2)};
    kt_poseidon_permute(s);
    kt_felt h = kt_poseidon_hash(&a, &b);
    assert_true(kt_felt_equal(&h, &s[0]));
    kt_felt t[3] = {a, kt_felt_from_u64(0), kt_felt_from_u64(1)};
    kt_poseidon_permute(t);
    h = kt_poseidon_hash_single(&a);
    assert_true(kt_felt_equal(&h, &t[0]));
    kt_felt xs[2] = {a, b};
    kt_felt m = kt_poseidon_hash_many(xs, 2);
    h = kt_poseidon_hash(&a, &b);
    assert_false(kt_felt_equal(&m, &h));
}

/*
 * A plain reference permutation: the unfolded canonical constants, the MDS
 * as a matrix product, cubes by kt_felt_mul. It shares nothing with the
 * fast path but the field multiplication (tested on its own in test_felt).
 */
static kt_felt small(int64_t v) {
    if (v >= 0)
        return kt_felt_from_u64((uint64_t)v);
    kt_felt z = kt_felt_from_u64(0), m = kt_felt_from_u64((uint64_t)-v);
    return kt_felt_sub(&z, &m);
}

static void ref_permute(kt_felt s[3]) {
    static const int64_t M[3][3] = {{3, 1, 1}, {1, -1, 1}, {1, 1, -2}};
    for (int r = 0; r < 91; r++) {
        for (int j = 0; j < 3; j++) {
            kt_felt c;
            memcpy(c.limb, kt_poseidon_rc_canonical[r][j], sizeof c.limb);
            s[j] = kt_felt_add(&s[j], &c);
        }
        bool full = r < 4 || r >= 87;
        for (int j = full ? 0 : 2; j < 3; j++) {
            kt_felt sq = kt_felt_mul(&s[j], &s[j]);
            s[j] = kt_felt_mul(&sq, &s[j]);
        }
        kt_felt o[3];
        for (int i = 0; i < 3; i++) {
            o[i] = kt_felt_from_u64(0);
            for (int j = 0; j < 3; j++) {
                kt_felt k = small(M[i][j]);
                kt_felt x = kt_felt_mul(&k, &s[j]);
                o[i] = kt_felt_add(&o[i], &x);
            }
        }
        memcpy(s, o, sizeof o);
    }
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rnd(void) {
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static kt_felt random_felt(void) {
    for (;;) {
        uint8_t be[32];
        for (int i = 0; i < 32; i += 8) {
            uint64_t r = rnd();
            memcpy(be + i, &r, 8);
        }
        be[0] &= 0x0f;
        kt_felt f;
        if (kt_felt_from_be32(be, &f, NULL) == KT_OK)
            return f;
    }
}

static void test_against_reference(void **state) {
    (void)state;
    kt_felt pm1;
    assert_int_equal(kt_felt_parse("0x800000000000011000000000000000000000000000000000000000000000000",
                                   65, &pm1, "p-1", NULL),
                     KT_OK);
    for (int i = 0; i < 200; i++) {
        kt_felt s[3], r[3];
        for (int j = 0; j < 3; j++)
            s[j] = (i % 10 == 0) ? pm1 : random_felt();
        memcpy(r, s, sizeof s);
        kt_poseidon_permute(s);
        ref_permute(r);
        for (int j = 0; j < 3; j++)
            assert_true(kt_felt_equal(&s[j], &r[j]));
    }
}

/* hash_many equals the sponge written out with the permutation. */
static void test_hash_many_sponge(void **state) {
    (void)state;
    kt_felt xs[41];
    for (size_t i = 0; i < 41; i++)
        xs[i] = random_felt();
    for (size_t n = 0; n <= 41; n++) {
        kt_felt s[3] = {kt_felt_from_u64(0), kt_felt_from_u64(0), kt_felt_from_u64(0)};
        kt_felt padded[43];
        memcpy(padded, xs, n * sizeof xs[0]);
        size_t m = n;
        padded[m++] = kt_felt_from_u64(1);
        if (m % 2)
            padded[m++] = kt_felt_from_u64(0);
        for (size_t i = 0; i < m; i += 2) {
            s[0] = kt_felt_add(&s[0], &padded[i]);
            s[1] = kt_felt_add(&s[1], &padded[i + 1]);
            kt_poseidon_permute(s);
        }
        kt_felt h = kt_poseidon_hash_many(xs, n);
        assert_true(kt_felt_equal(&h, &s[0]));
    }
}

/* Every permutation path this build has gives the permutation vectors. */
static void test_paths_agree(void **state) {
    (void)state;
    json_t *v = vectors();
    json_t *cases = json_object_get(v, "permutation");
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        kt_fe s[3];
        kt_felt in[3];
        for (size_t j = 0; j < 3; j++) {
            in[j] = felt_of(json_array_get(json_object_get(c, "input"), j));
            kt_fe_from_canonical(&s[j], in[j].limb);
        }
        kt_fe a[3], b[3];
        memcpy(a, s, sizeof s);
        kt_poseidon_permute_fe_portable(a);
        for (size_t j = 0; j < 3; j++) {
            kt_felt out;
            kt_fe_to_canonical(out.limb, &a[j]);
            assert_felt_hex(&out, json_array_get(json_object_get(c, "output"), j), "portable", i);
        }
#ifdef KT_FE_HAVE_X86_ASM
        if (kt_fe_have_adx()) {
            memcpy(b, s, sizeof s);
            kt_poseidon_permute_fe_adx(b);
            for (size_t j = 0; j < 3; j++) {
                kt_felt out;
                kt_fe_to_canonical(out.limb, &b[j]);
                assert_felt_hex(&out, json_array_get(json_object_get(c, "output"), j), "adx", i);
            }
        } else {
            print_message("CPU without BMI2/ADX: assembly path not tested\n");
        }
#else
        (void)b;
#endif
    }
    json_decref(v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_permutation_vectors), cmocka_unit_test(test_hash_vectors),
        cmocka_unit_test(test_hash_single_vectors), cmocka_unit_test(test_hash_many_vectors),
        cmocka_unit_test(test_anchors),             cmocka_unit_test(test_hash_definitions),
        cmocka_unit_test(test_against_reference),   cmocka_unit_test(test_hash_many_sponge),
        cmocka_unit_test(test_paths_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
