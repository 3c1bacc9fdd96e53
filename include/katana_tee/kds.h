/*
 * katana-tee — certificates from AMD's Key Distribution Service (KDS), an
 * on-disk cache, or nowhere (offline).
 *
 * A kt_kds_client fetches the objects a verifier needs and that a quote may
 * not carry:
 *
 *   VCEK   {base}/vcek/v1/{Milan|Genoa}/{128 hex chip id}?blSPL=BL&teeSPL=TEE&snpSPL=SNP&ucodeSPL=UC
 *          {base}/vcek/v1/Turin/{16 hex chip id}?fmcSPL=FMC&blSPL=BL&teeSPL=TEE&snpSPL=SNP&ucodeSPL=UC
 *   chain  {base}/vcek/v1/{Product}/cert_chain   (PEM: ASK then ARK)
 *          {base}/vlek/v1/{Product}/cert_chain   (PEM: ASVK then ARK)
 *   CRL    {base}/vcek/v1/{Product}/crl, {base}/vlek/v1/{Product}/crl   (DER)
 *
 * SPL values are written as decimal numbers zero-padded to two digits
 * ("blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115"), as virtee/snpguest does;
 * KDS accepts both this and plain decimal. The components come from the
 * report's REPORTED_TCB, decoded with the product's layout.
 *
 * Every object is checked before it is returned or cached, whether it came
 * from the network or the cache: it must decode (DER or PEM via OpenSSL)
 * and be the kind of object asked for —
 *   VCEK:  an X.509 certificate, EC P-384 key, subject CN SEV-VCEK, issuer
 *          CN SEV-<Product>, hwID extension equal to the requested chip id
 *          (64 bytes; 8 on Turin), blSPL/teeSPL/snpSPL/ucodeSPL (and fmcSPL
 *          on Turin) equal to the requested TCB;
 *   chain: exactly two PEM certificates, SEV-<Product> (or SEV-VLEK-<Product>)
 *          then ARK-<Product>, the first issued by the second, the second
 *          self-issued, both RSA;
 *   CRL:   one DER X.509 CRL whose issuer CN is ARK-<Product>.
 * Signals: network calls never use signals for timeouts, and SIGPIPE (a
 * peer closing mid-transfer) cannot end the process: the calling thread
 * blocks it for the transfer, consumes one raised meanwhile and restores its
 * mask. The library never changes the process-wide SIGPIPE disposition.
 * What this module does NOT check: signatures and pinned roots. A fetched
 * object is only as trustworthy as the verifier (kt_verify) makes it; the
 * checks here keep wrong or corrupt objects out of the cache.
 *
 * Cache layout (under the cache directory):
 *   vcek/<Product>/<chip id hex>/<tcb>.der   tcb e.g. "bl03-tee00-snp08-ucode115"
 *                                             ("fmc00-bl01-..." on Turin)
 *   chain/<Product>/vcek.pem, chain/<Product>/vlek.pem
 *   crl/<Product>/vcek.der, crl/<Product>/vlek.der
 * Files are written atomically (temp file + rename), so concurrent
 * processes never see partial entries. Certificates are used until their
 * notAfter, CRLs until their nextUpdate; after that they are fetched again
 * (offline, the stale entry is still returned, with a warning, and the
 * verifier judges it at its verification time). A corrupt entry (garbage,
 * truncated, another object) is never used: it is reported as a warning and
 * fetched again.
 *
 * Network: HTTP 429 and 503 are retried after the server's Retry-After
 * (seconds or an HTTP-date, capped by max_retry_after_ms); other failures
 * (connection errors, timeouts, 5xx) after an exponential backoff with
 * jitter; at most max_retries retries and never past the overall deadline.
 * Other 4xx answers are not retried.
 *
 * Thread safety: a client may be used by one thread at a time.
 */
#ifndef KATANA_TEE_KDS_H
#define KATANA_TEE_KDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "katana_tee/report.h"
#include "katana_tee/status.h"
#include "katana_tee/verify.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KT_KDS_DEFAULT_URL "https://kdsintf.amd.com"
#define KT_KDS_ENV_URL "KATANA_TEE_KDS_URL"         /* overrides the default base URL */
#define KT_KDS_ENV_CACHE_DIR "KATANA_TEE_CACHE_DIR" /* overrides the default cache dir */

/* What a progress callback is told about. */
typedef enum kt_kds_event {
    KT_KDS_EVENT_REQUEST = 1,  /* a request starts (attempt counts from 1) */
    KT_KDS_EVENT_PROGRESS = 2, /* bytes arrived: received / total (0 = unknown) */
    KT_KDS_EVENT_RETRY = 3,    /* the previous attempt failed; waiting wait_ms before the next */
    KT_KDS_EVENT_DONE = 4,     /* a response was accepted (http_status 200) */
} kt_kds_event;

typedef struct kt_kds_progress {
    kt_kds_event event;
    const char *url;     /* the URL requested */
    unsigned attempt;    /* 1 for the first try */
    uint64_t received;   /* PROGRESS/DONE: body bytes so far */
    uint64_t total;      /* PROGRESS: announced length, 0 if unknown */
    uint64_t elapsed_ms; /* since this object's first request */
    uint64_t wait_ms;    /* RETRY: how long the client now waits */
    long http_status;    /* RETRY: status of the failed attempt (0: no response) */
    const char *reason;  /* RETRY: one line saying why */
} kt_kds_progress;

typedef void (*kt_kds_progress_fn)(void *user, const kt_kds_progress *progress);

/*
 * Client options. Start from kt_kds_opts_init() (defaults below) and change
 * what you need; NULL strings mean "the default".
 */
typedef struct kt_kds_opts {
    const char *base_url;  /* default: $KATANA_TEE_KDS_URL, else KT_KDS_DEFAULT_URL;
                              http:// or https://, no trailing query */
    const char *cache_dir; /* default: $KATANA_TEE_CACHE_DIR, else $XDG_CACHE_HOME/katana-tee,
                              else $HOME/.cache/katana-tee */
    bool no_cache;          /* neither read nor write the cache */
    bool offline;           /* never touch the network: cache only */
    long connect_timeout_ms; /* per attempt; default 5000 */
    long timeout_ms;         /* whole transfer per attempt; default 30000 */
    unsigned max_retries;    /* retries after the first attempt; default 4 */
    long deadline_ms;        /* all attempts of one object, waits included; default 120000 */
    long max_retry_after_ms; /* cap on a server's Retry-After; default 60000 */
    long backoff_base_ms;    /* first backoff (then doubled each time); default 1000 */
    long backoff_max_ms;     /* cap of one backoff; default 30000 */
    size_t max_body;         /* response body limit; default 1 MiB */
    kt_kds_progress_fn progress; /* optional; called on the calling thread */
    void *progress_user;
} kt_kds_opts;

KT_API void kt_kds_opts_init(kt_kds_opts *opts);

typedef struct kt_kds_client kt_kds_client;

/*
 * Create a client. Resolves the base URL and cache directory now (the
 * environment is read here, not later). Fails with KT_E_INVALID_ARG on a
 * base URL that is not http(s):// or has a query/fragment, and when no cache
 * directory can be determined (no HOME) unless no_cache. The cache directory
 * is created on first write, not here.
 */
KT_API KT_MUST_CHECK kt_status kt_kds_client_new(const kt_kds_opts *opts, kt_kds_client **out,
                                                 kt_error *err);
KT_API void kt_kds_client_free(kt_kds_client **client);

/* The resolved base URL and cache directory ("" when no_cache). Borrowed. */
KT_API const char *kt_kds_base_url(const kt_kds_client *client);
KT_API const char *kt_kds_cache_dir(const kt_kds_client *client);

/*
 * Warnings gathered since the client was created (corrupt cache entries,
 * stale CRLs used offline, objects refetched), one line each. Borrowed;
 * valid until the client is freed. At most 32 are kept.
 */
KT_API size_t kt_kds_warning_count(const kt_kds_client *client);
KT_API const char *kt_kds_warning(const kt_kds_client *client, size_t index);

/* Number of HTTP requests this client sent (attempts, retries included). */
KT_API unsigned kt_kds_request_count(const kt_kds_client *client);

/*
 * The VCEK for a report: chip id and REPORTED_TCB from the report, product
 * from `product` or, when KT_PRODUCT_UNKNOWN, from report->product. Returns
 * the checked DER in *der (free with kt_bytes_free). `origin` (may be NULL,
 * cap bytes) receives where it came from: "cache PATH" or "KDS URL".
 * Fails with:
 *  KT_E_INVALID_ARG  product unknown; report signed by a VLEK (a VLEK is not
 *                    published by KDS); CHIP_ID masked (all zero)
 *  KT_E_OFFLINE      offline and not cached (the message has the URL)
 *  KT_E_BINDING      KDS sent a VCEK for another chip or TCB (not cached)
 *  KT_E_CERT_FORMAT  KDS sent something that is not a VCEK (not cached)
 *  KT_E_HTTP, KT_E_NETWORK, KT_E_RATE_LIMIT, KT_E_TOO_LARGE, KT_E_IO
 */
KT_API KT_MUST_CHECK kt_status kt_kds_fetch_vcek(kt_kds_client *client, const kt_report *report,
                                                 kt_product product, uint8_t **der,
                                                 size_t *der_len, char *origin, size_t cap,
                                                 kt_error *err);

/*
 * The VCEK chain (ASK then ARK), or with `vlek` the VLEK chain (ASVK then
 * ARK), of a product as PEM text (*pem, NUL-terminated, length excludes the
 * NUL; free with kt_bytes_free). Errors as kt_kds_fetch_vcek.
 */
KT_API KT_MUST_CHECK kt_status kt_kds_fetch_chain(kt_kds_client *client, kt_product product,
                                                  bool vlek, uint8_t **pem, size_t *pem_len,
                                                  char *origin, size_t cap, kt_error *err);

/* The product's VCEK (or with `vlek`, VLEK) CRL as DER. Errors as above. */
KT_API KT_MUST_CHECK kt_status kt_kds_fetch_crl(kt_kds_client *client, kt_product product,
                                                bool vlek, uint8_t **der, size_t *der_len,
                                                char *origin, size_t cap, kt_error *err);

/*
 * The URLs the client would request (for messages and operators). Writes a
 * NUL-terminated URL into out (cap >= 512 is always enough) and fails with
 * KT_E_INVALID_ARG on an unknown product, a masked chip id or cap too small.
 */
KT_API KT_MUST_CHECK kt_status kt_kds_vcek_url(const kt_kds_client *client,
                                               const kt_report *report, kt_product product,
                                               char *out, size_t cap, kt_error *err);
KT_API KT_MUST_CHECK kt_status kt_kds_chain_url(const kt_kds_client *client, kt_product product,
                                                bool vlek, char *out, size_t cap, kt_error *err);
KT_API KT_MUST_CHECK kt_status kt_kds_crl_url(const kt_kds_client *client, kt_product product,
                                              bool vlek, char *out, size_t cap, kt_error *err);

/*
 * A certificate source for kt_verify_opts.sources, backed by the client
 * (which must outlive every use of the source). For the roles in `need`:
 *   VCEK       kt_kds_fetch_vcek (only when the report's SIGNING_KEY is VCEK)
 *   ASK, ARK   the VCEK chain; ASVK (or ARK of a VLEK report) the VLEK chain
 *   CRL        the VCEK or VLEK CRL, after the report's SIGNING_KEY
 *   VLEK       never (KDS does not publish VLEKs): left missing
 * each from the cache first, then KDS (unless offline). Objects are added
 * with kt_certs_add, origin "KDS URL" or "cache PATH" (long chip ids
 * shortened). Offline, the error (KT_E_OFFLINE) lists every missing object
 * with its URL, VCEK first; each is also recorded whole as a warning
 * (kt_kds_warning), for callers whose error line is cut short.
 *
 * The CRL is optional here: when it cannot be had (HTTP error, network,
 * offline and not cached) the source leaves it missing, records a warning
 * (kt_kds_warning) and still returns KT_OK for the rest; whether a missing
 * CRL fails verification is the policy's call (kt_policy.require_crl).
 * A CRL past its nextUpdate is still added (the verifier judges it at its
 * verification time).
 *
 * kt_kds_cache_source is the same over the cache alone: it adds what is
 * cached and returns KT_OK when something is simply not there.
 */
KT_API kt_cert_source kt_kds_cert_source(kt_kds_client *client);
KT_API kt_cert_source kt_kds_cache_source(kt_kds_client *client);

#ifdef __cplusplus
}
#endif

#endif
