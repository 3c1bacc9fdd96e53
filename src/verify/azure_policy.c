/* The Azure part of a policy file: PCR values the vTPM quote must show. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "azure/azure_internal.h"
#include "katana_tee/hex.h"
#include "util/error.h"

kt_status kt_azure_policy_pcrs(json_t *value, kt_policy *policy, kt_error *err) {
    if (!json_is_object(value))
        return kt_fail(err, KT_E_PARSE,
                       "policy: \"pcrs\" must be an object {\"<index 0..23>\": \"<64 hex digits>\"}");
    if (json_object_size(value) == 0)
        return kt_fail(err, KT_E_PARSE,
                       "policy: \"pcrs\" names no PCR: it would constrain nothing (leave the key "
                       "out)");
    const char *k;
    json_t *v;
    json_object_foreach(value, k, v) {
        char *end = NULL;
        long index = strtol(k, &end, 10);
        if (!k[0] || *end || index < 0 || index >= KT_TPM_PCR_COUNT || (k[0] == '0' && k[1]))
            return kt_fail(err, KT_E_PARSE, "policy: \"pcrs\" key \"%s\" is not a PCR index 0..23",
                           k);
        if (!json_is_string(v))
            return kt_fail(err, KT_E_PARSE, "policy: PCR %ld must be a hex string", index);
        char what[32];
        snprintf(what, sizeof what, "policy: PCR %ld", index);
        kt_status st = kt_hex_decode_exact(json_string_value(v), json_string_length(v),
                                           policy->pcr_values[index], 32, what, err);
        if (st != KT_OK)
            return st;
        policy->pcr_mask |= 1u << index;
    }
    return KT_OK;
}
