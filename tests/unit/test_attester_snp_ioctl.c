/*
 * The sev-snp attester on the /dev/sev-guest ioctl path, against a fake of the
 * kernel device (tests/support/snp_fake_device.c) that answers like the
 * firmware and checks the ioctl structs byte for byte: SNP_GET_REPORT and
 * SNP_GET_EXT_REPORT, the certificate buffer growing once, firmware and
 * driver errors, retries while the host is busy, and replies that do not
 * match the request.
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

/* ---- ioctl: success ------------------------------------------------------- */

static void test_ioctl_report(void **state) {
    fake_fw f = {0};
    uint8_t *q;
    size_t qlen;
    kt_error err = {0};
    assert_int_equal(ioctl_quote(*state, &f, 2, false, &q, &qlen, &err), KT_OK);
    assert_int_equal(f.calls, 1);
    assert_int_equal(f.request[0], 0xC0205300UL);
    assert_int_equal(f.vmpl, 2);
    uint8_t rd[64];
    test_rd(rd);
    assert_memory_equal(f.user_data, rd, 64);
    expect_report_quote(q, qlen, 2, NULL, 0);
    kt_report r;
    assert_int_equal(kt_report_parse(q, qlen, &r, &err), KT_OK);
    assert_int_equal(r.vmpl, 2);
    kt_bytes_free(q);
}

static void test_ioctl_default_vmpl(void **state) {
    fake_fw f = {0};
    uint8_t *q;
    size_t qlen;
    kt_error err = {0};
    assert_int_equal(ioctl_quote(*state, &f, -1, false, &q, &qlen, &err), KT_OK);
    assert_int_equal(f.vmpl, KT_ATTESTER_DEFAULT_VMPL);
    assert_int_equal(f.vmpl, 1);
    expect_report_quote(q, qlen, 1, NULL, 0);
    kt_bytes_free(q);
}

static void test_ioctl_ext_report_with_certs(void **state) {
    fake_fw f = {.certs = g_aux, .certs_len = g_aux_len};
    uint8_t *q;
    size_t qlen;
    kt_error err = {0};
    assert_int_equal(ioctl_quote(*state, &f, 0, true, &q, &qlen, &err), KT_OK);
    assert_int_equal(f.calls, 1);
    assert_int_equal(f.request[0], 0xC0205302UL);
    assert_int_equal(f.certs_len_seen[0], KT_SNP_CERTS_INITIAL);
    /* the certificate table is trimmed to what its entries use */
    expect_report_quote(q, qlen, 0, g_aux, g_aux_len);
    kt_bytes_free(q);
}

static void test_ioctl_ext_report_no_certs(void **state) {
    fake_fw f = {0}; /* host supplies no certificates: the buffer stays zero */
    uint8_t *q;
    size_t qlen;
    kt_error err = {0};
    assert_int_equal(ioctl_quote(*state, &f, 1, true, &q, &qlen, &err), KT_OK);
    expect_report_quote(q, qlen, 1, NULL, 0);
    kt_bytes_free(q);
}

static void test_ioctl_certs_grow_once(void **state) {
    fake_fw f = {.certs = g_aux, .certs_len = g_aux_len, .certs_need = 5 * 4096};
    uint8_t *q;
    size_t qlen;
    kt_error err = {0};
    assert_int_equal(ioctl_quote(*state, &f, 1, true, &q, &qlen, &err), KT_OK);
    assert_int_equal(f.calls, 2);
    assert_int_equal(f.certs_len_seen[0], KT_SNP_CERTS_INITIAL);
    assert_int_equal(f.certs_len_seen[1], 5 * 4096);
    assert_int_equal(f.nsleeps, 0);
    expect_report_quote(q, qlen, 1, g_aux, g_aux_len);
    kt_bytes_free(q);
}

/* ---- ioctl: errors ---------------------------------------------------------- */
static void test_ioctl_certs_grow_only_once(void **state) {
    fake_fw f = {.certs_need = 5 * 4096, .need_grows = true};
    uint8_t *q;
    size_t qlen;
    kt_error err = {0};
    kt_status st = ioctl_quote(*state, &f, 1, true, &q, &qlen, &err);
    expect_fail(st, KT_E_DEVICE, &err, "still reports");
    assert_int_equal(f.calls, 2);
}

static void test_ioctl_certs_too_large(void **state) {
    fake_fw f = {.certs_need = 1u << 20};
    uint8_t *q;
    size_t qlen;
    kt_error err = {0};
    kt_status st = ioctl_quote(*state, &f, 1, true, &q, &qlen, &err);
    expect_fail(st, KT_E_DEVICE, &err, "1048576 bytes, more than the limit");
    assert_int_equal(f.calls, 1);
}

static void test_ioctl_fw_status_invalid_param(void **state) {
    fake_fw f = {.status = 0x16};
    uint8_t *q;
    size_t qlen;
    kt_error err = {0};
    kt_status st = ioctl_quote(*state, &f, 0, false, &q, &qlen, &err);
    expect_fail(st, KT_E_DEVICE, &err, "status 0x16 (invalid parameters)");
}

static void test_ioctl_fw_status_other(void **state) {
    fake_fw f = {.status = 0x99};
    uint8_t *q;
    size_t qlen;
    kt_error err = {0};
    kt_status st = ioctl_quote(*state, &f, 0, false, &q, &qlen, &err);
    expect_fail(st, KT_E_DEVICE, &err, "status 0x99 (unknown status)");
}

static void test_ioctl_bad_report_size(void **state) {
    fake_fw f = {.report_size = 1000};
    uint8_t *q;
    size_t qlen;
    kt_error err = {0};
    kt_status st = ioctl_quote(*state, &f, 1, false, &q, &qlen, &err);
    expect_fail(st, KT_E_DEVICE, &err, "report_size 1000, expected 1184");
}

static void test_ioctl_eio_fw_error(void **state) {
    fake_fw f = {.nfail = 1, .fail_errno = {EIO}, .fail_exitinfo2 = {0x27}};
    uint8_t *q;
    size_t qlen;
    kt_error err = {0};
    kt_status st = ioctl_quote(*state, &f, 1, false, &q, &qlen, &err);
    expect_fail(st, KT_E_DEVICE, &err, "(EIO): firmware status 0x27 (invalid key)");
    assert_int_equal(f.calls, 1);
}

static void test_ioctl_eio_unset(void **state) {
    fake_fw f = {.nfail = 1, .fail_errno = {EIO}, .fail_exitinfo2 = {0xff}};
    uint8_t *q;
    size_t qlen;
    kt_error err = {0};
    kt_status st = ioctl_quote(*state, &f, 1, false, &q, &qlen, &err);
    expect_fail(st, KT_E_DEVICE, &err, "did not reach the firmware");
}

static void test_ioctl_busy_then_success(void **state) {
    fake_fw f = {.nfail = 3, .fail_errno = {EBUSY, EAGAIN, EIO},
                 .fail_exitinfo2 = {0, 0, (uint64_t)2 << 32}};
    uint8_t *q;
    size_t qlen;
    kt_error err = {0};
    assert_int_equal(ioctl_quote(*state, &f, 1, false, &q, &qlen, &err), KT_OK);
    assert_int_equal(f.calls, 4);
    assert_int_equal(f.nsleeps, 3);
    assert_int_equal(f.sleeps[0], 100);
    assert_int_equal(f.sleeps[1], 200);
    assert_int_equal(f.sleeps[2], 400);
    expect_report_quote(q, qlen, 1, NULL, 0);
    kt_bytes_free(q);
}

static void test_ioctl_busy_gives_up(void **state) {
    fake_fw f = {.nfail = 8, .fail_errno = {EBUSY, EBUSY, EBUSY, EBUSY, EBUSY, EBUSY, EBUSY,
                                            EBUSY}};
    uint8_t *q;
    size_t qlen;
    kt_error err = {0};
    kt_status st = ioctl_quote(*state, &f, 1, false, &q, &qlen, &err);
    expect_fail(st, KT_E_BUSY, &err, "stayed busy after 5 attempts");
    assert_int_equal(f.calls, KT_SNP_MAX_ATTEMPTS);
    assert_int_equal(f.nsleeps, KT_SNP_MAX_ATTEMPTS - 1);
    unsigned total = 0;
    for (size_t i = 0; i < f.nsleeps; i++)
        total += f.sleeps[i];
    assert_true(total <= 2000);
}

static void test_ioctl_etimedout_not_retried(void **state) {
    fake_fw f = {.nfail = 1, .fail_errno = {ETIMEDOUT}};
    uint8_t *q;
    size_t qlen;
    kt_error err = {0};
    kt_status st = ioctl_quote(*state, &f, 1, false, &q, &qlen, &err);
    expect_fail(st, KT_E_BUSY, &err, "ETIMEDOUT");
    assert_int_equal(f.calls, 1); /* the kernel already retried for a minute */
    assert_int_equal(f.nsleeps, 0);
}

static void test_ioctl_einval(void **state) {
    fake_fw f = {.nfail = 1, .fail_errno = {EINVAL}, .fail_exitinfo2 = {0xff}};
    uint8_t *q;
    size_t qlen;
    kt_error err = {0};
    kt_status st = ioctl_quote(*state, &f, 1, true, &q, &qlen, &err);
    expect_fail(st, KT_E_DEVICE, &err, "SNP_GET_EXT_REPORT on " FAKE_DEV
                                       ": the driver rejected the request (EINVAL)");
}

static void test_ioctl_enotty(void **state) {
    fake_fw f = {.nfail = 1, .fail_errno = {ENOTTY}};
    uint8_t *q;
    size_t qlen;
    kt_error err = {0};
    kt_status st = ioctl_quote(*state, &f, 1, false, &q, &qlen, &err);
    expect_fail(st, KT_E_DEVICE, &err, "does not support this ioctl");
}

static void test_ioctl_eacces(void **state) {
    fake_fw f = {.nfail = 1, .fail_errno = {EACCES}};
    uint8_t *q;
    size_t qlen;
    kt_error err = {0};
    kt_status st = ioctl_quote(*state, &f, 1, false, &q, &qlen, &err);
    expect_fail(st, KT_E_PERMISSION, &err, FAKE_DEV);
    expect_fail(st, KT_E_PERMISSION, &err, "run as root or grant access");
}

static void test_ioctl_open_eacces(void **state) {
    fake_fw f = {.open_errno = EACCES};
    uint8_t *q;
    size_t qlen;
    kt_error err = {0};
    kt_status st = ioctl_quote(*state, &f, 1, false, &q, &qlen, &err);
    expect_fail(st, KT_E_PERMISSION, &err, "permission denied opening " FAKE_DEV);
    expect_fail(st, KT_E_PERMISSION, &err, "run as root or grant access");
    assert_int_equal(f.calls, 0);
}

static void test_ioctl_open_other_error(void **state) {
    fake_fw f = {.open_errno = EMFILE};
    uint8_t *q;
    size_t qlen;
    kt_error err = {0};
    kt_status st = ioctl_quote(*state, &f, 1, false, &q, &qlen, &err);
    expect_fail(st, KT_E_DEVICE, &err, "cannot open " FAKE_DEV);
}

static void test_ioctl_report_data_mismatch(void **state) {
    fake_fw f = {.ignore_user_data = true};
    uint8_t *q;
    size_t qlen;
    kt_error err = {0};
    kt_status st = ioctl_quote(*state, &f, 1, false, &q, &qlen, &err);
    expect_fail(st, KT_E_DEVICE, &err, "REPORT_DATA differs");
}

static void test_ioctl_vmpl_mismatch(void **state) {
    fake_fw f = {.vmpl_delta = 1};
    uint8_t *q;
    size_t qlen;
    kt_error err = {0};
    kt_status st = ioctl_quote(*state, &f, 1, false, &q, &qlen, &err);
    expect_fail(st, KT_E_DEVICE, &err, "report for VMPL 2, but VMPL 1 was requested");
}

static void test_ioctl_report_does_not_parse(void **state) {
    fake_fw f = {.version = 7};
    uint8_t *q;
    size_t qlen;
    kt_error err = {0};
    kt_status st = ioctl_quote(*state, &f, 1, false, &q, &qlen, &err);
    expect_fail(st, KT_E_DEVICE, &err, "does not parse");
}

static void test_ioctl_bad_cert_table(void **state) {
    uint8_t table[48] = {0};
    table[0] = 0x63; /* an entry whose data lies past the 16 KiB buffer */
    put32(table + 16, 16000);
    put32(table + 20, 1000);
    fake_fw f = {.certs = table, .certs_len = sizeof table};
    uint8_t *q;
    size_t qlen;
    kt_error err = {0};
    kt_status st = ioctl_quote(*state, &f, 1, true, &q, &qlen, &err);
    expect_fail(st, KT_E_DEVICE, &err, "runs past the end");
}

#define T(f) cmocka_unit_test_setup_teardown(f, snp_fixture_setup, snp_fixture_teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_ioctl_report),
        T(test_ioctl_default_vmpl),
        T(test_ioctl_ext_report_with_certs),
        T(test_ioctl_ext_report_no_certs),
        T(test_ioctl_certs_grow_once),
        T(test_ioctl_certs_grow_only_once),
        T(test_ioctl_certs_too_large),
        T(test_ioctl_fw_status_invalid_param),
        T(test_ioctl_fw_status_other),
        T(test_ioctl_bad_report_size),
        T(test_ioctl_eio_fw_error),
        T(test_ioctl_eio_unset),
        T(test_ioctl_busy_then_success),
        T(test_ioctl_busy_gives_up),
        T(test_ioctl_etimedout_not_retried),
        T(test_ioctl_einval),
        T(test_ioctl_enotty),
        T(test_ioctl_eacces),
        T(test_ioctl_open_eacces),
        T(test_ioctl_open_other_error),
        T(test_ioctl_report_data_mismatch),
        T(test_ioctl_vmpl_mismatch),
        T(test_ioctl_report_does_not_parse),
        T(test_ioctl_bad_cert_table),
    };
    return cmocka_run_group_tests(tests, snp_fakes_load, snp_fakes_free);
}

#else /* !KT_HAVE_SNP */

int main(void) {
    return snp_tests_not_built("the /dev/sev-guest ioctl tests (test_attester_snp_ioctl) are");
}

#endif
