/* sev-snp attester: pieces shared by the ioctl and configfs-tsm paths. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "attester/snp_internal.h"
#include "katana_tee/quote.h"
#include "katana_tee/report.h"
#include "quote/certtable.h"
#include "util/error.h"

/* ---- the real kernel ------------------------------------------------------ */

static int real_open(void *ctx, const char *path) {
    (void)ctx;
    int fd;
    do
        fd = open(path, O_RDWR | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    return fd < 0 ? -errno : fd;
}

static int real_ioctl(void *ctx, int fd, unsigned long request, void *arg) {
    (void)ctx;
    int rc;
    do
        rc = ioctl(fd, request, arg);
    while (rc < 0 && errno == EINTR);
    return rc < 0 ? -errno : 0;
}

static void real_close(void *ctx, int fd) {
    (void)ctx;
    close(fd);
}

static void real_sleep_ms(void *ctx, unsigned ms) {
    (void)ctx;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

void kt_snp_transport_defaults(kt_snp_transport *tr) {
    if (!tr->open)
        tr->open = real_open;
    if (!tr->ioctl)
        tr->ioctl = real_ioctl;
    if (!tr->close)
        tr->close = real_close;
    if (!tr->sleep_ms)
        tr->sleep_ms = real_sleep_ms;
    /* tsm_step stays NULL: the real kernel needs no help */
}

unsigned kt_snp_backoff_ms(unsigned retry) {
    if (retry == 0)
        return 0;
    return (unsigned)KT_SNP_BACKOFF_BASE_MS << (retry - 1);
}

/* ---- firmware status and exitinfo2 ---------------------------------------- */

/* SEV firmware status codes (AMD SEV-SNP ABI, "Status Codes"). */
static const struct {
    uint32_t code;
    const char *name;
} fw_status[] = {
    {0x00, "success"},
    {0x01, "invalid platform state"},
    {0x02, "invalid guest state"},
    {0x03, "invalid configuration"},
    {0x04, "invalid length"},
    {0x05, "already owned"},
    {0x06, "invalid certificate"},
    {0x07, "policy failure"},
    {0x08, "inactive"},
    {0x09, "invalid address"},
    {0x0A, "bad signature"},
    {0x0B, "bad measurement"},
    {0x0C, "ASID owned"},
    {0x0D, "invalid ASID"},
    {0x0E, "WBINVD required"},
    {0x0F, "DF_FLUSH required"},
    {0x10, "invalid guest"},
    {0x11, "invalid command"},
    {0x12, "active"},
    {0x13, "hardware error (platform)"},
    {0x14, "hardware error (unsafe)"},
    {0x15, "unsupported"},
    {0x16, "invalid parameters"},
    {0x17, "resource limit"},
    {0x18, "secure data invalid"},
    {0x19, "invalid page size"},
    {0x1A, "invalid page state"},
    {0x1B, "invalid metadata entry"},
    {0x1C, "invalid page owner"},
    {0x1D, "AEAD overflow"},
    {0x1F, "exit ring buffer"},
    {0x20, "RMP initialisation required"},
    {0x21, "bad SVN"},
    {0x22, "bad version"},
    {0x23, "shutdown required"},
    {0x24, "update failed"},
    {0x25, "restore required"},
    {0x26, "RMP initialisation failed"},
    {0x27, "invalid key"},
};

const char *kt_snp_fw_status_name(uint32_t status) {
    for (size_t i = 0; i < sizeof fw_status / sizeof fw_status[0]; i++)
        if (fw_status[i].code == status)
            return fw_status[i].name;
    return NULL;
}

void kt_snp_describe_exitinfo2(uint64_t exitinfo2, char *buf, size_t cap) {
    if (exitinfo2 == KT_SNP_EXITINFO2_UNSET) {
        snprintf(buf, cap, "no firmware or host error code (the request did not reach the "
                           "firmware)");
        return;
    }
    uint32_t fw = KT_SNP_FW_ERROR(exitinfo2), vmm = KT_SNP_VMM_ERROR(exitinfo2);
    if (fw == 0 && vmm == 0) {
        snprintf(buf, cap, "no firmware or host error code");
        return;
    }
    char fw_text[96] = "", vmm_text[96] = "";
    if (fw) {
        const char *name = kt_snp_fw_status_name(fw);
        snprintf(fw_text, sizeof fw_text, "firmware status 0x%x (%s)", fw,
                 name ? name : "unknown status");
    }
    if (vmm) {
        const char *name = vmm == KT_SNP_VMM_ERR_INVALID_LEN ? "certificate buffer too small"
                           : vmm == KT_SNP_VMM_ERR_BUSY      ? "host busy, request throttled"
                                                             : "unknown host error";
        snprintf(vmm_text, sizeof vmm_text, "host error %u (%s)", vmm, name);
    }
    snprintf(buf, cap, "%s%s%s", fw_text, (fw && vmm) ? ", " : "", vmm_text);
}

/* ---- checking what the platform returned ------------------------------------ */

kt_status kt_snp_check_report(const uint8_t *report, size_t len, const uint8_t report_data[64],
                              uint32_t vmpl, const char *source, kt_error *err) {
    if (len != KT_REPORT_SIZE)
        return kt_fail(err, KT_E_DEVICE, "%s returned %zu bytes, expected a %d-byte report",
                       source, len, KT_REPORT_SIZE);
    kt_report parsed;
    kt_error perr = {0};
    if (kt_report_parse(report, len, &parsed, &perr) != KT_OK)
        return kt_fail(err, KT_E_DEVICE, "%s returned a report that does not parse: %s", source,
                       perr.message);
    if (parsed.vmpl != vmpl)
        return kt_fail(err, KT_E_DEVICE, "%s returned a report for VMPL %u, but VMPL %u was requested",
                       source, (unsigned)parsed.vmpl, vmpl);
    if (memcmp(parsed.report_data, report_data, 64) != 0)
        return kt_fail(err, KT_E_DEVICE,
                       "%s returned a report whose REPORT_DATA differs from the requested bytes",
                       source);
    return KT_OK;
}

kt_status kt_snp_cert_table_extent(const uint8_t *buf, size_t len, size_t *used, const char *source,
                                   kt_error *err) {
    kt_error terr = {0};
    if (kt_cert_table_extent(buf, len, used, &terr) != KT_OK)
        return kt_fail(err, KT_E_DEVICE, "%s: %s", source, terr.message);
    return KT_OK;
}

kt_status kt_snp_assemble(const uint8_t *report, const uint8_t *certs, size_t certs_len,
                          const char *source, uint8_t **quote, size_t *quote_len, kt_error *err) {
    if (certs_len) {
        kt_cert_table table;
        kt_error terr = {0};
        if (kt_cert_table_parse(certs, certs_len, &table, &terr) != KT_OK)
            return kt_fail(err, KT_E_DEVICE, "%s returned a malformed certificate table: %s",
                           source, terr.message);
    }
    if (certs_len > KT_QUOTE_MAX_SIZE - KT_REPORT_SIZE)
        return kt_fail(err, KT_E_DEVICE, "%s returned a %zu-byte certificate table, more than "
                       "a quote may hold", source, certs_len);
    uint8_t *q = malloc(KT_REPORT_SIZE + certs_len);
    if (!q)
        return kt_fail_oom(err);
    memcpy(q, report, KT_REPORT_SIZE);
    if (certs_len)
        memcpy(q + KT_REPORT_SIZE, certs, certs_len);
    *quote = q;
    *quote_len = KT_REPORT_SIZE + certs_len;
    return KT_OK;
}
