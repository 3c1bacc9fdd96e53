#include "katana_tee/poseidon.h"

#include <string.h>

#include "felt/fe.h"
#include "poseidon/poseidon_internal.h"
#include "poseidon/poseidon_constants.h"

/*
 * The rounds work on lazily reduced values. Invariant: every state word is
 * below 2p when a round starts (kt_fe_weak brings any value below 2^256
 * back under 2p). A round adds a constant (< p), so S-box inputs are below
 * 3p and cubes come out below 1.13p (see kt_fe_mul_lazy).
 *
 * MDS [[3,1,1],[1,-1,1],[1,1,-2]] with additions only: with t = s0+s1+s2,
 * row 0 = t + 2*s0, row 1 = t - 2*s1, row 2 = t - 3*s2. The subtractions
 * are made non-negative by adding 4p (> 2*s1 and > 3*s2, as s2 is a cube
 * output below 1.13p); all sums stay below 10p < 2^256.
 */
static const kt_fe four_p = {{4u, 0u, 0u, 4u * KT_FE_P3}};
static const kt_fe kt_fe_zero = {{0u, 0u, 0u, 0u}};

KT_FE_INLINE void mds(kt_fe s[3]) {
    kt_fe t, u, d;
    kt_fe_add_raw(&t, &s[0], &s[1]);
    kt_fe_add_raw(&t, &t, &s[2]); /* < 5.13p */
    kt_fe_add_raw(&u, &t, &four_p);
    kt_fe_add_raw(&d, &s[0], &s[0]);
    kt_fe_add_raw(&s[0], &t, &d);
    kt_fe_add_raw(&d, &s[1], &s[1]);
    kt_fe_sub_raw(&s[1], &u, &d);
    kt_fe_add_raw(&d, &s[2], &s[2]);
    kt_fe_add_raw(&d, &d, &s[2]);
    kt_fe_sub_raw(&s[2], &u, &d);
    kt_fe_weak(s[0].v);
    kt_fe_weak(s[1].v);
    kt_fe_weak(s[2].v);
}

KT_FE_INLINE void add_const(kt_fe *x, const uint64_t c[4]) {
    kt_fe k;
    memcpy(k.v, c, sizeof k.v);
    kt_fe_add_raw(x, x, &k); /* < 3p */
}

/*
 * The permutation, instantiated once per multiplication path (portable C,
 * and x86-64 BMI2/ADX where built); kt_poseidon_permute_fe picks one.
 */
#define KT_PERMUTE_NAME kt_poseidon_permute_fe_portable
#define KT_PARTIAL_NAME partial_round_portable
#define KT_CUBE kt_fe_cube_lazy
#include "poseidon/permute.inc"
#undef KT_PERMUTE_NAME
#undef KT_PARTIAL_NAME
#undef KT_CUBE

#ifdef KT_FE_HAVE_X86_ASM
#define KT_PERMUTE_NAME kt_poseidon_permute_fe_adx
#define KT_PARTIAL_NAME partial_round_adx
#define KT_CUBE kt_fe_cube_lazy_adx
#include "poseidon/permute.inc"
#undef KT_PERMUTE_NAME
#undef KT_PARTIAL_NAME
#undef KT_CUBE
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
