/* Schema v1 helpers for the CLI commands (see v1_cli.h). */
#include "v1_cli.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commit/v1_json.h"
#include "util/error.h"

kt_status kt_cli_v1_select(const char *schema, const uint8_t *bytes, size_t len, bool *is_v1,
                           kt_error *err) {
    *is_v1 = false;
    if (schema) {
        if (strcmp(schema, "v1") == 0)
            *is_v1 = true;
        else if (strcmp(schema, "v0") != 0)
            return kt_fail(err, KT_E_INVALID_ARG, "--schema %s: expected v0 or v1", schema);
        return KT_OK;
    }
    size_t i = 0;
    while (i < len && (bytes[i] == ' ' || bytes[i] == '\n' || bytes[i] == '\r' || bytes[i] == '\t'))
        i++;
    if (i == len || bytes[i] != '{')
        return KT_OK; /* not JSON: a binary, hex or mock quote is v0 */
    json_t *doc;
    const json_t *result;
    kt_error ignored = {0};
    if (kt_v1j_load((const char *)bytes, len, "quote", &doc, &result, &ignored) == KT_OK)
        *is_v1 = json_object_get(result, "katanaTeeConfigHash") != NULL;
    json_decref(doc);
    return KT_OK; /* what is not v1 JSON is judged by the v0 decoder */
}

kt_status kt_cli_v1_refuse_for_v0(const kt_cli_v1_opts *o, kt_error *err) {
    const char *opt = o->chain_id    ? "--chain-id"
                      : o->fee_token ? "--fee-token"
                      : o->settlement ? "--settlement"
                      : o->follows   ? "--follows"
                                     : NULL;
    if (opt)
        return kt_fail(err, KT_E_INVALID_ARG,
                       "%s applies to schema v1 answers; this input is schema v0", opt);
    return KT_OK;
}

kt_status kt_cli_v1_chain_id(const char *text, kt_felt *out, kt_error *err) {
    bool numeric = text[0] >= '0' && text[0] <= '9';
    if (numeric)
        return kt_cli_felt(text, "--chain-id", out, err);
    kt_status st = kt_v1_short_string(text, out, err);
    return st == KT_OK ? st : kt_fail_context(err, st, "--chain-id");
}

kt_status kt_cli_v1_expect(const kt_cli_v1_opts *o, kt_v1_expect *exp, kt_error *err) {
    kt_v1_expect_init(exp);
    if (o->fee_token && !o->chain_id)
        return kt_fail(err, KT_E_INVALID_ARG, "--fee-token goes with --chain-id");
    if (o->chain_id) {
        kt_status st = kt_cli_v1_chain_id(o->chain_id, &exp->chain_id, err);
        if (st == KT_OK && o->fee_token)
            st = kt_cli_felt(o->fee_token, "--fee-token", &exp->fee_token, err);
        if (st != KT_OK)
            return st;
        exp->has_config = true;
    }
    if (o->settlement) {
        if (strcmp(o->settlement, "starknet") == 0)
            exp->settlement = KT_V1_SETTLEMENT_STARKNET;
        else if (strcmp(o->settlement, "ethereum") == 0)
            exp->settlement = KT_V1_SETTLEMENT_ETHEREUM;
        else
            return kt_fail(err, KT_E_INVALID_ARG, "--settlement %s: expected starknet or ethereum",
                           o->settlement);
    }
    return KT_OK;
}

kt_status kt_cli_v1_load(kt_cli_v1 *v, const kt_cli_v1_opts *o, const uint8_t *bytes,
                         size_t len, const char *what, kt_error *err) {
    memset(v, 0, sizeof *v);
    v->active = true;
    kt_status st = kt_v1_attestation_parse((const char *)bytes, len, &v->att, err);
    if (st != KT_OK)
        return kt_fail_context(err, st, "%s", what);
    if ((st = kt_cli_v1_expect(o, &v->expect, err)) != KT_OK)
        return st;
    if (o->follows) {
        uint8_t *prev = NULL;
        size_t prev_len = 0;
        st = kt_cli_read(o->follows, KT_V1J_MAX_TEXT, &prev, &prev_len, err);
        if (st == KT_OK)
            st = kt_v1_attestation_parse((const char *)prev, prev_len, &v->prev, err);
        free(prev);
        if (st != KT_OK)
            return kt_fail_context(err, st, "--follows %s", o->follows);
        v->has_prev = true;
    }
    return KT_OK;
}

void kt_cli_v1_free(kt_cli_v1 *v) {
    kt_v1_attestation_free(&v->att);
    kt_v1_attestation_free(&v->prev);
    v->active = v->has_prev = false;
}
