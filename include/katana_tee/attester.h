/*
 * katana-tee — attesters: who produces a quote over 64 bytes of report data.
 *
 * Backends, selected by name:
 *  - "sev-snp": the SEV-SNP guest interfaces of Linux — configfs-tsm
 *    (/sys/kernel/config/tsm/report, preferred when present) and
 *    /dev/sev-guest (SNP_GET_REPORT / SNP_GET_EXT_REPORT). Only in builds
 *    with KATANA_TEE_SNP=ON; otherwise creating it fails with KT_E_NOT_BUILT.
 *  - "mock": Katana's unsigned mock format. No trust at all.
 *  - "azure": an Azure SEV-SNP confidential VM, through its vTPM (azure.h):
 *    the 64 bytes go to NV 0x01400002, the paravisor's HCL report comes
 *    back from NV 0x01400001 and, optionally, a TPM2_Quote by the AK
 *    0x81000003 with the same bytes as nonce. The quote is the evidence JSON
 *    of azure.h. Only in builds with tpm2-tss (KATANA_TEE_AZURE); otherwise
 *    KT_E_NOT_BUILT.
 *  - "sim-azure": the same evidence from the simulator's paravisor
 *    (sim_azure.h), for tests and demos without Azure.
 *
 * Other libraries add backends with kt_attester_register_backend(). The
 * simulator ("sim": a software AMD secure processor, see sim.h) is one: it
 * is deliberately not in libkatana-tee, since its keys sign anything. It
 * lives in the katana-tee-sim test/demo library that the katana-tee program
 * and the tests link; kt_sim_attester_register() adds it. Without that,
 * asking for "sim" fails with KT_E_NOT_BUILT and says so.
 */
#ifndef KATANA_TEE_ATTESTER_H
#define KATANA_TEE_ATTESTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "katana_tee/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kt_attester kt_attester;
struct kt_snp_transport; /* test seam for sev-snp, see src/attester */
struct kt_sim_params;    /* report contents for sim, see sim.h */

#define KT_ATTESTER_DEFAULT_VMPL 1 /* as Katana's SEV-SNP provider */

typedef struct kt_attester_opts {
    const char *backend; /* "sev-snp", "mock", or a registered backend's name */
    int vmpl;            /* 0..3, or -1 for the default (KT_ATTESTER_DEFAULT_VMPL) */
    bool with_certs;     /* sev-snp/sim: append the host's certificate table */

    /* mock */
    const uint8_t *mock_prefix;
    size_t mock_prefix_len;

    /* sev-snp: NULL means the real paths; tests point them elsewhere */
    const char *configfs_root; /* default /sys/kernel/config/tsm/report */
    const char *device_path;   /* default /dev/sev-guest */
    const struct kt_snp_transport *transport; /* NULL = real ioctl */

    /* sim (a registered backend, see above) */
    const char *sim_dir;                     /* key chain made by `katana-tee sim init` */
    const struct kt_sim_params *sim_params;  /* NULL = defaults */

    /* azure */
    const char *tpm_tcti;     /* TCTI config, NULL = "device:/dev/tpmrm0" (e.g. "swtpm:host=..,port=..") */
    bool azure_no_quote;      /* do not take a TPM2_Quote */
    int azure_retries;        /* re-reads of a stale HCL report; 0 = 3, -1 = none */
    unsigned azure_retry_ms;  /* wait before a re-read; 0 = 2100 (paravisor refreshes every 2 s) */
    const char *azure_lock;   /* lock file serialising callers; NULL = /run/lock/katana-tee-azure.lock */
    const char *azure_thim_url; /* with_certs: the host's certificate cache; NULL = Azure's IMDS THIM URL */
} kt_attester_opts;

/*
 * Backend names this process offers, NULL-terminated: the built-in ones
 * (e.g. {"sev-snp","mock"}) then the registered ones. The array is static
 * and rewritten by the next call; do not call it while another thread
 * registers a backend.
 */
KT_API const char *const *kt_attester_backends(void);

/*
 * A backend supplied from outside the library. All pointers, including
 * `name`, must stay valid for the life of the process (static storage).
 * open() receives the caller's options (backend-specific fields included)
 * and returns its context in *ctx; quote() must return malloc'd bytes
 * (callers free them with kt_bytes_free); free() may be NULL.
 */
typedef struct kt_attester_backend {
    const char *name;
    kt_status (*open)(const kt_attester_opts *opts, void **ctx, kt_error *err);
    kt_status (*quote)(void *ctx, const uint8_t report_data[64], uint8_t **quote,
                       size_t *quote_len, kt_error *err);
    void (*free)(void *ctx);
} kt_attester_backend;

/*
 * Make `backend` available to kt_attester_new() under its name. Thread-safe.
 * Registering the same struct again is a no-op (KT_OK). Refuses
 * (KT_E_INVALID_ARG) a missing name/open/quote, a built-in name, or a name
 * another struct already registered; KT_E_TOO_LARGE beyond 8 backends.
 * There is no unregister: a backend stays for the life of the process.
 */
KT_API KT_MUST_CHECK kt_status kt_attester_register_backend(const kt_attester_backend *backend,
                                                            kt_error *err);

/*
 * Create an attester. KT_E_NOT_FOUND for an unknown backend name (the
 * message lists the known ones), KT_E_NOT_BUILT for sev-snp in a build
 * without SEV-SNP support and for "sim" when the simulator library has not
 * registered it, KT_E_INVALID_ARG for a VMPL above 3. Creating the
 * sev-snp attester does not touch the device; the first quote does.
 */
KT_API KT_MUST_CHECK kt_status kt_attester_new(const kt_attester_opts *opts, kt_attester **out,
                                               kt_error *err);

/* Backend name ("sev-snp", "mock", or the registered name). */
KT_API const char *kt_attester_name(const kt_attester *attester);

/*
 * Produce a quote over report_data. *quote is malloc'd wire bytes (free
 * with kt_bytes_free): the raw report (plus certificate table when
 * with_certs and available) or a mock quote.
 */
KT_API KT_MUST_CHECK kt_status kt_attester_quote(kt_attester *attester,
                                                 const uint8_t report_data[64], uint8_t **quote,
                                                 size_t *quote_len, kt_error *err);

KT_API void kt_attester_free(kt_attester **attester);

#ifdef __cplusplus
}
#endif

#endif
