/*
 * The sev-snp attester against fakes of the kernel: a fake /dev/sev-guest
 * that answers like the firmware (checking the ioctl structs byte for byte)
 * and a fake configfs-tsm tree in a temporary directory, populated through
 * the transport's tsm_step hook. Reports are real (fixtures/snp), with
 * REPORT_DATA and VMPL set from the request as the firmware would. Then one
 * suite runs the same requests against the fakes, a simulated chip
 * (src/sim/sim_snp.c, quotes verified end to end) and the real device.
 */
#include <dirent.h>
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

#ifdef KT_HAVE_SNP
#include "attester/snp_internal.h"
#include "katana_tee/sim.h"
#include "katana_tee/verify.h"
#include "sim/sim_snp.h"

#define OUTBLOB "fixtures/snp/genoa-v3-tsm-veraison/outblob"
#define AUXBLOB "fixtures/snp/genoa-v3-tsm-veraison/auxblob"
#define FAKE_FD 42
#define FAKE_DEV "/fake/dev/sev-guest"

static uint8_t *g_report; /* real 1184-byte report */
static uint8_t *g_aux;    /* real certificate table (PEM entries) */
static size_t g_aux_len;

static void put32(uint8_t *p, uint32_t v) {
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
static void firmware_report(uint8_t out[KT_REPORT_SIZE], const uint8_t user_data[64],
                            uint32_t vmpl) {
    memcpy(out, g_report, KT_REPORT_SIZE);
    put32(out + 0x30, vmpl);
    memcpy(out + 0x50, user_data, 64);
}

static void test_rd(uint8_t rd[64]) {
    for (int i = 0; i < 64; i++)
        rd[i] = (uint8_t)(i * 7 + 3);
}

/* ==== fake /dev/sev-guest ================================================= */

typedef struct fake_fw {
    /* behaviour */
    int open_errno;
    size_t nfail;          /* the first nfail calls fail as below */
    int fail_errno[8];
    uint64_t fail_exitinfo2[8];
    uint32_t status;       /* MSG_REPORT_RSP status */
    uint32_t report_size;  /* 0 = 1184 */
    uint32_t certs_need;   /* ext: smallest certs_len accepted */
    bool need_grows;       /* ask for more on every INVALID_LEN */
    const uint8_t *certs;  /* table the host supplies */
    size_t certs_len;
    bool ignore_user_data; /* answer with the base report's REPORT_DATA */
    int vmpl_delta;        /* answer with a different VMPL */
    uint32_t version;      /* nonzero: overwrite the report version */
    /* observed */
    int opens, closes, calls;
    char open_path[256];
    unsigned long request[16];
    uint8_t user_data[64];
    uint32_t vmpl;
    uint32_t certs_len_seen[16];
    unsigned sleeps[16];
    size_t nsleeps;
} fake_fw;

static int fw_open(void *ctx, const char *path) {
    fake_fw *f = ctx;
    snprintf(f->open_path, sizeof f->open_path, "%s", path);
    if (f->open_errno)
        return -f->open_errno;
    f->opens++;
    return FAKE_FD;
}

static void fw_close(void *ctx, int fd) {
    fake_fw *f = ctx;
    assert_int_equal(fd, FAKE_FD);
    f->closes++;
}

static void fw_sleep(void *ctx, unsigned ms) {
    fake_fw *f = ctx;
    assert_true(f->nsleeps < 16);
    f->sleeps[f->nsleeps++] = ms;
}

static int fw_ioctl(void *ctx, int fd, unsigned long request, void *arg) {
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

typedef struct fixture {
    char *dir;
    char tsm_root[512]; /* does not exist unless a test creates it */
} fixture;

static int setup(void **state) {
    fixture *fx = calloc(1, sizeof *fx);
    fx->dir = kt_test_mkdtemp();
    snprintf(fx->tsm_root, sizeof fx->tsm_root, "%s/tsm-report", fx->dir);
    *state = fx;
    return 0;
}

static int teardown(void **state) {
    fixture *fx = *state;
    kt_test_rmtree(fx->dir);
    free(fx->dir);
    free(fx);
    return 0;
}

static kt_status quote_with(const char *tsm_root, const char *device, kt_snp_transport *tr,
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

static kt_status ioctl_quote(fixture *fx, fake_fw *f, int vmpl, bool with_certs, uint8_t **q,
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

static void expect_report_quote(const uint8_t *q, size_t qlen, uint32_t vmpl, const uint8_t *certs,
                                size_t certs_len) {
    uint8_t rd[64], want[KT_REPORT_SIZE];
    test_rd(rd);
    firmware_report(want, rd, vmpl);
    assert_int_equal(qlen, KT_REPORT_SIZE + certs_len);
    assert_memory_equal(q, want, KT_REPORT_SIZE);
    if (certs_len)
        assert_memory_equal(q + KT_REPORT_SIZE, certs, certs_len);
}

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

static void expect_fail(kt_status got, kt_status want, const kt_error *err, const char *needle) {
    if (got != want || !strstr(err->message, needle))
        fail_msg("got %s '%s', want %s containing '%s'", kt_status_name(got), err->message,
                 kt_status_name(want), needle);
    assert_int_equal(err->status, want);
    assert_null(strchr(err->message, '\n'));
}

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

/* ==== fake configfs-tsm ===================================================== */

typedef struct fake_tsm {
    const char *provider;   /* NULL = "sev_guest" */
    const char *generation; /* NULL = "0" (initial content) */
    int gen_extra_written;  /* a foreign write between ours and the reads */
    int gen_extra_read;     /* a foreign write while we read the blobs */
    bool no_outblob;
    size_t outblob_len;     /* 0 = full report */
    bool ignore_inblob;     /* answer with the base report's REPORT_DATA */
    bool write_auxblob;
    const uint8_t *aux;
    size_t aux_len;
    kt_snp_tsm_step inject_step; /* return inject_errno at this step ... */
    int inject_errno;
    int inject_times;            /* ... this many times (0 = always) */
    /* observed */
    int steps[5];
    int injected;
    size_t entries;
    char entry[8][600];
    char privlevel[32];
    uint8_t inblob[128];
    size_t inblob_len;
    unsigned sleeps[16];
    size_t nsleeps;
} fake_tsm;

static void write_file(const char *dir, const char *name, const void *data, size_t len) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    if (len)
        assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

static size_t read_file(const char *dir, const char *name, void *out, size_t cap) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    size_t n = fread(out, 1, cap, fp);
    fclose(fp);
    return n;
}

static void bump_generation(const char *entry, int by) {
    char text[32] = {0};
    read_file(entry, "generation", text, sizeof text - 1);
    long g = strtol(text, NULL, 10) + by;
    snprintf(text, sizeof text, "%ld\n", g);
    write_file(entry, "generation", text, strlen(text));
}

static size_t count_entries(const char *dir) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/* Plays the kernel's part of configfs-tsm on a plain directory. */
static int tsm_step(void *ctx, const char *entry, kt_snp_tsm_step s) {
    fake_tsm *t = ctx;
    t->steps[s]++;
    switch (s) {
    case KT_SNP_TSM_CREATED: {
        assert_true(t->entries < 8);
        snprintf(t->entry[t->entries++], sizeof t->entry[0], "%s", entry);
        const char *p = t->provider ? t->provider : "sev_guest";
        char nl[64];
        snprintf(nl, sizeof nl, "%s\n", p);
        write_file(entry, "provider", nl, strlen(nl));
        const char *g = t->generation ? t->generation : "0\n";
        write_file(entry, "generation", g, strlen(g));
        write_file(entry, "privlevel", "", 0);
        write_file(entry, "privlevel_floor", "0\n", 2);
        write_file(entry, "inblob", "", 0);
        break;
    }
    case KT_SNP_TSM_WRITTEN: {
        memset(t->privlevel, 0, sizeof t->privlevel);
        read_file(entry, "privlevel", t->privlevel, sizeof t->privlevel - 1);
        t->inblob_len = read_file(entry, "inblob", t->inblob, sizeof t->inblob);
        bump_generation(entry, 2 + t->gen_extra_written); /* the kernel counts our writes */
        uint8_t report[KT_REPORT_SIZE];
        uint8_t user_data[64] = {0};
        memcpy(user_data, t->inblob, t->inblob_len < 64 ? t->inblob_len : 64);
        firmware_report(report, t->ignore_inblob ? g_report + 0x50 : user_data,
                        (uint32_t)strtoul(t->privlevel, NULL, 10));
        if (!t->no_outblob)
            write_file(entry, "outblob", report, t->outblob_len ? t->outblob_len : sizeof report);
        if (t->write_auxblob)
            write_file(entry, "auxblob", t->aux, t->aux_len);
        break;
    }
    case KT_SNP_TSM_READ:
        if (t->gen_extra_read)
            bump_generation(entry, t->gen_extra_read);
        break;
    case KT_SNP_TSM_REMOVING: {
        /* configfs removes attributes with the directory; a plain dir does not */
        DIR *d = opendir(entry);
        if (d) {
            struct dirent *de;
            while ((de = readdir(d)) != NULL) {
                if (de->d_name[0] == '.')
                    continue;
                char path[1024];
                snprintf(path, sizeof path, "%s/%s", entry, de->d_name);
                unlink(path);
            }
            closedir(d);
        }
        break;
    }
    }
    if (t->inject_errno && s == t->inject_step &&
        (t->inject_times == 0 || t->injected < t->inject_times)) {
        t->injected++;
        return -t->inject_errno;
    }
    return 0;
}

static void tsm_sleep(void *ctx, unsigned ms) {
    fake_tsm *t = ctx;
    assert_true(t->nsleeps < 16);
    t->sleeps[t->nsleeps++] = ms;
}

static kt_status tsm_quote(fixture *fx, fake_tsm *t, int vmpl, bool with_certs,
                           const uint8_t rd[64], uint8_t **q, size_t *qlen, kt_error *err) {
    if (mkdir(fx->tsm_root, 0700) != 0 && errno != EEXIST)
        fail_msg("mkdir %s failed", fx->tsm_root);
    kt_snp_transport tr = {.ctx = t, .tsm_step = tsm_step, .sleep_ms = tsm_sleep};
    kt_status st = quote_with(fx->tsm_root, FAKE_DEV, &tr, vmpl, with_certs, rd, q, qlen, err);
    /* every entry is removed, on success and on failure */
    assert_int_equal(count_entries(fx->tsm_root), 0);
    assert_int_equal(t->steps[KT_SNP_TSM_REMOVING], t->steps[KT_SNP_TSM_CREATED]);
    return st;
}

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

/* ==== one suite for every platform: fake, simulated chip, real device ============= */

/*
 * The same requests against each platform the attester can meet: the fakes
 * above (fixture reports, firmware behaviour scripted), a simulated chip
 * (src/sim/sim_snp.c: real reports signed by the simulator's key chain, so
 * the quote verifies end to end), and this machine's SEV-SNP guest
 * interface when it has one (otherwise that case is skipped, by name).
 * Both kernel paths: the /dev/sev-guest ioctl and configfs-tsm.
 */
typedef enum { PLAT_FAKE, PLAT_SIM, PLAT_DEVICE } plat_kind;

static char *g_sim_dir;
static kt_sim *g_sim;
static kt_sim_info g_sim_info;

static const kt_sim *shared_sim(void) {
    if (!g_sim) {
        kt_error err = {0};
        g_sim_dir = kt_test_mkdtemp();
        kt_sim_init_opts o;
        memset(&o, 0, sizeof o);
        o.product = KT_PRODUCT_GENOA;
        if (kt_sim_init(g_sim_dir, &o, &err) != KT_OK || kt_sim_open(g_sim_dir, &g_sim, &err) != KT_OK)
            fail_msg("simulator: %s", err.message);
        kt_sim_get_info(g_sim, &g_sim_info);
    }
    return g_sim;
}

/* Verify a simulator quote against the simulator's root: every check passes. */
static void verify_sim_quote(const uint8_t *q, size_t qlen, const uint8_t rd[64], bool has_table) {
    kt_error err = {0};
    kt_quote *quote = NULL;
    assert_int_equal(kt_quote_decode(q, qlen, &quote, &err), KT_OK);
    kt_certs *certs = NULL;
    assert_int_equal(kt_certs_new(&certs, &err), KT_OK);
    if (!has_table) /* without the table the caller supplies the chain */
        assert_int_equal(kt_certs_add_dir(certs, g_sim_dir, &err), KT_OK);
    kt_verifier *v = NULL;
    assert_int_equal(kt_verifier_new(&v, &err), KT_OK);
    assert_int_equal(kt_verifier_add_trust_root(v, g_sim_info.ark_der, g_sim_info.ark_der_len,
                                                "sim", &err),
                     KT_OK);
    kt_verify_opts o;
    kt_verify_opts_init(&o);
    o.certs = certs;
    o.has_report_data = true;
    memcpy(o.report_data, rd, 64);
    kt_verdict *vd = malloc(sizeof *vd);
    assert_non_null(vd);
    kt_status st = kt_verify(v, quote, &o, vd, &err);
    if (st != KT_OK)
        fail_msg("simulated chip's quote does not verify: %s", err.message);
    assert_true(vd->valid);
    free(vd);
    kt_verifier_free(&v);
    kt_certs_free(&certs);
    kt_quote_free(&quote);
}

static void run_platform(fixture *fx, plat_kind kind, bool tsm, int vmpl, bool with_certs) {
    uint8_t rd[64];
    test_rd(rd);
    kt_snp_transport tr;
    memset(&tr, 0, sizeof tr);
    fake_fw fw = {0};
    fake_tsm ft = {0};
    kt_sim_snp chip;
    const char *dev = FAKE_DEV, *root = fx->tsm_root;
    switch (kind) {
    case PLAT_FAKE:
        if (tsm) {
            ft.write_auxblob = true;
            ft.aux = g_aux;
            ft.aux_len = g_aux_len;
            tr = (kt_snp_transport){.ctx = &ft, .tsm_step = tsm_step, .sleep_ms = tsm_sleep};
        } else {
            fw.certs = g_aux;
            fw.certs_len = g_aux_len;
            tr = (kt_snp_transport){.ctx = &fw, .open = fw_open, .ioctl = fw_ioctl,
                                    .close = fw_close, .sleep_ms = fw_sleep};
        }
        break;
    case PLAT_SIM:
        kt_sim_snp_init(&chip, shared_sim(), &tr);
        break;
    case PLAT_DEVICE: {
        struct stat sb;
        root = "/sys/kernel/config/tsm/report";
        dev = "/dev/sev-guest";
        if (stat(tsm ? root : dev, &sb) != 0) {
            print_message("no %s on this machine: the real-device case is not run\n",
                          tsm ? root : dev);
            skip();
        }
        if (!tsm)
            root = fx->tsm_root; /* absent: forces the ioctl path */
        break;
    }
    }
    if (tsm && kind != PLAT_DEVICE && mkdir(fx->tsm_root, 0700) != 0 && errno != EEXIST)
        fail_msg("mkdir %s failed", fx->tsm_root);
    uint8_t *q = NULL;
    size_t qlen = 0;
    kt_error err = {0};
    kt_status st = quote_with(root, dev, kind == PLAT_DEVICE ? NULL : &tr, vmpl, with_certs, rd,
                              &q, &qlen, &err);
    if (st != KT_OK)
        fail_msg("platform %d (%s): %s", (int)kind, tsm ? "configfs-tsm" : "ioctl", err.message);
    if (tsm && kind != PLAT_DEVICE)
        assert_int_equal(count_entries(fx->tsm_root), 0);
    if (kind == PLAT_SIM && !tsm)
        assert_int_equal(chip.opens, chip.closes);

    kt_report r;
    assert_int_equal(kt_report_parse(q, KT_REPORT_SIZE, &r, &err), KT_OK);
    assert_memory_equal(r.report_data, rd, 64);
    assert_int_equal(r.vmpl, vmpl < 0 ? KT_ATTESTER_DEFAULT_VMPL : vmpl);
    if (with_certs) {
        assert_true(qlen > KT_REPORT_SIZE);
        kt_cert_table t;
        assert_int_equal(kt_cert_table_parse(q + KT_REPORT_SIZE, qlen - KT_REPORT_SIZE, &t, &err),
                         KT_OK);
        bool has_vcek = false;
        for (size_t i = 0; i < t.count; i++)
            has_vcek |= t.entries[i].kind == KT_CERT_VCEK;
        assert_true(has_vcek);
    } else {
        assert_int_equal(qlen, KT_REPORT_SIZE);
    }
    if (kind == PLAT_SIM)
        verify_sim_quote(q, qlen, rd, with_certs);
    kt_bytes_free(q);
}

#define PLATFORM_TESTS(name, kind)                                                                 \
    static void test_##name##_ioctl_report(void **state) {                                        \
        run_platform(*state, kind, false, 0, false);                                               \
    }                                                                                              \
    static void test_##name##_ioctl_ext_report(void **state) {                                    \
        run_platform(*state, kind, false, 2, true);                                                \
    }                                                                                              \
    static void test_##name##_tsm_report(void **state) {                                          \
        run_platform(*state, kind, true, -1, false);                                               \
    }                                                                                              \
    static void test_##name##_tsm_with_certs(void **state) {                                      \
        run_platform(*state, kind, true, 3, true);                                                 \
    }
PLATFORM_TESTS(fake, PLAT_FAKE)
PLATFORM_TESTS(simchip, PLAT_SIM)
PLATFORM_TESTS(device, PLAT_DEVICE)

/* The simulated chip asks for a bigger certificate buffer like a host does. */
static void test_simchip_certs_too_small_then_grow(void **state) {
    (void)state;
    kt_snp_transport tr;
    kt_sim_snp chip;
    kt_sim_snp_init(&chip, shared_sim(), &tr);
    uint8_t req_buf[sizeof(kt_snp_ext_report_req)] = {0};
    kt_snp_ext_report_req req;
    memset(&req, 0, sizeof req);
    static uint8_t certs[KT_SNP_PAGE_SIZE];
    static kt_snp_report_resp resp;
    req.certs_address = (uint64_t)(uintptr_t)certs;
    req.certs_len = 0; /* nothing fits */
    memcpy(req_buf, &req, sizeof req);
    kt_snp_guest_request_ioctl io = {.msg_version = 1,
                                     .req_data = (uint64_t)(uintptr_t)req_buf,
                                     .resp_data = (uint64_t)(uintptr_t)&resp};
    int fd = tr.open(tr.ctx, "/dev/sev-guest");
    assert_int_equal(tr.ioctl(tr.ctx, fd, KT_SNP_GET_EXT_REPORT, &io), -EIO);
    assert_int_equal(KT_SNP_VMM_ERROR(io.exitinfo2), KT_SNP_VMM_ERR_INVALID_LEN);
    memcpy(&req, req_buf, sizeof req);
    assert_true(req.certs_len >= KT_SNP_PAGE_SIZE);
    assert_int_equal(req.certs_len % KT_SNP_PAGE_SIZE, 0);
    /* a reserved request byte is refused, as by the driver */
    req.data.rsvd[3] = 1;
    memcpy(req_buf, &req, sizeof req);
    assert_int_equal(tr.ioctl(tr.ctx, fd, KT_SNP_GET_REPORT, &io), -EINVAL);
    tr.close(tr.ctx, fd);
    assert_int_equal(chip.too_small, 1);
}

static int load_fixtures(void **state) {
    (void)state;
    size_t len;
    g_report = kt_test_read_shared(OUTBLOB, &len);
    assert_int_equal(len, KT_REPORT_SIZE);
    g_aux = kt_test_read_shared(AUXBLOB, &g_aux_len);
    return 0;
}

static int free_fixtures(void **state) {
    (void)state;
    free(g_report);
    free(g_aux);
    kt_sim_free(&g_sim);
    if (g_sim_dir) {
        kt_test_rmtree(g_sim_dir);
        free(g_sim_dir);
    }
    return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

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
        T(test_tsm_busy_sleeps),
        T(test_select_prefers_configfs),
        T(test_select_device_without_configfs),
        T(test_select_no_device),
        T(test_select_configfs_without_provider_falls_back),
        T(test_select_configfs_without_provider_no_device),
        cmocka_unit_test(test_describe_exitinfo2),
        cmocka_unit_test(test_tsm_errno_mapping),
        cmocka_unit_test(test_cert_table_extent),
        cmocka_unit_test(test_backoff_bounded),
        cmocka_unit_test(test_new_does_not_touch_device),
        T(test_fake_ioctl_report),
        T(test_fake_ioctl_ext_report),
        T(test_fake_tsm_report),
        T(test_fake_tsm_with_certs),
        T(test_simchip_ioctl_report),
        T(test_simchip_ioctl_ext_report),
        T(test_simchip_tsm_report),
        T(test_simchip_tsm_with_certs),
        T(test_simchip_certs_too_small_then_grow),
        T(test_device_ioctl_report),
        T(test_device_ioctl_ext_report),
        T(test_device_tsm_report),
        T(test_device_tsm_with_certs),
    };
    return cmocka_run_group_tests(tests, load_fixtures, free_fixtures);
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
