/*
 * KDS client: URLs byte for byte, object checks on real fixtures, the retry
 * policy (injected clock/sleep/jitter), retries and bad answers, and the
 * certificate sources — against a loopback fake KDS that serves the shared
 * fixtures and misbehaves on request. Never the internet. The on-disk cache
 * and offline mode are in test_kds_cache.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kds_env.h"
#include "katana_tee/hex.h"
#include "katana_tee/kds.h"
#include "katana_tee/quote.h"
#include "katana_tee/report.h"
#include "katana_tee/verify.h"
#include "kds/kds_internal.h"
#include "testutil.h"
#include "util/fileio.h"

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
    kds_load_report("milan-v2-virtee", KT_PRODUCT_MILAN, &r);
    char url[640], want[640];
    assert_int_equal(kt_kds_vcek_url(c, &r, KT_PRODUCT_UNKNOWN, url, sizeof url, &err), KT_OK);
    snprintf(want, sizeof want,
             "https://kds.example/vcek/v1/Milan/%s?blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115",
             kds_chip_hex(&r));
    assert_string_equal(url, want);

    /* v3 Genoa report: product from CPUID; TCB 0a 00 .. 17 54 */
    kds_load_report("genoa-v3-tinfoil", KT_PRODUCT_UNKNOWN, &r);
    assert_int_equal(r.product, KT_PRODUCT_GENOA);
    assert_int_equal(kt_kds_vcek_url(c, &r, KT_PRODUCT_UNKNOWN, url, sizeof url, &err), KT_OK);
    snprintf(want, sizeof want,
             "https://kds.example/vcek/v1/Genoa/%s?blSPL=10&teeSPL=00&snpSPL=23&ucodeSPL=84",
             kds_chip_hex(&r));
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
    kds_load_report("milan-v2-virtee", KT_PRODUCT_UNKNOWN, &r);
    r.product = KT_PRODUCT_UNKNOWN;
    assert_int_equal(kt_kds_vcek_url(c, &r, KT_PRODUCT_UNKNOWN, url, sizeof url, &err),
                     KT_E_INVALID_ARG);
    assert_non_null(strstr(err.message, "product"));
    memset(r.chip_id, 0, sizeof r.chip_id);
    assert_int_equal(kt_kds_vcek_url(c, &r, KT_PRODUCT_MILAN, url, sizeof url, &err),
                     KT_E_INVALID_ARG);
    assert_non_null(strstr(err.message, "masked"));
    kds_load_report("milan-v2-virtee", KT_PRODUCT_MILAN, &r);
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
        kds_load_report(sets[i].set, sets[i].hint, &r);
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
    kds_load_report("milan-v2-virtee", KT_PRODUCT_MILAN, &r);
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

static void test_retry_after_and_backoff(void **state) {
    kds_env *e = *state;
    kds_env_reset(e);
    kt_kds_client *c = kds_client(e);
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
    kds_env_reset(e);
    e->clock.wall = 1445412000;
    kt_fake_kds_plan(&e->srv, "{\"rules\":[{\"match\":\"Genoa/cert_chain\",\"status\":503,"
                              "\"headers\":{\"Retry-After\":\"Wed, 21 Oct 2015 07:20:42 GMT\"}}]}");
    assert_int_equal(kt_kds_fetch_chain(c, KT_PRODUCT_GENOA, false, &der, &n, NULL, 0, &err), KT_OK);
    kt_bytes_free(der);
    assert_int_equal(e->clock.nsleeps, 1);
    assert_int_equal(e->clock.sleeps[0], 42000);

    /* 429 without Retry-After, then 500, 503 without: backoff 750, 1500, 3000 (jitter 0.5) */
    kds_env_reset(e);
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
    kds_env_reset(e);
    kt_fake_kds_plan(&e->srv, "{\"rules\":[{\"match\":\"cert_chain\",\"status\":429,"
                              "\"headers\":{\"Retry-After\":\"86400\"}}]}");
    assert_int_equal(kt_kds_fetch_chain(c, KT_PRODUCT_MILAN, false, &der, &n, NULL, 0, &err), KT_OK);
    kt_bytes_free(der);
    assert_int_equal(e->clock.nsleeps, 1);
    assert_int_equal(e->clock.sleeps[0], 60000);
    kt_kds_client_free(&c);

    /* always 429: gives up after max_retries, KT_E_RATE_LIMIT, nothing cached */
    kds_env_reset(e);
    kt_kds_opts o;
    kt_kds_opts_init(&o);
    o.max_retries = 3;
    c = kds_client_with(e, &o);
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
    assert_false(kds_file_exists(path));
    kt_kds_client_free(&c);

    /* the overall deadline stops the waiting before it starts */
    kds_env_reset(e);
    kt_kds_opts_init(&o);
    o.deadline_ms = 5000;
    c = kds_client_with(e, &o);
    kt_fake_kds_plan(&e->srv, "{\"rules\":[{\"match\":\"cert_chain\",\"status\":503,"
                              "\"headers\":{\"Retry-After\":\"10\"},\"times\":-1}]}");
    assert_int_equal(kt_kds_fetch_chain(c, KT_PRODUCT_MILAN, false, &der, &n, NULL, 0, &err),
                     KT_E_RATE_LIMIT);
    assert_non_null(strstr(err.message, "deadline"));
    assert_int_equal(kt_fake_kds_count(&e->srv), 1);
    assert_int_equal(e->clock.nsleeps, 0);

    /* 500 forever: backoff until the deadline: 500+1000+2000 = 3500 < 5000, next 4000 would pass */
    kds_env_reset(e);
    e->clock.jitter = 0.0;
    kt_fake_kds_plan(&e->srv,
                     "{\"rules\":[{\"match\":\"cert_chain\",\"status\":500,\"times\":-1}]}");
    assert_int_equal(kt_kds_fetch_chain(c, KT_PRODUCT_MILAN, false, &der, &n, NULL, 0, &err),
                     KT_E_HTTP);
    assert_int_equal(e->clock.nsleeps, 3);
    assert_int_equal(kt_fake_kds_count(&e->srv), 4);

    /* 404 is final: no retry */
    kds_env_reset(e);
    kt_fake_kds_plan(&e->srv, "{\"rules\":[{\"match\":\"cert_chain\",\"status\":404}]}");
    assert_int_equal(kt_kds_fetch_chain(c, KT_PRODUCT_MILAN, false, &der, &n, NULL, 0, &err),
                     KT_E_HTTP);
    assert_non_null(strstr(err.message, "404"));
    assert_int_equal(kt_fake_kds_count(&e->srv), 1);
    kt_kds_client_free(&c);
}

static void test_bad_responses(void **state) {
    kds_env *e = *state;
    kds_env_reset(e);
    kt_report r;
    kds_load_report("milan-v2-virtee", KT_PRODUCT_MILAN, &r);
    kt_kds_opts o;
    kt_kds_opts_init(&o);
    o.max_retries = 1;
    kt_kds_client *c = kds_client_with(e, &o);
    uint8_t *der = NULL;
    size_t n;
    kt_error err = {0};
    char path[1024];
    kds_vcek_cache_path(e, &r, "bl03-tee00-snp08-ucode115", path, sizeof path);

    /* a VCEK for another chip: rejected, named, not cached, not retried */
    kt_fake_kds_plan(&e->srv, "{\"rules\":[{\"match\":\"/vcek/v1/Milan/\","
                              "\"body_file\":\"milan-v2-trustee/vcek.der\"}]}");
    assert_int_equal(kt_kds_fetch_vcek(c, &r, KT_PRODUCT_MILAN, &der, &n, NULL, 0, &err),
                     KT_E_BINDING);
    assert_non_null(strstr(err.message, "another chip"));
    assert_non_null(strstr(err.message, "KDS response from http://127.0.0.1"));
    assert_null(der);
    assert_false(kds_file_exists(path));
    assert_int_equal(kt_fake_kds_count(&e->srv), 1);

    /* garbage with status 200 */
    kt_fake_kds_clear_log(&e->srv);
    kt_fake_kds_plan(&e->srv, "{\"rules\":[{\"match\":\"/vcek/v1/Milan/\","
                              "\"body\":\"<html>rate limited</html>\"}]}");
    assert_int_equal(kt_kds_fetch_vcek(c, &r, KT_PRODUCT_MILAN, &der, &n, NULL, 0, &err),
                     KT_E_CERT_FORMAT);
    assert_non_null(strstr(err.message, "not a DER X.509 certificate"));
    assert_false(kds_file_exists(path));

    /* oversized body: stopped at the limit */
    kt_fake_kds_plan(&e->srv, "{\"rules\":[{\"match\":\"/vcek/v1/Milan/\",\"size\":1100000}]}");
    assert_int_equal(kt_kds_fetch_vcek(c, &r, KT_PRODUCT_MILAN, &der, &n, NULL, 0, &err),
                     KT_E_TOO_LARGE);
    assert_non_null(strstr(err.message, "1048576"));
    assert_false(kds_file_exists(path));

    /* truncated body (connection closed early): retried, then served whole */
    kt_fake_kds_clear_log(&e->srv);
    kt_fake_kds_plan(&e->srv,
                     "{\"rules\":[{\"match\":\"/vcek/v1/Milan/\",\"truncate\":200}]}");
    assert_int_equal(kt_kds_fetch_vcek(c, &r, KT_PRODUCT_MILAN, &der, &n, NULL, 0, &err), KT_OK);
    kt_bytes_free(der);
    assert_int_equal(kt_fake_kds_count(&e->srv), 2);
    assert_true(kds_file_exists(path));

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
    c = kds_client_with(e, &o);
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

static void test_source_roles(void **state) {
    kds_env *e = *state;
    kds_env_reset(e);
    kt_report r;
    kds_load_report("milan-vlek-v3-aws-constellation", KT_PRODUCT_UNKNOWN, &r);
    assert_int_equal(r.signing_key, KT_SIGNING_KEY_VLEK);
    kt_kds_client *c = kds_client(e);
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
    kds_load_report("milan-v2-virtee", KT_PRODUCT_MILAN, &r);
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
static void verify_twice(kds_env *e, time_t at, bool crl_served, const char *crl_check) {
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
        kt_kds_client *c = kds_client_with(e, &o);
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
            assert_true(kds_has_warning(c, "CRL"));
        kt_kds_client_free(&c);
    }
    kt_verifier_free(&v);
    kt_quote_free(&q);
    free(qbytes);
}

static void test_verify_with_kds(void **state) {
    kds_env *e = *state;
    /* at 2026-07-01 the fixture CRL is current: full chain with revocation */
    kds_env_reset(e);
    verify_twice(e, 1782864000, true, "pass");
    /* today, with the CRL endpoint failing: verified without revocation (policy allows) */
    kds_env_reset(e);
    kt_fake_kds_plan(&e->srv, "{\"rules\":[{\"match\":\"/crl\",\"status\":404,\"times\":-1}]}");
    verify_twice(e, time(NULL), false, "skipped");
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
    kds_env *e = *state;
    kds_env_reset(e);
    seen s = {0};
    kt_kds_opts o;
    kt_kds_opts_init(&o);
    o.progress = on_progress;
    o.progress_user = &s;
    kt_kds_client *c = kds_client_with(e, &o);
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
        cmocka_unit_test(test_retry_after_and_backoff),
        cmocka_unit_test(test_bad_responses),
        cmocka_unit_test(test_source_roles),
        cmocka_unit_test(test_verify_with_kds),
        cmocka_unit_test(test_progress),
    };
    int failed = cmocka_run_group_tests_name("kds", pure, NULL, NULL);
    failed += cmocka_run_group_tests_name("kds against a fake KDS", served, kds_env_setup, kds_env_teardown);
    return failed;
}
