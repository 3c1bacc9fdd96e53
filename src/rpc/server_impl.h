/*
 * Internal to src/rpc: the server object and the helpers its parts share.
 *
 * The server is split by job: server.c (start/stop), http_glue.c (libmicrohttpd),
 * dispatch.c (JSON-RPC requests and batches), quote_cache.c (single-flight
 * attestation and the quote cache), health.c (/health and counters), log.c
 * (log events) and reply.c (JSON-RPC answer building blocks).
 */
#ifndef KT_RPC_SERVER_IMPL_H
#define KT_RPC_SERVER_IMPL_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "rpc/node.h"
#include "rpc/server.h"
#include "util/error.h"

struct MHD_Daemon;
struct sockaddr;

/* Katana's TEE error codes (katana rpc-api error/tee.rs) and JSON-RPC 2.0's own. */
enum {
    RPC_TEE_NOT_AVAILABLE = 100,
    RPC_TEE_QUOTE_FAILED = 101,
    RPC_TEE_PROVIDER = 102,
    RPC_PARSE = -32700,
    RPC_INVALID_REQUEST = -32600,
    RPC_METHOD_NOT_FOUND = -32601,
    RPC_INVALID_PARAMS = -32602,
    RPC_INTERNAL = -32603,
};

#define NODE_HEALTH_MAX_AGE_S 5
#define HTTP_TOO_LARGE 413u /* MHD renamed its constant across versions */

/*
 * The rendered result object of one attestation, {"quote":…,"blockNumber":N}, reference
 * counted and shared by the cache and the requests answering with it: a cached answer
 * costs a copy, not a JSON rebuild of a 2.4 KB hex string.
 */
typedef struct qstr {
    atomic_uint refs;
    size_t len;
    char text[];
} qstr;

/* One attestation in progress (or just finished) for one block. */
typedef struct flight {
    struct flight *next;
    kt_block_state key;
    unsigned refs; /* the leader and every waiter; freed by the last one out */
    bool done;
    kt_status status;
    kt_error err;
    qstr *quote;
} flight;

struct kt_rpc_server {
    kt_rpc_opts o;
    char *node_url;
    char *state_path;
    kt_node node;
    bool have_node;
    kt_state_file state;
    bool have_state;
    struct MHD_Daemon *mhd;
    uint16_t port;
    time_t started;
    char start_error[256]; /* the last libmicrohttpd message while starting */
    bool starting;

    pthread_mutex_t mu; /* guards everything below up to `waiting` */
    pthread_cond_t cv;
    flight *flights;
    bool cache_valid;
    kt_block_state cache_key;
    qstr *cache_quote;
    bool have_last;
    kt_block_state last;
    time_t last_at;
    unsigned waiting;

    pthread_mutex_t attester_mu; /* attesters are not assumed to be thread-safe */

    atomic_int node_reachable; /* -1 unknown, 0 no, 1 yes */
    atomic_llong node_checked; /* CLOCK_MONOTONIC seconds of the last node exchange */
    atomic_flag probing;

    atomic_uint_fast64_t http_requests, rpc_calls, quote_requests, attestations, cache_hits,
        shared, errors, proxied;
};

/* ---- log.c ---- */
bool kt_rpc_log_on(const kt_rpc_server *s, kt_log_level level);
void kt_rpc_log(const kt_rpc_server *s, kt_log_level level, const char *event, const char *fmt,
                ...) __attribute__((format(printf, 4, 5)));
/* A log value in double quotes with ", \ and control characters escaped (returns out). */
const char *kt_rpc_quoted(const char *in, char *out, size_t cap);
long long kt_rpc_mono_seconds(void);
/* Record the outcome of an exchange with the node (for /health). */
void kt_rpc_note_node(kt_rpc_server *s, bool ok);

/* ---- reply.c ---- */
/* A JSON-RPC error response object (new reference; NULL when out of memory). */
json_t *kt_rpc_error(const json_t *id, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A JSON value as compact text, consuming it (NULL stays NULL). */
char *kt_rpc_render(json_t *v);
/* A JSON value as compact text (malloc'd), its length in *len. */
char *kt_rpc_dump(const json_t *v, size_t *len);

/* ---- quote_cache.c ---- */
qstr *kt_rpc_qstr_ref(qstr *q);
void kt_rpc_qstr_unref(qstr *q);
/*
 * The rendered result for one block state: from the cache, from a concurrent
 * attestation of the same state, or from a new one (under the attester lock).
 */
kt_status kt_rpc_attest(kt_rpc_server *s, const kt_block_state *key, qstr **out, kt_error *err);
/* Free the cache (no request may be running). */
void kt_rpc_cache_free(kt_rpc_server *s);

/* ---- http_glue.c ---- */
/* Start libmicrohttpd on the address (s->mhd, s->port set); KT_E_IO with the reason. */
kt_status kt_rpc_http_start(kt_rpc_server *s, const struct sockaddr *addr, int family,
                            kt_error *err);
/* Stop accepting and finish the running requests (no-op when not started). */
void kt_rpc_http_stop(kt_rpc_server *s);

#endif
