/*
 * `katana-tee attest` for Katana schema v1: tee_generateQuote(prev_block_id,
 * block_id), optionally tee_getEventProof(block_number, event_index), then
 * the v1 verification of the answer.
 */
#ifndef KT_CLI_ATTEST_V1_H
#define KT_CLI_ATTEST_V1_H

#include "cli.h"

typedef struct kt_cli_attest_v1 {
    const char *url;
    const char *block; /* --block N (required unless --event gives it) */
    const char *prev;  /* --prev M, or NULL: prev_block_id null (genesis) */
    const char *event; /* --event N:I, or NULL */
    const char *save;  /* --save FILE: the generateQuote result */
    long timeout_ms;
    char **verify_argv; /* "verify", QUOTE placeholder, then verify options */
    int verify_argc;
} kt_cli_attest_v1;

/* Run it; returns the exit code (0 valid, 1 invalid, 2 usage, 3 server/network). */
int kt_cli_attest_v1_run(const char *cmd, kt_cli_attest_v1 *a);

#endif
