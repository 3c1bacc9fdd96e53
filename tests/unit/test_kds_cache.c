/*
 * The KDS client's on-disk cache: what is stored where, second runs with zero
 * requests, corrupt / unreadable / oversized / unwritable entries, expired
 * and stale entries (refreshed online, kept with a warning when KDS fails or
 * offline), offline mode, and two processes filling one cache at once —
 * against a loopback fake KDS that serves the shared fixtures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "katana_tee/kds.h"
#include "katana_tee/quote.h"
#include "katana_tee/report.h"
#include "katana_tee/verify.h"
#include "kds_env.h"
#include "testutil.h"

static void test_fetch_and_cache(void **state) {
    kds_env *e = *state;
    kds_env_reset(e);
    kt_report r;
    kds_load_report("milan-v2-virtee", KT_PRODUCT_MILAN, &r);
    kt_kds_client *c = kds_client(e);
    uint8_t *der = NULL;
    size_t n = 0;
    char origin[1024];
    kt_error err = {0};
    assert_int_equal(kt_kds_fetch_vcek(c, &r, KT_PRODUCT_UNKNOWN, &der, &n, origin, sizeof origin,
                                       &err),
                     KT_OK);
    size_t fn;
    uint8_t *fixture = kt_test_read_shared("fixtures/snp/milan-v2-virtee/vcek.der", &fn);
    assert_int_equal(n, fn);
    assert_memory_equal(der, fixture, fn);
    kt_bytes_free(der);

    char want[1024];
    snprintf(want, sizeof want,
             "/vcek/v1/Milan/%s?blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115", kds_chip_hex(&r));
    assert_int_equal(kt_fake_kds_count(&e->srv), 1);
    assert_string_equal(kt_fake_kds_request(&e->srv, 0), want);
    char full[1200];
    snprintf(full, sizeof full, "KDS %s%s", e->srv.url, want);
    assert_string_equal(origin, full);
    assert_int_equal(kt_kds_request_count(c), 1);

    char path[1024];
    kds_vcek_cache_path(e, &r, "bl03-tee00-snp08-ucode115", path, sizeof path);
    size_t cn;
    uint8_t *cached = kt_test_read_file(path, &cn);
    assert_int_equal(cn, fn);
    assert_memory_equal(cached, fixture, fn);
    free(cached);

    /* chain and CRL */
    assert_int_equal(kt_kds_fetch_chain(c, KT_PRODUCT_MILAN, false, &der, &n, NULL, 0, &err), KT_OK);
    uint8_t *chain = kt_test_read_shared("fixtures/snp/amd-roots/milan_cert_chain.pem", &cn);
    assert_int_equal(n, cn);
    assert_memory_equal(der, chain, cn);
    assert_int_equal(der[n], '\0');
    kt_bytes_free(der);
    free(chain);
    assert_int_equal(kt_kds_fetch_chain(c, KT_PRODUCT_GENOA, true, &der, &n, NULL, 0, &err), KT_OK);
    kt_bytes_free(der);
    e->clock.wall = 1782864000; /* 2026-07-01: the fixture CRL is current */
    assert_int_equal(kt_kds_fetch_crl(c, KT_PRODUCT_MILAN, false, &der, &n, NULL, 0, &err), KT_OK);
    kt_bytes_free(der);
    assert_int_equal(kt_fake_kds_count(&e->srv), 4);
    assert_string_equal(kt_fake_kds_request(&e->srv, 1), "/vcek/v1/Milan/cert_chain");
    assert_string_equal(kt_fake_kds_request(&e->srv, 2), "/vlek/v1/Genoa/cert_chain");
    assert_string_equal(kt_fake_kds_request(&e->srv, 3), "/vcek/v1/Milan/crl");
    snprintf(path, sizeof path, "%s/chain/Milan/vcek.pem", e->cache);
    assert_true(kds_file_exists(path));
    snprintf(path, sizeof path, "%s/chain/Genoa/vlek.pem", e->cache);
    assert_true(kds_file_exists(path));
    snprintf(path, sizeof path, "%s/crl/Milan/vcek.der", e->cache);
    assert_true(kds_file_exists(path));
    assert_int_equal(kt_kds_warning_count(c), 0);
    kt_kds_client_free(&c);

    /* a second client: everything from the cache, zero requests */
    kt_fake_kds_clear_log(&e->srv);
    c = kds_client(e);
    assert_int_equal(kt_kds_fetch_vcek(c, &r, KT_PRODUCT_MILAN, &der, &n, origin, sizeof origin,
                                       &err),
                     KT_OK);
    assert_memory_equal(der, fixture, fn);
    kt_bytes_free(der);
    assert_int_equal(strncmp(origin, "cache ", 6), 0);
    assert_non_null(strstr(origin, "bl03-tee00-snp08-ucode115.der"));
    assert_int_equal(kt_kds_fetch_chain(c, KT_PRODUCT_MILAN, false, &der, &n, origin,
                                        sizeof origin, &err),
                     KT_OK);
    kt_bytes_free(der);
    assert_int_equal(kt_kds_fetch_crl(c, KT_PRODUCT_MILAN, false, &der, &n, NULL, 0, &err), KT_OK);
    kt_bytes_free(der);
    assert_int_equal(kt_fake_kds_count(&e->srv), 0);
    assert_int_equal(kt_kds_request_count(c), 0);

    /* after nextUpdate the CRL is fetched again (and, still stale at the source, flagged) */
    e->clock.wall = 1790000000; /* 2026-09-21 */
    assert_int_equal(kt_kds_fetch_crl(c, KT_PRODUCT_MILAN, false, &der, &n, NULL, 0, &err), KT_OK);
    kt_bytes_free(der);
    assert_int_equal(kt_fake_kds_count(&e->srv), 1);
    assert_true(kds_has_warning(c, "past its nextUpdate"));
    /* KDS unavailable: the stale copy is used, with a warning */
    kt_fake_kds_plan(&e->srv, "{\"rules\":[{\"match\":\"crl\",\"status\":404,\"times\":-1}]}");
    assert_int_equal(kt_kds_fetch_crl(c, KT_PRODUCT_MILAN, false, &der, &n, NULL, 0, &err), KT_OK);
    kt_bytes_free(der);
    assert_true(kds_has_warning(c, "could not refresh the VCEK CRL"));
    kt_kds_client_free(&c);
    free(fixture);
}

static void test_corrupt_cache(void **state) {
    kds_env *e = *state;
    kds_env_reset(e);
    kt_report r;
    kds_load_report("milan-v2-virtee", KT_PRODUCT_MILAN, &r);
    kt_kds_client *c = kds_client(e);
    uint8_t *der = NULL;
    size_t n;
    kt_error err = {0};
    assert_int_equal(kt_kds_fetch_vcek(c, &r, KT_PRODUCT_MILAN, &der, &n, NULL, 0, &err), KT_OK);
    char path[1024];
    kds_vcek_cache_path(e, &r, "bl03-tee00-snp08-ucode115", path, sizeof path);
    size_t chain_len;
    uint8_t *chain = kt_test_read_shared("fixtures/snp/amd-roots/milan_cert_chain.pem", &chain_len);
    uint8_t *other = NULL;
    size_t other_len;
    other = kt_test_read_shared("fixtures/snp/milan-v2-trustee/vcek.der", &other_len);

    struct {
        const uint8_t *bytes;
        size_t len;
        const char *needle;
    } bad[] = {
        {(const uint8_t *)"garbage", 7, "not a DER"},
        {der, n / 2, "not a DER"},          /* truncated */
        {chain, chain_len, "not a DER"},    /* another object */
        {other, other_len, "another chip"}, /* a VCEK, but not this chip's */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kds_write_file(path, bad[i].bytes, bad[i].len);
        kt_kds_client_free(&c);
        c = kds_client(e);
        kt_fake_kds_clear_log(&e->srv);
        uint8_t *got = NULL;
        size_t got_len;
        assert_int_equal(kt_kds_fetch_vcek(c, &r, KT_PRODUCT_MILAN, &got, &got_len, NULL, 0, &err),
                         KT_OK);
        assert_int_equal(got_len, n);
        assert_memory_equal(got, der, n);
        kt_bytes_free(got);
        assert_int_equal(kt_fake_kds_count(&e->srv), 1); /* refetched */
        assert_int_equal(kt_kds_warning_count(c), 1);
        assert_non_null(strstr(kt_kds_warning(c, 0), "corrupt cache entry"));
        assert_non_null(strstr(kt_kds_warning(c, 0), bad[i].needle));
        size_t cl;
        uint8_t *now = kt_test_read_file(path, &cl); /* repaired */
        assert_int_equal(cl, n);
        assert_memory_equal(now, der, n);
        free(now);
    }

    /* offline with a corrupt entry: not trusted, error says so, no request */
    kds_write_file(path, "garbage", 7);
    kt_kds_client_free(&c);
    kt_kds_opts o;
    kt_kds_opts_init(&o);
    o.offline = true;
    c = kds_client_with(e, &o);
    kt_fake_kds_clear_log(&e->srv);
    uint8_t *got = NULL;
    size_t got_len;
    assert_int_equal(kt_kds_fetch_vcek(c, &r, KT_PRODUCT_MILAN, &got, &got_len, NULL, 0, &err),
                     KT_E_OFFLINE);
    assert_null(got);
    assert_non_null(strstr(err.message, "corrupt"));
    assert_int_equal(kt_fake_kds_count(&e->srv), 0);
    kt_kds_client_free(&c);
    kt_bytes_free(der);
    free(chain);
    free(other);
}

static void test_offline(void **state) {
    kds_env *e = *state;
    kds_env_reset(e);
    kt_report r;
    kds_load_report("milan-v2-virtee", KT_PRODUCT_MILAN, &r);
    kt_kds_opts o;
    kt_kds_opts_init(&o);
    o.offline = true;
    kt_kds_client *c = kds_client_with(e, &o);
    uint8_t *der = NULL;
    size_t n;
    kt_error err = {0};
    assert_int_equal(kt_kds_fetch_vcek(c, &r, KT_PRODUCT_MILAN, &der, &n, NULL, 0, &err),
                     KT_E_OFFLINE);
    char url[1024];
    snprintf(url, sizeof url, "%s/vcek/v1/Milan/%s?blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115",
             e->srv.url, kds_chip_hex(&r));
    assert_non_null(strstr(err.message, url));
    assert_int_equal(kt_kds_fetch_crl(c, KT_PRODUCT_GENOA, true, &der, &n, NULL, 0, &err),
                     KT_E_OFFLINE);
    snprintf(url, sizeof url, "%s/vlek/v1/Genoa/crl", e->srv.url);
    assert_non_null(strstr(err.message, url));

    /* the certificate source lists every missing object with its URL */
    kt_certs *certs = NULL;
    assert_int_equal(kt_certs_new(&certs, &err), KT_OK);
    kt_cert_source src = kt_kds_cert_source(c);
    unsigned need = 1u << KT_ROLE_VCEK | 1u << KT_ROLE_ASK | 1u << KT_ROLE_ARK | 1u << KT_ROLE_CRL;
    assert_int_equal(src.fetch(src.ctx, &r, KT_PRODUCT_MILAN, need, certs, &err), KT_E_OFFLINE);
    snprintf(url, sizeof url, "VCEK %s/vcek/v1/Milan/%s?blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115",
             e->srv.url, kds_chip_hex(&r));
    assert_non_null(strstr(err.message, url));
    snprintf(url, sizeof url, "VCEK chain (ASK, ARK) %s/vcek/v1/Milan/cert_chain", e->srv.url);
    assert_non_null(strstr(err.message, url));
    snprintf(url, sizeof url, "VCEK CRL %s/vcek/v1/Milan/crl", e->srv.url);
    assert_non_null(strstr(err.message, url));
    assert_false(kt_certs_has(certs, KT_ROLE_VCEK));
    snprintf(url, sizeof url, "%s/vcek/v1/Milan/cert_chain", e->srv.url);
    assert_true(kds_has_warning(c, url)); /* whole URLs in the warnings too */

    /* the cache-only source simply has nothing */
    kt_cert_source cache = kt_kds_cache_source(c);
    assert_string_equal(cache.name, "cache");
    assert_int_equal(cache.fetch(cache.ctx, &r, KT_PRODUCT_MILAN, need, certs, &err), KT_OK);
    assert_false(kt_certs_has(certs, KT_ROLE_ASK));
    assert_int_equal(kt_fake_kds_count(&e->srv), 0);
    kt_kds_client_free(&c);

    /* fill the cache online, then offline works with zero requests */
    c = kds_client(e);
    src = kt_kds_cert_source(c);
    assert_string_equal(src.name, "kds");
    e->clock.wall = 1782864000; /* 2026-07-01: CRL current */
    assert_int_equal(src.fetch(src.ctx, &r, KT_PRODUCT_MILAN, need, certs, &err), KT_OK);
    assert_true(kt_certs_has(certs, KT_ROLE_VCEK));
    assert_true(kt_certs_has(certs, KT_ROLE_ASK));
    assert_true(kt_certs_has(certs, KT_ROLE_ARK));
    assert_true(kt_certs_has(certs, KT_ROLE_CRL));
    assert_false(kt_certs_has(certs, KT_ROLE_ASVK));
    assert_int_equal(strncmp(kt_certs_origin(certs, KT_ROLE_VCEK), "KDS http://127.0.0.1:", 21),
                     0);
    assert_non_null(strstr(kt_certs_origin(certs, KT_ROLE_VCEK), "..."));
    assert_int_equal(kt_fake_kds_count(&e->srv), 3);
    kt_certs_free(&certs);
    kt_kds_client_free(&c);

    kt_fake_kds_clear_log(&e->srv);
    c = kds_client_with(e, &o);
    assert_int_equal(kt_certs_new(&certs, &err), KT_OK);
    src = kt_kds_cert_source(c);
    assert_int_equal(src.fetch(src.ctx, &r, KT_PRODUCT_MILAN, need, certs, &err), KT_OK);
    assert_int_equal(strncmp(kt_certs_origin(certs, KT_ROLE_ARK), "cache ", 6), 0);
    assert_true(kt_certs_has(certs, KT_ROLE_CRL));
    kt_certs_free(&certs);
    /* offline, a stale CRL is still handed over, with a warning */
    e->clock.wall = 1790000000;
    assert_int_equal(kt_certs_new(&certs, &err), KT_OK);
    assert_int_equal(src.fetch(src.ctx, &r, KT_PRODUCT_MILAN, 1u << KT_ROLE_CRL, certs, &err),
                     KT_OK);
    assert_true(kt_certs_has(certs, KT_ROLE_CRL));
    assert_true(kds_has_warning(c, "past its nextUpdate"));
    assert_int_equal(kt_fake_kds_count(&e->srv), 0);
    kt_certs_free(&certs);
    kt_kds_client_free(&c);

    /* no_cache writes nothing */
    kds_env_reset(e);
    kt_kds_opts_init(&o);
    o.no_cache = true;
    c = kds_client_with(e, &o);
    assert_int_equal(kt_kds_fetch_chain(c, KT_PRODUCT_MILAN, false, &der, &n, NULL, 0, &err), KT_OK);
    kt_bytes_free(der);
    char path[1024];
    snprintf(path, sizeof path, "%s/chain", e->cache);
    assert_false(kds_file_exists(path));
    kt_kds_client_free(&c);
}

/*
 * Two processes fetching the same objects at once share the cache safely.
 * Overlap is forced, not hoped for: each child stops at a barrier (flag
 * files) when it is about to send its first request — so both have missed
 * the cache — and again when that download is done, so both store the same
 * entry at the same time. No sleeps decide anything.
 */
typedef struct barrier {
    const char *dir; /* shared folder holding the flag files */
    int self;        /* 0 or 1 */
    int passed;      /* barriers passed so far */
    int failed;      /* the other child never arrived */
} barrier;

static void barrier_wait(barrier *b, const char *stage) {
    char mine[4300], other[4300];
    snprintf(mine, sizeof mine, "%s/%s-%d", b->dir, stage, b->self);
    snprintf(other, sizeof other, "%s/%s-%d", b->dir, stage, 1 - b->self);
    FILE *f = fopen(mine, "w");
    if (!f) {
        b->failed = 1;
        return;
    }
    fclose(f);
    /* a generous cap so a dead sibling fails the test instead of hanging it */
    for (int i = 0; i < 12000 && !kds_file_exists(other); i++) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (!kds_file_exists(other))
        b->failed = 1;
}

static void at_barrier(void *user, const kt_kds_progress *p) {
    barrier *b = user;
    if (b->passed == 0 && p->event == KT_KDS_EVENT_REQUEST) {
        barrier_wait(b, "request");
        b->passed = 1;
    } else if (b->passed == 1 && p->event == KT_KDS_EVENT_DONE) {
        barrier_wait(b, "done");
        b->passed = 2;
    }
}

static void test_concurrent_processes(void **state) {
    kds_env *e = *state;
    kds_env_reset(e);
    kt_report r;
    kds_load_report("milan-v2-virtee", KT_PRODUCT_MILAN, &r);
    char *flags = kt_test_mkdtemp();
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        fflush(NULL);
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            barrier b = {flags, k, 0, 0};
            kt_kds_opts o;
            kt_kds_opts_init(&o);
            o.base_url = e->srv.url;
            o.cache_dir = e->cache;
            o.progress = at_barrier;
            o.progress_user = &b;
            kt_kds_client *c = NULL;
            kt_error err = {0};
            uint8_t *b_out = NULL;
            size_t n;
            int rc = 0;
            if (kt_kds_client_new(&o, &c, &err) != KT_OK)
                _exit(10);
            for (int round = 0; round < 3; round++) {
                if (kt_kds_fetch_vcek(c, &r, KT_PRODUCT_MILAN, &b_out, &n, NULL, 0, &err) != KT_OK)
                    rc = 11;
                kt_bytes_free(b_out);
                if (kt_kds_fetch_chain(c, KT_PRODUCT_MILAN, false, &b_out, &n, NULL, 0, &err) !=
                    KT_OK)
                    rc = 12;
                kt_bytes_free(b_out);
                if (kt_kds_warning_count(c) != 0)
                    rc = 13; /* a reader never sees a partial entry */
            }
            if (b.failed || b.passed != 2)
                rc = 14; /* the two did not meet at both barriers */
            kt_kds_client_free(&c);
            _exit(rc);
        }
    }
    for (int k = 0; k < 2; k++) {
        int status = 0;
        assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    /* both reached both barriers: each saw a cache miss for the VCEK and downloaded it */
    for (int k = 0; k < 2; k++) {
        char flag[4300];
        snprintf(flag, sizeof flag, "%s/done-%d", flags, k);
        assert_true(kds_file_exists(flag));
    }
    kt_test_rmtree(flags);
    free(flags);
    size_t total = kt_fake_kds_count(&e->srv), vceks = 0;
    for (size_t i = 0; i < total; i++)
        if (strstr(kt_fake_kds_request(&e->srv, i), "/vcek/v1/Milan/") &&
            !strstr(kt_fake_kds_request(&e->srv, i), "cert_chain"))
            vceks++;
    assert_int_equal(vceks, 2);                /* the overlap: two misses at once */
    assert_true(total >= 3 && total <= 4);     /* the chain: once or twice, then cached */
    /* the entry both wrote at once is whole */
    char path[4300];
    kds_vcek_cache_path(e, &r, "bl03-tee00-snp08-ucode115", path, sizeof path);
    size_t got_len = 0, want_len = 0;
    uint8_t *got = kt_test_read_file(path, &got_len);
    uint8_t *want = kt_test_read_shared("fixtures/snp/milan-v2-virtee/vcek.der", &want_len);
    assert_int_equal(got_len, want_len);
    assert_memory_equal(got, want, want_len);
    free(got);
    free(want);
    /* a third process: all from the cache */
    kt_fake_kds_clear_log(&e->srv);
    kt_kds_client *c = kds_client(e);
    uint8_t *b = NULL;
    size_t n;
    kt_error err = {0};
    assert_int_equal(kt_kds_fetch_vcek(c, &r, KT_PRODUCT_MILAN, &b, &n, NULL, 0, &err), KT_OK);
    kt_bytes_free(b);
    assert_int_equal(kt_kds_fetch_chain(c, KT_PRODUCT_MILAN, false, &b, &n, NULL, 0, &err), KT_OK);
    kt_bytes_free(b);
    assert_int_equal(kt_fake_kds_count(&e->srv), 0);
    kt_kds_client_free(&c);
    /* no temporary files left behind */
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "find '%s' -name '*.tmp.*' | grep -q .", e->cache);
    assert_int_not_equal(system(cmd), 0);
}


/* A file where the cache needs a folder: the object is still returned, with a warning, and not cached. */
static void test_cache_unwritable(void **state) {
    kds_env *e = *state;
    kds_env_reset(e);
    kt_report r;
    kds_load_report("milan-v2-virtee", KT_PRODUCT_MILAN, &r);
    char path[1200];
    snprintf(path, sizeof path, "%s/vcek", e->cache);
    kds_write_file(path, "not a folder", 12);
    kt_kds_client *c = kds_client(e);
    uint8_t *der = NULL;
    size_t n = 0;
    kt_error err = {0};
    assert_int_equal(kt_kds_fetch_vcek(c, &r, KT_PRODUCT_MILAN, &der, &n, NULL, 0, &err), KT_OK);
    size_t fn;
    uint8_t *fixture = kt_test_read_shared("fixtures/snp/milan-v2-virtee/vcek.der", &fn);
    assert_int_equal(n, fn);
    assert_memory_equal(der, fixture, fn);
    kt_bytes_free(der);
    assert_true(kds_has_warning(c, "could not cache the VCEK"));
    /* so the next fetch asks KDS again */
    assert_int_equal(kt_kds_fetch_vcek(c, &r, KT_PRODUCT_MILAN, &der, &n, NULL, 0, &err), KT_OK);
    kt_bytes_free(der);
    assert_int_equal(kt_fake_kds_count(&e->srv), 2);
    kt_kds_client_free(&c);
    free(fixture);
}

/* An entry that cannot be read (a folder in its place, or bigger than max_body) is not used. */
static void test_cache_unreadable_entry(void **state) {
    kds_env *e = *state;
    kds_env_reset(e);
    kt_report r;
    kds_load_report("milan-v2-virtee", KT_PRODUCT_MILAN, &r);
    char path[1200];
    kds_vcek_cache_path(e, &r, "bl03-tee00-snp08-ucode115", path, sizeof path);
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", path);
    assert_int_equal(system(cmd), 0);
    kt_kds_client *c = kds_client(e);
    uint8_t *der = NULL;
    size_t n = 0;
    kt_error err = {0};
    assert_int_equal(kt_kds_fetch_vcek(c, &r, KT_PRODUCT_MILAN, &der, &n, NULL, 0, &err), KT_OK);
    kt_bytes_free(der);
    assert_true(kds_has_warning(c, "cannot use cache entry"));
    assert_true(kds_has_warning(c, "could not cache the VCEK"));
    assert_int_equal(kt_fake_kds_count(&e->srv), 1);
    kt_kds_client_free(&c);

    /* offline, the same entry is an error naming the URL, not a silent miss */
    kt_kds_opts o;
    kt_kds_opts_init(&o);
    o.offline = true;
    c = kds_client_with(e, &o);
    assert_int_equal(kt_kds_fetch_vcek(c, &r, KT_PRODUCT_MILAN, &der, &n, NULL, 0, &err),
                     KT_E_OFFLINE);
    assert_non_null(strstr(err.message, "corrupt entry"));
    assert_non_null(strstr(err.message, "/vcek/v1/Milan/"));
    kt_kds_client_free(&c);

    /* an oversized entry (max_body + 1 bytes) is refused unread and replaced */
    kds_env_reset(e);
    kt_kds_opts_init(&o);
    o.max_body = 8192; /* above the 4602-byte Milan chain */
    c = kds_client_with(e, &o);
    snprintf(path, sizeof path, "%s/chain/Milan", e->cache);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", path);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/chain/Milan/vcek.pem", e->cache);
    uint8_t *big = calloc(1, o.max_body + 1);
    kds_write_file(path, big, o.max_body + 1);
    free(big);
    assert_int_equal(kt_kds_fetch_chain(c, KT_PRODUCT_MILAN, false, &der, &n, NULL, 0, &err),
                     KT_OK);
    kt_bytes_free(der);
    assert_true(kds_has_warning(c, "cannot use cache entry"));
    assert_int_equal(kt_fake_kds_count(&e->srv), 1);
    size_t cn, fn;
    uint8_t *cached = kt_test_read_file(path, &cn);
    uint8_t *chain = kt_test_read_shared("fixtures/snp/amd-roots/milan_cert_chain.pem", &fn);
    assert_int_equal(cn, fn);
    assert_memory_equal(cached, chain, fn);
    free(cached);
    free(chain);
    kt_kds_client_free(&c);
}

/* A cached VCEK past its notAfter: refreshed online; kept (with a warning) when KDS fails or offline. */
static void test_cache_expired_vcek(void **state) {
    kds_env *e = *state;
    kds_env_reset(e);
    kt_report r;
    kds_load_report("milan-v2-virtee", KT_PRODUCT_MILAN, &r);
    kt_kds_client *c = kds_client(e);
    uint8_t *der = NULL;
    size_t n = 0;
    kt_error err = {0};
    e->clock.wall = 1782864000; /* 2026-07-01: inside the VCEK's 2023-04-03..2030-04-03 */
    assert_int_equal(kt_kds_fetch_vcek(c, &r, KT_PRODUCT_MILAN, &der, &n, NULL, 0, &err), KT_OK);
    kt_bytes_free(der);
    assert_int_equal(kt_fake_kds_count(&e->srv), 1);
    assert_int_equal(kt_kds_warning_count(c), 0);

    e->clock.wall = 1924992000; /* 2031-01-01: the VCEK has expired */
    assert_int_equal(kt_kds_fetch_vcek(c, &r, KT_PRODUCT_MILAN, &der, &n, NULL, 0, &err), KT_OK);
    kt_bytes_free(der);
    assert_int_equal(kt_fake_kds_count(&e->srv), 2); /* asked again */
    assert_true(kds_has_warning(c, "expired"));

    kt_fake_kds_plan(&e->srv, "{\"rules\":[{\"match\":\"/vcek/\",\"status\":404,\"times\":-1}]}");
    char origin[1200];
    assert_int_equal(kt_kds_fetch_vcek(c, &r, KT_PRODUCT_MILAN, &der, &n, origin, sizeof origin,
                                       &err),
                     KT_OK);
    kt_bytes_free(der);
    assert_true(kds_has_warning(c, "could not refresh the VCEK"));
    assert_int_equal(strncmp(origin, "cache ", 6), 0);
    kt_kds_client_free(&c);

    kt_kds_opts o;
    kt_kds_opts_init(&o);
    o.offline = true;
    c = kds_client_with(e, &o);
    kt_fake_kds_clear_log(&e->srv);
    assert_int_equal(kt_kds_fetch_vcek(c, &r, KT_PRODUCT_MILAN, &der, &n, NULL, 0, &err), KT_OK);
    kt_bytes_free(der);
    assert_true(kds_has_warning(c, "offline: using the cached VCEK"));
    assert_int_equal(kt_fake_kds_count(&e->srv), 0);
    kt_kds_client_free(&c);
}

int main(void) {
    const struct CMUnitTest served[] = {
        cmocka_unit_test(test_fetch_and_cache),
        cmocka_unit_test(test_corrupt_cache),
        cmocka_unit_test(test_offline),
        cmocka_unit_test(test_concurrent_processes),
        cmocka_unit_test(test_cache_unwritable),
        cmocka_unit_test(test_cache_unreadable_entry),
        cmocka_unit_test(test_cache_expired_vcek),
    };
    return cmocka_run_group_tests_name("kds cache against a fake KDS", served, kds_env_setup,
                                       kds_env_teardown);
}
