/*
 * kt_attester_register_backend: how a library outside libkatana-tee (the
 * simulator, a test double) adds an attester, and what it refuses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "katana_tee/attester.h"
#include "katana_tee/quote.h"

static int opened, freed;

static kt_status echo_open(const kt_attester_opts *opts, void **ctx, kt_error *err) {
    (void)opts;
    (void)err;
    opened++;
    *ctx = &opened;
    return KT_OK;
}

static kt_status echo_quote(void *ctx, const uint8_t report_data[64], uint8_t **quote,
                            size_t *quote_len, kt_error *err) {
    (void)ctx;
    (void)err;
    *quote = malloc(64);
    if (!*quote)
        return KT_E_NOMEM;
    memcpy(*quote, report_data, 64);
    *quote_len = 64;
    return KT_OK;
}

static void echo_free(void *ctx) {
    assert_ptr_equal(ctx, &opened);
    freed++;
}

static kt_status refuse_open(const kt_attester_opts *opts, void **ctx, kt_error *err) {
    (void)opts;
    (void)ctx;
    /* a backend's own KT_E_NOT_FOUND must reach the caller as it is */
    err->status = KT_E_NOT_FOUND;
    strcpy(err->message, "refuse: no such thing");
    return KT_E_NOT_FOUND;
}

static const kt_attester_backend echo = {"echo", echo_open, echo_quote, echo_free};
static const kt_attester_backend echo_again = {"echo", echo_open, echo_quote, NULL};
static const kt_attester_backend refuse = {"refuse", refuse_open, echo_quote, NULL};
static const kt_attester_backend builtin = {"mock", echo_open, echo_quote, NULL};
static const kt_attester_backend no_open = {"noopen", NULL, echo_quote, NULL};

static void test_register_and_use(void **state) {
    (void)state;
    kt_error err = {0};
    kt_attester_opts o = {.backend = "echo", .vmpl = -1};
    kt_attester *a = NULL;
    assert_int_equal(kt_attester_new(&o, &a, &err), KT_E_NOT_FOUND);
    assert_non_null(strstr(err.message, "unknown attester 'echo'"));
    assert_int_equal(kt_attester_register_backend(&echo, &err), KT_OK);
    assert_int_equal(kt_attester_register_backend(&echo, &err), KT_OK); /* same struct: no-op */
    bool listed = false;
    for (const char *const *n = kt_attester_backends(); *n; n++)
        listed |= strcmp(*n, "echo") == 0;
    assert_true(listed);
    assert_int_equal(kt_attester_new(&o, &a, &err), KT_OK);
    assert_string_equal(kt_attester_name(a), "echo");
    uint8_t rd[64] = {9, 8, 7};
    uint8_t *q = NULL;
    size_t qlen = 0;
    assert_int_equal(kt_attester_quote(a, rd, &q, &qlen, &err), KT_OK);
    assert_int_equal(qlen, 64);
    assert_memory_equal(q, rd, 64);
    kt_bytes_free(q);
    kt_attester_free(&a);
    assert_int_equal(opened, 1);
    assert_int_equal(freed, 1);
}

static void test_refusals(void **state) {
    (void)state;
    kt_error err = {0};
    assert_int_equal(kt_attester_register_backend(&builtin, &err), KT_E_INVALID_ARG);
    assert_non_null(strstr(err.message, "built into the library"));
    assert_int_equal(kt_attester_register_backend(&no_open, &err), KT_E_INVALID_ARG);
    assert_int_equal(kt_attester_register_backend(NULL, &err), KT_E_INVALID_ARG);
    assert_int_equal(kt_attester_register_backend(&echo, &err), KT_OK);
    assert_int_equal(kt_attester_register_backend(&echo_again, &err), KT_E_INVALID_ARG);
    assert_non_null(strstr(err.message, "already registered"));
    /* the simulator is not in the library: its name says where it lives */
    kt_attester_opts o = {.backend = "sim", .vmpl = -1, .sim_dir = "/nonexistent"};
    kt_attester *a = NULL;
    assert_int_equal(kt_attester_new(&o, &a, &err), KT_E_NOT_BUILT);
    assert_non_null(strstr(err.message, "not in this library"));
    assert_null(a);
}

static void test_backend_errors_pass_through(void **state) {
    (void)state;
    kt_error err = {0};
    assert_int_equal(kt_attester_register_backend(&refuse, &err), KT_OK);
    kt_attester_opts o = {.backend = "refuse", .vmpl = -1};
    kt_attester *a = NULL;
    assert_int_equal(kt_attester_new(&o, &a, &err), KT_E_NOT_FOUND);
    assert_string_equal(err.message, "refuse: no such thing");
    assert_null(a);
}

static void test_capacity(void **state) {
    (void)state;
    static char names[16][16];
    static kt_attester_backend many[16];
    kt_error err = {0};
    size_t ok = 0;
    kt_status last = KT_OK;
    for (size_t i = 0; i < 16 && last == KT_OK; i++) {
        snprintf(names[i], sizeof names[i], "extra%zu", i);
        many[i] = (kt_attester_backend){names[i], echo_open, echo_quote, NULL};
        last = kt_attester_register_backend(&many[i], &err);
        ok += last == KT_OK;
    }
    assert_int_equal(last, KT_E_TOO_LARGE);
    assert_true(ok >= 1 && ok < 16);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_and_use),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_backend_errors_pass_through),
        cmocka_unit_test(test_capacity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
