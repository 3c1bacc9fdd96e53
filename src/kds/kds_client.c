/*
 * The KDS client: options, creation, warnings and the public calls. The
 * cache (kds_cache.c), the retry loop (kds_fetch.c), cache-then-network
 * (kds_object.c) and the certificate sources (kds_source.c) are beside it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/rand.h>

#include "katana_tee/kds.h"
#include "katana_tee/quote.h"
#include "http/http.h"
#include "kds/kds_client_priv.h"
#include "util/error.h"


/* snprintf whose truncation is intended (messages, display strings). */
void kt_kds_sfmt(char *out, size_t cap, const char *fmt, ...) {
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

void kt_kds_client_set_attempt_hooks(kt_kds_client *c, const kt_kds_attempt_hooks *h) {
    if (!c)
        return;
    if (h)
        c->attempt = *h;
    else
        memset(&c->attempt, 0, sizeof c->attempt);
}

uint64_t kt_kds_mono(kt_kds_client *c) {
    return c->hooks.mono_ms(c->hooks.ctx);
}

time_t kt_kds_wall(kt_kds_client *c) {
    return c->hooks.wall(c->hooks.ctx);
}

void kt_kds_warn(kt_kds_client *c, const char *fmt, ...) {
    if (c->warning_count >= KT_KDS_MAX_WARNINGS)
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
    /* A refused URL may carry a secret (user:password@, ?token=): the message shows
     * it without the userinfo and cut before any query or fragment. */
    char shown[256];
    kt_http_redact_url(url, shown, sizeof shown);
    shown[strcspn(shown, "?#")] = '\0';
    if (!scheme)
        return kt_fail(err, KT_E_INVALID_ARG, "KDS URL '%s' is not http:// or https://", shown);
    if (strpbrk(url, "?# \t\r\n"))
        return kt_fail(err, KT_E_INVALID_ARG,
                       "KDS URL '%s…' must be a plain base URL (no query, fragment or spaces)",
                       shown);
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
        kt_kds_sfmt(c->home, sizeof c->home, "%s", home);
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

void kt_kds_show_path(const kt_kds_client *c, const char *path, char *out, size_t cap) {
    size_t h = strlen(c->home);
    if (h && strncmp(path, c->home, h) == 0 && path[h] == '/')
        kt_kds_sfmt(out, cap, "~%s", path + h);
    else
        kt_kds_sfmt(out, cap, "%s", path);
}

void kt_kds_shorten_hex(const char *in, char *out, size_t cap) {
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

void kt_kds_fmt_date(time_t t, char *out, size_t cap) {
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(out, cap, "%Y-%m-%d %H:%M:%S UTC", &tm))
        kt_kds_sfmt(out, cap, "(time %lld)", (long long)t);
}

/* ---- the public fetch functions ------------------------------------------------------------ */

kt_status kt_kds_product_object(kt_product product, kt_kds_kind kind, bool vlek, kt_kds_object *obj,
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
    return kt_kds_get_object(c, &obj, !c->opts.offline, der, der_len, origin, cap, false, err);
}

kt_status kt_kds_fetch_chain(kt_kds_client *c, kt_product product, bool vlek, uint8_t **pem,
                             size_t *pem_len, char *origin, size_t cap, kt_error *err) {
    if (!c || !pem || !pem_len)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_kds_fetch_chain: bad argument");
    *pem = NULL;
    *pem_len = 0;
    kt_kds_object obj;
    kt_status st = kt_kds_product_object(product, KT_KDS_CHAIN, vlek, &obj, err);
    if (st != KT_OK)
        return st;
    st = kt_kds_get_object(c, &obj, !c->opts.offline, pem, pem_len, origin, cap, false, err);
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
    kt_status st = kt_kds_product_object(product, KT_KDS_CRL, vlek, &obj, err);
    if (st != KT_OK)
        return st;
    return kt_kds_get_object(c, &obj, !c->opts.offline, der, der_len, origin, cap, false, err);
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
    kt_status st = kt_kds_product_object(product, KT_KDS_CHAIN, vlek, &obj, err);
    return st != KT_OK ? st : kt_kds_object_url(c->base, &obj, out, cap, err);
}

kt_status kt_kds_crl_url(const kt_kds_client *c, kt_product product, bool vlek, char *out,
                         size_t cap, kt_error *err) {
    if (!c)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_kds_crl_url: no client");
    kt_kds_object obj;
    kt_status st = kt_kds_product_object(product, KT_KDS_CRL, vlek, &obj, err);
    return st != KT_OK ? st : kt_kds_object_url(c->base, &obj, out, cap, err);
}
