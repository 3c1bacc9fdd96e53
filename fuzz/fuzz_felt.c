/*
 * libFuzzer target for kt_felt_parse: any bytes either parse to a value
 * below p or are refused with a one-line message; a parsed value survives
 * to_hex -> parse and to_be32 -> from_be32 unchanged, and its decimal form
 * (computed here) parses to the same value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "katana_tee/felt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void to_decimal(const kt_felt *f, char out[80]) {
    uint64_t v[4];
    memcpy(v, f->limb, sizeof v);
    char tmp[80];
    size_t n = 0;
    do {
        __extension__ unsigned __int128 rem = 0;
        for (int i = 3; i >= 0; i--) {
            __extension__ unsigned __int128 cur = (rem << 64) | v[i];
            v[i] = (uint64_t)(cur / 10);
            rem = cur % 10;
        }
        tmp[n++] = (char)('0' + (int)rem);
    } while (v[0] | v[1] | v[2] | v[3]);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    kt_felt f;
    kt_error err = {0};
    kt_status st = kt_felt_parse((const char *)data, size, &f, "fuzz", &err);
    if (st != KT_OK) {
        if (err.status != st || err.message[0] == '\0' || strchr(err.message, '\n'))
            abort();
        return 0;
    }
    static const uint64_t p[4] = {1u, 0u, 0u, 0x0800000000000011u};
    for (int i = 3; i >= 0; i--) {
        if (f.limb[i] < p[i])
            break;
        if (f.limb[i] > p[i] || i == 0)
            abort(); /* parsed value is not below p */
    }
    char hex[KT_FELT_HEX_MAX];
    kt_felt_to_hex(&f, hex);
    kt_felt g;
    if (kt_felt_parse(hex, strlen(hex), &g, "round trip", NULL) != KT_OK || !kt_felt_equal(&f, &g))
        abort();
    char dec[80];
    to_decimal(&f, dec);
    if (kt_felt_parse(dec, strlen(dec), &g, "round trip", NULL) != KT_OK || !kt_felt_equal(&f, &g))
        abort();
    uint8_t be[32];
    kt_felt_to_be32(&f, be);
    if (kt_felt_from_be32(be, &g, NULL) != KT_OK || !kt_felt_equal(&f, &g))
        abort();
    return 0;
}
