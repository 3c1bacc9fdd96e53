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
#include "rpc/v1_state.h"
#include "util/error.h"

struct MHD_Daemon;
struct sockaddr;

/* Katana's TEE error codes (katana rpc-api error/tee.rs) and JSON-RPC 2.0's own. */
enum {
    RPC_TEE_NOT_AVAILABLE = 100,
    RPC_TEE_QUOTE_FAILED = 101,
    RPC_TEE_PROVIDER = 102,
    RPC_TEE_EVENT_PROOF = 103,
    RPC_PARSE = -32700,
    RPC_INVALID_REQUEST = -32600,
    RPC_METHOD_NOT_FOUND = -32601,
    RPC_INVALID_PARAMS = -32602,
    RPC_INTERNAL = -32603,
};

#define RPC_LIMIT_EXCEEDED (-32005) /* as Ethereum's JSON-RPC: a server limit refused the call */
#define HTTP_TOO_LARGE 413u /* MHD renamed its constant across versions */

/*
 * The rendered result object of one attestation, {"quote":"0x…",…}, reference
 * counted and shared by the cache and the requests answering with it: a cached answer
 * costs a copy, not a JSON rebuild of a 2.4 KB hex string.
 */
typedef struct qstr {
    atomic_uint refs;
    size_t len;
    char text[];
} qstr;

/*
 * What one attestation covers: the report data and the rest of the result object after
 * the quote (`","stateRoot":…}`), both fixed by the chain state. Two requests with equal
 * report data and tail share one attestation and one cached answer.
 */
typedef struct kt_rpc_subject {
    uint8_t report_data[64];
    const char *tail;
    size_t tail_len;
    kt_block_state state; /* the attested block, for logs and /health */
} kt_rpc_subject;

/* One HTTP request's share of the attester. */
typedef struct kt_rpc_call {
    const char *client; /* source address, or "local" for kt_rpc_server_handle */
    unsigned attested;  /* new attestations this request has caused */
} kt_rpc_call;

/* One attestation in progress (or just finished) for one subject. */
typedef struct flight {
    struct flight *next;
    unsigned refs; /* the leader and every waiter; freed by the last one out */
    bool done;
    kt_status status;
    kt_error err;
    qstr *quote;
    uint8_t report_data[64];
    size_t tail_len;
    char tail[];
} flight;

typedef struct cache_entry {
    uint8_t report_data[64];
    char *tail;
    size_t tail_len;
    qstr *quote; /* NULL = free */
    uint64_t used;
} cache_entry;

/* Attestations running (or waited for as leader) per client. */
typedef struct client_count {
    struct client_count *next;
    char client[48];
    unsigned busy;
} client_count;

typedef struct kt_rpc_front kt_rpc_front;

struct kt_rpc_server {
    kt_rpc_opts o;
    char *node_url;
    char node_shown[300]; /* scheme://host:port only: what clients and logs may see */
    char *state_path;
    kt_node node;
    bool have_node;
    kt_state_file state;
    bool have_state;        /* v0 state file */
    kt_v1_state v1_state;
    bool have_v1_state;     /* v1 state file */
    kt_felt config_hash;    /* v1 */
    struct MHD_Daemon *mhd;
    kt_rpc_front *front;
    int listen_fd;
    uint16_t port;
    time_t started;
    char start_error[256]; /* the last libmicrohttpd message while starting */
    bool starting;

    pthread_mutex_t mu; /* guards everything below up to `waiting` */
    pthread_cond_t cv;
    flight *flights;
    cache_entry *cache;
    size_t cache_len;
    uint64_t cache_tick;
    client_count *clients;
    bool have_last;
    kt_block_state last;
    time_t last_at;
    unsigned waiting;

    pthread_mutex_t attester_mu; /* attesters are not assumed to be thread-safe */

    /* what /health reports, kept up to date off the request path (health.c) */
    pthread_mutex_t health_mu;
    pthread_cond_t health_cv;
    pthread_t prober;
    bool prober_running, stopping;
    int node_reachable; /* -1 unknown, 0 no, 1 yes */
    bool have_node_head;
    uint64_t node_head;   /* the node's starknet_blockNumber at the last probe */
    char node_error[256]; /* why the last probe failed (redacted) */
    int attester_usable;  /* -1 unknown, 0 no, 1 yes */
    char attester_error[256];
    int state_usable;     /* state file: -1 unknown, 0 no, 1 yes */
    char state_error[256];

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

/* ---- dispatch.c ---- */
/* kt_rpc_server_handle for one HTTP request from `client`. */
void kt_rpc_dispatch(kt_rpc_server *s, const char *client, const uint8_t *body, size_t len,
                     int *http_status, char **out, size_t *out_len);

/* Attest a subject and answer with it, or with the error it ended in (*code). */
char *kt_rpc_answer_attested(kt_rpc_server *s, kt_rpc_call *call, const kt_rpc_subject *sub,
                             const json_t *rid, int *code);
/* Error 102 "Provider error: …" (logged at warn). */
char *kt_rpc_provider_error(kt_rpc_server *s, const json_t *rid, kt_status st,
                            const kt_error *err, int *code);

/* ---- quote_v1.c ---- */
/* Answer text for v1 tee_generateQuote and tee_getEventProof; *code 0 or the error sent. */
char *kt_rpc_generate_quote_v1(kt_rpc_server *s, kt_rpc_call *call, const json_t *params,
                               const json_t *rid, int *code);
char *kt_rpc_event_proof_v1(kt_rpc_server *s, const json_t *params, const json_t *rid,
                            int *code);

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
 * KT_E_RATE_LIMIT when the request or the client has used its attestations,
 * KT_E_BUSY when the attester or the shared attestation took longer than
 * attest_wait_ms, else the attester's own status.
 */
kt_status kt_rpc_attest(kt_rpc_server *s, kt_rpc_call *call, const kt_rpc_subject *sub,
                        qstr **out, kt_error *err);
/* Free the cache and the client table (no request may be running). */
void kt_rpc_cache_free(kt_rpc_server *s);

/* ---- health.c ---- */
/* Record the outcome of an exchange with the node, the attester or the state file. */
void kt_rpc_note_node(kt_rpc_server *s, bool ok, const char *why);
void kt_rpc_note_attester(kt_rpc_server *s, kt_status st, const kt_error *err);
void kt_rpc_note_state(kt_rpc_server *s, kt_status st, const kt_error *err);
/* Probe the attester once and start the node prober thread; stop it. */
kt_status kt_rpc_health_start(kt_rpc_server *s, kt_error *err);
void kt_rpc_health_stop(kt_rpc_server *s);

/* ---- node_url.c ---- */
/*
 * Check a node URL (http or https, a host, an optional port 1..65535) and write its
 * origin "scheme://host[:port]" to out: no user info, path, query or fragment.
 * KT_E_INVALID_ARG naming what is wrong (the message shows only the origin part).
 */
kt_status kt_rpc_node_origin(const char *url, char *out, size_t cap, kt_error *err);
/* Replace every occurrence of secret in err's message by shown. */
void kt_rpc_scrub(kt_error *err, const char *secret, const char *shown);

/* ---- front_door.c ---- */
/* Bind and listen (non-blocking); the error names `shown` (the --listen text) and the OS reason. */
kt_status kt_rpc_listen_socket(const struct sockaddr *addr, unsigned len, const char *shown,
                               int *fd, uint16_t *port, kt_error *err);
kt_status kt_rpc_front_start(kt_rpc_server *s, int listen_fd, kt_rpc_front **out, kt_error *err);
void kt_rpc_front_stop(kt_rpc_front **front);
/* A socket address as text ("127.0.0.1", "::1"); "" for other families. */
void kt_rpc_client_name(const struct sockaddr *sa, char *out, size_t cap);

/* ---- http_glue.c ---- */
/* Start libmicrohttpd without a listening socket (the front door hands connections over). */
kt_status kt_rpc_http_start(kt_rpc_server *s, int family, kt_error *err);
/* Stop accepting and finish the running requests (no-op when not started). */
void kt_rpc_http_stop(kt_rpc_server *s);

#endif
