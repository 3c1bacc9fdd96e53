/*
 * The Pedersen hash without tables (see pedersen_internal.h): the sum
 * P0 + a_low*P1 + a_high*P2 + b_low*P3 + b_high*P4 as one double-and-add
 * over the two 248-bit low parts together (Straus, 4-bit windows: 62
 * rounds of four doublings and up to two additions), then the high parts
 * and P0. About 5000 field multiplications and nothing to build first,
 * where the tables cost tens of milliseconds: the right way for a process
 * that hashes a handful of values (a config hash is four hashes).
 */
#include <string.h>

#include "felt/fe.h"
#include "pedersen/pedersen_internal.h"

/* Bits [4w, 4w + 4) of x's low 248 bits (a nibble never straddles limbs). */
static unsigned nibble(const kt_felt *x, unsigned w) {
    return (unsigned)(x->limb[w / 16] >> (4 * (w % 16))) & 15u;
}

kt_felt kt_pedersen_hash_direct(const kt_felt *a, const kt_felt *b) {
    kt_felt out = {{0, 0, 0, 0}};
    const kt_ec_affine *pts = kt_pedersen_points();
    if (!pts)
        return out;
    /* k*P_i for k = 1..15 and i = 1..4, made affine with one inversion */
    kt_ec_jac jac[4 * 15];
    kt_ec_affine small[4 * 15];
    kt_fe scratch[4 * 15];
    for (int i = 0; i < 4; i++) {
        kt_ec_jac *m = jac + 15 * i;
        kt_ec_from_affine(&m[0], &pts[1 + i]);
        for (int k = 1; k < 15; k++) {
            m[k] = m[k - 1];
            kt_ec_add_affine(&m[k], &pts[1 + i]);
        }
    }
    kt_ec_normalize_batch(small, jac, 4 * 15, scratch);
    const kt_ec_affine *p1 = small, *p2 = small + 15, *p3 = small + 30, *p4 = small + 45;

    kt_ec_jac acc;
    memset(&acc, 0, sizeof acc); /* infinity */
    for (unsigned w = 62; w-- > 0;) {
        for (int d = 0; d < 4; d++)
            kt_ec_double(&acc, &acc);
        unsigned da = nibble(a, w), db = nibble(b, w);
        if (da)
            kt_ec_add_affine(&acc, &p1[da - 1]);
        if (db)
            kt_ec_add_affine(&acc, &p3[db - 1]);
    }
    unsigned ha = (unsigned)(a->limb[3] >> 56) & 15u, hb = (unsigned)(b->limb[3] >> 56) & 15u;
    if (ha)
        kt_ec_add_affine(&acc, &p2[ha - 1]);
    if (hb)
        kt_ec_add_affine(&acc, &p4[hb - 1]);
    kt_ec_add_affine(&acc, &pts[0]);
    kt_fe x;
    if (kt_ec_affine_x(&x, &acc)) /* never infinity for inputs below p, as with the tables */
        kt_fe_to_canonical(out.limb, &x);
    return out;
}
