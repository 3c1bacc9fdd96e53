/*
 * Internal: the one bounds-checked reader every parser uses.
 *
 * A cursor walks a byte range and can never read past its end: each read
 * checks the remaining length first and, on shortage, sets the cursor's
 * `failed` flag and returns zeros. Parsers read a run of fields and test
 * `failed` once, or test each read's return value.
 *
 * Formats read from the end (footer tables) start with kt_cursor_init_end
 * and step backwards with kt_cursor_take_back / kt_cursor_sub_back; a
 * fixed-size record taken either way becomes a cursor of its own with
 * kt_cursor_sub*, so its fields are read by name, never at raw offsets.
 * Raw little-endian reads at literal offsets outside src/util/ are refused
 * by scripts/check-raw-reads.
 */
#ifndef KT_UTIL_CURSOR_H
#define KT_UTIL_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct kt_cursor {
    const uint8_t *data;
    size_t len;
    size_t pos;
    bool failed;
} kt_cursor;

static inline kt_cursor kt_cursor_init(const uint8_t *data, size_t len) {
    kt_cursor c = {data, len, 0, false};
    return c;
}

/* A cursor positioned at the end of the range, for formats read backwards. */
static inline kt_cursor kt_cursor_init_end(const uint8_t *data, size_t len) {
    kt_cursor c = {data, len, len, false};
    return c;
}

static inline size_t kt_cursor_remaining(const kt_cursor *c) {
    return c->len - c->pos;
}

/* Borrow n bytes (pointer into the buffer) and advance; NULL on shortage. */
static inline const uint8_t *kt_cursor_take(kt_cursor *c, size_t n) {
    if (c->failed || n > c->len - c->pos) {
        c->failed = true;
        return NULL;
    }
    const uint8_t *p = c->data + c->pos;
    c->pos += n;
    return p;
}

/* Step back n bytes and borrow them (the n bytes before the position); NULL on shortage. */
static inline const uint8_t *kt_cursor_take_back(kt_cursor *c, size_t n) {
    if (c->failed || n > c->pos) {
        c->failed = true;
        return NULL;
    }
    c->pos -= n;
    return c->data + c->pos;
}

/* Take n bytes as a cursor of their own (an empty, failed cursor on shortage). */
static inline kt_cursor kt_cursor_sub(kt_cursor *c, size_t n) {
    const uint8_t *p = kt_cursor_take(c, n);
    kt_cursor s = {p, p ? n : 0, 0, p == NULL};
    return s;
}

/* kt_cursor_sub, stepping backwards. */
static inline kt_cursor kt_cursor_sub_back(kt_cursor *c, size_t n) {
    const uint8_t *p = kt_cursor_take_back(c, n);
    kt_cursor s = {p, p ? n : 0, 0, p == NULL};
    return s;
}

/* Copy n bytes into out (zeros on shortage). */
static inline bool kt_cursor_read(kt_cursor *c, void *out, size_t n) {
    const uint8_t *p = kt_cursor_take(c, n);
    uint8_t *o = (uint8_t *)out;
    for (size_t i = 0; i < n; i++)
        o[i] = p ? p[i] : 0;
    return p != NULL;
}

static inline uint8_t kt_cursor_u8(kt_cursor *c) {
    const uint8_t *p = kt_cursor_take(c, 1);
    return p ? p[0] : 0;
}

static inline uint16_t kt_cursor_u16le(kt_cursor *c) {
    const uint8_t *p = kt_cursor_take(c, 2);
    if (!p)
        return 0;
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t kt_cursor_u32le(kt_cursor *c) {
    const uint8_t *p = kt_cursor_take(c, 4);
    if (!p)
        return 0;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t kt_cursor_u64le(kt_cursor *c) {
    const uint8_t *p = kt_cursor_take(c, 8);
    if (!p)
        return 0;
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* Big-endian reads, for the TPM's structures (TPMS_ATTEST and friends). */
static inline uint16_t kt_cursor_u16be(kt_cursor *c) {
    const uint8_t *p = kt_cursor_take(c, 2);
    if (!p)
        return 0;
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t kt_cursor_u32be(kt_cursor *c) {
    const uint8_t *p = kt_cursor_take(c, 4);
    if (!p)
        return 0;
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t kt_cursor_u64be(kt_cursor *c) {
    const uint8_t *p = kt_cursor_take(c, 8);
    if (!p)
        return 0;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

/* Move to absolute offset `pos` (fails if beyond the end). */
static inline bool kt_cursor_seek(kt_cursor *c, size_t pos) {
    if (c->failed || pos > c->len) {
        c->failed = true;
        return false;
    }
    c->pos = pos;
    return true;
}

/* Little-endian stores for writers (fixed-size output buffers). */
static inline void kt_put_u32le(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void kt_put_u64le(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t kt_get_u32le(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t kt_get_u64le(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

#endif
