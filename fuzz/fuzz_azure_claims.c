/*
 * libFuzzer target for the runtime-claims parser: failures are one-line and
 * carry their status; a success has an RSA modulus of 2048..4096 bits and a
 * user-data state that is consistent (an error text exactly when malformed).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "katana_tee/azure.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    kt_azure_claims c;
    kt_error err = {0};
    kt_status st = kt_azure_claims_parse(data, size, &c, &err);
    if (st != KT_OK) {
        if (err.status != st || !err.message[0] || strchr(err.message, '\n'))
            abort();
        return 0;
    }
    if (c.ak_n_len < 256 || c.ak_n_len > KT_AZURE_RSA_MAX_BYTES || c.ak_e_len == 0 ||
        c.ak_e_len > sizeof c.ak_e || c.ak_n[0] == 0 || c.ak_e[0] == 0)
        abort();
    if ((c.user_data_state == KT_USER_DATA_MALFORMED) != (c.user_data_error[0] != '\0'))
        abort();
    return 0;
}
