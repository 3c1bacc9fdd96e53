/* Test support: the fake-KDS environment shared by the KDS client tests. */
#include "kds_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "katana_tee/hex.h"
#include "kds/kds_internal.h"
#include "testutil.h"
#include "util/fileio.h"

void kds_load_report(const char *set, kt_product hint, kt_report *r) {
    char rel[256];
    snprintf(rel, sizeof rel, "fixtures/snp/%s/report.bin", set);
    size_t len = 0;
    uint8_t *bytes = kt_test_read_shared(rel, &len);
    kt_report_parse_opts o = {false, hint};
    kt_error err = {0};
    if (kt_report_parse_ex(bytes, len, &o, r, NULL, &err) != KT_OK)
        fail_msg("%s: %s", rel, err.message);
    free(bytes);
}

char *kds_chip_hex(const kt_report *r) {
    static char hex[129];
    kt_hex_encode(r->chip_id, 64, hex);
    return hex;
}

/* A fake clock: sleeping advances it and is recorded, nothing really waits. */
static uint64_t kds_fc_mono(void *ctx) {
    return ((kds_clock *)ctx)->mono;
}
static time_t kds_fc_wall(void *ctx) {
    return ((kds_clock *)ctx)->wall;
}
static void kds_fc_sleep(void *ctx, uint64_t ms) {
    kds_clock *c = ctx;
    if (c->nsleeps < 32)
        c->sleeps[c->nsleeps++] = ms;
    c->mono += ms;
}
static double kds_fc_jitter(void *ctx) {
    return ((kds_clock *)ctx)->jitter;
}

int kds_env_setup(void **state) {
    kds_env *e = calloc(1, sizeof *e);
    kt_fake_kds_start(&e->srv);
    e->cache = kt_test_mkdtemp();
    *state = e;
    return 0;
}

int kds_env_teardown(void **state) {
    kds_env *e = *state;
    kt_fake_kds_stop(&e->srv);
    kt_test_rmtree(e->cache);
    free(e->cache);
    free(e);
    return 0;
}

/* Fresh cache, empty plan and log before each server test. */
void kds_env_reset(kds_env *e) {
    kt_test_rmtree(e->cache);
    mkdir(e->cache, 0700);
    kt_fake_kds_plan(&e->srv, "");
    kt_fake_kds_clear_log(&e->srv);
    memset(&e->clock, 0, sizeof e->clock);
    e->clock.mono = 1000;
    e->clock.wall = time(NULL);
    e->clock.jitter = 0.5;
}

kt_kds_client *kds_client_with(kds_env *e, kt_kds_opts *o) {
    o->base_url = e->srv.url;
    o->cache_dir = e->cache;
    kt_kds_client *c = NULL;
    kt_error err = {0};
    if (kt_kds_client_new(o, &c, &err) != KT_OK)
        fail_msg("client: %s", err.message);
    kt_kds_hooks h = {kds_fc_mono, kds_fc_wall, kds_fc_sleep, kds_fc_jitter, &e->clock};
    kt_kds_client_set_hooks(c, &h);
    return c;
}

kt_kds_client *kds_client(kds_env *e) {
    kt_kds_opts o;
    kt_kds_opts_init(&o);
    return kds_client_with(e, &o);
}

bool kds_file_exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

void kds_vcek_cache_path(kds_env *e, const kt_report *r, const char *tcb, char *out, size_t cap) {
    snprintf(out, cap, "%s/vcek/Milan/%s/%s.der", e->cache, kds_chip_hex(r), tcb);
}

bool kds_has_warning(kt_kds_client *c, const char *needle) {
    for (size_t i = 0; i < kt_kds_warning_count(c); i++)
        if (strstr(kt_kds_warning(c, i), needle))
            return true;
    return false;
}

void kds_write_file(const char *path, const void *data, size_t len) {
    kt_error err = {0};
    if (kt_file_write_atomic(path, data, len, 0644, &err) != KT_OK)
        fail_msg("%s", err.message);
}
