/*
 * Fuzz the verification-bundle reader (kt_bundle_read): strict JSON, digest,
 * members, base64, policy, certificates, canonical-form check. Whatever it
 * accepts must describe itself without trouble.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "katana_tee/bundle.h"
#include "katana_tee/quote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    kt_bundle *b = NULL;
    kt_error err = {0};
    if (kt_bundle_read(data, size, "fuzz", &b, &err) == KT_OK) {
        char *text = NULL;
        if (kt_bundle_describe(b, &text, &err) == KT_OK)
            kt_bytes_free((uint8_t *)text);
        kt_bundle_free(&b);
    }
    return 0;
}
