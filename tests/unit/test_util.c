/*
 * src/util: the cursor's backward and 16-bit reads and sub-cursors, and the
 * one calendar/time-text module (util/timeutil).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testutil.h"

#include "util/cursor.h"
#include "util/timeutil.h"

static void test_cursor_u16_and_sub(void **state) {
    (void)state;
    const uint8_t b[] = {0x34, 0x12, 0x78, 0x56, 0x34, 0x12, 0xff};
    kt_cursor c = kt_cursor_init(b, sizeof b);
    assert_int_equal(kt_cursor_u16le(&c), 0x1234);
    kt_cursor s = kt_cursor_sub(&c, 4);
    assert_false(s.failed);
    assert_int_equal(kt_cursor_u32le(&s), 0x12345678);
    assert_int_equal(kt_cursor_u8(&s), 0); /* the sub-cursor ends where it was cut */
    assert_true(s.failed);
    assert_false(c.failed);
    kt_cursor t = kt_cursor_sub(&c, 2); /* only 1 byte left */
    assert_true(t.failed);
    assert_int_equal(t.len, 0);
    assert_true(c.failed);
    assert_int_equal(kt_cursor_u16le(&t), 0);
}

static void test_cursor_backwards(void **state) {
    (void)state;
    const uint8_t b[] = {1, 2, 3, 4, 5, 6};
    kt_cursor c = kt_cursor_init_end(b, sizeof b);
    assert_int_equal(kt_cursor_remaining(&c), 0);
    const uint8_t *p = kt_cursor_take_back(&c, 2);
    assert_non_null(p);
    assert_int_equal(p[0], 5);
    assert_int_equal(c.pos, 4);
    kt_cursor hdr = kt_cursor_sub_back(&c, 3);
    assert_int_equal(kt_cursor_u8(&hdr), 2);
    assert_int_equal(kt_cursor_u16le(&hdr), 0x0403);
    assert_int_equal(c.pos, 1);
    kt_cursor bad = kt_cursor_sub_back(&c, 2);
    assert_true(bad.failed);
    assert_true(c.failed);
    assert_null(kt_cursor_take_back(&c, 0)); /* a failed cursor stays failed */
}

static void test_civil(void **state) {
    (void)state;
    assert_int_equal(kt_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(kt_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(kt_days_from_civil(1969, 12, 31), -1);
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = 126, tm.tm_mon = 7, tm.tm_mday = 8;
    assert_int_equal(kt_timegm(&tm), 1786147200); /* 2026-08-08 */
    /* agrees with gmtime over a range including leap days and centuries */
    for (int64_t t = -2208988800LL; t < 4102444800LL; t += 86400LL * 37 + 3601) {
        time_t tt = (time_t)t;
        struct tm g;
        assert_non_null(gmtime_r(&tt, &g));
        assert_int_equal(kt_timegm(&g), t);
    }
    assert_true(kt_is_leap_year(2000));
    assert_false(kt_is_leap_year(1900));
    assert_true(kt_is_leap_year(2024));
}

static void test_time_text(void **state) {
    (void)state;
    kt_error err = {0};
    time_t t;
    char out[32];
    assert_int_equal(kt_parse_time("2025-12-10", &t, &err), KT_OK);
    kt_format_time(t, out);
    assert_string_equal(out, "2025-12-10T00:00:00Z");
    assert_int_equal(kt_parse_time("2025-12-10T01:02:03Z", &t, &err), KT_OK);
    kt_format_time(t, out);
    assert_string_equal(out, "2025-12-10T01:02:03Z");
    assert_int_equal(kt_parse_time("2025-12-10 01:02:03", &t, &err), KT_OK);
    kt_format_time(t, out);
    assert_string_equal(out, "2025-12-10T01:02:03Z");
    assert_int_equal(kt_parse_time("@1700000000", &t, &err), KT_OK);
    assert_int_equal(t, 1700000000);
    assert_int_equal(kt_parse_time("1700000000", &t, &err), KT_OK);
    assert_int_equal(t, 1700000000);
    assert_int_equal(kt_parse_time("2024-02-29", &t, &err), KT_OK);
    static const char *const bad[] = {"", "@", "@12x", "2025-02-29", "2025-13-01", "2025-04-31",
                                      "2025-12-10T25:00:00Z", "2025-12-10X01:02:03",
                                      "2025-12-10T01:02:03Zjunk", "2025-1-1", "1234567890123",
                                      "yesterday"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&err, 0, sizeof err);
        if (kt_parse_time(bad[i], &t, &err) != KT_E_PARSE)
            fail_msg("'%s' accepted", bad[i]);
        assert_true(err.message[0] != '\0');
    }
}

static void test_status_categories(void **state) {
    (void)state;
    /* by range, defined or not (status.h) */
    assert_int_equal(kt_status_category_of(KT_OK), KT_CAT_OK);
    assert_int_equal(kt_status_category_of(KT_E_PARSE), KT_CAT_INPUT);
    assert_int_equal(kt_status_category_of((kt_status)199), KT_CAT_INPUT);
    assert_int_equal(kt_status_category_of(KT_E_CHAIN), KT_CAT_VERIFY);
    assert_int_equal(kt_status_category_of((kt_status)450), KT_CAT_VERIFY);
    assert_int_equal(kt_status_category_of(KT_E_NETWORK), KT_CAT_PLATFORM);
    assert_int_equal(kt_status_category_of((kt_status)1), KT_CAT_PLATFORM);
    assert_int_equal(kt_status_category_of((kt_status)-5), KT_CAT_PLATFORM);
    assert_int_equal(kt_status_category_of((kt_status)1234), KT_CAT_PLATFORM);
    assert_string_equal(kt_status_name((kt_status)150), kt_status_name((kt_status)151));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cursor_u16_and_sub),
        cmocka_unit_test(test_cursor_backwards),
        cmocka_unit_test(test_civil),
        cmocka_unit_test(test_time_text),
        cmocka_unit_test(test_status_categories),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
