/* Internal: the Poseidon permutation on Montgomery-form state (tests, bench). */
#ifndef KT_POSEIDON_INTERNAL_H
#define KT_POSEIDON_INTERNAL_H

#include "felt/fe.h"

/*
 * The Hades permutation on a Montgomery-form state, in place: each word
 * below 2p on input (lazy form), each word below 2p on output. Uses the
 * fastest path this CPU runs.
 */
void kt_poseidon_permute_fe(kt_fe s[3]);

/* The individual paths, for tests and benchmarks. */
void kt_poseidon_permute_fe_portable(kt_fe s[3]);
#ifdef KT_FE_HAVE_X86_ASM
void kt_poseidon_permute_fe_adx(kt_fe s[3]); /* only if kt_fe_have_adx() */
#endif

#endif
