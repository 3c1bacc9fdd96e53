/*
 * Test support for the KDS client tests (test_kds.c, test_kds_cache.c): a
 * loopback fake KDS per test group, a fresh cache folder per test, and a
 * fake clock so retries and expiry are decided without waiting.
 */
#ifndef KT_TEST_KDS_ENV_H
#define KT_TEST_KDS_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "fake_kds.h"
#include "katana_tee/kds.h"
#include "katana_tee/report.h"

/* A fake clock: sleeping advances it and is recorded, nothing really waits. */
typedef struct kds_clock {
    uint64_t mono;
    time_t wall;
    double jitter;
    size_t nsleeps;
    uint64_t sleeps[32];
} kds_clock;

typedef struct kds_env {
    kt_fake_kds srv;
    char *cache;
    kds_clock clock;
} kds_env;

/* cmocka group setup/teardown: start and stop the fake KDS, make/remove the cache folder. */
int kds_env_setup(void **state);
int kds_env_teardown(void **state);

/* Fresh cache, empty plan and log, clock at mono 1000 / wall now, jitter 0.5. */
void kds_env_reset(kds_env *e);

/* A client on the fake KDS and the env's cache, with the fake clock's hooks. */
kt_kds_client *kds_client_with(kds_env *e, kt_kds_opts *o);
kt_kds_client *kds_client(kds_env *e);

/* fixtures/snp/<set>/report.bin parsed leniently with a product hint; fails the test otherwise. */
void kds_load_report(const char *set, kt_product hint, kt_report *r);
/* The report's 64-byte chip id as hex (static buffer). */
char *kds_chip_hex(const kt_report *r);

bool kds_file_exists(const char *path);
/* <cache>/vcek/Milan/<chip hex>/<tcb>.der */
void kds_vcek_cache_path(kds_env *e, const kt_report *r, const char *tcb, char *out, size_t cap);
/* Whether any warning the client collected contains `needle`. */
bool kds_has_warning(kt_kds_client *c, const char *needle);
/* Write a file atomically; fails the test on error. */
void kds_write_file(const char *path, const void *data, size_t len);

#endif
