/*
 * The proxy's upstream rate limit: every attempt, from any request thread,
 * takes the next slot of a schedule spaced 1/rps apart, so AMD sees one
 * steady client however many verifiers sit behind the proxy. A 429/503 with
 * Retry-After moves the whole schedule back.
 */
#include <errno.h>
#include <time.h>

#include "kdsproxy/proxy_priv.h"

uint64_t kt_kdsproxy_mono_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void kt_kdsproxy_limiter_init(kt_kdsproxy_limiter *l, double rps) {
    pthread_mutex_init(&l->mu, NULL);
    l->interval_us = (uint64_t)(1e6 / rps);
    l->next_us = 0;
}

uint64_t kt_kdsproxy_limiter_acquire(kt_kdsproxy_limiter *l) {
    pthread_mutex_lock(&l->mu);
    uint64_t now = kt_kdsproxy_mono_us();
    uint64_t slot = l->next_us > now ? l->next_us : now;
    l->next_us = slot + l->interval_us;
    pthread_mutex_unlock(&l->mu);
    uint64_t wait = slot - now;
    if (wait) {
        struct timespec ts = {(time_t)(wait / 1000000u), (long)(wait % 1000000u) * 1000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        }
    }
    return wait;
}

void kt_kdsproxy_limiter_hold(kt_kdsproxy_limiter *l, uint64_t delay_ms) {
    pthread_mutex_lock(&l->mu);
    uint64_t until = kt_kdsproxy_mono_us() + delay_ms * 1000u;
    if (until > l->next_us)
        l->next_us = until;
    pthread_mutex_unlock(&l->mu);
}

void kt_kdsproxy_limiter_destroy(kt_kdsproxy_limiter *l) {
    pthread_mutex_destroy(&l->mu);
}
