/* STARK-curve point arithmetic for the Pedersen hash (see curve.h). */
#include "pedersen/curve.h"

#include <string.h>

static int use_adx;

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

static void fsqr_n(kt_fe *r, const kt_fe *a, int n) {
    *r = *a;
    for (int i = 0; i < n; i++)
        fsqr(r, r);
}

/*
 * a^(p-2). p - 2 = 2^251 + 2^196 + 2^192 - 1, evaluated from the top:
 * x^(2^55 + 1), four squarings, then twelve rounds of 16 squarings and a
 * multiplication by x^(2^16 - 1). 266 squarings and 17 multiplications.
 */
void kt_ec_fe_inv(kt_fe *r, const kt_fe *a) {
    kt_fe t2, t4, t8, t16, acc, tmp;
    fsqr(&t2, a);
    fmul(&t2, &t2, a); /* 2^2 - 1 */
    fsqr_n(&tmp, &t2, 2);
    fmul(&t4, &tmp, &t2); /* 2^4 - 1 */
    fsqr_n(&tmp, &t4, 4);
    fmul(&t8, &tmp, &t4); /* 2^8 - 1 */
    fsqr_n(&tmp, &t8, 8);
    fmul(&t16, &tmp, &t8); /* 2^16 - 1 */
    fsqr_n(&acc, a, 55);
    fmul(&acc, &acc, a); /* 2^55 + 1 */
    fsqr_n(&acc, &acc, 4);
    for (int i = 0; i < 12; i++) {
        fsqr_n(&acc, &acc, 16);
        fmul(&acc, &acc, &t16);
    }
    *r = acc;
}

void kt_ec_from_affine(kt_ec_jac *r, const kt_ec_affine *a) {
    r->x = a->x;
    r->y = a->y;
    r->z = kt_fe_one;
}

/* dbl-2007-bl with a = 1 (the STARK curve's alpha). */
void kt_ec_double(kt_ec_jac *r, const kt_ec_jac *a) {
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

/* madd-2007-bl. */
void kt_ec_add_affine(kt_ec_jac *r, const kt_ec_affine *b) {
    if (fe_is_zero(&r->z)) {
        kt_ec_from_affine(r, b);
        return;
    }
    kt_fe z1z1, u2, s2, h, hh, i, j, rr, v, tmp;
    fsqr(&z1z1, &r->z);
    fmul(&u2, &b->x, &z1z1);
    fmul(&s2, &b->y, &r->z);
    fmul(&s2, &s2, &z1z1);
    kt_fe_sub(&h, &u2, &r->x);
    kt_fe_sub(&rr, &s2, &r->y);
    if (fe_is_zero(&h)) {
        if (fe_is_zero(&rr))
            kt_ec_double(r, r);
        else
            memset(r, 0, sizeof *r); /* b = -r */
        return;
    }
    fdbl(&rr, &rr);
    fsqr(&hh, &h);
    fdbl(&i, &hh);
    fdbl(&i, &i);
    fmul(&j, &h, &i);
    fmul(&v, &r->x, &i);
    kt_fe x3;
    fsqr(&x3, &rr);
    kt_fe_sub(&x3, &x3, &j);
    kt_fe_sub(&x3, &x3, &v);
    kt_fe_sub(&x3, &x3, &v);
    kt_fe y3;
    kt_fe_sub(&tmp, &v, &x3);
    fmul(&y3, &rr, &tmp);
    fmul(&tmp, &r->y, &j);
    fdbl(&tmp, &tmp);
    kt_fe_sub(&y3, &y3, &tmp);
    kt_fe z3;
    kt_fe_add(&z3, &r->z, &h);
    fsqr(&z3, &z3);
    kt_fe_sub(&z3, &z3, &z1z1);
    kt_fe_sub(&z3, &z3, &hh);
    r->x = x3;
    r->y = y3;
    r->z = z3;
}

/* add-2007-bl. */
void kt_ec_add(kt_ec_jac *r, const kt_ec_jac *b) {
    if (fe_is_zero(&b->z))
        return;
    if (fe_is_zero(&r->z)) {
        *r = *b;
        return;
    }
    kt_fe z1z1, z2z2, u1, u2, s1, s2, h, i, j, rr, v, tmp;
    fsqr(&z1z1, &r->z);
    fsqr(&z2z2, &b->z);
    fmul(&u1, &r->x, &z2z2);
    fmul(&u2, &b->x, &z1z1);
    fmul(&s1, &r->y, &b->z);
    fmul(&s1, &s1, &z2z2);
    fmul(&s2, &b->y, &r->z);
    fmul(&s2, &s2, &z1z1);
    kt_fe_sub(&h, &u2, &u1);
    kt_fe_sub(&rr, &s2, &s1);
    if (fe_is_zero(&h)) {
        if (fe_is_zero(&rr))
            kt_ec_double(r, r);
        else
            memset(r, 0, sizeof *r);
        return;
    }
    fdbl(&rr, &rr);
    fdbl(&i, &h);
    fsqr(&i, &i);
    fmul(&j, &h, &i);
    fmul(&v, &u1, &i);
    kt_fe x3;
    fsqr(&x3, &rr);
    kt_fe_sub(&x3, &x3, &j);
    kt_fe_sub(&x3, &x3, &v);
    kt_fe_sub(&x3, &x3, &v);
    kt_fe y3;
    kt_fe_sub(&tmp, &v, &x3);
    fmul(&y3, &rr, &tmp);
    fmul(&tmp, &s1, &j);
    fdbl(&tmp, &tmp);
    kt_fe_sub(&y3, &y3, &tmp);
    kt_fe z3;
    kt_fe_add(&z3, &r->z, &b->z);
    fsqr(&z3, &z3);
    kt_fe_sub(&z3, &z3, &z1z1);
    kt_fe_sub(&z3, &z3, &z2z2);
    fmul(&z3, &z3, &h);
    r->x = x3;
    r->y = y3;
    r->z = z3;
}

bool kt_ec_affine_x(kt_fe *x, const kt_ec_jac *a) {
    if (fe_is_zero(&a->z))
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
