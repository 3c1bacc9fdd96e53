/*
 * Which kernel interface the sev-snp attester uses: configfs-tsm when it is
 * there, the /dev/sev-guest device otherwise or when configfs-tsm has no
 * provider, a one-line refusal when neither exists; both fakes behind one
 * transport (tests/support/snp_fake_*.c). Without SEV-SNP support the backend
 * is known but refuses to be created.
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

/* ==== selection ============================================================= */

static void test_select_prefers_configfs(void **state) {
    fixture *fx = *state;
    assert_int_equal(mkdir(fx->tsm_root, 0700), 0);
    fake_fw f = {0};
    kt_snp_transport tr = {.ctx = &f, .open = fw_open, .ioctl = fw_ioctl, .close = fw_close,
                           .sleep_ms = fw_sleep};
    /* a configfs root with no hook behind it: the entry stays empty, so the
     * attester must fail on configfs (provider missing) and never open the
     * device that also exists */
    uint8_t rd[64], *q;
    size_t qlen;
    kt_error err = {0};
    test_rd(rd);
    kt_status st = quote_with(fx->tsm_root, FAKE_DEV, &tr, 1, false, rd, &q, &qlen, &err);
    expect_fail(st, KT_E_DEVICE, &err, "/provider");
    assert_int_equal(f.calls, 0);
    assert_int_equal(f.opens, 0);
    assert_int_equal(count_entries(fx->tsm_root), 0);
}

static void test_select_device_without_configfs(void **state) {
    fake_fw f = {0};
    uint8_t *q;
    size_t qlen;
    kt_error err = {0};
    assert_int_equal(ioctl_quote(*state, &f, 1, false, &q, &qlen, &err), KT_OK);
    assert_int_equal(f.opens, 1);
    assert_int_equal(f.calls, 1);
    kt_bytes_free(q);
}

static void test_select_no_device(void **state) {
    fixture *fx = *state;
    char dev[600];
    snprintf(dev, sizeof dev, "%s/sev-guest", fx->dir);
    uint8_t rd[64], *q;
    size_t qlen;
    kt_error err = {0};
    test_rd(rd);
    /* the real transport: open() of a path that does not exist */
    kt_status st = quote_with(fx->tsm_root, dev, NULL, -1, false, rd, &q, &qlen, &err);
    char want[1400];
    snprintf(want, sizeof want,
             "no SEV-SNP guest interface: neither %s nor %s exists — is this an SEV-SNP guest?",
             fx->tsm_root, dev);
    assert_int_equal(st, KT_E_NO_DEVICE);
    assert_string_equal(err.message, want);
}

/* configfs-tsm present but without a provider (mkdir: ENXIO): use the device. */
typedef struct both {
    fake_tsm t;
    fake_fw f;
} both;

static int both_step(void *ctx, const char *entry, kt_snp_tsm_step s) {
    return tsm_step(&((both *)ctx)->t, entry, s);
}
static int both_open(void *ctx, const char *path) {
    return fw_open(&((both *)ctx)->f, path);
}
static int both_ioctl(void *ctx, int fd, unsigned long req, void *arg) {
    return fw_ioctl(&((both *)ctx)->f, fd, req, arg);
}
static void both_close(void *ctx, int fd) {
    fw_close(&((both *)ctx)->f, fd);
}
static void both_sleep(void *ctx, unsigned ms) {
    fw_sleep(&((both *)ctx)->f, ms);
}

static kt_status both_quote(fixture *fx, both *b, uint8_t **q, size_t *qlen, kt_error *err) {
    assert_int_equal(mkdir(fx->tsm_root, 0700), 0);
    kt_snp_transport tr = {.ctx = b, .open = both_open, .ioctl = both_ioctl, .close = both_close,
                           .sleep_ms = both_sleep, .tsm_step = both_step};
    uint8_t rd[64];
    test_rd(rd);
    kt_status st = quote_with(fx->tsm_root, FAKE_DEV, &tr, 1, false, rd, q, qlen, err);
    assert_int_equal(count_entries(fx->tsm_root), 0);
    assert_int_equal(b->f.opens, b->f.closes);
    return st;
}

static void test_select_configfs_without_provider_falls_back(void **state) {
    both b = {.t = {.inject_step = KT_SNP_TSM_CREATED, .inject_errno = ENXIO}};
    uint8_t *q;
    size_t qlen;
    kt_error err = {0};
    assert_int_equal(both_quote(*state, &b, &q, &qlen, &err), KT_OK);
    assert_int_equal(b.t.steps[KT_SNP_TSM_WRITTEN], 0);
    assert_int_equal(b.f.calls, 1);
    expect_report_quote(q, qlen, 1, NULL, 0);
    kt_bytes_free(q);
}

static void test_select_configfs_without_provider_no_device(void **state) {
    both b = {.t = {.inject_step = KT_SNP_TSM_CREATED, .inject_errno = ENXIO},
              .f = {.open_errno = ENOENT}};
    uint8_t *q;
    size_t qlen;
    kt_error err = {0};
    kt_status st = both_quote(*state, &b, &q, &qlen, &err);
    expect_fail(st, KT_E_NO_DEVICE, &err, "has no provider registered and " FAKE_DEV
                                          " does not exist");
}

static void test_tsm_busy_sleeps(void **state) {
    both b = {.t = {.inject_step = KT_SNP_TSM_READ, .inject_errno = EBUSY, .inject_times = 3}};
    uint8_t *q;
    size_t qlen;
    kt_error err = {0};
    assert_int_equal(both_quote(*state, &b, &q, &qlen, &err), KT_OK);
    assert_int_equal(b.t.entries, 4);
    assert_int_equal(b.f.nsleeps, 3);
    assert_int_equal(b.f.sleeps[0], 100);
    assert_int_equal(b.f.sleeps[1], 200);
    assert_int_equal(b.f.sleeps[2], 400);
    assert_int_equal(b.f.calls, 0); /* the device is not used */
    kt_bytes_free(q);
}

static void test_new_does_not_touch_device(void **state) {
    (void)state;
    fake_fw f = {0};
    kt_snp_transport tr = {.ctx = &f, .open = fw_open, .ioctl = fw_ioctl, .close = fw_close};
    kt_attester_opts opts = {.backend = "sev-snp", .vmpl = -1, .transport = &tr};
    kt_attester *a = NULL;
    kt_error err = {0};
    assert_int_equal(kt_attester_new(&opts, &a, &err), KT_OK);
    assert_int_equal(f.opens + f.calls, 0);
    kt_attester_free(&a);
}

#define T(f) cmocka_unit_test_setup_teardown(f, snp_fixture_setup, snp_fixture_teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_tsm_busy_sleeps),
        T(test_select_prefers_configfs),
        T(test_select_device_without_configfs),
        T(test_select_no_device),
        T(test_select_configfs_without_provider_falls_back),
        T(test_select_configfs_without_provider_no_device),
        cmocka_unit_test(test_new_does_not_touch_device),
    };
    return cmocka_run_group_tests(tests, snp_fakes_load, snp_fakes_free);
}

#else /* !KT_HAVE_SNP */

/* Without SEV-SNP support the backend is known but refuses to be created. */
static void test_snp_not_built(void **state) {
    (void)state;
    kt_attester_opts opts = {.backend = "sev-snp", .vmpl = -1};
    kt_attester *a = NULL;
    kt_error err = {0};
    assert_int_equal(kt_attester_new(&opts, &a, &err), KT_E_NOT_BUILT);
    assert_null(a);
    assert_non_null(strstr(err.message, "built without SEV-SNP support"));
    for (const char *const *n = kt_attester_backends(); *n; n++)
        assert_string_not_equal(*n, "sev-snp");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snp_not_built),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#endif
