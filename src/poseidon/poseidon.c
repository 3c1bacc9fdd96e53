#include "katana_tee/poseidon.h"

#include <string.h>

#include "felt/fe.h"
#include "poseidon/poseidon_internal.h"
#include "poseidon/poseidon_constants.h"

/*
 * MDS [[3,1,1],[1,-1,1],[1,1,-2]] with additions only: with t = s0+s1+s2,
 * row 0 = t + 2*s0, row 1 = t - 2*s1, row 2 = t - 3*s2.
 */
static inline void mds(kt_fe s[3]) {
    kt_fe t, d;
    kt_fe_add(&t, &s[0], &s[1]);
    kt_fe_add(&t, &t, &s[2]);
    kt_fe_add(&d, &s[0], &s[0]);
    kt_fe_add(&s[0], &t, &d);
    kt_fe_add(&d, &s[1], &s[1]);
    kt_fe_sub(&s[1], &t, &d);
    kt_fe_add(&d, &s[2], &s[2]);
    kt_fe_add(&d, &d, &s[2]);
    kt_fe_sub(&s[2], &t, &d);
}

static inline void add_const(kt_fe *x, const uint64_t c[4]) {
    kt_fe k;
    memcpy(k.v, c, sizeof k.v);
    kt_fe_add(x, x, &k);
}

static inline void full_round(kt_fe s[3], const uint64_t rc[3][4]) {
    for (int j = 0; j < 3; j++) {
        add_const(&s[j], rc[j]);
        kt_fe_cube(&s[j], &s[j]);
    }
    mds(s);
}

void kt_poseidon_permute_fe(kt_fe s[3]) {
    const int half = KT_POSEIDON_FULL_ROUNDS / 2;
    for (int r = 0; r < half; r++)
        full_round(s, kt_poseidon_full_rc[r]);
    for (int r = 0; r < KT_POSEIDON_PARTIAL_ROUNDS; r++) {
        add_const(&s[2], kt_poseidon_partial_rc[r]);
        kt_fe_cube(&s[2], &s[2]);
        mds(s);
    }
    for (int r = half; r < KT_POSEIDON_FULL_ROUNDS; r++)
        full_round(s, kt_poseidon_full_rc[r]);
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
        kt_fe_add(&s[0], &s[0], &x);
        to_fe(&x, &xs[i + 1]);
        kt_fe_add(&s[1], &s[1], &x);
        kt_poseidon_permute_fe(s);
    }
    if (i < n) {
        /* one left: (x, 1) */
        kt_fe x;
        to_fe(&x, &xs[i]);
        kt_fe_add(&s[0], &s[0], &x);
        kt_fe_add(&s[1], &s[1], &kt_fe_one);
    } else {
        /* none left: (1, 0) */
        kt_fe_add(&s[0], &s[0], &kt_fe_one);
    }
    kt_poseidon_permute_fe(s);
    return from_fe(&s[0]);
}
