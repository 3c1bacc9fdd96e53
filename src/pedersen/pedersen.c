/*
 * The Starknet Pedersen hash with fixed-base tables.
 *
 * pedersen(a, b) = x(P0 + a_low*P1 + a_high*P2 + b_low*P3 + b_high*P4),
 * x_low = x mod 2^248, x_high = x >> 248 (at most 8 as x < p). Each 248-bit
 * part is recoded into 21 signed 12-bit digits d_w in [-2047, 2048]
 * (x_low = sum d_w 2^(12w)); table[base][w][|d|-1] holds |d|*2^(12w)*P_base
 * in affine form and a negative digit adds the point with y negated. A
 * hash is then at most 44 mixed additions and one inversion. The tables
 * (2 x 21 x 2048 + 2 x 15 points, 5.5 MB of static storage, zero until
 * used) are built on first use under pthread_once, in about 30 ms.
 */
#include "katana_tee/pedersen.h"

#include <pthread.h>
#include <string.h>

#include "felt/fe.h"
#include "pedersen/curve.h"

/* Starknet's constant points (cairo-lang pedersen_params.json, derived
 * from the digits of pi): P0 the shift point, P1/P2 for the first input's
 * low/high part, P3/P4 for the second's. */
static const char *const constant_points[5][2] = {
    {"0x49ee3eba8c1600700ee1b87eb599f16716b0b1022947733551fde4050ca6804",
     "0x3ca0cfe4b3bc6ddf346d49d06ea0ed34e621062c0e056c1d0405d266e10268a"},
    {"0x234287dcbaffe7f969c748655fca9e58fa8120b6d56eb0c1080d17957ebe47b",
     "0x3b056f100f96fb21e889527d41f4e39940135dd7a6c94cc6ed0268ee89e5615"},
    {"0x4fa56f376c83db33f9dab2656558f3399099ec1de5e3018b7a6932dba8aa378",
     "0x3fa0984c931c9e38113e0c0e47e4401562761f92a7a23b45168f4e80ff5b54d"},
    {"0x4ba4cc166be8dec764910f75b45f74b40c690c74709e90f3aa372f0bd2d6997",
     "0x40301cf5c1751f4b971e46c4ede85fcac5c59a5ce5ae7c48151f27b24b219c"},
    {"0x54302dcb0e6cc1c6e44cca8f61a63bb2ca65048d53fb325d36ff12c49a58202",
     "0x1b77b3e37d13504b348046268d8ae25ce98ad783c25561a879dcc77e99c2426"},
};

#define WINDOW_BITS 12
#define LOW_WINDOWS 21                             /* ceil(248 / 12) */
#define WINDOW_POINTS (1 << (WINDOW_BITS - 1))     /* |digit| 1..2048 */
#define HIGH_POINTS 15 /* a 4-bit high part */

static kt_ec_affine shift_point;
/* one 64-byte cache line per point */
static kt_ec_affine low_table[2][LOW_WINDOWS][WINDOW_POINTS] __attribute__((aligned(64)));
static kt_ec_affine high_table[2][HIGH_POINTS] __attribute__((aligned(64)));
static int tables_ok;
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

/* Hex digits -> canonical limbs -> Montgomery form. */
static int load_fe(kt_fe *r, const char *hex) {
    kt_felt f;
    if (kt_felt_parse(hex, strlen(hex), &f, "pedersen constant", NULL) != KT_OK)
        return 0;
    kt_fe_from_canonical(r, f.limb);
    return 1;
}

/* Fill out[k] = (k+1)*base for k < count (Jacobian, in jac), stepping by a
 * mixed addition of base. */
static void multiples(kt_ec_jac *jac, const kt_ec_affine *base, size_t count) {
    kt_ec_jac acc;
    kt_ec_from_affine(&acc, base);
    for (size_t k = 0; k < count; k++) {
        jac[k] = acc;
        kt_ec_add_affine(&acc, base);
    }
}

/* Build the tables. Allocates nothing, so it cannot fail at run time. */
static void build_tables(void) {
    kt_ec_init();
    kt_ec_affine points[5];
    for (int i = 0; i < 5; i++)
        if (!load_fe(&points[i].x, constant_points[i][0]) ||
            !load_fe(&points[i].y, constant_points[i][1]))
            return;
    shift_point = points[0];

    /* one window at a time: a small scratch, 62 inversions in all */
    static kt_ec_jac jac[WINDOW_POINTS];
    static kt_fe scratch[WINDOW_POINTS];
    for (int t = 0; t < 2; t++) {
        /* base_w = 2^(12w) * P, made affine window by window so the
         * multiples can use mixed additions */
        kt_ec_affine base = points[1 + 2 * t];
        for (int w = 0; w < LOW_WINDOWS; w++) {
            multiples(jac, &base, WINDOW_POINTS);
            kt_ec_normalize_batch(low_table[t][w], jac, WINDOW_POINTS, scratch);
            kt_ec_jac next = jac[WINDOW_POINTS - 1]; /* 2048*base */
            kt_ec_double(&next, &next);              /* 4096*base */
            kt_ec_normalize_batch(&base, &next, 1, scratch);
        }
        multiples(jac, &points[2 + 2 * t], HIGH_POINTS);
        kt_ec_normalize_batch(high_table[t], jac, HIGH_POINTS, scratch);
    }
    tables_ok = 1;
}

/* One addend: a table point, negated or not. */
typedef struct addend {
    const kt_ec_affine *point;
    bool negate;
} addend;

/* Bits [pos, pos + 12) of the 256-bit little-endian limbs. */
static unsigned window_bits(const kt_felt *x, unsigned pos) {
    unsigned limb = pos / 64, shift = pos % 64;
    uint64_t v = x->limb[limb] >> shift;
    if (shift > 64 - WINDOW_BITS && limb < 3)
        v |= x->limb[limb + 1] << (64 - shift);
    return (unsigned)v & ((1u << WINDOW_BITS) - 1);
}

/*
 * The addends input t (0 = a, 1 = b) selects: x_low recoded into signed
 * digits (a window above 2048 becomes w - 4096 with a carry into the next),
 * one addend per non-zero digit, then one for a non-zero x_high. The top
 * window holds bits 240..247 only, so its digit plus carry stays below 2048.
 */
static size_t select_points(int t, const kt_felt *x, addend *out) {
    kt_felt low = *x;
    low.limb[3] &= (UINT64_C(1) << 56) - 1; /* bits 0..247 */
    size_t n = 0;
    unsigned carry = 0;
    for (unsigned w = 0; w < LOW_WINDOWS; w++) {
        int d = (int)(window_bits(&low, w * WINDOW_BITS) + carry);
        carry = d > WINDOW_POINTS;
        if (carry)
            d -= 1 << WINDOW_BITS;
        if (d != 0) {
            out[n].point = &low_table[t][w][(d < 0 ? -d : d) - 1];
            out[n++].negate = d < 0;
        }
    }
    unsigned high = (unsigned)(x->limb[3] >> 56); /* bits 248..255, below 16 */
    if (high) {
        out[n].point = &high_table[t][high - 1];
        out[n++].negate = false;
    }
    return n;
}

kt_felt kt_pedersen_hash(const kt_felt *a, const kt_felt *b) {
    pthread_once(&tables_once, build_tables);
    kt_felt out = {{0, 0, 0, 0}};
    if (!tables_ok)
        return out; /* the constants did not parse: a build defect the tests catch */
    /* Gather the (at most 44) entries first and prefetch them all: the
     * tables are 5.5 MB, so the loads miss the caches, and issued
     * together their misses overlap instead of stalling one addition each. */
    addend adds[2 * (LOW_WINDOWS + 1)];
    size_t n = select_points(0, a, adds);
    n += select_points(1, b, adds + n);
    for (size_t i = 0; i < n; i++)
        __builtin_prefetch(adds[i].point);
    kt_ec_jac acc;
    kt_ec_from_affine(&acc, &shift_point);
    for (size_t i = 0; i < n; i++) {
        if (!adds[i].negate) {
            kt_ec_add_affine(&acc, adds[i].point);
            continue;
        }
        kt_ec_affine neg = {adds[i].point->x, {{0, 0, 0, 0}}};
        kt_fe zero = {{0, 0, 0, 0}};
        kt_fe_sub(&neg.y, &zero, &adds[i].point->y);
        kt_ec_add_affine(&acc, &neg);
    }
    kt_fe x;
    /* The sum is never infinity for inputs below p (cairo-lang asserts
     * it); should it be, 0 is returned, as no affine x is. */
    if (kt_ec_affine_x(&x, &acc))
        kt_fe_to_canonical(out.limb, &x);
    return out;
}

kt_felt kt_pedersen_hash_array(const kt_felt *xs, size_t n) {
    kt_felt h = {{0, 0, 0, 0}};
    for (size_t i = 0; i < n; i++)
        h = kt_pedersen_hash(&h, &xs[i]);
    kt_felt len = kt_felt_from_u64((uint64_t)n);
    return kt_pedersen_hash(&h, &len);
}
