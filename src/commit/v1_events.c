/*
 * Schema v1 events: Katana's event leaf and its height-64 binary
 * Patricia-Merkle tree (Katana crates/core/src/backend/mod.rs and
 * crates/trie/src/lib.rs @ 678ba9d7, bonsai-trie node hashes and
 * MultiProof::verify_proof).
 *
 * Leaf i sits at key i (64 bits, most significant first, 0 = left). A
 * binary node hashes poseidon_hash(left, right); an edge node, a run of
 * `length` bits with one child, hashes poseidon_hash(child, path) + length
 * with the bits right-aligned in `path`. The leaves are keys 0..n-1, so the
 * keys under any prefix form one contiguous range of indices.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "katana_tee/katana_v1.h"
#include "katana_tee/poseidon.h"
#include "util/error.h"

#define HEIGHT KT_V1_EVENTS_TREE_HEIGHT

kt_felt kt_v1_event_hash(const kt_v1_event *ev) {
    kt_felt xs[4] = {ev->tx_hash, ev->from_address, kt_poseidon_hash_many(ev->keys, ev->keys_len),
                     kt_poseidon_hash_many(ev->data, ev->data_len)};
    return kt_poseidon_hash_many(xs, 4);
}

/* Hash of an edge node. */
static kt_felt edge_hash(const kt_felt *child, const kt_felt *path, unsigned length) {
    kt_felt h = kt_poseidon_hash(child, path);
    kt_felt len = kt_felt_from_u64(length);
    return kt_felt_add(&h, &len);
}

/* A subtree seen from above: the value below a (possibly empty) run of
 * single-child bits. len == 0: `child` is the subtree's own hash. */
typedef struct subtree {
    kt_felt child;
    uint64_t path; /* the run's bits, right-aligned */
    unsigned len;
} subtree;

static kt_felt subtree_hash(const subtree *t) {
    if (t->len == 0)
        return t->child;
    kt_felt path = kt_felt_from_u64(t->path);
    return edge_hash(&t->child, &path, t->len);
}

/* Proof nodes collected by depth: slot 2d for an edge starting at depth d,
 * slot 2d + 1 for a binary node at depth d; read in slot order = root first. */
typedef struct proof_slots {
    uint64_t target;
    bool used[2 * HEIGHT];
    kt_v1_proof_node node[2 * HEIGHT];
} proof_slots;

static void record_edge(proof_slots *ps, unsigned depth, const subtree *t) {
    kt_v1_proof_node *n = &ps->node[2 * depth];
    ps->used[2 * depth] = true;
    n->kind = KT_V1_NODE_EDGE;
    n->node_hash = subtree_hash(t);
    n->path = kt_felt_from_u64(t->path);
    n->length = t->len;
    n->child = t->child;
}

static uint64_t key_bit(uint64_t key, unsigned depth) {
    return key >> (HEIGHT - 1 - depth) & 1u;
}

/*
 * The subtree over leaves [lo, hi) (lo < hi), all sharing their first
 * `depth` bits. Records the nodes on the path to ps->target when ps is set
 * and the target lies in the range.
 */
static subtree build(const kt_felt *leaves, uint64_t lo, uint64_t hi, unsigned depth,
                     proof_slots *ps) {
    subtree t = {leaves[lo], 0, 0};
    if (depth == HEIGHT)
        return t; /* one key left: the leaf */
    /* keys with this bit 0 come first: the split is at prefix + 2^(63-depth)
     * (at depth 0 the mask wraps to 0, so the prefix is 0) */
    uint64_t span = (uint64_t)1 << (HEIGHT - 1 - depth);
    uint64_t mid = (lo & ~((span << 1) - 1)) + span;
    if (mid < lo)
        mid = lo;
    if (mid > hi)
        mid = hi;
    bool on_path = ps && ps->target >= lo && ps->target < hi;
    if (mid == lo || mid == hi) {
        /* one side only: one more bit on the run above the child */
        uint64_t bit = mid == lo ? 1u : 0u;
        subtree below = build(leaves, lo, hi, depth + 1, ps);
        t.child = below.child;
        t.path = (bit << below.len) | below.path;
        t.len = below.len + 1;
        return t;
    }
    subtree left = build(leaves, lo, mid, depth + 1, ps);
    subtree right = build(leaves, mid, hi, depth + 1, ps);
    kt_felt lh = subtree_hash(&left), rh = subtree_hash(&right);
    if (on_path) {
        kt_v1_proof_node *n = &ps->node[2 * depth + 1];
        ps->used[2 * depth + 1] = true;
        n->kind = KT_V1_NODE_BINARY;
        n->left = lh;
        n->right = rh;
        n->node_hash = kt_poseidon_hash(&lh, &rh);
        const subtree *taken = ps->target < mid ? &left : &right;
        if (taken->len > 0)
            record_edge(ps, depth + 1, taken);
    }
    t.child = kt_poseidon_hash(&lh, &rh);
    return t;
}

/* Leaf counts are bounded by what the caller could allocate; keys are u64. */
static kt_status check_leaves(const kt_felt *leaves, size_t n, kt_error *err) {
    if (n && !leaves)
        return kt_fail(err, KT_E_INVALID_ARG, "events tree: missing leaves");
    return KT_OK;
}

kt_status kt_v1_events_root(const kt_felt *leaves, size_t n, kt_felt *root, kt_error *err) {
    if (!root)
        return kt_fail(err, KT_E_INVALID_ARG, "events tree: missing argument");
    kt_status st = check_leaves(leaves, n, err);
    if (st != KT_OK)
        return st;
    if (n == 0) {
        *root = kt_felt_from_u64(0);
        return KT_OK;
    }
    subtree t = build(leaves, 0, (uint64_t)n, 0, NULL);
    *root = subtree_hash(&t);
    return KT_OK;
}

kt_status kt_v1_events_proof(const kt_felt *leaves, size_t n, uint64_t index, kt_felt *root,
                             kt_v1_proof_node **nodes, size_t *n_nodes, kt_error *err) {
    if (!root || !nodes || !n_nodes)
        return kt_fail(err, KT_E_INVALID_ARG, "events proof: missing argument");
    *nodes = NULL;
    *n_nodes = 0;
    kt_status st = check_leaves(leaves, n, err);
    if (st != KT_OK)
        return st;
    if (index >= n)
        return kt_fail(err, KT_E_RANGE, "events proof: index %llu out of bounds (%zu events)",
                       (unsigned long long)index, n);
    proof_slots *ps = calloc(1, sizeof *ps);
    if (!ps)
        return kt_fail_oom(err);
    ps->target = index;
    subtree t = build(leaves, 0, (uint64_t)n, 0, ps);
    *root = subtree_hash(&t);
    if (t.len > 0)
        record_edge(ps, 0, &t);
    size_t count = 0;
    for (size_t i = 0; i < 2 * HEIGHT; i++)
        count += ps->used[i];
    kt_v1_proof_node *out = calloc(count, sizeof *out);
    if (!out) {
        free(ps);
        return kt_fail_oom(err);
    }
    size_t k = 0;
    for (size_t i = 0; i < 2 * HEIGHT; i++)
        if (ps->used[i])
            out[k++] = ps->node[i];
    free(ps);
    *nodes = out;
    *n_nodes = count;
    return KT_OK;
}

const char *kt_v1_proof_result_name(kt_v1_proof_result r) {
    switch (r) {
    case KT_V1_PROOF_OK: return "ok";
    case KT_V1_PROOF_MISSING_NODE: return "missing_node";
    case KT_V1_PROOF_BINARY_HASH: return "binary_hash";
    case KT_V1_PROOF_EDGE_HASH: return "edge_hash";
    case KT_V1_PROOF_BAD_EDGE: return "bad_edge";
    case KT_V1_PROOF_NON_MEMBERSHIP: return "non_membership";
    case KT_V1_PROOF_WRONG_LEAF: return "wrong_leaf";
    case KT_V1_PROOF_EVENT_HASH: return "event_hash";
    case KT_V1_PROOF_INDEX_RANGE: return "index_range";
    case KT_V1_PROOF_EMPTY_TREE: return "empty_tree";
    }
    return "unknown";
}

static kt_v1_proof_result say(kt_v1_proof_result r, char detail[160], const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static kt_v1_proof_result say(kt_v1_proof_result r, char detail[160], const char *fmt, ...) {
    if (detail) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, 160, fmt, ap);
        va_end(ap);
    }
    return r;
}

/* The path of an edge as a u64, when it fits its length. */
static bool edge_path_bits(const kt_v1_proof_node *n, uint64_t *bits) {
    if (n->path.limb[1] | n->path.limb[2] | n->path.limb[3])
        return false;
    if (n->length < HEIGHT && n->path.limb[0] >> n->length)
        return false;
    *bits = n->path.limb[0];
    return true;
}

kt_v1_proof_result kt_v1_proof_verify(const kt_felt *root, uint64_t index,
                                      const kt_v1_proof_node *nodes, size_t n_nodes,
                                      const kt_felt *leaf, char detail[160]) {
    if (detail)
        detail[0] = '\0';
    if (!root || !leaf || (n_nodes && !nodes))
        return say(KT_V1_PROOF_MISSING_NODE, detail, "missing proof");
    kt_felt cur = *root;
    unsigned depth = 0;
    while (depth < HEIGHT) {
        const kt_v1_proof_node *n = NULL;
        for (size_t i = 0; i < n_nodes && !n; i++)
            if (kt_felt_equal(&nodes[i].node_hash, &cur))
                n = &nodes[i];
        if (!n)
            return say(KT_V1_PROOF_MISSING_NODE, detail, "missing node at depth %u", depth);
        if (n->kind == KT_V1_NODE_BINARY) {
            kt_felt h = kt_poseidon_hash(&n->left, &n->right);
            if (!kt_felt_equal(&h, &cur))
                return say(KT_V1_PROOF_BINARY_HASH, detail,
                           "binary node hash mismatch at depth %u", depth);
            cur = key_bit(index, depth) ? n->right : n->left;
            depth++;
        } else if (n->kind == KT_V1_NODE_EDGE) {
            kt_felt h = edge_hash(&n->child, &n->path, n->length);
            if (!kt_felt_equal(&h, &cur))
                return say(KT_V1_PROOF_EDGE_HASH, detail, "edge node hash mismatch at depth %u",
                           depth);
            uint64_t bits;
            if (n->length == 0 || n->length > HEIGHT - depth || !edge_path_bits(n, &bits))
                return say(KT_V1_PROOF_BAD_EDGE, detail,
                           "edge length or path out of range at depth %u", depth);
            unsigned shift = HEIGHT - depth - n->length;
            uint64_t mask = n->length == HEIGHT ? ~(uint64_t)0
                                                : (((uint64_t)1 << n->length) - 1);
            uint64_t want = shift == HEIGHT ? 0 : (index >> shift) & mask;
            if (want != bits)
                return say(KT_V1_PROOF_NON_MEMBERSHIP, detail,
                           "edge path differs from the key at depth %u (non-membership)", depth);
            cur = n->child;
            depth += n->length;
        } else {
            return say(KT_V1_PROOF_BAD_EDGE, detail, "node of unknown kind at depth %u", depth);
        }
    }
    if (!kt_felt_equal(&cur, leaf))
        return say(KT_V1_PROOF_WRONG_LEAF, detail,
                   "proof leads to a different leaf than eventHash");
    return KT_V1_PROOF_OK;
}

kt_v1_proof_result kt_v1_event_proof_verify(const kt_v1_event_proof *p, char detail[160]) {
    if (detail)
        detail[0] = '\0';
    if (!p)
        return say(KT_V1_PROOF_MISSING_NODE, detail, "missing proof");
    kt_felt zero = kt_felt_from_u64(0);
    if (kt_felt_equal(&p->events_commitment, &zero))
        return say(KT_V1_PROOF_EMPTY_TREE, detail,
                   "eventsCommitment is 0x0: the block has no events");
    kt_v1_proof_result r = kt_v1_proof_verify(&p->events_commitment, p->event_index, p->nodes,
                                              p->n_nodes, &p->event_hash, detail);
    if (r != KT_V1_PROOF_OK)
        return r;
    kt_v1_event ev = {p->tx_hash, p->from_address, p->keys, p->n_keys, p->data, p->n_data};
    kt_felt leaf = kt_v1_event_hash(&ev);
    if (!kt_felt_equal(&leaf, &p->event_hash))
        return say(KT_V1_PROOF_EVENT_HASH, detail,
                   "eventHash differs from the hash of the returned event fields");
    if (p->event_index >= p->events_count)
        return say(KT_V1_PROOF_INDEX_RANGE, detail,
                   "eventIndex is not below eventsCount");
    return KT_V1_PROOF_OK;
}
