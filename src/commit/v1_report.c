/* Schema v1 report data: the appchain and sharding commitments and the 64
 * bytes (Katana crates/tee/src/attestation.rs @ 678ba9d7:
 * compute_appchain_commitment, compute_report_data_sharding,
 * encode_report_data). */
#include <string.h>

#include "katana_tee/katana_v1.h"
#include "katana_tee/poseidon.h"
#include "util/error.h"

void kt_v1_commit_set_genesis(kt_v1_commit_input *in) {
    in->prev_block_number = kt_v1_felt_max();
    in->prev_state_root = kt_felt_from_u64(0);
    in->prev_block_hash = kt_felt_from_u64(0);
}

kt_status kt_commit_v1_felt(const kt_v1_commit_input *in, kt_felt *commitment,
                            kt_felt preimage[11], size_t *preimage_len, kt_error *err) {
    if (!in || !commitment)
        return kt_fail(err, KT_E_INVALID_ARG, "v1 commitment: missing argument");
    kt_felt xs[11];
    size_t n = 0;
    xs[n++] = kt_v1_tag_felt(KT_V1_TAG_REPORT);
    switch (in->mode) {
    case KT_V1_APPCHAIN: xs[n++] = kt_v1_tag_felt(KT_V1_TAG_APPCHAIN); break;
    case KT_V1_SHARDING: xs[n++] = kt_v1_tag_felt(KT_V1_TAG_SHARDING); break;
    default:
        return kt_fail(err, KT_E_INVALID_ARG, "v1 commitment: unknown mode %d", (int)in->mode);
    }
    xs[n++] = in->prev_state_root;
    xs[n++] = in->state_root;
    xs[n++] = in->prev_block_hash;
    xs[n++] = in->block_hash;
    xs[n++] = in->prev_block_number;
    xs[n++] = in->block_number;
    if (in->mode == KT_V1_APPCHAIN) {
        xs[n++] = in->messages_commitment;
    } else {
        xs[n++] = in->fork_block_number;
        xs[n++] = in->events_commitment;
    }
    xs[n++] = in->config_hash;
    *commitment = kt_poseidon_hash_many(xs, n);
    if (preimage)
        memcpy(preimage, xs, n * sizeof xs[0]);
    if (preimage_len)
        *preimage_len = n;
    return KT_OK;
}

kt_status kt_commit_v1(const kt_v1_commit_input *in, uint8_t report_data[KT_REPORT_DATA_SIZE],
                       kt_error *err) {
    if (!report_data)
        return kt_fail(err, KT_E_INVALID_ARG, "v1 report data: missing argument");
    kt_felt c;
    kt_status st = kt_commit_v1_felt(in, &c, NULL, NULL, err);
    if (st != KT_OK)
        return st;
    kt_felt_to_be32(&c, report_data);
    kt_felt_to_be32(&in->config_hash, report_data + 32);
    return KT_OK;
}
