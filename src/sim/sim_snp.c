/* A simulated SEV-SNP guest platform for the sev-snp attester's seam (see sim_snp.h). */
#include "sim/sim_snp.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attester/snp_abi.h"
#include "util/error.h"
#include "util/fileio.h"

#define SIM_FD 4242 /* never a real descriptor the attester could confuse with one */
#define ATTR_MAX 4096

static bool all_zero(const uint8_t *p, size_t n) {
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

/* Report (and table, when asked) for report_data at vmpl; split into its two parts. */
static kt_status make_quote(kt_sim_snp *chip, const uint8_t report_data[64], uint32_t vmpl,
                            bool with_certs, uint8_t **quote, size_t *len) {
    kt_sim_params p = chip->params;
    p.vmpl = vmpl;
    memset(&chip->last_error, 0, sizeof chip->last_error);
    return kt_sim_quote(chip->sim, &p, report_data, quote, len, with_certs, &chip->last_error);
}

static int sim_open(void *ctx, const char *path) {
    kt_sim_snp *chip = ctx;
    (void)path;
    chip->opens++;
    return SIM_FD;
}

static void sim_close(void *ctx, int fd) {
    kt_sim_snp *chip = ctx;
    if (fd == SIM_FD)
        chip->closes++;
}

static void sim_sleep(void *ctx, unsigned ms) {
    (void)ctx;
    (void)ms; /* a simulated chip is never busy */
}

static int sim_ioctl(void *ctx, int fd, unsigned long request, void *arg) {
    kt_sim_snp *chip = ctx;
    if (fd != SIM_FD || !arg)
        return -EBADF;
    bool ext = request == KT_SNP_GET_EXT_REPORT;
    if (request != KT_SNP_GET_REPORT && !ext)
        return -ENOTTY;
    chip->requests++;
    kt_snp_guest_request_ioctl io;
    memcpy(&io, arg, sizeof io);
    if (io.msg_version != KT_SNP_MSG_VERSION || !io.req_data || !io.resp_data)
        return -EINVAL;
    kt_snp_ext_report_req req;
    memset(&req, 0, sizeof req);
    memcpy(&req, (const void *)(uintptr_t)io.req_data,
           ext ? sizeof(kt_snp_ext_report_req) : sizeof(kt_snp_report_req));
    if (!all_zero(req.data.rsvd, sizeof req.data.rsvd) || req.data.vmpl > 3)
        return -EINVAL;
    if (ext && (!req.certs_address || req.certs_len % KT_SNP_PAGE_SIZE != 0))
        return -EINVAL;

    uint8_t *quote = NULL;
    size_t qlen = 0;
    if (make_quote(chip, req.data.user_data, req.data.vmpl, ext, &quote, &qlen) != KT_OK) {
        io.exitinfo2 = 0x16; /* firmware: invalid parameters */
        memcpy(arg, &io, sizeof io);
        return -EIO;
    }
    size_t table_len = qlen - KT_REPORT_SIZE;
    if (ext && table_len > req.certs_len) {
        /* the host says how much it needs, in pages, and the firmware never ran */
        size_t need = (table_len + KT_SNP_PAGE_SIZE - 1) / KT_SNP_PAGE_SIZE * KT_SNP_PAGE_SIZE;
        req.certs_len = (uint32_t)need;
        memcpy((void *)(uintptr_t)io.req_data, &req, sizeof req);
        io.exitinfo2 = (uint64_t)KT_SNP_VMM_ERR_INVALID_LEN << 32;
        memcpy(arg, &io, sizeof io);
        chip->too_small++;
        free(quote);
        return -EIO;
    }
    kt_snp_report_resp *resp = (kt_snp_report_resp *)(uintptr_t)io.resp_data;
    memset(resp, 0, sizeof *resp);
    const uint32_t status = 0, size = KT_REPORT_SIZE;
    memcpy(resp->data + KT_SNP_RESP_STATUS_OFF, &status, 4); /* x86-64: little-endian */
    memcpy(resp->data + KT_SNP_RESP_REPORT_SIZE_OFF, &size, 4);
    memcpy(resp->data + KT_SNP_RESP_REPORT_OFF, quote, KT_REPORT_SIZE);
    if (ext) {
        uint8_t *certs = (uint8_t *)(uintptr_t)req.certs_address;
        memset(certs, 0, req.certs_len);
        memcpy(certs, quote + KT_REPORT_SIZE, table_len);
    }
    io.exitinfo2 = 0;
    memcpy(arg, &io, sizeof io);
    free(quote);
    return 0;
}

/* ---- configfs-tsm ---------------------------------------------------------------- */

static int put_attr(const char *entry, const char *name, const void *data, size_t len) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", entry, name);
    kt_error err = {0};
    return kt_file_write_atomic(path, data, len, 0644, &err) == KT_OK ? 0 : EIO;
}

static int get_attr(const char *entry, const char *name, uint8_t **data, size_t *len) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", entry, name);
    kt_error err = {0};
    return kt_file_read(path, ATTR_MAX, data, len, &err) == KT_OK ? 0 : EIO;
}

static int tsm_created(const char *entry) {
    int rc = put_attr(entry, "provider", "sev_guest\n", 10);
    if (!rc)
        rc = put_attr(entry, "generation", "0\n", 2);
    if (!rc)
        rc = put_attr(entry, "privlevel", "", 0);
    if (!rc)
        rc = put_attr(entry, "privlevel_floor", "0\n", 2);
    if (!rc)
        rc = put_attr(entry, "inblob", "", 0);
    return rc;
}

/* After our privlevel and inblob writes: count them, then answer as the firmware. */
static int tsm_written(kt_sim_snp *chip, const char *entry) {
    uint8_t *priv = NULL, *inblob = NULL;
    size_t priv_len = 0, in_len = 0;
    int rc = get_attr(entry, "privlevel", &priv, &priv_len);
    if (!rc)
        rc = get_attr(entry, "inblob", &inblob, &in_len);
    unsigned long vmpl = rc ? 0 : strtoul((const char *)priv, NULL, 10);
    if (!rc && (in_len > 64 || vmpl > 3))
        rc = EINVAL;
    uint8_t report_data[64] = {0};
    if (!rc)
        memcpy(report_data, inblob, in_len);
    free(priv);
    free(inblob);
    if (rc)
        return rc;
    chip->requests++;
    if (put_attr(entry, "generation", "2\n", 2) != 0)
        return EIO;
    uint8_t *quote = NULL;
    size_t qlen = 0;
    if (make_quote(chip, report_data, (uint32_t)vmpl, true, &quote, &qlen) != KT_OK)
        return EIO;
    rc = put_attr(entry, "outblob", quote, KT_REPORT_SIZE);
    if (!rc)
        rc = put_attr(entry, "auxblob", quote + KT_REPORT_SIZE, qlen - KT_REPORT_SIZE);
    free(quote);
    return rc;
}

/* configfs removes the attributes with the directory; a plain directory needs them gone. */
static void tsm_removing(const char *entry) {
    DIR *d = opendir(entry);
    if (!d)
        return;
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", entry, de->d_name);
        unlink(path);
    }
    closedir(d);
}

static int sim_tsm_step(void *ctx, const char *entry, kt_snp_tsm_step step) {
    kt_sim_snp *chip = ctx;
    switch (step) {
    case KT_SNP_TSM_CREATED: return -tsm_created(entry);
    case KT_SNP_TSM_WRITTEN: return -tsm_written(chip, entry);
    case KT_SNP_TSM_READ: return 0;
    case KT_SNP_TSM_REMOVING: tsm_removing(entry); return 0;
    }
    return 0;
}

void kt_sim_snp_init(kt_sim_snp *chip, const kt_sim *sim, kt_snp_transport *tr) {
    memset(chip, 0, sizeof *chip);
    chip->sim = sim;
    kt_sim_params_default(sim, &chip->params);
    memset(tr, 0, sizeof *tr);
    tr->ctx = chip;
    tr->open = sim_open;
    tr->ioctl = sim_ioctl;
    tr->close = sim_close;
    tr->sleep_ms = sim_sleep;
    tr->tsm_step = sim_tsm_step;
}
