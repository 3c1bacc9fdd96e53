/*
 * katana-tee — Katana's current TEE attestation schema ("v1").
 *
 * What dojoengine/katana serves since 9f4f7212 and, unchanged, at HEAD
 * 678ba9d7 (TEE code last touched by eb76792c): the 64-byte report data,
 * the `tee_generateQuote(prev_block_id, block_id)` answer (BlockAttestation),
 * the `tee_getEventProof(block_number, event_index)` answer
 * (EventProofResponse) and the events tree behind it. The rules, each with
 * its Katana source, are in ../shared/docs/KATANA-V1.md; docs/katana-v1.md
 * says how katana-tee uses them. Schema v0 stays in commit.h.
 *
 * Primitives:
 *   hash_many(xs)  = kt_poseidon_hash_many (Katana's Poseidon::hash_array,
 *                    no length prefix)
 *   pedersen_array = kt_pedersen_hash_array (compute_hash_on_elements)
 *
 * Report data (crates/tee/src/attestation.rs @ 678ba9d7):
 *   appchain: c = hash_many([Report1, Appchain, prev_state_root, state_root,
 *             prev_block_hash, block_hash, prev_block_number, block_number,
 *             messages_commitment, config_hash])
 *   sharding: c = hash_many([Report1, Sharding, prev_state_root, state_root,
 *             prev_block_hash, block_hash, prev_block_number, block_number,
 *             fork_block_number, events_commitment, config_hash])
 *   report_data = BE32(c) || BE32(config_hash)
 *   config_hash = pedersen_array([Config1, chain_id, fee_token])
 *             (crates/chain-spec/src/tee.rs @ 678ba9d7)
 *
 * Thread safety: every function is reentrant; none keeps state except the
 * Pedersen tables (see pedersen.h).
 */
#ifndef KATANA_TEE_KATANA_V1_H
#define KATANA_TEE_KATANA_V1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "katana_tee/commit.h"
#include "katana_tee/felt.h"
#include "katana_tee/status.h"
#include "katana_tee/verify.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- tags and constants (crates/chain-spec/src/tee.rs @ 678ba9d7) -------- */

typedef enum kt_v1_tag {
    KT_V1_TAG_CONFIG = 0, /* 'KatanaTeeConfig1'  = 0x4b6174616e61546565436f6e66696731 */
    KT_V1_TAG_REPORT,     /* 'KatanaTeeReport1'  = 0x4b6174616e615465655265706f727431 */
    KT_V1_TAG_APPCHAIN,   /* 'KatanaTeeAppchain' = 0x4b6174616e61546565417070636861696e */
    KT_V1_TAG_SHARDING,   /* 'KatanaTeeSharding' = 0x4b6174616e615465655368617264696e67 */
} kt_v1_tag;

/* The felt of a tag (its short string). An unknown tag gives 0. */
KT_API kt_felt kt_v1_tag_felt(kt_v1_tag tag);

/*
 * A Cairo short string: the ASCII bytes read as a big-endian integer
 * ("KATANA" = 0x4b4154414e41). Refuses (KT_E_PARSE) more than 31 bytes or a
 * byte outside printable ASCII 0x20..0x7e; the empty string is 0.
 */
KT_API KT_MUST_CHECK kt_status kt_v1_short_string(const char *ascii, kt_felt *out,
                                                  kt_error *err);

/* Felt::MAX = p - 1: prevBlockNumber when there is no previous block. */
KT_API kt_felt kt_v1_felt_max(void);

/* DEFAULT_STRK_FEE_TOKEN_ADDRESS
 * 0x4718f5a0fc34cc1af16a1cdee98ffb20c31f5cd61d6ab07201858f4287c938d. */
KT_API kt_felt kt_v1_default_fee_token(void);

/* katana_tee_config_hash = pedersen_array([KatanaTeeConfig1, chain_id, fee_token]). */
KT_API kt_felt kt_v1_config_hash(const kt_felt *chain_id, const kt_felt *fee_token);

/* ---- messages (crates/tee/src/attestation.rs, rpc-types message.rs) ------- */

/* An L2->L1 message as BlockAttestation lists it. `payload` is owned by
 * whoever filled the struct (the parser: freed by kt_v1_attestation_free). */
typedef struct kt_v1_l2_to_l1 {
    kt_felt from_address;
    kt_felt to_address;
    kt_felt *payload;
    size_t payload_len;
} kt_v1_l2_to_l1;

/* An L1->L2 message as BlockAttestation lists it (built from the
 * L1Handler transaction: from_address = calldata[0], payload = calldata[1..]). */
typedef struct kt_v1_l1_to_l2 {
    kt_felt from_address;
    kt_felt to_address;
    kt_felt entry_point_selector;
    kt_felt *payload;
    size_t payload_len;
    kt_felt nonce;
} kt_v1_l1_to_l2;

/* hash_many([from, to, hash_many([len(payload), payload...])]). */
KT_API kt_felt kt_v1_l2_to_l1_hash(const kt_v1_l2_to_l1 *msg);

/*
 * The L1->L2 message hash a Starknet-settled appchain's L1Handler receipt
 * carries: hash_many([from, to, nonce, selector, len(calldata), calldata...])
 * with calldata = [from, payload...]
 * (compute_starknet_to_appchain_message_hash). KT_E_NOMEM only.
 */
KT_API KT_MUST_CHECK kt_status kt_v1_l1_to_l2_hash_starknet(const kt_v1_l1_to_l2 *msg,
                                                            kt_felt *out, kt_error *err);

/*
 * The Ethereum-settled L1->L2 hash: keccak256 of the 32-byte big-endian
 * words [from, to, nonce, selector, len(payload), payload...]; `keccak`
 * (may be NULL) receives the 32 digest bytes, `out` the digest read
 * big-endian mod p (what the receipt hash becomes in the commitment).
 * KT_E_INTERNAL if the OpenSSL in use has no KECCAK-256; KT_E_NOMEM.
 */
KT_API KT_MUST_CHECK kt_status kt_v1_l1_to_l2_hash_ethereum(const kt_v1_l1_to_l2 *msg,
                                                            uint8_t keccak[32], kt_felt *out,
                                                            kt_error *err);

/* 32 big-endian bytes reduced mod p (Felt::from_bytes_be_slice): how an
 * L1Handler receipt's message hash enters the commitment. Never fails. */
KT_API kt_felt kt_v1_felt_from_be32_mod(const uint8_t bytes[32]);

/*
 * messages_commitment = hash_many([hash_many(l2_to_l1 hashes),
 *                                  hash_many(l1_to_l2_hashes)])
 * over the L2->L1 messages (hashed with kt_v1_l2_to_l1_hash) and the
 * receipts' L1->L2 hashes, both in block then receipt order. Empty lists
 * are allowed (NULL with count 0). KT_E_NOMEM only.
 */
KT_API KT_MUST_CHECK kt_status kt_v1_messages_commitment(const kt_v1_l2_to_l1 *l2_to_l1,
                                                         size_t n_l2_to_l1,
                                                         const kt_felt *l1_to_l2_hashes,
                                                         size_t n_l1_to_l2, kt_felt *out,
                                                         kt_error *err);

/* The same over L2->L1 message hashes already computed. KT_E_NOMEM only. */
KT_API KT_MUST_CHECK kt_status kt_v1_messages_commitment_of_hashes(
    const kt_felt *l2_to_l1_hashes, size_t n_l2_to_l1, const kt_felt *l1_to_l2_hashes,
    size_t n_l1_to_l2, kt_felt *out, kt_error *err);

/* ---- report data (crates/tee/src/attestation.rs @ 678ba9d7) -------------- */

typedef enum kt_v1_mode {
    KT_V1_APPCHAIN = 1, /* no forkBlockNumber: binds messages_commitment */
    KT_V1_SHARDING = 2, /* forkBlockNumber present: binds fork block and events */
} kt_v1_mode;

/* "appchain" / "sharding" / "unknown". */
KT_API const char *kt_v1_mode_name(kt_v1_mode mode);

/* Everything the v1 commitment hashes. */
typedef struct kt_v1_commit_input {
    kt_v1_mode mode;
    kt_felt prev_state_root, state_root;
    kt_felt prev_block_hash, block_hash;
    kt_felt prev_block_number, block_number;
    kt_felt messages_commitment;                  /* appchain only */
    kt_felt fork_block_number, events_commitment; /* sharding only */
    kt_felt config_hash;
} kt_v1_commit_input;

/* Set the prev fields for "no previous block" (prev_block_id = null):
 * prev_block_number = Felt::MAX, prev_state_root = prev_block_hash = 0. */
KT_API void kt_v1_commit_set_genesis(kt_v1_commit_input *in);

/*
 * The commitment felt (first half of the report data) and the 11 (sharding)
 * or 10 (appchain) hashed felts in `preimage` (may be NULL; room for 11).
 * KT_E_INVALID_ARG for an unknown mode.
 */
KT_API KT_MUST_CHECK kt_status kt_commit_v1_felt(const kt_v1_commit_input *in,
                                                 kt_felt *commitment, kt_felt preimage[11],
                                                 size_t *preimage_len, kt_error *err);

/* The 64-byte v1 report data BE32(commitment) || BE32(config_hash).
 * KT_E_INVALID_ARG for an unknown mode. */
KT_API KT_MUST_CHECK kt_status kt_commit_v1(const kt_v1_commit_input *in,
                                            uint8_t report_data[KT_REPORT_DATA_SIZE],
                                            kt_error *err);

/* ---- events (crates/core/src/backend/mod.rs, crates/trie @ 678ba9d7) ----- */

/* One event of a block, in the block's flattened order. */
typedef struct kt_v1_event {
    kt_felt tx_hash;
    kt_felt from_address;
    const kt_felt *keys;
    size_t keys_len;
    const kt_felt *data;
    size_t data_len;
} kt_v1_event;

/* Katana's leaf: hash_many([tx_hash, from_address, hash_many(keys), hash_many(data)]). */
KT_API kt_felt kt_v1_event_hash(const kt_v1_event *ev);

/* A node of a tee_getEventProof merkleProof (bonsai ProofNode). */
typedef enum kt_v1_node_kind {
    KT_V1_NODE_BINARY = 1, /* {left, right}: hash = poseidon_hash(left, right) */
    KT_V1_NODE_EDGE = 2,   /* {path, length, child}: poseidon_hash(child, path) + length */
} kt_v1_node_kind;

typedef struct kt_v1_proof_node {
    kt_felt node_hash; /* as the answer states it */
    kt_v1_node_kind kind;
    kt_felt left, right;  /* binary */
    kt_felt path;         /* edge: the bits, right-aligned */
    unsigned length;      /* edge: 1..64 */
    kt_felt child;        /* edge */
} kt_v1_proof_node;

/* Depth of the events tree: an event's key is its index as 64 bits, MSB first. */
#define KT_V1_EVENTS_TREE_HEIGHT 64

/*
 * The events commitment over the leaves (event hashes) in index order: the
 * height-64 binary Patricia-Merkle root; 0 for no leaves. KT_E_NOMEM only.
 */
KT_API KT_MUST_CHECK kt_status kt_v1_events_root(const kt_felt *leaves, size_t n, kt_felt *root,
                                                 kt_error *err);

/*
 * The root and the membership proof of leaf `index`: the nodes on the path,
 * root first, in a malloc'd array (*nodes, free with free()). KT_E_RANGE when
 * index >= n (also for n == 0: an empty tree has no proof), KT_E_NOMEM.
 */
KT_API KT_MUST_CHECK kt_status kt_v1_events_proof(const kt_felt *leaves, size_t n,
                                                  uint64_t index, kt_felt *root,
                                                  kt_v1_proof_node **nodes, size_t *n_nodes,
                                                  kt_error *err);

/* Why a proof did or did not verify. */
typedef enum kt_v1_proof_result {
    KT_V1_PROOF_OK = 0,
    KT_V1_PROOF_MISSING_NODE,     /* no node with the hash reached ("missing node at depth d") */
    KT_V1_PROOF_BINARY_HASH,      /* a binary node does not hash to its node_hash */
    KT_V1_PROOF_EDGE_HASH,        /* an edge node does not hash to its node_hash */
    KT_V1_PROOF_BAD_EDGE,         /* edge length 0, past depth 64, or path wider than length */
    KT_V1_PROOF_NON_MEMBERSHIP,   /* an edge's path differs from the key: the key is absent */
    KT_V1_PROOF_WRONG_LEAF,       /* the path ends at another value than eventHash */
    KT_V1_PROOF_EVENT_HASH,       /* eventHash is not the leaf of the returned event fields */
    KT_V1_PROOF_INDEX_RANGE,      /* eventIndex >= eventsCount */
    KT_V1_PROOF_EMPTY_TREE,       /* eventsCommitment is 0: no events, nothing to prove */
} kt_v1_proof_result;

/* Stable name: "ok", "missing_node", "binary_hash", "edge_hash", "bad_edge",
 * "non_membership", "wrong_leaf", "event_hash", "index_range", "empty_tree". */
KT_API const char *kt_v1_proof_result_name(kt_v1_proof_result r);

/*
 * Verify that `leaf` sits at key `index` under `root` (bonsai
 * MultiProof::verify_proof semantics): starting at root, find the node
 * whose node_hash is the current value (by hash, not position), re-hash
 * it, follow the key's bit (binary) or require the key's next `length`
 * bits to equal `path` (edge), until 64 bits are used; the value reached
 * must be `leaf`. Membership only. Returns KT_V1_PROOF_OK or the reason;
 * `detail` (may be NULL, 160 bytes) gets one line ("binary node hash
 * mismatch at depth 58"). Does not check that the leaf is an event's hash.
 */
KT_API KT_MUST_CHECK kt_v1_proof_result kt_v1_proof_verify(const kt_felt *root, uint64_t index,
                                                           const kt_v1_proof_node *nodes,
                                                           size_t n_nodes, const kt_felt *leaf,
                                                           char detail[160]);

/* ---- the JSON-RPC answers (crates/rpc/rpc-types/src/tee.rs @ eb76792c) ---- */

/* A tee_generateQuote result (BlockAttestation). Parsed values own their
 * arrays; free with kt_v1_attestation_free. */
typedef struct kt_v1_attestation {
    uint8_t *quote; /* attester bytes ("0x" + hex on the wire) */
    size_t quote_len;
    kt_felt prev_state_root, state_root;
    kt_felt prev_block_hash, block_hash;
    kt_felt prev_block_number, block_number; /* hex felts on the wire */
    bool has_fork_block_number;              /* sharding mode iff present */
    kt_felt fork_block_number;
    kt_felt events_commitment;
    kt_felt messages_commitment; /* 0 in sharding mode */
    kt_felt katana_tee_config_hash;
    kt_v1_l2_to_l1 *l2_to_l1;
    size_t n_l2_to_l1;
    kt_v1_l1_to_l2 *l1_to_l2;
    size_t n_l1_to_l2;
} kt_v1_attestation;

/*
 * Parse a BlockAttestation from JSON text: either the `result` object
 * itself or a whole JSON-RPC response {"jsonrpc", "id", "result"} (a
 * response carrying "error" is refused with its code and message). Strict:
 * unknown or duplicate keys, a missing key, a wrong type, a felt that is not
 * canonical ("0x" + lowercase hex, no leading zeros), a quote that is not
 * "0x" + an even number of lowercase hex digits, or non-JSON are refused
 * with KT_E_PARSE / KT_E_RANGE naming the key. Does not check any hash or
 * the quote's contents. *out is zeroed first; free it even on failure.
 */
KT_API KT_MUST_CHECK kt_status kt_v1_attestation_parse(const char *json, size_t len,
                                                       kt_v1_attestation *out, kt_error *err);

/*
 * Render a BlockAttestation as Katana's serde_json does: compact, keys in
 * Katana's order, felts in canonical hex, forkBlockNumber only when
 * has_fork_block_number. *json_out is malloc'd and NUL-terminated.
 * KT_E_NOMEM, KT_E_INVALID_ARG (NULL argument).
 */
KT_API KT_MUST_CHECK kt_status kt_v1_attestation_render(const kt_v1_attestation *att,
                                                        char **json_out, kt_error *err);

KT_API void kt_v1_attestation_free(kt_v1_attestation *att);

/* The mode an answer claims: sharding iff forkBlockNumber is present. */
KT_API kt_v1_mode kt_v1_attestation_mode(const kt_v1_attestation *att);

/* The commitment input the answer's fields give, in the mode it claims
 * (config_hash = katanaTeeConfigHash). */
KT_API void kt_v1_attestation_commit_input(const kt_v1_attestation *att,
                                           kt_v1_commit_input *in);

/* A tee_getEventProof result (EventProofResponse). Free with
 * kt_v1_event_proof_free. */
typedef struct kt_v1_event_proof {
    uint64_t block_number; /* JSON number */
    kt_felt events_commitment;
    uint32_t events_count; /* JSON number */
    kt_felt event_hash;
    uint32_t event_index; /* JSON number */
    kt_v1_proof_node *nodes;
    size_t n_nodes;
    kt_felt tx_hash;
    kt_felt from_address;
    kt_felt *keys;
    size_t n_keys;
    kt_felt *data;
    size_t n_data;
} kt_v1_event_proof;

/* Most proof nodes the parser accepts (a path of a height-64 tree has at
 * most 64; more is refused with KT_E_TOO_LARGE). */
#define KT_V1_MAX_PROOF_NODES 256

/*
 * Parse an EventProofResponse (the result object or a whole JSON-RPC
 * response), strictly as kt_v1_attestation_parse: numbers must be JSON
 * integers in range (u64 / u32; an edge length 1..64), each node exactly
 * {node_hash, node} with node exactly {left, right} or {path, length, child}.
 * Does not verify the proof. *out is zeroed first; free it even on failure.
 */
KT_API KT_MUST_CHECK kt_status kt_v1_event_proof_parse(const char *json, size_t len,
                                                       kt_v1_event_proof *out, kt_error *err);

/* Render as Katana does (compact, Katana's key order). */
KT_API KT_MUST_CHECK kt_status kt_v1_event_proof_render(const kt_v1_event_proof *proof,
                                                        char **json_out, kt_error *err);

KT_API void kt_v1_event_proof_free(kt_v1_event_proof *proof);

/*
 * Verify an event proof answer on its own: eventIndex < eventsCount, a
 * non-zero eventsCommitment, eventHash == kt_v1_event_hash of the returned
 * fields, and kt_v1_proof_verify(eventsCommitment, eventIndex, nodes,
 * eventHash). Returns KT_V1_PROOF_OK or the first reason, with `detail`.
 * Whether eventsCommitment is attested is the caller's business (only
 * sharding-mode report data binds it).
 */
KT_API KT_MUST_CHECK kt_v1_proof_result kt_v1_event_proof_verify(const kt_v1_event_proof *proof,
                                                                 char detail[160]);

/* ---- checks of an answer against its quote (src/verify/v1_*.c) ------------ */

/* How L1->L2 message hashes are rebuilt from l1ToL2Messages items. */
typedef enum kt_v1_settlement {
    KT_V1_SETTLEMENT_AUTO = 0, /* try Starknet, then Ethereum; the verdict says which matched */
    KT_V1_SETTLEMENT_STARKNET, /* kt_v1_l1_to_l2_hash_starknet */
    KT_V1_SETTLEMENT_ETHEREUM, /* kt_v1_l1_to_l2_hash_ethereum */
} kt_v1_settlement;

/* What the verifier expects beyond the answer itself. */
typedef struct kt_v1_expect {
    bool has_config;        /* check katanaTeeConfigHash against chain id + fee token */
    kt_felt chain_id;
    kt_felt fee_token;      /* kt_v1_default_fee_token() after kt_v1_expect_init */
    kt_v1_settlement settlement;
} kt_v1_expect;

/* No expected chain (config_hash then checks only the report's halves and
 * is SKIPPED by name), default fee token, automatic settlement. */
KT_API void kt_v1_expect_init(kt_v1_expect *exp);

/* The v1 checks, each a verdict line (verify.h: KT_CHECK_REPORT_DATA,
 * KT_CHECK_CONFIG_HASH, KT_CHECK_MESSAGES, KT_CHECK_CONTINUITY), kept apart
 * from kt_verdict so a caller can run them on report data alone. */
typedef struct kt_v1_checks {
    kt_check config_hash; /* report data[32..64] == katanaTeeConfigHash (== expected) */
    kt_check report_data; /* report data[0..32] == commitment of the answer's fields */
    kt_check messages;    /* messagesCommitment recomputed from the lists (appchain) */
    kt_check continuity;  /* prev* of this answer == current fields of the previous one */
} kt_v1_checks;

/*
 * Run the v1 checks of `att` against the 64 `report_data` bytes the quote
 * carries. `prev` (may be NULL: continuity is then skipped by name) is the
 * attestation this one claims to follow. Returns KT_OK when no check
 * failed; otherwise the status of the first failed one (KT_E_REPORT_DATA,
 * KT_E_BINDING). A check that cannot run is SKIPPED with the reason, never
 * passed. KT_E_NOMEM.
 */
KT_API KT_MUST_CHECK kt_status kt_v1_check_attestation(const kt_v1_attestation *att,
                                                       const uint8_t report_data[64],
                                                       const kt_v1_expect *exp,
                                                       const kt_v1_attestation *prev,
                                                       kt_v1_checks *out, kt_error *err);

/*
 * Verify a v1 answer end to end: decode its quote (SEV-SNP report, mock, or
 * Azure evidence), run kt_verify with `opts` (its report-data expectation is
 * ignored: the answer's fields are the expectation), then the four v1 checks
 * on the report data the quote carries, merged into `verdict`. For Azure
 * evidence the guest's report data is the runtime claims' user-data: the
 * Azure user_data check (and the TPM quote nonce) must equal the v1 report
 * data of the answer's fields, and the v1 checks run on user-data only when
 * the claims binding passed and user-data is present and well formed —
 * otherwise they are "not run", naming why (docs/azure.md). `prev` (may be
 * NULL) is the attestation this one should follow; its own quote is NOT
 * verified here (verify it on its own). Returns KT_OK only when the whole
 * verdict is valid; otherwise the first failure's status with err naming
 * the check, or an input status when the quote cannot be decoded.
 */
KT_API KT_MUST_CHECK kt_status kt_v1_verify(kt_verifier *verifier, const kt_v1_attestation *att,
                                            const kt_v1_attestation *prev,
                                            const kt_v1_expect *exp, const kt_verify_opts *opts,
                                            kt_verdict *verdict, kt_error *err);

/*
 * Copy the four v1 checks into a verdict (replacing its report_data line)
 * and clear verdict->valid if any of them failed. Used by verify after
 * kt_verify has judged the quote's signature chain with the report-data
 * check skipped.
 */
KT_API void kt_v1_checks_apply(const kt_v1_checks *checks, kt_verdict *verdict);

#ifdef __cplusplus
}
#endif

#endif
