/*
 * katana-tee — the Starknet Poseidon hash.
 *
 * Hades permutation over the Stark field, width 3, 8 full rounds and 83
 * partial rounds, S-box x^3, MDS matrix [[3,1,1],[1,-1,1],[1,1,-2]], round
 * constants as Starknet (cairo-lang) defines them. Hashes as Starknet:
 *   hash(a, b)      = permute([a, b, 2])[0]
 *   hash_single(x)  = permute([x, 0, 1])[0]
 *   hash_many(xs)   = sponge of rate 2 over xs padded with 1 (then zeros
 *                     to an even length), output state[0]
 * None of these allocate.
 */
#ifndef KATANA_TEE_POSEIDON_H
#define KATANA_TEE_POSEIDON_H

#include <stddef.h>

#include "katana_tee/felt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Apply the Hades permutation to state in place. */
KT_API void kt_poseidon_permute(kt_felt state[3]);

KT_API kt_felt kt_poseidon_hash(const kt_felt *a, const kt_felt *b);
KT_API kt_felt kt_poseidon_hash_single(const kt_felt *x);
KT_API kt_felt kt_poseidon_hash_many(const kt_felt *xs, size_t n);

#ifdef __cplusplus
}
#endif

#endif
