/*
 * Internal: the KDS client's state and the helpers its files share
 * (kds_client.c: creation and the public calls; kds_cache.c: the on-disk
 * cache; kds_fetch.c: the retry loop; kds_object.c: cache then network;
 * kds_source.c: the certificate sources). Not for other modules: they use
 * kds.h and the narrower kds_internal.h.
 */
#ifndef KT_KDS_CLIENT_PRIV_H
#define KT_KDS_CLIENT_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "katana_tee/kds.h"
#include "kds/kds_internal.h"

#define KT_KDS_MAX_WARNINGS 32
#define KT_KDS_URL_MAX 640
#define KT_KDS_PATH_MAX 4096

typedef struct kt_kds_src_ctx {
    kt_kds_client *client;
    bool cache_only;
} kt_kds_src_ctx;

struct kt_kds_client {
    kt_kds_opts opts; /* string members point into base/cache_dir below */
    char base[512];
    char cache_dir[KT_KDS_PATH_MAX];
    char home[KT_KDS_PATH_MAX]; /* for showing paths as ~/... */
    kt_kds_hooks hooks;
    kt_kds_attempt_hooks attempt;
    char *warnings[KT_KDS_MAX_WARNINGS];
    size_t warning_count;
    unsigned requests;
    long last_http_status; /* of the last upstream attempt (0: no answer) */
    kt_kds_src_ctx kds_src, cache_src;
};

/* snprintf whose truncation is intended (messages, display strings). */
void kt_kds_sfmt(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void kt_kds_warn(kt_kds_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint64_t kt_kds_mono(kt_kds_client *c);
time_t kt_kds_wall(kt_kds_client *c);

/* A path as shown to people: $HOME replaced by "~". */
void kt_kds_show_path(const kt_kds_client *c, const char *path, char *out, size_t cap);
/* Shorten runs of more than 24 hex digits (chip ids) to their first 16 and "...". */
void kt_kds_shorten_hex(const char *in, char *out, size_t cap);
void kt_kds_fmt_date(time_t t, char *out, size_t cap);

/* ---- cache (kds_cache.c) ---- */
typedef enum {
    KT_KDS_CACHE_MISS,
    KT_KDS_CACHE_HIT,
    KT_KDS_CACHE_STALE,
    KT_KDS_CACHE_CORRUPT
} kt_kds_cache_state;

kt_status kt_kds_cache_store(kt_kds_client *c, const char *path, const uint8_t *bytes, size_t len,
                             kt_error *err);
/* Look an object up in the cache; on HIT or STALE *bytes holds the checked entry. */
kt_kds_cache_state kt_kds_cache_lookup(kt_kds_client *c, const kt_kds_object *obj,
                                       const char *path, uint8_t **bytes, size_t *len,
                                       time_t *expires);

/* ---- network (kds_fetch.c) ---- */
/*
 * GET one object with retries. On success *out is the checked body
 * (malloc'd, NUL-terminated) and *expires its notAfter/nextUpdate.
 */
kt_status kt_kds_fetch_url(kt_kds_client *c, const kt_kds_object *obj, const char *url,
                           uint8_t **out, size_t *out_len, time_t *expires, kt_error *err);

/* ---- one object (kds_object.c) ---- */
/*
 * Get an object. `network` false means cache only; a miss then fails with
 * KT_E_OFFLINE naming the object and its URL. `origin` receives "cache PATH"
 * or "KDS URL" (full, or shortened for certificate origins).
 */
kt_status kt_kds_get_object(kt_kds_client *c, const kt_kds_object *obj, bool network,
                            uint8_t **out, size_t *out_len, char *origin, size_t cap,
                            bool short_origin, kt_error *err);

/* A product-wide object (chain or CRL); refuses products KDS does not serve. */
kt_status kt_kds_product_object(kt_product product, kt_kds_kind kind, bool vlek,
                                kt_kds_object *obj, kt_error *err);

#endif
