/*
 * The KDS proxy's request routing (src/kdsproxy/route.c): a table of raw
 * request targets and what each must become — an object with its cache key
 * (the same key the KDS client caches under), or a 400/404 with no object.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kds/kds_internal.h"
#include "kdsproxy/proxy.h"

#define HW128 "d49554ec717f4e5b0fe6b143bcf0405bd7ae304727edf46603f2a76aef6a3abc" \
              "15d7af38db757039029f0efacfd08e244324884738c72b082e2f87a44d541eb6"
#define Q "blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115"

typedef struct route_case {
    const char *target;
    kt_kdsproxy_route_kind kind;
    const char *cache_key; /* objects: kt_kds_object_cache_rel of the routed object */
} route_case;

static const route_case CASES[] = {
    {"/health", KT_ROUTE_HEALTH, NULL},
    {"/metrics", KT_ROUTE_METRICS, NULL},
    {"/vcek/v1/Milan/cert_chain", KT_ROUTE_OBJECT, "chain/Milan/vcek.pem"},
    {"/vlek/v1/Genoa/cert_chain", KT_ROUTE_OBJECT, "chain/Genoa/vlek.pem"},
    {"/vcek/v1/Turin/crl", KT_ROUTE_OBJECT, "crl/Turin/vcek.der"},
    {"/vlek/v1/Milan/crl", KT_ROUTE_OBJECT, "crl/Milan/vlek.der"},
    {"/vcek/v1/Milan/" HW128 "?" Q, KT_ROUTE_OBJECT,
     "vcek/Milan/" HW128 "/bl03-tee00-snp08-ucode115.der"},
    /* unpadded SPLs, another order, upper-case hex: the same object */
    {"/vcek/v1/Milan/" HW128 "?ucodeSPL=115&snpSPL=8&teeSPL=0&blSPL=3", KT_ROUTE_OBJECT,
     "vcek/Milan/" HW128 "/bl03-tee00-snp08-ucode115.der"},
    {"/vcek/v1/Genoa/D49554EC717F4E5B0FE6B143BCF0405BD7AE304727EDF46603F2A76AEF6A3ABC"
     "15D7AF38DB757039029F0EFACFD08E244324884738C72B082E2F87A44D541EB6?" Q,
     KT_ROUTE_OBJECT, "vcek/Genoa/" HW128 "/bl03-tee00-snp08-ucode115.der"},
    {"/vcek/v1/Turin/d49554ec717f4e5b?fmcSPL=1&blSPL=2&teeSPL=0&snpSPL=3&ucodeSPL=255",
     KT_ROUTE_OBJECT, "vcek/Turin/d49554ec717f4e5b/fmc01-bl02-tee00-snp03-ucode255.der"},
    /* refused before any lookup */
    {"", KT_ROUTE_BAD, NULL},
    {"vcek/v1/Milan/crl", KT_ROUTE_BAD, NULL},
    {"/vcek/v1/Milan/crl?", KT_ROUTE_OBJECT, "crl/Milan/vcek.der"}, /* an empty query is none */
    {"/vcek/v1/Milan/crl?a=b", KT_ROUTE_BAD, NULL},
    {"/vcek/v1/Milan/%63rl", KT_ROUTE_BAD, NULL},
    {"/vcek/v1/Milan/crl#x", KT_ROUTE_BAD, NULL},
    {"/vcek/v1/Milan/cr l", KT_ROUTE_BAD, NULL},
    {"/vcek/v1/../Milan/crl", KT_ROUTE_BAD, NULL},
    {"/vcek/v1/Milan/..", KT_ROUTE_BAD, NULL},
    {"/vcek/v1/Milan/.", KT_ROUTE_BAD, NULL},
    {"//vcek/v1/Milan/crl", KT_ROUTE_BAD, NULL},
    {"/vcek/v1/Milan/" HW128 "?blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=256", KT_ROUTE_BAD, NULL},
    {"/vcek/v1/Milan/" HW128 "?blSPL=0003&teeSPL=00&snpSPL=08&ucodeSPL=1", KT_ROUTE_BAD, NULL},
    {"/vcek/v1/Milan/" HW128 "?blSPL=&teeSPL=00&snpSPL=08&ucodeSPL=1", KT_ROUTE_BAD, NULL},
    {"/vcek/v1/Milan/" HW128 "?blSPL&teeSPL=00&snpSPL=08&ucodeSPL=1", KT_ROUTE_BAD, NULL},
    {"/vcek/v1/Milan/" HW128 "?" Q "&", KT_ROUTE_BAD, NULL},
    {"/vcek/v1/Milan/" HW128 "?" Q "&" Q, KT_ROUTE_BAD, NULL},
    {"/vcek/v1/Milan/" HW128 "?" Q "&fmcSPL=0", KT_ROUTE_BAD, NULL},
    {"/vcek/v1/Milan/" HW128 "?blSPL=03&teeSPL=00&snpSPL=08", KT_ROUTE_BAD, NULL},
    {"/vcek/v1/Milan/" HW128, KT_ROUTE_BAD, NULL},
    {"/vcek/v1/Turin/d49554ec717f4e5b?" Q, KT_ROUTE_BAD, NULL}, /* fmcSPL missing */
    {"/vcek/v1/Turin/" HW128 "?fmcSPL=0&" Q, KT_ROUTE_BAD, NULL},
    {"/vcek/v1/Milan/d49554ec?" Q, KT_ROUTE_BAD, NULL},
    {"/vcek/v1/Milan/0000000000000000000000000000000000000000000000000000000000000000"
     "0000000000000000000000000000000000000000000000000000000000000000?" Q,
     KT_ROUTE_BAD, NULL},
    {"/vcek/v1/Milan/g49554ec717f4e5b0fe6b143bcf0405bd7ae304727edf46603f2a76aef6a3abc"
     "15d7af38db757039029f0efacfd08e244324884738c72b082e2f87a44d541eb6?" Q,
     KT_ROUTE_BAD, NULL},
    {"/", KT_ROUTE_NOT_FOUND, NULL},
    {"/favicon.ico", KT_ROUTE_NOT_FOUND, NULL},
    {"/vcek/v1/Rome/crl", KT_ROUTE_NOT_FOUND, NULL},
    {"/vcek/v1/milan/crl", KT_ROUTE_NOT_FOUND, NULL},
    {"/vcek/v2/Milan/crl", KT_ROUTE_NOT_FOUND, NULL},
    {"/vcek/v1/Milan/crl/", KT_ROUTE_NOT_FOUND, NULL},
    {"/vcek/v1/Milan", KT_ROUTE_NOT_FOUND, NULL},
    {"/vlek/v1/Milan/" HW128 "?" Q, KT_ROUTE_NOT_FOUND, NULL},
    {"/healthz", KT_ROUTE_NOT_FOUND, NULL},
};

static void test_route_table(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        const route_case *c = &CASES[i];
        kt_kdsproxy_route r;
        kt_kdsproxy_route_target(c->target, &r);
        if (r.kind != c->kind)
            fail_msg("case %zu '%s': kind %d, expected %d (%s)", i, c->target, (int)r.kind,
                     (int)c->kind, r.why);
        if (c->kind == KT_ROUTE_BAD || c->kind == KT_ROUTE_NOT_FOUND)
            assert_true(r.why[0] != '\0'); /* every refusal says why */
        if (c->cache_key) {
            char key[512];
            assert_int_equal(kt_kds_object_cache_rel(&r.obj, key, sizeof key, NULL), KT_OK);
            if (strcmp(key, c->cache_key) != 0)
                fail_msg("case %zu: key %s, expected %s", i, key, c->cache_key);
        }
    }
}

/* The upstream URL of a routed VCEK is the KDS client's own canonical one. */
static void test_route_upstream_url(void **state) {
    (void)state;
    kt_kdsproxy_route r;
    kt_kdsproxy_route_target("/vcek/v1/Milan/" HW128 "?snpSPL=8&blSPL=3&teeSPL=0&ucodeSPL=115",
                             &r);
    assert_int_equal(r.kind, KT_ROUTE_OBJECT);
    char url[700];
    assert_int_equal(kt_kds_object_url("https://kdsintf.amd.com", &r.obj, url, sizeof url, NULL),
                     KT_OK);
    assert_string_equal(url, "https://kdsintf.amd.com/vcek/v1/Milan/" HW128 "?" Q);
}

/* A target over the limit is refused whole; NULL is refused. */
static void test_route_limits(void **state) {
    (void)state;
    char big[KT_KDSPROXY_MAX_TARGET + 2];
    memset(big, 'a', sizeof big - 1);
    big[0] = '/';
    big[sizeof big - 1] = '\0';
    kt_kdsproxy_route r;
    kt_kdsproxy_route_target(big, &r);
    assert_int_equal(r.kind, KT_ROUTE_BAD);
    kt_kdsproxy_route_target(NULL, &r);
    assert_int_equal(r.kind, KT_ROUTE_BAD);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route_table),
        cmocka_unit_test(test_route_upstream_url),
        cmocka_unit_test(test_route_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
