/*
 * Internal: Stark-field arithmetic in Montgomery form, R = 2^256.
 *
 * p = 2^251 + 17*2^192 + 1 has limbs (1, 0, 0, KT_FE_P3). Because
 * p == 1 (mod 2^192), -p^-1 == -1 (mod 2^64), and m*p = m + m*P3*2^192: a
 * Montgomery reduction step is one 64x64 multiplication by the top limb.
 * Better still, the first three steps collapse into one: adding
 * M = -T mod 2^192 clears the low three limbs of T at once (carry out:
 * T_low != 0) and M*p adds M*P3 at limb 3. The fourth step is a normal one.
 *
 * Every kt_fe holds a value in [0, p) (fully reduced), in Montgomery form
 * (x*R mod p). All functions are constant time: no branches or memory
 * accesses depend on the values, reductions select with masks.
 *
 * Static inline so that the Poseidon rounds inline them.
 */
#ifndef KT_FELT_FE_H
#define KT_FELT_FE_H

#include <stdint.h>

__extension__ typedef unsigned __int128 kt_u128;

typedef struct kt_fe {
    uint64_t v[4];
} kt_fe;

#define KT_FE_P3 UINT64_C(0x0800000000000011)

/* r = a if mask == 0, b if mask == all ones. */
static inline void kt_fe_select(uint64_t r[4], const uint64_t a[4], const uint64_t b[4],
                                uint64_t mask) {
    for (int i = 0; i < 4; i++)
        r[i] = a[i] ^ (mask & (a[i] ^ b[i]));
}

/* x in [0, 2p) -> [0, p). */
static inline void kt_fe_reduce_once(uint64_t x[4]) {
    uint64_t d[4];
    kt_u128 acc = (kt_u128)x[0] - 1u;
    d[0] = (uint64_t)acc;
    acc = (kt_u128)x[1] - (uint64_t)(acc >> 64 & 1u);
    d[1] = (uint64_t)acc;
    acc = (kt_u128)x[2] - (uint64_t)(acc >> 64 & 1u);
    d[2] = (uint64_t)acc;
    acc = (kt_u128)x[3] - KT_FE_P3 - (uint64_t)(acc >> 64 & 1u);
    d[3] = (uint64_t)acc;
    /* borrow out: x < p, keep x */
    uint64_t keep = (uint64_t)0 - (uint64_t)(acc >> 64 & 1u);
    kt_fe_select(x, d, x, keep);
}

/*
 * Montgomery reduction of a 512-bit t < p*2^256 (any product of two values
 * below ~5p): r = t / 2^256 mod p, in [0, p).
 */
static inline void kt_fe_redc(kt_fe *r, const uint64_t t[8]) {
    /* M = -t mod 2^192; t + M has its low 192 bits zero and carry c. */
    uint64_t m0 = (uint64_t)0 - t[0];
    uint64_t b0 = (t[0] != 0);
    uint64_t m1 = (uint64_t)0 - t[1] - b0;
    uint64_t b1 = (t[1] | b0) != 0;
    uint64_t m2 = (uint64_t)0 - t[2] - b1;
    uint64_t c = (t[0] | t[1] | t[2]) != 0;
    /* q = M * P3 (256 bits), added at limb 3 with c */
    kt_u128 q0 = (kt_u128)m0 * KT_FE_P3;
    kt_u128 q1 = (kt_u128)m1 * KT_FE_P3;
    kt_u128 q2 = (kt_u128)m2 * KT_FE_P3;
    kt_u128 acc = (kt_u128)t[3] + (uint64_t)q0 + c;
    uint64_t t3 = (uint64_t)acc;
    acc = (acc >> 64) + t[4] + (uint64_t)(q0 >> 64) + (uint64_t)q1;
    uint64_t t4 = (uint64_t)acc;
    acc = (acc >> 64) + t[5] + (uint64_t)(q1 >> 64) + (uint64_t)q2;
    uint64_t t5 = (uint64_t)acc;
    acc = (acc >> 64) + t[6] + (uint64_t)(q2 >> 64);
    uint64_t t6 = (uint64_t)acc;
    uint64_t t7 = (uint64_t)(acc >> 64) + t[7];
    /* fourth step: m3 = -t3; t3 + m3 carries (t3 != 0); m3*P3 at limb 6 */
    uint64_t m3 = (uint64_t)0 - t3;
    kt_u128 q3 = (kt_u128)m3 * KT_FE_P3;
    acc = (kt_u128)t4 + (t3 != 0);
    r->v[0] = (uint64_t)acc;
    acc = (acc >> 64) + t5;
    r->v[1] = (uint64_t)acc;
    acc = (acc >> 64) + t6 + (uint64_t)q3;
    r->v[2] = (uint64_t)acc;
    r->v[3] = (uint64_t)(acc >> 64) + t7 + (uint64_t)(q3 >> 64);
    kt_fe_reduce_once(r->v);
}

/* 256x256 -> 512-bit product, schoolbook, row by row. */
static inline void kt_fe_mul_wide(uint64_t t[8], const kt_fe *a, const kt_fe *b) {
    for (int i = 0; i < 8; i++)
        t[i] = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t carry = 0;
        for (int j = 0; j < 4; j++) {
            kt_u128 x = (kt_u128)a->v[i] * b->v[j] + t[i + j] + carry;
            t[i + j] = (uint64_t)x;
            carry = (uint64_t)(x >> 64);
        }
        t[i + 4] = carry;
    }
}

/* 256-bit square -> 512 bits: cross products once, doubled, plus the squares. */
static inline void kt_fe_sqr_wide(uint64_t t[8], const kt_fe *a) {
    const uint64_t *x = a->v;
    uint64_t c[8] = {0};
    /* cross products x_i*x_j, i < j */
    for (int i = 0; i < 3; i++) {
        uint64_t carry = 0;
        for (int j = i + 1; j < 4; j++) {
            kt_u128 y = (kt_u128)x[i] * x[j] + c[i + j] + carry;
            c[i + j] = (uint64_t)y;
            carry = (uint64_t)(y >> 64);
        }
        c[i + 4] = carry;
    }
    /* double (c < 2^448 so nothing is lost), then add the diagonal */
    c[7] = c[6] >> 63;
    for (int i = 6; i > 0; i--)
        c[i] = (c[i] << 1) | (c[i - 1] >> 63);
    c[0] <<= 1;
    kt_u128 acc = 0;
    for (int i = 0; i < 4; i++) {
        kt_u128 d = (kt_u128)x[i] * x[i];
        acc += (kt_u128)c[2 * i] + (uint64_t)d;
        t[2 * i] = (uint64_t)acc;
        acc = (acc >> 64) + c[2 * i + 1] + (uint64_t)(d >> 64);
        t[2 * i + 1] = (uint64_t)acc;
        acc >>= 64;
    }
}

static inline void kt_fe_mul(kt_fe *r, const kt_fe *a, const kt_fe *b) {
    uint64_t t[8];
    kt_fe_mul_wide(t, a, b);
    kt_fe_redc(r, t);
}

static inline void kt_fe_sqr(kt_fe *r, const kt_fe *a) {
    uint64_t t[8];
    kt_fe_sqr_wide(t, a);
    kt_fe_redc(r, t);
}

/* r = a^3 */
static inline void kt_fe_cube(kt_fe *r, const kt_fe *a) {
    kt_fe s;
    kt_fe_sqr(&s, a);
    kt_fe_mul(r, &s, a);
}

static inline void kt_fe_add(kt_fe *r, const kt_fe *a, const kt_fe *b) {
    /* a + b < 2p < 2^253: no carry out of limb 3 */
    kt_u128 acc = (kt_u128)a->v[0] + b->v[0];
    r->v[0] = (uint64_t)acc;
    acc = (acc >> 64) + a->v[1] + b->v[1];
    r->v[1] = (uint64_t)acc;
    acc = (acc >> 64) + a->v[2] + b->v[2];
    r->v[2] = (uint64_t)acc;
    r->v[3] = (uint64_t)(acc >> 64) + a->v[3] + b->v[3];
    kt_fe_reduce_once(r->v);
}

static inline void kt_fe_sub(kt_fe *r, const kt_fe *a, const kt_fe *b) {
    uint64_t d[4];
    kt_u128 acc = (kt_u128)a->v[0] - b->v[0];
    d[0] = (uint64_t)acc;
    acc = (kt_u128)a->v[1] - b->v[1] - (uint64_t)(acc >> 64 & 1u);
    d[1] = (uint64_t)acc;
    acc = (kt_u128)a->v[2] - b->v[2] - (uint64_t)(acc >> 64 & 1u);
    d[2] = (uint64_t)acc;
    acc = (kt_u128)a->v[3] - b->v[3] - (uint64_t)(acc >> 64 & 1u);
    d[3] = (uint64_t)acc;
    /* borrow: add p back (p = 1 + P3*2^192), masked */
    uint64_t mask = (uint64_t)0 - (uint64_t)(acc >> 64 & 1u);
    acc = (kt_u128)d[0] + (mask & 1u);
    r->v[0] = (uint64_t)acc;
    acc = (acc >> 64) + d[1];
    r->v[1] = (uint64_t)acc;
    acc = (acc >> 64) + d[2];
    r->v[2] = (uint64_t)acc;
    r->v[3] = (uint64_t)(acc >> 64) + d[3] + (mask & KT_FE_P3);
}

/* Montgomery constants: R mod p (one) and R^2 mod p (for conversion in). */
static const kt_fe kt_fe_one = {{UINT64_C(0xffffffffffffffe1), UINT64_C(0xffffffffffffffff),
                                 UINT64_C(0xffffffffffffffff), UINT64_C(0x07fffffffffffdf0)}};
static const kt_fe kt_fe_r2 = {{UINT64_C(0xfffffd737e000401), UINT64_C(0x00000001330fffff),
                                UINT64_C(0xffffffffff6f8000), UINT64_C(0x07ffd4ab5e008810)}};

/* Canonical limbs (< p) -> Montgomery form. */
static inline void kt_fe_from_canonical(kt_fe *r, const uint64_t a[4]) {
    kt_fe x = {{a[0], a[1], a[2], a[3]}};
    kt_fe_mul(r, &x, &kt_fe_r2);
}

/* Montgomery form -> canonical limbs. */
static inline void kt_fe_to_canonical(uint64_t r[4], const kt_fe *a) {
    uint64_t t[8] = {a->v[0], a->v[1], a->v[2], a->v[3], 0, 0, 0, 0};
    kt_fe out;
    kt_fe_redc(&out, t);
    for (int i = 0; i < 4; i++)
        r[i] = out.v[i];
}

#endif
