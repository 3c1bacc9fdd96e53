/*
 * Internal: Keccak-256 (the original Keccak padding 0x01, as Ethereum uses;
 * not SHA3-256). OpenSSL 3.0, the version Debian 12 ships, has no
 * KECCAK-256 (EVP_MD_fetch(NULL, "KECCAK-256", NULL) returns NULL; it
 * arrived in 3.2), so the permutation is here.
 */
#ifndef KT_COMMIT_KECCAK_H
#define KT_COMMIT_KECCAK_H

#include <stddef.h>
#include <stdint.h>

void kt_keccak256(const uint8_t *in, size_t len, uint8_t out[32]);

#endif
