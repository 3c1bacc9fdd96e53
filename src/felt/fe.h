/*
 * Internal: Stark-field arithmetic in Montgomery form, R = 2^256.
 *
 * p = 2^251 + 17*2^192 + 1 has limbs (1, 0, 0, KT_FE_P3). Because
 * p == 1 (mod 2^192), -p^-1 == -1 (mod 2^64), and m*p = m + m*P3*2^192: a
 * Montgomery reduction step is m = -t0, a carry (t0 != 0) out of the low
 * word, and one 64x64 multiplication m*P3 added two words up.
 *
 * Two levels of reduction:
 *   - "reduced": a value in [0, p); what kt_fe_add/sub/mul/sqr return and
 *     what the public kt_felt holds (in canonical form);
 *   - "lazy": a value in [0, 2p), congruent mod p; what the *_lazy
 *     functions and kt_fe_weak return. The Poseidon rounds stay lazy and
 *     reduce once at the end. Each function states the input bound it
 *     needs.
 * All functions are constant time: no branches or memory accesses depend
 * on the values; reductions select or correct with masks.
 *
 * Static inline so that the Poseidon rounds inline them.
 */
#ifndef KT_FELT_FE_H
#define KT_FELT_FE_H

#include <stdint.h>

__extension__ typedef unsigned __int128 kt_u128;

typedef struct kt_fe {
    uint64_t v[4];
} kt_fe;

#define KT_FE_P3 UINT64_C(0x0800000000000011)

/* The hot helpers must inline into the Poseidon rounds whatever the
 * compiler's size heuristics say (gcc and clang otherwise differ). */
#define KT_FE_INLINE static inline __attribute__((always_inline))

/* x in [0, 2p) -> [0, p): subtract p unless that borrows (masked select). */
KT_FE_INLINE void kt_fe_reduce_once(uint64_t x[4]) {
    uint64_t d[4];
    kt_u128 acc = (kt_u128)x[0] - 1u;
    d[0] = (uint64_t)acc;
    acc = (kt_u128)x[1] - (uint64_t)(acc >> 64 & 1u);
    d[1] = (uint64_t)acc;
    acc = (kt_u128)x[2] - (uint64_t)(acc >> 64 & 1u);
    d[2] = (uint64_t)acc;
    acc = (kt_u128)x[3] - KT_FE_P3 - (uint64_t)(acc >> 64 & 1u);
    d[3] = (uint64_t)acc;
    uint64_t keep = (uint64_t)0 - (uint64_t)(acc >> 64 & 1u); /* x < p */
    for (int i = 0; i < 4; i++)
        x[i] = d[i] ^ (keep & (d[i] ^ x[i]));
}

/*
 * Montgomery reduction of a 512-bit t < p*2^256 (e.g. a product of two
 * values below 5p): t / 2^256 mod p, below t/2^256 + p, so in [0, 2p). The first three steps collapse into one: adding
 * M = -t mod 2^192 clears the low three words at once (carry out:
 * t_low != 0), and M*p adds M*P3 at word 3. The fourth step is a normal one.
 */
KT_FE_INLINE void kt_fe_redc_lazy(kt_fe *r, const uint64_t t[8]) {
    uint64_t m0 = (uint64_t)0 - t[0];
    uint64_t b0 = (t[0] != 0);
    uint64_t m1 = (uint64_t)0 - t[1] - b0;
    uint64_t b1 = (t[1] | b0) != 0;
    uint64_t m2 = (uint64_t)0 - t[2] - b1;
    uint64_t c = (t[0] | t[1] | t[2]) != 0;
    kt_u128 q0 = (kt_u128)m0 * KT_FE_P3;
    kt_u128 q1 = (kt_u128)m1 * KT_FE_P3;
    kt_u128 q2 = (kt_u128)m2 * KT_FE_P3;
    kt_u128 acc = (kt_u128)t[3] + (uint64_t)q0 + c;
    uint64_t t3 = (uint64_t)acc;
    acc = (acc >> 64) + t[4] + (uint64_t)(q0 >> 64) + (uint64_t)q1;
    uint64_t t4 = (uint64_t)acc;
    acc = (acc >> 64) + t[5] + (uint64_t)(q1 >> 64) + (uint64_t)q2;
    uint64_t t5 = (uint64_t)acc;
    acc = (acc >> 64) + t[6] + (uint64_t)(q2 >> 64);
    uint64_t t6 = (uint64_t)acc;
    uint64_t t7 = (uint64_t)(acc >> 64) + t[7];
    /* fourth step: m3 = -t3; t3 + m3 carries (t3 != 0); m3*P3 at word 6 */
    uint64_t m3 = (uint64_t)0 - t3;
    kt_u128 q3 = (kt_u128)m3 * KT_FE_P3;
    acc = (kt_u128)t4 + (t3 != 0);
    r->v[0] = (uint64_t)acc;
    acc = (acc >> 64) + t5;
    r->v[1] = (uint64_t)acc;
    acc = (acc >> 64) + t6 + (uint64_t)q3;
    r->v[2] = (uint64_t)acc;
    r->v[3] = (uint64_t)(acc >> 64) + t7 + (uint64_t)(q3 >> 64);
}

/* One multiply-accumulate: (hi, lo) = a*b + c + d, which never overflows. */
#define KT_FE_MAC(hi, lo, a, b, c, d)                                                    \
    do {                                                                                 \
        kt_u128 kt_mac_ = (kt_u128)(a) * (b) + (c) + (d);                                \
        (lo) = (uint64_t)kt_mac_;                                                        \
        (hi) = (uint64_t)(kt_mac_ >> 64);                                                \
    } while (0)

/*
 * One CIOS step for word bi of b: t = (t + a*bi + m*p) / 2^64 with
 * m = -(t + a*bi) mod 2^64. As m*p = m + m*P3*2^192, the low word cancels
 * to a carry (t0 != 0) and m*P3 lands on words 3 and 4. Invariant:
 * t < a + p before and after, so with a < 4p it fits four words.
 */
#define KT_FE_CIOS_STEP(t0, t1, t2, t3, a, bi)                                           \
    do {                                                                                 \
        uint64_t c_, t4_, mh_, ml_;                                                      \
        KT_FE_MAC(c_, t0, (a)[0], bi, t0, 0u);                                           \
        KT_FE_MAC(c_, t1, (a)[1], bi, t1, c_);                                           \
        KT_FE_MAC(c_, t2, (a)[2], bi, t2, c_);                                           \
        KT_FE_MAC(t4_, t3, (a)[3], bi, t3, c_);                                          \
        KT_FE_MAC(mh_, ml_, (uint64_t)0 - t0, KT_FE_P3, 0u, 0u);                         \
        kt_u128 s_ = (kt_u128)t1 + (t0 != 0);                                            \
        t0 = (uint64_t)s_;                                                               \
        s_ = (s_ >> 64) + t2;                                                            \
        t1 = (uint64_t)s_;                                                               \
        s_ = (s_ >> 64) + t3 + ml_;                                                      \
        t2 = (uint64_t)s_;                                                               \
        t3 = (uint64_t)(s_ >> 64) + t4_ + mh_;                                           \
    } while (0)

/*
 * r = a*b/R mod p in [0, 2p), for inputs below 4p: the result is below
 * p + 16p^2/R < 1.51p (below 1.13p when the inputs are below 2p).
 */
KT_FE_INLINE void kt_fe_mul_lazy(kt_fe *r, const kt_fe *a, const kt_fe *b) {
    const uint64_t x[4] = {a->v[0], a->v[1], a->v[2], a->v[3]};
    const uint64_t b0 = b->v[0], b1 = b->v[1], b2 = b->v[2], b3 = b->v[3];
    uint64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    KT_FE_CIOS_STEP(t0, t1, t2, t3, x, b0);
    KT_FE_CIOS_STEP(t0, t1, t2, t3, x, b1);
    KT_FE_CIOS_STEP(t0, t1, t2, t3, x, b2);
    KT_FE_CIOS_STEP(t0, t1, t2, t3, x, b3);
    r->v[0] = t0;
    r->v[1] = t1;
    r->v[2] = t2;
    r->v[3] = t3;
}

/*
 * r = a^2/R mod p in [0, 2p), input below 4p: the ten distinct limb
 * products (cross products once, doubled by a shift), then the reduction.
 */
KT_FE_INLINE void kt_fe_sqr_lazy(kt_fe *r, const kt_fe *a) {
    const uint64_t x0 = a->v[0], x1 = a->v[1], x2 = a->v[2], x3 = a->v[3];
    uint64_t t[8], c, h, c1, c2, c3, c4, c5, c6;
    /* cross products x_i*x_j (i < j), weights 1..6 */
    KT_FE_MAC(c, c1, x0, x1, 0u, 0u);
    KT_FE_MAC(c, c2, x0, x2, c, 0u);
    KT_FE_MAC(c4, c3, x0, x3, c, 0u);
    KT_FE_MAC(c, c3, x1, x2, c3, 0u);
    KT_FE_MAC(c5, c4, x1, x3, c4, c);
    KT_FE_MAC(c6, c5, x2, x3, c5, 0u);
    /* double; the cross sum is below 2^511 so nothing shifts out */
    uint64_t c7 = c6 >> 63;
    c6 = (c6 << 1) | (c5 >> 63);
    c5 = (c5 << 1) | (c4 >> 63);
    c4 = (c4 << 1) | (c3 >> 63);
    c3 = (c3 << 1) | (c2 >> 63);
    c2 = (c2 << 1) | (c1 >> 63);
    c1 <<= 1;
    /* add the squares x_i^2 at weight 2i */
    kt_u128 s;
    KT_FE_MAC(h, t[0], x0, x0, 0u, 0u);
    s = (kt_u128)c1 + h;
    t[1] = (uint64_t)s;
    KT_FE_MAC(h, t[2], x1, x1, c2, (uint64_t)(s >> 64));
    s = (kt_u128)c3 + h;
    t[3] = (uint64_t)s;
    KT_FE_MAC(h, t[4], x2, x2, c4, (uint64_t)(s >> 64));
    s = (kt_u128)c5 + h;
    t[5] = (uint64_t)s;
    KT_FE_MAC(h, t[6], x3, x3, c6, (uint64_t)(s >> 64));
    t[7] = c7 + h;
    kt_fe_redc_lazy(r, t);
}

/* r = a^3 (Montgomery form) in [0, 2p), input below 4p. */
KT_FE_INLINE void kt_fe_cube_lazy(kt_fe *r, const kt_fe *a) {
    kt_fe s;
    kt_fe_sqr_lazy(&s, a); /* < 1.51p */
    kt_fe_mul_lazy(r, &s, a);
}

/*
 * x86-64 with BMI2 + ADX: the same CIOS multiplication in assembly. mulx
 * leaves the flags alone and adcx/adox run two carry chains (low and high
 * halves of the partial products) side by side; gcc does not produce this
 * from the C above (it spills and serialises the u128 carries), clang
 * comes closer. Callers must check kt_fe_have_adx() first (CPUID; see
 * src/felt/fe_cpu.c). Same contract as kt_fe_mul_lazy.
 */
/*
 * Only in optimised builds: the blocks need twelve free general registers,
 * which an unoptimised build (frame pointer, spills; more so with ASan)
 * cannot give ("impossible constraints"). -O0 builds use the portable path.
 */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && defined(__OPTIMIZE__)
#define KT_FE_HAVE_X86_ASM 1

/* nonzero when the CPU has BMI2 and ADX (cached at load time) */
int kt_fe_have_adx(void);

/* Use the portable path from now on (benchmarks and tests only; not
 * synchronised with concurrent callers). */
void kt_fe_disable_adx(void);

/* one CIOS step for b[i] (i >= 1): t = (t + a*bi + m*p) / 2^64, with the
 * four t words in T0..T3, the new top word in T4 (free on entry). */
#define KT_FE_ADX_STEP(BOFF, T0, T1, T2, T3, T4)                                         \
    "movq " BOFF "(%[b]), %%rdx\n\t"                                                     \
    "xorl %%eax, %%eax\n\t"                                                              \
    "mulxq 0(%[a]), %[lo], %[hi]\n\t"                                                    \
    "adcxq %[lo], %[" T0 "]\n\t"                                                         \
    "adoxq %[hi], %[" T1 "]\n\t"                                                         \
    "mulxq 8(%[a]), %[lo], %[hi]\n\t"                                                    \
    "adcxq %[lo], %[" T1 "]\n\t"                                                         \
    "adoxq %[hi], %[" T2 "]\n\t"                                                         \
    "mulxq 16(%[a]), %[lo], %[hi]\n\t"                                                   \
    "adcxq %[lo], %[" T2 "]\n\t"                                                         \
    "adoxq %[hi], %[" T3 "]\n\t"                                                         \
    "mulxq 24(%[a]), %[lo], %[" T4 "]\n\t"                                               \
    "adcxq %[lo], %[" T3 "]\n\t"                                                         \
    "adoxq %%rax, %[" T4 "]\n\t"                                                         \
    "adcxq %%rax, %[" T4 "]\n\t" KT_FE_ADX_REDUCE(T0, T1, T2, T3, T4)

/* m = -T0 (neg sets CF = T0 != 0, the carry out of T0 + m); add m*P3 two
 * words up. mulx does not touch CF. */
#define KT_FE_ADX_REDUCE(T0, T1, T2, T3, T4)                                             \
    "movq %[" T0 "], %%rdx\n\t"                                                          \
    "negq %%rdx\n\t"                                                                     \
    "mulxq %[p3], %[lo], %[hi]\n\t"                                                      \
    "adcq $0, %[" T1 "]\n\t"                                                             \
    "adcq $0, %[" T2 "]\n\t"                                                             \
    "adcq %[lo], %[" T3 "]\n\t"                                                          \
    "adcq %[hi], %[" T4 "]\n\t"

static const uint64_t kt_fe_p3_mem = KT_FE_P3;

KT_FE_INLINE void kt_fe_mul_lazy_adx(kt_fe *r, const kt_fe *a, const kt_fe *b) {
    uint64_t t0, t1, t2, t3, t4, lo, hi;
    __asm__("movq 0(%[b]), %%rdx\n\t"
            "mulxq 0(%[a]), %[t0], %[t1]\n\t"
            "mulxq 8(%[a]), %[lo], %[t2]\n\t"
            "addq %[lo], %[t1]\n\t"
            "mulxq 16(%[a]), %[lo], %[t3]\n\t"
            "adcq %[lo], %[t2]\n\t"
            "mulxq 24(%[a]), %[lo], %[t4]\n\t"
            "adcq %[lo], %[t3]\n\t"
            "adcq $0, %[t4]\n\t" KT_FE_ADX_REDUCE("t0", "t1", "t2", "t3", "t4")
                KT_FE_ADX_STEP("8", "t1", "t2", "t3", "t4", "t0")
                    KT_FE_ADX_STEP("16", "t2", "t3", "t4", "t0", "t1")
                        KT_FE_ADX_STEP("24", "t3", "t4", "t0", "t1", "t2")
                /* store here: gcc -march=native otherwise gathers the four words
                 * into a vector register first, on the critical path */
                "movq %[t4], 0(%[r])\n\t"
                "movq %[t0], 8(%[r])\n\t"
                "movq %[t1], 16(%[r])\n\t"
                "movq %[t2], 24(%[r])"
            : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [t4] "=&r"(t4),
              [lo] "=&r"(lo), [hi] "=&r"(hi), "=m"(*(uint64_t(*)[4])r->v)
            : [a] "r"(a->v), [b] "r"(b->v), [r] "r"(r->v), [p3] "m"(kt_fe_p3_mem),
              "m"(*(const uint64_t(*)[4])a->v), "m"(*(const uint64_t(*)[4])b->v)
            : "rax", "rdx", "cc");
}

/*
 * The cube in one block: s = mont(x, x) with x read from memory, kept in
 * registers (no store/reload between the two products), then mont(s, x)
 * with s's words fed to rdx one per step, so each frees its register for
 * the accumulator: twelve registers in all, which still fits beside
 * ASan's frame pointer. Generic CIOS steps: B is the word of b for this
 * step, A0..A3 the multiplicand, T0..T4 the accumulator (T4 free on entry).
 */
#define KT_FE_ADX_FIRST(B, A0, A1, A2, A3, T0, T1, T2, T3, T4)                          \
    "movq " B ", %%rdx\n\t"                                                              \
    "mulxq " A0 ", %[" T0 "], %[" T1 "]\n\t"                                             \
    "mulxq " A1 ", %[lo], %[" T2 "]\n\t"                                                 \
    "addq %[lo], %[" T1 "]\n\t"                                                          \
    "mulxq " A2 ", %[lo], %[" T3 "]\n\t"                                                 \
    "adcq %[lo], %[" T2 "]\n\t"                                                          \
    "mulxq " A3 ", %[lo], %[" T4 "]\n\t"                                                 \
    "adcq %[lo], %[" T3 "]\n\t"                                                          \
    "adcq $0, %[" T4 "]\n\t" KT_FE_ADX_REDUCE(T0, T1, T2, T3, T4)

#define KT_FE_ADX_NEXT(B, A0, A1, A2, A3, T0, T1, T2, T3, T4)                           \
    "movq " B ", %%rdx\n\t"                                                              \
    "xorl %k[hi], %k[hi]\n\t"                                                            \
    "mulxq " A0 ", %[lo], %[hi]\n\t"                                                     \
    "adcxq %[lo], %[" T0 "]\n\t"                                                         \
    "adoxq %[hi], %[" T1 "]\n\t"                                                         \
    "mulxq " A1 ", %[lo], %[hi]\n\t"                                                     \
    "adcxq %[lo], %[" T1 "]\n\t"                                                         \
    "adoxq %[hi], %[" T2 "]\n\t"                                                         \
    "mulxq " A2 ", %[lo], %[hi]\n\t"                                                     \
    "adcxq %[lo], %[" T2 "]\n\t"                                                         \
    "adoxq %[hi], %[" T3 "]\n\t"                                                         \
    "mulxq " A3 ", %[lo], %[" T4 "]\n\t"                                                 \
    "adcxq %[lo], %[" T3 "]\n\t"                                                         \
    "movl $0, %k[lo]\n\t"                                                                \
    "adoxq %[lo], %[" T4 "]\n\t"                                                         \
    "adcxq %[lo], %[" T4 "]\n\t" KT_FE_ADX_REDUCE(T0, T1, T2, T3, T4)

/* expand the operand lists before the argument count is checked */
#define KT_FE_ADX_F(...) KT_FE_ADX_FIRST(__VA_ARGS__)
#define KT_FE_ADX_N(...) KT_FE_ADX_NEXT(__VA_ARGS__)
#define KT_FE_XM "0(%[x])", "8(%[x])", "16(%[x])", "24(%[x])"

/* r = a^3 (Montgomery) in [0, 2p), input below 9p; r may alias a. */
KT_FE_INLINE void kt_fe_cube_lazy_adx(kt_fe *r, const kt_fe *a) {
    uint64_t t0, t1, t2, t3, t4, u1, u2, u3, lo, hi;
    __asm__(KT_FE_ADX_F("0(%[x])", KT_FE_XM, "t0", "t1", "t2", "t3", "t4")
            KT_FE_ADX_N("8(%[x])", KT_FE_XM, "t1", "t2", "t3", "t4", "t0")
            KT_FE_ADX_N("16(%[x])", KT_FE_XM, "t2", "t3", "t4", "t0", "t1")
            KT_FE_ADX_N("24(%[x])", KT_FE_XM, "t3", "t4", "t0", "t1", "t2")
            /* s = x^2 = (t4, t0, t1, t2); now s * x, s word by word */
            KT_FE_ADX_F("%[t4]", KT_FE_XM, "t3", "t4", "u1", "u2", "u3")
            KT_FE_ADX_N("%[t0]", KT_FE_XM, "t4", "u1", "u2", "u3", "t3")
            KT_FE_ADX_N("%[t1]", KT_FE_XM, "u1", "u2", "u3", "t3", "t4")
            KT_FE_ADX_N("%[t2]", KT_FE_XM, "u2", "u3", "t3", "t4", "t0")
            : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [t4] "=&r"(t4),
              [u1] "=&r"(u1), [u2] "=&r"(u2), [u3] "=&r"(u3), [lo] "=&r"(lo), [hi] "=&r"(hi)
            : [x] "r"(a->v), [p3] "m"(kt_fe_p3_mem), "m"(*(const uint64_t(*)[4])a->v)
            : "rdx", "cc");
    r->v[0] = u3;
    r->v[1] = t3;
    r->v[2] = t4;
    r->v[3] = t0;
}
#endif

#if defined(KT_FE_HAVE_X86_ASM)
/*
 * x86-64 add/adc chains for the permutation's linear layer (gcc turns the
 * u128 carries of the C versions into setc/movzx sequences). Same
 * contracts as kt_fe_add_raw, kt_fe_sub_raw and kt_fe_weak.
 */
KT_FE_INLINE void kt_fe_add_raw_x86(kt_fe *r, const kt_fe *a, const kt_fe *b) {
    uint64_t r0 = a->v[0], r1 = a->v[1], r2 = a->v[2], r3 = a->v[3];
    __asm__("addq %4, %0\n\tadcq %5, %1\n\tadcq %6, %2\n\tadcq %7, %3"
            : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3)
            : "r"(b->v[0]), "r"(b->v[1]), "r"(b->v[2]), "r"(b->v[3])
            : "cc");
    r->v[0] = r0;
    r->v[1] = r1;
    r->v[2] = r2;
    r->v[3] = r3;
}

KT_FE_INLINE void kt_fe_sub_raw_x86(kt_fe *r, const kt_fe *a, const kt_fe *b) {
    uint64_t r0 = a->v[0], r1 = a->v[1], r2 = a->v[2], r3 = a->v[3];
    __asm__("subq %4, %0\n\tsbbq %5, %1\n\tsbbq %6, %2\n\tsbbq %7, %3"
            : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3)
            : "r"(b->v[0]), "r"(b->v[1]), "r"(b->v[2]), "r"(b->v[3])
            : "cc");
    r->v[0] = r0;
    r->v[1] = r1;
    r->v[2] = r2;
    r->v[3] = r3;
}

KT_FE_INLINE void kt_fe_weak_x86(uint64_t x[4]) {
    uint64_t k = (uint64_t)1 - (x[3] >> 59);
    uint64_t sx = (uint64_t)0 - (k >> 63);
    uint64_t kp = k * KT_FE_P3;
    uint64_t r0 = x[0], r1 = x[1], r2 = x[2], r3 = x[3];
    __asm__("addq %4, %0\n\tadcq %5, %1\n\tadcq %5, %2\n\tadcq %5, %3"
            : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3)
            : "r"(k), "r"(sx)
            : "cc");
    x[0] = r0;
    x[1] = r1;
    x[2] = r2;
    x[3] = r3 + kp;
}
#endif

/* Reduced results, inputs below 4p. */
KT_FE_INLINE void kt_fe_mul(kt_fe *r, const kt_fe *a, const kt_fe *b) {
    kt_fe_mul_lazy(r, a, b);
    kt_fe_reduce_once(r->v);
}

KT_FE_INLINE void kt_fe_sqr(kt_fe *r, const kt_fe *a) {
    kt_fe_sqr_lazy(r, a);
    kt_fe_reduce_once(r->v);
}

/*
 * Weak reduction: any x < 2^256 -> [0, 2p), congruent mod p. With
 * q = floor(x / 2^251) < 32 it returns x - (q - 1)*p, which is x + p < 2p
 * when q = 0 and lies in (2^251 - 30*(17*2^192 + 1), 2^252) otherwise.
 * k = 1 - q is small and signed, p = 1 + P3*2^192, so the update is
 * x + sext(k) + (k*P3 mod 2^64)*2^192, exact modulo 2^256.
 */
KT_FE_INLINE void kt_fe_weak(uint64_t x[4]) {
    uint64_t k = (uint64_t)1 - (x[3] >> 59);
    uint64_t sx = (uint64_t)0 - (k >> 63); /* all ones when k < 0 */
    kt_u128 acc = (kt_u128)x[0] + k;
    x[0] = (uint64_t)acc;
    acc = (acc >> 64) + x[1] + sx;
    x[1] = (uint64_t)acc;
    acc = (acc >> 64) + x[2] + sx;
    x[2] = (uint64_t)acc;
    x[3] = (uint64_t)(acc >> 64) + x[3] + sx + k * KT_FE_P3;
}

/* r = a + b, unreduced: the caller keeps the sum below 2^256. */
KT_FE_INLINE void kt_fe_add_raw(kt_fe *r, const kt_fe *a, const kt_fe *b) {
    kt_u128 acc = (kt_u128)a->v[0] + b->v[0];
    r->v[0] = (uint64_t)acc;
    acc = (acc >> 64) + a->v[1] + b->v[1];
    r->v[1] = (uint64_t)acc;
    acc = (acc >> 64) + a->v[2] + b->v[2];
    r->v[2] = (uint64_t)acc;
    r->v[3] = (uint64_t)(acc >> 64) + a->v[3] + b->v[3];
}

/* r = a - b, unreduced: the caller guarantees a >= b. */
KT_FE_INLINE void kt_fe_sub_raw(kt_fe *r, const kt_fe *a, const kt_fe *b) {
    kt_u128 acc = (kt_u128)a->v[0] - b->v[0];
    r->v[0] = (uint64_t)acc;
    acc = (kt_u128)a->v[1] - b->v[1] - (uint64_t)(acc >> 64 & 1u);
    r->v[1] = (uint64_t)acc;
    acc = (kt_u128)a->v[2] - b->v[2] - (uint64_t)(acc >> 64 & 1u);
    r->v[2] = (uint64_t)acc;
    r->v[3] = a->v[3] - b->v[3] - (uint64_t)(acc >> 64 & 1u);
}

/* Reduced addition, inputs in [0, p). */
KT_FE_INLINE void kt_fe_add(kt_fe *r, const kt_fe *a, const kt_fe *b) {
    kt_fe_add_raw(r, a, b); /* < 2p < 2^253 */
    kt_fe_reduce_once(r->v);
}

/* Reduced subtraction, inputs in [0, p): a - b, plus p if that borrowed. */
KT_FE_INLINE void kt_fe_sub(kt_fe *r, const kt_fe *a, const kt_fe *b) {
    uint64_t d[4];
    kt_u128 acc = (kt_u128)a->v[0] - b->v[0];
    d[0] = (uint64_t)acc;
    acc = (kt_u128)a->v[1] - b->v[1] - (uint64_t)(acc >> 64 & 1u);
    d[1] = (uint64_t)acc;
    acc = (kt_u128)a->v[2] - b->v[2] - (uint64_t)(acc >> 64 & 1u);
    d[2] = (uint64_t)acc;
    acc = (kt_u128)a->v[3] - b->v[3] - (uint64_t)(acc >> 64 & 1u);
    d[3] = (uint64_t)acc;
    uint64_t mask = (uint64_t)0 - (uint64_t)(acc >> 64 & 1u);
    acc = (kt_u128)d[0] + (mask & 1u);
    r->v[0] = (uint64_t)acc;
    acc = (acc >> 64) + d[1];
    r->v[1] = (uint64_t)acc;
    acc = (acc >> 64) + d[2];
    r->v[2] = (uint64_t)acc;
    r->v[3] = (uint64_t)(acc >> 64) + d[3] + (mask & KT_FE_P3);
}

/* Montgomery constants: R mod p (one) and R^2 mod p (for conversion in). */
static const kt_fe kt_fe_one = {{UINT64_C(0xffffffffffffffe1), UINT64_C(0xffffffffffffffff),
                                 UINT64_C(0xffffffffffffffff), UINT64_C(0x07fffffffffffdf0)}};
static const kt_fe kt_fe_r2 = {{UINT64_C(0xfffffd737e000401), UINT64_C(0x00000001330fffff),
                                UINT64_C(0xffffffffff6f8000), UINT64_C(0x07ffd4ab5e008810)}};

/* Canonical limbs (< p) -> Montgomery form, reduced. */
KT_FE_INLINE void kt_fe_from_canonical(kt_fe *r, const uint64_t a[4]) {
    kt_fe x = {{a[0], a[1], a[2], a[3]}};
    kt_fe_mul(r, &x, &kt_fe_r2);
}

/* Montgomery form (any value below 4p) -> canonical limbs in [0, p). */
KT_FE_INLINE void kt_fe_to_canonical(uint64_t r[4], const kt_fe *a) {
    uint64_t t[8] = {a->v[0], a->v[1], a->v[2], a->v[3], 0, 0, 0, 0};
    kt_fe out;
    kt_fe_redc_lazy(&out, t); /* <= p: only a multiple of p can give p */
    kt_fe_reduce_once(out.v);
    for (int i = 0; i < 4; i++)
        r[i] = out.v[i];
}

#endif
