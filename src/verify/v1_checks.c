/*
 * The schema-v1 checks of a tee_generateQuote answer against the report
 * data its quote carries: config_hash, report_data, messages, continuity
 * (what Piltover's v1 component.cairo checks, plus continuity between two
 * answers). Each is one verdict line; what cannot run is skipped by name.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "katana_tee/hex.h"
#include "katana_tee/katana_v1.h"
#include "util/error.h"
#include "verify/internal.h"
#include "verify/v1_internal.h"

void kt_v1_expect_init(kt_v1_expect *exp) {
    memset(exp, 0, sizeof *exp);
    exp->fee_token = kt_v1_default_fee_token();
    exp->settlement = KT_V1_SETTLEMENT_AUTO;
}

static void hex_of(const kt_felt *f, char out[KT_FELT_HEX_MAX]) {
    kt_felt_to_hex(f, out);
}

/* The felt in 32 report-data bytes; out of range (>= p) reads as "not a felt". */
static bool half_felt(const uint8_t half[32], kt_felt *out) {
    return kt_felt_from_be32(half, out, NULL) == KT_OK;
}

static void check_config_hash(const kt_v1_attestation *att, const uint8_t rd[64],
                              const char *where, const kt_v1_expect *exp, kt_check *c) {
    char claimed[KT_FELT_HEX_MAX];
    hex_of(&att->katana_tee_config_hash, claimed);
    kt_felt half;
    if (!half_felt(rd + 32, &half) || !kt_felt_equal(&half, &att->katana_tee_config_hash)) {
        char got[17];
        kt_hex_encode(rd + 32, 8, got);
        kt_check_set(c, KT_RESULT_FAIL, KT_E_REPORT_DATA,
                     "%s[32..64] (%s…) is not katanaTeeConfigHash %s", where, got, claimed);
        return;
    }
    if (!exp || !exp->has_config) {
        kt_check_set(c, KT_RESULT_SKIPPED, KT_OK,
                     "%s[32..64] = katanaTeeConfigHash %s, but no expected chain was "
                     "given (chain id, fee token): which chain signed is not checked",
                     where, claimed);
        return;
    }
    kt_felt want = kt_v1_config_hash(&exp->chain_id, &exp->fee_token);
    char want_hex[KT_FELT_HEX_MAX], chain_hex[KT_FELT_HEX_MAX];
    hex_of(&want, want_hex);
    hex_of(&exp->chain_id, chain_hex);
    if (!kt_felt_equal(&want, &att->katana_tee_config_hash)) {
        kt_check_set(c, KT_RESULT_FAIL, KT_E_POLICY,
                     "katanaTeeConfigHash %s is not the expected %s (chain id %s with the given "
                     "fee token)",
                     claimed, want_hex, chain_hex);
        return;
    }
    kt_check_set(c, KT_RESULT_PASS, KT_OK,
                 "%s[32..64] = katanaTeeConfigHash = expected %s (chain id %s)", where,
                 want_hex, chain_hex);
}

static void check_report_data(const kt_v1_attestation *att, const uint8_t rd[64],
                              const char *where, kt_check *c) {
    kt_v1_commit_input in;
    kt_v1_attestation_commit_input(att, &in);
    kt_felt commitment;
    kt_error err = {0};
    if (kt_commit_v1_felt(&in, &commitment, NULL, NULL, &err) != KT_OK) {
        kt_check_set(c, KT_RESULT_FAIL, err.status, "%s", err.message);
        return;
    }
    char want[KT_FELT_HEX_MAX];
    hex_of(&commitment, want);
    kt_felt half;
    if (!half_felt(rd, &half) || !kt_felt_equal(&half, &commitment)) {
        char got[17];
        kt_hex_encode(rd, 8, got);
        kt_check_set(c, KT_RESULT_FAIL, KT_E_REPORT_DATA,
                     "%s[0..32] (%s…) is not the %s commitment of the answer's fields (%s)",
                     where, got, kt_v1_mode_name(in.mode), want);
        return;
    }
    char number[KT_FELT_HEX_MAX];
    hex_of(&att->block_number, number);
    kt_check_set(c, KT_RESULT_PASS, KT_OK,
                 "%s[0..32] = %s commitment %s of block %s and its fields%s", where,
                 kt_v1_mode_name(in.mode), want, number,
                 in.mode == KT_V1_APPCHAIN ? " (eventsCommitment is not bound in appchain mode)"
                                           : "");
}

/* L1->L2 hashes rebuilt one way; KT_OK or the first failure. */
static kt_status rebuild_l1(const kt_v1_attestation *att, kt_v1_settlement how, kt_felt *out,
                            kt_error *err) {
    for (size_t i = 0; i < att->n_l1_to_l2; i++) {
        kt_status st = how == KT_V1_SETTLEMENT_ETHEREUM
                           ? kt_v1_l1_to_l2_hash_ethereum(&att->l1_to_l2[i], NULL, &out[i], err)
                           : kt_v1_l1_to_l2_hash_starknet(&att->l1_to_l2[i], &out[i], err);
        if (st != KT_OK)
            return st;
    }
    return KT_OK;
}

/* Does the commitment over the lists, with L1->L2 hashes rebuilt `how`, match? */
static kt_status messages_match(const kt_v1_attestation *att, kt_v1_settlement how,
                                kt_felt *l1_hashes, bool *match, kt_error *err) {
    kt_status st = rebuild_l1(att, how, l1_hashes, err);
    kt_felt mc;
    if (st == KT_OK)
        st = kt_v1_messages_commitment(att->l2_to_l1, att->n_l2_to_l1, l1_hashes,
                                       att->n_l1_to_l2, &mc, err);
    *match = st == KT_OK && kt_felt_equal(&mc, &att->messages_commitment);
    return st;
}

static void check_messages(const kt_v1_attestation *att, const kt_v1_expect *exp, kt_check *c) {
    kt_felt zero = kt_felt_from_u64(0);
    if (att->has_fork_block_number) {
        if (!kt_felt_equal(&att->messages_commitment, &zero) || att->n_l2_to_l1 ||
            att->n_l1_to_l2)
            kt_check_set(c, KT_RESULT_FAIL, KT_E_REPORT_DATA,
                         "sharding answer carries messages (Katana sends messagesCommitment 0x0 "
                         "and empty lists in sharding mode)");
        else
            kt_check_set(c, KT_RESULT_SKIPPED, KT_OK,
                         "sharding mode: messages are not part of the report data");
        return;
    }
    kt_v1_settlement how = exp ? exp->settlement : KT_V1_SETTLEMENT_AUTO;
    kt_felt *l1 = calloc(att->n_l1_to_l2 + 1, sizeof *l1);
    if (!l1) {
        kt_check_set(c, KT_RESULT_FAIL, KT_E_NOMEM, "out of memory");
        return;
    }
    kt_error err = {0};
    bool match = false;
    const char *rebuilt = "";
    kt_status st = KT_OK;
    if (att->n_l1_to_l2 == 0) {
        st = messages_match(att, KT_V1_SETTLEMENT_STARKNET, l1, &match, &err);
    } else if (how != KT_V1_SETTLEMENT_AUTO) {
        st = messages_match(att, how, l1, &match, &err);
        rebuilt = how == KT_V1_SETTLEMENT_ETHEREUM ? ", L1->L2 hashes rebuilt as Ethereum-settled"
                                                   : ", L1->L2 hashes rebuilt as Starknet-settled";
    } else {
        st = messages_match(att, KT_V1_SETTLEMENT_STARKNET, l1, &match, &err);
        rebuilt = ", L1->L2 hashes rebuilt as Starknet-settled";
        if (st == KT_OK && !match) {
            st = messages_match(att, KT_V1_SETTLEMENT_ETHEREUM, l1, &match, &err);
            rebuilt = ", L1->L2 hashes rebuilt as Ethereum-settled";
        }
    }
    free(l1);
    char mc[KT_FELT_HEX_MAX];
    hex_of(&att->messages_commitment, mc);
    if (st != KT_OK) {
        kt_check_set(c, KT_RESULT_FAIL, st, "messages: %s", err.message);
    } else if (match) {
        kt_check_set(c, KT_RESULT_PASS, KT_OK,
                     "messagesCommitment %s = %zu L2->L1 and %zu L1->L2 messages%s", mc,
                     att->n_l2_to_l1, att->n_l1_to_l2, rebuilt);
    } else if (att->n_l1_to_l2 == 0) {
        kt_check_set(c, KT_RESULT_FAIL, KT_E_REPORT_DATA,
                     "messagesCommitment %s is not the commitment of the %zu L2->L1 messages "
                     "listed",
                     mc, att->n_l2_to_l1);
    } else {
        kt_check_set(c, KT_RESULT_FAIL, KT_E_REPORT_DATA,
                     "messagesCommitment %s does not match the lists: the L1->L2 hashes could "
                     "not be rebuilt from l1ToL2Messages (%s), so the lists are not confirmed",
                     mc,
                     how == KT_V1_SETTLEMENT_AUTO ? "tried Starknet- and Ethereum-settled"
                     : how == KT_V1_SETTLEMENT_ETHEREUM ? "Ethereum-settled"
                                                        : "Starknet-settled");
    }
}

static void check_continuity(const kt_v1_attestation *att, const kt_v1_attestation *prev,
                             kt_check *c) {
    if (!prev) {
        kt_check_set(c, KT_RESULT_SKIPPED, KT_OK,
                     "no previous attestation given: continuity not checked");
        return;
    }
    kt_felt max = kt_v1_felt_max();
    char want[KT_FELT_HEX_MAX], got[KT_FELT_HEX_MAX];
    if (kt_felt_equal(&att->prev_block_number, &max)) {
        kt_check_set(c, KT_RESULT_FAIL, KT_E_BINDING,
                     "this attestation starts at genesis (prevBlockNumber is Felt::MAX): it "
                     "follows no previous attestation");
        return;
    }
    static const struct {
        const char *name, *prev_name;
        size_t here, there;
    } pairs[] = {
        {"prevBlockNumber", "blockNumber", offsetof(kt_v1_attestation, prev_block_number),
         offsetof(kt_v1_attestation, block_number)},
        {"prevBlockHash", "blockHash", offsetof(kt_v1_attestation, prev_block_hash),
         offsetof(kt_v1_attestation, block_hash)},
        {"prevStateRoot", "stateRoot", offsetof(kt_v1_attestation, prev_state_root),
         offsetof(kt_v1_attestation, state_root)},
        {"katanaTeeConfigHash", "katanaTeeConfigHash",
         offsetof(kt_v1_attestation, katana_tee_config_hash),
         offsetof(kt_v1_attestation, katana_tee_config_hash)},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        const kt_felt *a = (const kt_felt *)((const char *)att + pairs[i].here);
        const kt_felt *b = (const kt_felt *)((const char *)prev + pairs[i].there);
        if (!kt_felt_equal(a, b)) {
            hex_of(a, got);
            hex_of(b, want);
            kt_check_set(c, KT_RESULT_FAIL, KT_E_BINDING,
                         "%s %s is not the previous attestation's %s %s", pairs[i].name, got,
                         pairs[i].prev_name, want);
            return;
        }
    }
    hex_of(&prev->block_number, want);
    hex_of(&att->block_number, got);
    kt_check_set(c, KT_RESULT_PASS, KT_OK,
                 "follows the attestation of block %s (number, hash, state root and config "
                 "hash agree); this answer covers blocks after it up to %s",
                 want, got);
}

kt_status kt_v1_check_attestation(const kt_v1_attestation *att, const uint8_t report_data[64],
                                  const kt_v1_expect *exp, const kt_v1_attestation *prev,
                                  kt_v1_checks *out, kt_error *err) {
    return kt_v1_check_attestation_in(att, report_data, "report data", exp, prev, out, err);
}

kt_status kt_v1_check_attestation_in(const kt_v1_attestation *att, const uint8_t report_data[64],
                                     const char *where, const kt_v1_expect *exp,
                                     const kt_v1_attestation *prev, kt_v1_checks *out,
                                     kt_error *err) {
    if (!att || !report_data || !out || !where)
        return kt_fail(err, KT_E_INVALID_ARG, "v1 checks: missing argument");
    memset(out, 0, sizeof *out);
    check_config_hash(att, report_data, where, exp, &out->config_hash);
    check_report_data(att, report_data, where, &out->report_data);
    check_messages(att, exp, &out->messages);
    check_continuity(att, prev, &out->continuity);
    const struct {
        const char *name;
        const kt_check *c;
    } all[] = {{"config_hash", &out->config_hash},
               {"report_data", &out->report_data},
               {"messages", &out->messages},
               {"continuity", &out->continuity}};
    for (size_t i = 0; i < 4; i++)
        if (all[i].c->result == KT_RESULT_FAIL)
            return kt_fail(err, all[i].c->status, "%s: %s", all[i].name, all[i].c->detail);
    return KT_OK;
}

void kt_v1_checks_apply(const kt_v1_checks *checks, kt_verdict *verdict) {
    verdict->checks[KT_CHECK_CONFIG_HASH] = checks->config_hash;
    verdict->checks[KT_CHECK_REPORT_DATA] = checks->report_data;
    verdict->checks[KT_CHECK_MESSAGES] = checks->messages;
    verdict->checks[KT_CHECK_CONTINUITY] = checks->continuity;
    const kt_check *all[] = {&checks->config_hash, &checks->report_data, &checks->messages,
                             &checks->continuity};
    for (size_t i = 0; i < 4; i++)
        if (all[i]->result == KT_RESULT_FAIL || all[i]->result == KT_RESULT_NOT_RUN)
            verdict->valid = false;
}
