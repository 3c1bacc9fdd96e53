/* Fuzz the policy file parser: any bytes, and a parsed policy applies cleanly. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "katana_tee/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    kt_policy policy;
    kt_error err = {0};
    kt_status st = kt_policy_parse_json((const char *)data, size, "fuzz.json", &policy, &err);
    if (st != KT_OK && err.message[0] == '\0')
        abort(); /* every rejection must say why */
    if (st == KT_OK && policy.measurement_count > KT_POLICY_MAX_MEASUREMENTS)
        abort();
    return 0;
}
