/*
 * Schema v1 pieces shared by the CLI commands (verify, attest,
 * report-data): reading a v1 answer, the expectations from options, and
 * telling a v1 answer from a v0 one.
 */
#ifndef KT_CLI_V1_CLI_H
#define KT_CLI_V1_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "katana_tee/katana_v1.h"

/* A v1 answer to verify, what it should follow, and what is expected. */
typedef struct kt_cli_v1 {
    bool active; /* the input is a v1 answer (detected or --schema v1) */
    kt_v1_attestation att;
    bool has_prev;
    kt_v1_attestation prev; /* --follows */
    kt_v1_expect expect;
} kt_cli_v1;

/* The v1 options of verify and attest (NULL when not given). */
typedef struct kt_cli_v1_opts {
    const char *schema;     /* "v0", "v1" or NULL (detect) */
    const char *chain_id;   /* felt or short string, e.g. KATANA / SN_MAIN */
    const char *fee_token;  /* felt; default the STRK address */
    const char *settlement; /* "starknet" or "ethereum"; default: try both */
    const char *follows;    /* file with the previous BlockAttestation */
} kt_cli_v1_opts;

/*
 * Is `bytes` (a quote input) a v1 answer? --schema decides when given
 * ("v0"/"v1", anything else is KT_E_INVALID_ARG); otherwise JSON whose
 * result has "katanaTeeConfigHash" is v1 and everything else v0.
 */
kt_status kt_cli_v1_select(const char *schema, const uint8_t *bytes, size_t len, bool *is_v1,
                           kt_error *err);

/* Refuse v1-only options for a v0 input (KT_E_INVALID_ARG naming the option). */
kt_status kt_cli_v1_refuse_for_v0(const kt_cli_v1_opts *o, kt_error *err);

/* Parse the expectations (--chain-id, --fee-token, --settlement) into exp. */
kt_status kt_cli_v1_expect(const kt_cli_v1_opts *o, kt_v1_expect *exp, kt_error *err);

/* Parse a v1 answer from bytes (`what` names it), --follows and the
 * expectations into v (v->active set). Free with kt_cli_v1_free. */
kt_status kt_cli_v1_load(kt_cli_v1 *v, const kt_cli_v1_opts *o, const uint8_t *bytes,
                         size_t len, const char *what, kt_error *err);

void kt_cli_v1_free(kt_cli_v1 *v);

/* A chain id option: 0x-hex / decimal felt, or a short string (SN_MAIN). */
kt_status kt_cli_v1_chain_id(const char *text, kt_felt *out, kt_error *err);

#endif
