/*
 * katana-tee — the Starknet Pedersen hash.
 *
 * pedersen(a, b) = x( P0 + a_low*P1 + a_high*P2 + b_low*P3 + b_high*P4 )
 * on the STARK curve y^2 = x^3 + x + beta over the Stark field, where
 * x_low is the low 248 bits of x, x_high its top 4 bits, and P0..P4 are
 * Starknet's fixed constant points (cairo-lang pedersen_params.json).
 *
 * pedersen_hash_array(xs) is cairo-lang's compute_hash_on_elements, what
 * starknet-types-core's Pedersen::hash_array computes and Katana uses for
 * its TEE config hash: h = 0; h = pedersen(h, x) for each x; then
 * pedersen(h, len(xs)). The length is a suffix; [] hashes to pedersen(0, 0).
 *
 * Not constant time: the inputs Katana hashes (chain ids, addresses) are
 * public. A process's first 256 hashes take about 150-200 us each (no
 * tables); then fixed-base tables (10 MB of static storage that
 * stays untouched until then, about 70 ms to build, thread-safe) make each
 * hash about 10 us for the rest of the process. Both give the same answer.
 * Nothing here fails or allocates: every felt is a valid input.
 */
#ifndef KATANA_TEE_PEDERSEN_H
#define KATANA_TEE_PEDERSEN_H

#include <stddef.h>

#include "katana_tee/felt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* pedersen(a, b), the 2-input Starknet Pedersen hash. */
KT_API kt_felt kt_pedersen_hash(const kt_felt *a, const kt_felt *b);

/* compute_hash_on_elements(xs[0..n)); xs may be NULL when n == 0. */
KT_API kt_felt kt_pedersen_hash_array(const kt_felt *xs, size_t n);

#ifdef __cplusplus
}
#endif

#endif
