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

/* ---- single-flight attestation with a one-block cache --------------------------------------- */

static flight *find_flight(kt_rpc_server *s, const kt_block_state *key) {
    for (flight *f = s->flights; f; f = f->next)
        if (kt_block_state_equal(&f->key, key))
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

/* Field names and order as Katana's TeeQuoteResponse (camelCase); only hex and digits inside. */
static qstr *make_result_text(const uint8_t *quote, size_t len, const kt_block_state *key) {
    char root[KT_FELT_HEX_MAX], hash[KT_FELT_HEX_MAX];
    kt_felt_to_hex(&key->state_root, root);
    kt_felt_to_hex(&key->block_hash, hash);
    char tail[3 * KT_FELT_HEX_MAX + 96];
    int tn = snprintf(tail, sizeof tail, "\",\"stateRoot\":\"%s\",\"blockHash\":\"%s\",\"blockNumber\":%" PRIu64 "}",
                      root, hash, key->block_number);
    static const char head[] = "{\"quote\":\"0x";
    size_t n = sizeof head - 1 + 2 * len + (size_t)tn;
    qstr *q = malloc(sizeof *q + n + 1);
    if (!q)
        return NULL;
    atomic_init(&q->refs, 1);
    memcpy(q->text, head, sizeof head - 1);
    kt_hex_encode(quote, len, q->text + sizeof head - 1);
    memcpy(q->text + sizeof head - 1 + 2 * len, tail, (size_t)tn + 1);
    q->len = n;
    return q;
}

static kt_status run_attester(kt_rpc_server *s, const kt_block_state *key, qstr **out,
                              kt_error *err) {
    uint8_t report_data[KT_REPORT_DATA_SIZE];
    kt_commit_v0(&key->state_root, &key->block_hash, report_data);
    uint8_t *quote = NULL;
    size_t quote_len = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_mutex_lock(&s->attester_mu);
    atomic_fetch_add_explicit(&s->attestations, 1, memory_order_relaxed);
    kt_status st = kt_attester_quote(s->o.attester, report_data, &quote, &quote_len, err);
    pthread_mutex_unlock(&s->attester_mu);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long long us = (t1.tv_sec - t0.tv_sec) * 1000000LL + (t1.tv_nsec - t0.tv_nsec) / 1000;
    if (st != KT_OK) {
        char q[600];
        kt_rpc_log(s, KT_LOG_ERROR, "attest_failed", "block=%" PRIu64 " status=%s error=%s us=%lld",
                  key->block_number, kt_status_name(st), kt_rpc_quoted(err->message, q, sizeof q), us);
        return st;
    }
    *out = make_result_text(quote, quote_len, key);
    kt_bytes_free(quote);
    if (!*out)
        return kt_fail_oom(err);
    if (kt_rpc_log_on(s, KT_LOG_INFO)) {
        char hash[KT_FELT_HEX_MAX];
        kt_felt_to_hex(&key->block_hash, hash);
        kt_rpc_log(s, KT_LOG_INFO, "attested", "block=%" PRIu64 " hash=%s quote_bytes=%zu us=%lld",
                  key->block_number, hash, quote_len, us);
    }
    return KT_OK;
}

kt_status kt_rpc_attest(kt_rpc_server *s, const kt_block_state *key, qstr **out, kt_error *err) {
    bool use_cache = !s->o.no_quote_cache;
    pthread_mutex_lock(&s->mu);
    if (use_cache && s->cache_valid && kt_block_state_equal(&s->cache_key, key)) {
        *out = kt_rpc_qstr_ref(s->cache_quote);
        pthread_mutex_unlock(&s->mu);
        atomic_fetch_add_explicit(&s->cache_hits, 1, memory_order_relaxed);
        return KT_OK;
    }
    flight *f = find_flight(s, key);
    if (f) {
        f->refs++;
        s->waiting++;
        atomic_fetch_add_explicit(&s->shared, 1, memory_order_relaxed);
        while (!f->done)
            pthread_cond_wait(&s->cv, &s->mu);
        s->waiting--;
        kt_status st = f->status;
        if (st == KT_OK)
            *out = kt_rpc_qstr_ref(f->quote);
        else if (err)
            *err = f->err;
        flight_release(s, f);
        pthread_mutex_unlock(&s->mu);
        return st;
    }
    f = calloc(1, sizeof *f);
    if (!f) {
        pthread_mutex_unlock(&s->mu);
        return kt_fail_oom(err);
    }
    f->key = *key;
    f->refs = 1;
    f->next = s->flights;
    s->flights = f;
    pthread_mutex_unlock(&s->mu);

    qstr *q = NULL;
    kt_error e = {0};
    kt_status st = run_attester(s, key, &q, &e);

    pthread_mutex_lock(&s->mu);
    f->done = true;
    f->status = st;
    f->err = e;
    f->quote = q; /* the flight's reference */
    if (st == KT_OK) {
        if (use_cache) {
            kt_rpc_qstr_unref(s->cache_quote);
            s->cache_quote = kt_rpc_qstr_ref(q);
            s->cache_key = *key;
            s->cache_valid = true;
        }
        s->have_last = true;
        s->last = *key;
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

void kt_rpc_cache_free(kt_rpc_server *s) {
    /* no request runs any more: no flights remain, only the cache */
    kt_rpc_qstr_unref(s->cache_quote);
    s->cache_quote = NULL;
}
