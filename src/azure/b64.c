/*
 * Base64 as Azure evidence uses it: trustee and the claims' JWKs use the URL
 * alphabet, usually without padding; PEM and some fields use the standard
 * one. One decoder accepts both (never mixed within one input).
 */
#include <stdlib.h>
#include <string.h>

#include "azure/azure_internal.h"
#include "util/error.h"

static int b64_value(char ch, int *alphabet) {
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    int kind = 0, v = -1;
    if (ch == '+' || ch == '/')
        kind = 1, v = ch == '+' ? 62 : 63;
    else if (ch == '-' || ch == '_')
        kind = 2, v = ch == '-' ? 62 : 63;
    if (v < 0)
        return -1;
    if (*alphabet && *alphabet != kind)
        return -2;
    *alphabet = kind;
    return v;
}

kt_status kt_azure_b64_decode(const char *text, size_t len, size_t cap, const char *what,
                              uint8_t **out, size_t *out_len, kt_error *err) {
    *out = NULL;
    *out_len = 0;
    size_t n = len;
    while (n > 0 && text[n - 1] == '=')
        n--;
    if (len - n > 2 || (len != n && len % 4 != 0))
        return kt_fail(err, KT_E_PARSE, "%s: bad base64 padding", what);
    if (n % 4 == 1)
        return kt_fail(err, KT_E_PARSE, "%s: base64 length %zu is impossible", what, n);
    size_t bytes = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
    if (bytes > cap)
        return kt_fail(err, KT_E_TOO_LARGE, "%s: %zu bytes, more than the limit of %zu", what,
                       bytes, cap);
    uint8_t *buf = malloc(bytes ? bytes : 1);
    if (!buf)
        return kt_fail_oom(err);
    int alphabet = 0;
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value(text[i], &alphabet);
        if (v < 0) {
            free(buf);
            return kt_fail(err, KT_E_PARSE, "%s: %s at position %zu", what,
                           v == -2 ? "base64 alphabets mixed" : "not a base64 character", i);
        }
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) { /* the unused low bits of the last character must be zero */
        free(buf);
        return kt_fail(err, KT_E_PARSE, "%s: non-canonical base64 (trailing bits set)", what);
    }
    *out = buf;
    *out_len = o;
    return KT_OK;
}

kt_status kt_azure_b64url_encode(const uint8_t *bytes, size_t len, char **out, kt_error *err) {
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *s = malloc(len / 3 * 4 + 5);
    if (!s)
        return kt_fail_oom(err);
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        acc = acc << 8 | bytes[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            s[o++] = alphabet[(acc >> bits) & 63];
        }
        acc &= (1u << bits) - 1;
    }
    if (bits)
        s[o++] = alphabet[(acc << (6 - bits)) & 63];
    s[o] = '\0';
    *out = s;
    return KT_OK;
}
