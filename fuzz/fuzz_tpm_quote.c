/*
 * libFuzzer target for the TPMS_ATTEST and TPMT_SIGNATURE parsers. The first
 * byte chooses: even = quote, odd = signature (bit 1: raw form). Properties:
 * one-line failures; a parsed quote's sizes are within their caps and its
 * PCR selection within 24 PCRs; a parsed signature lies inside the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "katana_tee/azure.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0)
        return 0;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    kt_error err = {0};
    kt_status st;
    if ((data[0] & 1) == 0) {
        kt_tpm_quote_info q;
        st = kt_tpm_quote_parse(p, n, &q, &err);
        if (st == KT_OK && (q.extra_data_len > 64 || q.pcr_digest_len > 64 ||
                            q.signer_name_len > sizeof q.signer_name || q.pcr_select > 0xFFFFFF ||
                            q.pcr_hash != KT_TPM_ALG_SHA256))
            abort();
    } else {
        const uint8_t *sig = NULL;
        size_t sig_len = 0;
        st = kt_tpm_signature_parse(p, n, (data[0] & 2) != 0, &sig, &sig_len, &err);
        if (st == KT_OK && (sig < p || sig + sig_len > p + n || sig_len < 256))
            abort();
    }
    if (st != KT_OK && (err.status != st || !err.message[0] || strchr(err.message, '\n')))
        abort();
    return 0;
}
