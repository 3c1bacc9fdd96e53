/*
 * katana-tee — the simulator's Azure paravisor: HCL reports and vTPM quotes.
 *
 * Built on a simulator directory (sim.h). It plays what Azure's paravisor and
 * vTPM do: an SNP report at VMPL 0 with policy 0x3001F whose REPORT_DATA is
 * SHA-256(runtime claims) || 32 zero bytes, wrapped in an HCL report whose
 * claims list an RSA-2048 attestation key (HCLAkPub) and the guest's 64
 * bytes as "user-data"; and a TPM2_Quote over SHA-256 PCRs 0..23 signed by
 * that key (RSASSA-PKCS1-v1_5, SHA-256). Like every simulator output it is
 * real-format and really signed, and trusted by nobody unless told to.
 */
#ifndef KATANA_TEE_SIM_AZURE_H
#define KATANA_TEE_SIM_AZURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "katana_tee/sim.h"
#include "katana_tee/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kt_sim_azure kt_sim_azure;

/*
 * A simulated paravisor over `sim` (borrowed; must outlive it). Generates
 * the RSA-2048 attestation key, or uses the public key given as PEM/DER
 * SubjectPublicKeyInfo (ak_pub, e.g. a real TPM's AK: then only HCL reports,
 * not quotes, can be made). KT_E_PARSE for an unusable ak_pub.
 */
KT_API KT_MUST_CHECK kt_status kt_sim_azure_new(const kt_sim *sim, const uint8_t *ak_pub,
                                                size_t ak_pub_len, kt_sim_azure **out,
                                                kt_error *err);
KT_API void kt_sim_azure_free(kt_sim_azure **az);

/* Make the "sim-azure" attester available to kt_attester_new(): Azure evidence from the
 * simulator's paravisor (opts.sim_dir names a `katana-tee sim init` folder; VMPL 0 and
 * policy 0x3001F unless opts says otherwise). Idempotent. Lives in katana-tee-sim, never in
 * libkatana-tee (its keys sign anything), like kt_sim_attester_register (sim.h). */
KT_API KT_MUST_CHECK kt_status kt_sim_azure_attester_register(kt_error *err);

typedef struct kt_sim_azure_opts {
    const kt_sim_params *params; /* NULL = the sim's defaults with VMPL 0, policy 0x3001F */
    uint32_t header_version;     /* 1 or 2; 0 = 2 */
    size_t nv_size;              /* pad the HCL report to this size; 0 = 2600 (Azure's) */
    bool with_ek;                /* also list an HCLEkPub (claims grow by ~400 bytes) */
    bool uppercase;              /* user-data in uppercase hex, as Azure writes it */
    bool omit_user_data;         /* no "user-data" key (older paravisors) */
    const char *user_data_text;  /* tests: this exact "user-data" string instead */
} kt_sim_azure_opts;

/*
 * An HCL report with `user_data` in the claims. *out malloc'd
 * (kt_bytes_free). KT_E_INVALID_ARG when the report does not fit nv_size.
 */
KT_API KT_MUST_CHECK kt_status kt_sim_azure_hcl(const kt_sim_azure *az,
                                                const kt_sim_azure_opts *opts,
                                                const uint8_t user_data[64], uint8_t **out,
                                                size_t *out_len, kt_error *err);

/*
 * A TPMS_ATTEST quote over the simulated PCRs (SHA-256 PCR i = SHA-256 of
 * "katana-tee sim PCR <i>") with `nonce` (≤ 64 bytes) and its TPMT_SIGNATURE
 * by the AK. KT_E_INVALID_ARG when the AK was given as a public key only.
 */
KT_API KT_MUST_CHECK kt_status kt_sim_azure_tpm_quote(const kt_sim_azure *az,
                                                      const uint8_t *nonce, size_t nonce_len,
                                                      uint8_t **msg, size_t *msg_len,
                                                      uint8_t **sig, size_t *sig_len,
                                                      kt_error *err);

/* The simulated value of PCR `index` (0..23). */
KT_API void kt_sim_azure_pcr(unsigned index, uint8_t out[32]);

/*
 * Complete evidence in this project's JSON (azure.h): the HCL report with
 * `report_data` as user-data, the TPM quote with the same 64 bytes as nonce
 * (when with_quote) and the VCEK, ASK and ARK (when with_certs), as Azure's
 * host certificate cache gives them. *out malloc'd
 * (kt_bytes_free), NUL-terminated.
 */
KT_API KT_MUST_CHECK kt_status kt_sim_azure_evidence(const kt_sim_azure *az,
                                                     const kt_sim_azure_opts *opts,
                                                     const uint8_t report_data[64],
                                                     bool with_quote, bool with_certs,
                                                     uint8_t **out, size_t *out_len,
                                                     kt_error *err);

#ifdef __cplusplus
}
#endif

#endif
