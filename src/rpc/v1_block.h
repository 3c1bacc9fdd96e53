/*
 * Internal: what a v1 attestation and event proof need from one block, read from a
 * Starknet BLOCK_WITH_RECEIPTS object (starknet_getBlockWithReceipts, or a block of a
 * v1 state file, which has the same shape):
 *
 *   block_number, block_hash, new_root             the header
 *   events_commitment | event_commitment           optional: the header's events root
 *   transactions: [{"transaction": TXN, "receipt": RECEIPT}, …]
 *     RECEIPT.transaction_hash, .events [{from_address, keys, data}],
 *     .messages_sent [{from_address, to_address, payload}],
 *     .message_hash (L1_HANDLER receipts: 32 bytes as 0x-hex)
 *     TXN of type L1_HANDLER: contract_address, entry_point_selector, calldata, nonce
 *
 * Felts are "0x" hex below p; everything else a client could send is refused by name.
 */
#ifndef KT_RPC_V1_BLOCK_H
#define KT_RPC_V1_BLOCK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "katana_tee/felt.h"
#include "katana_tee/katana_v1.h"
#include "katana_tee/status.h"

#define KT_V1_BLOCK_MAX_FELTS ((size_t)1 << 22) /* keys, data, payloads, calldata together */
#define KT_V1_BLOCK_MAX_ITEMS ((size_t)1 << 20) /* events, messages */

typedef struct kt_v1_span {
    size_t off, len; /* into kt_v1_block.pool */
} kt_v1_span;

typedef struct kt_v1_block {
    uint64_t number;
    kt_felt hash, root;
    bool has_events_commitment; /* the header states one */
    kt_felt events_commitment;

    kt_felt *pool; /* every variable-length felt list, by span */
    size_t pool_len, pool_cap;

    struct kt_v1_block_event {
        kt_felt tx_hash, from_address;
        kt_v1_span keys, data;
    } *events;
    size_t n_events;

    struct kt_v1_block_l2l1 {
        kt_felt from_address, to_address;
        kt_v1_span payload;
    } *l2_to_l1; /* messages_sent of every receipt, in order */
    size_t n_l2_to_l1;

    kt_felt *l1_to_l2_hashes; /* message_hash of every L1_HANDLER receipt, mod p */
    size_t n_l1_to_l2_hashes;

    struct kt_v1_block_l1l2 {
        kt_felt from_address, to_address, selector, nonce;
        kt_v1_span payload;
    } *l1_to_l2; /* every L1_HANDLER transaction (from = calldata[0]) */
    size_t n_l1_to_l2;
} kt_v1_block;

/*
 * Read one block object. `where` names it in messages ("node block 7"). KT_E_PARSE /
 * KT_E_RANGE naming the member, KT_E_UNSUPPORTED for a pending block (no block_hash,
 * status PENDING/PRE_CONFIRMED), KT_E_TOO_LARGE past the caps, KT_E_NOMEM. *out is
 * zeroed first; free it even on failure.
 */
kt_status kt_v1_block_parse(const json_t *obj, const char *where, kt_v1_block *out,
                            kt_error *err);

void kt_v1_block_free(kt_v1_block *b);

/* The block's events as the library takes them (pointers into b; malloc'd array). */
kt_status kt_v1_block_events(const kt_v1_block *b, kt_v1_event **out, kt_error *err);

/* The events root computed from the block's events (Katana's leaf rule). */
kt_status kt_v1_block_events_root(const kt_v1_block *b, kt_felt *root, kt_error *err);

#endif
