/*
 * Fuzz the JSON-RPC service's parsers: requests as the server answers them
 * (single calls, batches, params), the node's answer to
 * starknet_getBlockWithTxHashes, and state files; for schema v1, requests with
 * its params (tee_generateQuote(prev, block), tee_getEventProof) and v1 state
 * files (blocks with receipts). The first byte picks which. Two servers (mock
 * attester; a v0 and a v1 state file) are started once on loopback ports;
 * requests are handed to them in-process, and every answer must be JSON.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "rpc/node.h"
#include "rpc/server.h"
#include "rpc/v1_state.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static kt_attester *attester;
static kt_rpc_server *server, *server_v1;

/* Blocks 0..2; block 1 has two events and an L1 handler with an L2->L1 message. */
static const char v1_state[] =
    "{\"blocks\":["
    "{\"block_number\":0,\"block_hash\":\"0x10\",\"new_root\":\"0x20\",\"transactions\":[]},"
    "{\"block_number\":1,\"block_hash\":\"0x11\",\"new_root\":\"0x21\",\"transactions\":["
    "{\"transaction\":{\"type\":\"INVOKE\"},\"receipt\":{\"type\":\"INVOKE\","
    "\"transaction_hash\":\"0xa1\",\"events\":[{\"from_address\":\"0x5\",\"keys\":[\"0x1\"],"
    "\"data\":[]},{\"from_address\":\"0x6\",\"keys\":[],\"data\":[\"0x2\",\"0x3\"]}]}},"
    "{\"transaction\":{\"type\":\"L1_HANDLER\",\"contract_address\":\"0x7\","
    "\"entry_point_selector\":\"0x8\",\"calldata\":[\"0x9\",\"0xa\"],\"nonce\":\"0x1\"},"
    "\"receipt\":{\"type\":\"L1_HANDLER\",\"transaction_hash\":\"0xa2\",\"message_hash\":"
    "\"0xabcdef\",\"messages_sent\":[{\"from_address\":\"0x7\",\"to_address\":\"0xb\","
    "\"payload\":[\"0xc\"]}],\"events\":[]}}]},"
    "{\"block_number\":2,\"block_hash\":\"0x12\",\"new_root\":\"0x22\",\"transactions\":[]}]}";

static void check_answer(kt_rpc_server *s, const uint8_t *data, size_t size) {
    int status = 0;
    char *out = NULL;
    size_t out_len = 0;
    kt_rpc_server_handle(s, data, size, &status, &out, &out_len);
    if (out) {
        json_error_t jerr;
        json_t *j = json_loadb(out, out_len, 0, &jerr);
        if (!j)
            abort(); /* every answer is JSON */
        json_decref(j);
        free(out);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    static char path[] = "/tmp/kt-fuzz-state-XXXXXX";
    int fd = mkstemp(path);
    const char *state = "{\"stateRoot\":\"0x1\",\"blockHash\":\"0x2\",\"blockNumber\":7}";
    if (fd < 0 || write(fd, state, strlen(state)) != (ssize_t)strlen(state))
        abort();
    close(fd);
    kt_error err = {0};
    kt_attester_opts ao = {.backend = "mock", .vmpl = -1};
    if (kt_attester_new(&ao, &attester, &err) != KT_OK)
        abort();
    kt_rpc_opts o;
    memset(&o, 0, sizeof o);
    o.listen = "127.0.0.1:0";
    o.state_path = path;
    o.attester = attester;
    o.threads = 1;
    o.schema = KT_RPC_SCHEMA_V0;
    if (kt_rpc_server_start(&o, &server, &err) != KT_OK) {
        fprintf(stderr, "fuzz_rpc: %s\n", err.message);
        abort();
    }
    static char path_v1[] = "/tmp/kt-fuzz-v1state-XXXXXX";
    fd = mkstemp(path_v1);
    if (fd < 0 || write(fd, v1_state, strlen(v1_state)) != (ssize_t)strlen(v1_state))
        abort();
    close(fd);
    o.state_path = path_v1;
    o.schema = KT_RPC_SCHEMA_V1;
    o.max_range = 8;
    if (kt_rpc_server_start(&o, &server_v1, &err) != KT_OK) {
        fprintf(stderr, "fuzz_rpc (v1): %s\n", err.message);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    kt_error err = {0};
    switch (data[0] % 5) {
    case 0:
        check_answer(server, data + 1, size - 1);
        break;
    case 1: {
        kt_block_state st;
        if (kt_node_parse_block(data + 1, size - 1, 1, &st, &err) != KT_OK && !err.message[0])
            abort();
        break;
    }
    case 2: {
        kt_block_state st;
        if (kt_state_parse(data + 1, size - 1, &st, &err) != KT_OK && !err.message[0])
            abort();
        break;
    }
    case 3:
        check_answer(server_v1, data + 1, size - 1);
        break;
    default: {
        kt_v1_state vs;
        if (kt_v1_state_parse(data + 1, size - 1, &vs, &err) != KT_OK && !err.message[0])
            abort();
        kt_v1_state_free(&vs);
        break;
    }
    }
    return 0;
}
