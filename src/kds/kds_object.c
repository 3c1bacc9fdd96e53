/*
 * One KDS object: the cache first, then the network (unless offline); a
 * stale copy is used, with a warning, when a refresh fails.
 */
#include <stdlib.h>
#include <string.h>

#include "kds/kds_client_priv.h"
#include "util/error.h"

/* ---- one object: cache, then network ------------------------------------------------------ */

/* The origin line of an object: "cache PATH" or "KDS URL", shortened when asked. */
static void set_origin(char *origin, size_t cap, bool short_origin, const char *source,
                       const char *where) {
    if (!origin || !cap)
        return;
    char o[KT_KDS_URL_MAX + KT_KDS_PATH_MAX + 16];
    kt_kds_sfmt(o, sizeof o, "%s %s", source, where);
    if (short_origin)
        kt_kds_shorten_hex(o, origin, cap);
    else
        kt_kds_sfmt(origin, cap, "%s", o);
}

static kt_status object_path(kt_kds_client *c, const kt_kds_object *obj, char *path, size_t cap,
                             kt_error *err) {
    char rel[512];
    kt_status st = kt_kds_object_cache_rel(obj, rel, sizeof rel, err);
    if (st == KT_OK)
        kt_kds_sfmt(path, cap, "%s/%s", c->cache_dir, rel);
    return st;
}

kt_status kt_kds_get_object(kt_kds_client *c, const kt_kds_object *obj, bool network,
                            uint8_t **out, size_t *out_len, char *origin, size_t cap,
                            bool short_origin, kt_error *err) {
    char url[KT_KDS_URL_MAX], path[KT_KDS_PATH_MAX], shown[KT_KDS_PATH_MAX + 8];
    kt_status st = kt_kds_object_url(c->base, obj, url, sizeof url, err);
    if (st == KT_OK)
        st = object_path(c, obj, path, sizeof path, err);
    if (st != KT_OK)
        return st;
    kt_kds_show_path(c, path, shown, sizeof shown);
    const char *name = kt_kds_object_name(obj);

    uint8_t *cached = NULL;
    size_t cached_len = 0;
    time_t expires = 0;
    kt_kds_cache_state cs = kt_kds_cache_lookup(c, obj, path, &cached, &cached_len, &expires);
    if (cs == KT_KDS_CACHE_HIT) {
        *out = cached;
        *out_len = cached_len;
        set_origin(origin, cap, short_origin, "cache", shown);
        return KT_OK;
    }
    char date[64] = "";
    if (cs == KT_KDS_CACHE_STALE)
        kt_kds_fmt_date(expires, date, sizeof date);
    const char *until = obj->kind == KT_KDS_CRL ? "past its nextUpdate" : "expired";

    if (!network) {
        if (cs == KT_KDS_CACHE_STALE) {
            kt_kds_warn(c, "offline: using the cached %s %s although it is %s (%s)", name, shown, until,
                 date);
            *out = cached;
            *out_len = cached_len;
            set_origin(origin, cap, short_origin, "cache", shown);
            return KT_OK;
        }
        return kt_fail(err, KT_E_OFFLINE, "offline and the %s is %s; it can be fetched from %s",
                       name, cs == KT_KDS_CACHE_CORRUPT ? "not usable in the cache (corrupt entry)"
                                                 : "not in the cache",
                       url);
    }

    uint8_t *body = NULL;
    size_t body_len = 0;
    time_t fexp = 0;
    kt_error ferr = {0};
    st = kt_kds_fetch_url(c, obj, url, &body, &body_len, &fexp, &ferr);
    if (st != KT_OK) {
        if (cs == KT_KDS_CACHE_STALE) {
            /* KDS is down or refusing: a stale copy beats nothing; the verifier judges its dates. */
            kt_kds_warn(c, "could not refresh the %s (%s); using the cached copy %s, %s (%s)", name,
                 ferr.message, shown, until, date);
            *out = cached;
            *out_len = cached_len;
            set_origin(origin, cap, short_origin, "cache", shown);
            return KT_OK;
        }
        if (err)
            *err = ferr;
        return st;
    }
    free(cached);
    if (fexp != 0 && fexp < kt_kds_wall(c)) {
        char d[64];
        kt_kds_fmt_date(fexp, d, sizeof d);
        kt_kds_warn(c, "the %s from %s is %s (%s)", name, url, until, d);
    }
    if (!c->opts.no_cache) {
        kt_error werr = {0};
        if (kt_kds_cache_store(c, path, body, body_len, &werr) != KT_OK)
            kt_kds_warn(c, "could not cache the %s: %s", name, werr.message);
    }
    *out = body;
    *out_len = body_len;
    set_origin(origin, cap, short_origin, "KDS", url);
    return KT_OK;
}

/* ---- one object by itself, for the caching proxy -------------------------------------------- */

kt_status kt_kds_cache_get(kt_kds_client *c, const kt_kds_object *obj, uint8_t **bytes,
                           size_t *len, time_t *expires, kt_error *err) {
    if (!c || !obj || !bytes || !len || !expires)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_kds_cache_get: bad argument");
    char path[KT_KDS_PATH_MAX];
    kt_status st = object_path(c, obj, path, sizeof path, err);
    if (st != KT_OK)
        return st;
    *expires = 0;
    kt_kds_cache_state cs = kt_kds_cache_lookup(c, obj, path, bytes, len, expires);
    if (cs == KT_KDS_CACHE_HIT || cs == KT_KDS_CACHE_STALE)
        return KT_OK;
    return kt_fail(err, KT_E_NOT_FOUND, "the %s is not in the cache%s", kt_kds_object_name(obj),
                   cs == KT_KDS_CACHE_CORRUPT ? " (corrupt entry)" : "");
}

kt_status kt_kds_upstream_get(kt_kds_client *c, const kt_kds_object *obj, uint8_t **bytes,
                              size_t *len, time_t *expires, long *http_status, kt_error *err) {
    if (!c || !obj || !bytes || !len || !expires || !http_status)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_kds_upstream_get: bad argument");
    *bytes = NULL;
    *len = 0;
    *http_status = 0;
    char url[KT_KDS_URL_MAX], path[KT_KDS_PATH_MAX];
    kt_status st = kt_kds_object_url(c->base, obj, url, sizeof url, err);
    if (st == KT_OK)
        st = object_path(c, obj, path, sizeof path, err);
    if (st != KT_OK)
        return st;
    c->last_http_status = 0;
    st = kt_kds_fetch_url(c, obj, url, bytes, len, expires, err);
    *http_status = c->last_http_status;
    if (st != KT_OK)
        return st;
    if (!c->opts.no_cache) {
        kt_error werr = {0};
        if (kt_kds_cache_store(c, path, *bytes, *len, &werr) != KT_OK)
            kt_kds_warn(c, "could not cache the %s: %s", kt_kds_object_name(obj), werr.message);
    }
    return KT_OK;
}
