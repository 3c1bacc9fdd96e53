#include "util/timeutil.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

int64_t kt_days_from_civil(int64_t y, int m, int d) {
    /* H. Hinnant's days_from_civil: shift the year to start in March */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int64_t kt_timegm(const struct tm *tm) {
    int64_t days = kt_days_from_civil((int64_t)tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday);
    return days * 86400 + (int64_t)tm->tm_hour * 3600 + tm->tm_min * 60 + tm->tm_sec;
}

int kt_is_leap_year(int64_t y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

void kt_format_time(time_t t, char out[32]) {
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, 32, "@%lld", (long long)t);
}

static kt_status parse_seconds(const char *text, const char *digits, time_t *out, kt_error *err) {
    size_t n = strlen(digits);
    bool ok = n > 0 && n <= 12;
    for (size_t i = 0; i < n && ok; i++)
        ok = isdigit((unsigned char)digits[i]) != 0;
    if (!ok)
        return kt_fail(err, KT_E_PARSE, "time '%s': expected Unix seconds (up to 12 digits)",
                       text);
    *out = (time_t)strtoll(digits, NULL, 10);
    return KT_OK;
}

kt_status kt_parse_time(const char *text, time_t *out, kt_error *err) {
    if (!text || !*text)
        return kt_fail(err, KT_E_PARSE, "empty time");
    if (text[0] == '@')
        return parse_seconds(text, text + 1, out, err);
    if (isdigit((unsigned char)text[0]) && !strchr(text, '-'))
        return parse_seconds(text, text, out, err);
    int y, mo, d, h = 0, mi = 0, s = 0, n = 0;
    size_t len = strlen(text);
    if (sscanf(text, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
        goto bad;
    if ((size_t)n < len) {
        int m = 0;
        char sep = 0;
        if (sscanf(text + n, "%c%2d:%2d:%2d%n", &sep, &h, &mi, &s, &m) != 4 || m != 9 ||
            (sep != 'T' && sep != ' '))
            goto bad;
        n += m;
        if ((size_t)n < len && strcmp(text + n, "Z") != 0)
            goto bad;
    }
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
        (mo == 2 && d == 29 && !kt_is_leap_year(y)) || h < 0 || h > 23 || mi < 0 || mi > 59 ||
        s < 0 || s > 60)
        goto bad;
    *out = (time_t)(kt_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s);
    return KT_OK;
bad:
    return kt_fail(err, KT_E_PARSE,
                   "time '%s' is not YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or @UNIXSECONDS (UTC)",
                   text);
}
