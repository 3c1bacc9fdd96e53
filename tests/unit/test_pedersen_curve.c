/*
 * The curve additions behind the Pedersen hash, on the cases a hash does
 * not reach with random inputs: the paired addition meeting infinity, an
 * addend equal to its accumulator (doubling) or its negation (infinity),
 * and the general addition's equal, opposite and infinite operands. Each
 * is compared with the single, careful kt_ec_add_affine or kt_ec_double.
 * And the divsteps inversion, against Fermat's.
 */
#include "testutil.h"

#include <string.h>

#include "katana_tee/felt.h"
#include "pedersen/curve.h"

/* Starknet's Pedersen point P1 (on the curve: test_pedersen_openssl checks it) */
static const char *const g_hex[2] = {
    "0x234287dcbaffe7f969c748655fca9e58fa8120b6d56eb0c1080d17957ebe47b",
    "0x3b056f100f96fb21e889527d41f4e39940135dd7a6c94cc6ed0268ee89e5615"};

static kt_fe fe_of(const char *hex) {
    kt_felt f;
    kt_error err = {0};
    assert_int_equal(kt_felt_parse(hex, strlen(hex), &f, "test felt", &err), KT_OK);
    kt_fe r;
    kt_fe_from_canonical(&r, f.limb);
    return r;
}

/* affine x and y as canonical limbs, or all-zero for infinity */
static void affine_of(const kt_ec_jac *p, uint64_t x[4], uint64_t y[4]) {
    kt_ec_affine a;
    kt_fe scratch[1];
    memset(x, 0, 4 * sizeof x[0]);
    memset(y, 0, 4 * sizeof y[0]);
    kt_ec_jac q = *p;
    kt_fe_reduce_once(q.z.v);
    if ((q.z.v[0] | q.z.v[1] | q.z.v[2] | q.z.v[3]) == 0)
        return;
    kt_ec_normalize_batch(&a, p, 1, scratch);
    kt_fe_to_canonical(x, &a.x);
    kt_fe_to_canonical(y, &a.y);
}

static void assert_same_point(const kt_ec_jac *a, const kt_ec_jac *b) {
    uint64_t ax[4], ay[4], bx[4], by[4];
    affine_of(a, ax, ay);
    affine_of(b, bx, by);
    assert_memory_equal(ax, bx, sizeof ax);
    assert_memory_equal(ay, by, sizeof ay);
}

/* g, 2g, 3g, ... as affine points */
static void multiples(kt_ec_affine *out, int n) {
    kt_ec_affine g = {fe_of(g_hex[0]), fe_of(g_hex[1])};
    kt_ec_jac acc, jac[8];
    kt_fe scratch[8];
    kt_ec_from_affine(&acc, &g);
    for (int i = 0; i < n; i++) {
        jac[i] = acc;
        kt_ec_add_affine(&acc, &g);
    }
    kt_ec_normalize_batch(out, jac, (size_t)n, scratch);
}

static kt_ec_affine negated(const kt_ec_affine *p) {
    kt_ec_affine r = *p;
    kt_fe zero = {{0, 0, 0, 0}};
    kt_fe_sub(&r.y, &zero, &p->y);
    return r;
}

/* add_affine2 on (r0 + b0, r1 + b1) equals two single additions */
static void check_pair(const kt_ec_jac *r0, const kt_ec_affine *b0, const kt_ec_jac *r1,
                       const kt_ec_affine *b1) {
    kt_ec_jac p0 = *r0, p1 = *r1, s0 = *r0, s1 = *r1;
    kt_ec_jac *rs[2] = {&p0, &p1};
    const kt_ec_affine *bs[2] = {b0, b1};
    kt_ec_add_affine2(rs, bs);
    kt_ec_add_affine(&s0, b0);
    kt_ec_add_affine(&s1, b1);
    assert_same_point(&p0, &s0);
    assert_same_point(&p1, &s1);
}

static void test_add_affine2_special_cases(void **state) {
    (void)state;
    kt_ec_init();
    kt_ec_affine m[4];
    multiples(m, 4); /* g, 2g, 3g, 4g */
    kt_ec_jac g, g2, inf;
    kt_ec_from_affine(&g, &m[0]);
    kt_ec_from_affine(&g2, &m[1]);
    memset(&inf, 0, sizeof inf);
    kt_ec_affine neg_g = negated(&m[0]);

    check_pair(&g, &m[1], &g2, &m[2]); /* the common case */
    check_pair(&inf, &m[1], &g2, &m[2]); /* first accumulator at infinity */
    check_pair(&g, &m[1], &inf, &m[2]);  /* second */
    check_pair(&g, &m[0], &g2, &m[2]);   /* g + g: a doubling */
    check_pair(&g, &m[1], &g2, &m[1]);   /* 2g + 2g */
    check_pair(&g, &neg_g, &g2, &m[2]);  /* g - g = infinity */

    /* and the values themselves: g + g = 2g, g - g = infinity */
    kt_ec_jac a = g, b = g2;
    kt_ec_jac *rs[2] = {&a, &b};
    const kt_ec_affine *bs[2] = {&m[0], &m[1]};
    kt_ec_add_affine2(rs, bs);
    kt_ec_jac want2, want4;
    kt_ec_from_affine(&want2, &m[1]);
    kt_ec_from_affine(&want4, &m[3]);
    assert_same_point(&a, &want2);
    assert_same_point(&b, &want4);
    a = g;
    b = g2;
    const kt_ec_affine *bn[2] = {&neg_g, &m[2]};
    kt_ec_add_affine2(rs, bn);
    assert_same_point(&a, &inf);
}

static void test_add_general(void **state) {
    (void)state;
    kt_ec_init();
    kt_ec_affine m[4];
    multiples(m, 4);
    kt_ec_jac g, g2, g3, inf, r;
    kt_ec_from_affine(&g, &m[0]);
    kt_ec_from_affine(&g2, &m[1]);
    kt_ec_from_affine(&g3, &m[2]);
    memset(&inf, 0, sizeof inf);
    /* a Jacobian point with Z != 1: 2g by doubling */
    kt_ec_jac d;
    kt_ec_double(&d, &g);
    r = g;
    kt_ec_add(&r, &d); /* g + 2g */
    assert_same_point(&r, &g3);
    r = d;
    kt_ec_add(&r, &g2); /* 2g + 2g (equal, different Z) */
    kt_ec_jac g4;
    kt_ec_from_affine(&g4, &m[3]);
    assert_same_point(&r, &g4);
    kt_ec_affine ng2 = negated(&m[1]);
    kt_ec_jac neg;
    kt_ec_from_affine(&neg, &ng2);
    r = d;
    kt_ec_add(&r, &neg); /* 2g - 2g */
    assert_same_point(&r, &inf);
    r = inf;
    kt_ec_add(&r, &g3);
    assert_same_point(&r, &g3);
    r = g3;
    kt_ec_add(&r, &inf);
    assert_same_point(&r, &g3);
}

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t next_u64(void) { /* xorshift64*, fixed seed */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1du;
}

static void expect_inverse(const kt_fe *a) {
    kt_fe fast, slow, prod;
    kt_ec_fe_inv(&fast, a);
    kt_ec_fe_inv_fermat(&slow, a);
    uint64_t f[4], s[4];
    kt_fe_to_canonical(f, &fast);
    kt_fe_to_canonical(s, &slow);
    if (memcmp(f, s, sizeof f) != 0)
        fail_msg("inverse of %016llx%016llx%016llx%016llx: divsteps and Fermat differ",
                 (unsigned long long)a->v[3], (unsigned long long)a->v[2],
                 (unsigned long long)a->v[1], (unsigned long long)a->v[0]);
    kt_fe_mul(&prod, a, &fast);
    uint64_t one[4], want[4] = {1, 0, 0, 0};
    kt_fe_to_canonical(one, &prod);
    assert_memory_equal(one, want, sizeof one);
}

/* The divsteps inversion against Fermat's, and a * 1/a = 1: the edges
 * (1, 2, p - 1, p - 2, powers of two, values lazily above p) and
 * thousands of random values, in Montgomery form and as raw limbs. */
static void test_inverse(void **state) {
    (void)state;
    kt_ec_init();
    kt_fe r3;
    kt_fe_mul(&r3, &kt_fe_r2, &kt_fe_r2); /* R^4 / R */
    assert_memory_equal(r3.v, kt_ec_r3.v, sizeof r3.v);
    const uint64_t p3 = KT_FE_P3;
    const kt_fe raw[] = {
        {{1, 0, 0, 0}},         {{2, 0, 0, 0}},          {{0, 0, 0, p3}},       /* p - 1 */
        {{UINT64_MAX, UINT64_MAX, UINT64_MAX, p3 - 1}},                        /* p - 2 */
        {{0, 0, 0, UINT64_C(1) << 58}}, {{0, 1, 0, 0}},  {{3, 0, 0, p3}},       /* p + 2 */
        {{UINT64_MAX, UINT64_MAX, UINT64_MAX, 2 * p3}},                        /* 2p - 1 */
        {{0, 0, 0, 1}},         {{1, 0, 0, p3}},                                /* p: zero */
    };
    for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++) {
        kt_fe z = raw[i];
        kt_fe_weak(z.v);
        kt_fe_reduce_once(z.v);
        if ((z.v[0] | z.v[1] | z.v[2] | z.v[3]) == 0) { /* 1/0 = 0 by contract */
            kt_fe r;
            kt_ec_fe_inv(&r, &raw[i]);
            assert_true((r.v[0] | r.v[1] | r.v[2] | r.v[3]) == 0);
            continue;
        }
        expect_inverse(&raw[i]);
    }
    for (int i = 0; i < 5000; i++) {
        kt_fe a = {{next_u64(), next_u64(), next_u64(), next_u64() & ((UINT64_C(1) << 60) - 1)}}; /* below 2^252 < 2p */
        if ((a.v[0] | a.v[1] | a.v[2] | a.v[3]) == 0)
            continue;
        expect_inverse(&a);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_affine2_special_cases),
        cmocka_unit_test(test_add_general),
        cmocka_unit_test(test_inverse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
