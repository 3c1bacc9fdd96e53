/*
 * Schema v1 message hashes and the messages commitment (Katana
 * crates/tee/src/attestation.rs @ 678ba9d7; L1->L2 hashes:
 * crates/messaging/src/stream/collector/starknet.rs and
 * crates/primitives/src/utils/transaction.rs).
 */
#include <stdlib.h>
#include <string.h>

#include "commit/keccak.h"
#include "felt/fe.h"
#include "katana_tee/katana_v1.h"
#include "katana_tee/poseidon.h"
#include "util/error.h"

/* Most felts one hash input may hold: far above any real payload, and
 * keeps every size computation below overflow. */
#define MAX_HASH_INPUT ((size_t)1 << 24)

static kt_status alloc_felts(size_t n, kt_felt **out, kt_error *err) {
    if (n > MAX_HASH_INPUT)
        return kt_fail(err, KT_E_TOO_LARGE, "message: %zu felts is more than the %zu allowed", n,
                       MAX_HASH_INPUT);
    *out = malloc((n ? n : 1) * sizeof **out);
    return *out ? KT_OK : kt_fail_oom(err);
}

/*
 * hash_many(head ++ tail) without building the joined array: the same
 * sponge as kt_poseidon_hash_many (rate 2, pad with 1 then 0 to an even
 * length), fed from two arrays. Allocates nothing, so hashing a message
 * cannot fail.
 */
static kt_felt hash_many_joined(const kt_felt *head, size_t nh, const kt_felt *tail, size_t nt) {
    kt_felt s[3] = {{{0, 0, 0, 0}}, {{0, 0, 0, 0}}, {{0, 0, 0, 0}}};
    size_t n = nh + nt;
    const kt_felt one = kt_felt_from_u64(1);
    for (size_t i = 0; i <= n; i += 2) {
        /* the pair (x_i, x_i+1), with the pad 1 at index n and 0 after it */
        for (size_t k = 0; k < 2; k++) {
            size_t j = i + k;
            if (j < n) {
                const kt_felt *x = j < nh ? &head[j] : &tail[j - nh];
                s[k] = kt_felt_add(&s[k], x);
            } else if (j == n) {
                s[k] = kt_felt_add(&s[k], &one);
            }
        }
        kt_poseidon_permute(s);
    }
    return s[0];
}

kt_felt kt_v1_l2_to_l1_hash(const kt_v1_l2_to_l1 *msg) {
    kt_felt len = kt_felt_from_u64((uint64_t)msg->payload_len);
    kt_felt xs[3] = {msg->from_address, msg->to_address,
                     hash_many_joined(&len, 1, msg->payload, msg->payload_len)};
    return kt_poseidon_hash_many(xs, 3);
}

kt_status kt_v1_l1_to_l2_hash_starknet(const kt_v1_l1_to_l2 *msg, kt_felt *out, kt_error *err) {
    if (!msg || !out || (msg->payload_len && !msg->payload))
        return kt_fail(err, KT_E_INVALID_ARG, "L1->L2 hash: missing argument");
    /* [from, to, nonce, selector, len(calldata), calldata...], calldata = [from, payload...] */
    kt_felt head[6] = {msg->from_address,          msg->to_address,
                       msg->nonce,                 msg->entry_point_selector,
                       kt_felt_from_u64((uint64_t)msg->payload_len + 1), msg->from_address};
    *out = hash_many_joined(head, 6, msg->payload, msg->payload_len);
    return KT_OK;
}

kt_felt kt_v1_felt_from_be32_mod(const uint8_t bytes[32]) {
    uint64_t v[4] = {0, 0, 0, 0};
    for (int i = 0; i < 32; i++)
        v[i / 8] |= (uint64_t)bytes[31 - i] << (8 * (i % 8));
    /* v < 2^256 < 32p: subtract p until the subtraction borrows */
    static const uint64_t p[4] = {1u, 0u, 0u, UINT64_C(0x0800000000000011)};
    for (;;) {
        uint64_t d[4];
        kt_u128 acc = (kt_u128)v[0] - p[0];
        d[0] = (uint64_t)acc;
        for (int i = 1; i < 4; i++) {
            acc = (kt_u128)v[i] - p[i] - (uint64_t)(acc >> 64 & 1u);
            d[i] = (uint64_t)acc;
        }
        if (acc >> 64 & 1u)
            break; /* v < p */
        memcpy(v, d, sizeof v);
    }
    kt_felt f;
    memcpy(f.limb, v, sizeof v);
    return f;
}

kt_status kt_v1_l1_to_l2_hash_ethereum(const kt_v1_l1_to_l2 *msg, uint8_t keccak[32],
                                       kt_felt *out, kt_error *err) {
    if (!msg || !out || (msg->payload_len && !msg->payload))
        return kt_fail(err, KT_E_INVALID_ARG, "L1->L2 hash: missing argument");
    if (msg->payload_len > MAX_HASH_INPUT)
        return kt_fail(err, KT_E_TOO_LARGE, "L1->L2 hash: payload of %zu felts is too long",
                       msg->payload_len);
    /* 32-byte big-endian words [from, to, nonce, selector, len, payload...] */
    size_t words = msg->payload_len + 5;
    uint8_t *buf = malloc(words * 32);
    if (!buf)
        return kt_fail_oom(err);
    kt_felt head[5] = {msg->from_address, msg->to_address, msg->nonce,
                       msg->entry_point_selector, kt_felt_from_u64((uint64_t)msg->payload_len)};
    for (size_t i = 0; i < 5; i++)
        kt_felt_to_be32(&head[i], buf + 32 * i);
    for (size_t i = 0; i < msg->payload_len; i++)
        kt_felt_to_be32(&msg->payload[i], buf + 32 * (5 + i));
    uint8_t digest[32];
    kt_keccak256(buf, words * 32, digest);
    free(buf);
    if (keccak)
        memcpy(keccak, digest, 32);
    *out = kt_v1_felt_from_be32_mod(digest);
    return KT_OK;
}

kt_status kt_v1_messages_commitment_of_hashes(const kt_felt *l2_to_l1_hashes, size_t n_l2_to_l1,
                                              const kt_felt *l1_to_l2_hashes, size_t n_l1_to_l2,
                                              kt_felt *out, kt_error *err) {
    if (!out || (n_l2_to_l1 && !l2_to_l1_hashes) || (n_l1_to_l2 && !l1_to_l2_hashes))
        return kt_fail(err, KT_E_INVALID_ARG, "messages commitment: missing argument");
    kt_felt halves[2] = {kt_poseidon_hash_many(l2_to_l1_hashes, n_l2_to_l1),
                         kt_poseidon_hash_many(l1_to_l2_hashes, n_l1_to_l2)};
    *out = kt_poseidon_hash_many(halves, 2);
    return KT_OK;
}

kt_status kt_v1_messages_commitment(const kt_v1_l2_to_l1 *l2_to_l1, size_t n_l2_to_l1,
                                    const kt_felt *l1_to_l2_hashes, size_t n_l1_to_l2,
                                    kt_felt *out, kt_error *err) {
    if (!out || (n_l2_to_l1 && !l2_to_l1))
        return kt_fail(err, KT_E_INVALID_ARG, "messages commitment: missing argument");
    kt_felt *hashes;
    kt_status st = alloc_felts(n_l2_to_l1, &hashes, err);
    if (st != KT_OK)
        return st;
    for (size_t i = 0; i < n_l2_to_l1; i++)
        hashes[i] = kt_v1_l2_to_l1_hash(&l2_to_l1[i]);
    st = kt_v1_messages_commitment_of_hashes(hashes, n_l2_to_l1, l1_to_l2_hashes, n_l1_to_l2, out,
                                             err);
    free(hashes);
    return st;
}
