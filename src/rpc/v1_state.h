/*
 * Internal: the v1 state file, for setups without a node. A JSON object
 *   {"blocks": [BLOCK_WITH_RECEIPTS, …]}
 * whose blocks have the shape starknet_getBlockWithReceipts answers (see v1_block.h),
 * each number at most once. Read once at start (at most KT_V1_STATE_FILE_MAX bytes).
 */
#ifndef KT_RPC_V1_STATE_H
#define KT_RPC_V1_STATE_H

#include "rpc/v1_block.h"

#define KT_V1_STATE_FILE_MAX ((size_t)64 << 20)
#define KT_V1_STATE_MAX_BLOCKS 10000

typedef struct kt_v1_state {
    kt_v1_block *blocks;
    size_t n;
} kt_v1_state;

/* Parse the text of a v1 state file (KT_E_PARSE naming the block and member). */
kt_status kt_v1_state_parse(const uint8_t *text, size_t len, kt_v1_state *out, kt_error *err);

/* Read and parse the file (KT_E_IO, or the parse error with the path). */
kt_status kt_v1_state_load(const char *path, kt_v1_state *out, kt_error *err);

/* The block with this number, or NULL. */
const kt_v1_block *kt_v1_state_find(const kt_v1_state *st, uint64_t number);

void kt_v1_state_free(kt_v1_state *st);

#endif
