/* STARK-curve point arithmetic for the Pedersen hash (see curve.h). */
#include "pedersen/curve.h"

#include <string.h>

#ifdef KT_FE_HAVE_X86_ASM
static int use_adx;
#endif

void kt_ec_init(void) {
#ifdef KT_FE_HAVE_X86_ASM
    use_adx = kt_fe_have_adx();
#endif
}

/* Reduced multiplication and squaring on whichever path the CPU runs. */
KT_FE_INLINE void fmul(kt_fe *r, const kt_fe *a, const kt_fe *b) {
#ifdef KT_FE_HAVE_X86_ASM
    if (use_adx) {
        kt_fe_mul_lazy_adx(r, a, b);
        kt_fe_reduce_once(r->v);
        return;
    }
#endif
    kt_fe_mul(r, a, b);
}

KT_FE_INLINE void fsqr(kt_fe *r, const kt_fe *a) {
#ifdef KT_FE_HAVE_X86_ASM
    if (use_adx) {
        kt_fe_mul_lazy_adx(r, a, a);
        kt_fe_reduce_once(r->v);
        return;
    }
#endif
    kt_fe_sqr(r, a);
}

KT_FE_INLINE bool fe_is_zero(const kt_fe *a) {
    return (a->v[0] | a->v[1] | a->v[2] | a->v[3]) == 0;
}

KT_FE_INLINE void fdbl(kt_fe *r, const kt_fe *a) {
    kt_fe_add(r, a, a);
}

void kt_ec_from_affine(kt_ec_jac *r, const kt_ec_affine *a) {
    r->x = a->x;
    r->y = a->y;
    r->z = kt_fe_one;
}

static void reduce_point(kt_ec_jac *r);

/* dbl-2007-bl with a = 1 (the STARK curve's alpha), on reduced values. */
void kt_ec_double(kt_ec_jac *r, const kt_ec_jac *in) {
    kt_ec_jac red = *in; /* lazy coordinates (below 4p) in: the sums below need them reduced */
    reduce_point(&red);
    const kt_ec_jac *a = &red;
    if (fe_is_zero(&a->z) || fe_is_zero(&a->y)) {
        memset(r, 0, sizeof *r); /* 2*O = O; a point with y = 0 has order 2 */
        return;
    }
    kt_fe xx, yy, yyyy, zz, s, m, t, tmp;
    fsqr(&xx, &a->x);
    fsqr(&yy, &a->y);
    fsqr(&yyyy, &yy);
    fsqr(&zz, &a->z);
    kt_fe_add(&s, &a->x, &yy);
    fsqr(&s, &s);
    kt_fe_sub(&s, &s, &xx);
    kt_fe_sub(&s, &s, &yyyy);
    fdbl(&s, &s); /* S = 2((X+YY)^2 - XX - YYYY) */
    fdbl(&m, &xx);
    kt_fe_add(&m, &m, &xx);
    fsqr(&tmp, &zz);
    kt_fe_add(&m, &m, &tmp); /* M = 3XX + ZZ^2 */
    fsqr(&t, &m);
    kt_fe_sub(&t, &t, &s);
    kt_fe_sub(&t, &t, &s); /* T = M^2 - 2S */
    kt_fe z3;
    kt_fe_add(&z3, &a->y, &a->z);
    fsqr(&z3, &z3);
    kt_fe_sub(&z3, &z3, &yy);
    kt_fe_sub(&z3, &z3, &zz);
    kt_fe y3;
    kt_fe_sub(&tmp, &s, &t);
    fmul(&y3, &m, &tmp);
    fdbl(&yyyy, &yyyy);
    fdbl(&yyyy, &yyyy);
    fdbl(&yyyy, &yyyy);
    kt_fe_sub(&y3, &y3, &yyyy);
    r->x = t;
    r->y = y3;
    r->z = z3;
}

/*
 * The mixed addition runs on lazily reduced values: coordinates below 2p
 * between additions (what kt_fe_mul_lazy returns), products below 2p,
 * sums and differences below 4p or 8p and brought back under 2p with
 * kt_fe_weak before the next sum. Skipping the full reduction after every
 * product is most of the hash's speed. Each step notes its bound.
 */
KT_FE_INLINE void lmul(kt_fe *r, const kt_fe *a, const kt_fe *b) { /* < 4p in, < 2p out */
#ifdef KT_FE_HAVE_X86_ASM
    if (use_adx) {
        kt_fe_mul_lazy_adx(r, a, b);
        return;
    }
#endif
    kt_fe_mul_lazy(r, a, b);
}

/* The add/adc chains of fe.h where gcc would otherwise build them from u128 carries. */
#ifdef KT_FE_HAVE_X86_ASM
#define ADD_RAW kt_fe_add_raw_x86
#define SUB_RAW kt_fe_sub_raw_x86
#define WEAK kt_fe_weak_x86
#else
#define ADD_RAW kt_fe_add_raw
#define SUB_RAW kt_fe_sub_raw
#define WEAK kt_fe_weak
#endif

/* k*p for small k: p = 1 + P3*2^192, so its limbs are (k, 0, 0, k*P3). */
static const kt_fe two_p = {{2u, 0u, 0u, 2u * KT_FE_P3}};
static const kt_fe four_p = {{4u, 0u, 0u, 4u * KT_FE_P3}};
static const kt_fe six_p = {{6u, 0u, 0u, 6u * KT_FE_P3}};

/* a - b + k*p for a < 2^256 - k*p and b <= a + k*p. */
KT_FE_INLINE void lsub(kt_fe *r, const kt_fe *a, const kt_fe *b, const kt_fe *kp) {
    kt_fe t;
    ADD_RAW(&t, a, kp);
    SUB_RAW(r, &t, b);
}

/* x (any 256-bit value) is 0 mod p: after the weak reduction (below 2p)
 * that is 0 or p, compared directly (a full reduction costs more). */
KT_FE_INLINE bool lzero(const kt_fe *x) {
    kt_fe t = *x;
    WEAK(t.v);
    return fe_is_zero(&t) ||
           (t.v[0] == 1 && (t.v[1] | t.v[2]) == 0 && t.v[3] == KT_FE_P3);
}

static void reduce_point(kt_ec_jac *r) {
    WEAK(r->x.v);
    kt_fe_reduce_once(r->x.v);
    WEAK(r->y.v);
    kt_fe_reduce_once(r->y.v);
    WEAK(r->z.v);
    kt_fe_reduce_once(r->z.v);
}

/* r = a^(2^n), lazily reduced. */
static void lsqr_n(kt_fe *r, const kt_fe *a, int n) {
    *r = *a;
    for (int i = 0; i < n; i++)
        lmul(r, r, r);
}

/*
 * a^(p-2), lazily reduced throughout and reduced at the end. p - 2 =
 * 2^251 + 2^196 + 2^192 - 1, evaluated from the top: x^(2^55 + 1), four
 * squarings, then twelve rounds of 16 squarings and a multiplication by
 * x^(2^16 - 1). 266 squarings and 17 multiplications.
 */
void kt_ec_fe_inv_fermat(kt_fe *r, const kt_fe *a) {
    kt_fe t2, t4, t8, t16, acc, tmp;
    lmul(&t2, a, a);
    lmul(&t2, &t2, a); /* 2^2 - 1 */
    lsqr_n(&tmp, &t2, 2);
    lmul(&t4, &tmp, &t2); /* 2^4 - 1 */
    lsqr_n(&tmp, &t4, 4);
    lmul(&t8, &tmp, &t4); /* 2^8 - 1 */
    lsqr_n(&tmp, &t8, 8);
    lmul(&t16, &tmp, &t8); /* 2^16 - 1 */
    lsqr_n(&acc, a, 55);
    lmul(&acc, &acc, a); /* 2^55 + 1 */
    lsqr_n(&acc, &acc, 4);
    for (int i = 0; i < 12; i++) {
        lsqr_n(&acc, &acc, 16);
        lmul(&acc, &acc, &t16);
    }
    kt_fe_reduce_once(acc.v);
    *r = acc;
}

/* madd-2007-bl; r's coordinates below 2p in and out, b reduced. */
void kt_ec_add_affine(kt_ec_jac *r, const kt_ec_affine *b) {
    if (lzero(&r->z)) {
        kt_ec_from_affine(r, b);
        return;
    }
    kt_fe z1z1, u2, s2, h, hh, i, j, rr, v, t;
    lmul(&z1z1, &r->z, &r->z);     /* < 2p */
    lmul(&u2, &b->x, &z1z1);        /* < 2p */
    lmul(&s2, &b->y, &r->z);
    lmul(&s2, &s2, &z1z1);          /* < 2p */
    lsub(&h, &u2, &r->x, &two_p);   /* < 4p */
    lsub(&rr, &s2, &r->y, &two_p);  /* < 4p */
    if (lzero(&h)) {
        if (lzero(&rr))
            kt_ec_double(r, r); /* it reduces its input itself */
        else
            memset(r, 0, sizeof *r); /* b = -r */
        return;
    }
    ADD_RAW(&rr, &rr, &rr);   /* < 8p */
    WEAK(rr.v);               /* < 2p */
    lmul(&hh, &h, &h);              /* < 2p */
    ADD_RAW(&i, &hh, &hh);
    ADD_RAW(&i, &i, &i);      /* 4HH < 8p */
    WEAK(i.v);                /* < 2p */
    lmul(&j, &h, &i);               /* < 2p */
    lmul(&v, &r->x, &i);            /* < 2p */
    kt_fe x3, y3, z3;
    lmul(&x3, &rr, &rr);            /* < 2p */
    lsub(&x3, &x3, &j, &six_p);     /* < 8p, and J + 2V < 6p keeps it positive */
    SUB_RAW(&x3, &x3, &v);
    SUB_RAW(&x3, &x3, &v);
    WEAK(x3.v);               /* < 2p */
    lsub(&t, &v, &x3, &two_p);      /* < 4p */
    lmul(&y3, &rr, &t);             /* < 2p */
    lmul(&t, &r->y, &j);
    ADD_RAW(&t, &t, &t);      /* 2 Y1 J < 4p */
    lsub(&y3, &y3, &t, &four_p);    /* < 6p */
    WEAK(y3.v);               /* < 2p */
    ADD_RAW(&z3, &r->z, &h);  /* < 6p */
    WEAK(z3.v);
    lmul(&z3, &z3, &z3);            /* < 2p */
    lsub(&z3, &z3, &z1z1, &four_p); /* < 6p, and Z1Z1 + HH < 4p keeps it positive */
    SUB_RAW(&z3, &z3, &hh);
    WEAK(z3.v);               /* < 2p */
    r->x = x3;
    r->y = y3;
    r->z = z3;
}

/*
 * Two independent madd-2007-bl additions, statement by statement side by
 * side, so the processor can overlap the two chains of dependent products:
 * measured about 20% faster per addition than kt_ec_add_affine. Any
 * special case (an accumulator at infinity, an addend equal to or the
 * negation of its accumulator) falls back to kt_ec_add_affine for both.
 */
void kt_ec_add_affine2(kt_ec_jac *r[2], const kt_ec_affine *b[2]) {
    if (lzero(&r[0]->z) || lzero(&r[1]->z)) {
        kt_ec_add_affine(r[0], b[0]);
        kt_ec_add_affine(r[1], b[1]);
        return;
    }
    kt_fe z1z1[2], u2[2], s2[2], h[2], hh[2], i[2], j[2], rr[2], v[2], t[2];
    kt_fe x3[2], y3[2], z3[2];
    /* the bounds are those of kt_ec_add_affine, step for step */
    for (int k = 0; k < 2; k++)
        lmul(&z1z1[k], &r[k]->z, &r[k]->z);
    for (int k = 0; k < 2; k++)
        lmul(&u2[k], &b[k]->x, &z1z1[k]);
    for (int k = 0; k < 2; k++)
        lmul(&s2[k], &b[k]->y, &r[k]->z);
    for (int k = 0; k < 2; k++)
        lmul(&s2[k], &s2[k], &z1z1[k]);
    for (int k = 0; k < 2; k++) {
        lsub(&h[k], &u2[k], &r[k]->x, &two_p);
        lsub(&rr[k], &s2[k], &r[k]->y, &two_p);
    }
    if (lzero(&h[0]) || lzero(&h[1])) {
        kt_ec_add_affine(r[0], b[0]); /* nothing written yet: redo both the careful way */
        kt_ec_add_affine(r[1], b[1]);
        return;
    }
    for (int k = 0; k < 2; k++) {
        ADD_RAW(&rr[k], &rr[k], &rr[k]);
        WEAK(rr[k].v);
    }
    for (int k = 0; k < 2; k++)
        lmul(&hh[k], &h[k], &h[k]);
    for (int k = 0; k < 2; k++) {
        ADD_RAW(&i[k], &hh[k], &hh[k]);
        ADD_RAW(&i[k], &i[k], &i[k]);
        WEAK(i[k].v);
    }
    for (int k = 0; k < 2; k++)
        lmul(&j[k], &h[k], &i[k]);
    for (int k = 0; k < 2; k++)
        lmul(&v[k], &r[k]->x, &i[k]);
    for (int k = 0; k < 2; k++)
        lmul(&x3[k], &rr[k], &rr[k]);
    for (int k = 0; k < 2; k++) {
        lsub(&x3[k], &x3[k], &j[k], &six_p);
        SUB_RAW(&x3[k], &x3[k], &v[k]);
        SUB_RAW(&x3[k], &x3[k], &v[k]);
        WEAK(x3[k].v);
        lsub(&t[k], &v[k], &x3[k], &two_p);
    }
    for (int k = 0; k < 2; k++)
        lmul(&y3[k], &rr[k], &t[k]);
    for (int k = 0; k < 2; k++)
        lmul(&t[k], &r[k]->y, &j[k]);
    for (int k = 0; k < 2; k++) {
        ADD_RAW(&t[k], &t[k], &t[k]);
        lsub(&y3[k], &y3[k], &t[k], &four_p);
        WEAK(y3[k].v);
        ADD_RAW(&z3[k], &r[k]->z, &h[k]);
        WEAK(z3[k].v);
    }
    for (int k = 0; k < 2; k++)
        lmul(&z3[k], &z3[k], &z3[k]);
    for (int k = 0; k < 2; k++) {
        lsub(&z3[k], &z3[k], &z1z1[k], &four_p);
        SUB_RAW(&z3[k], &z3[k], &hh[k]);
        WEAK(z3[k].v);
        r[k]->x = x3[k];
        r[k]->y = y3[k];
        r[k]->z = z3[k];
    }
}

/* add-2007-bl on reduced values: once per hash, so plain rather than lazy. */
void kt_ec_add(kt_ec_jac *r, const kt_ec_jac *b) {
    kt_ec_jac a = *r, c = *b;
    reduce_point(&a);
    reduce_point(&c);
    if (fe_is_zero(&c.z)) {
        *r = a;
        return;
    }
    if (fe_is_zero(&a.z)) {
        *r = c;
        return;
    }
    kt_fe z1z1, z2z2, u1, u2, s1, s2, h, i, j, rr, v, t;
    fsqr(&z1z1, &a.z);
    fsqr(&z2z2, &c.z);
    fmul(&u1, &a.x, &z2z2);
    fmul(&u2, &c.x, &z1z1);
    fmul(&s1, &a.y, &c.z);
    fmul(&s1, &s1, &z2z2);
    fmul(&s2, &c.y, &a.z);
    fmul(&s2, &s2, &z1z1);
    kt_fe_sub(&h, &u2, &u1);
    kt_fe_sub(&rr, &s2, &s1);
    if (fe_is_zero(&h)) {
        if (fe_is_zero(&rr))
            kt_ec_double(r, &a); /* the same point */
        else
            memset(r, 0, sizeof *r); /* b = -a */
        return;
    }
    fdbl(&rr, &rr);
    fdbl(&i, &h);
    fsqr(&i, &i);      /* I = (2H)^2 */
    fmul(&j, &h, &i);  /* J = H*I */
    fmul(&v, &u1, &i); /* V = U1*I */
    kt_fe x3, y3, z3;
    fsqr(&x3, &rr);
    kt_fe_sub(&x3, &x3, &j);
    kt_fe_sub(&x3, &x3, &v);
    kt_fe_sub(&x3, &x3, &v); /* X3 = r^2 - J - 2V */
    kt_fe_sub(&t, &v, &x3);
    fmul(&y3, &rr, &t);
    fmul(&t, &s1, &j);
    fdbl(&t, &t);
    kt_fe_sub(&y3, &y3, &t); /* Y3 = r(V - X3) - 2 S1 J */
    kt_fe_add(&z3, &a.z, &c.z);
    fsqr(&z3, &z3);
    kt_fe_sub(&z3, &z3, &z1z1);
    kt_fe_sub(&z3, &z3, &z2z2);
    fmul(&z3, &z3, &h); /* Z3 = ((Z1+Z2)^2 - Z1Z1 - Z2Z2) H */
    r->x = x3;
    r->y = y3;
    r->z = z3;
}

bool kt_ec_is_infinity(const kt_ec_jac *a) {
    return lzero(&a->z);
}

void kt_ec_multiples(kt_ec_jac *out, const kt_ec_affine *base, size_t count) {
    kt_ec_jac acc;
    kt_ec_from_affine(&acc, base);
    for (size_t k = 0; k < count; k++) {
        out[k] = acc;
        kt_ec_add_affine(&acc, base);
    }
}

bool kt_ec_affine_x(kt_fe *x, const kt_ec_jac *a) {
    if (kt_ec_is_infinity(a)) /* z may be lazily p */
        return false;
    kt_fe zi;
    kt_ec_fe_inv(&zi, &a->z);
    fsqr(&zi, &zi);
    fmul(x, &a->x, &zi);
    return true;
}

void kt_ec_normalize_batch(kt_ec_affine *out, const kt_ec_jac *in, size_t n, kt_fe *scratch) {
    if (n == 0)
        return;
    /* scratch[i] = z0 * ... * zi */
    scratch[0] = in[0].z;
    for (size_t i = 1; i < n; i++)
        fmul(&scratch[i], &scratch[i - 1], &in[i].z);
    kt_fe inv;
    kt_ec_fe_inv(&inv, &scratch[n - 1]);
    for (size_t i = n; i-- > 0;) {
        kt_fe zi;
        if (i > 0) {
            fmul(&zi, &inv, &scratch[i - 1]);
            fmul(&inv, &inv, &in[i].z);
        } else {
            zi = inv;
        }
        kt_fe zi2, zi3;
        fsqr(&zi2, &zi);
        fmul(&zi3, &zi2, &zi);
        fmul(&out[i].x, &in[i].x, &zi2);
        fmul(&out[i].y, &in[i].y, &zi3);
    }
}
