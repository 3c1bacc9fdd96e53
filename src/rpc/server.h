/*
 * Internal: the JSON-RPC 2.0 server behind `katana-tee serve`.
 *
 * HTTP (libmicrohttpd): POST with Content-Type application/json carries a
 * JSON-RPC request or batch; GET/HEAD /health answers a status object; any
 * other method or a GET elsewhere is 405. Bodies over max_body are 413.
 *
 * Methods:
 *  - tee_generateQuote, as Katana: no params -> the latest block. As an
 *    extension one block id may be given (positional [id] or {"block_id": id}):
 *    "latest", "l1_accepted", {"block_number": N}, {"block_hash": "0x…"}.
 *    Result {"quote","stateRoot","blockHash","blockNumber"}.
 *    Errors: 100 TEE not available, 101 quote generation failed, 102
 *    provider (node/state) error, with Katana's message prefixes.
 *  - with proxy: any method not starting with "tee_" goes to the node
 *    unchanged; otherwise -32601.
 *
 * The server never prints: events go to the log callback.
 */
#ifndef KT_RPC_SERVER_H
#define KT_RPC_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "katana_tee/attester.h"
#include "katana_tee/felt.h"
#include "katana_tee/status.h"

typedef enum kt_log_level {
    KT_LOG_ERROR = 0,
    KT_LOG_WARN = 1,
    KT_LOG_INFO = 2,
    KT_LOG_DEBUG = 3,
} kt_log_level;

/* One event: a short name ("listening", "attested") and "key=value …" fields (may be ""). */
typedef void (*kt_log_fn)(void *ctx, kt_log_level level, const char *event, const char *fields);

#define KT_RPC_DEFAULT_LISTEN "127.0.0.1:5051"
#define KT_RPC_DEFAULT_MAX_BODY ((size_t)1024 * 1024)
#define KT_RPC_DEFAULT_MAX_BATCH 100
#define KT_RPC_DEFAULT_MAX_CONNECTIONS 256
#define KT_RPC_DEFAULT_THREADS 4
#define KT_RPC_DEFAULT_IDLE_TIMEOUT_S 30
#define KT_RPC_DEFAULT_NODE_TIMEOUT_MS 10000L
#define KT_RPC_DEFAULT_PER_CLIENT 64       /* connections per source address */
#define KT_RPC_DEFAULT_HEALTH_RESERVE 8    /* connections only GET /health may use */
#define KT_RPC_DEFAULT_HEAD_TIMEOUT_MS 5000L /* the request head must arrive within this */
#define KT_RPC_DEFAULT_BODY_TIMEOUT_MS 10000L /* the body must arrive within this */
#define KT_RPC_DEFAULT_ATTEST_PER_REQUEST 4 /* new attestations one HTTP request may cause */
#define KT_RPC_DEFAULT_ATTEST_PER_CLIENT 2  /* attestations running for one client */
#define KT_RPC_DEFAULT_ATTEST_WAIT_MS 30000L /* longest wait for the attester or a shared one */
#define KT_RPC_DEFAULT_CACHE_BLOCKS 16     /* recent blocks whose answers are kept */

/* Which of Katana's API forms is served (docs/rpc.md). */
typedef enum kt_rpc_schema {
    KT_RPC_SCHEMA_DEFAULT = 0, /* = v1 */
    KT_RPC_SCHEMA_V0,          /* tee_generateQuote() over the latest block, v0 report data */
    KT_RPC_SCHEMA_V1,          /* tee_generateQuote(prev_block_id, block_id), tee_getEventProof */
} kt_rpc_schema;

#define KT_RPC_DEFAULT_MAX_RANGE 1024   /* blocks one appchain quote may walk */
#define KT_RPC_DEFAULT_RANGE_CONCURRENCY 4 /* node calls in flight for one walk */

typedef struct kt_rpc_opts {
    const char *listen;     /* "host:port" or "[v6]:port"; NULL = KT_RPC_DEFAULT_LISTEN; port 0 = any */
    const char *node_url;   /* the Starknet node; exactly one of node_url / state_path */
    const char *state_path; /* a state file: v0 see rpc/node.h, v1 see rpc/v1_state.h */
    kt_rpc_schema schema;
    /* v1 */
    bool sharding;              /* a fork: sharding mode with fork_block_number */
    uint64_t fork_block_number; /* the forked block (sharding only) */
    const kt_felt *chain_id;    /* NULL = "KATANA" (0x4b4154414e41) */
    const kt_felt *fee_token;   /* NULL = the STRK address (kt_v1_default_fee_token) */
    unsigned max_range;         /* 0 = default */
    unsigned range_concurrency; /* 0 = default */
    kt_attester *attester;  /* borrowed; must outlive the server */
    bool proxy;             /* forward non-tee_* methods to the node (needs node_url) */
    bool no_quote_cache;    /* attest every request (concurrent ones for one block still share) */
    size_t max_body;        /* request body limit; 0 = default */
    size_t max_batch;       /* requests per batch; 0 = default */
    unsigned max_connections; /* 0 = default */
    int threads;            /* worker threads (epoll pool); 0 = default; -1 = one per connection */
    unsigned idle_timeout_s; /* close idle keep-alive connections after this; 0 = default */
    unsigned per_client_limit; /* connections per source address (waiting and served); 0 = default */
    unsigned health_reserve;   /* extra connections only GET /health may use; 0 = default */
    long head_timeout_ms;      /* request head deadline from accept; 0 = default */
    long body_timeout_ms;      /* request body deadline from the end of the head; 0 = default */
    unsigned max_attest_per_request; /* 0 = default */
    unsigned max_attest_per_client;  /* 0 = default */
    long attest_wait_ms;       /* 0 = default */
    unsigned cache_blocks;     /* answers kept for recent blocks (LRU); 0 = default */
    long node_timeout_ms;   /* whole node call; 0 = default */
    size_t node_max_body;   /* cap on a node answer; 0 = 16 MiB */
    kt_log_fn log;          /* NULL = silent */
    void *log_ctx;
    kt_log_level log_level; /* events above this level are not formatted */
} kt_rpc_opts;

typedef struct kt_rpc_stats {
    uint64_t http_requests;   /* HTTP requests answered */
    uint64_t rpc_calls;       /* JSON-RPC calls (batch elements count one each) */
    uint64_t quote_requests;  /* tee_generateQuote calls */
    uint64_t attestations;    /* calls into the attester */
    uint64_t cache_hits;      /* answered from a recent block's cached quote */
    uint64_t shared;          /* waited for another request's attestation of the same block */
    uint64_t errors;          /* JSON-RPC error responses */
    uint64_t proxied;         /* calls forwarded to the node */
    unsigned waiting;         /* requests waiting on an attestation right now */
} kt_rpc_stats;

typedef struct kt_rpc_server kt_rpc_server;

/*
 * Start listening (the HTTP threads run until kt_rpc_server_stop).
 * KT_E_INVALID_ARG for contradictory options (both or neither of node_url
 * and state_path, proxy without a node, no attester, a bad listen address,
 * a node URL that is not http(s)://host[:port][/path]);
 * the state file is read once here (its errors are returned); KT_E_IO when
 * the address cannot be bound (the message has the OS reason).
 */
kt_status kt_rpc_server_start(const kt_rpc_opts *opts, kt_rpc_server **out, kt_error *err);

/* v1: the katana_tee_config_hash computed at start (false under schema v0). */
bool kt_rpc_server_config_hash(const kt_rpc_server *server, kt_felt *out);

/* The bound TCP port (useful with port 0). */
uint16_t kt_rpc_server_port(const kt_rpc_server *server);

void kt_rpc_server_stats(kt_rpc_server *server, kt_rpc_stats *out);

/*
 * Answer one POST body as the HTTP layer does, without HTTP (the client
 * counts as "local" for the per-client limits): *http_status
 * (200, or the node's status for a proxied call), *out = malloc'd JSON
 * response body (free()), or NULL when there is nothing to answer
 * (notifications only) or memory ran out (*http_status 500).
 */
void kt_rpc_server_handle(kt_rpc_server *server, const uint8_t *body, size_t len, int *http_status,
                          char **out, size_t *out_len);

/*
 * The /health object as text (malloc'd, NUL-terminated), NULL when out of memory.
 * Never waits on the node: it reports the last probe. *ok (may be NULL) is false when
 * the attester or the state source is known not to work (HTTP 503).
 */
char *kt_rpc_server_health(kt_rpc_server *server, bool *ok);

/* Stop accepting, finish the running requests, free everything. NULL is allowed. */
void kt_rpc_server_stop(kt_rpc_server **server);

#endif
