/*
 * Internal: UTC calendar arithmetic and the one textual time format.
 * Everything here is UTC and proleptic Gregorian; nothing reads TZ.
 */
#ifndef KT_UTIL_TIMEUTIL_H
#define KT_UTIL_TIMEUTIL_H

#include <stdint.h>
#include <time.h>

#include "katana_tee/status.h"

/* Days since 1970-01-01 of the civil date y-m-d (m 1..12, d 1..31; not range-checked). */
int64_t kt_days_from_civil(int64_t y, int m, int d);

/* Seconds since the epoch of a UTC broken-down time (timegm, which POSIX lacks; never fails). */
int64_t kt_timegm(const struct tm *tm);

/* Whether a year is a leap year. */
int kt_is_leap_year(int64_t y);

/* Format as "2025-12-10T00:00:00Z"; a time gmtime cannot break down prints "@<seconds>". */
void kt_format_time(time_t t, char out[32]);

/*
 * Parse a UTC time: "@UNIXSECONDS" or plain Unix seconds (up to 12 digits),
 * "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SSZ" or "YYYY-MM-DD HH:MM:SS" (trailing Z
 * optional). Refuses (KT_E_PARSE) anything else, including impossible dates
 * (2025-02-30) and years outside 1..9999.
 */
kt_status kt_parse_time(const char *text, time_t *out, kt_error *err);

#endif
