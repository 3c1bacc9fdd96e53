/* Test support: the fake /dev/sev-guest and the shared parts of the sev-snp attester tests. */
#include "snp_fake_device.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "katana_tee/attester.h"

static const char *g_not_built_what;

static void test_not_built(void **state) {
    (void)state;
    print_message("built without SEV-SNP support: %s not run\n", g_not_built_what);
    skip();
}

int snp_tests_not_built(const char *what) {
    g_not_built_what = what;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_built),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#ifdef KT_HAVE_SNP

#define OUTBLOB "fixtures/snp/genoa-v3-tsm-veraison/outblob"
#define AUXBLOB "fixtures/snp/genoa-v3-tsm-veraison/auxblob"
#define FAKE_FD 42

uint8_t *g_report;
uint8_t *g_aux;
size_t g_aux_len;

void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}
static bool all_zero(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* The report the firmware would produce for (user_data, vmpl). */
void firmware_report(uint8_t out[KT_REPORT_SIZE], const uint8_t user_data[64],
                     uint32_t vmpl) {
    memcpy(out, g_report, KT_REPORT_SIZE);
    put32(out + 0x30, vmpl);
    memcpy(out + 0x50, user_data, 64);
}

void test_rd(uint8_t rd[64]) {
    for (int i = 0; i < 64; i++)
        rd[i] = (uint8_t)(i * 7 + 3);
}

/* ==== fake /dev/sev-guest ================================================= */

int fw_open(void *ctx, const char *path) {
    fake_fw *f = ctx;
    snprintf(f->open_path, sizeof f->open_path, "%s", path);
    if (f->open_errno)
        return -f->open_errno;
    f->opens++;
    return FAKE_FD;
}

void fw_close(void *ctx, int fd) {
    fake_fw *f = ctx;
    assert_int_equal(fd, FAKE_FD);
    f->closes++;
}

void fw_sleep(void *ctx, unsigned ms) {
    fake_fw *f = ctx;
    assert_true(f->nsleeps < 16);
    f->sleeps[f->nsleeps++] = ms;
}

int fw_ioctl(void *ctx, int fd, unsigned long request, void *arg) {
    fake_fw *f = ctx;
    assert_int_equal(fd, FAKE_FD);
    assert_true(f->calls < 16);
    int call = f->calls++;
    f->request[call] = request;
    bool ext = request == 0xC0205302UL;
    assert_true(request == 0xC0205300UL || ext);

    /* struct snp_guest_request_ioctl, 32 bytes */
    uint8_t *io = arg;
    assert_int_equal(io[0], 1);                 /* msg_version */
    assert_true(all_zero(io + 1, 7));           /* padding */
    assert_int_equal(get64(io + 24), 0);        /* exitinfo2 starts clear */
    uint8_t *req = (uint8_t *)(uintptr_t)get64(io + 8);
    uint8_t *resp = (uint8_t *)(uintptr_t)get64(io + 16);
    assert_non_null(req);
    assert_non_null(resp);

    /* struct snp_report_req, 96 bytes (+ certs_address, certs_len for ext) */
    memcpy(f->user_data, req, 64);
    f->vmpl = get32(req + 64);
    assert_true(all_zero(req + 68, 28));
    uint8_t *certs = NULL;
    uint32_t certs_len = 0;
    if (ext) {
        certs = (uint8_t *)(uintptr_t)get64(req + 96);
        certs_len = get32(req + 104);
        assert_true(all_zero(req + 108, 4));
        assert_non_null(certs);
        assert_int_equal(certs_len % 4096, 0);
        f->certs_len_seen[call] = certs_len;
    }

    if ((size_t)call < f->nfail) {
        put64(io + 24, f->fail_exitinfo2[call]);
        return -f->fail_errno[call];
    }
    if (ext && certs_len < f->certs_need) {
        put32(req + 104, f->certs_need);
        put64(io + 24, (uint64_t)1 << 32); /* SNP_GUEST_VMM_ERR_INVALID_LEN */
        if (f->need_grows)
            f->certs_need *= 2;
        return -EIO;
    }

    /* MSG_REPORT_RSP into the 4000-byte response */
    memset(resp, 0, 4000);
    put32(resp + 0, f->status);
    put32(resp + 4, f->report_size ? f->report_size : KT_REPORT_SIZE);
    uint8_t *report = resp + 0x20;
    firmware_report(report, f->ignore_user_data ? g_report + 0x50 : f->user_data,
                    (uint32_t)((int)f->vmpl + f->vmpl_delta));
    if (f->version)
        put32(report, f->version);
    if (ext && f->certs) {
        assert_true(f->certs_len <= certs_len);
        memcpy(certs, f->certs, f->certs_len);
    }
    return 0;
}

int snp_fixture_setup(void **state) {
    fixture *fx = calloc(1, sizeof *fx);
    fx->dir = kt_test_mkdtemp();
    snprintf(fx->tsm_root, sizeof fx->tsm_root, "%s/tsm-report", fx->dir);
    *state = fx;
    return 0;
}

int snp_fixture_teardown(void **state) {
    fixture *fx = *state;
    kt_test_rmtree(fx->dir);
    free(fx->dir);
    free(fx);
    return 0;
}

kt_status quote_with(const char *tsm_root, const char *device, kt_snp_transport *tr,
                     int vmpl, bool with_certs, const uint8_t rd[64], uint8_t **q,
                     size_t *qlen, kt_error *err) {
    kt_attester_opts opts = {.backend = "sev-snp", .vmpl = vmpl, .with_certs = with_certs,
                             .configfs_root = tsm_root, .device_path = device,
                             .transport = tr};
    kt_attester *a = NULL;
    kt_status st = kt_attester_new(&opts, &a, err);
    assert_int_equal(st, KT_OK);
    assert_string_equal(kt_attester_name(a), "sev-snp");
    *q = NULL;
    *qlen = 0;
    st = kt_attester_quote(a, rd, q, qlen, err);
    kt_attester_free(&a);
    assert_null(a);
    if (st != KT_OK)
        assert_null(*q);
    return st;
}

kt_status ioctl_quote(fixture *fx, fake_fw *f, int vmpl, bool with_certs, uint8_t **q,
                      size_t *qlen, kt_error *err) {
    kt_snp_transport tr = {.ctx = f, .open = fw_open, .ioctl = fw_ioctl, .close = fw_close,
                           .sleep_ms = fw_sleep};
    uint8_t rd[64];
    test_rd(rd);
    kt_status st = quote_with(fx->tsm_root, FAKE_DEV, &tr, vmpl, with_certs, rd, q, qlen, err);
    assert_string_equal(f->open_path, FAKE_DEV);
    assert_int_equal(f->opens, f->closes); /* the device is closed on every path */
    return st;
}

void expect_report_quote(const uint8_t *q, size_t qlen, uint32_t vmpl, const uint8_t *certs,
                         size_t certs_len) {
    uint8_t rd[64], want[KT_REPORT_SIZE];
    test_rd(rd);
    firmware_report(want, rd, vmpl);
    assert_int_equal(qlen, KT_REPORT_SIZE + certs_len);
    assert_memory_equal(q, want, KT_REPORT_SIZE);
    if (certs_len)
        assert_memory_equal(q + KT_REPORT_SIZE, certs, certs_len);
}

void expect_fail(kt_status got, kt_status want, const kt_error *err, const char *needle) {
    if (got != want || !strstr(err->message, needle))
        fail_msg("got %s '%s', want %s containing '%s'", kt_status_name(got), err->message,
                 kt_status_name(want), needle);
    assert_int_equal(err->status, want);
    assert_null(strchr(err->message, '\n'));
}

int snp_fakes_load(void **state) {
    (void)state;
    size_t len;
    g_report = kt_test_read_shared(OUTBLOB, &len);
    assert_int_equal(len, KT_REPORT_SIZE);
    g_aux = kt_test_read_shared(AUXBLOB, &g_aux_len);
    return 0;
}

int snp_fakes_free(void **state) {
    (void)state;
    free(g_report);
    free(g_aux);
    g_report = g_aux = NULL;
    return 0;
}

#endif /* KT_HAVE_SNP */
