/*
 * One suite for every platform the sev-snp attester can meet: the same
 * requests against the fakes of the kernel (tests/support/snp_fake_*.c:
 * fixture reports, firmware behaviour scripted), a simulated chip
 * (src/sim/sim_snp.c: real reports signed by the simulator's key chain, so
 * the quote verifies end to end), and this machine's SEV-SNP guest
 * interface when it has one (otherwise that case is skipped, by name).
 * Both kernel paths: the /dev/sev-guest ioctl and configfs-tsm.
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
#include "katana_tee/sim.h"
#include "katana_tee/verify.h"
#include "sim/sim_snp.h"
#include "snp_fake_tsm.h"

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

static int free_platforms(void **state) {
    kt_sim_free(&g_sim);
    if (g_sim_dir) {
        kt_test_rmtree(g_sim_dir);
        free(g_sim_dir);
    }
    return snp_fakes_free(state);
}

#define T(f) cmocka_unit_test_setup_teardown(f, snp_fixture_setup, snp_fixture_teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
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
    return cmocka_run_group_tests(tests, snp_fakes_load, free_platforms);
}

#else /* !KT_HAVE_SNP */

int main(void) {
    return snp_tests_not_built(
        "the platform suite (fake, simulated chip, device: test_attester_snp_platforms) is");
}

#endif
