/*
 * `katana-tee attest` for Katana schema v1: tee_generateQuote(prev_block_id,
 * block_id), optionally tee_getEventProof(block_number, event_index), then
 * the v1 verification of the answer.
 */
#ifndef KT_CLI_ATTEST_V1_H
#define KT_CLI_ATTEST_V1_H

#include <jansson.h>

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

/*
 * Hand an answer (JSON text) to `katana-tee verify` through a private
 * temporary file: argv[0] and argv[1] are filled in ("verify", the file),
 * argv[2..argc) are verify's options, argv[argc] becomes NULL (argv needs
 * argc + 1 slots). Returns verify's exit code, 3 if the file cannot be written.
 */
int kt_cli_attest_verify(const char *cmd, const char *result_text, char **argv, int argc);

/*
 * POST one JSON-RPC 2.0 request {method, params (stolen; NULL leaves it out), id 1} to url and
 * give back the HTTP response (free it with kt_http_response_free) and the url as clients may
 * see it (`shown`: scheme, host and port only). Returns KT_EXIT_OK, or the exit code after
 * printing the failure (kt_cli_fail: one stderr line, the JSON error object under --json).
 */
struct kt_http_response;
int kt_cli_jsonrpc_post(const char *cmd, const char *url, const char *method, json_t *params,
                        long timeout_ms, size_t max_body, struct kt_http_response *resp,
                        char shown[512]);

/* Run it; returns the exit code (0 valid, 1 invalid, 2 usage, 3 server/network). */
int kt_cli_attest_v1_run(const char *cmd, kt_cli_attest_v1 *a);

#endif
