#include "katana_tee/commit.h"

#include <string.h>

#include "katana_tee/poseidon.h"

kt_felt kt_commit_v0_felt(const kt_felt *state_root, const kt_felt *block_hash) {
    return kt_poseidon_hash(state_root, block_hash);
}

void kt_commit_v0(const kt_felt *state_root, const kt_felt *block_hash,
                  uint8_t report_data[KT_REPORT_DATA_SIZE]) {
    kt_felt c = kt_commit_v0_felt(state_root, block_hash);
    kt_felt_to_be32(&c, report_data);
    memset(report_data + 32, 0, 32);
}
