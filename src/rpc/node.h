/*
 * Internal: where the attested chain state comes from — a Starknet node
 * (JSON-RPC, starknet_getBlockWithTxHashes) or a state file — and the
 * block-id forms tee_generateQuote accepts.
 */
#ifndef KT_RPC_NODE_H
#define KT_RPC_NODE_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <pthread.h>

#include "http/http.h"
#include "katana_tee/felt.h"
#include "katana_tee/status.h"
#include "rpc/v1_block.h"

/* The state one attestation binds. */
/*
 * Block numbers: one range everywhere, 0..KT_BLOCK_NUMBER_MAX (2^63-1, what a JSON
 * integer and Katana's storage can hold). Larger values are refused where they enter.
 */
#define KT_BLOCK_NUMBER_MAX ((uint64_t)INT64_MAX)

typedef struct kt_block_state {
    uint64_t block_number;
    kt_felt block_hash;
    kt_felt state_root;
} kt_block_state;

bool kt_block_state_equal(const kt_block_state *a, const kt_block_state *b);

typedef enum kt_block_id_kind {
    KT_BLOCK_ID_LATEST = 0,
    KT_BLOCK_ID_L1_ACCEPTED,
    KT_BLOCK_ID_NUMBER,
    KT_BLOCK_ID_HASH,
} kt_block_id_kind;

/* A Starknet BLOCK_ID, minus the pending/pre_confirmed tags (never attested). */
typedef struct kt_block_id {
    kt_block_id_kind kind;
    uint64_t number; /* KT_BLOCK_ID_NUMBER */
    kt_felt hash;    /* KT_BLOCK_ID_HASH */
} kt_block_id;

/*
 * Parse a BLOCK_ID: "latest", "l1_accepted", {"block_number": N} or
 * {"block_hash": "0x…"}. KT_E_UNSUPPORTED for "pending"/"pre_confirmed"
 * (pending blocks are never attested), KT_E_PARSE for anything else; the
 * message says what was wrong.
 */
kt_status kt_block_id_from_json(const json_t *v, kt_block_id *out, kt_error *err);

/*
 * Member `name` of obj as a felt: a JSON string, "0x" hex when hex_only (the Starknet
 * spec's FELT), else hex or decimal; below p. `where` names obj in the message.
 */
kt_status kt_rpc_json_felt(const json_t *obj, const char *name, bool hex_only, kt_felt *out,
                           const char *where, kt_error *err);
/* Member `name` as a block number 0..KT_BLOCK_NUMBER_MAX: a JSON integer (or, when
 * allow_string, a decimal/0x-hex string). */
kt_status kt_rpc_json_u64(const json_t *obj, const char *name, bool allow_string, uint64_t *out,
                          const char *where, kt_error *err);

/* JSON form of a block id (new reference), as the Starknet spec writes it. */
json_t *kt_block_id_to_json(const kt_block_id *id);

/* ---- the node -------------------------------------------------------------------- */

typedef struct kt_node {
    const char *url;        /* borrowed */
    const char *shown;      /* borrowed: the origin (scheme://host:port), the only part of
                               the URL error messages may show */
    long connect_timeout_ms; /* 0 = 2000 */
    long timeout_ms;        /* 0 = 10000 */
    size_t max_body;        /* 0 = KT_HTTP_DEFAULT_MAX_BODY */
    atomic_uint_fast64_t next_id;
} kt_node;

/*
 * Ask the node for one block with ONE starknet_getBlockWithTxHashes call
 * (params by name: {"block_id": …}) and take block_number, block_hash and
 * new_root from that one answer. Fails with:
 *  - KT_E_NETWORK: the node is unreachable or timed out;
 *  - KT_E_HTTP: the node answered with an HTTP status other than 200;
 *  - KT_E_PARSE: the answer is not a JSON-RPC 2.0 response to our id with a
 *    block object holding those fields as felts / a u64;
 *  - KT_E_NOT_FOUND: the node answered with a JSON-RPC error (its code and
 *    message are in ours), e.g. 24 BLOCK_NOT_FOUND;
 *  - KT_E_UNSUPPORTED: the block is pending (no block_hash, or status
 *    PENDING/PRE_CONFIRMED): pending blocks are never attested;
 *  - KT_E_TOO_LARGE: the answer exceeds max_body.
 */
kt_status kt_node_get_block(kt_node *node, const kt_block_id *id, kt_block_state *out,
                            kt_error *err);

/* The pure part of kt_node_get_block: check and read one answer body. */
kt_status kt_node_parse_block(const uint8_t *body, size_t len, uint64_t expected_id,
                              kt_block_state *out, kt_error *err);

/*
 * Schema v1: one starknet_getBlockWithReceipts call for block `number` ({"block_id":
 * {"block_number": N}}), read by kt_v1_block_parse. Errors as kt_node_get_block; an
 * answer for another block than asked is KT_E_NOT_FOUND.
 */
kt_status kt_node_get_block_receipts(kt_node *node, uint64_t number, kt_v1_block *out,
                                     kt_error *err);

/* starknet_blockNumber, for health probes. */
kt_status kt_node_block_number(kt_node *node, uint64_t *out, kt_error *err);

/*
 * Forward a JSON-RPC body to the node unchanged (POST, application/json)
 * and hand back the node's answer (status, body, content type) as is.
 */
kt_status kt_node_forward(kt_node *node, const uint8_t *body, size_t len, kt_http_response *resp,
                          kt_error *err);

/* ---- the state file --------------------------------------------------------------- */

#define KT_STATE_FILE_MAX 65536

/*
 * Parse a state file: a JSON object {"stateRoot": FELT, "blockHash": FELT,
 * "blockNumber": N} where felts are strings (0x-hex or decimal) and N is a
 * non-negative JSON integer or a 0x-hex/decimal string below 2^64. Unknown
 * members are ignored; missing or malformed ones are refused by name.
 */
kt_status kt_state_parse(const uint8_t *text, size_t len, kt_block_state *out, kt_error *err);

typedef struct kt_state_file {
    const char *path; /* borrowed */
    pthread_mutex_t mu;
    bool loaded;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    kt_block_state state;
} kt_state_file;

/* Initialise and read the file once (so a bad file is reported at startup). */
kt_status kt_state_file_open(kt_state_file *sf, const char *path, kt_error *err);

/*
 * The current state: the file is stat'ed on every call and re-read when its
 * inode, size or modification time changed. A file that fails to read or
 * parse is an error for this call (and is read again on the next one).
 */
kt_status kt_state_file_get(kt_state_file *sf, kt_block_state *out, kt_error *err);

void kt_state_file_close(kt_state_file *sf);

#endif
