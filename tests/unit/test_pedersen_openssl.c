/*
 * The Pedersen hash against an independent computation: OpenSSL's
 * arbitrary-curve arithmetic (EC_GROUP over GF(p)) summing
 * P0 + a_low*P1 + a_high*P2 + b_low*P3 + b_high*P4 for hundreds of inputs
 * chosen to reach every table path: random felts, empty and full windows,
 * digits at the signed-recoding boundary (0x800, 0x801, 0xfff runs that
 * carry through every window), the 248-bit split, and p - 1. The vectors
 * in test_pedersen.c fix the answers; this catches a wrong table entry or
 * addition that the vectors happen to miss. Both ways of hashing (with and
 * without the fixed-base tables) are held to it, and the public function
 * (which switches from one to the other after 256 hashes) with them.
 */
#include "testutil.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <string.h>

#include "katana_tee/felt.h"
#include "katana_tee/pedersen.h"
#include "pedersen/pedersen_internal.h"

/* The STARK curve y^2 = x^3 + x + beta and Starknet's constant points
 * (cairo-lang pedersen_params.json), written out here, not taken from the
 * library. */
static const char *const stark_p = "800000000000011000000000000000000000000000000000000000000000001";
static const char *const stark_beta =
    "6f21413efbe40de150e596d72f7a8c5609ad26c15c915c1f4cdfcb99cee9e89";
static const char *const points_hex[5][2] = {
    {"49ee3eba8c1600700ee1b87eb599f16716b0b1022947733551fde4050ca6804",
     "3ca0cfe4b3bc6ddf346d49d06ea0ed34e621062c0e056c1d0405d266e10268a"},
    {"234287dcbaffe7f969c748655fca9e58fa8120b6d56eb0c1080d17957ebe47b",
     "3b056f100f96fb21e889527d41f4e39940135dd7a6c94cc6ed0268ee89e5615"},
    {"4fa56f376c83db33f9dab2656558f3399099ec1de5e3018b7a6932dba8aa378",
     "3fa0984c931c9e38113e0c0e47e4401562761f92a7a23b45168f4e80ff5b54d"},
    {"4ba4cc166be8dec764910f75b45f74b40c690c74709e90f3aa372f0bd2d6997",
     "40301cf5c1751f4b971e46c4ede85fcac5c59a5ce5ae7c48151f27b24b219c"},
    {"54302dcb0e6cc1c6e44cca8f61a63bb2ca65048d53fb325d36ff12c49a58202",
     "1b77b3e37d13504b348046268d8ae25ce98ad783c25561a879dcc77e99c2426"},
};

typedef struct curve {
    EC_GROUP *group;
    EC_POINT *pt[5];
    BN_CTX *bn;
} curve;

static BIGNUM *bn_hex(const char *hex) {
    BIGNUM *b = NULL;
    assert_true(BN_hex2bn(&b, hex) > 0);
    return b;
}

static void curve_init(curve *c) {
    c->bn = BN_CTX_new();
    BIGNUM *p = bn_hex(stark_p), *a = bn_hex("1"), *b = bn_hex(stark_beta);
    c->group = EC_GROUP_new_curve_GFp(p, a, b, c->bn);
    assert_non_null(c->group);
    for (int i = 0; i < 5; i++) {
        BIGNUM *x = bn_hex(points_hex[i][0]), *y = bn_hex(points_hex[i][1]);
        c->pt[i] = EC_POINT_new(c->group);
        /* set_affine_coordinates refuses a point off the curve */
        assert_int_equal(EC_POINT_set_affine_coordinates(c->group, c->pt[i], x, y, c->bn), 1);
        BN_free(x);
        BN_free(y);
    }
    BN_free(p);
    BN_free(a);
    BN_free(b);
}

static void curve_free(curve *c) {
    for (int i = 0; i < 5; i++)
        EC_POINT_free(c->pt[i]);
    EC_GROUP_free(c->group);
    BN_CTX_free(c->bn);
}

static BIGNUM *bn_of_felt(const kt_felt *f) {
    uint8_t be[32];
    for (int i = 0; i < 32; i++)
        be[i] = (uint8_t)(f->limb[3 - i / 8] >> (8 * (7 - i % 8)));
    BIGNUM *b = BN_bin2bn(be, 32, NULL);
    assert_non_null(b);
    return b;
}

/* acc += k * pt */
static void add_multiple(curve *c, EC_POINT *acc, const EC_POINT *pt, const BIGNUM *k) {
    EC_POINT *t = EC_POINT_new(c->group);
    assert_int_equal(EC_POINT_mul(c->group, t, NULL, pt, k, c->bn), 1);
    assert_int_equal(EC_POINT_add(c->group, acc, acc, t, c->bn), 1);
    EC_POINT_free(t);
}

/* x(P0 + a_low P1 + a_high P2 + b_low P3 + b_high P4) as lowercase hex */
static char *reference(curve *c, const kt_felt *a, const kt_felt *b) {
    EC_POINT *acc = EC_POINT_dup(c->pt[0], c->group);
    const kt_felt *in[2] = {a, b};
    for (int t = 0; t < 2; t++) {
        BIGNUM *v = bn_of_felt(in[t]);
        BIGNUM *high = BN_dup(v), *low = BN_dup(v);
        assert_int_equal(BN_rshift(high, high, 248), 1);
        if (BN_num_bits(low) > 248) /* BN_mask_bits refuses a shorter number */
            assert_int_equal(BN_mask_bits(low, 248), 1);
        add_multiple(c, acc, c->pt[1 + 2 * t], low);
        add_multiple(c, acc, c->pt[2 + 2 * t], high);
        BN_free(v);
        BN_free(high);
        BN_free(low);
    }
    BIGNUM *x = BN_new();
    if (EC_POINT_get_affine_coordinates(c->group, acc, x, NULL, c->bn) != 1) {
        char ah[KT_FELT_HEX_MAX], bh[KT_FELT_HEX_MAX];
        kt_felt_to_hex(a, ah);
        kt_felt_to_hex(b, bh);
        fail_msg("OpenSSL: no affine sum for (%s, %s) (infinity: %d)", ah, bh,
                 EC_POINT_is_at_infinity(c->group, acc));
    }
    char *hex = BN_bn2hex(x);
    for (char *q = hex; *q; q++)
        if (*q >= 'A' && *q <= 'F')
            *q = (char)(*q - 'A' + 'a');
    BN_free(x);
    EC_POINT_free(acc);
    return hex;
}

static void expect_hex(const char *path, const kt_felt *h, const char *want, const kt_felt *a,
                       const kt_felt *b) {
    char got[KT_FELT_HEX_MAX];
    kt_felt_to_hex(h, got);
    if (strncmp(got, "0x", 2) != 0 || strcmp(got + 2, want) != 0) {
        char ah[KT_FELT_HEX_MAX], bh[KT_FELT_HEX_MAX];
        kt_felt_to_hex(a, ah);
        kt_felt_to_hex(b, bh);
        fail_msg("pedersen(%s, %s) %s = %s, OpenSSL says 0x%s", ah, bh, path, got, want);
    }
}

/* both paths and the public function agree with OpenSSL */
static void expect_same(curve *c, const kt_felt *a, const kt_felt *b) {
    char *want = reference(c, a, b);
    const char *w = want;
    while (*w == '0' && w[1])
        w++; /* BN_bn2hex pads to whole bytes */
    kt_felt tables = kt_pedersen_hash_tables(a, b), direct = kt_pedersen_hash_direct(a, b);
    kt_felt public_fn = kt_pedersen_hash(a, b);
    expect_hex("with tables", &tables, w, a, b);
    expect_hex("without tables", &direct, w, a, b);
    expect_hex("(public)", &public_fn, w, a, b);
    OPENSSL_free(want);
}

static uint64_t rng_state = 0x853c49e6748fea9bu;

static uint64_t next_u64(void) { /* xorshift64*: fixed seed, same inputs every run */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1du;
}

/* a felt below p: 251 random bits, or p - 1 - (a small random) */
static kt_felt random_felt(void) {
    kt_felt f = {{next_u64(), next_u64(), next_u64(), next_u64() & ((UINT64_C(1) << 59) - 1)}};
    if (f.limb[3] > UINT64_C(0x0800000000000010))
        f.limb[3] = UINT64_C(0x0800000000000010);
    return f;
}

/* every 12-bit window of the low 248 bits set to w (the top one to w's low 8 bits) */
static kt_felt windows_of(unsigned w, unsigned high) {
    kt_felt f = {{0, 0, 0, 0}};
    for (unsigned pos = 0; pos < 248; pos += 12)
        for (unsigned bit = 0; bit < 12 && pos + bit < 248; bit++)
            if (w >> bit & 1u)
                f.limb[(pos + bit) / 64] |= UINT64_C(1) << ((pos + bit) % 64);
    f.limb[3] |= (uint64_t)high << 56;
    return f;
}

static void test_pedersen_matches_openssl_random(void **state) {
    (void)state;
    curve c;
    curve_init(&c);
    for (int i = 0; i < 300; i++) {
        kt_felt a = random_felt(), b = random_felt();
        expect_same(&c, &a, &b);
    }
    curve_free(&c);
}

static void test_pedersen_matches_openssl_edges(void **state) {
    (void)state;
    curve c;
    curve_init(&c);
    kt_felt edges[] = {
        {{0, 0, 0, 0}},
        {{1, 0, 0, 0}},
        {{UINT64_MAX, UINT64_MAX, UINT64_MAX, (UINT64_C(1) << 56) - 1}}, /* 2^248 - 1 */
        {{0, 0, 0, UINT64_C(1) << 56}},                                  /* 2^248 */
        {{0, 0, 0, UINT64_C(0x0800000000000011)}},                       /* p - 1 */
        windows_of(0x800, 0), /* every digit at the recoding boundary, no carry */
        windows_of(0x801, 1), /* every digit just over it: a carry out of each */
        windows_of(0xfff, 7), /* -1 with a carry through every window */
        windows_of(0x7ff, 8),
        windows_of(0x001, 0),
        {{0x800, 0, 0, 0}},
        {{0xfff, 0, 0, 0}},
    };
    size_t n = sizeof edges / sizeof edges[0];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            expect_same(&c, &edges[i], &edges[j]);
    curve_free(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pedersen_matches_openssl_random),
        cmocka_unit_test(test_pedersen_matches_openssl_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
