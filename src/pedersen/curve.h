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

/* r = 2a (r may alias a; a's coordinates below 4p, r's reduced). */
void kt_ec_double(kt_ec_jac *r, const kt_ec_jac *a);

/* r += b (mixed addition; handles r = b, r = -b and r = infinity); lazy output. */
void kt_ec_add_affine(kt_ec_jac *r, const kt_ec_affine *b);

/* r[0] += b[0] and r[1] += b[1] at once (two independent accumulators; the
 * same results as two kt_ec_add_affine calls, faster). */
void kt_ec_add_affine2(kt_ec_jac *r[2], const kt_ec_affine *b[2]);

/* r += b for two Jacobian points (handles equal, opposite and infinity). */
void kt_ec_add(kt_ec_jac *r, const kt_ec_jac *b);

/* 1/a for a != 0, 0 for 0 (a below 4p, r reduced): Bernstein-Yang
 * divsteps, variable time (inverse.c). */
void kt_ec_fe_inv(kt_fe *r, const kt_fe *a);

/* The same by Fermat, a^(p-2): the reference the tests hold the fast one to. */
void kt_ec_fe_inv_fermat(kt_fe *r, const kt_fe *a);

/* R^3 mod p (Montgomery constant of inverse.c) */
extern const kt_fe kt_ec_r3;

/* Whether a is the point at infinity (Z = 0 mod p, lazy coordinates allowed). */
bool kt_ec_is_infinity(const kt_ec_jac *a);

/* out[k] = (k + 1) * base for k < count, by mixed additions of base (lazy output). */
void kt_ec_multiples(kt_ec_jac *out, const kt_ec_affine *base, size_t count);

/* The affine x coordinate of a; false for infinity. */
bool kt_ec_affine_x(kt_fe *x, const kt_ec_jac *a);

/*
 * Jacobian -> affine for n points at once with one inversion (Montgomery's
 * trick); scratch holds n field elements. No point may be infinity (the
 * table points are non-zero multiples of a point of prime order).
 */
void kt_ec_normalize_batch(kt_ec_affine *out, const kt_ec_jac *in, size_t n, kt_fe *scratch);

#endif
