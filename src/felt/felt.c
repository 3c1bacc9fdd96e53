#include "katana_tee/felt.h"

#include <string.h>

#include "felt/fe.h"
#include "util/error.h"
#include "util/hexdigit.h"

/* p as canonical limbs */
static const uint64_t kt_felt_p[4] = {1u, 0u, 0u, KT_FE_P3};

/* 1 when a < p (limbs), without branching on the value. */
static uint64_t below_p(const uint64_t a[4]) {
    kt_u128 acc = (kt_u128)a[0] - kt_felt_p[0];
    acc = (kt_u128)a[1] - kt_felt_p[1] - (uint64_t)(acc >> 64 & 1u);
    acc = (kt_u128)a[2] - kt_felt_p[2] - (uint64_t)(acc >> 64 & 1u);
    acc = (kt_u128)a[3] - kt_felt_p[3] - (uint64_t)(acc >> 64 & 1u);
    return (uint64_t)(acc >> 64 & 1u);
}


/* Longest decimal text accepted: 2^256 - 1 has 78 digits. */
#define KT_FELT_DEC_MAX 78

kt_status kt_felt_parse(const char *text, size_t len, kt_felt *out, const char *what,
                        kt_error *err) {
    if (!what)
        what = "felt";
    if (!out || (!text && len != 0))
        return kt_fail(err, KT_E_INVALID_ARG, "%s: missing argument to felt parser", what);
    if (len == 0)
        return kt_fail(err, KT_E_PARSE, "%s: empty value (expected decimal or 0x-hex)", what);
    if (text[0] == '-' || text[0] == '+')
        return kt_fail(err, KT_E_PARSE, "%s: signs are not allowed (felts are 0 to p-1)", what);

    uint64_t v[4] = {0, 0, 0, 0};
    bool hex = len >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
    if (hex) {
        size_t digits = len - 2;
        if (digits == 0)
            return kt_fail(err, KT_E_PARSE, "%s: \"0x\" without hex digits", what);
        for (size_t i = 2; i < len; i++)
            if (kt_hex_digit_value(text[i]) < 0)
                return kt_fail(err, KT_E_PARSE, "%s: not a hex digit at position %zu", what, i);
        if (digits > 64)
            return kt_fail(err, KT_E_TOO_LARGE,
                           "%s: %zu hex digits is more than 32 bytes (at most 64 digits)", what,
                           digits);
        for (size_t i = 0; i < digits; i++) {
            /* digit i from the right goes to bits 4i.. */
            size_t k = digits - 1 - i;
            uint64_t d = (uint64_t)kt_hex_digit_value(text[2 + k]);
            v[i / 16] |= d << (4 * (i % 16));
        }
    } else {
        for (size_t i = 0; i < len; i++)
            if (text[i] < '0' || text[i] > '9')
                return kt_fail(err, KT_E_PARSE,
                               "%s: not a decimal digit at position %zu (use 0x for hex)", what,
                               i);
        if (len > KT_FELT_DEC_MAX)
            return kt_fail(err, KT_E_TOO_LARGE, "%s: %zu decimal digits is more than 32 bytes",
                           what, len);
        for (size_t i = 0; i < len; i++) {
            /* v = 10*v + digit, watching for overflow past 256 bits */
            uint64_t carry = (uint64_t)(text[i] - '0');
            for (int k = 0; k < 4; k++) {
                kt_u128 x = (kt_u128)v[k] * 10u + carry;
                v[k] = (uint64_t)x;
                carry = (uint64_t)(x >> 64);
            }
            if (carry)
                return kt_fail(err, KT_E_TOO_LARGE, "%s: %.*s is more than 32 bytes", what,
                               (int)len, text);
        }
    }
    if (!below_p(v))
        return kt_fail(err, KT_E_RANGE, "%s: %.*s is not below the Stark prime", what, (int)len,
                       text);
    memcpy(out->limb, v, sizeof v);
    return KT_OK;
}

void kt_felt_to_hex(const kt_felt *f, char out[KT_FELT_HEX_MAX]) {
    static const char digits[] = "0123456789abcdef";
    size_t n = 0;
    out[n++] = '0';
    out[n++] = 'x';
    bool started = false;
    for (int i = 63; i >= 0; i--) {
        unsigned d = (unsigned)(f->limb[i / 16] >> (4 * (i % 16))) & 0xfu;
        if (d != 0 || started || i == 0) {
            out[n++] = digits[d];
            started = true;
        }
    }
    out[n] = '\0';
}

void kt_felt_to_be32(const kt_felt *f, uint8_t out[32]) {
    for (int i = 0; i < 32; i++)
        out[31 - i] = (uint8_t)(f->limb[i / 8] >> (8 * (i % 8)));
}

kt_status kt_felt_from_be32(const uint8_t in[32], kt_felt *out, kt_error *err) {
    if (!in || !out)
        return kt_fail(err, KT_E_INVALID_ARG, "felt: missing argument to kt_felt_from_be32");
    uint64_t v[4] = {0, 0, 0, 0};
    for (int i = 0; i < 32; i++)
        v[i / 8] |= (uint64_t)in[31 - i] << (8 * (i % 8));
    if (!below_p(v)) {
        char hex[65];
        static const char digits[] = "0123456789abcdef";
        for (int i = 0; i < 32; i++) {
            hex[2 * i] = digits[in[i] >> 4];
            hex[2 * i + 1] = digits[in[i] & 0xf];
        }
        hex[64] = '\0';
        return kt_fail(err, KT_E_RANGE, "felt: 0x%s is not below the Stark prime", hex);
    }
    memcpy(out->limb, v, sizeof v);
    return KT_OK;
}

kt_felt kt_felt_from_u64(uint64_t v) {
    kt_felt f = {{v, 0, 0, 0}};
    return f;
}

bool kt_felt_equal(const kt_felt *a, const kt_felt *b) {
    uint64_t d = 0;
    for (int i = 0; i < 4; i++)
        d |= a->limb[i] ^ b->limb[i];
    return d == 0;
}

/* The public felt and the internal element hold the same four limbs. */
static kt_fe fe_of(const kt_felt *f) {
    kt_fe x;
    memcpy(x.v, f->limb, sizeof x.v);
    return x;
}

static kt_felt felt_of(const kt_fe *x) {
    kt_felt f;
    memcpy(f.limb, x->v, sizeof f.limb);
    return f;
}

/* Addition and subtraction are the same in Montgomery and canonical form. */
kt_felt kt_felt_add(const kt_felt *a, const kt_felt *b) {
    kt_fe x = fe_of(a), y = fe_of(b), r;
    kt_fe_add(&r, &x, &y);
    return felt_of(&r);
}

kt_felt kt_felt_sub(const kt_felt *a, const kt_felt *b) {
    kt_fe x = fe_of(a), y = fe_of(b), r;
    kt_fe_sub(&r, &x, &y);
    return felt_of(&r);
}

/* mont(a, b) = a*b/R; multiplying that by R^2 (mont(., R^2)) gives a*b. */
kt_felt kt_felt_mul(const kt_felt *a, const kt_felt *b) {
    kt_fe x = fe_of(a), y = fe_of(b), r;
    kt_fe_mul(&r, &x, &y);
    kt_fe_mul(&r, &r, &kt_fe_r2);
    return felt_of(&r);
}
