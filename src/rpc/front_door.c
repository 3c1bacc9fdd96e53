/*
 * The front door: our own listening socket and an accept loop that holds each new
 * connection until its first request head has arrived, and only then hands it to
 * libmicrohttpd (MHD_add_connection).
 *
 * Why: libmicrohttpd gives a connection a slot as soon as it is accepted, so a client
 * opening hundreds of idle sockets used to fill every slot and stall /health and every
 * call until the idle timeout. Here a waiting connection costs one pollable descriptor:
 *  - a client (source address) may have at most per_client_limit connections waiting;
 *  - the head must be complete within head_timeout_ms, or the connection is closed;
 *  - GET/HEAD /health is handed over even when the JSON-RPC slots are full (libmicrohttpd
 *    is given health_reserve slots more than max_connections);
 *  - a malformed Content-Length is answered here with one JSON-RPC error (libmicrohttpd
 *    would answer with HTML, and 0.9.75 writes its header block twice).
 * Bytes are only peeked: libmicrohttpd reads the request itself.
 */
#define _GNU_SOURCE /* accept4, pipe2 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rpc/server_impl.h"

#define HEAD_MAX 8192 /* a request head longer than this is refused (431) */

typedef struct waiting {
    int fd;
    long long deadline_ms;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char client[INET6_ADDRSTRLEN];
} waiting;

struct kt_rpc_front {
    kt_rpc_server *s;
    int listen_fd;
    int epfd;
    int stop_pipe[2];
    pthread_t thread;
    bool running;
    waiting *w; /* max_waiting entries, fd -1 when free */
    size_t max_waiting;
};

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void kt_rpc_client_name(const struct sockaddr *sa, char *out, size_t cap) {
    out[0] = '\0';
    if (!sa)
        return;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)cap);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)cap);
}

kt_status kt_rpc_listen_socket(const struct sockaddr *addr, unsigned len, const char *shown,
                               int *out, uint16_t *port, kt_error *err) {
    int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return kt_fail(err, KT_E_IO, "cannot listen on %s: socket: %s", shown, strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (addr->sa_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, addr, len) != 0 || listen(fd, 512) != 0) {
        int e = errno;
        close(fd);
        return kt_fail(err, KT_E_IO, "cannot listen on %s: %s", shown, strerror(e));
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    *port = 0;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        *port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                               : ((struct sockaddr_in *)&ss)->sin_port);
    *out = fd;
    return KT_OK;
}

static void drop(kt_rpc_front *f, waiting *w) {
    epoll_ctl(f->epfd, EPOLL_CTL_DEL, w->fd, NULL);
    close(w->fd);
    w->fd = -1;
}

/* Answer a waiting connection ourselves (one JSON-RPC error) and close it. */
static void refuse(kt_rpc_front *f, waiting *w, unsigned http, const char *reason, int code,
                   const char *msg) {
    json_t *e = kt_rpc_error(NULL, code, "%s", msg);
    size_t blen = 0;
    char *body = e ? kt_rpc_dump(e, &blen) : NULL;
    json_decref(e);
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %u %s\r\nConnection: close\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     http, reason, blen);
    /* best effort on a non-blocking socket: an answer this small fits the send buffer */
    if (send(w->fd, head, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) == n && body)
        (void)send(w->fd, body, blen, MSG_NOSIGNAL | MSG_DONTWAIT);
    free(body);
    /* consume what was only peeked: closing with unread bytes would send a reset that can
     * overtake the answer */
    char sink[4096];
    for (int i = 0; i < 4 && recv(w->fd, sink, sizeof sink, MSG_DONTWAIT) > 0; i++)
        ;
    shutdown(w->fd, SHUT_WR);
    kt_rpc_log(f->s, KT_LOG_DEBUG, "refused", "client=%s http=%u", w->client, http);
    drop(f, w);
}

/* Content-Length values: all decimal digits, at most 19 of them, all copies equal. */
static bool content_length_ok(const char *head, size_t len) {
    const char *p = head, *end = head + len;
    const char *seen = NULL;
    size_t seen_len = 0;
    static const char name[] = "\r\ncontent-length:";
    while ((p = memchr(p, '\r', (size_t)(end - p))) != NULL) {
        if ((size_t)(end - p) < sizeof name - 1 || strncasecmp(p, name, sizeof name - 1) != 0) {
            p++;
            continue;
        }
        const char *v = p + sizeof name - 1;
        while (v < end && (*v == ' ' || *v == '\t'))
            v++;
        const char *ve = v;
        while (ve < end && *ve >= '0' && *ve <= '9')
            ve++;
        const char *after = ve;
        while (after < end && (*after == ' ' || *after == '\t'))
            after++;
        if (ve == v || ve - v > 19 || after >= end || *after != '\r')
            return false;
        if (seen && (seen_len != (size_t)(ve - v) || memcmp(seen, v, seen_len) != 0))
            return false;
        seen = v;
        seen_len = (size_t)(ve - v);
        p = ve;
    }
    return true;
}

static bool is_health(const char *head, size_t len) {
    static const char *const forms[] = {"GET /health ", "HEAD /health ", "GET /health?",
                                        "HEAD /health?"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        size_t n = strlen(forms[i]);
        if (len >= n && memcmp(head, forms[i], n) == 0)
            return true;
    }
    return false;
}

static void hand_over(kt_rpc_front *f, waiting *w, bool health) {
    kt_rpc_server *s = f->s;
    if (!health) {
        const union MHD_DaemonInfo *info =
            MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        if (info && info->num_connections >= s->o.max_connections) {
            refuse(f, w, 503, "Service Unavailable", -32005,
                   "Limit exceeded: all connections are busy, try again");
            return;
        }
    }
    epoll_ctl(f->epfd, EPOLL_CTL_DEL, w->fd, NULL);
    int flags = fcntl(w->fd, F_GETFL);
    if (flags >= 0)
        fcntl(w->fd, F_SETFL, flags & ~O_NONBLOCK); /* as accept() would have given it */
    /* on failure (limits) libmicrohttpd closes the socket itself */
    if (MHD_add_connection(s->mhd, w->fd, (const struct sockaddr *)&w->addr, w->addrlen) != MHD_YES)
        kt_rpc_log(s, KT_LOG_DEBUG, "refused", "client=%s reason=limit", w->client);
    w->fd = -1;
}

static void on_readable(kt_rpc_front *f, waiting *w) {
    char head[HEAD_MAX + 1];
    ssize_t n = recv(w->fd, head, HEAD_MAX, MSG_PEEK);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        drop(f, w);
        return;
    }
    if (n < 0)
        return;
    head[n] = '\0';
    char *blank = strstr(head, "\r\n\r\n");
    if (!blank) {
        if (n >= HEAD_MAX)
            refuse(f, w, 431, "Request Header Fields Too Large", -32600,
                   "Invalid request: the request head exceeds 8192 bytes");
        return; /* wait for the rest (until the deadline) */
    }
    size_t hlen = (size_t)(blank - head) + 2;
    if (!content_length_ok(head, hlen)) {
        refuse(f, w, 400, "Bad Request", -32600,
               "Invalid request: Content-Length is not a decimal number below 10^19");
        return;
    }
    hand_over(f, w, is_health(head, (size_t)n));
}

static void on_accept(kt_rpc_front *f) {
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(f->listen_fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        char client[INET6_ADDRSTRLEN];
        kt_rpc_client_name((struct sockaddr *)&ss, client, sizeof client);
        waiting *slot = NULL;
        unsigned same = 0;
        for (size_t i = 0; i < f->max_waiting; i++) {
            if (f->w[i].fd < 0) {
                if (!slot)
                    slot = &f->w[i];
            } else if (strcmp(f->w[i].client, client) == 0) {
                same++;
            }
        }
        if (!slot || same >= f->s->o.per_client_limit) {
            kt_rpc_log(f->s, KT_LOG_DEBUG, "refused", "client=%s reason=%s", client,
                       slot ? "per_client_limit" : "waiting_full");
            close(fd);
            continue;
        }
        slot->fd = fd;
        slot->addr = ss;
        slot->addrlen = sl;
        slot->deadline_ms = now_ms() + (long long)f->s->o.head_timeout_ms;
        memcpy(slot->client, client, sizeof client);
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = slot};
        if (epoll_ctl(f->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
            close(fd);
            slot->fd = -1;
        }
    }
}

static void *front_loop(void *arg) {
    kt_rpc_front *f = arg;
    struct epoll_event evs[64];
    for (;;) {
        int n = epoll_wait(f->epfd, evs, 64, 100);
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (p == &f->stop_pipe)
                return NULL;
            if (p == &f->listen_fd)
                on_accept(f);
            else if (((waiting *)p)->fd >= 0)
                on_readable(f, p);
        }
        long long t = now_ms();
        for (size_t i = 0; i < f->max_waiting; i++)
            if (f->w[i].fd >= 0 && t > f->w[i].deadline_ms)
                refuse(f, &f->w[i], 408, "Request Timeout", -32600,
                       "Invalid request: the request head did not arrive in time");
    }
}

kt_status kt_rpc_front_start(kt_rpc_server *s, int listen_fd, kt_rpc_front **out,
                             kt_error *err) {
    kt_rpc_front *f = calloc(1, sizeof *f);
    if (!f)
        return kt_fail_oom(err);
    f->s = s;
    f->listen_fd = listen_fd;
    f->stop_pipe[0] = f->stop_pipe[1] = -1;
    f->max_waiting = s->o.max_connections;
    f->w = calloc(f->max_waiting, sizeof *f->w);
    f->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (!f->w || f->epfd < 0 || pipe2(f->stop_pipe, O_CLOEXEC) != 0) {
        kt_rpc_front_stop(&f);
        return kt_fail(err, KT_E_IO, "cannot set up the accept loop: %s", strerror(errno));
    }
    for (size_t i = 0; i < f->max_waiting; i++)
        f->w[i].fd = -1;
    struct epoll_event le = {.events = EPOLLIN, .data.ptr = &f->listen_fd};
    struct epoll_event pe = {.events = EPOLLIN, .data.ptr = &f->stop_pipe};
    if (epoll_ctl(f->epfd, EPOLL_CTL_ADD, listen_fd, &le) != 0 ||
        epoll_ctl(f->epfd, EPOLL_CTL_ADD, f->stop_pipe[0], &pe) != 0 ||
        pthread_create(&f->thread, NULL, front_loop, f) != 0) {
        kt_rpc_front_stop(&f);
        return kt_fail(err, KT_E_IO, "cannot start the accept loop");
    }
    f->running = true;
    *out = f;
    return KT_OK;
}

void kt_rpc_front_stop(kt_rpc_front **front) {
    kt_rpc_front *f = *front;
    if (!f)
        return;
    if (f->running) {
        (void)!write(f->stop_pipe[1], "x", 1);
        pthread_join(f->thread, NULL);
    }
    for (size_t i = 0; f->w && i < f->max_waiting; i++)
        if (f->w[i].fd >= 0)
            close(f->w[i].fd);
    if (f->epfd >= 0)
        close(f->epfd);
    if (f->stop_pipe[0] >= 0)
        close(f->stop_pipe[0]);
    if (f->stop_pipe[1] >= 0)
        close(f->stop_pipe[1]);
    free(f->w);
    free(f);
    *front = NULL;
}
