/*
 * The Pedersen hash without tables (see pedersen_internal.h): the sum
 * P0 + a_low*P1 + a_high*P2 + b_low*P3 + b_high*P4 as one double-and-add
 * over the two 248-bit low parts together (Straus, 4-bit windows: 62
 * rounds of four doublings and up to two additions), then the high parts
 * and P0. About 4000 field multiplications after a one-time set-up of 60
 * small multiples (about 1000 multiplications), where the tables cost tens
 * of milliseconds: the right way for a process
 * that hashes a handful of values (a config hash is four hashes).
 */
#include <pthread.h>
#include <string.h>

#include "felt/fe.h"
#include "pedersen/pedersen_internal.h"

/* Bits [4w, 4w + 4) of x's low 248 bits (a nibble never straddles limbs). */
static unsigned nibble(const kt_felt *x, unsigned w) {
    return (unsigned)(x->limb[w / 16] >> (4 * (w % 16))) & 15u;
}

/* k*P_i for k = 1..15 and i = 1..4, affine: the same for every hash, so made once. */
static kt_ec_affine small[4 * 15];
static int small_ok;
static pthread_once_t small_once = PTHREAD_ONCE_INIT;

static void make_small(void) {
    const kt_ec_affine *pts = kt_pedersen_points();
    if (!pts)
        return;
    kt_ec_jac jac[4 * 15];
    kt_fe scratch[4 * 15];
    for (int i = 0; i < 4; i++)
        kt_ec_multiples(jac + 15 * i, &pts[1 + i], 15);
    kt_ec_normalize_batch(small, jac, 4 * 15, scratch); /* one inversion for all */
    small_ok = 1;
}

kt_felt kt_pedersen_hash_direct(const kt_felt *a, const kt_felt *b) {
    kt_felt out = {{0, 0, 0, 0}};
    pthread_once(&small_once, make_small);
    if (!small_ok)
        return out;
    const kt_ec_affine *pts = kt_pedersen_points();
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
