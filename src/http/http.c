/* The one HTTP client: libcurl, one easy handle per request. */
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <string.h>
#include <strings.h>

#include "http/http.h"
#include "util/error.h"

#ifndef KT_VERSION_STRING
#define KT_VERSION_STRING "0"
#endif

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init(void) {
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/*
 * SIGPIPE: a write to a connection the peer has closed raises it, and its
 * default action ends the process. libcurl ignores it only without
 * CURLOPT_NOSIGNAL, which we must set (threads); on Linux curl sends with
 * MSG_NOSIGNAL, but TLS backends and other platforms may write without it.
 * So the calling thread blocks SIGPIPE for the transfer (and the cleanup,
 * which may send a TLS close_notify), consumes one raised meanwhile, and
 * restores its mask. Other threads and the process disposition are untouched.
 */
typedef struct sigpipe_guard {
    sigset_t old;
    bool was_blocked;
} sigpipe_guard;

static void sigpipe_block(sigpipe_guard *g) {
    sigset_t pipe_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &g->old);
    g->was_blocked = sigismember(&g->old, SIGPIPE) == 1;
}

static void sigpipe_restore(const sigpipe_guard *g) {
    if (g->was_blocked)
        return; /* the caller blocks it already: what is pending stays theirs */
    sigset_t pipe_set, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
        const struct timespec now = {0, 0};
        (void)sigtimedwait(&pipe_set, NULL, &now);
    }
    pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

void kt_http_redact_url(const char *url, char *out, size_t cap) {
    if (!cap)
        return;
    if (!url) {
        snprintf(out, cap, "(none)");
        return;
    }
    /* userinfo sits between "://" and the first '@' before any '/', '?' or '#' */
    const char *auth = strstr(url, "://");
    const char *at = NULL;
    if (auth) {
        auth += 3;
        size_t span = strcspn(auth, "/?#");
        const char *a = memchr(auth, '@', span);
        at = a;
    }
    if (!at) {
        snprintf(out, cap, "%s", url);
        return;
    }
    snprintf(out, cap, "%.*s***%s", (int)(auth - url), url, at);
}

typedef struct transfer {
    kt_http_response *resp;
    bool too_large;
    bool oom;
    const kt_http_request *req;
} transfer;

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp) {
    transfer *t = userp;
    size_t n = size * nmemb;
    if (t->resp->body.len + n > t->resp->body.max) {
        t->too_large = true;
        return 0; /* makes curl stop with CURLE_WRITE_ERROR */
    }
    if (!kt_buf_append(&t->resp->body, data, n)) {
        t->oom = true;
        return 0;
    }
    return n;
}

/* Copy a header value (trimmed) into out when the line is "name: value". */
static bool take_header(const char *line, size_t len, const char *name, char *out, size_t cap) {
    size_t nl = strlen(name);
    if (len <= nl || line[nl] != ':' || strncasecmp(line, name, nl) != 0)
        return false;
    const char *v = line + nl + 1;
    const char *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t n = (size_t)(end - v);
    if (n >= cap)
        n = cap - 1;
    memcpy(out, v, n);
    out[n] = '\0';
    return true;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userp) {
    transfer *t = userp;
    size_t n = size * nmemb;
    /* A new status line starts a new response (redirect, 100 Continue): forget the old headers. */
    if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        t->resp->content_type[0] = '\0';
        t->resp->retry_after[0] = '\0';
        return n;
    }
    if (!take_header(data, n, "Content-Type", t->resp->content_type,
                     sizeof t->resp->content_type))
        take_header(data, n, "Retry-After", t->resp->retry_after, sizeof t->resp->retry_after);
    return n;
}

static int on_progress(void *userp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow) {
    (void)ultotal;
    (void)ulnow;
    transfer *t = userp;
    t->req->progress(t->req->progress_ctx, dlnow > 0 ? (uint64_t)dlnow : 0,
                     dltotal > 0 ? (uint64_t)dltotal : 0);
    return 0;
}

void kt_http_response_free(kt_http_response *resp) {
    if (!resp)
        return;
    kt_buf_free(&resp->body);
    memset(resp, 0, sizeof *resp);
}

#define SETOPT(h, opt, val)                                                                       \
    do {                                                                                          \
        if (rc == CURLE_OK)                                                                       \
            rc = curl_easy_setopt(h, opt, val);                                                   \
    } while (0)

kt_status kt_http_perform(const kt_http_request *req, kt_http_response *resp, kt_error *err) {
    if (!resp)
        return kt_fail(err, KT_E_INVALID_ARG, "http: no response record given");
    memset(resp, 0, sizeof *resp);
    if (!req || !req->url || !req->url[0])
        return kt_fail(err, KT_E_INVALID_ARG, "http: no URL given");
    const char *method = req->method ? req->method : "GET";
    bool post = strcmp(method, "POST") == 0;
    if (!post && strcmp(method, "GET") != 0)
        return kt_fail(err, KT_E_INVALID_ARG, "http: method '%s' is not supported (GET, POST)",
                       method);
    char shown[512];
    kt_http_redact_url(req->url, shown, sizeof shown);
    if (strncasecmp(req->url, "http://", 7) != 0 && strncasecmp(req->url, "https://", 8) != 0)
        return kt_fail(err, KT_E_INVALID_ARG, "URL '%s' is not http:// or https://", shown);

    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK)
        return kt_fail(err, KT_E_INTERNAL, "libcurl initialisation failed: %s",
                       curl_easy_strerror(global_rc));

    kt_buf_init(&resp->body, req->max_body ? req->max_body : KT_HTTP_DEFAULT_MAX_BODY);
    CURL *h = curl_easy_init();
    if (!h)
        return kt_fail(err, KT_E_NOMEM, "out of memory starting a request to %s", shown);

    struct curl_slist *headers = NULL;
    bool header_oom = false;
    for (const char *const *hp = req->headers; hp && *hp; hp++) {
        struct curl_slist *n = curl_slist_append(headers, *hp);
        if (!n) {
            header_oom = true;
            break;
        }
        headers = n;
    }
    if (post && !header_oom) {
        /* no "Expect: 100-continue" round trip for larger bodies */
        struct curl_slist *n = curl_slist_append(headers, "Expect:");
        if (n)
            headers = n;
        else
            header_oom = true;
    }
    if (header_oom) {
        curl_slist_free_all(headers);
        curl_easy_cleanup(h);
        return kt_fail(err, KT_E_NOMEM, "out of memory building a request to %s", shown);
    }

    transfer t = {resp, false, false, req};
    char errbuf[CURL_ERROR_SIZE];
    errbuf[0] = '\0';
    long connect_ms = req->connect_timeout_ms > 0 ? req->connect_timeout_ms
                                                   : KT_HTTP_DEFAULT_CONNECT_TIMEOUT_MS;
    long total_ms = req->timeout_ms > 0 ? req->timeout_ms : KT_HTTP_DEFAULT_TIMEOUT_MS;
    CURLcode rc = CURLE_OK;
    SETOPT(h, CURLOPT_URL, req->url);
    SETOPT(h, CURLOPT_ERRORBUFFER, errbuf);
    SETOPT(h, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
    SETOPT(h, CURLOPT_PROTOCOLS_STR, "http,https");
    SETOPT(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    SETOPT(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    SETOPT(h, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    SETOPT(h, CURLOPT_FOLLOWLOCATION, req->follow_redirects ? 1L : 0L);
    SETOPT(h, CURLOPT_MAXREDIRS, 5L);
    SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    SETOPT(h, CURLOPT_TIMEOUT_MS, total_ms);
    SETOPT(h, CURLOPT_USERAGENT, "katana-tee/" KT_VERSION_STRING);
    SETOPT(h, CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(h, CURLOPT_WRITEDATA, &t);
    SETOPT(h, CURLOPT_HEADERFUNCTION, on_header);
    SETOPT(h, CURLOPT_HEADERDATA, &t);
    SETOPT(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)resp->body.max);
    if (headers)
        SETOPT(h, CURLOPT_HTTPHEADER, headers);
    if (post) {
        SETOPT(h, CURLOPT_POST, 1L);
        SETOPT(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        SETOPT(h, CURLOPT_POSTFIELDS, req->body_len ? (const char *)req->body : "");
    } else {
        SETOPT(h, CURLOPT_HTTPGET, 1L);
    }
    if (req->progress) {
        SETOPT(h, CURLOPT_XFERINFOFUNCTION, on_progress);
        SETOPT(h, CURLOPT_XFERINFODATA, &t);
        SETOPT(h, CURLOPT_NOPROGRESS, 0L);
    }
    sigpipe_guard guard;
    sigpipe_block(&guard);
    if (rc == CURLE_OK)
        rc = curl_easy_perform(h);
    bool no_status = rc == CURLE_OK &&
                     curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status) != CURLE_OK;
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    sigpipe_restore(&guard);
    if (no_status)
        return kt_fail(err, KT_E_INTERNAL, "libcurl gave no HTTP status for %s", shown);

    if (rc == CURLE_OK) {
        if (!kt_buf_terminate(&resp->body))
            return kt_fail(err, KT_E_NOMEM, "out of memory reading the answer from %s", shown);
        return KT_OK;
    }
    const char *why = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    if (t.too_large || rc == CURLE_FILESIZE_EXCEEDED)
        return kt_fail(err, KT_E_TOO_LARGE, "answer from %s exceeds %zu bytes", shown,
                       resp->body.max);
    if (t.oom || rc == CURLE_OUT_OF_MEMORY)
        return kt_fail(err, KT_E_NOMEM, "out of memory reading the answer from %s", shown);
    switch (rc) {
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return kt_fail(err, KT_E_INVALID_ARG, "URL '%s' is not usable: %s", shown, why);
    case CURLE_OPERATION_TIMEDOUT:
        return kt_fail(err, KT_E_NETWORK, "%s %s timed out: %s", method, shown, why);
    default:
        return kt_fail(err, KT_E_NETWORK, "%s %s failed: %s", method, shown, why);
    }
}
