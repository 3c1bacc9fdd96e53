/*
 * Internal: the pieces of the sev-snp attester, shared by its files and
 * callable from unit tests (which link the static library).
 */
#ifndef KT_ATTESTER_SNP_INTERNAL_H
#define KT_ATTESTER_SNP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attester/snp_abi.h"
#include "attester/snp_transport.h"
#include "katana_tee/status.h"

#define KT_SNP_DEFAULT_CONFIGFS_ROOT "/sys/kernel/config/tsm/report"
#define KT_SNP_DEFAULT_DEVICE "/dev/sev-guest"

/* Busy/throttled device: attempts in all, and the back-off before retry n
 * (1-based) is KT_SNP_BACKOFF_BASE_MS << (n-1): 100+200+400+800 = 1.5 s. */
#define KT_SNP_MAX_ATTEMPTS 5
#define KT_SNP_BACKOFF_BASE_MS 100

/* Certificate buffer for SNP_GET_EXT_REPORT: first try, and hard cap. The
 * first size is the kernel's own intermediate buffer (SEV_FW_BLOB_MAX_SIZE),
 * so one round trip normally suffices. */
#define KT_SNP_CERTS_INITIAL (4 * KT_SNP_PAGE_SIZE)
#define KT_SNP_CERTS_MAX (64 * KT_SNP_PAGE_SIZE)

/* outblob larger than this is not an SEV-SNP report; auxblob cap as above. */
#define KT_SNP_OUTBLOB_MAX (16 * 1024)

/* A resolved configuration with every seam member filled in. */
typedef struct kt_snp_cfg {
    const char *configfs_root;
    const char *device_path;
    uint32_t vmpl;
    bool with_certs;
    kt_snp_transport tr;
} kt_snp_cfg;

/* Fill NULL members of tr with the real open/ioctl/close/sleep. */
void kt_snp_transport_defaults(kt_snp_transport *tr);

/* Back-off before retry `retry` (1-based). */
unsigned kt_snp_backoff_ms(unsigned retry);

/* Name of a firmware status code ("invalid parameters"), or NULL if unknown. */
const char *kt_snp_fw_status_name(uint32_t status);

/* Describe exitinfo2 in words into buf ("firmware status 0x16 (invalid
 * parameters)", "host error 2 (busy)", ...). */
void kt_snp_describe_exitinfo2(uint64_t exitinfo2, char *buf, size_t cap);

/*
 * Check a report the platform returned for our request: exactly 1184 bytes,
 * parses strictly (kt_report_parse), VMPL and REPORT_DATA equal what was
 * requested. `source` names where it came from in messages. KT_E_DEVICE on
 * any mismatch.
 */
kt_status kt_snp_check_report(const uint8_t *report, size_t len, const uint8_t report_data[64],
                              uint32_t vmpl, const char *source, kt_error *err);

/*
 * Find how much of a certificate buffer the table uses: entries up to the
 * all-zero terminator, and the data they point to. *used is 0 when the
 * table is empty (the host supplied no certificates). KT_E_DEVICE when an
 * entry points outside the buffer or no terminator fits in it.
 */
kt_status kt_snp_cert_table_extent(const uint8_t *buf, size_t len, size_t *used, const char *source,
                                   kt_error *err);

/*
 * Quote = report || certificate table (table omitted when cert_len is 0).
 * The table is parsed strictly first (kt_cert_table_parse).
 */
kt_status kt_snp_assemble(const uint8_t *report, const uint8_t *certs, size_t certs_len,
                          const char *source, uint8_t **quote, size_t *quote_len, kt_error *err);

/* The /dev/sev-guest path. KT_E_NO_DEVICE when the device does not exist. */
kt_status kt_snp_quote_ioctl(const kt_snp_cfg *cfg, const uint8_t report_data[64], uint8_t **quote,
                             size_t *quote_len, kt_error *err);

/*
 * The configfs-tsm path. *no_provider is set (and KT_E_NO_DEVICE returned)
 * when the root exists but the kernel refuses to create entries because no
 * TSM provider is registered (mkdir: ENXIO/ENODEV); the caller then falls
 * back to the device.
 */
kt_status kt_snp_quote_tsm(const kt_snp_cfg *cfg, const uint8_t report_data[64], uint8_t **quote,
                           size_t *quote_len, bool *no_provider, kt_error *err);

/*
 * The error for a failed configfs-tsm operation `op` ("create", "write",
 * "read") on `path` with errno e. Sets *busy (and returns KT_E_BUSY) for
 * errors worth a retry.
 */
kt_status kt_snp_tsm_errno(const char *op, const char *path, int e, bool *busy, kt_error *err);

#endif
