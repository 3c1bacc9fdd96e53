/*
 * KDS client: URLs byte for byte, object checks on real fixtures, the retry
 * policy (injected clock/sleep/jitter), the on-disk cache, offline mode,
 * and the certificate sources — against a loopback fake KDS that serves
 * the shared fixtures and misbehaves on request. Never the internet.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fake_kds.h"
#include "katana_tee/hex.h"
#include "katana_tee/kds.h"
#include "katana_tee/quote.h"
#include "katana_tee/report.h"
#include "katana_tee/verify.h"
#include "kds/kds_internal.h"
#include "testutil.h"
#include "util/fileio.h"

/* ---- helpers ----------------------------------------------------------------- */

static void load_report(const char *set, kt_product hint, kt_report *r) {
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

static char *chip_hex(const kt_report *r) {
    static char hex[129];
    kt_hex_encode(r->chip_id, 64, hex);
    return hex;
}

/* A fake clock: sleeping advances it and is recorded, nothing really waits. */
typedef struct fake_clock {
    uint64_t mono;
    time_t wall;
    double jitter;
    size_t nsleeps;
    uint64_t sleeps[32];
} fake_clock;

static uint64_t fc_mono(void *ctx) {
    return ((fake_clock *)ctx)->mono;
}
static time_t fc_wall(void *ctx) {
    return ((fake_clock *)ctx)->wall;
}
static void fc_sleep(void *ctx, uint64_t ms) {
    fake_clock *c = ctx;
    if (c->nsleeps < 32)
        c->sleeps[c->nsleeps++] = ms;
    c->mono += ms;
}
static double fc_jitter(void *ctx) {
    return ((fake_clock *)ctx)->jitter;
}

typedef struct env {
    kt_fake_kds srv;
    char *cache;
    fake_clock clock;
} env;

static int setup(void **state) {
    env *e = calloc(1, sizeof *e);
    kt_fake_kds_start(&e->srv);
    e->cache = kt_test_mkdtemp();
    *state = e;
    return 0;
}

static int teardown(void **state) {
    env *e = *state;
    kt_fake_kds_stop(&e->srv);
    kt_test_rmtree(e->cache);
    free(e->cache);
    free(e);
    return 0;
}

/* Fresh cache, empty plan and log before each server test. */
static void reset(env *e) {
    kt_test_rmtree(e->cache);
    mkdir(e->cache, 0700);
    kt_fake_kds_plan(&e->srv, "");
    kt_fake_kds_clear_log(&e->srv);
    memset(&e->clock, 0, sizeof e->clock);
    e->clock.mono = 1000;
    e->clock.wall = time(NULL);
    e->clock.jitter = 0.5;
}

static kt_kds_client *client_with(env *e, kt_kds_opts *o) {
    o->base_url = e->srv.url;
    o->cache_dir = e->cache;
    kt_kds_client *c = NULL;
    kt_error err = {0};
    if (kt_kds_client_new(o, &c, &err) != KT_OK)
        fail_msg("client: %s", err.message);
    kt_kds_hooks h = {fc_mono, fc_wall, fc_sleep, fc_jitter, &e->clock};
    kt_kds_client_set_hooks(c, &h);
    return c;
}

static kt_kds_client *client(env *e) {
    kt_kds_opts o;
    kt_kds_opts_init(&o);
    return client_with(e, &o);
}

static bool file_exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

static void vcek_cache_path(env *e, const kt_report *r, const char *tcb, char *out, size_t cap) {
    snprintf(out, cap, "%s/vcek/Milan/%s/%s.der", e->cache, chip_hex(r), tcb);
}

static bool has_warning(kt_kds_client *c, const char *needle) {
    for (size_t i = 0; i < kt_kds_warning_count(c); i++)
        if (strstr(kt_kds_warning(c, i), needle))
            return true;
    return false;
}

/* ---- URLs ------------------------------------------------------------------------ */

static void test_urls(void **state) {
    (void)state;
    kt_kds_opts o;
    kt_kds_opts_init(&o);
    o.base_url = "https://kds.example/";
    o.no_cache = true;
    kt_kds_client *c = NULL;
    kt_error err = {0};
    assert_int_equal(kt_kds_client_new(&o, &c, &err), KT_OK);
    assert_string_equal(kt_kds_base_url(c), "https://kds.example");

    kt_report r;
    load_report("milan-v2-virtee", KT_PRODUCT_MILAN, &r);
    char url[640], want[640];
    assert_int_equal(kt_kds_vcek_url(c, &r, KT_PRODUCT_UNKNOWN, url, sizeof url, &err), KT_OK);
    snprintf(want, sizeof want,
             "https://kds.example/vcek/v1/Milan/%s?blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115",
             chip_hex(&r));
    assert_string_equal(url, want);

    /* v3 Genoa report: product from CPUID; TCB 0a 00 .. 17 54 */
    load_report("genoa-v3-tinfoil", KT_PRODUCT_UNKNOWN, &r);
    assert_int_equal(r.product, KT_PRODUCT_GENOA);
    assert_int_equal(kt_kds_vcek_url(c, &r, KT_PRODUCT_UNKNOWN, url, sizeof url, &err), KT_OK);
    snprintf(want, sizeof want,
             "https://kds.example/vcek/v1/Genoa/%s?blSPL=10&teeSPL=00&snpSPL=23&ucodeSPL=84",
             chip_hex(&r));
    assert_string_equal(url, want);

    /* Turin: 8-byte hwid, fmcSPL first, Turin TCB layout */
    memset(&r, 0, sizeof r);
    r.product = KT_PRODUCT_TURIN;
    r.signing_key = KT_SIGNING_KEY_VCEK;
    kt_test_hex("1e550a8ee5cf9f4d", r.chip_id, 8);
    r.reported_tcb.raw = 0x4700000002000100ULL; /* bytes 00 01 00 02 00 00 00 47 */
    assert_int_equal(kt_kds_vcek_url(c, &r, KT_PRODUCT_UNKNOWN, url, sizeof url, &err), KT_OK);
    assert_string_equal(url, "https://kds.example/vcek/v1/Turin/1e550a8ee5cf9f4d"
                             "?fmcSPL=00&blSPL=01&teeSPL=00&snpSPL=02&ucodeSPL=71");

    assert_int_equal(kt_kds_chain_url(c, KT_PRODUCT_MILAN, false, url, sizeof url, &err), KT_OK);
    assert_string_equal(url, "https://kds.example/vcek/v1/Milan/cert_chain");
    assert_int_equal(kt_kds_chain_url(c, KT_PRODUCT_GENOA, true, url, sizeof url, &err), KT_OK);
    assert_string_equal(url, "https://kds.example/vlek/v1/Genoa/cert_chain");
    assert_int_equal(kt_kds_crl_url(c, KT_PRODUCT_TURIN, false, url, sizeof url, &err), KT_OK);
    assert_string_equal(url, "https://kds.example/vcek/v1/Turin/crl");
    assert_int_equal(kt_kds_crl_url(c, KT_PRODUCT_MILAN, true, url, sizeof url, &err), KT_OK);
    assert_string_equal(url, "https://kds.example/vlek/v1/Milan/crl");

    /* refusals */
    assert_int_equal(kt_kds_crl_url(c, KT_PRODUCT_UNKNOWN, false, url, sizeof url, &err),
                     KT_E_INVALID_ARG);
    load_report("milan-v2-virtee", KT_PRODUCT_UNKNOWN, &r);
    r.product = KT_PRODUCT_UNKNOWN;
    assert_int_equal(kt_kds_vcek_url(c, &r, KT_PRODUCT_UNKNOWN, url, sizeof url, &err),
                     KT_E_INVALID_ARG);
    assert_non_null(strstr(err.message, "product"));
    memset(r.chip_id, 0, sizeof r.chip_id);
    assert_int_equal(kt_kds_vcek_url(c, &r, KT_PRODUCT_MILAN, url, sizeof url, &err),
                     KT_E_INVALID_ARG);
    assert_non_null(strstr(err.message, "masked"));
    load_report("milan-v2-virtee", KT_PRODUCT_MILAN, &r);
    r.signing_key = KT_SIGNING_KEY_VLEK;
    assert_int_equal(kt_kds_vcek_url(c, &r, KT_PRODUCT_MILAN, url, sizeof url, &err),
                     KT_E_INVALID_ARG);
    assert_non_null(strstr(err.message, "VLEK"));
    r.signing_key = KT_SIGNING_KEY_VCEK;
    assert_int_equal(kt_kds_vcek_url(c, &r, KT_PRODUCT_MILAN, url, 100, &err), KT_E_INVALID_ARG);
    kt_kds_client_free(&c);
    assert_null(c);

    const char *bad[] = {"ftp://kds",  "kdsintf.amd.com", "https://kds/?x=1", "https://",
                         "http://a b", "http:///path",    "http://h#frag"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        o.base_url = bad[i];
        assert_int_equal(kt_kds_client_new(&o, &c, &err), KT_E_INVALID_ARG);
        assert_null(c);
    }
    o.base_url = "http://h";
    assert_int_equal(kt_kds_client_new(&o, &c, &err), KT_OK);
    assert_string_equal(kt_kds_base_url(c), "http://h");
    kt_kds_client_free(&c);
}

static void test_defaults_from_env(void **state) {
    (void)state;
    kt_kds_opts o;
    kt_kds_opts_init(&o);
    kt_kds_client *c = NULL;
    kt_error err = {0};
    unsetenv(KT_KDS_ENV_URL);
    unsetenv(KT_KDS_ENV_CACHE_DIR);
    setenv("HOME", "/home/someone", 1);
    unsetenv("XDG_CACHE_HOME");
    assert_int_equal(kt_kds_client_new(&o, &c, &err), KT_OK);
    assert_string_equal(kt_kds_base_url(c), "https://kdsintf.amd.com");
    assert_string_equal(kt_kds_cache_dir(c), "/home/someone/.cache/katana-tee");
    kt_kds_client_free(&c);

    setenv("XDG_CACHE_HOME", "/var/cache/me", 1);
    setenv(KT_KDS_ENV_URL, "http://127.0.0.1:9/", 1);
    assert_int_equal(kt_kds_client_new(&o, &c, &err), KT_OK);
    assert_string_equal(kt_kds_base_url(c), "http://127.0.0.1:9");
    assert_string_equal(kt_kds_cache_dir(c), "/var/cache/me/katana-tee");
    kt_kds_client_free(&c);

    setenv("XDG_CACHE_HOME", "relative/ignored", 1);
    setenv(KT_KDS_ENV_CACHE_DIR, "/tmp/kt-cache-env", 1);
    assert_int_equal(kt_kds_client_new(&o, &c, &err), KT_OK);
    assert_string_equal(kt_kds_cache_dir(c), "/tmp/kt-cache-env");
    kt_kds_client_free(&c);

    o.base_url = "https://option.example";
    o.cache_dir = "/opt/cache/";
    assert_int_equal(kt_kds_client_new(&o, &c, &err), KT_OK);
    assert_string_equal(kt_kds_base_url(c), "https://option.example");
    assert_string_equal(kt_kds_cache_dir(c), "/opt/cache");
    kt_kds_client_free(&c);

    unsetenv(KT_KDS_ENV_URL);
    unsetenv(KT_KDS_ENV_CACHE_DIR);
    unsetenv("XDG_CACHE_HOME");
    unsetenv("HOME");
    o.cache_dir = NULL;
    assert_int_equal(kt_kds_client_new(&o, &c, &err), KT_E_INVALID_ARG);
    assert_non_null(strstr(err.message, "cache"));
    o.no_cache = true;
    assert_int_equal(kt_kds_client_new(&o, &c, &err), KT_OK);
    kt_kds_client_free(&c);
}

/* ---- retry policy ---------------------------------------------------------------- */

static void test_retry_policy(void **state) {
    (void)state;
    uint64_t d = 1;
    time_t now = 1445412000; /* 2015-10-21 07:20:00 UTC */
    assert_true(kt_kds_parse_retry_after("120", now, &d));
    assert_int_equal(d, 120000);
    assert_true(kt_kds_parse_retry_after("0", now, &d));
    assert_int_equal(d, 0);
    assert_true(kt_kds_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now, &d));
    assert_int_equal(d, 480000);
    assert_true(kt_kds_parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now, &d));
    assert_int_equal(d, 0); /* in the past */
    d = 7;
    const char *bad[] = {"", "-5", "1.5", "soon", "Wed, 21 Oct 2015 07:28:00 UTC",
                         "Xyz, 21 Oct 2015 07:28:00 GMT", "Wed, 21 Foo 2015 07:28:00 GMT",
                         "Wed, 41 Oct 2015 07:28:00 GMT", "Wed, 21 Oct 2015 25:28:00 GMT"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(kt_kds_parse_retry_after(bad[i], now, &d));
    assert_false(kt_kds_parse_retry_after(NULL, now, &d));
    assert_int_equal(d, 7);

    struct tm tm = {0};
    tm.tm_year = 2026 - 1900;
    tm.tm_mon = 7;
    tm.tm_mday = 8;
    assert_int_equal(kt_kds_timegm(&tm), 1786147200); /* 2026-08-08 00:00:00 UTC */

    /* equal jitter: [d/2, d) with d = min(max, base * 2^(n-1)) */
    assert_int_equal(kt_kds_backoff_ms(1, 1000, 30000, 0.0), 500);
    assert_int_equal(kt_kds_backoff_ms(1, 1000, 30000, 0.5), 750);
    assert_int_equal(kt_kds_backoff_ms(2, 1000, 30000, 0.0), 1000);
    assert_int_equal(kt_kds_backoff_ms(3, 1000, 30000, 0.5), 3000);
    assert_int_equal(kt_kds_backoff_ms(10, 1000, 30000, 0.0), 15000);
    assert_true(kt_kds_backoff_ms(10, 1000, 30000, 0.9999) < 30000);
    assert_true(kt_kds_backoff_ms(4000000000u, 1000, 30000, 1.5) < 30000);

    assert_true(kt_kds_status_retryable(429));
    assert_true(kt_kds_status_retryable(503));
    assert_true(kt_kds_status_retryable(500));
    assert_false(kt_kds_status_retryable(404));
    assert_false(kt_kds_status_retryable(400));
    assert_false(kt_kds_status_retryable(200));
}

/* ---- object checks on fixtures ------------------------------------------------------ */

static void check_ok(const kt_kds_object *obj, const uint8_t *b, size_t n) {
    kt_error err = {0};
    time_t exp = 0;
    if (kt_kds_check_object(obj, b, n, "test", &exp, &err) != KT_OK)
        fail_msg("expected OK: %s", err.message);
    assert_true(exp > 0);
}

static void check_fails(const kt_kds_object *obj, const uint8_t *b, size_t n, kt_status want,
                        const char *needle) {
    kt_error err = {0};
    time_t exp = 0;
    assert_int_equal(kt_kds_check_object(obj, b, n, "test", &exp, &err), want);
    if (needle && !strstr(err.message, needle))
        fail_msg("message '%s' lacks '%s'", err.message, needle);
}

static void test_checks(void **state) {
    (void)state;
    static const struct {
        const char *set;
        kt_product hint;
    } sets[] = {{"milan-v2-virtee", KT_PRODUCT_MILAN},       {"milan-v2-trustee", KT_PRODUCT_MILAN},
                {"milan-v2-gosevguest-debug", KT_PRODUCT_MILAN},
                {"milan-v2-constellation", KT_PRODUCT_MILAN}, {"milan-v3-azure-cartridge", 0},
                {"milan-v4-gcp-cartridge", 0},              {"milan-v5-gcp-atakit", 0},
                {"genoa-v3-tinfoil", 0},                    {"genoa-v3-azure-trustee", 0}};
    kt_kds_object obj;
    kt_error err = {0};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        kt_report r;
        load_report(sets[i].set, sets[i].hint, &r);
        assert_int_equal(kt_kds_vcek_object(&r, KT_PRODUCT_UNKNOWN, &obj, &err), KT_OK);
        char rel[256];
        snprintf(rel, sizeof rel, "fixtures/snp/%s/vcek.der", sets[i].set);
        size_t n;
        uint8_t *der = kt_test_read_shared(rel, &n);
        check_ok(&obj, der, n);
        /* truncated, one byte flipped in the hwID region is not tested here (signature is) */
        check_fails(&obj, der, n - 1, KT_E_CERT_FORMAT, "not a DER");
        obj.tcb.snp++;
        check_fails(&obj, der, n, KT_E_BINDING, "another TCB");
        obj.tcb.snp--;
        obj.chip_id[5] ^= 1;
        check_fails(&obj, der, n, KT_E_BINDING, "another chip");
        obj.chip_id[5] ^= 1;
        kt_product other = obj.product == KT_PRODUCT_MILAN ? KT_PRODUCT_GENOA : KT_PRODUCT_MILAN;
        obj.product = other;
        check_fails(&obj, der, n, KT_E_CERT_FORMAT, "issued by");
        free(der);
    }

    /* the wrong chip: the trustee VCEK for the virtee report (same TCB, other chip) */
    kt_report r;
    load_report("milan-v2-virtee", KT_PRODUCT_MILAN, &r);
    assert_int_equal(kt_kds_vcek_object(&r, KT_PRODUCT_UNKNOWN, &obj, &err), KT_OK);
    size_t n;
    uint8_t *other = kt_test_read_shared("fixtures/snp/milan-v2-trustee/vcek.der", &n);
    check_fails(&obj, other, n, KT_E_BINDING, "another chip");
    free(other);
    /* an edited VCEK whose hwID is wrapped in an OCTET STRING still decodes */
    other = kt_test_read_shared("fixtures/snp/milan-v2-trustee/vcek-invalid-new.der", &n);
    check_fails(&obj, other, n, KT_E_BINDING, "another chip");
    free(other);

    /* Turin VCEK profile: 8-byte hwID, fmcSPL */
    memset(&obj, 0, sizeof obj);
    obj.kind = KT_KDS_VCEK;
    obj.product = KT_PRODUCT_TURIN;
    kt_test_hex("1e550a8ee5cf9f4d", obj.chip_id, 8);
    obj.tcb.has_fmc = true;
    obj.tcb.microcode = 9;
    uint8_t *turin = kt_test_read_shared("fixtures/snp/turin-vcek-only-virtee/vcek.der", &n);
    check_ok(&obj, turin, n);
    obj.tcb.fmc = 1;
    check_fails(&obj, turin, n, KT_E_BINDING, "fmcSPL");
    obj.tcb.fmc = 0;
    obj.chip_id[7] ^= 0x80;
    check_fails(&obj, turin, n, KT_E_BINDING, "another chip");
    free(turin);

    /* chains */
    static const char *const prods[] = {"milan", "genoa", "turin"};
    static const kt_product pv[] = {KT_PRODUCT_MILAN, KT_PRODUCT_GENOA, KT_PRODUCT_TURIN};
    for (size_t i = 0; i < 3; i++) {
        for (int vlek = 0; vlek < 2; vlek++) {
            char rel[128];
            snprintf(rel, sizeof rel, "fixtures/snp/amd-roots/%s%s_cert_chain.pem", prods[i],
                     vlek ? "_vlek" : "");
            uint8_t *pem = kt_test_read_shared(rel, &n);
            memset(&obj, 0, sizeof obj);
            obj.kind = KT_KDS_CHAIN;
            obj.product = pv[i];
            obj.vlek = vlek;
            check_ok(&obj, pem, n);
            obj.vlek = !vlek;
            check_fails(&obj, pem, n, KT_E_CERT_FORMAT, "first certificate");
            obj.vlek = vlek;
            obj.product = pv[(i + 1) % 3];
            check_fails(&obj, pem, n, KT_E_CERT_FORMAT, "expected");
            obj.product = pv[i];
            check_fails(&obj, pem, n * 3 / 4, KT_E_CERT_FORMAT, "found 1");
            check_fails(&obj, (const uint8_t *)"hello", 5, KT_E_CERT_FORMAT, "found 0");
            free(pem);
        }
    }
    /* a single DER certificate is not a chain */
    uint8_t *ark = kt_test_read_shared("fixtures/snp/amd-roots/milan_ark.der", &n);
    memset(&obj, 0, sizeof obj);
    obj.kind = KT_KDS_CHAIN;
    obj.product = KT_PRODUCT_MILAN;
    check_fails(&obj, ark, n, KT_E_CERT_FORMAT, NULL);
    /* ...nor a CRL */
    obj.kind = KT_KDS_CRL;
    check_fails(&obj, ark, n, KT_E_CERT_FORMAT, "not a DER X.509 CRL");
    free(ark);

    uint8_t *crl = kt_test_read_shared("fixtures/snp/milan-v5-gcp-atakit/milan.crl.der", &n);
    kt_error e2 = {0};
    time_t next = 0;
    assert_int_equal(kt_kds_check_object(&obj, crl, n, "crl", &next, &e2), KT_OK);
    assert_int_equal(next, 1786147200); /* nextUpdate 2026-08-08 00:00:00 UTC */
    check_fails(&obj, crl, n - 3, KT_E_CERT_FORMAT, "CRL");
    obj.product = KT_PRODUCT_GENOA;
    check_fails(&obj, crl, n, KT_E_CERT_FORMAT, "ARK-Genoa");
    obj.kind = KT_KDS_VCEK;
    check_fails(&obj, crl, n, KT_E_CERT_FORMAT, "not a DER X.509 certificate");
    check_fails(&obj, crl, 0, KT_E_CERT_FORMAT, "empty");
    free(crl);
}

/* ---- against the fake server --------------------------------------------------------- */

static void test_fetch_and_cache(void **state) {
    env *e = *state;
    reset(e);
    kt_report r;
    load_report("milan-v2-virtee", KT_PRODUCT_MILAN, &r);
    kt_kds_client *c = client(e);
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
             "/vcek/v1/Milan/%s?blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115", chip_hex(&r));
    assert_int_equal(kt_fake_kds_count(&e->srv), 1);
    assert_string_equal(kt_fake_kds_request(&e->srv, 0), want);
    char full[1200];
    snprintf(full, sizeof full, "KDS %s%s", e->srv.url, want);
    assert_string_equal(origin, full);
    assert_int_equal(kt_kds_request_count(c), 1);

    char path[1024];
    vcek_cache_path(e, &r, "bl03-tee00-snp08-ucode115", path, sizeof path);
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
    assert_true(file_exists(path));
    snprintf(path, sizeof path, "%s/chain/Genoa/vlek.pem", e->cache);
    assert_true(file_exists(path));
    snprintf(path, sizeof path, "%s/crl/Milan/vcek.der", e->cache);
    assert_true(file_exists(path));
    assert_int_equal(kt_kds_warning_count(c), 0);
    kt_kds_client_free(&c);

    /* a second client: everything from the cache, zero requests */
    kt_fake_kds_clear_log(&e->srv);
    c = client(e);
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
    assert_true(has_warning(c, "past its nextUpdate"));
    /* KDS unavailable: the stale copy is used, with a warning */
    kt_fake_kds_plan(&e->srv, "{\"rules\":[{\"match\":\"crl\",\"status\":404,\"times\":-1}]}");
    assert_int_equal(kt_kds_fetch_crl(c, KT_PRODUCT_MILAN, false, &der, &n, NULL, 0, &err), KT_OK);
    kt_bytes_free(der);
    assert_true(has_warning(c, "could not refresh the VCEK CRL"));
    kt_kds_client_free(&c);
    free(fixture);
}

static void test_retry_after_and_backoff(void **state) {
    env *e = *state;
    reset(e);
    kt_kds_client *c = client(e);
    uint8_t *der = NULL;
    size_t n;
    kt_error err = {0};

    /* 429 with Retry-After seconds, twice, then success */
    kt_fake_kds_plan(&e->srv, "{\"rules\":[{\"match\":\"cert_chain\",\"status\":429,"
                              "\"headers\":{\"Retry-After\":\"7\"},\"times\":2}]}");
    assert_int_equal(kt_kds_fetch_chain(c, KT_PRODUCT_MILAN, false, &der, &n, NULL, 0, &err), KT_OK);
    kt_bytes_free(der);
    assert_int_equal(kt_fake_kds_count(&e->srv), 3);
    assert_int_equal(e->clock.nsleeps, 2);
    assert_int_equal(e->clock.sleeps[0], 7000);
    assert_int_equal(e->clock.sleeps[1], 7000);

    /* 503 with an HTTP-date 42 s ahead of the (fake) wall clock */
    reset(e);
    e->clock.wall = 1445412000;
    kt_fake_kds_plan(&e->srv, "{\"rules\":[{\"match\":\"Genoa/cert_chain\",\"status\":503,"
                              "\"headers\":{\"Retry-After\":\"Wed, 21 Oct 2015 07:20:42 GMT\"}}]}");
    assert_int_equal(kt_kds_fetch_chain(c, KT_PRODUCT_GENOA, false, &der, &n, NULL, 0, &err), KT_OK);
    kt_bytes_free(der);
    assert_int_equal(e->clock.nsleeps, 1);
    assert_int_equal(e->clock.sleeps[0], 42000);

    /* 429 without Retry-After, then 500, 503 without: backoff 750, 1500, 3000 (jitter 0.5) */
    reset(e);
    kt_fake_kds_plan(&e->srv, "{\"rules\":[{\"match\":\"Turin/cert_chain\",\"status\":429},"
                              "{\"match\":\"Turin/cert_chain\",\"status\":500},"
                              "{\"match\":\"Turin/cert_chain\",\"status\":503}]}");
    assert_int_equal(kt_kds_fetch_chain(c, KT_PRODUCT_TURIN, false, &der, &n, NULL, 0, &err), KT_OK);
    kt_bytes_free(der);
    assert_int_equal(kt_fake_kds_count(&e->srv), 4);
    assert_int_equal(e->clock.nsleeps, 3);
    assert_int_equal(e->clock.sleeps[0], 750);
    assert_int_equal(e->clock.sleeps[1], 1500);
    assert_int_equal(e->clock.sleeps[2], 3000);

    /* a huge Retry-After is capped */
    reset(e);
    kt_fake_kds_plan(&e->srv, "{\"rules\":[{\"match\":\"cert_chain\",\"status\":429,"
                              "\"headers\":{\"Retry-After\":\"86400\"}}]}");
    assert_int_equal(kt_kds_fetch_chain(c, KT_PRODUCT_MILAN, false, &der, &n, NULL, 0, &err), KT_OK);
    kt_bytes_free(der);
    assert_int_equal(e->clock.nsleeps, 1);
    assert_int_equal(e->clock.sleeps[0], 60000);
    kt_kds_client_free(&c);

    /* always 429: gives up after max_retries, KT_E_RATE_LIMIT, nothing cached */
    reset(e);
    kt_kds_opts o;
    kt_kds_opts_init(&o);
    o.max_retries = 3;
    c = client_with(e, &o);
    kt_fake_kds_plan(&e->srv, "{\"rules\":[{\"match\":\"cert_chain\",\"status\":429,"
                              "\"headers\":{\"Retry-After\":\"1\"},\"times\":-1}]}");
    assert_int_equal(kt_kds_fetch_chain(c, KT_PRODUCT_MILAN, false, &der, &n, NULL, 0, &err),
                     KT_E_RATE_LIMIT);
    assert_null(der);
    assert_int_equal(kt_fake_kds_count(&e->srv), 4);
    assert_non_null(strstr(err.message, "429"));
    assert_non_null(strstr(err.message, "4 attempts"));
    char path[1024];
    snprintf(path, sizeof path, "%s/chain/Milan/vcek.pem", e->cache);
    assert_false(file_exists(path));
    kt_kds_client_free(&c);

    /* the overall deadline stops the waiting before it starts */
    reset(e);
    kt_kds_opts_init(&o);
    o.deadline_ms = 5000;
    c = client_with(e, &o);
    kt_fake_kds_plan(&e->srv, "{\"rules\":[{\"match\":\"cert_chain\",\"status\":503,"
                              "\"headers\":{\"Retry-After\":\"10\"},\"times\":-1}]}");
    assert_int_equal(kt_kds_fetch_chain(c, KT_PRODUCT_MILAN, false, &der, &n, NULL, 0, &err),
                     KT_E_RATE_LIMIT);
    assert_non_null(strstr(err.message, "deadline"));
    assert_int_equal(kt_fake_kds_count(&e->srv), 1);
    assert_int_equal(e->clock.nsleeps, 0);

    /* 500 forever: backoff until the deadline: 500+1000+2000 = 3500 < 5000, next 4000 would pass */
    reset(e);
    e->clock.jitter = 0.0;
    kt_fake_kds_plan(&e->srv,
                     "{\"rules\":[{\"match\":\"cert_chain\",\"status\":500,\"times\":-1}]}");
    assert_int_equal(kt_kds_fetch_chain(c, KT_PRODUCT_MILAN, false, &der, &n, NULL, 0, &err),
                     KT_E_HTTP);
    assert_int_equal(e->clock.nsleeps, 3);
    assert_int_equal(kt_fake_kds_count(&e->srv), 4);

    /* 404 is final: no retry */
    reset(e);
    kt_fake_kds_plan(&e->srv, "{\"rules\":[{\"match\":\"cert_chain\",\"status\":404}]}");
    assert_int_equal(kt_kds_fetch_chain(c, KT_PRODUCT_MILAN, false, &der, &n, NULL, 0, &err),
                     KT_E_HTTP);
    assert_non_null(strstr(err.message, "404"));
    assert_int_equal(kt_fake_kds_count(&e->srv), 1);
    kt_kds_client_free(&c);
}

static void test_bad_responses(void **state) {
    env *e = *state;
    reset(e);
    kt_report r;
    load_report("milan-v2-virtee", KT_PRODUCT_MILAN, &r);
    kt_kds_opts o;
    kt_kds_opts_init(&o);
    o.max_retries = 1;
    kt_kds_client *c = client_with(e, &o);
    uint8_t *der = NULL;
    size_t n;
    kt_error err = {0};
    char path[1024];
    vcek_cache_path(e, &r, "bl03-tee00-snp08-ucode115", path, sizeof path);

    /* a VCEK for another chip: rejected, named, not cached, not retried */
    kt_fake_kds_plan(&e->srv, "{\"rules\":[{\"match\":\"/vcek/v1/Milan/\","
                              "\"body_file\":\"milan-v2-trustee/vcek.der\"}]}");
    assert_int_equal(kt_kds_fetch_vcek(c, &r, KT_PRODUCT_MILAN, &der, &n, NULL, 0, &err),
                     KT_E_BINDING);
    assert_non_null(strstr(err.message, "another chip"));
    assert_non_null(strstr(err.message, "KDS response from http://127.0.0.1"));
    assert_null(der);
    assert_false(file_exists(path));
    assert_int_equal(kt_fake_kds_count(&e->srv), 1);

    /* garbage with status 200 */
    kt_fake_kds_clear_log(&e->srv);
    kt_fake_kds_plan(&e->srv, "{\"rules\":[{\"match\":\"/vcek/v1/Milan/\","
                              "\"body\":\"<html>rate limited</html>\"}]}");
    assert_int_equal(kt_kds_fetch_vcek(c, &r, KT_PRODUCT_MILAN, &der, &n, NULL, 0, &err),
                     KT_E_CERT_FORMAT);
    assert_non_null(strstr(err.message, "not a DER X.509 certificate"));
    assert_false(file_exists(path));

    /* oversized body: stopped at the limit */
    kt_fake_kds_plan(&e->srv, "{\"rules\":[{\"match\":\"/vcek/v1/Milan/\",\"size\":1100000}]}");
    assert_int_equal(kt_kds_fetch_vcek(c, &r, KT_PRODUCT_MILAN, &der, &n, NULL, 0, &err),
                     KT_E_TOO_LARGE);
    assert_non_null(strstr(err.message, "1048576"));
    assert_false(file_exists(path));

    /* truncated body (connection closed early): retried, then served whole */
    kt_fake_kds_clear_log(&e->srv);
    kt_fake_kds_plan(&e->srv,
                     "{\"rules\":[{\"match\":\"/vcek/v1/Milan/\",\"truncate\":200}]}");
    assert_int_equal(kt_kds_fetch_vcek(c, &r, KT_PRODUCT_MILAN, &der, &n, NULL, 0, &err), KT_OK);
    kt_bytes_free(der);
    assert_int_equal(kt_fake_kds_count(&e->srv), 2);
    assert_true(file_exists(path));

    /* truncated every time: a network error after the retries */
    kt_fake_kds_clear_log(&e->srv);
    kt_fake_kds_plan(&e->srv, "{\"rules\":[{\"match\":\"cert_chain\",\"truncate\":10,"
                              "\"times\":-1}]}");
    assert_int_equal(kt_kds_fetch_chain(c, KT_PRODUCT_MILAN, false, &der, &n, NULL, 0, &err),
                     KT_E_NETWORK);
    assert_int_equal(kt_fake_kds_count(&e->srv), 2);

    /* slower than the timeout (a short one only here: a loaded machine answers slowly) */
    kt_kds_client_free(&c);
    o.timeout_ms = 1000;
    c = client_with(e, &o);
    kt_fake_kds_clear_log(&e->srv);
    kt_fake_kds_plan(&e->srv, "{\"rules\":[{\"match\":\"Genoa/cert_chain\",\"delay\":3,"
                              "\"times\":-1}]}");
    assert_int_equal(kt_kds_fetch_chain(c, KT_PRODUCT_GENOA, false, &der, &n, NULL, 0, &err),
                     KT_E_NETWORK);
    assert_non_null(strstr(err.message, "timed out"));
    assert_int_equal(kt_fake_kds_count(&e->srv), 2);
    kt_kds_client_free(&c);

    /* nothing listening */
    kt_kds_opts_init(&o);
    o.max_retries = 0;
    o.base_url = "http://127.0.0.1:9";
    o.no_cache = true;
    assert_int_equal(kt_kds_client_new(&o, &c, &err), KT_OK);
    assert_int_equal(kt_kds_fetch_chain(c, KT_PRODUCT_MILAN, false, &der, &n, NULL, 0, &err),
                     KT_E_NETWORK);
    kt_kds_client_free(&c);
}

static void write_file(const char *path, const void *data, size_t len) {
    kt_error err = {0};
    if (kt_file_write_atomic(path, data, len, 0644, &err) != KT_OK)
        fail_msg("%s", err.message);
}

static void test_corrupt_cache(void **state) {
    env *e = *state;
    reset(e);
    kt_report r;
    load_report("milan-v2-virtee", KT_PRODUCT_MILAN, &r);
    kt_kds_client *c = client(e);
    uint8_t *der = NULL;
    size_t n;
    kt_error err = {0};
    assert_int_equal(kt_kds_fetch_vcek(c, &r, KT_PRODUCT_MILAN, &der, &n, NULL, 0, &err), KT_OK);
    char path[1024];
    vcek_cache_path(e, &r, "bl03-tee00-snp08-ucode115", path, sizeof path);
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
        write_file(path, bad[i].bytes, bad[i].len);
        kt_kds_client_free(&c);
        c = client(e);
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
    write_file(path, "garbage", 7);
    kt_kds_client_free(&c);
    kt_kds_opts o;
    kt_kds_opts_init(&o);
    o.offline = true;
    c = client_with(e, &o);
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
    env *e = *state;
    reset(e);
    kt_report r;
    load_report("milan-v2-virtee", KT_PRODUCT_MILAN, &r);
    kt_kds_opts o;
    kt_kds_opts_init(&o);
    o.offline = true;
    kt_kds_client *c = client_with(e, &o);
    uint8_t *der = NULL;
    size_t n;
    kt_error err = {0};
    assert_int_equal(kt_kds_fetch_vcek(c, &r, KT_PRODUCT_MILAN, &der, &n, NULL, 0, &err),
                     KT_E_OFFLINE);
    char url[1024];
    snprintf(url, sizeof url, "%s/vcek/v1/Milan/%s?blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115",
             e->srv.url, chip_hex(&r));
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
             e->srv.url, chip_hex(&r));
    assert_non_null(strstr(err.message, url));
    snprintf(url, sizeof url, "VCEK chain (ASK, ARK) %s/vcek/v1/Milan/cert_chain", e->srv.url);
    assert_non_null(strstr(err.message, url));
    snprintf(url, sizeof url, "VCEK CRL %s/vcek/v1/Milan/crl", e->srv.url);
    assert_non_null(strstr(err.message, url));
    assert_false(kt_certs_has(certs, KT_ROLE_VCEK));
    snprintf(url, sizeof url, "%s/vcek/v1/Milan/cert_chain", e->srv.url);
    assert_true(has_warning(c, url)); /* whole URLs in the warnings too */

    /* the cache-only source simply has nothing */
    kt_cert_source cache = kt_kds_cache_source(c);
    assert_string_equal(cache.name, "cache");
    assert_int_equal(cache.fetch(cache.ctx, &r, KT_PRODUCT_MILAN, need, certs, &err), KT_OK);
    assert_false(kt_certs_has(certs, KT_ROLE_ASK));
    assert_int_equal(kt_fake_kds_count(&e->srv), 0);
    kt_kds_client_free(&c);

    /* fill the cache online, then offline works with zero requests */
    c = client(e);
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
    c = client_with(e, &o);
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
    assert_true(has_warning(c, "past its nextUpdate"));
    assert_int_equal(kt_fake_kds_count(&e->srv), 0);
    kt_certs_free(&certs);
    kt_kds_client_free(&c);

    /* no_cache writes nothing */
    reset(e);
    kt_kds_opts_init(&o);
    o.no_cache = true;
    c = client_with(e, &o);
    assert_int_equal(kt_kds_fetch_chain(c, KT_PRODUCT_MILAN, false, &der, &n, NULL, 0, &err), KT_OK);
    kt_bytes_free(der);
    char path[1024];
    snprintf(path, sizeof path, "%s/chain", e->cache);
    assert_false(file_exists(path));
    kt_kds_client_free(&c);
}

static void test_source_roles(void **state) {
    env *e = *state;
    reset(e);
    kt_report r;
    load_report("milan-vlek-v3-aws-constellation", KT_PRODUCT_UNKNOWN, &r);
    assert_int_equal(r.signing_key, KT_SIGNING_KEY_VLEK);
    kt_kds_client *c = client(e);
    kt_certs *certs = NULL;
    kt_error err = {0};
    assert_int_equal(kt_certs_new(&certs, &err), KT_OK);
    kt_cert_source src = kt_kds_cert_source(c);
    /* VLEK report: ASVK + ARK from the VLEK chain; the VLEK itself is not on KDS */
    unsigned need = 1u << KT_ROLE_VLEK | 1u << KT_ROLE_ASVK | 1u << KT_ROLE_ARK;
    assert_int_equal(src.fetch(src.ctx, &r, KT_PRODUCT_UNKNOWN, need, certs, &err), KT_OK);
    assert_true(kt_certs_has(certs, KT_ROLE_ASVK));
    assert_true(kt_certs_has(certs, KT_ROLE_ARK));
    assert_false(kt_certs_has(certs, KT_ROLE_VLEK));
    assert_false(kt_certs_has(certs, KT_ROLE_ASK));
    assert_int_equal(kt_fake_kds_count(&e->srv), 1);
    assert_string_equal(kt_fake_kds_request(&e->srv, 0), "/vlek/v1/Milan/cert_chain");
    kt_certs_free(&certs);

    /* only what is asked for is added; a present role is left alone */
    size_t ark_len;
    uint8_t *ark = kt_test_read_shared("fixtures/snp/amd-roots/milan_ark.der", &ark_len);
    load_report("milan-v2-virtee", KT_PRODUCT_MILAN, &r);
    assert_int_equal(kt_certs_new(&certs, &err), KT_OK);
    assert_int_equal(kt_certs_add(certs, KT_ROLE_ARK, ark, ark_len, "mine", false, &err), KT_OK);
    assert_int_equal(src.fetch(src.ctx, &r, KT_PRODUCT_MILAN, 1u << KT_ROLE_ASK, certs, &err),
                     KT_OK);
    assert_true(kt_certs_has(certs, KT_ROLE_ASK));
    assert_string_equal(kt_certs_origin(certs, KT_ROLE_ARK), "mine");
    assert_false(kt_certs_has(certs, KT_ROLE_VCEK));
    kt_certs_free(&certs);
    free(ark);

    /* unknown product: the kds source says so; the cache source has nothing */
    r.product = KT_PRODUCT_UNKNOWN;
    assert_int_equal(kt_certs_new(&certs, &err), KT_OK);
    assert_int_equal(src.fetch(src.ctx, &r, KT_PRODUCT_UNKNOWN, 1u << KT_ROLE_VCEK, certs, &err),
                     KT_E_INVALID_ARG);
    kt_cert_source cache = kt_kds_cache_source(c);
    assert_int_equal(cache.fetch(cache.ctx, &r, KT_PRODUCT_UNKNOWN, 1u << KT_ROLE_VCEK, certs, &err),
                     KT_OK);
    kt_certs_free(&certs);
    kt_kds_client_free(&c);
}

/* The whole point: kt_verify with the KDS source, from an empty cache, then offline. */
static void verify_twice(env *e, time_t at, bool crl_served, const char *crl_check) {
    size_t qlen;
    uint8_t *qbytes = kt_test_read_shared("fixtures/snp/milan-v2-virtee/report.bin", &qlen);
    kt_quote *q = NULL;
    kt_error err = {0};
    assert_int_equal(kt_quote_decode(qbytes, qlen, &q, &err), KT_OK);
    kt_verifier *v = NULL;
    assert_int_equal(kt_verifier_new(&v, &err), KT_OK);
    for (int offline = 0; offline < 2; offline++) {
        kt_kds_opts o;
        kt_kds_opts_init(&o);
        o.offline = offline;
        kt_kds_client *c = client_with(e, &o);
        e->clock.wall = at;
        kt_cert_source src = kt_kds_cert_source(c);
        const kt_cert_source *srcs[1] = {&src};
        kt_verify_opts vo;
        kt_verify_opts_init(&vo);
        vo.sources = srcs;
        vo.source_count = 1;
        vo.product = KT_PRODUCT_MILAN;
        vo.has_time = true;
        vo.at = at;
        vo.has_report_data = true;
        memcpy(vo.report_data, qbytes + 0x50, 64); /* REPORT_DATA as signed */
        kt_fake_kds_clear_log(&e->srv);
        kt_verdict verdict;
        kt_status st = kt_verify(v, q, &vo, &verdict, &err);
        if (st != KT_OK)
            fail_msg("verify (offline=%d): %s", offline, err.message);
        assert_true(verdict.valid);
        assert_int_equal(verdict.trust, KT_TRUST_AMD);
        /* online: VCEK, chain, CRL; offline: nothing */
        assert_int_equal(kt_fake_kds_count(&e->srv), offline ? 0 : 3);
        assert_int_equal(strncmp(verdict.origin[KT_ROLE_VCEK], offline ? "cache " : "KDS ",
                                 offline ? 6 : 4),
                         0);
        assert_string_equal(kt_check_result_name(verdict.checks[KT_CHECK_REVOCATION].result),
                            crl_check);
        assert_int_equal(verdict.origin[KT_ROLE_CRL][0] != 0, crl_served);
        if (!crl_served)
            assert_true(has_warning(c, "CRL"));
        kt_kds_client_free(&c);
    }
    kt_verifier_free(&v);
    kt_quote_free(&q);
    free(qbytes);
}

static void test_verify_with_kds(void **state) {
    env *e = *state;
    /* at 2026-07-01 the fixture CRL is current: full chain with revocation */
    reset(e);
    verify_twice(e, 1782864000, true, "pass");
    /* today, with the CRL endpoint failing: verified without revocation (policy allows) */
    reset(e);
    kt_fake_kds_plan(&e->srv, "{\"rules\":[{\"match\":\"/crl\",\"status\":404,\"times\":-1}]}");
    verify_twice(e, time(NULL), false, "skipped");
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
    for (int i = 0; i < 12000 && !file_exists(other); i++) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (!file_exists(other))
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
    env *e = *state;
    reset(e);
    kt_report r;
    load_report("milan-v2-virtee", KT_PRODUCT_MILAN, &r);
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
        assert_true(file_exists(flag));
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
    vcek_cache_path(e, &r, "bl03-tee00-snp08-ucode115", path, sizeof path);
    size_t got_len = 0, want_len = 0;
    uint8_t *got = kt_test_read_file(path, &got_len);
    uint8_t *want = kt_test_read_shared("fixtures/snp/milan-v2-virtee/vcek.der", &want_len);
    assert_int_equal(got_len, want_len);
    assert_memory_equal(got, want, want_len);
    free(got);
    free(want);
    /* a third process: all from the cache */
    kt_fake_kds_clear_log(&e->srv);
    kt_kds_client *c = client(e);
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

typedef struct seen {
    int requests, retries, done, progress;
    uint64_t wait;
} seen;

static void on_progress(void *user, const kt_kds_progress *p) {
    seen *s = user;
    switch (p->event) {
    case KT_KDS_EVENT_REQUEST: s->requests++; break;
    case KT_KDS_EVENT_RETRY:
        s->retries++;
        s->wait = p->wait_ms;
        assert_int_equal(p->http_status, 429);
        assert_non_null(strstr(p->reason, "429"));
        break;
    case KT_KDS_EVENT_DONE: s->done++; break;
    case KT_KDS_EVENT_PROGRESS: s->progress++; break;
    }
}

static void test_progress(void **state) {
    env *e = *state;
    reset(e);
    seen s = {0};
    kt_kds_opts o;
    kt_kds_opts_init(&o);
    o.progress = on_progress;
    o.progress_user = &s;
    kt_kds_client *c = client_with(e, &o);
    kt_fake_kds_plan(&e->srv, "{\"rules\":[{\"match\":\"cert_chain\",\"status\":429,"
                              "\"headers\":{\"Retry-After\":\"3\"}}]}");
    uint8_t *b = NULL;
    size_t n;
    kt_error err = {0};
    assert_int_equal(kt_kds_fetch_chain(c, KT_PRODUCT_MILAN, false, &b, &n, NULL, 0, &err), KT_OK);
    kt_bytes_free(b);
    assert_int_equal(s.requests, 2);
    assert_int_equal(s.retries, 1);
    assert_int_equal(s.wait, 3000);
    assert_int_equal(s.done, 1);
    assert_true(s.progress >= 1);
    kt_kds_client_free(&c);
}

int main(void) {
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_urls),
        cmocka_unit_test(test_defaults_from_env),
        cmocka_unit_test(test_retry_policy),
        cmocka_unit_test(test_checks),
    };
    const struct CMUnitTest served[] = {
        cmocka_unit_test(test_fetch_and_cache),
        cmocka_unit_test(test_retry_after_and_backoff),
        cmocka_unit_test(test_bad_responses),
        cmocka_unit_test(test_corrupt_cache),
        cmocka_unit_test(test_offline),
        cmocka_unit_test(test_source_roles),
        cmocka_unit_test(test_verify_with_kds),
        cmocka_unit_test(test_concurrent_processes),
        cmocka_unit_test(test_progress),
    };
    int failed = cmocka_run_group_tests_name("kds", pure, NULL, NULL);
    failed += cmocka_run_group_tests_name("kds against a fake KDS", served, setup, teardown);
    return failed;
}
