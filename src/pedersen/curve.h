/*
 * Internal: points of the STARK curve y^2 = x^3 + x + beta over the Stark
 * field, coordinates in Montgomery form (felt/fe.h). Affine points are
 * reduced (in [0, p)); a Jacobian point out of kt_ec_add_affine has its
 * coordinates below 2p (lazy), which every function here accepts. Not
 * constant time: Pedersen hashes public data.
 *
 * Jacobian (X, Y, Z) stands for (X/Z^2, Y/Z^3); Z = 0 is the point at
 * infinity. Affine points used as addends are never infinity.
 */
#ifndef KT_PEDERSEN_CURVE_H
#define KT_PEDERSEN_CURVE_H

#include <stdbool.h>
#include <stddef.h>

#include "felt/fe.h"

typedef struct kt_ec_affine {
    kt_fe x, y;
} kt_ec_affine;

typedef struct kt_ec_jac {
    kt_fe x, y, z;
} kt_ec_jac;

/* Pick the field multiplication once (BMI2/ADX where the CPU has it). */
void kt_ec_init(void);

/* r = a (affine -> Jacobian, Z = 1). */
void kt_ec_from_affine(kt_ec_jac *r, const kt_ec_affine *a);

/* r = 2a (r may alias a). */
void kt_ec_double(kt_ec_jac *r, const kt_ec_jac *a);

/* r += b (mixed addition; handles r = b, r = -b and r = infinity); lazy output. */
void kt_ec_add_affine(kt_ec_jac *r, const kt_ec_affine *b);

/* 1/a for a != 0 (Fermat); 0 for 0. */
void kt_ec_fe_inv(kt_fe *r, const kt_fe *a);

/* The affine x coordinate of a; false for infinity. */
bool kt_ec_affine_x(kt_fe *x, const kt_ec_jac *a);

/*
 * Jacobian -> affine for n points at once with one inversion (Montgomery's
 * trick); scratch holds n field elements. No point may be infinity (the
 * table points are non-zero multiples of a point of prime order).
 */
void kt_ec_normalize_batch(kt_ec_affine *out, const kt_ec_jac *in, size_t n, kt_fe *scratch);

#endif
