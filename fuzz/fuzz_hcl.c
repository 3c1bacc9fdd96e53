/*
 * libFuzzer target for the HCL report parser. On every input: a failure
 * carries its status and a one-line message; a success has views inside
 * the input, sizes that agree (data_size = 20 + claims, used length within
 * the buffer, zero padding after it), and a hash_type the hash dispatch
 * accepts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "katana_tee/azure.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    kt_hcl_report h;
    kt_error err = {0};
    kt_status st = kt_hcl_parse(data, size, &h, &err);
    if (st != KT_OK) {
        if (err.status != st || !err.message[0] || strchr(err.message, '\n'))
            abort();
        return 0;
    }
    if (h.snp_report != data + KT_HCL_HEADER_SIZE || h.claims != data + KT_HCL_CLAIMS_OFFSET ||
        h.data_size != 20 + h.claims_len || h.used_len != KT_HCL_CLAIMS_OFFSET + h.claims_len ||
        h.used_len > size || h.report_type != KT_HCL_REPORT_TYPE_SNP)
        abort();
    for (size_t i = h.used_len; i < size; i++)
        if (data[i])
            abort();
    uint8_t digest[64];
    size_t n = 0;
    if (kt_hcl_hash_claims(h.hash_type, h.claims, h.claims_len, digest, &n, &err) != KT_OK ||
        n != kt_hcl_hash_len(h.hash_type))
        abort();
    return 0;
}
