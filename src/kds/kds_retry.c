/* The retry policy: Retry-After, exponential backoff with jitter. Pure functions. */
#include <ctype.h>
#include <string.h>

#include "kds/kds_internal.h"
#include "util/timeutil.h"

time_t kt_kds_timegm(const struct tm *tm) {
    return (time_t)kt_timegm(tm);
}

static bool digits(const char *s, size_t n, int *out) {
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (exactly 29 characters). */
static bool parse_imf_fixdate(const char *s, time_t *out) {
    static const char *const days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (strlen(s) != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
        s[16] != ' ' || s[19] != ':' || s[22] != ':' || s[25] != ' ' || strcmp(s + 26, "GMT") != 0)
        return false;
    bool day_ok = false;
    for (int i = 0; i < 7; i++)
        day_ok = day_ok || strncmp(s, days[i], 3) == 0;
    int mon = -1;
    for (int i = 0; i < 12; i++)
        if (strncmp(s + 8, months[i], 3) == 0)
            mon = i;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int year;
    if (!day_ok || mon < 0 || !digits(s + 5, 2, &tm.tm_mday) || !digits(s + 12, 4, &year) ||
        !digits(s + 17, 2, &tm.tm_hour) || !digits(s + 20, 2, &tm.tm_min) ||
        !digits(s + 23, 2, &tm.tm_sec))
        return false;
    if (tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return false;
    tm.tm_mon = mon;
    tm.tm_year = year - 1900;
    *out = kt_kds_timegm(&tm);
    return true;
}

bool kt_kds_parse_retry_after(const char *value, time_t now, uint64_t *delay_ms) {
    if (!value || !value[0])
        return false;
    size_t n = strlen(value);
    if (strspn(value, "0123456789") == n) {
        /* delta-seconds; anything past a day is as good as "a very long time" */
        if (n > 9)
            n = 9;
        uint64_t secs = 0;
        for (size_t i = 0; i < n; i++)
            secs = secs * 10 + (uint64_t)(value[i] - '0');
        if (strlen(value) > 9)
            secs = 999999999;
        *delay_ms = secs * 1000;
        return true;
    }
    time_t when;
    if (!parse_imf_fixdate(value, &when))
        return false;
    *delay_ms = when > now ? (uint64_t)(when - now) * 1000 : 0;
    return true;
}

uint64_t kt_kds_backoff_ms(unsigned retry, long base_ms, long max_ms, double jitter) {
    if (base_ms < 0)
        base_ms = 0;
    if (max_ms < 0)
        max_ms = 0;
    uint64_t d = (uint64_t)base_ms;
    for (unsigned i = 1; i < retry && d < (uint64_t)max_ms; i++)
        d *= 2;
    if (d > (uint64_t)max_ms)
        d = (uint64_t)max_ms;
    if (jitter < 0 || jitter != jitter)
        jitter = 0;
    if (jitter >= 1)
        jitter = 0.999999;
    return d / 2 + (uint64_t)((double)(d - d / 2) * jitter);
}

bool kt_kds_status_retryable(long s) {
    return s == 408 || s == 425 || s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
}
