/*
 * The attester interface: backend selection, argument checks, the mock
 * backend's quote layout (Katana's format), and the sev-snp backend's
 * presence or absence depending on the build (runs in both configurations).
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "katana_tee/attester.h"
#include "katana_tee/quote.h"

static bool has_backend(const char *name) {
    for (const char *const *n = kt_attester_backends(); *n; n++)
        if (strcmp(*n, name) == 0)
            return true;
    return false;
}

static void test_backend_list(void **state) {
    (void)state;
    assert_true(has_backend("mock"));
#ifdef KT_HAVE_SNP
    assert_true(has_backend("sev-snp"));
#else
    assert_false(has_backend("sev-snp"));
#endif
    assert_false(has_backend("nope"));
}

static void test_unknown_backend(void **state) {
    (void)state;
    kt_attester_opts opts = {.backend = "tdx", .vmpl = -1};
    kt_attester *a = (kt_attester *)&opts; /* must be reset to NULL */
    kt_error err = {0};
    assert_int_equal(kt_attester_new(&opts, &a, &err), KT_E_NOT_FOUND);
    assert_null(a);
    assert_non_null(strstr(err.message, "unknown attester 'tdx'"));
    /* the message lists the known names, built or not */
    assert_non_null(strstr(err.message, "sev-snp"));
    assert_non_null(strstr(err.message, "mock"));
}

static void test_bad_arguments(void **state) {
    (void)state;
    kt_error err = {0};
    kt_attester *a = NULL;
    assert_int_equal(kt_attester_new(NULL, &a, &err), KT_E_INVALID_ARG);
    kt_attester_opts none = {.vmpl = -1};
    assert_int_equal(kt_attester_new(&none, &a, &err), KT_E_INVALID_ARG);
    kt_attester_opts opts = {.backend = "mock", .vmpl = -1};
    assert_int_equal(kt_attester_new(&opts, NULL, &err), KT_E_INVALID_ARG);
    opts.vmpl = 4;
    assert_int_equal(kt_attester_new(&opts, &a, &err), KT_E_INVALID_ARG);
    assert_non_null(strstr(err.message, "VMPL 4 is out of range (0..3)"));
    opts.vmpl = -2;
    assert_int_equal(kt_attester_new(&opts, &a, &err), KT_E_INVALID_ARG);
    assert_null(a);

    opts.vmpl = 3;
    assert_int_equal(kt_attester_new(&opts, &a, &err), KT_OK);
    uint8_t rd[64] = {0}, *q = (uint8_t *)rd;
    size_t qlen = 99;
    assert_int_equal(kt_attester_quote(a, NULL, &q, &qlen, &err), KT_E_INVALID_ARG);
    assert_int_equal(kt_attester_quote(a, rd, NULL, &qlen, &err), KT_E_INVALID_ARG);
    assert_int_equal(kt_attester_quote(NULL, rd, &q, &qlen, &err), KT_E_INVALID_ARG);
    kt_attester_free(&a);
    assert_null(a);
    kt_attester_free(&a); /* freeing NULL is fine */
    kt_attester_free(NULL);
    assert_string_equal(kt_attester_name(NULL), "");
}

/* "MOCK" || prefix || report data || u32le sum of all preceding bytes */
static void check_mock(const uint8_t *q, size_t qlen, const uint8_t *prefix, size_t prefix_len,
                       const uint8_t rd[64]) {
    assert_int_equal(qlen, 4 + prefix_len + 64 + 4);
    assert_memory_equal(q, "MOCK", 4);
    if (prefix_len)
        assert_memory_equal(q + 4, prefix, prefix_len);
    assert_memory_equal(q + 4 + prefix_len, rd, 64);
    uint32_t sum = 0;
    for (size_t i = 0; i < qlen - 4; i++)
        sum += q[i];
    const uint8_t *c = q + qlen - 4;
    uint32_t got = (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 |
                   (uint32_t)c[3] << 24;
    assert_int_equal(got, sum);
}

static void test_mock_quote(void **state) {
    (void)state;
    kt_attester_opts opts = {.backend = "mock", .vmpl = -1};
    kt_attester *a = NULL;
    kt_error err = {0};
    assert_int_equal(kt_attester_new(&opts, &a, &err), KT_OK);
    assert_string_equal(kt_attester_name(a), "mock");
    uint8_t rd[64];
    for (int i = 0; i < 64; i++)
        rd[i] = (uint8_t)(0xFF - i);
    uint8_t *q = NULL;
    size_t qlen = 0;
    assert_int_equal(kt_attester_quote(a, rd, &q, &qlen, &err), KT_OK);
    check_mock(q, qlen, NULL, 0, rd);
    /* worked by hand: 'M'+'O'+'C'+'K' = 298, sum(255 - i, i < 64) = 14304; 14602 = 0x390A */
    const uint8_t want_sum[4] = {0x0A, 0x39, 0x00, 0x00};
    assert_memory_equal(q + qlen - 4, want_sum, 4);

    /* the quote decoder recognises it */
    kt_quote *dq = NULL;
    assert_int_equal(kt_quote_decode(q, qlen, &dq, &err), KT_OK);
    assert_int_equal(dq->kind, KT_QUOTE_MOCK);
    assert_memory_equal(dq->mock_report_data, rd, 64);
    kt_quote_free(&dq);
    kt_bytes_free(q);
    kt_attester_free(&a);
}

static void test_mock_prefix(void **state) {
    (void)state;
    uint8_t prefix[5] = {1, 2, 3, 0xFE, 0};
    kt_attester_opts opts = {.backend = "mock", .vmpl = -1, .mock_prefix = prefix,
                             .mock_prefix_len = sizeof prefix};
    kt_attester *a = NULL;
    kt_error err = {0};
    assert_int_equal(kt_attester_new(&opts, &a, &err), KT_OK);
    prefix[0] = 9; /* the attester keeps its own copy */
    uint8_t rd[64] = {0};
    rd[63] = 1;
    uint8_t *q = NULL;
    size_t qlen = 0;
    assert_int_equal(kt_attester_quote(a, rd, &q, &qlen, &err), KT_OK);
    const uint8_t want_prefix[5] = {1, 2, 3, 0xFE, 0};
    check_mock(q, qlen, want_prefix, sizeof want_prefix, rd);
    kt_bytes_free(q);
    kt_attester_free(&a);

    uint8_t *big = calloc(1, 4097);
    opts.mock_prefix = big;
    opts.mock_prefix_len = 4097;
    assert_int_equal(kt_attester_new(&opts, &a, &err), KT_E_TOO_LARGE);
    assert_null(a);
    free(big);
}

/* sev-snp: created without touching any device, or refused when not built. */
static void test_sev_snp_by_build(void **state) {
    (void)state;
    kt_attester_opts opts = {.backend = "sev-snp", .vmpl = -1,
                             .configfs_root = "/nonexistent/katana-tee/tsm",
                             .device_path = "/nonexistent/katana-tee/sev-guest"};
    kt_attester *a = NULL;
    kt_error err = {0};
    kt_status st = kt_attester_new(&opts, &a, &err);
#ifdef KT_HAVE_SNP
    assert_int_equal(st, KT_OK);
    assert_string_equal(kt_attester_name(a), "sev-snp");
    uint8_t rd[64] = {0}, *q = NULL;
    size_t qlen = 0;
    st = kt_attester_quote(a, rd, &q, &qlen, &err);
    assert_int_equal(st, KT_E_NO_DEVICE);
    assert_string_equal(err.message,
                        "no SEV-SNP guest interface: neither /nonexistent/katana-tee/tsm nor "
                        "/nonexistent/katana-tee/sev-guest exists — is this an SEV-SNP guest?");
    assert_null(q);
    assert_int_equal(kt_status_category_of(st), KT_CAT_PLATFORM);
    kt_attester_free(&a);
#else
    assert_int_equal(st, KT_E_NOT_BUILT);
    assert_null(a);
    assert_string_equal(err.message, "attester 'sev-snp': katana-tee was built without SEV-SNP "
                                     "support (rebuild with -DKATANA_TEE_SNP=ON)");
    assert_int_equal(kt_status_category_of(st), KT_CAT_PLATFORM);
#endif
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backend_list),
        cmocka_unit_test(test_unknown_backend),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_mock_quote),
        cmocka_unit_test(test_mock_prefix),
        cmocka_unit_test(test_sev_snp_by_build),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
