/* katana-tee attest: ask a server for tee_generateQuote and verify the answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "attest_v1.h"
#include "cli.h"
#include "http/http.h"
#include "katana_tee/felt.h"
#include "util/error.h"

static int run(int argc, char **argv);


const kt_cli_command kt_cli_cmd_attest = {
    "attest",
    "call tee_generateQuote on a server (Katana or 'katana-tee serve') and verify it",
    "usage: katana-tee attest --rpc URL --block N [--prev M] [--event N:I]\n"
    "                         [--save FILE] [--rpc-timeout MS] [verify options]\n"
    "       katana-tee attest --rpc URL --schema v0 [--block ID] [--save FILE]\n"
    "                         [--rpc-timeout MS] [verify options]\n\n"
    "Calls tee_generateQuote at URL (JSON-RPC 2.0 over HTTP POST), then checks the\n"
    "answer exactly as 'katana-tee verify' checks a tee_generateQuote JSON file.\n"
    "Schema v1 (the default, Katana's current API, docs/katana-v1.md): the call is\n"
    "tee_generateQuote(prev_block_id, block_id) and the answer, a BlockAttestation,\n"
    "gets the v1 checks; --event also fetches tee_getEventProof and checks the proof\n"
    "against the attested block. Schema v0 (legacy, --schema v0): the method without\n"
    "parameters; the quote must bind the stateRoot and blockHash it came with (or\n"
    "--state-root and --block-hash, when given).\n"
    "Exit status: 0 valid, 1 invalid, 2 bad usage, 3 the server or the network failed\n"
    "(a JSON-RPC error from the server, e.g. 100/101/102, is printed with its code).\n\n"
    "  --rpc URL           the server (http:// or https://)\n"
    "  --schema v0|v1      the API the server speaks (default v1)\n"
    "  --block N           v1 (required unless --event gives it): the block number to\n"
    "                      attest; v0: latest, a block number, or a 0x block hash\n"
    "                      (an extension of 'katana-tee serve --schema v0')\n"
    "  --prev M            v1: the previous attested block (default none: genesis)\n"
    "  --event N:I         v1: also fetch tee_getEventProof(N, I) and check it against\n"
    "                      the attested block's eventsCommitment\n"
    "  --save FILE         also write the server's result JSON there (atomically)\n"
    "  --rpc-timeout MS    limit on the call (default 60000)\n"
    "  -h, --help          this text\n\n"
    "Every other option is one of 'katana-tee verify' (see 'katana-tee verify --help'):\n"
    "--state-root, --block-hash, --certs, --kds, --trust-root, --policy, --allow-mock,\n"
    "--chain-id, --json, ...\n",
    run,
};

/* The params member for --block (NULL = none, as Katana's method takes none). */
static json_t *block_params(const char *block, kt_error *err) {
    if (!block || strcmp(block, "latest") == 0)
        return NULL;
    json_t *id = NULL;
    if (strncmp(block, "0x", 2) == 0 || strncmp(block, "0X", 2) == 0) {
        kt_felt h;
        if (kt_felt_parse(block, strlen(block), &h, "--block", err) != KT_OK)
            return NULL;
        char hex[KT_FELT_HEX_MAX];
        kt_felt_to_hex(&h, hex);
        id = json_pack("{s:s}", "block_hash", hex);
    } else {
        unsigned long long n;
        if (kt_cli_uint(block, "--block", 0, (unsigned long long)INT64_MAX, &n, err) != KT_OK)
            return NULL;
        id = json_pack("{s:I}", "block_number", (json_int_t)n);
    }
    return id ? json_pack("[o]", id) : NULL;
}

/* The answer must be the block asked for: a quote over another block is not what was asked. */
static bool answer_is_block(const char *block, const json_t *res, char *why, size_t cap) {
    if (!block || strcmp(block, "latest") == 0)
        return true;
    const json_t *num = json_object_get(res, "blockNumber");
    const json_t *hash = json_object_get(res, "blockHash");
    kt_felt want, got;
    if (strncmp(block, "0x", 2) == 0 || strncmp(block, "0X", 2) == 0) {
        if (kt_felt_parse(block, strlen(block), &want, "--block", NULL) == KT_OK &&
            json_is_string(hash) &&
            kt_felt_parse(json_string_value(hash), json_string_length(hash), &got, "blockHash",
                          NULL) == KT_OK &&
            kt_felt_equal(&want, &got))
            return true;
    } else if (json_is_integer(num) && strtoull(block, NULL, 0) ==
                                           (unsigned long long)json_integer_value(num)) {
        return true;
    }
    snprintf(why, cap, "asked for block %s but the answer is for block %s%" JSON_INTEGER_FORMAT
             " (blockHash %s)", block, json_is_integer(num) ? "" : "(no number) ",
             json_is_integer(num) ? json_integer_value(num) : (json_int_t)0,
             json_is_string(hash) ? json_string_value(hash) : "(none)");
    return false;
}

/* POST the call; *result = the result object's text (malloc'd). */
static int call_rpc(const char *cmd, const char *url, const char *block, long timeout_ms,
                    char **result) {
    kt_error err = {0};
    json_t *params = block_params(block, &err);
    if (err.status != KT_OK)
        return kt_cli_fail(cmd, &err);
    kt_http_response resp;
    char shown[512];
    int prc = kt_cli_jsonrpc_post(cmd, url, "tee_generateQuote", params, timeout_ms,
                                  4 * 1024 * 1024, &resp, shown);
    if (prc != KT_EXIT_OK)
        return prc;
    json_error_t je;
    json_t *doc = json_loadb((const char *)resp.body.data, resp.body.len, JSON_REJECT_DUPLICATES, &je);
    int rc = KT_EXIT_OK;
    char why[400];
    const json_t *res = json_object_get(doc, "result");
    const json_t *e = json_object_get(doc, "error");
    /* kt_cli_fail: one stderr line, and the JSON error object under --json */
    if (!json_is_object(doc)) {
        kt_fail(&err, KT_E_HTTP, "%.200s answered HTTP %ld without a JSON-RPC response%s%.200s",
                shown, resp.status, doc ? "" : ": ", doc ? "" : je.text);
        rc = kt_cli_fail(cmd, &err);
    } else if (e) {
        kt_fail(&err, KT_E_HTTP, "%.200s answered error %" JSON_INTEGER_FORMAT ": %.200s", shown,
                json_integer_value(json_object_get(e, "code")),
                json_is_string(json_object_get(e, "message"))
                    ? json_string_value(json_object_get(e, "message"))
                    : "(no message)");
        rc = kt_cli_fail(cmd, &err);
    } else if (!json_is_object(res) || !json_is_string(json_object_get(res, "quote"))) {
        kt_fail(&err, KT_E_HTTP, "%.200s answered without a quote in the result", shown);
        rc = kt_cli_fail(cmd, &err);
    } else if (!answer_is_block(block, res, why, sizeof why)) {
        kt_error mismatch = {KT_E_REPORT_DATA, ""};
        kt_fail(&mismatch, KT_E_REPORT_DATA, "%.200s: %s", shown, why);
        rc = kt_cli_fail(cmd, &mismatch); /* verification failed: exit 1 */
    } else if (!(*result = json_dumps(res, JSON_INDENT(2)))) {
        fprintf(stderr, "katana-tee %s: out of memory\n", cmd);
        rc = KT_EXIT_PLATFORM;
    }
    json_decref(doc);
    kt_http_response_free(&resp);
    return rc;
}

/* Our options are taken out; every other argument goes to `verify` unchanged. */
static int run(int argc, char **argv) {
    const char *url = NULL, *block = NULL, *save = NULL, *timeout_text = NULL;
    const char *schema = NULL, *prev = NULL, *event = NULL;
    char **rest = calloc((size_t)argc + 4, sizeof *rest); /* + verify, QUOTE, --schema v1 */
    if (!rest) {
        fprintf(stderr, "katana-tee %s: out of memory\n", argv[0]);
        return KT_EXIT_PLATFORM;
    }
    int nrest = 2; /* command name, QUOTE */
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--json") == 0)
            kt_cli_set_json(true); /* errors before verify runs print JSON too */
    static const char *const ours[] = {"--rpc",    "--block", "--save", "--rpc-timeout",
                                       "--schema", "--prev",  "--event"};
    const char **slots[] = {&url, &block, &save, &timeout_text, &schema, &prev, &event};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            free(rest);
            return kt_cli_help(&kt_cli_cmd_attest);
        }
        bool taken = false;
        for (size_t k = 0; k < sizeof ours / sizeof ours[0] && !taken; k++) {
            size_t n = strlen(ours[k]);
            bool exact = strcmp(a, ours[k]) == 0;
            if (!exact && !(strncmp(a, ours[k], n) == 0 && a[n] == '='))
                continue;
            if (*slots[k]) { /* repeated options are mistakes, never "last wins" */
                free(rest);
                return kt_cli_usage_error(argv[0], "%s is given twice", ours[k]);
            }
            if (exact && i + 1 >= argc) {
                free(rest);
                return kt_cli_usage_error(argv[0], "%s needs a value", ours[k]);
            }
            *slots[k] = exact ? argv[++i] : a + n + 1;
            taken = true;
        }
        if (!taken)
            rest[nrest++] = argv[i];
    }
    if (!url) {
        free(rest);
        return kt_cli_usage_error(argv[0], "--rpc URL is required");
    }
    kt_error err = {0};
    long timeout_ms = 60000;
    if (timeout_text) {
        unsigned long long v;
        if (kt_cli_uint(timeout_text, "--rpc-timeout", 1, 3600000, &v, &err) != KT_OK) {
            free(rest);
            return kt_cli_fail(argv[0], &err);
        }
        timeout_ms = (long)v;
    }

    /* v1 is Katana's current API and the default; v0 only when asked for by name */
    bool v1 = !schema || strcmp(schema, "v1") == 0;
    if (schema && strcmp(schema, "v0") != 0 && strcmp(schema, "v1") != 0) {
        free(rest);
        return kt_cli_usage_error(argv[0], "--schema must be v0 or v1, not '%s'", schema);
    }
    if (!v1 && (prev || event)) {
        free(rest);
        return kt_cli_usage_error(argv[0], "--prev and --event are schema v1 options, not v0");
    }
    if (v1) {
        kt_cli_attest_v1 a1 = {url, block, prev, event, save, timeout_ms, rest, nrest};
        int rc1 = kt_cli_attest_v1_run(argv[0], &a1);
        free(rest);
        return rc1;
    }

    char *result = NULL;
    int rc = call_rpc(argv[0], url, block, timeout_ms, &result);
    if (rc != KT_EXIT_OK) {
        free(rest);
        return rc;
    }
    if (save && kt_cli_write(save, result, strlen(result), &err) != KT_OK) {
        free(result);
        free(rest);
        return kt_cli_fail(argv[0], &err);
    }
    /* verify reads files: hand it the answer through a private temporary file */
    rc = kt_cli_attest_verify(argv[0], result, rest, nrest);
    free(result);
    free(rest);
    return rc;
}
