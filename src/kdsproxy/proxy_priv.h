/*
 * Internal to src/kdsproxy: the proxy's state and the pieces its files share
 * (limiter.c: the upstream rate limit; store.c: memory, disk, single flight
 * and upstream; metrics.c: counters and /metrics; server.c: HTTP).
 */
#ifndef KT_KDSPROXY_PRIV_H
#define KT_KDSPROXY_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "kdsproxy/proxy.h"

/* ---- rate limiter: attempts spaced 1/rps apart, pushed back by Retry-After ---- */
typedef struct kt_kdsproxy_limiter {
    pthread_mutex_t mu;
    uint64_t interval_us;
    uint64_t next_us; /* monotonic time of the next allowed attempt */
} kt_kdsproxy_limiter;

void kt_kdsproxy_limiter_init(kt_kdsproxy_limiter *l, double rps);
/* Wait for the next slot; returns how long it waited (µs). */
uint64_t kt_kdsproxy_limiter_acquire(kt_kdsproxy_limiter *l);
/* No attempt before now + delay_ms (a server's Retry-After holds for every client). */
void kt_kdsproxy_limiter_hold(kt_kdsproxy_limiter *l, uint64_t delay_ms);
void kt_kdsproxy_limiter_destroy(kt_kdsproxy_limiter *l);
uint64_t kt_kdsproxy_mono_us(void);

/* ---- metrics ---- */
#define KT_KDSPROXY_KINDS 3 /* VCEK, chain, CRL (kt_kds_kind - 1) */
typedef struct kt_kdsproxy_metrics {
    atomic_uint_fast64_t requests[6];  /* by kt_kdsproxy_route_kind (0: not routed, e.g. 405) */
    atomic_uint_fast64_t hits[KT_KDSPROXY_KINDS];      /* answered from memory or disk */
    atomic_uint_fast64_t misses[KT_KDSPROXY_KINDS];    /* needed upstream (or offline: missing) */
    atomic_uint_fast64_t upstream[600];  /* attempts by HTTP status; [0] = no answer */
    atomic_uint_fast64_t joins;          /* requests that waited on another's fetch */
    atomic_uint_fast64_t negative_hits;  /* answered 404 from the negative cache */
    atomic_uint_fast64_t stale_served;   /* CRLs served marked stale */
    atomic_uint_fast64_t offline_missing;
    atomic_uint_fast64_t upstream_failures; /* fetches that ended without the object */
    atomic_uint_fast64_t bytes_served;   /* object bodies */
    atomic_uint_fast64_t limiter_wait_us;
    atomic_uint_fast64_t by_status[6];   /* answers: 200, 400, 404, 405, 502, other */
} kt_kdsproxy_metrics;

/* ---- the store ---- */
typedef struct kt_kdsproxy_entry kt_kdsproxy_entry;

typedef struct kt_kdsproxy_store {
    pthread_mutex_t mu;
    pthread_cond_t done; /* broadcast when a flight lands */
    kt_kdsproxy_entry **buckets;
    size_t nbuckets;
    size_t count;
    size_t bytes;
} kt_kdsproxy_store;

/* What a request gets. */
typedef enum kt_kdsproxy_outcome {
    KT_OUT_OBJECT = 1,   /* bytes (maybe stale: a CRL past nextUpdate) */
    KT_OUT_NEGATIVE = 2, /* upstream said 404 (now, or remembered) */
    KT_OUT_MISSING = 3,  /* offline and not cached */
    KT_OUT_FAILED = 4,   /* upstream failed and nothing cached: 502 */
} kt_kdsproxy_outcome;

typedef struct kt_kdsproxy_answer {
    kt_kdsproxy_outcome outcome;
    uint8_t *bytes; /* KT_OUT_OBJECT: malloc'd copy */
    size_t len;
    time_t expires; /* notAfter / nextUpdate, 0 if none */
    bool stale;     /* a CRL past its nextUpdate */
    char source[16]; /* "memory", "disk", "upstream", "joined" */
    char message[KT_ERROR_MSG_MAX]; /* MISSING / FAILED / NEGATIVE: one line */
} kt_kdsproxy_answer;

struct kt_kdsproxy {
    kt_kdsproxy_opts o;
    char listen[128];
    char upstream[512];
    char cache_dir[4096];
    kt_kdsproxy_limiter limiter;
    kt_kdsproxy_store store;
    kt_kdsproxy_metrics m;
    struct MHD_Daemon *mhd;
    uint16_t port;
    time_t started;
    char start_error[256];
    bool starting;
};

kt_status kt_kdsproxy_store_init(kt_kdsproxy_store *s, kt_error *err);
void kt_kdsproxy_store_destroy(kt_kdsproxy_store *s);
/* Answer one object request (blocking: may wait on a flight or upstream). */
void kt_kdsproxy_get(kt_kdsproxy *p, const kt_kds_object *obj, kt_kdsproxy_answer *out);

char *kt_kdsproxy_metrics_render(kt_kdsproxy *p);

void kt_kdsproxy_log(const kt_kdsproxy *p, kt_kdsproxy_log_level level, const char *event,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A value quoted for a key=value log line (control bytes escaped). */
const char *kt_kdsproxy_quote(const char *in, char *out, size_t cap);

#endif
