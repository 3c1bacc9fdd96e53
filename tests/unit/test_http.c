/* The HTTP client against a real loopback server (libmicrohttpd, thread per connection). */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#include "http/http.h"

static struct MHD_Daemon *daemon_;
static unsigned short port_;
static atomic_bool stopping;
static char base[64];

typedef struct upload {
    char *data;
    size_t len;
} upload;

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const void *body, size_t len,
                             const char *ct, const char *hname, const char *hval) {
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (ct)
        MHD_add_response_header(r, "Content-Type", ct);
    if (hname)
        MHD_add_response_header(r, hname, hval);
    enum MHD_Result ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

/* Body of unknown length: sent chunked, so only the client's write callback can cap it. */
static ssize_t chunk_cb(void *cls, uint64_t pos, char *buf, size_t max) {
    (void)cls;
    if (pos >= 200000)
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = max < 4096 ? max : 4096;
    memset(buf, 'c', n);
    return (ssize_t)n;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *data,
                               size_t *size, void **con_cls) {
    (void)cls;
    (void)version;
    if (strcmp(method, "POST") == 0) {
        upload *u = *con_cls;
        if (!u) {
            *con_cls = calloc(1, sizeof(upload));
            return MHD_YES;
        }
        if (*size) {
            u->data = realloc(u->data, u->len + *size);
            memcpy(u->data + u->len, data, *size);
            u->len += *size;
            *size = 0;
            return MHD_YES;
        }
        const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
        return reply(c, 201, u->data ? u->data : "", u->len, ct ? ct : "none", "X-Method", "POST");
    }
    if (strcmp(url, "/ok") == 0)
        return reply(c, 200, "hello", 5, "text/plain; charset=utf-8", NULL, NULL);
    if (strcmp(url, "/missing") == 0)
        return reply(c, 404, "nope", 4, "text/plain", NULL, NULL);
    if (strcmp(url, "/busy") == 0)
        return reply(c, 429, "slow down", 9, "text/plain", "Retry-After", "7");
    if (strcmp(url, "/unavailable") == 0)
        return reply(c, 503, "", 0, NULL, "Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT");
    if (strcmp(url, "/headers") == 0) {
        const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Test");
        return reply(c, 200, v ? v : "", v ? strlen(v) : 0, "text/plain", NULL, NULL);
    }
    if (strcmp(url, "/big") == 0) {
        static char big[100000];
        memset(big, 'b', sizeof big);
        return reply(c, 200, big, sizeof big, "application/octet-stream", NULL, NULL);
    }
    if (strcmp(url, "/chunked") == 0) {
        struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, chunk_cb,
                                                                   NULL, NULL);
        enum MHD_Result ret = MHD_queue_response(c, 200, r);
        MHD_destroy_response(r);
        return ret;
    }
    if (strcmp(url, "/redirect") == 0)
        return reply(c, 302, "", 0, NULL, "Location", "/ok");
    if (strcmp(url, "/sleep") == 0) {
        /* longer than the client's timeout; cut short when the test ends */
        for (int i = 0; i < 300 && !atomic_load(&stopping); i++) {
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        return reply(c, 200, "late", 4, "text/plain", NULL, NULL);
    }
    return reply(c, 500, "?", 1, "text/plain", NULL, NULL);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe) {
    (void)cls;
    (void)c;
    (void)toe;
    upload *u = *con_cls;
    if (u) {
        free(u->data);
        free(u);
        *con_cls = NULL;
    }
}

static int setup(void **state) {
    (void)state;
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    daemon_ = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0,
                               NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &sa,
                               MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
    if (!daemon_)
        return -1;
    port_ = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT)->port;
    snprintf(base, sizeof base, "http://127.0.0.1:%u", port_);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    atomic_store(&stopping, true);
    MHD_stop_daemon(daemon_);
    return 0;
}

static const char *url(const char *path) {
    static char u[128];
    snprintf(u, sizeof u, "%s%s", base, path);
    return u;
}

static void test_get(void **state) {
    (void)state;
    kt_http_request req = {.method = "GET", .url = url("/ok")};
    kt_http_response resp;
    kt_error err = {0};
    assert_int_equal(kt_http_perform(&req, &resp, &err), KT_OK);
    assert_int_equal(resp.status, 200);
    assert_int_equal(resp.body.len, 5);
    assert_string_equal((char *)resp.body.data, "hello");
    assert_string_equal(resp.content_type, "text/plain; charset=utf-8");
    assert_string_equal(resp.retry_after, "");
    kt_http_response_free(&resp);
    assert_null(resp.body.data);
}

static void test_post_and_headers(void **state) {
    (void)state;
    static const uint8_t body[] = "{\"jsonrpc\":\"2.0\"}\0tail"; /* binary-safe */
    static const char *const headers[] = {"Content-Type: application/json", NULL};
    kt_http_request req = {.method = "POST", .url = url("/echo"), .headers = headers,
                           .body = body, .body_len = sizeof body};
    kt_http_response resp;
    kt_error err = {0};
    assert_int_equal(kt_http_perform(&req, &resp, &err), KT_OK);
    assert_int_equal(resp.status, 201);
    assert_int_equal(resp.body.len, sizeof body);
    assert_memory_equal(resp.body.data, body, sizeof body);
    assert_string_equal(resp.content_type, "application/json");
    kt_http_response_free(&resp);

    /* an empty POST is still a POST */
    kt_http_request empty = {.method = "POST", .url = url("/echo")};
    assert_int_equal(kt_http_perform(&empty, &resp, &err), KT_OK);
    assert_int_equal(resp.status, 201);
    assert_int_equal(resp.body.len, 0);
    kt_http_response_free(&resp);

    static const char *const h2[] = {"X-Test: value with spaces", NULL};
    kt_http_request hreq = {.url = url("/headers"), .headers = h2};
    assert_int_equal(kt_http_perform(&hreq, &resp, &err), KT_OK);
    assert_string_equal((char *)resp.body.data, "value with spaces");
    kt_http_response_free(&resp);
}

static void test_status_codes(void **state) {
    (void)state;
    kt_http_response resp;
    kt_error err = {0};
    kt_http_request req = {.url = url("/missing")};
    assert_int_equal(kt_http_perform(&req, &resp, &err), KT_OK);
    assert_int_equal(resp.status, 404);
    assert_string_equal((char *)resp.body.data, "nope");
    kt_http_response_free(&resp);

    req.url = url("/busy");
    assert_int_equal(kt_http_perform(&req, &resp, &err), KT_OK);
    assert_int_equal(resp.status, 429);
    assert_string_equal(resp.retry_after, "7");
    kt_http_response_free(&resp);

    req.url = url("/unavailable");
    assert_int_equal(kt_http_perform(&req, &resp, &err), KT_OK);
    assert_int_equal(resp.status, 503);
    assert_string_equal(resp.retry_after, "Wed, 21 Oct 2015 07:28:00 GMT");
    assert_int_equal(resp.body.len, 0);
    assert_non_null(resp.body.data); /* always NUL-terminated text */
    kt_http_response_free(&resp);
}

static void test_redirects(void **state) {
    (void)state;
    kt_http_response resp;
    kt_error err = {0};
    kt_http_request req = {.url = url("/redirect")};
    assert_int_equal(kt_http_perform(&req, &resp, &err), KT_OK);
    assert_int_equal(resp.status, 302); /* not followed unless asked */
    kt_http_response_free(&resp);
    req.follow_redirects = true;
    assert_int_equal(kt_http_perform(&req, &resp, &err), KT_OK);
    assert_int_equal(resp.status, 200);
    assert_string_equal((char *)resp.body.data, "hello");
    assert_string_equal(resp.content_type, "text/plain; charset=utf-8");
    kt_http_response_free(&resp);
}

static void test_body_cap(void **state) {
    (void)state;
    kt_http_response resp;
    kt_error err = {0};
    kt_http_request req = {.url = url("/big"), .max_body = 100000};
    assert_int_equal(kt_http_perform(&req, &resp, &err), KT_OK); /* exactly at the cap */
    assert_int_equal(resp.body.len, 100000);
    kt_http_response_free(&resp);

    req.max_body = 99999; /* Content-Length announced */
    assert_int_equal(kt_http_perform(&req, &resp, &err), KT_E_TOO_LARGE);
    assert_non_null(strstr(err.message, "exceeds 99999 bytes"));
    kt_http_response_free(&resp);

    req.url = url("/chunked"); /* no length: stopped while streaming */
    req.max_body = 10000;
    assert_int_equal(kt_http_perform(&req, &resp, &err), KT_E_TOO_LARGE);
    assert_non_null(strstr(err.message, "/chunked"));
    kt_http_response_free(&resp);
}

typedef struct prog {
    unsigned calls;
    uint64_t last_now, last_total;
} prog;

static void on_prog(void *ctx, uint64_t now, uint64_t total) {
    prog *p = ctx;
    p->calls++;
    p->last_now = now;
    p->last_total = total;
}

static void test_progress(void **state) {
    (void)state;
    prog p = {0};
    kt_http_response resp;
    kt_error err = {0};
    kt_http_request req = {.url = url("/big"), .progress = on_prog, .progress_ctx = &p};
    assert_int_equal(kt_http_perform(&req, &resp, &err), KT_OK);
    assert_true(p.calls > 0);
    assert_int_equal(p.last_now, 100000);
    assert_int_equal(p.last_total, 100000);
    kt_http_response_free(&resp);
}

static void test_timeout(void **state) {
    (void)state;
    kt_http_response resp;
    kt_error err = {0};
    kt_http_request req = {.url = url("/sleep"), .timeout_ms = 200};
    assert_int_equal(kt_http_perform(&req, &resp, &err), KT_E_NETWORK);
    assert_non_null(strstr(err.message, "timed out"));
    assert_non_null(strstr(err.message, "/sleep"));
    kt_http_response_free(&resp);
}

static void test_connection_refused(void **state) {
    (void)state;
    /* a port that was free a moment ago and has no listener */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t sl = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    close(fd);
    char u[128];
    snprintf(u, sizeof u, "http://user:secret@127.0.0.1:%u/x", ntohs(sa.sin_port));
    kt_http_response resp;
    kt_error err = {0};
    kt_http_request req = {.method = "POST", .url = u, .body = (const uint8_t *)"{}", .body_len = 2};
    assert_int_equal(kt_http_perform(&req, &resp, &err), KT_E_NETWORK);
    assert_non_null(strstr(err.message, "127.0.0.1"));
    assert_null(strstr(err.message, "secret")); /* credentials never reach messages */
    assert_non_null(strstr(err.message, "***@"));
    kt_http_response_free(&resp);
}

static void test_bad_arguments(void **state) {
    (void)state;
    kt_http_response resp;
    kt_error err = {0};
    kt_http_request req = {.method = "PUT", .url = url("/ok")};
    assert_int_equal(kt_http_perform(&req, &resp, &err), KT_E_INVALID_ARG);
    assert_non_null(strstr(err.message, "PUT"));
    kt_http_response_free(&resp);
    req.method = "GET";
    req.url = "file:///etc/passwd";
    assert_int_equal(kt_http_perform(&req, &resp, &err), KT_E_INVALID_ARG);
    kt_http_response_free(&resp);
    req.url = "";
    assert_int_equal(kt_http_perform(&req, &resp, &err), KT_E_INVALID_ARG);
    kt_http_response_free(&resp);
    assert_int_equal(kt_http_perform(NULL, &resp, &err), KT_E_INVALID_ARG);
    kt_http_response_free(&resp);
    req.url = "http://[::1"; /* curl cannot parse it */
    assert_int_equal(kt_http_perform(&req, &resp, &err), KT_E_INVALID_ARG);
    kt_http_response_free(&resp);
    kt_http_response_free(NULL);
}

static void test_redact(void **state) {
    (void)state;
    char out[128];
    kt_http_redact_url("https://u:p@host:1/path?q=a@b", out, sizeof out);
    assert_string_equal(out, "https://***@host:1/path?q=a@b");
    kt_http_redact_url("https://host/path?q=a@b", out, sizeof out);
    assert_string_equal(out, "https://host/path?q=a@b");
    kt_http_redact_url("http://127.0.0.1:5050", out, sizeof out);
    assert_string_equal(out, "http://127.0.0.1:5050");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get),         cmocka_unit_test(test_post_and_headers),
        cmocka_unit_test(test_status_codes), cmocka_unit_test(test_redirects),
        cmocka_unit_test(test_body_cap),    cmocka_unit_test(test_progress),
        cmocka_unit_test(test_timeout),     cmocka_unit_test(test_connection_refused),
        cmocka_unit_test(test_bad_arguments), cmocka_unit_test(test_redact),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
