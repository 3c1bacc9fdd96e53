/*
 * The sev-snp attester: chooses the Linux interface per quote. configfs-tsm
 * is preferred when its root directory exists (kernel >= 6.7; it serialises
 * requests per entry and needs no ioctl ABI); otherwise /dev/sev-guest.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "attester/attester_internal.h"
#include "attester/snp_internal.h"
#include "util/error.h"

typedef struct snp_ctx {
    char *configfs_root;
    char *device_path;
    kt_snp_cfg cfg;
} snp_ctx;

static kt_status no_device(const kt_snp_cfg *cfg, bool tsm_without_provider, kt_error *err) {
    if (tsm_without_provider)
        return kt_fail(err, KT_E_NO_DEVICE,
                       "no SEV-SNP guest interface: %s has no provider registered and %s does "
                       "not exist — is this an SEV-SNP guest?",
                       cfg->configfs_root, cfg->device_path);
    return kt_fail(err, KT_E_NO_DEVICE,
                   "no SEV-SNP guest interface: neither %s nor %s exists — is this an SEV-SNP "
                   "guest?",
                   cfg->configfs_root, cfg->device_path);
}

static kt_status snp_quote(void *ctx, const uint8_t report_data[64], uint8_t **quote,
                           size_t *quote_len, kt_error *err) {
    const kt_snp_cfg *cfg = &((snp_ctx *)ctx)->cfg;
    struct stat st;
    bool tsm_without_provider = false;
    int rc = stat(cfg->configfs_root, &st);
    int e = rc == 0 ? 0 : errno;
    if (rc == 0 && S_ISDIR(st.st_mode)) {
        kt_status s = kt_snp_quote_tsm(cfg, report_data, quote, quote_len, &tsm_without_provider,
                                       err);
        if (!tsm_without_provider)
            return s;
        /* configfs-tsm is there but no provider: the device may still be */
    } else if (e == EACCES) {
        return kt_fail(err, KT_E_PERMISSION,
                       "permission denied looking up %s: run as root or grant access",
                       cfg->configfs_root);
    }
    kt_status s = kt_snp_quote_ioctl(cfg, report_data, quote, quote_len, err);
    if (s == KT_E_NO_DEVICE)
        return no_device(cfg, tsm_without_provider, err);
    return s;
}

static void snp_free(void *ctx) {
    snp_ctx *c = ctx;
    if (!c)
        return;
    free(c->configfs_root);
    free(c->device_path);
    free(c);
}

static const kt_attester_ops snp_ops = {"sev-snp", snp_quote, snp_free};

kt_status kt_attester_snp_open(const kt_attester_opts *opts, const kt_attester_ops **ops,
                               void **ctx, kt_error *err) {
    snp_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return kt_fail(err, KT_E_NOMEM, "out of memory creating sev-snp attester");
    c->configfs_root =
        strdup(opts->configfs_root ? opts->configfs_root : KT_SNP_DEFAULT_CONFIGFS_ROOT);
    c->device_path = strdup(opts->device_path ? opts->device_path : KT_SNP_DEFAULT_DEVICE);
    if (!c->configfs_root || !c->device_path) {
        snp_free(c);
        return kt_fail(err, KT_E_NOMEM, "out of memory creating sev-snp attester");
    }
    c->cfg.configfs_root = c->configfs_root;
    c->cfg.device_path = c->device_path;
    c->cfg.vmpl = opts->vmpl < 0 ? KT_ATTESTER_DEFAULT_VMPL : (uint32_t)opts->vmpl;
    c->cfg.with_certs = opts->with_certs;
    if (opts->transport)
        c->cfg.tr = *opts->transport;
    kt_snp_transport_defaults(&c->cfg.tr);
    *ops = &snp_ops;
    *ctx = c;
    return KT_OK;
}
