/* Keccak-256: keccak-f[1600] sponge, rate 136 bytes, padding 0x01 ... 0x80. */
#include "commit/keccak.h"

#include <string.h>

static const uint64_t round_constants[24] = {
    UINT64_C(0x0000000000000001), UINT64_C(0x0000000000008082), UINT64_C(0x800000000000808a),
    UINT64_C(0x8000000080008000), UINT64_C(0x000000000000808b), UINT64_C(0x0000000080000001),
    UINT64_C(0x8000000080008081), UINT64_C(0x8000000000008009), UINT64_C(0x000000000000008a),
    UINT64_C(0x0000000000000088), UINT64_C(0x0000000080008009), UINT64_C(0x000000008000000a),
    UINT64_C(0x000000008000808b), UINT64_C(0x800000000000008b), UINT64_C(0x8000000000008089),
    UINT64_C(0x8000000000008003), UINT64_C(0x8000000000008002), UINT64_C(0x8000000000000080),
    UINT64_C(0x000000000000800a), UINT64_C(0x800000008000000a), UINT64_C(0x8000000080008081),
    UINT64_C(0x8000000000008080), UINT64_C(0x0000000080000001), UINT64_C(0x8000000080008008),
};

/* rotation offsets and the pi lane order, walked along the rho-pi cycle */
static const unsigned rho[24] = {1,  3,  6,  10, 15, 21, 28, 36, 45, 55, 2,  14,
                                 27, 41, 56, 8,  25, 43, 62, 18, 39, 61, 20, 44};
static const unsigned pi[24] = {10, 7,  11, 17, 18, 3, 5,  16, 8,  21, 24, 4,
                                15, 23, 19, 13, 12, 2, 20, 14, 22, 9,  6,  1};

static inline uint64_t rotl(uint64_t x, unsigned n) {
    return (x << n) | (x >> (64 - n));
}

static void keccak_f1600(uint64_t a[25]) {
    for (int round = 0; round < 24; round++) {
        uint64_t c[5], d;
        for (int x = 0; x < 5; x++)
            c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
        for (int x = 0; x < 5; x++) {
            d = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1);
            for (int y = 0; y < 25; y += 5)
                a[y + x] ^= d;
        }
        uint64_t t = a[1];
        for (int i = 0; i < 24; i++) {
            uint64_t next = a[pi[i]];
            a[pi[i]] = rotl(t, rho[i]);
            t = next;
        }
        for (int y = 0; y < 25; y += 5) {
            uint64_t row[5];
            for (int x = 0; x < 5; x++)
                row[x] = a[y + x];
            for (int x = 0; x < 5; x++)
                a[y + x] = row[x] ^ (~row[(x + 1) % 5] & row[(x + 2) % 5]);
        }
        a[0] ^= round_constants[round];
    }
}

#define RATE 136

static void absorb_block(uint64_t a[25], const uint8_t *block) {
    for (int i = 0; i < RATE / 8; i++) {
        uint64_t lane = 0;
        for (int b = 0; b < 8; b++)
            lane |= (uint64_t)block[8 * i + b] << (8 * b);
        a[i] ^= lane;
    }
    keccak_f1600(a);
}

void kt_keccak256(const uint8_t *in, size_t len, uint8_t out[32]) {
    uint64_t a[25] = {0};
    while (len >= RATE) {
        absorb_block(a, in);
        in += RATE;
        len -= RATE;
    }
    uint8_t last[RATE] = {0};
    if (len)
        memcpy(last, in, len);
    last[len] ^= 0x01;
    last[RATE - 1] ^= 0x80;
    absorb_block(a, last);
    for (int i = 0; i < 32; i++)
        out[i] = (uint8_t)(a[i / 8] >> (8 * (i % 8)));
}
