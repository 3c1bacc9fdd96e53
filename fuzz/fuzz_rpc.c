/*
 * Fuzz the JSON-RPC service's parsers: requests as the server answers them
 * (single calls, batches, params), the node's answer to
 * starknet_getBlockWithTxHashes, and state files. The first byte picks which.
 * A server (mock attester, a state file) is started once on a loopback port;
 * requests are handed to it in-process, and every answer must be JSON.
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

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static kt_attester *attester;
static kt_rpc_server *server;

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
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    kt_error err = {0};
    switch (data[0] % 3) {
    case 0: {
        int status = 0;
        char *out = NULL;
        size_t out_len = 0;
        kt_rpc_server_handle(server, data + 1, size - 1, &status, &out, &out_len);
        if (out) {
            json_error_t jerr;
            json_t *j = json_loadb(out, out_len, 0, &jerr);
            if (!j)
                abort(); /* every answer is JSON */
            json_decref(j);
            free(out);
        }
        break;
    }
    case 1: {
        kt_block_state st;
        if (kt_node_parse_block(data + 1, size - 1, 1, &st, &err) != KT_OK && !err.message[0])
            abort();
        break;
    }
    default: {
        kt_block_state st;
        if (kt_state_parse(data + 1, size - 1, &st, &err) != KT_OK && !err.message[0])
            abort();
        break;
    }
    }
    return 0;
}
