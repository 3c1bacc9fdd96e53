/*
 * Internal: the pieces of the KDS client that tests reach directly — URL
 * building, object checks, the retry policy (pure, clock and randomness
 * injected) and the test hooks of a client.
 */
#ifndef KT_KDS_INTERNAL_H
#define KT_KDS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "katana_tee/kds.h"

/* ---- what is fetched ------------------------------------------------------ */

typedef enum kt_kds_kind {
    KT_KDS_VCEK = 1,
    KT_KDS_CHAIN = 2,
    KT_KDS_CRL = 3,
} kt_kds_kind;

/* One object: its kind, product, and for a VCEK the chip id and TCB. */
typedef struct kt_kds_object {
    kt_kds_kind kind;
    kt_product product;
    bool vlek;              /* chain / CRL of the VLEK hierarchy */
    uint8_t chip_id[64];    /* VCEK: the report's CHIP_ID */
    kt_tcb tcb;             /* VCEK: REPORTED_TCB decoded for the product */
} kt_kds_object;

/* Human name: "VCEK", "VCEK chain (ASK, ARK)", "VLEK chain (ASVK, ARK)", "VCEK CRL", "VLEK CRL". */
const char *kt_kds_object_name(const kt_kds_object *obj);

/*
 * Fill a VCEK object from a report (product: given, else the report's).
 * Refuses an unknown product, a VLEK- or unsigned report and a masked chip id.
 */
kt_status kt_kds_vcek_object(const kt_report *report, kt_product product, kt_kds_object *obj,
                             kt_error *err);

/* Build the URL of an object under base (no trailing '/'). */
kt_status kt_kds_object_url(const char *base, const kt_kds_object *obj, char *out, size_t cap,
                            kt_error *err);

/* The cache path relative to the cache directory ("vcek/Milan/<hex>/bl03-....der"). */
kt_status kt_kds_object_cache_rel(const kt_kds_object *obj, char *out, size_t cap,
                                  kt_error *err);

/*
 * Check that bytes are the object asked for (see kds.h). On success
 * *expires receives the certificate's notAfter (VCEK; for a chain the
 * earlier of the two) or the CRL's nextUpdate (0 when it has none).
 * `what` names the bytes in messages ("KDS response", "cache PATH").
 * KT_E_BINDING when a VCEK is for another chip or TCB, KT_E_CERT_FORMAT
 * for anything else wrong.
 */
kt_status kt_kds_check_object(const kt_kds_object *obj, const uint8_t *bytes, size_t len,
                              const char *what, time_t *expires, kt_error *err);

/* ---- time and retry policy (pure) --------------------------------------------- */

/* UTC broken-down time to seconds since the epoch (timegm, which POSIX lacks). */
time_t kt_kds_timegm(const struct tm *tm);

/*
 * Parse a Retry-After value: delta-seconds ("120") or an IMF-fixdate
 * ("Wed, 21 Oct 2015 07:28:00 GMT"), relative to `now`. A date in the past
 * gives 0. Returns false (and leaves *delay_ms alone) when the value is
 * empty or malformed.
 */
bool kt_kds_parse_retry_after(const char *value, time_t now, uint64_t *delay_ms);

/*
 * Exponential backoff before retry number `retry` (1 = the first retry):
 * d = min(max_ms, base_ms * 2^(retry-1)), then "equal jitter":
 * d/2 + jitter * d/2, with jitter in [0, 1).
 */
uint64_t kt_kds_backoff_ms(unsigned retry, long base_ms, long max_ms, double jitter);

/* Whether an HTTP status is worth retrying (408, 425, 429, 500, 502, 503, 504). */
bool kt_kds_status_retryable(long http_status);

/* ---- test hooks ----------------------------------------------------------------- */

/* Clock, sleep and randomness of a client; NULL members keep the real ones. */
typedef struct kt_kds_hooks {
    uint64_t (*mono_ms)(void *ctx);          /* monotonic milliseconds */
    time_t (*wall)(void *ctx);               /* wall-clock time (cache freshness, HTTP-dates) */
    void (*sleep_ms)(void *ctx, uint64_t ms); /* wait between attempts */
    double (*jitter)(void *ctx);             /* uniform in [0, 1) */
    void *ctx;
} kt_kds_hooks;

void kt_kds_client_set_hooks(kt_kds_client *client, const kt_kds_hooks *hooks);

/*
 * Around every HTTP attempt (both may be NULL): `before` runs first (a shared
 * rate limiter may block there); `after` gets the attempt's status (0: no
 * answer) and the server's Retry-After in ms (0: none), so a caller can slow
 * every client down.
 */
typedef struct kt_kds_attempt_hooks {
    void (*before)(void *ctx);
    void (*after)(void *ctx, long http_status, uint64_t retry_after_ms);
    void *ctx;
} kt_kds_attempt_hooks;

void kt_kds_client_set_attempt_hooks(kt_kds_client *client, const kt_kds_attempt_hooks *hooks);

/* ---- one object by itself (the caching proxy, src/kdsproxy) ------------------------ */

/*
 * The cached copy of an object, checked (kt_kds_check_object), whether or
 * not it is past its *expires (the caller judges freshness). KT_E_NOT_FOUND
 * when it is not cached or the entry is corrupt (a warning is recorded).
 * *bytes is malloc'd (free()).
 */
kt_status kt_kds_cache_get(kt_kds_client *client, const kt_kds_object *obj, uint8_t **bytes,
                           size_t *len, time_t *expires, kt_error *err);

/*
 * Fetch an object from KDS now (cache not consulted), with the client's
 * retry policy and checks, and store it in the cache. *http_status receives
 * the status of the last attempt (0: no answer), so a caller can tell a 404
 * from a failure. Errors as kt_kds_fetch_vcek.
 */
kt_status kt_kds_upstream_get(kt_kds_client *client, const kt_kds_object *obj, uint8_t **bytes,
                              size_t *len, time_t *expires, long *http_status, kt_error *err);

#endif
