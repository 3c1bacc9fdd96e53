/*
 * The sev-snp attester's internal helpers, called directly: how exitinfo2 and
 * firmware status codes are described, how configfs-tsm errno values map to
 * statuses, the extent of a host-supplied certificate table, and the retry
 * backoff's bound.
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

/* ==== helpers =================================================================== */

static void test_describe_exitinfo2(void **state) {
    (void)state;
    char buf[256];
    kt_snp_describe_exitinfo2(0x16, buf, sizeof buf);
    assert_string_equal(buf, "firmware status 0x16 (invalid parameters)");
    kt_snp_describe_exitinfo2((uint64_t)2 << 32, buf, sizeof buf);
    assert_string_equal(buf, "host error 2 (host busy, request throttled)");
    kt_snp_describe_exitinfo2((uint64_t)1 << 32, buf, sizeof buf);
    assert_string_equal(buf, "host error 1 (certificate buffer too small)");
    kt_snp_describe_exitinfo2(((uint64_t)7 << 32) | 0x1234, buf, sizeof buf);
    assert_string_equal(buf, "firmware status 0x1234 (unknown status), host error 7 (unknown "
                             "host error)");
    kt_snp_describe_exitinfo2(0xff, buf, sizeof buf);
    assert_non_null(strstr(buf, "did not reach the firmware"));
    kt_snp_describe_exitinfo2(0, buf, sizeof buf);
    assert_string_equal(buf, "no firmware or host error code");
    assert_string_equal(kt_snp_fw_status_name(0x27), "invalid key");
    assert_null(kt_snp_fw_status_name(0x1E));
}

static void test_tsm_errno_mapping(void **state) {
    (void)state;
    static const struct {
        int e;
        kt_status want;
        bool busy;
        const char *needle;
    } cases[] = {
        {EACCES, KT_E_PERMISSION, false, "run as root or grant access"},
        {EPERM, KT_E_PERMISSION, false, "run as root or grant access"},
        {EBUSY, KT_E_BUSY, true, "busy"},
        {EAGAIN, KT_E_BUSY, true, "busy"},
        {ETIMEDOUT, KT_E_BUSY, false, "ETIMEDOUT"},
        {EFBIG, KT_E_DEVICE, false, "EFBIG"},
        {ENOTTY, KT_E_DEVICE, false, "ENOTTY"},
        {EIO, KT_E_DEVICE, false, "EIO"},
        {EINVAL, KT_E_DEVICE, false, "EINVAL"},
        {ENXIO, KT_E_DEVICE, false, "ENXIO"},
        {ENOENT, KT_E_DEVICE, false, "No such file"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kt_error err = {0};
        bool busy = !cases[i].busy;
        kt_status st = kt_snp_tsm_errno("read", "/x/outblob", cases[i].e, &busy, &err);
        expect_fail(st, cases[i].want, &err, cases[i].needle);
        expect_fail(st, cases[i].want, &err, "/x/outblob");
        assert_int_equal(busy, cases[i].busy);
    }
}

static void test_cert_table_extent(void **state) {
    (void)state;
    kt_error err = {0};
    size_t used = 99;
    static uint8_t buf[KT_SNP_CERTS_INITIAL];
    memset(buf, 0, sizeof buf);
    assert_true(g_aux_len < sizeof buf);
    assert_int_equal(kt_snp_cert_table_extent(buf, sizeof buf, &used, "t", &err), KT_OK);
    assert_int_equal(used, 0);
    memcpy(buf, g_aux, g_aux_len);
    assert_int_equal(kt_snp_cert_table_extent(buf, sizeof buf, &used, "t", &err), KT_OK);
    assert_int_equal(used, g_aux_len);
    /* no room for the terminator */
    uint8_t one[24];
    memset(one, 0x11, sizeof one);
    put32(one + 16, 0);
    put32(one + 20, 0);
    expect_fail(kt_snp_cert_table_extent(one, sizeof one, &used, "t", &err), KT_E_DEVICE, &err,
                "no all-zero terminating entry");
    expect_fail(kt_snp_cert_table_extent(one, 10, &used, "t", &err), KT_E_DEVICE, &err,
                "no all-zero terminating entry");
    /* data past the end */
    uint8_t two[72] = {0};
    two[0] = 1;
    put32(two + 16, 48);
    put32(two + 20, 25);
    expect_fail(kt_snp_cert_table_extent(two, sizeof two, &used, "t", &err), KT_E_DEVICE, &err,
                "entry 0 (GUID 01000000-0000-0000-0000-000000000000) data 0x30..0x49 runs past the end of the 72-byte table");
    put32(two + 16, 0xFFFFFFFFu); /* no wrap-around */
    expect_fail(kt_snp_cert_table_extent(two, sizeof two, &used, "t", &err), KT_E_DEVICE, &err,
                "runs past the end");
}

static void test_backoff_bounded(void **state) {
    (void)state;
    unsigned total = 0;
    for (unsigned r = 1; r < KT_SNP_MAX_ATTEMPTS; r++) {
        assert_true(kt_snp_backoff_ms(r) > kt_snp_backoff_ms(r - 1));
        total += kt_snp_backoff_ms(r);
    }
    assert_true(total <= 2000);
}

#define T(f) cmocka_unit_test_setup_teardown(f, snp_fixture_setup, snp_fixture_teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_describe_exitinfo2),
        cmocka_unit_test(test_tsm_errno_mapping),
        cmocka_unit_test(test_cert_table_extent),
        cmocka_unit_test(test_backoff_bounded),
    };
    return cmocka_run_group_tests(tests, snp_fakes_load, snp_fakes_free);
}

#else /* !KT_HAVE_SNP */

int main(void) {
    return snp_tests_not_built("the sev-snp attester helper tests (test_attester_snp_helpers) are");
}

#endif
