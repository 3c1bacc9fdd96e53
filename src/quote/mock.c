/* Katana's mock quote: "MOCK" || prefix || report data || u32le byte sum. */
#include <stdlib.h>
#include <string.h>

#include "katana_tee/quote.h"
#include "util/cursor.h"
#include "util/error.h"

kt_status kt_mock_quote_encode(const uint8_t *prefix, size_t prefix_len,
                               const uint8_t report_data[64], uint8_t **out, size_t *out_len,
                               kt_error *err) {
    if (!report_data || !out || !out_len || (prefix_len && !prefix))
        return kt_fail(err, KT_E_INVALID_ARG, "mock quote: missing argument");
    if (prefix_len > KT_QUOTE_MAX_SIZE - 72)
        return kt_fail(err, KT_E_TOO_LARGE, "mock quote prefix of %zu bytes is too large",
                       prefix_len);
    size_t len = 4 + prefix_len + 64 + 4;
    uint8_t *q = malloc(len);
    if (!q)
        return kt_fail_oom(err);
    memcpy(q, KT_MOCK_MAGIC, 4);
    if (prefix_len)
        memcpy(q + 4, prefix, prefix_len);
    memcpy(q + 4 + prefix_len, report_data, 64);
    uint32_t sum = 0;
    for (size_t i = 0; i < len - 4; i++)
        sum += q[i]; /* wraps like Katana's u32 sum would for huge prefixes */
    kt_put_u32le(q + len - 4, sum);
    *out = q;
    *out_len = len;
    return KT_OK;
}

void kt_bytes_free(uint8_t *bytes) {
    free(bytes);
}
