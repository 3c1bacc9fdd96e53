/*
 * bench_measure: kt_measure() in process, without program start-up, on the
 * full-size Debian OVMF_CODE_4M.fd (--mode snp, 4 vCPUs, EPYC-Genoa),
 * against one OpenSSL SHA-384 over the same buffer. Median of N runs
 * (default 50; argv[1] overrides). bench/measure.sh compares whole
 * processes (katana-tee measure vs sha384sum).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "katana_tee/measure.h"
#include "util/fileio.h"

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv) {
    int runs = argc > 1 ? atoi(argv[1]) : 50;
    if (runs < 1 || runs > 100000)
        runs = 50;
    const char *dir = getenv("KT_SHARED");
    char path[4096];
    snprintf(path, sizeof path, "%s/vectors/snp-measure/debian_OVMF_CODE_4M.fd",
             dir ? dir : KT_SHARED_DIR);
    uint8_t *fw = NULL;
    size_t len = 0;
    kt_error err = {0};
    if (kt_file_read(path, 64u << 20, &fw, &len, &err) != KT_OK) {
        fprintf(stderr, "bench_measure: %s\n", err.message);
        return 1;
    }
    kt_measure_options o;
    kt_measure_options_init(&o);
    o.ovmf = fw;
    o.ovmf_len = len;
    o.vcpus = 4;
    if (kt_measure_vcpu_sig_by_name("EPYC-Genoa", &o.vcpu_sig, &err) != KT_OK)
        return 1;
    double *tm = calloc((size_t)runs, sizeof *tm), *ts = calloc((size_t)runs, sizeof *ts);
    if (!tm || !ts)
        return 1;
    uint8_t digest[KT_MEASURE_DIGEST_SIZE], h[64];
    size_t n = 0;
    unsigned int hn = 0;
    EVP_MD *md = EVP_MD_fetch(NULL, "SHA384", NULL);
    /* Warm up: OpenSSL provider set-up, page cache, thread start. */
    if (!md || kt_measure(&o, digest, &n, &err) != KT_OK) {
        fprintf(stderr, "bench_measure: %s\n", err.message);
        return 1;
    }
    for (int i = 0; i < runs; i++) {
        double t0 = now_ms();
        if (kt_measure(&o, digest, &n, &err) != KT_OK)
            return 1;
        double t1 = now_ms();
        if (EVP_Digest(fw, len, h, &hn, md, NULL) != 1)
            return 1;
        double t2 = now_ms();
        tm[i] = t1 - t0;
        ts[i] = t2 - t1;
    }
    double m = median(tm, runs), s = median(ts, runs);
    printf("debian_OVMF_CODE_4M.fd (%zu bytes, %zu pages), --mode snp --vcpus 4, median of %d\n",
           len, len / 4096, runs);
    printf("kt_measure():          %.3f ms\n", m);
    printf("SHA-384 of the buffer: %.3f ms\n", s);
    printf("ratio:                 %.2fx\n", m / s);
    EVP_MD_free(md);
    free(tm);
    free(ts);
    free(fw);
    return 0;
}
