/*
 * katana-tee — report-data schemas: how chain state is bound into the 64
 * bytes of REPORT_DATA that the hardware signs.
 *
 * Schema v0 (Katana's original):
 *   report_data = BE32(poseidon_hash(state_root, block_hash)) || 32 zero bytes
 */
#ifndef KATANA_TEE_COMMIT_H
#define KATANA_TEE_COMMIT_H

#include <stdint.h>

#include "katana_tee/felt.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KT_REPORT_DATA_SIZE 64

/* The v0 commitment felt: poseidon_hash(state_root, block_hash). */
KT_API kt_felt kt_commit_v0_felt(const kt_felt *state_root, const kt_felt *block_hash);

/* The 64-byte v0 report data for a state. */
KT_API void kt_commit_v0(const kt_felt *state_root, const kt_felt *block_hash,
                         uint8_t report_data[KT_REPORT_DATA_SIZE]);

#ifdef __cplusplus
}
#endif

#endif
