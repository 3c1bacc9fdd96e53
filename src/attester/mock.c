/* The mock attester: Katana's unsigned mock quote format. */
#include <stdlib.h>
#include <string.h>

#include "attester/attester_internal.h"
#include "katana_tee/quote.h"
#include "util/error.h"

typedef struct mock_ctx {
    uint8_t *prefix;
    size_t prefix_len;
} mock_ctx;

static kt_status mock_quote(void *ctx, const uint8_t report_data[64], uint8_t **quote,
                            size_t *quote_len, kt_error *err) {
    mock_ctx *m = ctx;
    return kt_mock_quote_encode(m->prefix, m->prefix_len, report_data, quote, quote_len, err);
}

static void mock_free(void *ctx) {
    mock_ctx *m = ctx;
    if (m)
        free(m->prefix);
    free(m);
}

static const kt_attester_ops mock_ops = {"mock", mock_quote, mock_free};

kt_status kt_attester_mock_open(const kt_attester_opts *opts, const kt_attester_ops **ops,
                                void **ctx, kt_error *err) {
    mock_ctx *m = calloc(1, sizeof *m);
    if (!m)
        return kt_fail(err, KT_E_NOMEM, "out of memory creating mock attester");
    if (opts->mock_prefix_len) {
        if (opts->mock_prefix_len > 4096) {
            free(m);
            return kt_fail(err, KT_E_TOO_LARGE, "mock prefix of %zu bytes exceeds 4096",
                           opts->mock_prefix_len);
        }
        m->prefix = malloc(opts->mock_prefix_len);
        if (!m->prefix) {
            free(m);
            return kt_fail(err, KT_E_NOMEM, "out of memory creating mock attester");
        }
        memcpy(m->prefix, opts->mock_prefix, opts->mock_prefix_len);
        m->prefix_len = opts->mock_prefix_len;
    }
    *ops = &mock_ops;
    *ctx = m;
    return KT_OK;
}
