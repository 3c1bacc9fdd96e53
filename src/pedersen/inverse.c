/*
 * Field inversion by Bernstein and Yang's divsteps ("Fast constant-time
 * gcd computation and modular inversion", 2019), in its variable-time
 * form: the Pedersen hash inverts one public value per hash, and this is
 * several times faster than Fermat's 266 squarings.
 *
 * f = p and g = x run through divsteps, 62 at a time: each batch is worked
 * out on the low 62 bits of f and g alone, as a 2x2 integer matrix that
 * then updates the full f and g (dividing by 2^62 exactly) and d and e
 * (kept with d*x = f and e*x = g mod p; the division by 2^62 is made exact
 * by adding a multiple of p, which is cheap because p = 1 mod 2^62). When
 * g reaches 0, f = +-1 and +-d is the inverse.
 *
 * Numbers are five signed 62-bit limbs (value = sum v[i] 2^(62 i)); limbs
 * 0..3 are in [0, 2^62) after each update and the top limb carries the sign.
 */
#include "pedersen/curve.h"

#define M62 ((UINT64_C(1) << 62) - 1)

__extension__ typedef __int128 kt_i128; /* >> on it is arithmetic in gcc and clang */

/* R^3 mod p (R = 2^256): mont(y, R^3) = y R^2 takes an integer inverse
 * back into Montgomery form. */
const kt_fe kt_ec_r3 = {{UINT64_C(0xcc7177d1406df18e), UINT64_C(0x7545706677ffcc06), UINT64_C(0xf47d84f836300018), UINT64_C(0x038e5f79873c0a6d)}};

typedef struct s62 {
    int64_t v[5];
} s62;

/* p = 2^251 + 17*2^192 + 1: 17*2^192 = 1088*2^(62*3), 2^251 = 8*2^(62*4) */
static const s62 p62 = {{1, 0, 0, 1088, 8}};

typedef struct step_matrix {
    int64_t u, v, q, r;
} step_matrix;

/*
 * 62 divsteps on the low bits f0 (odd) and g0, with eta = -delta:
 *   g even:            eta -= 1, g /= 2
 *   g odd, eta >= 0:   eta -= 1, g = (g + f) / 2
 *   g odd, eta < 0:    eta = -eta - 1, (f, g) = (g, (g - f) / 2)
 * Runs of even g are shifted out at once; a run of up to eta + 1 odd-g
 * steps without a swap (at most 6 at once: eta is small after a swap, so
 * longer runs are rare) is one addition of f*w, w = -g/f mod 2^limit. The
 * matrix satisfies 2^62 (f', g') = (u f + v g, q f + r g); each row's
 * absolute sum stays at most 2^62.
 */
static int64_t divsteps_62(int64_t eta, uint64_t f0, uint64_t g0, step_matrix *t) {
    uint64_t f = f0, g = g0;
    int64_t u = 1, v = 0, q = 0, r = 1;
    int left = 62;
    for (;;) {
        /* the bits above `left` stop the count, so zeros <= left */
        int zeros = __builtin_ctzll(g | (UINT64_MAX << left));
        g >>= zeros;
        u = (int64_t)((uint64_t)u << zeros);
        v = (int64_t)((uint64_t)v << zeros);
        eta -= zeros;
        left -= zeros;
        if (left == 0)
            break;
        if (eta < 0) { /* swap: (f, g) = (g, -f) and the rows with them */
            uint64_t tf = f;
            f = g;
            g = (uint64_t)0 - tf;
            int64_t tu = u, tv = v;
            u = q;
            v = r;
            q = -tu;
            r = -tv;
            eta = -eta;
        }
        int limit = eta + 1 < left ? (int)eta + 1 : left;
        if (limit > 6)
            limit = 6;
        uint64_t mask = UINT64_MAX >> (64 - limit);
        /* f*f = 1 mod 8 for odd f; one Newton step makes 1/f right mod 64 */
        uint64_t finv = f * (2 - f * f);
        uint64_t w = ((uint64_t)0 - g * finv) & mask;
        g += f * w;
        q += (int64_t)((uint64_t)u * w);
        r += (int64_t)((uint64_t)v * w);
    }
    t->u = u;
    t->v = v;
    t->q = q;
    t->r = r;
    return eta;
}

/* (f, g) = ((u f + v g) / 2^62, (q f + r g) / 2^62), exact. */
static void update_fg(s62 *f, s62 *g, const step_matrix *t) {
    kt_i128 cf = (kt_i128)t->u * f->v[0] + (kt_i128)t->v * g->v[0];
    kt_i128 cg = (kt_i128)t->q * f->v[0] + (kt_i128)t->r * g->v[0];
    cf >>= 62; /* the low 62 bits are zero by construction */
    cg >>= 62;
    for (int k = 1; k < 5; k++) {
        cf += (kt_i128)t->u * f->v[k] + (kt_i128)t->v * g->v[k];
        cg += (kt_i128)t->q * f->v[k] + (kt_i128)t->r * g->v[k];
        f->v[k - 1] = (int64_t)((uint64_t)cf & M62);
        g->v[k - 1] = (int64_t)((uint64_t)cg & M62);
        cf >>= 62;
        cg >>= 62;
    }
    f->v[4] = (int64_t)cf;
    g->v[4] = (int64_t)cg;
}

/* a < b for normalised values */
static int s62_less(const s62 *a, const s62 *b) {
    for (int k = 4; k >= 0; k--)
        if (a->v[k] != b->v[k])
            return a->v[k] < b->v[k];
    return 0;
}

/* a + sign * p, normalised (sign is +1 or -1) */
static void s62_add_p(s62 *a, int sign) {
    kt_i128 c = 0;
    for (int k = 0; k < 5; k++) {
        c += (kt_i128)a->v[k] + (kt_i128)sign * p62.v[k];
        if (k < 4) {
            a->v[k] = (int64_t)((uint64_t)c & M62);
            c >>= 62;
        } else {
            a->v[k] = (int64_t)c;
        }
    }
}

/* (x, y) = ((u x + v y) / 2^62, (q x + r y) / 2^62) mod p, both back in [0, p). */
static void update_de(s62 *d, s62 *e, const step_matrix *t) {
    kt_i128 cd = (kt_i128)t->u * d->v[0] + (kt_i128)t->v * e->v[0];
    kt_i128 ce = (kt_i128)t->q * d->v[0] + (kt_i128)t->r * e->v[0];
    /* add md*p, me*p making the low 62 bits zero: p = 1 mod 2^62, so md = -cd mod 2^62 */
    int64_t md = (int64_t)(((uint64_t)0 - (uint64_t)cd) & M62);
    int64_t me = (int64_t)(((uint64_t)0 - (uint64_t)ce) & M62);
    cd += md; /* md * p.v[0] */
    ce += me;
    cd >>= 62;
    ce >>= 62;
    for (int k = 1; k < 5; k++) {
        cd += (kt_i128)t->u * d->v[k] + (kt_i128)t->v * e->v[k] + (kt_i128)md * p62.v[k];
        ce += (kt_i128)t->q * d->v[k] + (kt_i128)t->r * e->v[k] + (kt_i128)me * p62.v[k];
        d->v[k - 1] = (int64_t)((uint64_t)cd & M62);
        e->v[k - 1] = (int64_t)((uint64_t)ce & M62);
        cd >>= 62;
        ce >>= 62;
    }
    d->v[4] = (int64_t)cd;
    e->v[4] = (int64_t)ce;
    /* from (-p, 2p) (|u| + |v| <= 2^62, d, e < p, md < 2^62) into [0, p) */
    s62 *xs[2] = {d, e};
    for (int i = 0; i < 2; i++) {
        if (xs[i]->v[4] < 0)
            s62_add_p(xs[i], 1);
        else if (!s62_less(xs[i], &p62))
            s62_add_p(xs[i], -1);
    }
}

static int s62_is_zero(const s62 *a) {
    return (a->v[0] | a->v[1] | a->v[2] | a->v[3] | a->v[4]) == 0;
}

static void s62_from_u256(s62 *r, const uint64_t x[4]) {
    r->v[0] = (int64_t)(x[0] & M62);
    r->v[1] = (int64_t)((x[0] >> 62 | x[1] << 2) & M62);
    r->v[2] = (int64_t)((x[1] >> 60 | x[2] << 4) & M62);
    r->v[3] = (int64_t)((x[2] >> 58 | x[3] << 6) & M62);
    r->v[4] = (int64_t)(x[3] >> 56);
}

static void s62_to_u256(uint64_t r[4], const s62 *a) { /* a in [0, p) */
    uint64_t v0 = (uint64_t)a->v[0], v1 = (uint64_t)a->v[1], v2 = (uint64_t)a->v[2];
    uint64_t v3 = (uint64_t)a->v[3], v4 = (uint64_t)a->v[4];
    r[0] = v0 | v1 << 62;
    r[1] = v1 >> 2 | v2 << 60;
    r[2] = v2 >> 4 | v3 << 58;
    r[3] = v3 >> 6 | v4 << 56;
}

/* At most 730 divsteps reach g = 0 for 252-bit inputs (Bernstein-Yang's
 * bound for the original divstep), so 12 batches of 62 always suffice. */
#define MAX_BATCHES 12

void kt_ec_fe_inv(kt_fe *r, const kt_fe *a) {
    kt_fe x = *a; /* Montgomery form, any value below 4p */
    kt_fe_weak(x.v);
    kt_fe_reduce_once(x.v);
    if ((x.v[0] | x.v[1] | x.v[2] | x.v[3]) == 0) {
        *r = x;
        return;
    }
    s62 f = p62, g, d = {{0, 0, 0, 0, 0}}, e = {{1, 0, 0, 0, 0}};
    s62_from_u256(&g, x.v);
    int64_t eta = -1; /* delta = 1 */
    for (int n = 0; n < MAX_BATCHES && !s62_is_zero(&g); n++) {
        step_matrix t;
        eta = divsteps_62(eta, (uint64_t)f.v[0], (uint64_t)g.v[0], &t);
        update_de(&d, &e, &t);
        update_fg(&f, &g, &t);
    }
    if (!s62_is_zero(&g)) { /* beyond the proven bound: cannot happen; stay correct anyway */
        kt_ec_fe_inv_fermat(r, a);
        return;
    }
    if (f.v[4] < 0) { /* f = -1: the inverse is p - d (d != 0 as x != 0) */
        for (int k = 0; k < 5; k++)
            d.v[k] = -d.v[k];
        s62_add_p(&d, 1);
    }
    uint64_t plain[4];
    s62_to_u256(plain, &d);
    /* plain = 1/(aR) as an integer; Montgomery form of 1/a is plain * R^2 =
     * mont(plain, R^3) */
    kt_fe inv = {{plain[0], plain[1], plain[2], plain[3]}};
    kt_fe_mul(r, &inv, &kt_ec_r3);
}
