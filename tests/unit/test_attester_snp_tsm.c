/*
 * The sev-snp attester on the configfs-tsm path, against a fake configfs-tsm
 * tree in a temporary directory (tests/support/snp_fake_tsm.c): the exact
 * bytes written and read, VMPL and certificates, the generation counter that
 * detects a concurrent writer, missing or short blobs, errno mapping of the
 * entry's files, and retries while busy with a fresh entry per attempt.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "katana_tee/attester.h"
#include "katana_tee/quote.h"
#include "katana_tee/report.h"
#include "snp_fake_device.h"

#ifdef KT_HAVE_SNP
#include "snp_fake_tsm.h"

static void test_tsm_success_exact_bytes(void **state) {
    fake_tsm t = {0};
    uint8_t rd[64], *q;
    size_t qlen;
    kt_error err = {0};
    memcpy(rd, g_report + 0x50, 64); /* the fixture's own request, VMPL 0 */
    assert_int_equal(tsm_quote(*state, &t, 0, false, rd, &q, &qlen, &err), KT_OK);
    assert_int_equal(qlen, KT_REPORT_SIZE);
    assert_memory_equal(q, g_report, KT_REPORT_SIZE); /* the real outblob, untouched */
    assert_string_equal(t.privlevel, "0\n");
    assert_int_equal(t.inblob_len, 64);
    assert_memory_equal(t.inblob, rd, 64);
    assert_int_equal(t.entries, 1);
    char prefix[600];
    snprintf(prefix, sizeof prefix, "%s/katana-tee-%ld-", ((fixture *)*state)->tsm_root,
             (long)getpid());
    assert_memory_equal(t.entry[0], prefix, strlen(prefix));
    kt_bytes_free(q);
}

static void test_tsm_vmpl_and_certs(void **state) {
    fake_tsm t = {.write_auxblob = true};
    t.aux = g_aux;
    t.aux_len = g_aux_len;
    uint8_t rd[64], *q;
    size_t qlen;
    kt_error err = {0};
    test_rd(rd);
    assert_int_equal(tsm_quote(*state, &t, 2, true, rd, &q, &qlen, &err), KT_OK);
    assert_string_equal(t.privlevel, "2\n");
    assert_int_equal(t.inblob_len, 64);
    assert_memory_equal(t.inblob, rd, 64);
    expect_report_quote(q, qlen, 2, g_aux, g_aux_len);
    kt_bytes_free(q);
}

static void test_tsm_default_vmpl(void **state) {
    fake_tsm t = {0};
    uint8_t rd[64], *q;
    size_t qlen;
    kt_error err = {0};
    test_rd(rd);
    assert_int_equal(tsm_quote(*state, &t, -1, false, rd, &q, &qlen, &err), KT_OK);
    assert_string_equal(t.privlevel, "1\n");
    expect_report_quote(q, qlen, 1, NULL, 0);
    kt_bytes_free(q);
}

static void test_tsm_empty_auxblob(void **state) {
    fake_tsm t = {.write_auxblob = true}; /* host supplied no certificates */
    uint8_t rd[64], *q;
    size_t qlen;
    kt_error err = {0};
    test_rd(rd);
    assert_int_equal(tsm_quote(*state, &t, 1, true, rd, &q, &qlen, &err), KT_OK);
    expect_report_quote(q, qlen, 1, NULL, 0);
    kt_bytes_free(q);
}

static void test_tsm_generation_nonzero_start(void **state) {
    fake_tsm t = {.generation = "41\n"}; /* only the difference counts */
    uint8_t rd[64], *q;
    size_t qlen;
    kt_error err = {0};
    test_rd(rd);
    assert_int_equal(tsm_quote(*state, &t, 1, false, rd, &q, &qlen, &err), KT_OK);
    kt_bytes_free(q);
}

static void tsm_expect_fail(void **state, fake_tsm *t, bool with_certs, kt_status want,
                            const char *needle) {
    uint8_t rd[64], *q;
    size_t qlen;
    kt_error err = {0};
    test_rd(rd);
    kt_status st = tsm_quote(*state, t, 1, with_certs, rd, &q, &qlen, &err);
    expect_fail(st, want, &err, needle);
}

static void test_tsm_wrong_provider(void **state) {
    fake_tsm t = {.provider = "tdx_guest"};
    tsm_expect_fail(state, &t, false, KT_E_NO_DEVICE, "provider at");
    tsm_expect_fail(state, &t, false, KT_E_NO_DEVICE, "'tdx_guest', not sev_guest");
    assert_int_equal(t.steps[KT_SNP_TSM_WRITTEN], 0); /* nothing written */
}

static void test_tsm_race_after_writes(void **state) {
    fake_tsm t = {.gen_extra_written = 1};
    tsm_expect_fail(state, &t, false, KT_E_RACE, "generation 3 after our 2 writes, expected 2");
}

static void test_tsm_race_after_read(void **state) {
    fake_tsm t = {.gen_extra_read = 1, .write_auxblob = true, .aux = g_aux};
    t.aux_len = g_aux_len;
    tsm_expect_fail(state, &t, true, KT_E_RACE, "generation 3 after reading the report, expected 2");
}

static void test_tsm_bad_generation(void **state) {
    fake_tsm t = {.generation = "x1\n"};
    tsm_expect_fail(state, &t, false, KT_E_DEVICE, "not a number");
}

static void test_tsm_missing_outblob(void **state) {
    fake_tsm t = {.no_outblob = true};
    tsm_expect_fail(state, &t, false, KT_E_DEVICE, "/outblob");
}

static void test_tsm_short_outblob(void **state) {
    fake_tsm t = {.outblob_len = 100};
    tsm_expect_fail(state, &t, false, KT_E_DEVICE, "returned 100 bytes, expected a 1184-byte");
}

static void test_tsm_missing_auxblob(void **state) {
    fake_tsm t = {0}; /* --with-certs but the entry has no auxblob */
    tsm_expect_fail(state, &t, true, KT_E_DEVICE, "/auxblob");
}

static void test_tsm_report_data_mismatch(void **state) {
    fake_tsm t = {.ignore_inblob = true};
    tsm_expect_fail(state, &t, false, KT_E_DEVICE, "REPORT_DATA differs");
}

static void test_tsm_efbig(void **state) {
    fake_tsm t = {.inject_step = KT_SNP_TSM_READ, .inject_errno = EFBIG};
    tsm_expect_fail(state, &t, false, KT_E_DEVICE, "EFBIG");
}

static void test_tsm_eacces_on_create(void **state) {
    fake_tsm t = {.inject_step = KT_SNP_TSM_CREATED, .inject_errno = EACCES};
    tsm_expect_fail(state, &t, false, KT_E_PERMISSION, "run as root or grant access");
    tsm_expect_fail(state, &t, false, KT_E_PERMISSION, ((fixture *)*state)->tsm_root);
}

static void test_tsm_busy_then_success(void **state) {
    fake_tsm t = {.inject_step = KT_SNP_TSM_WRITTEN, .inject_errno = EBUSY, .inject_times = 2};
    uint8_t rd[64], *q;
    size_t qlen;
    kt_error err = {0};
    test_rd(rd);
    assert_int_equal(tsm_quote(*state, &t, 1, false, rd, &q, &qlen, &err), KT_OK);
    assert_int_equal(t.nsleeps, 2);
    assert_int_equal(t.sleeps[0], 100);
    assert_int_equal(t.sleeps[1], 200);
    assert_int_equal(t.entries, 3); /* a fresh entry per attempt */
    assert_string_not_equal(t.entry[0], t.entry[1]);
    assert_string_not_equal(t.entry[1], t.entry[2]);
    expect_report_quote(q, qlen, 1, NULL, 0);
    kt_bytes_free(q);
}

static void test_tsm_busy_gives_up(void **state) {
    fake_tsm t = {.inject_step = KT_SNP_TSM_WRITTEN, .inject_errno = EAGAIN};
    tsm_expect_fail(state, &t, false, KT_E_BUSY, "still busy after 5 attempts");
    assert_int_equal(t.entries, KT_SNP_MAX_ATTEMPTS);
    assert_int_equal(t.nsleeps, KT_SNP_MAX_ATTEMPTS - 1);
    unsigned total = 0;
    for (size_t i = 0; i < t.nsleeps; i++)
        total += t.sleeps[i];
    assert_true(total <= 2000);
}

#define T(f) cmocka_unit_test_setup_teardown(f, snp_fixture_setup, snp_fixture_teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_tsm_success_exact_bytes),
        T(test_tsm_vmpl_and_certs),
        T(test_tsm_default_vmpl),
        T(test_tsm_empty_auxblob),
        T(test_tsm_generation_nonzero_start),
        T(test_tsm_wrong_provider),
        T(test_tsm_race_after_writes),
        T(test_tsm_race_after_read),
        T(test_tsm_bad_generation),
        T(test_tsm_missing_outblob),
        T(test_tsm_short_outblob),
        T(test_tsm_missing_auxblob),
        T(test_tsm_report_data_mismatch),
        T(test_tsm_efbig),
        T(test_tsm_eacces_on_create),
        T(test_tsm_busy_then_success),
        T(test_tsm_busy_gives_up),
    };
    return cmocka_run_group_tests(tests, snp_fakes_load, snp_fakes_free);
}

#else /* !KT_HAVE_SNP */

int main(void) {
    return snp_tests_not_built("the configfs-tsm tests (test_attester_snp_tsm) are");
}

#endif
