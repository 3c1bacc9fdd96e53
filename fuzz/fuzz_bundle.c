/*
 * Fuzz the verification-bundle reader (kt_bundle_read): strict JSON, digest,
 * members, base64, policy, certificates, the schema v1 expectation (the
 * BlockAttestation, its predecessor, chain and settlement, and that the
 * answer's quote is the recorded one), canonical-form check. Whatever it
 * accepts must describe itself without trouble. Seed katana_v1 is a bundle
 * of a v1 verification (a simulator quote).
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
        (void)kt_bundle_is_v1(b);
        if (kt_bundle_describe(b, &text, &err) == KT_OK)
            kt_bytes_free((uint8_t *)text);
        kt_bundle_free(&b);
    }
    return 0;
}
