/*
 * libFuzzer target for kt_quote_decode (binary, hex, JSON, mock envelopes).
 * A refusal carries a one-line message; an accepted SNP quote's certificate
 * table parses again on its own and its report decodes leniently or fails
 * on version only; an accepted binary mock quote re-encodes to the input;
 * accepted Azure evidence either yields its parts (HCL report or report and
 * claims) or refuses them with a one-line message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "katana_tee/azure.h"
#include "katana_tee/quote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    kt_quote *q = NULL;
    kt_error err = {0};
    kt_status st = kt_quote_decode(data, size, &q, &err);
    if (st != KT_OK) {
        if (q || err.status != st || err.message[0] == '\0' || strchr(err.message, '\n'))
            abort();
        return 0;
    }
    if (!q)
        abort();
    if (q->kind == KT_QUOTE_SNP) {
        if (q->cert_table_bytes) {
            kt_cert_table t;
            if (kt_cert_table_parse(q->cert_table_bytes, q->cert_table_len, &t, &err) != KT_OK)
                abort();
        }
        kt_report_parse_opts opts = {true, KT_PRODUCT_UNKNOWN};
        kt_report r;
        kt_report_anomalies an;
        kt_status rs = kt_report_parse_ex(q->report_bytes, KT_REPORT_SIZE, &opts, &r, &an, &err);
        if (rs != KT_OK && rs != KT_E_UNSUPPORTED)
            abort();
        if (q->encoding == KT_QUOTE_ENC_BINARY && memcmp(q->report_bytes, data, KT_REPORT_SIZE))
            abort();
    } else if (q->kind == KT_QUOTE_MOCK) {
        uint8_t *enc = NULL;
        size_t len = 0;
        if (kt_mock_quote_encode(q->mock_prefix, q->mock_prefix_len, q->mock_report_data, &enc,
                                 &len, &err) != KT_OK)
            abort();
        if (q->encoding == KT_QUOTE_ENC_BINARY && (len != size || memcmp(enc, data, size) != 0))
            abort();
        kt_bytes_free(enc);
    } else if (q->kind == KT_QUOTE_AZURE) {
        if (!q->azure)
            abort();
        kt_hcl_report hcl;
        const uint8_t *snp = NULL, *claims = NULL;
        size_t claims_len = 0;
        kt_error perr = {0};
        kt_status ps = kt_azure_evidence_parts(q->azure, &hcl, &snp, &claims, &claims_len, &perr);
        if (ps == KT_OK ? (!snp || (!claims && claims_len))
                        : (perr.status != ps || !perr.message[0] || strchr(perr.message, '\n')))
            abort();
    } else {
        abort();
    }
    kt_quote_free(&q);
    if (q)
        abort();
    return 0;
}
