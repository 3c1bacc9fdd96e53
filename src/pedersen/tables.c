/*
 * The Pedersen hash with fixed-base tables (see pedersen_internal.h).
 *
 * pedersen(a, b) = x(P0 + a_low*P1 + a_high*P2 + b_low*P3 + b_high*P4),
 * x_low = x mod 2^248, x_high = x >> 248 (below 16). For each input:
 *   - bits 0..246 are recoded into 19 signed 13-bit digits d_w in
 *     [-4095, 4096] (a window above 4096 becomes w - 8192 with a carry into
 *     the next); window[base][w][|d|-1] holds |d|*2^(13w)*P_low in affine
 *     form, and a negative digit adds the point with y negated;
 *   - the rest, top = bit 247 + the last carry (0..2) and x_high, is one
 *     entry of a small table: top*2^247*P_low + x_high*P_high, with P0
 *     folded into the first input's.
 * A hash is then at most 19 + 20 mixed additions (the sum starts from the
 * first input's top entry) and one inversion. The tables (2 x 19 x 4096 +
 * 2 x 48 points, 10 MB of static storage, zero until used) are built on
 * first use under pthread_once, in about 70 ms.
 */
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "felt/fe.h"
#include "pedersen/pedersen_internal.h"

#define WINDOW_BITS 13
#define LOW_WINDOWS 19                         /* bits 0..246 */
#define WINDOW_POINTS (1 << (WINDOW_BITS - 1)) /* |digit| 1..4096 */
#define TOP_ENTRIES (3 * 16)                   /* (bit 247 + carry) x high nibble */

/* one 64-byte cache line per point */
static kt_ec_affine low_table[2][LOW_WINDOWS][WINDOW_POINTS] __attribute__((aligned(64)));
/* top_table[t][top * 16 + high]; [1][0] is infinity and never used */
static kt_ec_affine top_table[2][TOP_ENTRIES] __attribute__((aligned(64)));
static int tables_ok;
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

/*
 * top_table[t]: top*top_base + high*high_point (+ shift for t = 0), for
 * top 0..2 and high 0..15. False if an entry the hash may use is infinity
 * (it is not for Starknet's points; checked rather than assumed).
 */
static bool build_top(int t, const kt_ec_affine *top_base, const kt_ec_affine *high_point,
                      const kt_ec_affine *shift, kt_ec_jac *jac, kt_fe *scratch) {
    kt_ec_jac highs[16], tops[3];
    memset(&highs[0], 0, sizeof highs[0]); /* 0*P */
    kt_ec_multiples(highs + 1, high_point, 15);
    memset(&tops[0], 0, sizeof tops[0]);
    kt_ec_multiples(tops + 1, top_base, 2);
    kt_ec_jac s;
    if (shift)
        kt_ec_from_affine(&s, shift);
    for (int top = 0; top < 3; top++)
        for (int high = 0; high < 16; high++) {
            kt_ec_jac *e = &jac[top * 16 + high];
            *e = tops[top];
            kt_ec_add(e, &highs[high]);
            if (shift)
                kt_ec_add(e, &s);
        }
    size_t first = shift ? 0 : 1; /* without the shift, entry 0 is infinity */
    for (size_t k = first; k < TOP_ENTRIES; k++)
        if (kt_ec_is_infinity(&jac[k]))
            return false;
    kt_ec_normalize_batch(top_table[t] + first, jac + first, TOP_ENTRIES - first, scratch);
    return true;
}

/* Build the tables. Allocates nothing, so it cannot fail at run time. */
static void build_tables(void) {
    const kt_ec_affine *points = kt_pedersen_points();
    if (!points)
        return;

    /* one window at a time: a small scratch, 38 inversions in all */
    static kt_ec_jac jac[WINDOW_POINTS];
    static kt_fe scratch[WINDOW_POINTS];
    for (int t = 0; t < 2; t++) {
        /* base_w = 2^(13w) * P, made affine window by window so the
         * multiples can use mixed additions */
        kt_ec_affine base = points[1 + 2 * t];
        for (int w = 0; w < LOW_WINDOWS; w++) {
            kt_ec_multiples(jac, &base, WINDOW_POINTS);
            kt_ec_normalize_batch(low_table[t][w], jac, WINDOW_POINTS, scratch);
            kt_ec_jac next = jac[WINDOW_POINTS - 1]; /* 4096*base */
            kt_ec_double(&next, &next);              /* 8192*base */
            kt_ec_normalize_batch(&base, &next, 1, scratch);
        }
        /* base is now 2^247 * P_low */
        if (!build_top(t, &base, &points[2 + 2 * t], t == 0 ? &points[0] : NULL, jac, scratch))
            return;
    }
    tables_ok = 1;
}

/* One addend: a table point, negated or not. */
typedef struct addend {
    const kt_ec_affine *point;
    bool negate;
} addend;

/* Bits [pos, pos + WINDOW_BITS) of the 256-bit little-endian limbs. */
static unsigned window_bits(const kt_felt *x, unsigned pos) {
    unsigned limb = pos / 64, shift = pos % 64;
    uint64_t v = x->limb[limb] >> shift;
    if (shift > 64 - WINDOW_BITS && limb < 3)
        v |= x->limb[limb + 1] << (64 - shift);
    return (unsigned)v & ((1u << WINDOW_BITS) - 1);
}

/*
 * The addends input t (0 = a, 1 = b) selects: bits 0..246 recoded into
 * signed digits, one addend per non-zero digit, and the index of its top
 * entry (bit 247 plus the last carry, then the high nibble).
 */
static size_t select_points(int t, const kt_felt *x, addend *out, unsigned *top_index) {
    kt_felt low = *x;
    low.limb[3] &= (UINT64_C(1) << 55) - 1; /* bits 0..246 */
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
    unsigned top = (unsigned)(x->limb[3] >> 55 & 1u) + carry;
    unsigned high = (unsigned)(x->limb[3] >> 56) & 15u; /* bits 248..251 (x < 2^252) */
    *top_index = top * 16 + high;
    return n;
}

/* The addends as points, negated where the digit is negative. */
static void load_points(const addend *adds, size_t n, kt_ec_affine *out) {
    static const kt_fe zero = {{0, 0, 0, 0}};
    for (size_t i = 0; i < n; i++) {
        out[i] = *adds[i].point;
        if (adds[i].negate)
            kt_fe_sub(&out[i].y, &zero, &out[i].y);
    }
}

kt_felt kt_pedersen_hash_tables(const kt_felt *a, const kt_felt *b) {
    pthread_once(&tables_once, build_tables);
    kt_felt out = {{0, 0, 0, 0}};
    if (!tables_ok)
        return out; /* constants that did not parse or a top entry at infinity: a build
                     * defect the tests catch */
    /* Gather the (at most 2 x 20) entries first and prefetch them all: the
     * tables are 10 MB, so the loads miss the caches, and issued together
     * their misses overlap instead of stalling one addition each. */
    addend adds[2][LOW_WINDOWS + 1];
    unsigned top[2];
    size_t n[2] = {select_points(0, a, adds[0], &top[0]), select_points(1, b, adds[1], &top[1])};
    if (top[1] != 0) { /* b's top entry is one more addend; a's starts the sum */
        adds[1][n[1]].point = &top_table[1][top[1]];
        adds[1][n[1]++].negate = false;
    }
    for (int t = 0; t < 2; t++)
        for (size_t i = 0; i < n[t]; i++)
            __builtin_prefetch(adds[t][i].point);
    kt_ec_affine pts[2][LOW_WINDOWS + 1];
    load_points(adds[0], n[0], pts[0]);
    load_points(adds[1], n[1], pts[1]);

    /* Two sums side by side (see kt_ec_add_affine2), a's from its top
     * entry (which holds P0) and b's from its first point, then one
     * general addition. */
    kt_ec_jac acc[2];
    kt_ec_from_affine(&acc[0], &top_table[0][top[0]]);
    memset(&acc[1], 0, sizeof acc[1]); /* infinity */
    size_t i = 0, k = 0;
    if (n[1] > 0)
        kt_ec_from_affine(&acc[1], &pts[1][k++]);
    kt_ec_jac *accs[2] = {&acc[0], &acc[1]};
    for (; i < n[0] && k < n[1]; i++, k++) {
        const kt_ec_affine *pair[2] = {&pts[0][i], &pts[1][k]};
        kt_ec_add_affine2(accs, pair);
    }
    for (; i < n[0]; i++)
        kt_ec_add_affine(&acc[0], &pts[0][i]);
    for (; k < n[1]; k++)
        kt_ec_add_affine(&acc[1], &pts[1][k]);
    kt_ec_add(&acc[0], &acc[1]);
    kt_fe x;
    /* The sum is never infinity for inputs below p (cairo-lang asserts
     * it); should it be, 0 is returned, as no affine x is. */
    if (kt_ec_affine_x(&x, &acc[0]))
        kt_fe_to_canonical(out.limb, &x);
    return out;
}
