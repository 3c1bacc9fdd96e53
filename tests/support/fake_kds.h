/*
 * Test support: a loopback fake AMD KDS (tests/support/fake_kds.py) run as a
 * child process. It serves the shared fixtures under the KDS paths, logs
 * every request target, and misbehaves as a plan file says (see the
 * script's docstring).
 */
#ifndef KT_TEST_FAKE_KDS_H
#define KT_TEST_FAKE_KDS_H

#include <stddef.h>
#include <sys/types.h>

typedef struct kt_fake_kds {
    pid_t pid;
    int port;
    char *dir; /* temporary folder with log, plan and port files */
    char log[4200];
    char plan[4200];
    char url[64]; /* "http://127.0.0.1:PORT" */
} kt_fake_kds;

/* Start the server (fails the test if it does not come up within 60 s). */
void kt_fake_kds_start(kt_fake_kds *s);
void kt_fake_kds_stop(kt_fake_kds *s);

/* Replace the plan (JSON text, written atomically); "" clears it. */
void kt_fake_kds_plan(kt_fake_kds *s, const char *json);

/* Forget the logged requests. */
void kt_fake_kds_clear_log(kt_fake_kds *s);

/* Number of requests logged, and the i-th request target (static buffer, "" past the end). */
size_t kt_fake_kds_count(kt_fake_kds *s);
const char *kt_fake_kds_request(kt_fake_kds *s, size_t i);

#endif
