/* Internal: the Poseidon permutation on Montgomery-form state (tests, bench). */
#ifndef KT_POSEIDON_INTERNAL_H
#define KT_POSEIDON_INTERNAL_H

#include "felt/fe.h"

/* The Hades permutation on a state already in Montgomery form (in place). */
void kt_poseidon_permute_fe(kt_fe s[3]);

#endif
