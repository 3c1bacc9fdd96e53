/*
 * Internal (katana-tee-sim): a simulated SEV-SNP guest platform behind the
 * sev-snp attester's seam (src/attester/snp_transport.h), so the real
 * attester code — the /dev/sev-guest ioctl path and the configfs-tsm path —
 * runs end to end against a simulated chip, in every build and CI run.
 *
 *  - ioctl: answers SNP_GET_REPORT and SNP_GET_EXT_REPORT as the kernel and
 *    firmware do: MSG_REPORT_RSP (status 0, report_size 1184, the report at
 *    0x20) with REPORT_DATA and VMPL from the request; for the extended
 *    report the certificate table, or INVALID_LEN with the size needed
 *    (rounded to pages) when the buffer is too small. Reserved request bytes
 *    that are not zero are refused with EINVAL, as the driver does.
 *  - tsm_step: plays the kernel's configfs-tsm part on a plain directory
 *    (attribute files after mkdir, generation counting our two writes,
 *    outblob/auxblob after inblob, an empty entry before rmdir).
 *
 * Reports come from kt_sim_quote with the simulator's defaults (override
 * chip->params after kt_sim_snp_init). Not thread-safe; one chip per test.
 */
#ifndef KT_SIM_SNP_H
#define KT_SIM_SNP_H

#include <stdbool.h>

#include "attester/snp_transport.h"
#include "katana_tee/sim.h"

typedef struct kt_sim_snp {
    const kt_sim *sim;
    kt_sim_params params; /* vmpl is taken from each request */
    /* observed, for tests */
    int opens, closes, requests, too_small;
    kt_error last_error; /* why the simulated firmware failed, if it did */
} kt_sim_snp;

/* Set up chip over sim (borrowed) and fill *tr with its callbacks. */
void kt_sim_snp_init(kt_sim_snp *chip, const kt_sim *sim, kt_snp_transport *tr);

#endif
