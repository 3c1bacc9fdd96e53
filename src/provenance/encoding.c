/* Byte encodings for DSSE: base64 in either alphabet, strictly canonical, and the PAE. */
#include "provenance/encoding.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

static const char std_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Value of c in the alphabet chosen so far (0 unknown, 1 standard, 2 URL-safe), or -1. */
static int digit_value(char c, int *alphabet) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    int kind = (c == '+' || c == '/') ? 1 : (c == '-' || c == '_') ? 2 : 0;
    if (kind == 0) return -1;
    if (*alphabet != 0 && *alphabet != kind) return -2;
    *alphabet = kind;
    return (c == '+' || c == '-') ? 62 : 63;
}

kt_status kt_b64_decode(const char *text, size_t len, const char *what, uint8_t **out,
                        size_t *out_len, kt_error *err) {
    *out = NULL;
    *out_len = 0;
    size_t pad = 0;
    while (pad < len && text[len - 1 - pad] == '=') pad++;
    size_t n = len - pad; /* digits */
    if (pad > 2 || (pad > 0 && len % 4 != 0))
        return kt_fail(err, KT_E_PARSE, "%s: bad base64 padding", what);
    if (n % 4 == 1)
        return kt_fail(err, KT_E_PARSE, "%s: base64 length %zu cannot come from an encoder", what, len);
    if (pad > 0 && (n % 4) + pad != 4)
        return kt_fail(err, KT_E_PARSE, "%s: bad base64 padding", what);
    uint8_t *bytes = malloc(n / 4 * 3 + 3);
    if (!bytes) return kt_fail_oom(err);
    int alphabet = 0;
    uint32_t acc = 0;
    size_t bits = 0, o = 0;
    for (size_t i = 0; i < n; i++) {
        int v = digit_value(text[i], &alphabet);
        if (v < 0) {
            free(bytes);
            if (v == -2)
                return kt_fail(err, KT_E_PARSE, "%s: base64 mixes the standard and URL-safe alphabets",
                               what);
            return kt_fail(err, KT_E_PARSE, "%s: invalid base64 character at offset %zu", what, i);
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            bytes[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) {
        free(bytes);
        return kt_fail(err, KT_E_PARSE, "%s: base64 has non-zero unused trailing bits", what);
    }
    *out = bytes;
    *out_len = o;
    return KT_OK;
}

char *kt_b64_encode(const uint8_t *data, size_t len) {
    size_t groups = len / 3 + (len % 3 != 0);
    char *s = malloc(groups * 4 + 1);
    if (!s) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16;
        if (i + 1 < len) v |= (uint32_t)data[i + 1] << 8;
        if (i + 2 < len) v |= data[i + 2];
        s[o++] = std_alphabet[(v >> 18) & 63];
        s[o++] = std_alphabet[(v >> 12) & 63];
        s[o++] = i + 1 < len ? std_alphabet[(v >> 6) & 63] : '=';
        s[o++] = i + 2 < len ? std_alphabet[v & 63] : '=';
    }
    s[o] = '\0';
    return s;
}

/* The DSSE PAE (see encoding.h). */
uint8_t *kt_prov_pae(const char *type, const uint8_t *body, size_t body_len, size_t *out_len) {
    size_t tlen = strlen(type);
    char head[64];
    int h = snprintf(head, sizeof head, "DSSEv1 %zu ", tlen);
    char mid[32];
    int m = snprintf(mid, sizeof mid, " %zu ", body_len);
    size_t total = (size_t)h + tlen + (size_t)m + body_len;
    uint8_t *p = malloc(total ? total : 1);
    if (!p) return NULL;
    memcpy(p, head, (size_t)h);
    memcpy(p + h, type, tlen);
    memcpy(p + (size_t)h + tlen, mid, (size_t)m);
    if (body_len) memcpy(p + (size_t)h + tlen + (size_t)m, body, body_len);
    *out_len = total;
    return p;
}
