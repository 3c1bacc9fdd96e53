#include "util/jsonutil.h"

#include <stdlib.h>

#include "katana_tee/hex.h"

json_t *kt_json_hex(const uint8_t *bytes, size_t len) {
    char small[2 * 72 + 1]; /* reports' and certificates' fields fit without allocating */
    char *text = len <= 72 ? small : malloc(2 * len + 1);
    if (!text)
        return NULL;
    kt_hex_encode(bytes, len, text);
    json_t *s = json_string(text);
    if (text != small)
        free(text);
    return s;
}
