/*
 * Test support for the sev-snp attester programs (tests/unit/test_attester_snp_*.c):
 * a real report and certificate table (fixtures/snp/genoa-v3-tsm-veraison) that
 * the fakes answer with, REPORT_DATA and VMPL set from the request as the
 * firmware would; a temporary folder per test; a fake /dev/sev-guest that
 * answers like the firmware, checking the ioctl structs byte for byte; and the
 * quote helpers and assertions the programs share. The configfs-tsm fake is in
 * snp_fake_tsm.h.
 *
 * Everything but snp_tests_not_built() exists only with SEV-SNP support
 * (KT_HAVE_SNP): the transport it plugs into is compiled only then.
 */
#ifndef KT_TEST_SNP_FAKE_DEVICE_H
#define KT_TEST_SNP_FAKE_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "katana_tee/status.h"

/*
 * For a build without SEV-SNP support: a program whose tests need it runs one
 * test that is reported as skipped, naming `what` is not run (never as passed).
 */
int snp_tests_not_built(const char *what);

#ifdef KT_HAVE_SNP
#include "attester/snp_internal.h"
#include "katana_tee/report.h"

#define FAKE_DEV "/fake/dev/sev-guest"

extern uint8_t *g_report; /* real 1184-byte report */
extern uint8_t *g_aux;    /* real certificate table (PEM entries) */
extern size_t g_aux_len;

/* cmocka group setup/teardown: read / free g_report and g_aux. */
int snp_fakes_load(void **state);
int snp_fakes_free(void **state);

/* Little-endian store, for building certificate tables in tests. */
void put32(uint8_t *p, uint32_t v);

/* The report the firmware would produce for (user_data, vmpl). */
void firmware_report(uint8_t out[KT_REPORT_SIZE], const uint8_t user_data[64], uint32_t vmpl);

/* The REPORT_DATA every test requests. */
void test_rd(uint8_t rd[64]);

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

/* kt_snp_transport callbacks over a fake_fw (ctx). */
int fw_open(void *ctx, const char *path);
void fw_close(void *ctx, int fd);
void fw_sleep(void *ctx, unsigned ms);
int fw_ioctl(void *ctx, int fd, unsigned long request, void *arg);

/* Per-test state: a temporary folder; cmocka setup/teardown make and remove it. */
typedef struct fixture {
    char *dir;
    char tsm_root[512]; /* does not exist unless a test creates it */
} fixture;

int snp_fixture_setup(void **state);
int snp_fixture_teardown(void **state);

/*
 * One quote through a fresh "sev-snp" attester with these options (vmpl -1 =
 * the default); asserts the attester is created, named and freed, and that a
 * failed quote leaves *q NULL.
 */
kt_status quote_with(const char *tsm_root, const char *device, kt_snp_transport *tr,
                     int vmpl, bool with_certs, const uint8_t rd[64], uint8_t **q,
                     size_t *qlen, kt_error *err);

/* A quote of test_rd() through the fake device f (no configfs-tsm); the device
 * must have been closed as often as it was opened. */
kt_status ioctl_quote(fixture *fx, fake_fw *f, int vmpl, bool with_certs, uint8_t **q,
                      size_t *qlen, kt_error *err);

/* The quote is the firmware's report for test_rd() at vmpl, then certs. */
void expect_report_quote(const uint8_t *q, size_t qlen, uint32_t vmpl, const uint8_t *certs,
                         size_t certs_len);

/* got == want and the one-line message contains needle. */
void expect_fail(kt_status got, kt_status want, const kt_error *err, const char *needle);

#endif /* KT_HAVE_SNP */
#endif
