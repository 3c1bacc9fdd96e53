/*
 * libFuzzer target for Azure evidence envelopes (every layout) and the
 * description `show` prints: decode never crashes, fails with one line, and
 * what decodes can be described, copied and (with an HCL report and a TPMT
 * signature) encoded and decoded again to the same HCL bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "katana_tee/azure.h"
#include "katana_tee/quote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    kt_azure_evidence *ev = NULL, *copy = NULL;
    kt_error err = {0};
    kt_status st = kt_azure_evidence_decode(data, size, &ev, &err);
    if (st != KT_OK) {
        if (ev || err.status != st || !err.message[0] || strchr(err.message, '\n'))
            abort();
        return 0;
    }
    char *text = NULL;
    if (kt_azure_evidence_describe(ev, false, &text, &err) != KT_OK)
        abort();
    free(text);
    if (kt_azure_evidence_copy(ev, &copy, &err) != KT_OK)
        abort();
    uint8_t *enc = NULL;
    size_t enc_len = 0;
    if (ev->hcl && !(ev->quote_msg && ev->quote_sig_raw)) {
        if (kt_azure_evidence_encode(copy, &enc, &enc_len, &err) != KT_OK)
            abort();
        kt_azure_evidence *again = NULL;
        if (kt_azure_evidence_decode(enc, enc_len, &again, &err) != KT_OK ||
            again->hcl_len != ev->hcl_len || memcmp(again->hcl, ev->hcl, ev->hcl_len) != 0 ||
            again->pcr_mask != ev->pcr_mask)
            abort();
        kt_azure_evidence_free(&again);
        kt_bytes_free(enc);
    }
    kt_azure_evidence_free(&copy);
    kt_azure_evidence_free(&ev);
    return 0;
}
