/* katana-tee attest, schema v1 (see attest_v1.h). */
#include "attest_v1.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commit/v1_json.h"
#include "http/http.h"
#include "katana_tee/katana_v1.h"
#include "util/error.h"

extern const kt_cli_command kt_cli_cmd_verify;

/*
 * POST one JSON-RPC call and give back its result object (a new reference).
 * A JSON-RPC error, an HTTP failure or a body that is not a response is a
 * server failure (exit 3), reported on stderr with the server's code.
 */
int kt_cli_jsonrpc_post(const char *cmd, const char *url, const char *method, json_t *params,
                        long timeout_ms, size_t max_body, kt_http_response *resp,
                        char shown[512]) {
    kt_error err = {0};
    memset(resp, 0, sizeof *resp);
    kt_http_redact_url(url, shown, 512);
    json_t *req = json_pack("{s:s, s:s, s:o*, s:i}", "jsonrpc", "2.0", "method", method,
                            "params", params, "id", 1);
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (!body) {
        kt_fail_oom(&err);
        return kt_cli_fail(cmd, &err);
    }
    static const char *const headers[] = {"Content-Type: application/json",
                                          "Accept: application/json", NULL};
    kt_http_request r = {.method = "POST", .url = url, .headers = headers,
                         .body = (const uint8_t *)body, .body_len = strlen(body),
                         .timeout_ms = timeout_ms, .max_body = max_body};
    kt_status st = kt_http_perform(&r, resp, &err);
    free(body);
    if (st != KT_OK) {
        kt_http_response_free(resp);
        return kt_cli_fail(cmd, &err);
    }
    return KT_EXIT_OK;
}

/*
 * Call a v1 method; *result gets the "result" member. A JSON-RPC error or an answer that is
 * not JSON-RPC is a server failure (exit 3), printed with kt_cli_fail (JSON under --json).
 */
static int call(const char *cmd, const char *url, long timeout_ms, const char *method,
                json_t *params, json_t **result) {
    *result = NULL;
    kt_http_response resp;
    char shown[512];
    int rc = kt_cli_jsonrpc_post(cmd, url, method, params, timeout_ms, KT_V1J_MAX_TEXT, &resp,
                                 shown);
    if (rc != KT_EXIT_OK)
        return rc;
    kt_error err = {0};
    json_t *doc = NULL;
    const json_t *res = NULL;
    kt_status st = kt_v1j_load((const char *)resp.body.data, resp.body.len, method, &doc, &res,
                               &err);
    if (st == KT_OK && res == doc) {
        kt_fail(&err, KT_E_HTTP, "%.200s answered HTTP %ld without a JSON-RPC response", shown,
                resp.status);
        rc = kt_cli_fail(cmd, &err);
    } else if (st != KT_OK) {
        kt_error shown_err = {0};
        kt_fail(&shown_err, KT_E_HTTP, "%.200s: %.300s", shown, err.message);
        rc = kt_cli_fail(cmd, &shown_err);
    } else {
        *result = json_incref((json_t *)res);
    }
    json_decref(doc);
    kt_http_response_free(&resp);
    return rc;
}

/* "N:I" -> block number and event index. */
static kt_status parse_event(const char *text, unsigned long long *block, unsigned long long *index,
                             kt_error *err) {
    const char *colon = strchr(text, ':');
    if (!colon)
        return kt_fail(err, KT_E_INVALID_ARG, "--event %s: expected BLOCK:INDEX", text);
    char num[32];
    size_t n = (size_t)(colon - text);
    if (n == 0 || n >= sizeof num)
        return kt_fail(err, KT_E_INVALID_ARG, "--event %s: expected BLOCK:INDEX", text);
    memcpy(num, text, n);
    num[n] = '\0';
    kt_status st = kt_cli_uint(num, "--event block", 0, (unsigned long long)INT64_MAX, block, err);
    if (st == KT_OK)
        st = kt_cli_uint(colon + 1, "--event index", 0, UINT32_MAX, index, err);
    return st;
}

/* The answer must be for the block asked about (and from the prev asked about). */
static kt_status check_asked(const kt_v1_attestation *att, unsigned long long block,
                             const unsigned long long *prev, kt_error *err) {
    kt_felt want = kt_felt_from_u64(block);
    char got[KT_FELT_HEX_MAX];
    if (!kt_felt_equal(&att->block_number, &want)) {
        kt_felt_to_hex(&att->block_number, got);
        return kt_fail(err, KT_E_BINDING, "asked for block %llu, the answer attests blockNumber %s",
                       block, got);
    }
    kt_felt want_prev = prev ? kt_felt_from_u64(*prev) : kt_v1_felt_max();
    if (!kt_felt_equal(&att->prev_block_number, &want_prev)) {
        kt_felt_to_hex(&att->prev_block_number, got);
        if (prev)
            return kt_fail(err, KT_E_BINDING,
                           "asked for prev block %llu, the answer has prevBlockNumber %s", *prev,
                           got);
        return kt_fail(err, KT_E_BINDING,
                       "asked for no previous block, the answer has prevBlockNumber %s", got);
    }
    return KT_OK;
}

int kt_cli_attest_verify(const char *cmd, const char *result_text, char **argv, int argc) {
    const char *tmpdir = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/katana-tee-attest-XXXXXX",
             tmpdir && tmpdir[0] ? tmpdir : "/tmp");
    int fd = mkstemp(path);
    size_t len = strlen(result_text);
    bool written = fd >= 0 && write(fd, result_text, len) == (ssize_t)len;
    if (fd >= 0)
        close(fd);
    if (!written) {
        if (fd >= 0)
            unlink(path);
        fprintf(stderr, "katana-tee %s: cannot write a temporary file in %s\n", cmd,
                tmpdir && tmpdir[0] ? tmpdir : "/tmp");
        return KT_EXIT_PLATFORM;
    }
    argv[0] = (char *)cmd; /* verify's messages then name this command, not "verify" */
    argv[1] = path;
    argv[argc] = NULL;
    int rc = kt_cli_cmd_verify.run(argc, argv);
    unlink(path);
    return rc;
}

/* Verify the answer with `katana-tee verify --schema v1`. */
static int run_verify(const char *cmd, kt_cli_attest_v1 *a, const char *result_text) {
    a->verify_argv[a->verify_argc] = (char *)"--schema";
    a->verify_argv[a->verify_argc + 1] = (char *)"v1";
    return kt_cli_attest_verify(cmd, result_text, a->verify_argv, a->verify_argc + 2);
}

static bool wants_json(const kt_cli_attest_v1 *a) {
    for (int i = 2; i < a->verify_argc; i++)
        if (strcmp(a->verify_argv[i], "--json") == 0)
            return true;
    return false;
}

/* Check the event proof against the attested block; one line of verdict. */
static int judge_event(const kt_v1_attestation *att, const kt_v1_event_proof *p,
                       unsigned long long block, unsigned long long index, FILE *out) {
    char detail[160] = "";
    const char *why = NULL;
    if (p->block_number != block || p->event_index != index)
        why = "the proof is for another block or index than asked";
    else if (!kt_felt_equal(&p->events_commitment, &att->events_commitment))
        why = "its eventsCommitment is not the attested block's";
    else if (kt_v1_event_proof_verify(p, detail) != KT_V1_PROOF_OK)
        why = detail;
    if (why) {
        fprintf(out, "event %llu:%llu: INVALID — %s\n", block, index, why);
        return KT_EXIT_INVALID;
    }
    char ec[KT_FELT_HEX_MAX], eh[KT_FELT_HEX_MAX];
    kt_felt_to_hex(&p->events_commitment, ec);
    kt_felt_to_hex(&p->event_hash, eh);
    if (att->has_fork_block_number)
        fprintf(out,
                "event %llu:%llu: proof verifies: event %s is in eventsCommitment %s, which the "
                "report binds (sharding mode)\n",
                block, index, eh, ec);
    else
        fprintf(out,
                "event %llu:%llu: proof verifies: event %s is in eventsCommitment %s, which is "
                "not bound by the report (appchain mode): trust it only as far as the node\n",
                block, index, eh, ec);
    return KT_EXIT_OK;
}

int kt_cli_attest_v1_run(const char *cmd, kt_cli_attest_v1 *a) {
    kt_error err = {0};
    unsigned long long block = 0, prev = 0, ev_block = 0, ev_index = 0;
    if (a->event && parse_event(a->event, &ev_block, &ev_index, &err) != KT_OK)
        return kt_cli_usage_error(cmd, "%s", err.message);
    if (a->block && kt_cli_uint(a->block, "--block", 0, (unsigned long long)INT64_MAX, &block,
                                &err) != KT_OK)
        return kt_cli_usage_error(cmd, "%s (schema v1 takes a block number; latest and block "
                                       "hashes are --schema v0)", err.message);
    if (!a->block && !a->event)
        return kt_cli_usage_error(cmd, "schema v1 (the default) needs --block N, a block "
                                       "number; --schema v0 calls the legacy method without one");
    if (a->event && a->block && block != ev_block)
        return kt_cli_usage_error(cmd, "--event names block %llu but --block is %llu: the proof "
                                       "is checked against the attested block",
                                  ev_block, block);
    if (!a->block)
        block = ev_block;
    if (a->prev && kt_cli_uint(a->prev, "--prev", 0, (unsigned long long)INT64_MAX, &prev,
                               &err) != KT_OK)
        return kt_cli_usage_error(cmd, "%s", err.message);

    json_t *params = json_pack("[o, I]", a->prev ? json_integer((json_int_t)prev) : json_null(),
                               (json_int_t)block);
    json_t *result = NULL;
    int rc = call(cmd, a->url, a->timeout_ms, "tee_generateQuote", params, &result);
    if (rc != KT_EXIT_OK)
        return rc;
    kt_v1_attestation att;
    kt_status st = kt_v1_attestation_from_json(result, &att, &err);
    char *text = NULL;
    if (st == KT_OK)
        st = kt_v1j_dump(result, &text, &err);
    json_decref(result);
    if (st != KT_OK) {
        kt_v1_attestation_free(&att);
        fprintf(stderr, "katana-tee %s: the server's answer: %s\n", cmd, err.message);
        return KT_EXIT_PLATFORM;
    }
    if (check_asked(&att, block, a->prev ? &prev : NULL, &err) != KT_OK) {
        kt_v1_attestation_free(&att);
        free(text);
        fprintf(stderr, "katana-tee %s: INVALID — %s\n", cmd, err.message);
        return KT_EXIT_INVALID;
    }
    if (a->save && (st = kt_cli_write(a->save, text, strlen(text), &err)) != KT_OK) {
        kt_v1_attestation_free(&att);
        free(text);
        return kt_cli_fail(cmd, &err);
    }

    kt_v1_event_proof proof;
    memset(&proof, 0, sizeof proof);
    if (a->event) {
        json_t *pres = NULL;
        rc = call(cmd, a->url, a->timeout_ms, "tee_getEventProof",
                  json_pack("[I, I]", (json_int_t)ev_block, (json_int_t)ev_index), &pres);
        if (rc == KT_EXIT_OK && kt_v1_event_proof_from_json(pres, &proof, &err) != KT_OK) {
            fprintf(stderr, "katana-tee %s: the server's event proof: %s\n", cmd, err.message);
            rc = KT_EXIT_PLATFORM;
        }
        json_decref(pres);
        if (rc != KT_EXIT_OK) {
            kt_v1_event_proof_free(&proof);
            kt_v1_attestation_free(&att);
            free(text);
            return rc;
        }
    }
    rc = run_verify(cmd, a, text);
    free(text);
    if (a->event) {
        /* with --json the verdict owns stdout: the event line goes to stderr */
        int erc = judge_event(&att, &proof, ev_block, ev_index, wants_json(a) ? stderr : stdout);
        /* a failed proof outranks a valid or an untrusted (mock) verdict */
        if (rc == KT_EXIT_OK || (rc == KT_EXIT_UNTRUSTED && erc != KT_EXIT_OK))
            rc = erc;
    }
    kt_v1_event_proof_free(&proof);
    kt_v1_attestation_free(&att);
    return rc;
}
