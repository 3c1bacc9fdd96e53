/* sev-snp attester: /dev/sev-guest, SNP_GET_REPORT and SNP_GET_EXT_REPORT. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attester/snp_internal.h"
#include "katana_tee/report.h"
#include "util/cursor.h"
#include "util/error.h"

static kt_status open_error(const char *path, int e, kt_error *err) {
    switch (e) {
    case ENOENT:
    case ENODEV:
    case ENXIO:
        return kt_fail(err, KT_E_NO_DEVICE, "no SEV-SNP guest interface: %s does not exist", path);
    case EACCES:
    case EPERM:
        return kt_fail(err, KT_E_PERMISSION,
                       "permission denied opening %s: run as root or grant access to the device",
                       path);
    default:
        return kt_fail(err, KT_E_DEVICE, "cannot open %s: %s", path, strerror(e));
    }
}

/* An ioctl failure that is not retried (busy and short-buffer cases are
 * handled by the caller). */
static kt_status ioctl_error(const char *path, const char *what, int e, uint64_t exitinfo2,
                             kt_error *err) {
    char why[224];
    switch (e) {
    case EACCES:
    case EPERM:
        return kt_fail(err, KT_E_PERMISSION,
                       "%s on %s: permission denied: run as root or grant access to the device",
                       what, path);
    case ENOTTY:
        return kt_fail(err, KT_E_DEVICE,
                       "%s on %s: the device does not support this ioctl (ENOTTY): not an "
                       "SEV-SNP guest driver, or the driver disabled its VMPCK key after an "
                       "earlier firmware error",
                       what, path);
    case EIO:
        kt_snp_describe_exitinfo2(exitinfo2, why, sizeof why);
        return kt_fail(err, KT_E_DEVICE, "%s on %s: the guest request failed (EIO): %s", what, path,
                       why);
    case ETIMEDOUT:
        return kt_fail(err, KT_E_BUSY,
                       "%s on %s: the host kept throttling guest requests until the driver gave "
                       "up (ETIMEDOUT); try again later",
                       what, path);
    case EINVAL:
        return kt_fail(err, KT_E_DEVICE, "%s on %s: the driver rejected the request (EINVAL)",
                       what, path);
    default:
        kt_snp_describe_exitinfo2(exitinfo2, why, sizeof why);
        return kt_fail(err, KT_E_DEVICE, "%s on %s failed: %s; %s", what, path, strerror(e), why);
    }
}

static bool is_busy(int e, uint64_t exitinfo2) {
    return e == EBUSY || e == EAGAIN ||
           (e == EIO && KT_SNP_VMM_ERROR(exitinfo2) == KT_SNP_VMM_ERR_BUSY);
}

/* Validate the firmware's MSG_REPORT_RSP and return a pointer to the report. */
static kt_status check_response(const kt_snp_report_resp *resp, const char *path, uint32_t vmpl,
                                const uint8_t **report, kt_error *err) {
    kt_cursor c = kt_cursor_init(resp->data, sizeof resp->data);
    kt_cursor_seek(&c, KT_SNP_RESP_STATUS_OFF);
    uint32_t status = kt_cursor_u32le(&c);
    kt_cursor_seek(&c, KT_SNP_RESP_REPORT_SIZE_OFF);
    uint32_t size = kt_cursor_u32le(&c);
    if (status != KT_SNP_FW_SUCCESS) {
        const char *name = kt_snp_fw_status_name(status);
        return kt_fail(err, KT_E_DEVICE, "firmware refused the report request on %s: status 0x%x "
                       "(%s)%s",
                       path, status, name ? name : "unknown status",
                       status == KT_SNP_FW_INVALID_PARAM
                           ? vmpl == 0 ? "; the guest may not run at VMPL 0 (try --vmpl 1)"
                                       : "; is the requested VMPL below the guest's own?"
                           : "");
    }
    if (size != KT_REPORT_SIZE)
        return kt_fail(err, KT_E_DEVICE,
                       "firmware response on %s has report_size %u, expected %d", path, size,
                       KT_REPORT_SIZE);
    *report = resp->data + KT_SNP_RESP_REPORT_OFF;
    return KT_OK;
}

kt_status kt_snp_quote_ioctl(const kt_snp_cfg *cfg, const uint8_t report_data[64], uint8_t **quote,
                             size_t *quote_len, kt_error *err) {
    const kt_snp_transport *tr = &cfg->tr;
    const char *path = cfg->device_path;
    const char *what = cfg->with_certs ? "SNP_GET_EXT_REPORT" : "SNP_GET_REPORT";
    unsigned long request = cfg->with_certs ? KT_SNP_GET_EXT_REPORT : KT_SNP_GET_REPORT;

    int fd = tr->open(tr->ctx, path);
    if (fd < 0)
        return open_error(path, -fd, err);

    kt_snp_ext_report_req req;
    kt_snp_report_resp *resp = calloc(1, sizeof *resp);
    size_t certs_cap = cfg->with_certs ? KT_SNP_CERTS_INITIAL : 0;
    uint8_t *certs = certs_cap ? calloc(1, certs_cap) : NULL;
    kt_status st = KT_OK;
    if (!resp || (certs_cap && !certs)) {
        st = kt_fail_oom(err);
        goto out;
    }

    unsigned attempt = 1;
    bool regrown = false;
    for (;;) {
        memset(&req, 0, sizeof req);
        memcpy(req.data.user_data, report_data, KT_SNP_USER_DATA_SIZE);
        req.data.vmpl = cfg->vmpl;
        if (certs) {
            memset(certs, 0, certs_cap);
            req.certs_address = (uint64_t)(uintptr_t)certs;
            req.certs_len = (uint32_t)certs_cap;
        }
        memset(resp, 0, sizeof *resp);
        kt_snp_guest_request_ioctl io;
        memset(&io, 0, sizeof io);
        io.msg_version = KT_SNP_MSG_VERSION;
        /* SNP_GET_REPORT reads only the leading snp_report_req of req. */
        io.req_data = (uint64_t)(uintptr_t)&req;
        io.resp_data = (uint64_t)(uintptr_t)resp;

        int rc = tr->ioctl(tr->ctx, fd, request, &io);
        if (rc == 0)
            break;
        int e = -rc;
        if (is_busy(e, io.exitinfo2)) {
            if (attempt >= KT_SNP_MAX_ATTEMPTS) {
                st = kt_fail(err, KT_E_BUSY,
                             "%s on %s: the device stayed busy after %u attempts (host "
                             "throttling guest requests); try again later",
                             what, path, attempt);
                goto out;
            }
            tr->sleep_ms(tr->ctx, kt_snp_backoff_ms(attempt));
            attempt++;
            continue;
        }
        if (certs && e == EIO && KT_SNP_VMM_ERROR(io.exitinfo2) == KT_SNP_VMM_ERR_INVALID_LEN) {
            /* The kernel wrote back the size the host needs; grow once. */
            size_t need = req.certs_len;
            size_t rounded = (need + KT_SNP_PAGE_SIZE - 1) / KT_SNP_PAGE_SIZE * KT_SNP_PAGE_SIZE;
            if (regrown || need <= certs_cap) {
                st = kt_fail(err, KT_E_DEVICE,
                             "%s on %s: the host still reports the %zu-byte certificate buffer "
                             "too small (asks for %zu bytes)",
                             what, path, certs_cap, need);
                goto out;
            }
            if (rounded > KT_SNP_CERTS_MAX) {
                st = kt_fail(err, KT_E_DEVICE,
                             "%s on %s: the host's certificates need %zu bytes, more than the "
                             "limit of %d",
                             what, path, need, KT_SNP_CERTS_MAX);
                goto out;
            }
            uint8_t *bigger = calloc(1, rounded);
            if (!bigger) {
                st = kt_fail_oom(err);
                goto out;
            }
            free(certs);
            certs = bigger;
            certs_cap = rounded;
            regrown = true;
            continue;
        }
        st = ioctl_error(path, what, e, io.exitinfo2, err);
        goto out;
    }

    const uint8_t *report = NULL;
    if ((st = check_response(resp, path, cfg->vmpl, &report, err)) != KT_OK)
        goto out;
    if ((st = kt_snp_check_report(report, KT_REPORT_SIZE, report_data, cfg->vmpl, path, err)) !=
        KT_OK)
        goto out;
    size_t certs_used = 0;
    if (certs &&
        (st = kt_snp_cert_table_extent(certs, certs_cap, &certs_used, path, err)) != KT_OK)
        goto out;
    st = kt_snp_assemble(report, certs, certs_used, path, quote, quote_len, err);

out:
    tr->close(tr->ctx, fd);
    free(certs);
    free(resp);
    return st;
}
