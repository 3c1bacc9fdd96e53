/*
 * bench_verify: kt_verify throughput on one warm context against raw OpenSSL
 * ECDSA P-384 verification of the same signature, the cold (first quote,
 * full chain) latency, and scaling from 1 to 2 threads on one shared context.
 *
 *   bench_verify [--seconds S] [--json]
 *
 * Uses the real Genoa fixture (genoa-v3-tinfoil) with AMD's chain.
 */
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "katana_tee/quote.h"
#include "katana_tee/verify.h"
#include "util/fileio.h"

#define FX KT_SHARED_DIR "/fixtures/snp/"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint8_t *slurp(const char *path, size_t *len) {
    uint8_t *data = NULL;
    kt_error err = {0};
    if (kt_file_read(path, 1 << 20, &data, len, &err) != KT_OK) {
        fprintf(stderr, "bench_verify: %s\n", err.message);
        exit(3);
    }
    return data;
}

typedef struct bench_ctx {
    kt_verifier *verifier;
    kt_quote *quote;
    kt_verify_opts opts;
    double seconds;
    /* raw OpenSSL */
    EVP_PKEY *leaf_key;
    unsigned char *sig_der;
    int sig_len;
} bench_ctx;

/*
 * Both kinds of verification run on the same thread in alternating slices of
 * 16, each slice timed on its own: the two vCPUs of this machine kind differ
 * in speed from run to run, so measuring one kind after the other would
 * compare CPUs, not code.
 */
typedef struct run_result {
    long count[2];      /* [0] raw OpenSSL, [1] kt_verify */
    double elapsed[2];
    int failures;
} run_result;

typedef struct thread_arg {
    bench_ctx *ctx;
    run_result result;
} thread_arg;

static int raw_verify(bench_ctx *c) {
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = EVP_DigestVerifyInit(md, NULL, EVP_sha384(), NULL, c->leaf_key) == 1 &&
             EVP_DigestVerify(md, c->sig_der, (size_t)c->sig_len, c->quote->report_bytes,
                              KT_REPORT_SIGNED_SIZE) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}

static void *loop(void *p) {
    thread_arg *a = p;
    bench_ctx *c = a->ctx;
    kt_verdict *vd = malloc(sizeof *vd);
    double end = now_s() + c->seconds;
    while (now_s() < end) {
        for (int kind = 0; kind < 2; kind++) {
            double t0 = now_s();
            for (int i = 0; i < 16; i++) {
                kt_error err = {0};
                int ok = kind == 0 ? raw_verify(c)
                                   : kt_verify(c->verifier, c->quote, &c->opts, vd, &err) == KT_OK;
                a->result.failures += !ok;
            }
            a->result.elapsed[kind] += now_s() - t0;
            a->result.count[kind] += 16;
        }
    }
    free(vd);
    return NULL;
}

/* Rates (per second, summed over threads) of raw OpenSSL and kt_verify. */
static void rates(bench_ctx *c, int threads, double out[2], int *failures) {
    pthread_t th[8];
    thread_arg args[8];
    for (int i = 0; i < threads; i++) {
        memset(&args[i], 0, sizeof args[i]);
        args[i].ctx = c;
        pthread_create(&th[i], NULL, loop, &args[i]);
    }
    out[0] = out[1] = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        for (int k = 0; k < 2; k++)
            out[k] += (double)args[i].result.count[k] / args[i].result.elapsed[k];
        *failures += args[i].result.failures;
    }
}

static void setup_raw(bench_ctx *c, const uint8_t *vcek, size_t vcek_len) {
    const unsigned char *p = vcek;
    X509 *x = d2i_X509(NULL, &p, (long)vcek_len);
    c->leaf_key = X509_get_pubkey(x);
    X509_free(x);
    uint8_t r[72], s[72];
    for (int i = 0; i < 72; i++) {
        r[i] = c->quote->report_bytes[0x2A0 + 71 - i];
        s[i] = c->quote->report_bytes[0x2E8 + 71 - i];
    }
    ECDSA_SIG *sig = ECDSA_SIG_new();
    ECDSA_SIG_set0(sig, BN_bin2bn(r, 72, NULL), BN_bin2bn(s, 72, NULL));
    c->sig_der = NULL;
    c->sig_len = i2d_ECDSA_SIG(sig, &c->sig_der);
    ECDSA_SIG_free(sig);
}

int main(int argc, char **argv) {
    bench_ctx c;
    memset(&c, 0, sizeof c);
    c.seconds = 2.0;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            c.seconds = atof(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_verify [--seconds S] [--json]\n");
            return 2;
        }
    }
    size_t qlen, vlen, alen, klen;
    uint8_t *qbytes = slurp(FX "genoa-v3-tinfoil/report.bin", &qlen);
    uint8_t *vcek = slurp(FX "genoa-v3-tinfoil/vcek.der", &vlen);
    uint8_t *ark = slurp(FX "amd-roots/genoa_ark.der", &alen);
    uint8_t *ask = slurp(FX "amd-roots/genoa_ask.der", &klen);
    kt_error err = {0};
    kt_certs *certs = NULL;
    if (kt_quote_decode(qbytes, qlen, &c.quote, &err) != KT_OK || kt_certs_new(&certs, &err) != KT_OK ||
        kt_certs_add(certs, KT_ROLE_ARK, ark, alen, "ark", false, &err) != KT_OK ||
        kt_certs_add(certs, KT_ROLE_ASK, ask, klen, "ask", false, &err) != KT_OK ||
        kt_certs_add(certs, KT_ROLE_VCEK, vcek, vlen, "vcek", false, &err) != KT_OK ||
        kt_verifier_new(&c.verifier, &err) != KT_OK) {
        fprintf(stderr, "bench_verify: %s\n", err.message);
        return 3;
    }
    kt_verify_opts_init(&c.opts);
    c.opts.certs = certs;
    c.opts.skip_report_data = false;
    memcpy(c.opts.report_data, c.quote->report_bytes + 0x50, 64);
    c.opts.has_report_data = true;
    c.opts.has_time = true;
    c.opts.at = 1795478400; /* 2026-11-24 */
    setup_raw(&c, vcek, vlen);

    /* cold: a fresh context, the full chain (3 RSA-PSS + 1 ECDSA), median of 5 */
    double cold[5];
    kt_verdict *vd = malloc(sizeof *vd);
    for (int i = 0; i < 5; i++) {
        kt_verifier *fresh = NULL;
        if (kt_verifier_new(&fresh, &err) != KT_OK)
            return 3;
        double t0 = now_s();
        kt_status st = kt_verify(fresh, c.quote, &c.opts, vd, &err);
        cold[i] = now_s() - t0;
        kt_verifier_free(&fresh);
        if (st != KT_OK) {
            fprintf(stderr, "bench_verify: the fixture does not verify: %s\n", err.message);
            return 1;
        }
    }
    for (int i = 0; i < 5; i++)
        for (int j = i + 1; j < 5; j++)
            if (cold[j] < cold[i]) {
                double t = cold[i];
                cold[i] = cold[j];
                cold[j] = t;
            }
    free(vd);

    int failures = 0;
    double one[2], two[2];
    rates(&c, 1, one, &failures);
    rates(&c, 2, two, &failures);
    double raw1 = one[0], kt1 = one[1], raw2 = two[0], kt2 = two[1];
    if (failures) {
        fprintf(stderr, "bench_verify: %d verifications failed\n", failures);
        return 1;
    }
    if (json) {
        printf("{\"raw_openssl_per_s\": %.0f, \"kt_verify_per_s\": %.0f, \"ratio\": %.3f, "
               "\"raw_openssl_2t_per_s\": %.0f, \"kt_verify_2t_per_s\": %.0f, "
               "\"scaling_2t\": %.3f, \"cold_ms\": %.3f}\n",
               raw1, kt1, kt1 / raw1, raw2, kt2, kt2 / kt1, cold[2] * 1e3);
    } else {
        printf("verification of a real Genoa report (genoa-v3-tinfoil); raw and kt_verify alternate\n"
               "on the same threads, %.1f s per thread count\n\n",
               c.seconds);
        printf("%-46s %12s\n", "", "per second");
        printf("%-46s %12.0f\n", "raw OpenSSL ECDSA P-384 verify, 1 thread", raw1);
        printf("%-46s %12.0f  (%.1f%% of raw)\n", "kt_verify, warm context, 1 thread", kt1,
               100.0 * kt1 / raw1);
        printf("%-46s %12.0f\n", "raw OpenSSL ECDSA P-384 verify, 2 threads", raw2);
        printf("%-46s %12.0f  (%.2fx of 1 thread)\n", "kt_verify, one shared context, 2 threads",
               kt2, kt2 / kt1);
        printf("\ncold: first quote on a fresh context (full chain): %.2f ms (median of 5)\n",
               cold[2] * 1e3);
        printf("warm: %.3f ms per quote\n", 1e3 / kt1);
    }
    OPENSSL_free(c.sig_der);
    EVP_PKEY_free(c.leaf_key);
    kt_certs_free(&certs);
    kt_quote_free(&c.quote);
    kt_verifier_free(&c.verifier);
    free(qbytes);
    free(vcek);
    free(ark);
    free(ask);
    return 0;
}
