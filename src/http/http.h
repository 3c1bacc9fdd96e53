/*
 * Internal: the one HTTP client (libcurl), for the Starknet node client, the
 * RPC proxy and the AMD KDS client.
 *
 * One easy handle per request, so any thread may call kt_http_perform at any
 * time; curl_global_init runs once (pthread_once) on first use. Signals are
 * never used for timeouts (CURLOPT_NOSIGNAL), and SIGPIPE cannot end the
 * process: the calling thread blocks it during the transfer and consumes
 * one raised meanwhile (see sigpipe_block in http.c). Proxies (http_proxy,
 * https_proxy, no_proxy, ALL_PROXY) and TLS trust come from the environment
 * and the system CA store, as libcurl does by default. Only http:// and
 * https:// URLs are accepted; redirects are followed only when asked.
 */
#ifndef KT_HTTP_HTTP_H
#define KT_HTTP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "katana_tee/status.h"
#include "util/buf.h"

#define KT_HTTP_DEFAULT_CONNECT_TIMEOUT_MS 5000L
#define KT_HTTP_DEFAULT_TIMEOUT_MS 30000L
#define KT_HTTP_DEFAULT_MAX_BODY ((size_t)16 * 1024 * 1024)

typedef struct kt_http_request {
    const char *method;         /* "GET" or "POST" (NULL = GET) */
    const char *url;            /* http:// or https:// */
    const char *const *headers; /* NULL-terminated "Name: value" list, may be NULL */
    const uint8_t *body;        /* POST body (may be NULL with body_len 0) */
    size_t body_len;
    long connect_timeout_ms;    /* 0 = KT_HTTP_DEFAULT_CONNECT_TIMEOUT_MS */
    long timeout_ms;            /* whole transfer; 0 = KT_HTTP_DEFAULT_TIMEOUT_MS */
    size_t max_body;            /* cap on the response body; 0 = KT_HTTP_DEFAULT_MAX_BODY */
    bool follow_redirects;      /* follow up to 5 redirects (http/https only) */
    /* Optional download progress: bytes received so far and the announced total (0 if unknown). */
    void (*progress)(void *ctx, uint64_t now, uint64_t total);
    void *progress_ctx;
} kt_http_request;

typedef struct kt_http_response {
    long status;              /* HTTP status of the final response, e.g. 200 */
    kt_buf body;              /* the body, NUL-terminated (NUL not counted in len) */
    char content_type[128];   /* Content-Type header value, "" when absent (truncated if longer) */
    char retry_after[64];     /* Retry-After header value, "" when absent */
} kt_http_response;

/*
 * Perform one request and fill *resp (which the caller frees with
 * kt_http_response_free, also after a failure). Any HTTP status counts as
 * success here: the caller decides what a 404 or 503 means (the status and
 * body are in *resp). Fails with:
 *  - KT_E_INVALID_ARG: no URL, a method other than GET/POST, a URL curl
 *    cannot parse or with a scheme other than http/https;
 *  - KT_E_NETWORK: DNS, connect, TLS, send/receive errors and timeouts; the
 *    message carries curl's error text and the URL (user:password removed);
 *  - KT_E_TOO_LARGE: the response body exceeds max_body;
 *  - KT_E_NOMEM.
 */
kt_status kt_http_perform(const kt_http_request *req, kt_http_response *resp, kt_error *err);

/* Free the body; leaves *resp zeroed. NULL is allowed. */
void kt_http_response_free(kt_http_response *resp);

/*
 * Copy url into out (cap bytes, always NUL-terminated) with any
 * "user:password@" part replaced by "***@", for messages and logs.
 */
void kt_http_redact_url(const char *url, char *out, size_t cap);

#endif
