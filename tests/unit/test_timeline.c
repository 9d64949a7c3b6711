/* SPDX-License-Identifier: MIT */
/* test_timeline.c - cmocka unit tests of where a record lies on the boot clock and the rest it leaves when the wall clock moved, and of local days and midnights in zones with DST, +14 and -11 hours. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "care.h"
#include "clock.h"
#include "timeline.h"

#define BOOT "0123456789abcdef0123456789abcdef"
#define OTHER "fedcba9876543210fedcba9876543210"
#define WALL ((time_t)1800000000)    /* any instant: the tests use differences */

static struct timeline_now now_at(time_t wall, uint64_t boot_ms)
{
    struct timeline_now n = { wall, boot_ms, BOOT };
    return n;
}

/* The record of this boot: where the boot clock says, whatever the wall clock did. */
static void test_same_boot_reads_the_boot_clock(void **state)
{
    struct timeline_mark m = { WALL, BOOT, 5000000 };
    struct timeline_now n = now_at(WALL + 900, 5000000 + 60000);   /* the wall clock jumped 14 min ahead */
    enum timeline_clock how;
    int64_t moved;

    (void)state;
    assert_int_equal(timeline_at_ms(&n, &m, &how, &moved), 5000000);
    assert_int_equal(how, TIMELINE_BOOT);
    assert_int_equal(moved, 840);
    /* A full session's 600 s of rest, 60 s ago: 540 s left, not 0 as the wall clock would say. */
    assert_int_equal(timeline_rest_left_ms(&n, &m, WALL + 600, 3600000), 540000);
    /* The wall clock set back a day: still only 60 s of age, no day-long rest. */
    n = now_at(WALL - 86400 + 60, 5000000 + 60000);
    assert_int_equal(timeline_rest_left_ms(&n, &m, WALL + 600, 3600000), 540000);
    assert_int_equal(timeline_at_ms(&n, &m, &how, &moved), 5000000);
    assert_int_equal(how, TIMELINE_BOOT);
    assert_int_equal(moved, -86400);
}

/* Another boot: the wall clock, but never after this boot began; the future
 * is placed there too, so a restart later never owes its rest afresh. */
static void test_another_boot_lies_before_this_one(void **state)
{
    struct timeline_mark m = { WALL, OTHER, 5000000 };
    struct timeline_now n = now_at(WALL + 100, 1000000);   /* 1000 s after this boot began */
    enum timeline_clock how;
    int64_t moved;

    (void)state;
    /* 100 s by the wall clock, but written before this boot: at least 1000 s ago. */
    assert_int_equal(timeline_at_ms(&n, &m, &how, &moved), 0);
    assert_int_equal(how, TIMELINE_WALL);
    assert_int_equal(timeline_rest_left_ms(&n, &m, WALL + 1600, 3600000), 600000);
    n = now_at(WALL + 5000, 1000000);
    assert_int_equal(timeline_at_ms(&n, &m, &how, &moved), 1000000 - 5000000);
    /* Measured: with the clock a day back, rest_left_s was 86,700. From another boot the
     * record lies before this one, and ages with it. */
    n = now_at(WALL - 86400, 100000);
    assert_int_equal(timeline_at_ms(&n, &m, &how, &moved), 0);
    assert_int_equal(how, TIMELINE_FUTURE);
    assert_int_equal(moved, 86400);
    assert_int_equal(timeline_rest_left_ms(&n, &m, WALL + 600, 3600000), 500000);
    n = now_at(WALL - 86400, 700000);                         /* a restart 10 min later */
    assert_int_equal(timeline_rest_left_ms(&n, &m, WALL + 600, 3600000), 0);
    /* Never more than the cap, however far the stamps lie apart. */
    n = now_at(WALL - 86400, 100000);
    assert_int_equal(timeline_rest_left_ms(&n, &m, WALL + 1000000000, 3600000), 3500000);
    /* A boot clock ahead of ours is no record of this boot (forged or corrupt): the wall clock. */
    m.boot = BOOT;
    m.boot_ms = 9000000;
    n = now_at(WALL + 5000, 1000000);
    assert_int_equal(timeline_at_ms(&n, &m, &how, &moved), 1000000 - 5000000);
    assert_int_equal(how, TIMELINE_WALL);
}

/* No boot recorded (an older knotd): the wall clock, and the future counts as now. */
static void test_no_boot_reads_the_wall_clock(void **state)
{
    struct timeline_mark bare = { WALL, "", 0 };
    struct timeline_now n = now_at(WALL + 100, 1000000);
    enum timeline_clock how;
    int64_t moved;

    (void)state;
    assert_int_equal(timeline_at_ms(&n, &bare, &how, &moved), 1000000 - 100000);
    assert_int_equal(how, TIMELINE_WALL);
    assert_int_equal(timeline_rest_left_ms(&n, &bare, WALL + 600, 3600000), 500000);
    assert_int_equal(timeline_rest_left_ms(&n, &bare, WALL + 50, 3600000), 0);
    n = now_at(WALL - 86400, 1000000);
    assert_int_equal(timeline_at_ms(&n, &bare, &how, &moved), 1000000);
    assert_int_equal(how, TIMELINE_FUTURE);
    assert_int_equal(timeline_rest_left_ms(&n, &bare, WALL + 600, 3600000), 600000);
    /* This boot's id unknown (found by a review): a record naming a boot may be this boot's
     * own, so only the wall clock places it; rest owed 100 s ago is not taken for older. */
    n.boot = "";
    bare.boot = BOOT;
    n.wall = WALL + 100;
    assert_int_equal(timeline_at_ms(&n, &bare, &how, &moved), 1000000 - 100000);
    assert_int_equal(timeline_rest_left_ms(&n, &bare, WALL + 600, 3600000), 500000);
    /* The extremes of the clamped range do not overflow. */
    bare.boot = "";
    bare.wall = TIMELINE_TIME_MAX;
    n.wall = 0;
    assert_int_equal(timeline_at_ms(&n, &bare, &how, &moved), 1000000);
    assert_int_equal(moved, (int64_t)TIMELINE_TIME_MAX);
    bare.wall = 0;
    n.wall = TIMELINE_TIME_MAX;
    assert_int_equal(timeline_rest_left_ms(&n, &bare, TIMELINE_TIME_MAX, 3600000), 0);
}

static void test_behind(void **state)
{
    (void)state;
    assert_int_equal(timeline_behind_s(WALL, WALL + 59), 0);
    assert_int_equal(timeline_behind_s(WALL, WALL + 60), 60);
    assert_int_equal(timeline_behind_s(WALL, WALL - 3600), 0);
    assert_int_equal(timeline_behind_s(WALL, 0), 0);
}

/* The care record of a later day than today (the clock went back) still counts in the window. */
static void test_care_of_a_later_day_still_counts(void **state)
{
    static struct care_book b;
    struct care_state st;
    struct profile_area a;

    (void)state;
    memset(&a, 0, sizeof(a));
    snprintf(a.name, sizeof(a.name), "calves");
    care_init(&b);
    for (int d = 0; d < 8; d++)
        care_treated(&b, 1000, "calves", PROFILE_SIDE_NONE, 20000 + d);
    care_checkin(&b, 1000, "calves", PROFILE_SIDE_NONE, 20000, 6, 0);
    care_checkin(&b, 1000, "calves", PROFILE_SIDE_NONE, 20007, 6, 0);
    care_check(&b, 1000, &a, PROFILE_SIDE_NONE, 20007, 0, &st);
    assert_true(st.see_therapist);
    /* The clock goes back a day: the eight days are still eight. */
    care_check(&b, 1000, &a, PROFILE_SIDE_NONE, 20006, 0, &st);
    assert_int_equal(st.treated_days, 8);
    assert_true(st.see_therapist);
}

/* days_from_civil: the day number of a calendar date (proleptic Gregorian), for comparison. */
static int64_t civil_day(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Local time y-m-d h:mi:s in the zone set now, as a wall-clock instant. */
static time_t local(int y, int m, int d, int h, int mi, int s)
{
    struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = s,
                     .tm_isdst = -1 };
    return mktime(&tm);
}

static void set_zone(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}

/* A local day is the calendar date, whatever its length: it begins at local
 * midnight, a 23-hour and a 25-hour day included, and "yesterday" at 00:30 is
 * the day before. */
static void check_day(int y, int m, int d)
{
    time_t midnight = local(y, m, d, 0, 0, 0), next = midnight;
    int64_t want = civil_day(y, m, d);

    /* The next local midnight, found by the clock itself (a day may be 23 to 25 hours long). */
    while (clock_local_day(next) == want)
        next += 60;
    assert_int_equal(clock_local_day(midnight), want);
    assert_int_equal(clock_local_day(midnight - 1), want - 1);
    assert_int_equal(clock_local_day(local(y, m, d, 0, 30, 0)), want);
    assert_int_equal(clock_local_day(local(y, m, d, 12, 0, 0)), want);
    assert_int_equal(clock_local_day(local(y, m, d, 23, 59, 59)), want);
    assert_int_equal(clock_local_day(next), want + 1);
    /* Today's midnight on a boot clock that reads 10^9 ms now: the real time since it. */
    assert_int_equal(clock_day_start_ms(local(y, m, d, 12, 0, 0), 1000000000),
                     1000000000 - (int64_t)(local(y, m, d, 12, 0, 0) - midnight) * 1000);
    assert_int_equal(clock_day_start_ms(midnight, 1000000000), 1000000000);
    assert_int_equal(clock_day_start_ms(next - 1, 1000000000), 1000000000 - (int64_t)(next - 1 - midnight) * 1000);
}

static void test_local_days_in_every_kind_of_zone(void **state)
{
    static const char *const zones[] = { "UTC", "Europe/Berlin", "Pacific/Kiritimati", "Pacific/Pago_Pago",
                                         "America/St_Johns", "Australia/Lord_Howe" };
    char *old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;

    (void)state;
    for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
        set_zone(zones[z]);
        check_day(2027, 3, 28);    /* Berlin springs forward: 23 hours */
        check_day(2027, 3, 29);    /* the day after it */
        check_day(2027, 10, 31);   /* Berlin falls back: 25 hours */
        check_day(2028, 2, 29);    /* a leap day */
        check_day(2028, 3, 1);     /* the day after it, a month's first */
        check_day(2027, 12, 31);   /* a year's last */
        check_day(2028, 1, 1);
    }
    /* The length of the DST days in Berlin, as the day numbers see them. */
    set_zone("Europe/Berlin");
    assert_int_equal(local(2027, 3, 29, 0, 0, 0) - local(2027, 3, 28, 0, 0, 0), 23 * 3600);
    assert_int_equal(local(2027, 11, 1, 0, 0, 0) - local(2027, 10, 31, 0, 0, 0), 25 * 3600);
    /* At 03:30 on the 23-hour day, 2 h 30 min have passed since midnight. */
    assert_int_equal(clock_day_start_ms(local(2027, 3, 28, 3, 30, 0), 100000000), 100000000 - 9000 * 1000);
    if (old)
        set_zone(old);
    else {
        unsetenv("TZ");
        tzset();
    }
    free(old);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_boot_reads_the_boot_clock),
        cmocka_unit_test(test_another_boot_lies_before_this_one),
        cmocka_unit_test(test_no_boot_reads_the_wall_clock),
        cmocka_unit_test(test_behind),
        cmocka_unit_test(test_care_of_a_later_day_still_counts),
        cmocka_unit_test(test_local_days_in_every_kind_of_zone),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
