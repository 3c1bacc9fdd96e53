/*
 * katana-tee — Stark field elements (felts).
 *
 * A felt is an integer 0 <= x < p with p = 2^251 + 17*2^192 + 1 (the
 * Starknet prime). The public type holds the canonical value as four
 * little-endian 64-bit limbs (limb[0] least significant); the fast internal
 * representation (Montgomery form) never crosses this API.
 *
 * Text form on output: "0x" + lowercase hex without leading zeros ("0x0"
 * for zero), as Starknet JSON-RPC and Katana print felts. On input: either
 * decimal digits or "0x"/"0X" + hex digits (either case, leading zeros
 * allowed, at most 64 hex digits), value < p.
 */
#ifndef KATANA_TEE_FELT_H
#define KATANA_TEE_FELT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "katana_tee/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kt_felt {
    uint64_t limb[4]; /* canonical value, little-endian limbs, always < p */
} kt_felt;

/* Longest text kt_felt_to_hex writes, including "0x" and the NUL. */
#define KT_FELT_HEX_MAX 67

/*
 * Parse a felt from text (len bytes, no NUL needed). Rejects, with a
 * message naming `what` and the reason: empty text, "0x" with no digits, a
 * sign, non-digit characters, more than 32 bytes of value, and values >= p
 * ("0x8000...01 is not below the Stark prime").
 */
KT_API KT_MUST_CHECK kt_status kt_felt_parse(const char *text, size_t len, kt_felt *out,
                                             const char *what, kt_error *err);

/* Write the canonical "0x…" form (at most KT_FELT_HEX_MAX bytes with NUL). */
KT_API void kt_felt_to_hex(const kt_felt *f, char out[KT_FELT_HEX_MAX]);

/* 32-byte big-endian encoding. */
KT_API void kt_felt_to_be32(const kt_felt *f, uint8_t out[32]);

/* From 32 big-endian bytes; KT_E_RANGE when the value is >= p. */
KT_API KT_MUST_CHECK kt_status kt_felt_from_be32(const uint8_t in[32], kt_felt *out,
                                                 kt_error *err);

KT_API kt_felt kt_felt_from_u64(uint64_t v);
KT_API bool kt_felt_equal(const kt_felt *a, const kt_felt *b);

/* Field arithmetic on canonical felts (convenience; the hot paths are internal). */
KT_API kt_felt kt_felt_add(const kt_felt *a, const kt_felt *b);
KT_API kt_felt kt_felt_sub(const kt_felt *a, const kt_felt *b);
KT_API kt_felt kt_felt_mul(const kt_felt *a, const kt_felt *b);

#ifdef __cplusplus
}
#endif

#endif
