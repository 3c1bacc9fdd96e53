/*
 * Single-flight attestation with a quote cache: concurrent requests for one
 * block state share one call into the attester, and the rendered result of the
 * last block is reused until the block changes.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "katana_tee/commit.h"
#include "katana_tee/hex.h"
#include "katana_tee/quote.h"
#include "rpc/server_impl.h"

qstr *kt_rpc_qstr_ref(qstr *q) {
    if (q)
        atomic_fetch_add_explicit(&q->refs, 1, memory_order_relaxed);
    return q;
}

void kt_rpc_qstr_unref(qstr *q) {
    if (q && atomic_fetch_sub_explicit(&q->refs, 1, memory_order_acq_rel) == 1)
        free(q);
}

/* ---- subjects ---------------------------------------------------------------------------- */

static bool same_subject(const uint8_t rd[64], const char *tail, size_t tail_len,
                         const kt_rpc_subject *sub) {
    return memcmp(rd, sub->report_data, 64) == 0 && tail_len == sub->tail_len &&
           memcmp(tail, sub->tail, tail_len) == 0;
}

/* ---- the cache of recent blocks' answers (LRU, mu held) ------------------------------------ */

static qstr *cache_find(kt_rpc_server *s, const kt_rpc_subject *sub) {
    for (size_t i = 0; i < s->cache_len; i++) {
        cache_entry *e = &s->cache[i];
        if (e->quote && same_subject(e->report_data, e->tail, e->tail_len, sub)) {
            e->used = ++s->cache_tick;
            return kt_rpc_qstr_ref(e->quote);
        }
    }
    return NULL;
}

static void cache_put(kt_rpc_server *s, const kt_rpc_subject *sub, qstr *q) {
    if (!s->cache_len)
        return;
    cache_entry *victim = &s->cache[0];
    for (size_t i = 0; i < s->cache_len; i++) {
        cache_entry *e = &s->cache[i];
        if (!e->quote) {
            victim = e;
            break;
        }
        if (e->used < victim->used)
            victim = e;
    }
    char *tail = malloc(sub->tail_len + 1);
    if (!tail)
        return; /* not cached: the answer itself is fine */
    memcpy(tail, sub->tail, sub->tail_len);
    tail[sub->tail_len] = '\0';
    kt_rpc_qstr_unref(victim->quote);
    free(victim->tail);
    memcpy(victim->report_data, sub->report_data, 64);
    victim->tail = tail;
    victim->tail_len = sub->tail_len;
    victim->quote = kt_rpc_qstr_ref(q);
    victim->used = ++s->cache_tick;
}

void kt_rpc_cache_free(kt_rpc_server *s) {
    /* no request runs any more: no flights remain, only the cache */
    for (size_t i = 0; i < s->cache_len; i++) {
        kt_rpc_qstr_unref(s->cache[i].quote);
        free(s->cache[i].tail);
    }
    free(s->cache);
    s->cache = NULL;
    s->cache_len = 0;
    for (client_count *c = s->clients, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    s->clients = NULL;
}

/* ---- per-client accounting (mu held) ---------------------------------------------------------- */

static client_count *client_get(kt_rpc_server *s, const char *client) {
    for (client_count *c = s->clients; c; c = c->next)
        if (strcmp(c->client, client) == 0)
            return c;
    client_count *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    snprintf(c->client, sizeof c->client, "%s", client);
    c->next = s->clients;
    s->clients = c;
    return c;
}

static void client_put(kt_rpc_server *s, client_count *cc) {
    if (!cc || --cc->busy)
        return;
    for (client_count **pp = &s->clients; *pp; pp = &(*pp)->next) {
        if (*pp == cc) {
            *pp = cc->next;
            free(cc);
            return;
        }
    }
}

/* ---- single flight ---------------------------------------------------------------------------- */

static flight *find_flight(kt_rpc_server *s, const kt_rpc_subject *sub) {
    for (flight *f = s->flights; f; f = f->next)
        if (same_subject(f->report_data, f->tail, f->tail_len, sub))
            return f;
    return NULL;
}

/* Drop one reference to f (mu held); the last one unlinks and frees it. */
static void flight_release(kt_rpc_server *s, flight *f) {
    if (--f->refs)
        return;
    for (flight **pp = &s->flights; *pp; pp = &(*pp)->next) {
        if (*pp == f) {
            *pp = f->next;
            break;
        }
    }
    kt_rpc_qstr_unref(f->quote);
    free(f);
}

/* {"quote":"0x<hex>" followed by the subject's tail. */
static qstr *make_result_text(const uint8_t *quote, size_t len, const kt_rpc_subject *sub) {
    static const char head[] = "{\"quote\":\"0x";
    size_t n = sizeof head - 1 + 2 * len + sub->tail_len;
    qstr *q = malloc(sizeof *q + n + 1);
    if (!q)
        return NULL;
    atomic_init(&q->refs, 1);
    memcpy(q->text, head, sizeof head - 1);
    kt_hex_encode(quote, len, q->text + sizeof head - 1);
    memcpy(q->text + sizeof head - 1 + 2 * len, sub->tail, sub->tail_len);
    q->text[n] = '\0';
    q->len = n;
    return q;
}

static void deadline_after(long ms, struct timespec *ts) {
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static kt_status run_attester(kt_rpc_server *s, const kt_rpc_subject *sub, qstr **out,
                              kt_error *err) {
    uint8_t *quote = NULL;
    size_t quote_len = 0;
    struct timespec t0, t1, until;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    /* attesters are not assumed thread-safe: one call at a time, and no one queues forever */
    deadline_after(s->o.attest_wait_ms, &until);
    if (pthread_mutex_timedlock(&s->attester_mu, &until) != 0)
        return kt_fail(err, KT_E_BUSY, "the attester stayed busy for %ld ms", s->o.attest_wait_ms);
    atomic_fetch_add_explicit(&s->attestations, 1, memory_order_relaxed);
    kt_status st = kt_attester_quote(s->o.attester, sub->report_data, &quote, &quote_len, err);
    pthread_mutex_unlock(&s->attester_mu);
    kt_rpc_note_attester(s, st, err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long long us = (t1.tv_sec - t0.tv_sec) * 1000000LL + (t1.tv_nsec - t0.tv_nsec) / 1000;
    if (st != KT_OK) {
        char q[600];
        kt_rpc_log(s, KT_LOG_ERROR, "attest_failed", "block=%" PRIu64 " status=%s error=%s us=%lld",
                   sub->state.block_number, kt_status_name(st), kt_rpc_quoted(err->message, q, sizeof q), us);
        return st;
    }
    *out = make_result_text(quote, quote_len, sub);
    kt_bytes_free(quote);
    if (!*out)
        return kt_fail_oom(err);
    if (kt_rpc_log_on(s, KT_LOG_INFO)) {
        char hash[KT_FELT_HEX_MAX];
        kt_felt_to_hex(&sub->state.block_hash, hash);
        kt_rpc_log(s, KT_LOG_INFO, "attested", "block=%" PRIu64 " hash=%s quote_bytes=%zu us=%lld",
                   sub->state.block_number, hash, quote_len, us);
    }
    return KT_OK;
}

/* Wait for another request's attestation of the same subject (mu held), up to the deadline. */
static kt_status wait_flight(kt_rpc_server *s, flight *f, qstr **out, kt_error *err) {
    f->refs++;
    s->waiting++;
    atomic_fetch_add_explicit(&s->shared, 1, memory_order_relaxed);
    struct timespec until;
    deadline_after(s->o.attest_wait_ms, &until);
    int rc = 0;
    while (!f->done && rc == 0)
        rc = pthread_cond_timedwait(&s->cv, &s->mu, &until);
    s->waiting--;
    kt_status st;
    if (!f->done) {
        st = kt_fail(err, KT_E_BUSY, "waited %ld ms for this block's attestation",
                     s->o.attest_wait_ms);
    } else {
        st = f->status;
        if (st == KT_OK)
            *out = kt_rpc_qstr_ref(f->quote);
        else if (err)
            *err = f->err;
    }
    flight_release(s, f);
    return st;
}

kt_status kt_rpc_attest(kt_rpc_server *s, kt_rpc_call *call, const kt_rpc_subject *sub,
                        qstr **out, kt_error *err) {
    bool use_cache = !s->o.no_quote_cache;
    pthread_mutex_lock(&s->mu);
    if (use_cache && (*out = cache_find(s, sub)) != NULL) {
        pthread_mutex_unlock(&s->mu);
        atomic_fetch_add_explicit(&s->cache_hits, 1, memory_order_relaxed);
        return KT_OK;
    }
    flight *f = find_flight(s, sub);
    if (f) {
        kt_status st = wait_flight(s, f, out, err);
        pthread_mutex_unlock(&s->mu);
        return st;
    }
    /* a new attestation: bounded per request and per client */
    if (call->attested >= s->o.max_attest_per_request) {
        pthread_mutex_unlock(&s->mu);
        return kt_fail(err, KT_E_RATE_LIMIT,
                       "one request may cause at most %u new attestations", s->o.max_attest_per_request);
    }
    client_count *cc = client_get(s, call->client);
    if (!cc || cc->busy >= s->o.max_attest_per_client) {
        pthread_mutex_unlock(&s->mu);
        if (!cc)
            return kt_fail_oom(err);
        return kt_fail(err, KT_E_RATE_LIMIT,
                       "client %s already has %u attestations running", call->client, cc->busy);
    }
    cc->busy++;
    call->attested++;
    f = calloc(1, sizeof *f + sub->tail_len + 1);
    if (!f) {
        client_put(s, cc);
        pthread_mutex_unlock(&s->mu);
        return kt_fail_oom(err);
    }
    memcpy(f->report_data, sub->report_data, 64);
    memcpy(f->tail, sub->tail, sub->tail_len);
    f->tail_len = sub->tail_len;
    f->refs = 1;
    f->next = s->flights;
    s->flights = f;
    pthread_mutex_unlock(&s->mu);

    qstr *q = NULL;
    kt_error e = {0};
    kt_status st = run_attester(s, sub, &q, &e);

    pthread_mutex_lock(&s->mu);
    client_put(s, cc);
    f->done = true;
    f->status = st;
    f->err = e;
    f->quote = q; /* the flight's reference */
    if (st == KT_OK) {
        if (use_cache)
            cache_put(s, sub, q);
        s->have_last = true;
        s->last = sub->state;
        s->last_at = time(NULL);
        *out = kt_rpc_qstr_ref(q);
    } else if (err) {
        *err = e;
    }
    pthread_cond_broadcast(&s->cv);
    flight_release(s, f);
    pthread_mutex_unlock(&s->mu);
    return st;
}
