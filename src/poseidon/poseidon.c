#include "katana_tee/poseidon.h"

#include <string.h>

#include "felt/fe.h"
#include "poseidon/poseidon_internal.h"
#include "poseidon/poseidon_constants.h"

/*
 * The rounds work on lazily reduced values. Invariant: every state word is
 * below 2p when a round starts (kt_fe_weak brings any value below 2^256
 * back under 2p). A round adds a constant (< p), so S-box inputs are below
 * 3p and cubes come out below 1.13p (see kt_fe_mul_lazy). The round
 * constants are generated in Montgomery form, partial rounds folded (one
 * constant each, on state[2]): see scripts/gen-poseidon-constants.py.
 */
static const kt_fe four_p = {{4u, 0u, 0u, 4u * KT_FE_P3}};
static const kt_fe kt_fe_zero = {{0u, 0u, 0u, 0u}};

/* The permutation once per arithmetic path; kt_poseidon_permute_fe picks. */
#define KT_SUFFIX _portable
#define KT_CUBE kt_fe_cube_lazy
#define KT_ADD kt_fe_add_raw
#define KT_SUB kt_fe_sub_raw
#define KT_WEAK kt_fe_weak
#include "poseidon/permute.inc"
#undef KT_SUFFIX
#undef KT_CUBE
#undef KT_ADD
#undef KT_SUB
#undef KT_WEAK

#ifdef KT_FE_HAVE_X86_ASM
#define KT_SUFFIX _adx
#define KT_CUBE kt_fe_cube_lazy_adx
#define KT_ADD kt_fe_add_raw_x86
#define KT_SUB kt_fe_sub_raw_x86
#define KT_WEAK kt_fe_weak_x86
#include "poseidon/permute.inc"
#undef KT_SUFFIX
#undef KT_CUBE
#undef KT_ADD
#undef KT_SUB
#undef KT_WEAK
#endif

void kt_poseidon_permute_fe(kt_fe s[3]) {
#ifdef KT_FE_HAVE_X86_ASM
    if (kt_fe_have_adx()) {
        kt_poseidon_permute_fe_adx(s);
        return;
    }
#endif
    kt_poseidon_permute_fe_portable(s);
}

static inline void to_fe(kt_fe *r, const kt_felt *f) {
    kt_fe_from_canonical(r, f->limb);
}

static inline kt_felt from_fe(const kt_fe *x) {
    kt_felt f;
    kt_fe_to_canonical(f.limb, x);
    return f;
}

void kt_poseidon_permute(kt_felt state[3]) {
    kt_fe s[3];
    for (int j = 0; j < 3; j++)
        to_fe(&s[j], &state[j]);
    kt_poseidon_permute_fe(s);
    for (int j = 0; j < 3; j++)
        state[j] = from_fe(&s[j]);
}

kt_felt kt_poseidon_hash(const kt_felt *a, const kt_felt *b) {
    kt_fe s[3];
    to_fe(&s[0], a);
    to_fe(&s[1], b);
    /* 2 in Montgomery form is 2R mod p = R mod p + R mod p */
    kt_fe_add(&s[2], &kt_fe_one, &kt_fe_one);
    kt_poseidon_permute_fe(s);
    return from_fe(&s[0]);
}

kt_felt kt_poseidon_hash_single(const kt_felt *x) {
    kt_fe s[3];
    to_fe(&s[0], x);
    memset(&s[1], 0, sizeof s[1]);
    s[2] = kt_fe_one;
    kt_poseidon_permute_fe(s);
    return from_fe(&s[0]);
}

kt_felt kt_poseidon_hash_many(const kt_felt *xs, size_t n) {
    /* Sponge of rate 2, capacity 1 starting at 0; the input is padded with
     * 1 and then, if that makes it odd, a 0, and absorbed pair by pair. */
    kt_fe s[3];
    memset(s, 0, sizeof s);
    size_t i = 0;
    for (; i + 2 <= n; i += 2) {
        kt_fe x;
        to_fe(&x, &xs[i]);
        kt_fe_add_raw(&s[0], &s[0], &x);
        kt_fe_weak(s[0].v);
        to_fe(&x, &xs[i + 1]);
        kt_fe_add_raw(&s[1], &s[1], &x);
        kt_fe_weak(s[1].v);
        kt_poseidon_permute_fe(s);
    }
    if (i < n) {
        /* one left: (x, 1) */
        kt_fe x;
        to_fe(&x, &xs[i]);
        kt_fe_add_raw(&s[0], &s[0], &x);
        kt_fe_weak(s[0].v);
        kt_fe_add_raw(&s[1], &s[1], &kt_fe_one);
        kt_fe_weak(s[1].v);
    } else {
        /* none left: (1, 0) */
        kt_fe_add_raw(&s[0], &s[0], &kt_fe_one);
        kt_fe_weak(s[0].v);
    }
    kt_poseidon_permute_fe(s);
    return from_fe(&s[0]);
}
