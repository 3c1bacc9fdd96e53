/*
 * The KDS client's retry loop: one object over HTTP, with Retry-After,
 * exponential backoff with jitter, an overall deadline and a body limit; the
 * object is checked before it is handed back.
 */
#include <string.h>

#include "http/http.h"
#include "kds/kds_client_priv.h"
#include "util/error.h"

/* ---- the network ------------------------------------------------------------------------ */

typedef struct xfer_ctx {
    kt_kds_client *c;
    const char *url;
    unsigned attempt;
    uint64_t start;
} xfer_ctx;

static void emit(kt_kds_client *c, const kt_kds_progress *p) {
    if (c->opts.progress)
        c->opts.progress(c->opts.progress_user, p);
}

static void on_http_progress(void *ctx, uint64_t now, uint64_t total) {
    xfer_ctx *x = ctx;
    kt_kds_progress p = {0};
    p.event = KT_KDS_EVENT_PROGRESS;
    p.url = x->url;
    p.attempt = x->attempt;
    p.received = now;
    p.total = total;
    p.elapsed_ms = kt_kds_mono(x->c) - x->start;
    emit(x->c, &p);
}

kt_status kt_kds_fetch_url(kt_kds_client *c, const kt_kds_object *obj, const char *url,
                           uint8_t **out, size_t *out_len, time_t *expires, kt_error *err) {
    const kt_kds_opts *o = &c->opts;
    uint64_t start = kt_kds_mono(c);
    uint64_t deadline = start + (uint64_t)o->deadline_ms;
    kt_status last = KT_E_NETWORK;
    char last_msg[KT_ERROR_MSG_MAX] = "";
    char what[KT_KDS_URL_MAX + 32];
    kt_kds_sfmt(what, sizeof what, "KDS response from %s", url);
    for (unsigned attempt = 1;; attempt++) {
        uint64_t now = kt_kds_mono(c);
        if (now >= deadline)
            return kt_fail(err, last, "%s; gave up: the deadline of %ld ms passed", last_msg,
                           o->deadline_ms);
        long remaining = (long)(deadline - now);
        xfer_ctx x = {c, url, attempt, start};
        kt_http_request req;
        memset(&req, 0, sizeof req);
        req.url = url;
        req.connect_timeout_ms =
            o->connect_timeout_ms < remaining ? o->connect_timeout_ms : remaining;
        req.timeout_ms = o->timeout_ms < remaining ? o->timeout_ms : remaining;
        req.max_body = o->max_body;
        req.progress = c->opts.progress ? on_http_progress : NULL;
        req.progress_ctx = &x;

        kt_kds_progress ev = {0};
        ev.event = KT_KDS_EVENT_REQUEST;
        ev.url = url;
        ev.attempt = attempt;
        ev.elapsed_ms = now - start;
        if (c->attempt.before)
            c->attempt.before(c->attempt.ctx); /* e.g. a proxy's shared rate limit */
        emit(c, &ev);
        c->requests++;

        kt_http_response resp;
        kt_error herr = {0};
        kt_status st = kt_http_perform(&req, &resp, &herr);
        c->last_http_status = st == KT_OK ? resp.status : 0;
        if (c->attempt.after) {
            uint64_t ra_ms = 0;
            long got = c->last_http_status;
            if ((got == 429 || got == 503) &&
                !kt_kds_parse_retry_after(resp.retry_after, kt_kds_wall(c), &ra_ms))
                ra_ms = 0;
            c->attempt.after(c->attempt.ctx, got, ra_ms);
        }
        uint64_t wait = 0;
        long http = 0;
        if (st != KT_OK) {
            kt_http_response_free(&resp);
            if (st == KT_E_TOO_LARGE)
                return kt_fail(err, KT_E_TOO_LARGE,
                               "KDS response from %s exceeds the limit of %zu bytes", url,
                               o->max_body);
            if (st != KT_E_NETWORK)
                return kt_fail(err, st, "%s", herr.message);
            last = KT_E_NETWORK;
            kt_kds_sfmt(last_msg, sizeof last_msg, "%s", herr.message);
            wait = kt_kds_backoff_ms(attempt, o->backoff_base_ms, o->backoff_max_ms,
                                     c->hooks.jitter(c->hooks.ctx));
        } else if (resp.status == 200) {
            st = kt_kds_check_object(obj, resp.body.data, resp.body.len, what, expires, err);
            if (st != KT_OK) {
                /* A wrong object is a fact about the server, not a transient fault: no retry. */
                kt_http_response_free(&resp);
                return st;
            }
            *out = resp.body.data;
            *out_len = resp.body.len;
            resp.body.data = NULL;
            kt_kds_progress done = {0};
            done.event = KT_KDS_EVENT_DONE;
            done.url = url;
            done.attempt = attempt;
            done.received = *out_len;
            done.elapsed_ms = kt_kds_mono(c) - start;
            done.http_status = 200;
            emit(c, &done);
            kt_http_response_free(&resp);
            return KT_OK;
        } else {
            http = resp.status;
            if (!kt_kds_status_retryable(http)) {
                kt_http_response_free(&resp);
                if (http == 404)
                    return kt_fail(err, KT_E_HTTP, "KDS has no %s at %s (HTTP 404)",
                                   kt_kds_object_name(obj), url);
                return kt_fail(err, KT_E_HTTP, "KDS answered HTTP %ld for %s", http, url);
            }
            uint64_t ra = 0;
            bool has_ra = (http == 429 || http == 503) &&
                          kt_kds_parse_retry_after(resp.retry_after, kt_kds_wall(c), &ra);
            if (has_ra)
                wait = ra < (uint64_t)o->max_retry_after_ms ? ra : (uint64_t)o->max_retry_after_ms;
            else
                wait = kt_kds_backoff_ms(attempt, o->backoff_base_ms, o->backoff_max_ms,
                                         c->hooks.jitter(c->hooks.ctx));
            last = (http == 429 || http == 503) ? KT_E_RATE_LIMIT : KT_E_HTTP;
            kt_kds_sfmt(last_msg, sizeof last_msg, "KDS answered HTTP %ld%s%s%s for %s", http,
                     resp.retry_after[0] ? " (Retry-After: " : "", resp.retry_after,
                     resp.retry_after[0] ? ")" : "", url);
            kt_http_response_free(&resp);
        }
        if (attempt > o->max_retries)
            return kt_fail(err, last, "%s; gave up after %u attempts", last_msg, attempt);
        if (kt_kds_mono(c) + wait > deadline)
            return kt_fail(err, last,
                           "%s; gave up: waiting %llu ms more would pass the deadline of %ld ms",
                           last_msg, (unsigned long long)wait, o->deadline_ms);
        kt_kds_progress r = {0};
        r.event = KT_KDS_EVENT_RETRY;
        r.url = url;
        r.attempt = attempt;
        r.elapsed_ms = kt_kds_mono(c) - start;
        r.wait_ms = wait;
        r.http_status = http;
        r.reason = last_msg;
        emit(c, &r);
        c->hooks.sleep_ms(c->hooks.ctx, wait);
    }
}
