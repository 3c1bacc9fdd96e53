/*
 * Test support for the JSON-RPC server tests (test_rpc_*.c): the server end to end over
 * loopback HTTP with a Starknet node double (libmicrohttpd, answers shaped as the Starknet
 * JSON-RPC spec) and a fake attester behind the internal attester vtable, so failures,
 * counts and concurrency can be steered. Requests go through the project's HTTP client.
 * Every helper fails the test (fail_msg) when it cannot do its job.
 */
#ifndef KT_TEST_RPC_HARNESS_H
#define KT_TEST_RPC_HARNESS_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "attester/attester_internal.h"
#include "rpc/server.h"

/* ---- the node double -------------------------------------------------------------------- */

/* What the node answers to starknet_getBlockWithTxHashes. */
typedef enum {
    RPC_NODE_OK,
    RPC_NODE_GARBAGE,
    RPC_NODE_PENDING,       /* spec <= 0.8 pending block: no block_hash, number, new_root */
    RPC_NODE_PRE_CONFIRMED, /* spec 0.9: status PRE_CONFIRMED, a number but no hash */
    RPC_NODE_RPC_ERROR,     /* JSON-RPC error 24 BLOCK_NOT_FOUND */
    RPC_NODE_HTTP_500,
    RPC_NODE_WRONG_ID,
} rpc_node_mode;

typedef struct rpc_node_double {
    struct MHD_Daemon *mhd;
    char url[64];
    pthread_mutex_t mu; /* guards everything below */
    rpc_node_mode mode;
    uint64_t number;
    char hash[80], root[80];
    unsigned block_calls;
    char last_body[2048]; /* the last starknet_getBlockWithTxHashes request */
} rpc_node_double;

extern rpc_node_double rpc_node;

/* cmocka group setup/teardown: start the node double on an ephemeral loopback port
 * (RPC_NODE_OK, block 5 of the shared v0 vector), stop it. */
int rpc_node_setup(void **state);
int rpc_node_teardown(void **state);

/* Set what the node answers: mode, block number, block hash and state root (as text). */
void rpc_node_set(rpc_node_mode mode, uint64_t number, const char *hash, const char *root);
/* How many starknet_getBlockWithTxHashes calls the node has answered. */
unsigned rpc_node_block_calls(void);

/* ---- the fake attester -------------------------------------------------------------------- */

typedef struct rpc_fake_state {
    atomic_uint calls;
    kt_status fail;               /* KT_OK: answer with a mock quote */
    unsigned gate_waiters;        /* >0: hold the quote until this many requests wait on it */
    atomic_bool hold;             /* true: hold the quote until cleared (at most 10 s) */
    atomic_bool holding;          /* a call is being held */
    kt_rpc_server *server;
} rpc_fake_state;

extern rpc_fake_state rpc_fake;
extern kt_attester rpc_fake_attester; /* named "fake" */

/* ---- the server and its clients ------------------------------------------------------------ */

extern kt_rpc_server *rpc_server;
extern char rpc_server_url[64];

/* Start the server on 127.0.0.1:0 (defaults: schema v0, the fake attester); the fake's call
 * count starts at 0 after the server's start-up probe. */
void rpc_start_server(kt_rpc_opts *o);
void rpc_stop_server(void);
/* Wait until the health prober has had its first word (status no longer "starting"). */
void rpc_wait_settled(void);
/* cmocka per-test setup: the fake attester answers at once, the node is back at block 5. */
int rpc_reset(void **state);

/* POST body; returns the raw answer text (malloc'd, maybe "") and the HTTP status. */
char *rpc_post_raw(const char *url, const char *body, size_t len, const char *ct, long *status);
/* POST a JSON body to the server; the answer parsed (NULL when empty). */
json_t *rpc_call(const char *body, long *status);
/* The error code of an error answer (fails the test when there is no error). */
long rpc_error_code(const json_t *resp);
/* The answer to body is an error with this code whose message contains needle (if given). */
void rpc_assert_error(const char *body, long code, const char *needle);

/* {"jsonrpc":"2.0","method":"tee_generateQuote","id":1} */
extern const char rpc_quote_req[];

kt_rpc_stats rpc_stats(void);

/*
 * The exact answer text for a state from ../shared/vectors/katana-report-data.json (matched
 * by its literal state_root and block_hash): the report data is the vector's, and the mock
 * quote is built here from Katana's mock format ("MOCK" || report data || u32 LE of the sum
 * of the preceding bytes), not by the library under test. The caller frees it.
 */
char *rpc_expected_answer(const char *id, uint64_t number, const char *hash, const char *root);

#endif
