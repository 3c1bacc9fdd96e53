#include "katana_tee/hex.h"

#include "util/error.h"
#include "util/hexdigit.h"

int kt_hex_digit_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void kt_hex_encode(const uint8_t *bytes, size_t len, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 0xf];
    }
    out[2 * len] = '\0';
}

kt_status kt_hex_decode(const char *text, size_t text_len, uint8_t *out, size_t out_cap,
                        size_t *out_len, const char *what, kt_error *err) {
    if (!text || !out || !out_len)
        return kt_fail(err, KT_E_INVALID_ARG, "%s: missing argument to hex decoder", what);
    size_t skip = 0;
    if (text_len >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
        skip = 2;
    size_t digits = text_len - skip;
    if (digits % 2 != 0)
        return kt_fail(err, KT_E_LENGTH, "%s: odd number of hex digits (%zu)", what, digits);
    if (digits / 2 > out_cap)
        return kt_fail(err, KT_E_TOO_LARGE, "%s: %zu bytes of hex exceed the limit of %zu", what,
                       digits / 2, out_cap);
    for (size_t i = 0; i < digits; i += 2) {
        int hi = kt_hex_digit_value(text[skip + i]);
        int lo = kt_hex_digit_value(text[skip + i + 1]);
        if (hi < 0 || lo < 0) {
            size_t bad = skip + i + (hi < 0 ? 0 : 1);
            return kt_fail(err, KT_E_PARSE, "%s: not a hex digit at position %zu", what, bad);
        }
        out[i / 2] = (uint8_t)((hi << 4) | lo);
    }
    *out_len = digits / 2;
    return KT_OK;
}

kt_status kt_hex_decode_exact(const char *text, size_t text_len, uint8_t *out, size_t out_len,
                              const char *what, kt_error *err) {
    if (!text || !out)
        return kt_fail(err, KT_E_INVALID_ARG, "%s: missing argument to hex decoder", what);
    size_t skip = (text_len >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) ? 2 : 0;
    if (text_len - skip != 2 * out_len)
        return kt_fail(err, KT_E_LENGTH, "%s: expected %zu hex digits, got %zu", what, 2 * out_len,
                       text_len - skip);
    size_t got = 0;
    return kt_hex_decode(text, text_len, out, out_len, &got, what, err);
}
