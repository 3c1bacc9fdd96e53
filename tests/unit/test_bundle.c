/*
 * Bundle encoding pieces (src/bundle/codec.c): strict base64 (canonical
 * padding, no stray bits, no whitespace) and the canonical JSON form the
 * digest covers; and the reader's first refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bundle/bundle_internal.h"

static void test_base64_round_trip(void **state) {
    (void)state;
    static const char *const cases[][2] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="},
                                           {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *e = kt_bundle_b64((const uint8_t *)cases[i][0], strlen(cases[i][0]));
        assert_string_equal(e, cases[i][1]);
        free(e);
        uint8_t *d = NULL;
        size_t n = 0;
        assert_int_equal(kt_bundle_unb64(cases[i][1], "t", &d, &n, NULL), KT_OK);
        assert_int_equal(n, strlen(cases[i][0]));
        assert_memory_equal(d, cases[i][0], n);
        free(d);
    }
}

static void test_base64_strict(void **state) {
    (void)state;
    static const char *const bad[] = {"Zg=",  "Zg===", "Zh==", /* stray bits in the last group */
                                      "Zm8",  "Zm 9v", "Zm9v\n", "Z=g=", "=Zg=", "Zm9-", "Zm9_"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t *d = NULL;
        size_t n = 0;
        kt_error err = {0};
        if (kt_bundle_unb64(bad[i], "t", &d, &n, &err) != KT_E_PARSE)
            fail_msg("'%s' was accepted", bad[i]);
        assert_null(d);
        assert_non_null(strstr(err.message, "t:"));
    }
}

static void test_canonical_and_digest(void **state) {
    (void)state;
    json_t *a = json_loads("{\"b\": [1, \"\\u00e9\"], \"a\": true, \"content_sha256\": \"x\"}", 0,
                           NULL);
    json_t *b = json_loads("{\"content_sha256\":\"y\",\"a\":true,\"b\":[1,\"\\u00e9\"]}", 0, NULL);
    char *t = kt_bundle_canonical(a);
    assert_string_equal(t, "{\"a\":true,\"b\":[1,\"\\u00E9\"],\"content_sha256\":\"x\"}\n");
    free(t);
    char da[65], db[65];
    assert_int_equal(kt_bundle_digest(a, da, NULL), KT_OK);
    assert_int_equal(kt_bundle_digest(b, db, NULL), KT_OK); /* the digest member is left out */
    assert_string_equal(da, db);
    assert_non_null(json_object_get(a, "content_sha256")); /* the input is not changed */
    json_decref(a);
    json_decref(b);
}

static void test_reader_refusals(void **state) {
    (void)state;
    static const struct {
        const char *text;
        kt_status status;
        const char *says;
    } cases[] = {
        {"", KT_E_PARSE, "invalid JSON"},
        {"[]", KT_E_PARSE, "not a katana-tee verification bundle"},
        {"{\"bundle\":\"x\",\"bundle_version\":1}", KT_E_PARSE, "not a katana-tee"},
        {"{\"bundle\":\"katana-tee verification bundle\",\"bundle_version\":2}", KT_E_UNSUPPORTED,
         "version"},
        {"{\"bundle\":\"katana-tee verification bundle\",\"bundle_version\":1,"
         "\"content_sha256\":\"00\"}",
         KT_E_PARSE, "content_sha256"},
        {"{\"bundle\":\"katana-tee verification bundle\",\"bundle\":\"x\"}", KT_E_PARSE,
         "invalid JSON"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kt_bundle *b = NULL;
        kt_error err = {0};
        kt_status st = kt_bundle_read((const uint8_t *)cases[i].text, strlen(cases[i].text), "t",
                                      &b, &err);
        if (st != cases[i].status || !strstr(err.message, cases[i].says))
            fail_msg("case %zu: %s (%s)", i, kt_status_name(st), err.message);
        assert_null(b);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64_round_trip),
        cmocka_unit_test(test_base64_strict),
        cmocka_unit_test(test_canonical_and_digest),
        cmocka_unit_test(test_reader_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
