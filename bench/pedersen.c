/*
 * bench_pedersen: the Pedersen hash next to Poseidon, in one run.
 *
 *   bench_pedersen [--quick] [--portable]
 *
 * Prints the time per pedersen(a, b) with the fixed-base tables (what a
 * process gets once it has hashed 256 times) and without them (its first
 * 256 hashes), per Katana TEE config hash (pedersen_hash_array of 3 felts
 * = 4 Pedersen hashes, in a fresh process: without tables), per Poseidon
 * hash(a, b), and the one-time cost of building the Pedersen tables. Each
 * figure is the median of 9 runs of a dependent chain (each output feeds
 * the next input), in thread CPU time. --portable: the C field arithmetic
 * even where the CPU has BMI2/ADX (must come before the first hash).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "felt/fe.h"
#include "katana_tee/felt.h"
#include "katana_tee/katana_v1.h"
#include "katana_tee/pedersen.h"
#include "katana_tee/poseidon.h"
#include "pedersen/pedersen_internal.h"

#define RUNS 9

static volatile uint64_t sink;

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double v[RUNS]) {
    qsort(v, RUNS, sizeof v[0], cmp_double);
    return v[RUNS / 2];
}

/* A felt with bits in every byte (so every table window is used). */
static kt_felt start_felt(uint64_t seed) {
    kt_felt f = {{seed * 0x9e3779b97f4a7c15u, seed ^ 0x243f6a8885a308d3u, 0x13198a2e03707344u,
                  0x03a4093822299f31u}};
    return f;
}

typedef enum { PEDERSEN_TABLES, PEDERSEN_DIRECT, CONFIG_HASH, POSEIDON } op_kind;

static double bench(op_kind op, long n) {
    double t[RUNS];
    kt_felt a = start_felt(1), b = start_felt(2);
    kt_felt fee = kt_v1_default_fee_token();
    for (int r = 0; r < RUNS; r++) {
        double t0 = now_ns();
        for (long i = 0; i < n; i++) {
            switch (op) {
            case PEDERSEN_TABLES: a = kt_pedersen_hash_tables(&a, &b); break;
            case PEDERSEN_DIRECT: a = kt_pedersen_hash_direct(&a, &b); break;
            case CONFIG_HASH: a = kt_v1_config_hash(&a, &fee); break;
            case POSEIDON: a = kt_poseidon_hash(&a, &b); break;
            }
        }
        t[r] = (now_ns() - t0) / (double)n;
    }
    sink = a.limb[0];
    return median(t);
}

int main(int argc, char **argv) {
    long scale = 1;
    const char *path = "default";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            scale = 10;
        } else if (strcmp(argv[i], "--portable") == 0) {
#ifdef KT_FE_HAVE_X86_ASM
            kt_fe_disable_adx();
#endif
            path = "portable C";
        } else {
            fprintf(stderr, "usage: bench_pedersen [--quick] [--portable]\n");
            return 2;
        }
    }
#ifdef KT_FE_HAVE_X86_ASM
    if (kt_fe_have_adx())
        path = "BMI2/ADX";
#endif
    /* the config hash first, while the process is fresh: 9 x 5 config
     * hashes are 180 Pedersen hashes, all below the 256 that go direct */
    double cfg = bench(CONFIG_HASH, 5);
    /* the first table hash builds the tables */
    kt_felt x = kt_felt_from_u64(1), y = kt_felt_from_u64(2);
    double t0 = now_ns();
    kt_felt h = kt_pedersen_hash_tables(&x, &y);
    double setup_ms = (now_ns() - t0) / 1e6;
    sink = h.limb[0];

    double ped = bench(PEDERSEN_TABLES, 20000 / scale);
    double direct = bench(PEDERSEN_DIRECT, 1000 / scale);
    double pos = bench(POSEIDON, 200000 / scale);
    printf("field arithmetic: %s\n", path);
    printf("pedersen(a, b), tables  %8.2f us\n", ped / 1e3);
    printf("pedersen(a, b), direct  %8.2f us\n", direct / 1e3);
    printf("config hash (4 x ped)   %8.2f us   (direct: a fresh process)\n", cfg / 1e3);
    printf("poseidon hash(a, b)     %8.2f us   (pedersen tables / poseidon = %.1fx)\n",
           pos / 1e3, ped / pos);
    printf("pedersen tables, once   %8.2f ms   (= %.0f direct hashes)\n", setup_ms,
           setup_ms * 1e6 / direct);
    return 0;
}
