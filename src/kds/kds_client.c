/*
 * The KDS client: cache first, then the network (unless offline), with a
 * polite retry policy; every object checked before use or caching.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "http/http.h"
#include "katana_tee/kds.h"
#include "katana_tee/quote.h"
#include "kds/kds_internal.h"
#include "util/error.h"
#include "util/amdname.h"
#include "util/fileio.h"
#include "verify/x509util.h"

#define MAX_WARNINGS 32
#define URL_MAX 640
#define PATH_MAX_KT 4096

typedef struct src_ctx {
    kt_kds_client *client;
    bool cache_only;
} src_ctx;

struct kt_kds_client {
    kt_kds_opts opts; /* string members point into base/cache_dir below */
    char base[512];
    char cache_dir[PATH_MAX_KT];
    char home[PATH_MAX_KT]; /* for showing paths as ~/... */
    kt_kds_hooks hooks;
    char *warnings[MAX_WARNINGS];
    size_t warning_count;
    unsigned requests;
    src_ctx kds_src, cache_src;
};

/* snprintf whose truncation is intended (messages, display strings). */
static void sfmt(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void sfmt(char *out, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, cap, fmt, ap);
    va_end(ap);
}

/* ---- defaults, hooks ----------------------------------------------------------------- */

void kt_kds_opts_init(kt_kds_opts *opts) {
    if (!opts)
        return;
    memset(opts, 0, sizeof *opts);
    opts->connect_timeout_ms = 5000;
    opts->timeout_ms = 30000;
    opts->max_retries = 4;
    opts->deadline_ms = 120000;
    opts->max_retry_after_ms = 60000;
    opts->backoff_base_ms = 1000;
    opts->backoff_max_ms = 30000;
    opts->max_body = 1024 * 1024;
}

static uint64_t real_mono_ms(void *ctx) {
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static time_t real_wall(void *ctx) {
    (void)ctx;
    return time(NULL);
}

static void real_sleep_ms(void *ctx, uint64_t ms) {
    (void)ctx;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static double real_jitter(void *ctx) {
    (void)ctx;
    uint32_t r = 0;
    if (RAND_bytes((unsigned char *)&r, sizeof r) != 1) {
        ERR_clear_error();
        return 0.5;
    }
    return (double)r / 4294967296.0;
}

void kt_kds_client_set_hooks(kt_kds_client *c, const kt_kds_hooks *h) {
    if (!c)
        return;
    c->hooks.mono_ms = h && h->mono_ms ? h->mono_ms : real_mono_ms;
    c->hooks.wall = h && h->wall ? h->wall : real_wall;
    c->hooks.sleep_ms = h && h->sleep_ms ? h->sleep_ms : real_sleep_ms;
    c->hooks.jitter = h && h->jitter ? h->jitter : real_jitter;
    c->hooks.ctx = h ? h->ctx : NULL;
}

static uint64_t mono(kt_kds_client *c) {
    return c->hooks.mono_ms(c->hooks.ctx);
}

static time_t wall(kt_kds_client *c) {
    return c->hooks.wall(c->hooks.ctx);
}

static void warn(kt_kds_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(kt_kds_client *c, const char *fmt, ...) {
    if (c->warning_count >= MAX_WARNINGS)
        return;
    char line[KT_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    char *s = malloc(strlen(line) + 1);
    if (!s)
        return;
    strcpy(s, line);
    c->warnings[c->warning_count++] = s;
}

size_t kt_kds_warning_count(const kt_kds_client *c) {
    return c ? c->warning_count : 0;
}

const char *kt_kds_warning(const kt_kds_client *c, size_t i) {
    return c && i < c->warning_count ? c->warnings[i] : NULL;
}

unsigned kt_kds_request_count(const kt_kds_client *c) {
    return c ? c->requests : 0;
}

const char *kt_kds_base_url(const kt_kds_client *c) {
    return c ? c->base : "";
}

const char *kt_kds_cache_dir(const kt_kds_client *c) {
    return c ? c->cache_dir : "";
}

/* ---- creation ------------------------------------------------------------------------ */

static kt_status set_base(kt_kds_client *c, const char *url, kt_error *err) {
    size_t n = strlen(url);
    size_t scheme = strncmp(url, "http://", 7) == 0 ? 7 : strncmp(url, "https://", 8) == 0 ? 8 : 0;
    if (!scheme)
        return kt_fail(err, KT_E_INVALID_ARG, "KDS URL '%.200s' is not http:// or https://", url);
    if (strpbrk(url, "?# \t\r\n"))
        return kt_fail(err, KT_E_INVALID_ARG,
                       "KDS URL '%.200s' must be a plain base URL (no query, fragment or spaces)",
                       url);
    while (n > 0 && url[n - 1] == '/')
        n--;
    if (n <= scheme || url[scheme] == '/' || n >= sizeof c->base)
        return kt_fail(err, KT_E_INVALID_ARG, "KDS URL '%.200s' is empty or too long", url);
    memcpy(c->base, url, n);
    c->base[n] = '\0';
    return KT_OK;
}

static kt_status set_cache_dir(kt_kds_client *c, const char *given, kt_error *err) {
    const char *env = getenv(KT_KDS_ENV_CACHE_DIR);
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    int n;
    if (given && given[0])
        n = snprintf(c->cache_dir, sizeof c->cache_dir, "%s", given);
    else if (env && env[0])
        n = snprintf(c->cache_dir, sizeof c->cache_dir, "%s", env);
    else if (xdg && xdg[0] == '/') /* the XDG spec says relative values are to be ignored */
        n = snprintf(c->cache_dir, sizeof c->cache_dir, "%s/katana-tee", xdg);
    else if (home && home[0])
        n = snprintf(c->cache_dir, sizeof c->cache_dir, "%s/.cache/katana-tee", home);
    else
        return kt_fail(err, KT_E_INVALID_ARG,
                       "no cache directory: set HOME, XDG_CACHE_HOME or " KT_KDS_ENV_CACHE_DIR
                       ", or disable the cache");
    if (n < 0 || (size_t)n >= sizeof c->cache_dir - 200)
        return kt_fail(err, KT_E_INVALID_ARG, "cache directory path is too long");
    while (n > 1 && c->cache_dir[n - 1] == '/')
        c->cache_dir[--n] = '\0';
    return KT_OK;
}

kt_status kt_kds_client_new(const kt_kds_opts *opts, kt_kds_client **out, kt_error *err) {
    if (!out)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_kds_client_new: no output pointer");
    *out = NULL;
    kt_kds_client *c = calloc(1, sizeof *c);
    if (!c)
        return kt_fail_oom(err);
    if (opts)
        c->opts = *opts;
    else
        kt_kds_opts_init(&c->opts);
    kt_kds_client_set_hooks(c, NULL);
    const char *url = c->opts.base_url;
    if (!url || !url[0])
        url = getenv(KT_KDS_ENV_URL);
    if (!url || !url[0])
        url = KT_KDS_DEFAULT_URL;
    kt_status st = set_base(c, url, err);
    if (st == KT_OK && !c->opts.no_cache)
        st = set_cache_dir(c, c->opts.cache_dir, err);
    if (st != KT_OK) {
        free(c);
        return st;
    }
    const char *home = getenv("HOME");
    if (home && home[0] && strlen(home) < sizeof c->home && strcmp(home, "/") != 0)
        sfmt(c->home, sizeof c->home, "%s", home);
    c->opts.base_url = c->base;
    c->opts.cache_dir = c->cache_dir;
    if (c->opts.connect_timeout_ms <= 0)
        c->opts.connect_timeout_ms = 5000;
    if (c->opts.timeout_ms <= 0)
        c->opts.timeout_ms = 30000;
    if (c->opts.deadline_ms <= 0)
        c->opts.deadline_ms = 120000;
    if (c->opts.max_retry_after_ms < 0)
        c->opts.max_retry_after_ms = 0;
    if (c->opts.max_body == 0)
        c->opts.max_body = 1024 * 1024;
    c->kds_src.client = c;
    c->kds_src.cache_only = false;
    c->cache_src.client = c;
    c->cache_src.cache_only = true;
    *out = c;
    return KT_OK;
}

void kt_kds_client_free(kt_kds_client **client) {
    if (!client || !*client)
        return;
    kt_kds_client *c = *client;
    for (size_t i = 0; i < c->warning_count; i++)
        free(c->warnings[i]);
    free(c);
    *client = NULL;
}

/* ---- display helpers ------------------------------------------------------------------ */

/* A path as shown to people: $HOME replaced by "~". */
static void show_path(const kt_kds_client *c, const char *path, char *out, size_t cap) {
    size_t h = strlen(c->home);
    if (h && strncmp(path, c->home, h) == 0 && path[h] == '/')
        sfmt(out, cap, "~%s", path + h);
    else
        sfmt(out, cap, "%s", path);
}

/* Shorten runs of more than 24 hex digits (chip ids) to their first 16 and "...". */
static void shorten_hex(const char *in, char *out, size_t cap) {
    size_t o = 0;
    for (size_t i = 0; in[i] && o + 1 < cap;) {
        size_t run = strspn(in + i, "0123456789abcdef");
        if (run > 24) {
            for (size_t k = 0; k < 16 && o + 1 < cap; k++)
                out[o++] = in[i + k];
            for (const char *d = "..."; *d && o + 1 < cap; d++)
                out[o++] = *d;
            i += run;
        } else if (run > 0) {
            for (size_t k = 0; k < run && o + 1 < cap; k++)
                out[o++] = in[i + k];
            i += run;
        } else {
            out[o++] = in[i++];
        }
    }
    out[o] = '\0';
}

static void fmt_date(time_t t, char *out, size_t cap) {
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(out, cap, "%Y-%m-%d %H:%M:%S UTC", &tm))
        sfmt(out, cap, "(time %lld)", (long long)t);
}

/* ---- cache ------------------------------------------------------------------------------ */

static kt_status mkdirs(const char *dir, kt_error *err) {
    return kt_mkdirs(dir, 0755, err);
}

static kt_status cache_store(kt_kds_client *c, const char *path, const uint8_t *bytes,
                             size_t len, kt_error *err) {
    char dir[PATH_MAX_KT];
    sfmt(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    kt_status st = mkdirs(dir, err);
    if (st == KT_OK)
        st = kt_file_write_atomic(path, bytes, len, 0644, err);
    (void)c;
    return st;
}

typedef enum { CACHE_MISS, CACHE_HIT, CACHE_STALE, CACHE_CORRUPT } cache_state;

/* Look an object up in the cache; on HIT or STALE *bytes holds the checked entry. */
static cache_state cache_lookup(kt_kds_client *c, const kt_kds_object *obj, const char *path,
                                uint8_t **bytes, size_t *len, time_t *expires) {
    *bytes = NULL;
    *len = 0;
    if (c->opts.no_cache)
        return CACHE_MISS;
    struct stat sb;
    if (stat(path, &sb) != 0 && errno == ENOENT)
        return CACHE_MISS;
    char shown[PATH_MAX_KT + 8], what[PATH_MAX_KT + 16];
    show_path(c, path, shown, sizeof shown);
    sfmt(what, sizeof what, "cache %s", shown);
    kt_error e = {0};
    uint8_t *data = NULL;
    size_t n = 0;
    if (kt_file_read(path, c->opts.max_body, &data, &n, &e) != KT_OK) {
        warn(c, "cannot use cache entry %s: %s", shown, e.message);
        return CACHE_CORRUPT;
    }
    if (kt_kds_check_object(obj, data, n, what, expires, &e) != KT_OK) {
        free(data);
        warn(c, "ignored a corrupt cache entry: %s", e.message);
        return CACHE_CORRUPT;
    }
    *bytes = data;
    *len = n;
    if (*expires != 0 && *expires < wall(c))
        return CACHE_STALE;
    return CACHE_HIT;
}

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
    p.elapsed_ms = mono(x->c) - x->start;
    emit(x->c, &p);
}

/*
 * GET one object with retries. On success *out is the checked body
 * (malloc'd, NUL-terminated) and *expires its notAfter/nextUpdate.
 */
static kt_status fetch_url(kt_kds_client *c, const kt_kds_object *obj, const char *url,
                           uint8_t **out, size_t *out_len, time_t *expires, kt_error *err) {
    const kt_kds_opts *o = &c->opts;
    uint64_t start = mono(c);
    uint64_t deadline = start + (uint64_t)o->deadline_ms;
    kt_status last = KT_E_NETWORK;
    char last_msg[KT_ERROR_MSG_MAX] = "";
    char what[URL_MAX + 32];
    sfmt(what, sizeof what, "KDS response from %s", url);
    for (unsigned attempt = 1;; attempt++) {
        uint64_t now = mono(c);
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
        emit(c, &ev);
        c->requests++;

        kt_http_response resp;
        kt_error herr = {0};
        kt_status st = kt_http_perform(&req, &resp, &herr);
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
            sfmt(last_msg, sizeof last_msg, "%s", herr.message);
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
            done.elapsed_ms = mono(c) - start;
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
                          kt_kds_parse_retry_after(resp.retry_after, wall(c), &ra);
            if (has_ra)
                wait = ra < (uint64_t)o->max_retry_after_ms ? ra : (uint64_t)o->max_retry_after_ms;
            else
                wait = kt_kds_backoff_ms(attempt, o->backoff_base_ms, o->backoff_max_ms,
                                         c->hooks.jitter(c->hooks.ctx));
            last = (http == 429 || http == 503) ? KT_E_RATE_LIMIT : KT_E_HTTP;
            sfmt(last_msg, sizeof last_msg, "KDS answered HTTP %ld%s%s%s for %s", http,
                     resp.retry_after[0] ? " (Retry-After: " : "", resp.retry_after,
                     resp.retry_after[0] ? ")" : "", url);
            kt_http_response_free(&resp);
        }
        if (attempt > o->max_retries)
            return kt_fail(err, last, "%s; gave up after %u attempts", last_msg, attempt);
        if (mono(c) + wait > deadline)
            return kt_fail(err, last,
                           "%s; gave up: waiting %llu ms more would pass the deadline of %ld ms",
                           last_msg, (unsigned long long)wait, o->deadline_ms);
        kt_kds_progress r = {0};
        r.event = KT_KDS_EVENT_RETRY;
        r.url = url;
        r.attempt = attempt;
        r.elapsed_ms = mono(c) - start;
        r.wait_ms = wait;
        r.http_status = http;
        r.reason = last_msg;
        emit(c, &r);
        c->hooks.sleep_ms(c->hooks.ctx, wait);
    }
}

/* ---- one object: cache, then network ------------------------------------------------------ */

/*
 * Get an object. `network` false means cache only; a miss then fails with
 * KT_E_OFFLINE naming the object and its URL. `origin` receives "cache PATH"
 * or "KDS URL" (full, or shortened for certificate origins).
 */
static kt_status get_object(kt_kds_client *c, const kt_kds_object *obj, bool network,
                            uint8_t **out, size_t *out_len, char *origin, size_t cap,
                            bool short_origin, kt_error *err) {
    char url[URL_MAX], rel[512], path[PATH_MAX_KT], shown[PATH_MAX_KT + 8];
    kt_status st = kt_kds_object_url(c->base, obj, url, sizeof url, err);
    if (st == KT_OK)
        st = kt_kds_object_cache_rel(obj, rel, sizeof rel, err);
    if (st != KT_OK)
        return st;
    sfmt(path, sizeof path, "%s/%s", c->cache_dir, rel);
    show_path(c, path, shown, sizeof shown);
    const char *name = kt_kds_object_name(obj);

    uint8_t *cached = NULL;
    size_t cached_len = 0;
    time_t expires = 0;
    cache_state cs = cache_lookup(c, obj, path, &cached, &cached_len, &expires);
    if (cs == CACHE_HIT) {
        *out = cached;
        *out_len = cached_len;
        if (origin && cap) {
            char o[PATH_MAX_KT + 16];
            sfmt(o, sizeof o, "cache %s", shown);
            if (short_origin)
                shorten_hex(o, origin, cap);
            else
                sfmt(origin, cap, "%s", o);
        }
        return KT_OK;
    }
    char date[64] = "";
    if (cs == CACHE_STALE)
        fmt_date(expires, date, sizeof date);
    const char *until = obj->kind == KT_KDS_CRL ? "past its nextUpdate" : "expired";

    if (!network) {
        if (cs == CACHE_STALE) {
            warn(c, "offline: using the cached %s %s although it is %s (%s)", name, shown, until,
                 date);
            *out = cached;
            *out_len = cached_len;
            if (origin && cap) {
                char o[PATH_MAX_KT + 16];
                sfmt(o, sizeof o, "cache %s", shown);
                if (short_origin)
                    shorten_hex(o, origin, cap);
                else
                    sfmt(origin, cap, "%s", o);
            }
            return KT_OK;
        }
        return kt_fail(err, KT_E_OFFLINE, "offline and the %s is %s; it can be fetched from %s",
                       name, cs == CACHE_CORRUPT ? "not usable in the cache (corrupt entry)"
                                                 : "not in the cache",
                       url);
    }

    uint8_t *body = NULL;
    size_t body_len = 0;
    time_t fexp = 0;
    kt_error ferr = {0};
    st = fetch_url(c, obj, url, &body, &body_len, &fexp, &ferr);
    if (st != KT_OK) {
        if (cs == CACHE_STALE) {
            /* KDS is down or refusing: a stale copy beats nothing; the verifier judges its dates. */
            warn(c, "could not refresh the %s (%s); using the cached copy %s, %s (%s)", name,
                 ferr.message, shown, until, date);
            *out = cached;
            *out_len = cached_len;
            if (origin && cap)
                sfmt(origin, cap, "cache %s", shown);
            return KT_OK;
        }
        if (err)
            *err = ferr;
        return st;
    }
    free(cached);
    if (fexp != 0 && fexp < wall(c)) {
        char d[64];
        fmt_date(fexp, d, sizeof d);
        warn(c, "the %s from %s is %s (%s)", name, url, until, d);
    }
    if (!c->opts.no_cache) {
        kt_error werr = {0};
        if (cache_store(c, path, body, body_len, &werr) != KT_OK)
            warn(c, "could not cache the %s: %s", name, werr.message);
    }
    *out = body;
    *out_len = body_len;
    if (origin && cap) {
        char o[URL_MAX + 8];
        sfmt(o, sizeof o, "KDS %s", url);
        if (short_origin)
            shorten_hex(o, origin, cap);
        else
            sfmt(origin, cap, "%s", o);
    }
    return KT_OK;
}

/* ---- the public fetch functions ------------------------------------------------------------ */

static kt_status product_obj(kt_product product, kt_kds_kind kind, bool vlek, kt_kds_object *obj,
                             kt_error *err) {
    if (product != KT_PRODUCT_MILAN && product != KT_PRODUCT_GENOA &&
        product != KT_PRODUCT_TURIN)
        return kt_fail(err, KT_E_INVALID_ARG,
                       "unknown product: KDS serves Milan, Genoa (also Bergamo, Siena) and Turin");
    memset(obj, 0, sizeof *obj);
    obj->kind = kind;
    obj->product = product;
    obj->vlek = vlek;
    return KT_OK;
}

kt_status kt_kds_fetch_vcek(kt_kds_client *c, const kt_report *report, kt_product product,
                            uint8_t **der, size_t *der_len, char *origin, size_t cap,
                            kt_error *err) {
    if (!c || !report || !der || !der_len)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_kds_fetch_vcek: bad argument");
    *der = NULL;
    *der_len = 0;
    kt_kds_object obj;
    kt_status st = kt_kds_vcek_object(report, product, &obj, err);
    if (st != KT_OK)
        return st;
    return get_object(c, &obj, !c->opts.offline, der, der_len, origin, cap, false, err);
}

kt_status kt_kds_fetch_chain(kt_kds_client *c, kt_product product, bool vlek, uint8_t **pem,
                             size_t *pem_len, char *origin, size_t cap, kt_error *err) {
    if (!c || !pem || !pem_len)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_kds_fetch_chain: bad argument");
    *pem = NULL;
    *pem_len = 0;
    kt_kds_object obj;
    kt_status st = product_obj(product, KT_KDS_CHAIN, vlek, &obj, err);
    if (st != KT_OK)
        return st;
    st = get_object(c, &obj, !c->opts.offline, pem, pem_len, origin, cap, false, err);
    if (st == KT_OK) {
        /* Callers get text: make sure it ends in a NUL (cache reads and HTTP bodies do). */
        uint8_t *t = realloc(*pem, *pem_len + 1);
        if (!t) {
            free(*pem);
            *pem = NULL;
            return kt_fail_oom(err);
        }
        t[*pem_len] = '\0';
        *pem = t;
    }
    return st;
}

kt_status kt_kds_fetch_crl(kt_kds_client *c, kt_product product, bool vlek, uint8_t **der,
                           size_t *der_len, char *origin, size_t cap, kt_error *err) {
    if (!c || !der || !der_len)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_kds_fetch_crl: bad argument");
    *der = NULL;
    *der_len = 0;
    kt_kds_object obj;
    kt_status st = product_obj(product, KT_KDS_CRL, vlek, &obj, err);
    if (st != KT_OK)
        return st;
    return get_object(c, &obj, !c->opts.offline, der, der_len, origin, cap, false, err);
}

kt_status kt_kds_vcek_url(const kt_kds_client *c, const kt_report *report, kt_product product,
                          char *out, size_t cap, kt_error *err) {
    if (!c)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_kds_vcek_url: no client");
    kt_kds_object obj;
    kt_status st = kt_kds_vcek_object(report, product, &obj, err);
    return st != KT_OK ? st : kt_kds_object_url(c->base, &obj, out, cap, err);
}

kt_status kt_kds_chain_url(const kt_kds_client *c, kt_product product, bool vlek, char *out,
                           size_t cap, kt_error *err) {
    if (!c)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_kds_chain_url: no client");
    kt_kds_object obj;
    kt_status st = product_obj(product, KT_KDS_CHAIN, vlek, &obj, err);
    return st != KT_OK ? st : kt_kds_object_url(c->base, &obj, out, cap, err);
}

kt_status kt_kds_crl_url(const kt_kds_client *c, kt_product product, bool vlek, char *out,
                         size_t cap, kt_error *err) {
    if (!c)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_kds_crl_url: no client");
    kt_kds_object obj;
    kt_status st = product_obj(product, KT_KDS_CRL, vlek, &obj, err);
    return st != KT_OK ? st : kt_kds_object_url(c->base, &obj, out, cap, err);
}

/* ---- certificate sources ---------------------------------------------------------------------- */

#define ROLE_BIT(r) (1u << (unsigned)(r))

typedef struct chain_add {
    kt_certs *certs;
    unsigned want;
    const char *origin;
} chain_add;

/* Block 0 is the ASK or ASVK (by its CN, already checked), block 1 the ARK. */
static kt_status add_chain_block(void *ctx, const char *type, const uint8_t *der, size_t len,
                                 int index, kt_error *err) {
    (void)type;
    chain_add *a = ctx;
    if (index > 1)
        return KT_OK;
    kt_cert_role role = KT_ROLE_ARK;
    if (index == 0) {
        const unsigned char *p = der;
        X509 *x = d2i_X509(NULL, &p, (long)len);
        char cn[64] = "";
        if (x)
            kt_x509_subject_cn(x, cn, sizeof cn);
        X509_free(x);
        role = kt_cert_role_from_cn(cn) == KT_ROLE_ASVK ? KT_ROLE_ASVK : KT_ROLE_ASK;
    }
    if ((a->want & ROLE_BIT(role)) && !kt_certs_has(a->certs, role))
        return kt_certs_add(a->certs, role, der, len, a->origin, false, err);
    return KT_OK;
}

/* Add the chain's certificates whose roles are still wanted (intermediate, ARK). */
static kt_status add_chain(kt_certs *certs, const uint8_t *pem, size_t len, unsigned want,
                           const char *origin, kt_error *err) {
    chain_add a = {certs, want, origin};
    int count = 0;
    kt_status st = kt_pem_foreach(pem, len, add_chain_block, &a, &count, err);
    if (st == KT_OK && count < 2)
        st = kt_fail(err, KT_E_CERT_FORMAT, "%s: chain lost a certificate", origin);
    return st;
}

static kt_status source_fetch(void *ctx, const kt_report *report, kt_product product,
                              unsigned need, kt_certs *certs, kt_error *err) {
    src_ctx *sc = ctx;
    kt_kds_client *c = sc->client;
    if (!c || !report || !certs)
        return kt_fail(err, KT_E_INVALID_ARG, "KDS certificate source: bad argument");
    bool network = !sc->cache_only && !c->opts.offline;
    if (product == KT_PRODUCT_UNKNOWN)
        product = report->product;
    if (product != KT_PRODUCT_MILAN && product != KT_PRODUCT_GENOA &&
        product != KT_PRODUCT_TURIN) {
        if (sc->cache_only)
            return KT_OK;
        return kt_fail(err, KT_E_INVALID_ARG,
                       "KDS: the report's product is unknown, so its certificates cannot be "
                       "looked up (give the product)");
    }
    bool vlek = report->signing_key == KT_SIGNING_KEY_VLEK;

    kt_kds_object objs[4];
    kt_cert_role roles[4];
    unsigned wants[4];
    size_t n = 0;
    if ((need & ROLE_BIT(KT_ROLE_VCEK)) && !vlek && !kt_certs_has(certs, KT_ROLE_VCEK)) {
        kt_status st = kt_kds_vcek_object(report, product, &objs[n], err);
        if (st != KT_OK)
            return sc->cache_only ? KT_OK : kt_fail_context(err, st, "KDS");
        roles[n] = KT_ROLE_VCEK;
        wants[n++] = ROLE_BIT(KT_ROLE_VCEK);
    }
    /* ARK comes with either chain: from the one matching the report's signer. */
    unsigned ask_need = need & ROLE_BIT(KT_ROLE_ASK);
    unsigned asvk_need = need & ROLE_BIT(KT_ROLE_ASVK);
    unsigned ark_need = need & ROLE_BIT(KT_ROLE_ARK);
    if (ask_need || (ark_need && !vlek)) {
        (void)product_obj(product, KT_KDS_CHAIN, false, &objs[n], NULL);
        roles[n] = KT_ROLE_AUTO;
        wants[n++] = ask_need | ark_need;
    }
    if (asvk_need || (ark_need && vlek)) {
        (void)product_obj(product, KT_KDS_CHAIN, true, &objs[n], NULL);
        roles[n] = KT_ROLE_AUTO;
        wants[n++] = asvk_need | ark_need;
    }
    if (need & ROLE_BIT(KT_ROLE_CRL) && !kt_certs_has(certs, KT_ROLE_CRL)) {
        (void)product_obj(product, KT_KDS_CRL, vlek, &objs[n], NULL);
        roles[n] = KT_ROLE_CRL;
        wants[n++] = ROLE_BIT(KT_ROLE_CRL);
    }

    char missing[KT_ERROR_MSG_MAX] = "";
    size_t nmissing = 0, nrequired = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t *bytes = NULL;
        size_t len = 0;
        char origin[160];
        kt_error e = {0};
        bool optional = roles[i] == KT_ROLE_CRL;
        kt_status st = get_object(c, &objs[i], network, &bytes, &len, origin, sizeof origin,
                                  true, &e);
        if (st == KT_E_OFFLINE) {
            if (!sc->cache_only) {
                char url[URL_MAX];
                if (kt_kds_object_url(c->base, &objs[i], url, sizeof url, NULL) == KT_OK) {
                    size_t used = strlen(missing);
                    sfmt(missing + used, sizeof missing - used, "%s%s %s", nmissing ? "; " : "",
                         kt_kds_object_name(&objs[i]), url);
                }
                nmissing++;
                nrequired += !optional;
                /* The warnings keep every URL whole even where the error line gets cut. */
                warn(c, "%s", e.message);
            }
            continue;
        }
        if (st != KT_OK) {
            if (sc->cache_only)
                continue; /* the cache has nothing usable: not an error for this source */
            if (optional) {
                /*
                 * The verifier asks for a CRL whenever one may help; whether it is required
                 * is its policy's call (require_crl), so a missing CRL is left missing.
                 */
                warn(c, "no CRL: %s", e.message);
                continue;
            }
            if (err)
                *err = e;
            return st;
        }
        if (roles[i] == KT_ROLE_AUTO)
            st = add_chain(certs, bytes, len, wants[i], origin, err);
        else if (!kt_certs_has(certs, roles[i]))
            st = kt_certs_add(certs, roles[i], bytes, len, origin, false, err);
        free(bytes);
        if (st != KT_OK)
            return st;
    }
    if (nrequired)
        /* URLs first: if the line must be cut, the cache folder is what goes. */
        return kt_fail(err, KT_E_OFFLINE, "offline and not cached: %s (cache %s)", missing,
                       c->opts.no_cache ? "disabled" : c->cache_dir);
    return KT_OK;
}

kt_cert_source kt_kds_cert_source(kt_kds_client *client) {
    kt_cert_source s = {"kds", source_fetch, client ? &client->kds_src : NULL};
    return s;
}

kt_cert_source kt_kds_cache_source(kt_kds_client *client) {
    kt_cert_source s = {"cache", source_fetch, client ? &client->cache_src : NULL};
    return s;
}
