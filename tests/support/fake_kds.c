/* Test support: start/stop the fake KDS script and read its request log. */
#include "fake_kds.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

static void nap_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

void kt_fake_kds_start(kt_fake_kds *s) {
    memset(s, 0, sizeof *s);
    s->dir = kt_test_mkdtemp();
    char port_file[4200], script[4096], fixtures[4096];
    snprintf(s->log, sizeof s->log, "%s/requests.log", s->dir);
    snprintf(s->plan, sizeof s->plan, "%s/plan.json", s->dir);
    snprintf(port_file, sizeof port_file, "%s/port", s->dir);
    snprintf(script, sizeof script, "%s/tests/support/fake_kds.py", KT_SOURCE_DIR);
    snprintf(fixtures, sizeof fixtures, "%s", kt_shared_path("fixtures/snp"));
    FILE *f = fopen(s->log, "w");
    if (!f)
        fail_msg("cannot create %s", s->log);
    fclose(f);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        fail_msg("fork failed");
    if (pid == 0) {
        execlp("python3", "python3", script, "--fixtures", fixtures, "--log", s->log,
               "--port-file", port_file, "--plan", s->plan, (char *)NULL);
        _exit(127);
    }
    s->pid = pid;
    /* Python can take seconds to start on a loaded machine: wait for the port file. */
    for (int i = 0; i < 600; i++) {
        FILE *pf = fopen(port_file, "r");
        if (pf) {
            int port = 0;
            int ok = fscanf(pf, "%d", &port);
            fclose(pf);
            if (ok == 1 && port > 0) {
                s->port = port;
                snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d", port);
                return;
            }
        }
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            s->pid = 0;
            fail_msg("fake KDS server exited during start (status %d)", status);
        }
        nap_ms(100);
    }
    kt_fake_kds_stop(s);
    fail_msg("fake KDS server did not start within 60 s");
}

void kt_fake_kds_stop(kt_fake_kds *s) {
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        int status;
        while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR) {
        }
        s->pid = 0;
    }
    if (s->dir) {
        kt_test_rmtree(s->dir);
        free(s->dir);
        s->dir = NULL;
    }
}

void kt_fake_kds_plan(kt_fake_kds *s, const char *json) {
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.tmp", s->plan);
    FILE *f = fopen(tmp, "w");
    if (!f || fputs(json, f) < 0 || fclose(f) != 0)
        fail_msg("cannot write the fake KDS plan");
    if (rename(tmp, s->plan) != 0)
        fail_msg("cannot install the fake KDS plan");
}

void kt_fake_kds_clear_log(kt_fake_kds *s) {
    int fd = open(s->log, O_WRONLY | O_TRUNC);
    if (fd < 0)
        fail_msg("cannot clear %s", s->log);
    close(fd);
}

static char *read_log(kt_fake_kds *s) {
    size_t len = 0;
    return (char *)kt_test_read_file(s->log, &len);
}

size_t kt_fake_kds_count(kt_fake_kds *s) {
    char *text = read_log(s);
    size_t n = 0;
    for (char *p = text; *p; p++)
        n += *p == '\n';
    free(text);
    return n;
}

const char *kt_fake_kds_request(kt_fake_kds *s, size_t i) {
    static char line[4096];
    line[0] = '\0';
    char *text = read_log(s);
    char *p = text;
    for (size_t k = 0; k < i && p; k++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    if (p && *p) {
        size_t n = strcspn(p, "\n");
        if (n >= sizeof line)
            n = sizeof line - 1;
        memcpy(line, p, n);
        line[n] = '\0';
    }
    free(text);
    return line;
}
