/*
 * The state binding: the report data against the state the caller expects,
 * and the state a tee_generateQuote envelope claims against both. The
 * verdict records which state was checked, so it can say what was attested.
 */
#include <stdio.h>
#include <string.h>

#include "katana_tee/commit.h"
#include "katana_tee/hex.h"
#include "verify/internal.h"

/* The envelope (tee_generateQuote JSON) claims a state: it must be the caller's. */
static bool envelope_disagrees(const kt_verify_opts *opts, const kt_quote *quote,
                               kt_check *check) {
    if (!quote->has_state)
        return false;
    char er[KT_FELT_HEX_MAX], eh[KT_FELT_HEX_MAX];
    kt_felt_to_hex(&quote->state_root, er);
    kt_felt_to_hex(&quote->block_hash, eh);
    if (opts->has_state && (!kt_felt_equal(&opts->state_root, &quote->state_root) ||
                            !kt_felt_equal(&opts->block_hash, &quote->block_hash))) {
        char cr[KT_FELT_HEX_MAX], ch[KT_FELT_HEX_MAX];
        kt_felt_to_hex(&opts->state_root, cr);
        kt_felt_to_hex(&opts->block_hash, ch);
        kt_check_set(check, KT_RESULT_FAIL, KT_E_REPORT_DATA,
                     "the quote's envelope claims state root %.20s… block hash %.20s…, but the "
                     "expected state is state root %.20s… block hash %.20s…",
                     er, eh, cr, ch);
        return true;
    }
    if (opts->has_report_data) {
        uint8_t claimed[64];
        kt_commit_v0(&quote->state_root, &quote->block_hash, claimed);
        if (memcmp(claimed, opts->report_data, 64) != 0) {
            kt_check_set(check, KT_RESULT_FAIL, KT_E_REPORT_DATA,
                         "the quote's envelope claims state root %.20s… block hash %.20s…, "
                         "whose v0 commitment is not the expected report data",
                         er, eh);
            return true;
        }
    }
    return false;
}

void kt_check_report_data(const kt_verify_opts *opts, const kt_quote *quote,
                          const uint8_t actual[64], kt_verdict *vd) {
    kt_check *check = &vd->checks[KT_CHECK_REPORT_DATA];
    if (quote->has_block_number) {
        vd->has_block_number = true;
        vd->block_number = quote->block_number;
    }
    uint8_t expected[64];
    const char *what;
    if (opts->has_state) {
        kt_commit_v0(&opts->state_root, &opts->block_hash, expected);
        what = "the v0 commitment of the expected state root and block hash";
        vd->has_state = true;
        vd->state_root = opts->state_root;
        vd->block_hash = opts->block_hash;
    } else if (opts->has_report_data) {
        memcpy(expected, opts->report_data, 64);
        what = "the expected report data";
    } else if (opts->skip_report_data) {
        kt_check_set(check, KT_RESULT_SKIPPED, KT_OK,
                     quote->has_state
                         ? "skipped on request: state binding not checked (the envelope's "
                           "stateRoot/blockHash are NOT verified)"
                         : "skipped on request: state binding not checked");
        return;
    } else {
        kt_check_set(check, KT_RESULT_FAIL, KT_E_REPORT_DATA,
                     "no expected state given (state root and block hash, or report data)");
        return;
    }
    if (envelope_disagrees(opts, quote, check))
        return;
    if (memcmp(expected, actual, 64) != 0) {
        char want[17], got[17];
        kt_hex_encode(expected, 8, want);
        kt_hex_encode(actual, 8, got);
        kt_check_set(check, KT_RESULT_FAIL, KT_E_REPORT_DATA, "report data %s… is not %s (%s…)",
                     got, what, want);
        return;
    }
    kt_check_set(check, KT_RESULT_PASS, KT_OK, "report data equals %s", what);
}
