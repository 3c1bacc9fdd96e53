/*
 * The proxy's objects: memory, then the KDS client's on-disk cache, then
 * upstream — with one fetch per object at a time (single flight: the first
 * request for a missing object fetches, later ones wait for it and share
 * its result), a negative cache for upstream 404s, and CRL freshness rules
 * (refresh before nextUpdate; never pass a stale CRL off as fresh).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "katana_tee/kds.h"
#include "kdsproxy/proxy_priv.h"
#include "util/error.h"

#define NBUCKETS 1024
#define MAX_ENTRIES 4096
#define KEY_MAX 200

struct kt_kdsproxy_entry {
    kt_kdsproxy_entry *next;
    char key[KEY_MAX]; /* the cache path relative to the cache folder */
    kt_kds_kind kind;
    uint8_t *bytes; /* checked object, or NULL */
    size_t len;
    time_t expires;        /* notAfter / nextUpdate (0: none) */
    time_t refresh_at;     /* go upstream again from then on; 0 = never (immutable) */
    time_t negative_until; /* upstream said 404: answer 404 until then */
    bool flight;           /* a request is fetching it right now */
    uint64_t gen;          /* flights landed */
    unsigned users;        /* threads holding a pointer (eviction waits for 0) */
    kt_kdsproxy_outcome last_outcome; /* of the last flight, for the requests that waited */
    char last_msg[KT_ERROR_MSG_MAX];
};

/* A message line whose truncation is intended (long URLs and folders). */
static void line(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void line(char *out, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, cap, fmt, ap);
    va_end(ap);
}

static size_t hash_key(const char *s) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (size_t)(h % NBUCKETS);
}

kt_status kt_kdsproxy_store_init(kt_kdsproxy_store *s, kt_error *err) {
    memset(s, 0, sizeof *s);
    s->buckets = calloc(NBUCKETS, sizeof *s->buckets);
    if (!s->buckets)
        return kt_fail_oom(err);
    s->nbuckets = NBUCKETS;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->done, NULL);
    return KT_OK;
}

static void entry_free(kt_kdsproxy_store *s, kt_kdsproxy_entry *e) {
    s->bytes -= e->len;
    s->count--;
    free(e->bytes);
    free(e);
}

void kt_kdsproxy_store_destroy(kt_kdsproxy_store *s) {
    if (!s->buckets)
        return;
    for (size_t i = 0; i < s->nbuckets; i++)
        for (kt_kdsproxy_entry *e = s->buckets[i], *n; e; e = n) {
            n = e->next;
            entry_free(s, e);
        }
    free(s->buckets);
    s->buckets = NULL;
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->done);
}

/* Drop every entry nobody is using (memory stays bounded; the disk cache keeps them). */
static void evict_idle(kt_kdsproxy_store *s) {
    for (size_t i = 0; i < s->nbuckets; i++) {
        kt_kdsproxy_entry **pp = &s->buckets[i];
        while (*pp) {
            kt_kdsproxy_entry *e = *pp;
            if (!e->flight && e->users == 0) {
                *pp = e->next;
                entry_free(s, e);
            } else {
                pp = &e->next;
            }
        }
    }
}

/* Find or add the entry for key (lock held); NULL when out of memory. */
static kt_kdsproxy_entry *lookup(kt_kdsproxy_store *s, const char *key, kt_kds_kind kind) {
    size_t b = hash_key(key);
    for (kt_kdsproxy_entry *e = s->buckets[b]; e; e = e->next)
        if (strcmp(e->key, key) == 0)
            return e;
    if (s->count >= MAX_ENTRIES)
        evict_idle(s);
    kt_kdsproxy_entry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    snprintf(e->key, sizeof e->key, "%s", key);
    e->kind = kind;
    e->next = s->buckets[b];
    s->buckets[b] = e;
    s->count++;
    return e;
}

/* When a copy of an object must be checked upstream again (0: never). */
static time_t refresh_time(kt_kds_kind kind, time_t expires) {
    if (kind != KT_KDS_CRL)
        return 0; /* VCEKs and chains never change: cached forever */
    if (expires == 0)
        return 1; /* a CRL without nextUpdate: always worth asking again */
    return expires - KT_KDSPROXY_CRL_REFRESH_MARGIN_S;
}

static bool copy_out(const kt_kdsproxy_entry *e, time_t now, const char *source,
                     kt_kdsproxy_answer *out) {
    out->bytes = malloc(e->len ? e->len : 1);
    if (!out->bytes) {
        out->outcome = KT_OUT_FAILED;
        snprintf(out->message, sizeof out->message, "out of memory");
        return false;
    }
    memcpy(out->bytes, e->bytes, e->len);
    out->len = e->len;
    out->expires = e->expires;
    out->stale = e->kind == KT_KDS_CRL && e->expires != 0 && now >= e->expires;
    out->outcome = KT_OUT_OBJECT;
    snprintf(out->source, sizeof out->source, "%s", source);
    return true;
}

static void install(kt_kdsproxy_store *s, kt_kdsproxy_entry *e, uint8_t *bytes, size_t len,
                    time_t expires) {
    s->bytes -= e->len;
    free(e->bytes);
    e->bytes = bytes;
    e->len = len;
    e->expires = expires;
    s->bytes += len;
}

static void attempt_before(void *ctx) {
    kt_kdsproxy *p = ctx;
    uint64_t waited = kt_kdsproxy_limiter_acquire(&p->limiter);
    atomic_fetch_add(&p->m.limiter_wait_us, waited);
}

static void attempt_after(void *ctx, long status, uint64_t retry_after_ms) {
    kt_kdsproxy *p = ctx;
    atomic_fetch_add(&p->m.upstream[status > 0 && status < 600 ? status : 0], 1);
    if (retry_after_ms)
        kt_kdsproxy_limiter_hold(&p->limiter, retry_after_ms);
}

static kt_status open_client(kt_kdsproxy *p, kt_kds_client **out, kt_error *err) {
    kt_kds_opts ko;
    kt_kds_opts_init(&ko);
    ko.base_url = p->upstream;
    ko.cache_dir = p->cache_dir;
    ko.offline = p->o.offline;
    ko.max_retries = p->o.upstream_retries;
    ko.deadline_ms = p->o.upstream_deadline_ms;
    ko.backoff_base_ms = p->o.upstream_backoff_ms;
    ko.backoff_max_ms = 8 * p->o.upstream_backoff_ms;
    kt_status st = kt_kds_client_new(&ko, out, err);
    if (st != KT_OK)
        return st;
    kt_kds_attempt_hooks h = {attempt_before, attempt_after, p};
    kt_kds_client_set_attempt_hooks(*out, &h);
    return KT_OK;
}

/* The flight itself (no lock held): disk, then upstream. Fills e's result fields' inputs. */
typedef struct flight_result {
    kt_kdsproxy_outcome outcome;
    uint8_t *bytes; /* new object to install, or NULL */
    size_t len;
    time_t expires;
    time_t refresh_at;
    time_t negative_until;
    const char *source;
    char msg[KT_ERROR_MSG_MAX];
} flight_result;

static void fly(kt_kdsproxy *p, const kt_kds_object *obj, const kt_kdsproxy_entry *e, time_t now,
                flight_result *r) {
    char url[640] = "";
    (void)kt_kds_object_url(p->upstream, obj, url, sizeof url, NULL);
    const char *name = kt_kds_object_name(obj);
    bool have = e->bytes != NULL; /* only this thread writes e while it flies */
    kt_kds_client *c = NULL;
    kt_error err = {0};
    if (open_client(p, &c, &err) != KT_OK) {
        r->outcome = have ? KT_OUT_OBJECT : KT_OUT_FAILED;
        snprintf(r->msg, sizeof r->msg, "%s", err.message);
        r->refresh_at = now + KT_KDSPROXY_STALE_RETRY_S;
        return;
    }
    if (!have) {
        time_t exp = 0;
        if (kt_kds_cache_get(c, obj, &r->bytes, &r->len, &exp, NULL) == KT_OK) {
            r->expires = exp;
            r->refresh_at = refresh_time(obj->kind, exp);
            r->source = "disk";
            r->outcome = KT_OUT_OBJECT;
            have = true;
            if (r->refresh_at == 0 || now < r->refresh_at)
                goto done;
        }
    }
    if (p->o.offline) {
        r->outcome = have ? KT_OUT_OBJECT : KT_OUT_MISSING;
        r->refresh_at = now + KT_KDSPROXY_STALE_RETRY_S; /* look at the disk again later */
        if (!have) {
            atomic_fetch_add(&p->m.offline_missing, 1);
            line(r->msg, sizeof r->msg, "offline and not cached: %s %s (cache %s)", name, url,
                 p->cache_dir);
            kt_kdsproxy_log(p, KT_KDSPROXY_LOG_INFO, "offline_missing", "object=%s cache_key=%s",
                            obj->kind == KT_KDS_VCEK ? "vcek" : obj->kind == KT_KDS_CHAIN ? "chain" : "crl",
                            e->key);
        }
        goto done;
    }
    atomic_fetch_add(&p->m.misses[obj->kind - 1], 1);
    uint8_t *fresh = NULL;
    size_t flen = 0;
    time_t fexp = 0;
    long http = 0;
    uint64_t t0 = kt_kdsproxy_mono_us();
    kt_status st = kt_kds_upstream_get(c, obj, &fresh, &flen, &fexp, &http, &err);
    char q[KT_ERROR_MSG_MAX + 8];
    if (st == KT_OK) {
        free(r->bytes);
        r->bytes = fresh;
        r->len = flen;
        r->expires = fexp;
        r->refresh_at = refresh_time(obj->kind, fexp);
        if (r->refresh_at != 0 && r->refresh_at <= now)
            r->refresh_at = now + KT_KDSPROXY_STALE_RETRY_S; /* KDS itself is behind: ask later */
        r->source = "upstream";
        r->outcome = KT_OUT_OBJECT;
        kt_kdsproxy_log(p, KT_KDSPROXY_LOG_INFO, "upstream_fetched",
                        "cache_key=%s bytes=%zu status=200 ms=%llu stale=%s", e->key, flen,
                        (unsigned long long)((kt_kdsproxy_mono_us() - t0) / 1000),
                        obj->kind == KT_KDS_CRL && fexp && now >= fexp ? "yes" : "no");
        goto done;
    }
    atomic_fetch_add(&p->m.upstream_failures, 1);
    kt_kdsproxy_log(p, KT_KDSPROXY_LOG_WARN, "upstream_failed", "cache_key=%s status=%ld error=%s",
                    e->key, http, kt_kdsproxy_quote(err.message, q, sizeof q));
    r->refresh_at = now + KT_KDSPROXY_STALE_RETRY_S;
    if (have) {
        /* Keep serving the copy we have; whether it is stale the answer says. */
        r->outcome = KT_OUT_OBJECT;
        goto done;
    }
    if (http == 404) {
        r->outcome = KT_OUT_NEGATIVE;
        r->negative_until = now + (time_t)p->o.negative_ttl_s;
        line(r->msg, sizeof r->msg, "KDS has no %s at %s (HTTP 404)", name, url);
    } else {
        r->outcome = KT_OUT_FAILED;
        snprintf(r->msg, sizeof r->msg, "%s", err.message);
    }
done:
    for (size_t i = 0; i < kt_kds_warning_count(c); i++)
        kt_kdsproxy_log(p, KT_KDSPROXY_LOG_WARN, "cache_warning", "message=%s",
                        kt_kdsproxy_quote(kt_kds_warning(c, i), q, sizeof q));
    kt_kds_client_free(&c);
}

static void answer_from_result(kt_kdsproxy_outcome outcome, const char *msg,
                               kt_kdsproxy_answer *out) {
    out->outcome = outcome;
    snprintf(out->message, sizeof out->message, "%s", msg);
}

void kt_kdsproxy_get(kt_kdsproxy *p, const kt_kds_object *obj, kt_kdsproxy_answer *out) {
    memset(out, 0, sizeof *out);
    char key[KEY_MAX];
    kt_error err = {0};
    if (kt_kds_object_cache_rel(obj, key, sizeof key, &err) != KT_OK) {
        answer_from_result(KT_OUT_FAILED, err.message, out);
        return;
    }
    kt_kdsproxy_store *s = &p->store;
    time_t now = time(NULL);
    size_t k = (size_t)obj->kind - 1;
    pthread_mutex_lock(&s->mu);
    kt_kdsproxy_entry *e = lookup(s, key, obj->kind);
    if (!e) {
        pthread_mutex_unlock(&s->mu);
        answer_from_result(KT_OUT_FAILED, "out of memory", out);
        return;
    }
    e->users++;
    bool joined = false;
    for (;;) {
        bool due = e->refresh_at != 0 && now >= e->refresh_at;
        bool past = e->kind == KT_KDS_CRL && e->expires != 0 && now >= e->expires;
        /* Fresh, or being refreshed while still valid (no need to wait for the refresh). */
        if (e->bytes && (!due || (e->flight && !past))) {
            copy_out(e, now, joined ? "joined" : "memory", out);
            if (!joined)
                atomic_fetch_add(&p->m.hits[k], 1);
            break;
        }
        if (!e->bytes && e->negative_until > now) {
            atomic_fetch_add(&p->m.negative_hits, 1);
            answer_from_result(KT_OUT_NEGATIVE, e->last_msg, out);
            break;
        }
        if (e->flight) {
            if (!joined)
                atomic_fetch_add(&p->m.joins, 1);
            joined = true;
            uint64_t gen = e->gen;
            while (e->flight && e->gen == gen)
                pthread_cond_wait(&s->done, &s->mu);
            /* Take the flight's result as is: no second upstream call for the same miss. */
            if (e->last_outcome == KT_OUT_OBJECT && e->bytes)
                copy_out(e, now, "joined", out);
            else
                answer_from_result(e->last_outcome ? e->last_outcome : KT_OUT_FAILED, e->last_msg,
                                   out);
            break;
        }
        /* This request flies. */
        e->flight = true;
        pthread_mutex_unlock(&s->mu);
        flight_result r;
        memset(&r, 0, sizeof r);
        fly(p, obj, e, now, &r);
        pthread_mutex_lock(&s->mu);
        if (r.bytes)
            install(s, e, r.bytes, r.len, r.expires);
        e->refresh_at = r.refresh_at;
        if (r.outcome == KT_OUT_NEGATIVE)
            e->negative_until = r.negative_until;
        e->last_outcome = r.outcome;
        snprintf(e->last_msg, sizeof e->last_msg, "%s", r.msg);
        e->flight = false;
        e->gen++;
        pthread_cond_broadcast(&s->done);
        if (r.outcome == KT_OUT_OBJECT && e->bytes) {
            copy_out(e, now, r.source ? r.source : "memory", out);
            if (r.source && strcmp(r.source, "disk") == 0)
                atomic_fetch_add(&p->m.hits[k], 1);
        } else {
            answer_from_result(r.outcome, r.msg, out);
        }
        break;
    }
    e->users--;
    pthread_mutex_unlock(&s->mu);
    if (out->outcome == KT_OUT_OBJECT && out->stale)
        atomic_fetch_add(&p->m.stale_served, 1);
}
