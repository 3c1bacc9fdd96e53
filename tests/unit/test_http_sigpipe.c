/*
 * SIGPIPE and the HTTP client: a server on loopback that closes the
 * connection in the middle of a large upload must give the caller an error,
 * not end the process. SIGPIPE is at its default action (terminate) for the
 * whole program, as in a library user that never touched it.
 *
 * libcurl 7.88 on Linux sends with MSG_NOSIGNAL, so the kernel does not
 * raise SIGPIPE for the closed socket there; TLS backends and other builds
 * may write without it. The second test therefore raises SIGPIPE from inside
 * the transfer (a progress callback runs on the transferring thread, as a
 * write without MSG_NOSIGNAL would): without the guard in src/http the
 * process dies; with it the signal is consumed and the mask restored.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testutil.h"

#include "http/http.h"

typedef struct closer {
    int listen_fd;
    unsigned short port;
    pthread_t thread;
} closer;

/* Accept one connection, read a little of the request, then reset it. */
static void *close_mid_upload(void *arg) {
    closer *c = arg;
    int fd = accept(c->listen_fd, NULL, NULL);
    if (fd < 0)
        return NULL;
    char buf[4096];
    (void)recv(fd, buf, sizeof buf, 0);
    struct linger l = {1, 0}; /* close with RST while data is still arriving */
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close(fd);
    return NULL;
}

static void closer_start(closer *c) {
    c->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(c->listen_fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(c->listen_fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(c->listen_fd, 4), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(c->listen_fd, (struct sockaddr *)&a, &len), 0);
    c->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&c->thread, NULL, close_mid_upload, c), 0);
}

static void closer_stop(closer *c) {
    pthread_join(c->thread, NULL);
    close(c->listen_fd);
}

static bool sigpipe_blocked(void) {
    sigset_t cur;
    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    return sigismember(&cur, SIGPIPE) == 1;
}

static void post_big(unsigned short port, void (*progress)(void *, uint64_t, uint64_t),
                     kt_status *st, kt_error *err) {
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/upload", (unsigned)port);
    size_t n = (size_t)32 << 20;
    uint8_t *body = calloc(1, n);
    assert_non_null(body);
    kt_http_request req;
    memset(&req, 0, sizeof req);
    req.method = "POST";
    req.url = url;
    req.body = body;
    req.body_len = n;
    req.timeout_ms = 20000;
    req.progress = progress;
    kt_http_response resp;
    *st = kt_http_perform(&req, &resp, err);
    kt_http_response_free(&resp);
    free(body);
}

/* One POST of 32 MiB to a server that resets the connection after its first read. */
static kt_status upload_to_closer(void (*progress)(void *, uint64_t, uint64_t), kt_error *err) {
    closer c;
    closer_start(&c);
    kt_status st;
    post_big(c.port, progress, &st, err);
    closer_stop(&c);
    return st;
}

static void test_server_closes_mid_upload(void **state) {
    (void)state;
    kt_error err = {0};
    assert_int_equal(upload_to_closer(NULL, &err), KT_E_NETWORK);
    assert_non_null(strstr(err.message, "POST"));
    assert_false(sigpipe_blocked());
}

static int raised;

/* Runs on the transferring thread, as a socket write inside libcurl would. */
static void raise_sigpipe(void *ctx, uint64_t now, uint64_t total) {
    (void)ctx;
    (void)now;
    (void)total;
    if (!raised) {
        raised = 1;
        raise(SIGPIPE);
    }
}

static void test_sigpipe_during_transfer(void **state) {
    (void)state;
    kt_error err = {0};
    raised = 0;
    assert_int_equal(upload_to_closer(raise_sigpipe, &err), KT_E_NETWORK);
    assert_int_equal(raised, 1);
    /* the signal did not stay pending and the thread's mask is as before */
    sigset_t pending;
    sigpending(&pending);
    assert_false(sigismember(&pending, SIGPIPE) == 1);
    assert_false(sigpipe_blocked());
}

static void test_caller_mask_kept(void **state) {
    (void)state;
    /* a caller that blocks SIGPIPE itself keeps it blocked, and keeps what is pending */
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    kt_error err = {0};
    raised = 0;
    assert_int_equal(upload_to_closer(raise_sigpipe, &err), KT_E_NETWORK);
    assert_true(sigpipe_blocked());
    sigset_t pending;
    sigpending(&pending);
    assert_true(sigismember(&pending, SIGPIPE) == 1);
    const struct timespec now = {0, 0};
    assert_int_equal(sigtimedwait(&pipe_set, NULL, &now), SIGPIPE);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

int main(void) {
    signal(SIGPIPE, SIG_DFL); /* as a program that never touched it */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_closes_mid_upload),
        cmocka_unit_test(test_sigpipe_during_transfer),
        cmocka_unit_test(test_caller_mask_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
