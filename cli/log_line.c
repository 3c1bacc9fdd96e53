/* One key=value log line on stderr (cli/log_line.h). */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "log_line.h"

static pthread_mutex_t line_mu = PTHREAD_MUTEX_INITIALIZER;

void kt_cli_log_line(int level, const char *event, const char *fields) {
    static const char *const names[] = {"error", "warn", "info", "debug"};
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm utc;
    gmtime_r(&now.tv_sec, &utc);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
    const char *name = level >= 0 && level <= 3 ? names[level] : "info";
    pthread_mutex_lock(&line_mu);
    fprintf(stderr, "ts=%s.%03ldZ level=%s event=%s%s%s\n", stamp, now.tv_nsec / 1000000, name,
            event, fields && fields[0] ? " " : "", fields ? fields : "");
    fflush(stderr);
    pthread_mutex_unlock(&line_mu);
}
