/*
 * bench_poseidon: cost of the Stark-field multiplication and of Poseidon.
 *
 *   bench_poseidon [--json] [--quick] [--min] [--portable]
 *
 * Each figure is the median of 9 runs (--min: the fastest run; --quick:
 * 10x shorter runs; --portable: the C path even where BMI2/ADX exists).
 * Each run times a chain of dependent operations (the output of one is the
 * input of the next, as in the permutation), so neither the compiler nor
 * the CPU can skip or overlap
 * work; the final value is written to a volatile sink. Times are thread
 * CPU time (CLOCK_THREAD_CPUTIME_ID). floor_ns is 214
 * multiplications: 8 full rounds x 3 cubes + 83 partial rounds x 1 cube =
 * 107 cubes of two multiplications each, i.e. the permutation's cost if
 * everything but the S-boxes were free.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "felt/fe.h"
#include "katana_tee/felt.h"
#include "katana_tee/poseidon.h"
#include "poseidon/poseidon_internal.h"

#define RUNS 9

static volatile uint64_t sink;

/* Thread CPU time: the machine is shared, and time spent descheduled is
 * not ours. */
static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int use_min; /* --min: report the fastest run (for noisy machines) */

static double median(double v[RUNS]) {
    qsort(v, RUNS, sizeof v[0], cmp_double);
    return use_min ? v[0] : v[RUNS / 2];
}

static kt_fe start_value(uint64_t seed) {
    kt_fe x = {{seed * 0x9e3779b97f4a7c15u, seed ^ 0x243f6a8885a308d3u, 0x13198a2e03707344u,
                0x03a4093822299f31u}};
    return x;
}

/* The multiplication the permutation uses on this CPU (lazy reduction). */
static int use_adx;

static double bench_mul(long n) {
    double t[RUNS];
    kt_fe x = start_value(1), y = start_value(2);
    for (int r = 0; r < RUNS; r++) {
        double t0 = now_ns();
#ifdef KT_FE_HAVE_X86_ASM
        if (use_adx) {
            for (long i = 0; i < n; i++)
                kt_fe_mul_lazy_adx(&x, &x, &y);
        } else
#endif
            for (long i = 0; i < n; i++)
                kt_fe_mul_lazy(&x, &x, &y);
        t[r] = (now_ns() - t0) / (double)n;
    }
    sink = x.v[0];
    return median(t);
}

static double bench_sqr(long n) {
    double t[RUNS];
    kt_fe x = start_value(3);
    for (int r = 0; r < RUNS; r++) {
        double t0 = now_ns();
#ifdef KT_FE_HAVE_X86_ASM
        if (use_adx) {
            for (long i = 0; i < n; i++)
                kt_fe_mul_lazy_adx(&x, &x, &x);
        } else
#endif
            for (long i = 0; i < n; i++)
                kt_fe_sqr_lazy(&x, &x);
        t[r] = (now_ns() - t0) / (double)n;
    }
    sink = x.v[0];
    return median(t);
}

static double bench_permutation(long n) {
    double t[RUNS];
    kt_fe s[3] = {start_value(4), start_value(5), start_value(6)};
    for (int r = 0; r < RUNS; r++) {
        double t0 = now_ns();
        for (long i = 0; i < n; i++)
            kt_poseidon_permute_fe(s);
        t[r] = (now_ns() - t0) / (double)n;
    }
    sink = s[0].v[0];
    return median(t);
}

static double bench_hash2(long n) {
    double t[RUNS];
    kt_felt a = kt_felt_from_u64(1), b = kt_felt_from_u64(2);
    for (int r = 0; r < RUNS; r++) {
        double t0 = now_ns();
        for (long i = 0; i < n; i++) {
            kt_felt h = kt_poseidon_hash(&a, &b);
            a = b;
            b = h;
        }
        t[r] = (now_ns() - t0) / (double)n;
    }
    sink = b.limb[0];
    return median(t);
}

static double bench_hash_many100(long n) {
    double t[RUNS];
    kt_felt xs[100];
    for (int i = 0; i < 100; i++)
        xs[i] = kt_felt_from_u64((uint64_t)i * 7919u + 1u);
    for (int r = 0; r < RUNS; r++) {
        double t0 = now_ns();
        for (long i = 0; i < n; i++)
            xs[i % 100] = kt_poseidon_hash_many(xs, 100);
        t[r] = (now_ns() - t0) / (double)n;
    }
    sink = xs[0].limb[0];
    return median(t);
}

int main(int argc, char **argv) {
    int json = 0;
    long scale = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--quick") == 0)
            scale = 10;
        else if (strcmp(argv[i], "--min") == 0)
            use_min = 1;
        else if (strcmp(argv[i], "--portable") == 0) {
#ifdef KT_FE_HAVE_X86_ASM
            kt_fe_disable_adx();
#endif
        }
        else {
            fprintf(stderr, "usage: %s [--json] [--quick] [--min] [--portable]\n", argv[0]);
            return 2;
        }
    }
#ifdef KT_FE_HAVE_X86_ASM
    use_adx = kt_fe_have_adx();
#endif
    double mul = bench_mul(2000000 / scale);
    double sqr = bench_sqr(2000000 / scale);
    double perm = bench_permutation(20000 / scale);
    double hash2 = bench_hash2(20000 / scale);
    double many = bench_hash_many100(400 / scale);
    double floor_ns = 214.0 * mul;
    if (json) {
        printf("{\"mul_ns\": %.2f, \"sqr_ns\": %.2f, \"permutation_ns\": %.1f, \"hash2_ns\": %.1f, "
               "\"hash_many100_ns\": %.1f, \"floor_ns\": %.1f, \"path\": \"%s\"}\n",
               mul, sqr, perm, hash2, many, floor_ns, use_adx ? "adx" : "portable");
    } else {
        printf("path: %s\n", use_adx ? "x86-64 BMI2/ADX assembly" : "portable C");
        printf("field mul            %8.2f ns\n", mul);
        printf("field sqr            %8.2f ns\n", sqr);
        printf("permutation          %8.1f ns  (%.2fx floor)\n", perm, perm / floor_ns);
        printf("poseidon_hash(a, b)  %8.1f ns  (%.2fx floor)\n", hash2, hash2 / floor_ns);
        printf("hash_many(100)       %8.1f ns\n", many);
        printf("floor (214 x mul)    %8.1f ns\n", floor_ns);
    }
    return 0;
}
