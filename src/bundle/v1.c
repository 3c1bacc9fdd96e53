/*
 * The schema v1 expectation of a bundle: the BlockAttestation Katana sent
 * (its JSON object, members as Katana names them), the one it follows
 * (--follows) and what was expected of it (chain id and fee token,
 * settlement). They live in the "expected" member, mode "katana_v1", so a
 * plain bundle is unchanged and a reader that predates them refuses the
 * mode by name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/bundle_internal.h"
#include "commit/v1_json.h"
#include "katana_tee/quote.h"
#include "katana_tee/report.h"
#include "util/buf_fmt.h"
#include "util/error.h"

static const char *const settlement_names[] = {"auto", "starknet", "ethereum"};

/* A deep copy through the strict codec: what is copied is what a reader gets back. */
static kt_status copy_attestation(const kt_v1_attestation *from, kt_v1_attestation *to,
                                  const char *what, kt_error *err) {
    json_t *j = kt_v1_attestation_to_json(from);
    if (!j)
        return kt_fail_oom(err);
    kt_status st = kt_v1_attestation_from_json(j, to, err);
    json_decref(j);
    return st == KT_OK ? KT_OK : kt_fail_context(err, st, "%s", what);
}

kt_status kt_bundle_v1_set(kt_bundle *b, const kt_bundle_v1 *v1, kt_error *err) {
    if (!v1->attestation)
        return kt_fail(err, KT_E_INVALID_ARG, "bundle: a schema v1 verification needs its answer");
    b->expect = KT_EXPECT_KATANA_V1;
    kt_status st = copy_attestation(v1->attestation, &b->v1_att, "bundle: the v1 answer", err);
    if (st == KT_OK && v1->follows) {
        b->v1_has_prev = true;
        st = copy_attestation(v1->follows, &b->v1_prev, "bundle: the answer it follows", err);
    }
    if (v1->expect)
        b->v1_expect = *v1->expect;
    else
        kt_v1_expect_init(&b->v1_expect);
    if (st == KT_OK && (unsigned)b->v1_expect.settlement > KT_V1_SETTLEMENT_ETHEREUM)
        st = kt_fail(err, KT_E_INVALID_ARG, "bundle: unknown v1 settlement %d",
                     (int)b->v1_expect.settlement);
    return st;
}

bool kt_bundle_v1_to_json(const kt_bundle *b, json_t *e) {
    json_t *config = json_null();
    if (b->v1_expect.has_config) {
        config = json_object();
        if (!config || !kt_v1j_set(config, "chain_id", kt_v1j_felt_value(&b->v1_expect.chain_id)) ||
            !kt_v1j_set(config, "fee_token", kt_v1j_felt_value(&b->v1_expect.fee_token))) {
            json_decref(config);
            return false;
        }
    }
    return kt_v1j_set(e, "attestation", kt_v1_attestation_to_json(&b->v1_att)) &&
           kt_v1j_set(e, "follows",
                      b->v1_has_prev ? kt_v1_attestation_to_json(&b->v1_prev) : json_null()) &&
           kt_v1j_set(e, "config", config) &&
           kt_v1j_set(e, "settlement",
                      json_string(settlement_names[b->v1_expect.settlement]));
}

kt_status kt_bundle_v1_read(kt_bundle *b, const json_t *e, const char *file, kt_error *err) {
    static const char *const keys[] = {"mode", "attestation", "follows", "config", "settlement"};
    kt_status st = kt_v1j_keys(e, "\"expected\"", keys, 5, keys, 5, err);
    if (st != KT_OK)
        return kt_fail_context(err, st, "%s", file);
    b->expect = KT_EXPECT_KATANA_V1;
    kt_v1_expect_init(&b->v1_expect);
    st = kt_v1_attestation_from_json(json_object_get(e, "attestation"), &b->v1_att, err);
    if (st != KT_OK)
        return kt_fail_context(err, st, "%s: expected.attestation", file);
    const json_t *prev = json_object_get(e, "follows");
    if (!json_is_null(prev)) {
        b->v1_has_prev = true;
        if ((st = kt_v1_attestation_from_json(prev, &b->v1_prev, err)) != KT_OK)
            return kt_fail_context(err, st, "%s: expected.follows", file);
    }
    const json_t *config = json_object_get(e, "config");
    if (!json_is_null(config)) {
        static const char *const ckeys[] = {"chain_id", "fee_token"};
        if ((st = kt_v1j_keys(config, "expected.config", ckeys, 2, ckeys, 2, err)) != KT_OK ||
            (st = kt_v1j_felt_key(config, "chain_id", "expected.config", &b->v1_expect.chain_id,
                                  err)) != KT_OK ||
            (st = kt_v1j_felt_key(config, "fee_token", "expected.config",
                                  &b->v1_expect.fee_token, err)) != KT_OK)
            return kt_fail_context(err, st, "%s", file);
        b->v1_expect.has_config = true;
    }
    const char *how = json_string_value(json_object_get(e, "settlement"));
    int s = 0;
    while (how && s < 3 && strcmp(settlement_names[s], how) != 0)
        s++;
    if (!how || s == 3)
        return kt_fail(err, KT_E_PARSE,
                       "%s: expected.settlement must be \"auto\", \"starknet\" or \"ethereum\"",
                       file);
    b->v1_expect.settlement = (kt_v1_settlement)s;
    return KT_OK;
}

kt_status kt_bundle_v1_check_quote(const kt_bundle *b, const char *file, kt_error *err) {
    kt_quote *q = NULL;
    kt_error qerr = {0};
    kt_status st = kt_quote_decode(b->v1_att.quote, b->v1_att.quote_len, &q, &qerr);
    if (st != KT_OK)
        return kt_fail(err, KT_E_PARSE, "%s: expected.attestation.quote: %s", file, qerr.message);
    bool same = q->kind == KT_QUOTE_SNP && q->encoding == KT_QUOTE_ENC_BINARY &&
                kt_bundle_quote_is(q, b->report, b->report + KT_REPORT_SIZE, b->table_len);
    kt_quote_free(&q);
    if (!same)
        return kt_fail(err, KT_E_PARSE,
                       "%s: expected.attestation.quote is not the recorded quote (report and "
                       "certificate table)",
                       file);
    return KT_OK;
}

bool kt_bundle_v1_describe(const kt_bundle *b, kt_buf *t) {
    const kt_v1_attestation *a = &b->v1_att;
    char number[KT_FELT_HEX_MAX], hash[KT_FELT_HEX_MAX], config[KT_FELT_HEX_MAX];
    kt_felt_to_hex(&a->block_number, number);
    kt_felt_to_hex(&a->block_hash, hash);
    kt_felt_to_hex(&a->katana_tee_config_hash, config);
    bool ok = kt_buf_appendf(t, "expected: Katana schema v1 answer (%s mode), block %s, hash %s, "
                             "katanaTeeConfigHash %s, %zu L2->L1 and %zu L1->L2 messages\n",
                             kt_v1_mode_name(kt_v1_attestation_mode(a)), number, hash, config,
                             a->n_l2_to_l1, a->n_l1_to_l2);
    if (b->v1_has_prev) {
        kt_felt_to_hex(&b->v1_prev.block_number, number);
        ok = ok && kt_buf_appendf(t, "  follows: the answer for block %s\n", number);
    }
    if (b->v1_expect.has_config) {
        char chain[KT_FELT_HEX_MAX], fee[KT_FELT_HEX_MAX];
        kt_felt_to_hex(&b->v1_expect.chain_id, chain);
        kt_felt_to_hex(&b->v1_expect.fee_token, fee);
        ok = ok && kt_buf_appendf(t, "  expected chain: id %s, fee token %s\n", chain, fee);
    } else {
        ok = ok && kt_buf_appendf(t, "  expected chain: none given (config_hash skipped)\n");
    }
    return ok && kt_buf_appendf(t, "  settlement: %s\n",
                                settlement_names[b->v1_expect.settlement]);
}
