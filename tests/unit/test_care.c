/* SPDX-License-Identifier: MIT */
/* test_care.c - cmocka unit tests of the care record (daemon/care.c): red flags, and the 7-of-10-days rule at its edges on a fake calendar. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "care.h"

#define TODAY 20000   /* a local day number */
#define ME 1000u
/* Where local midnight of a day lies on the boot clock: day TODAY began at 10^9 ms. */
#define DAY_MS(day) ((int64_t)1000000000 + ((int64_t)(day) - TODAY) * 86400000)

static struct care_book book;
static struct profile_area calves, quads;

static int setup(void **state)
{
    (void)state;
    care_init(&book);
    memset(&calves, 0, sizeof(calves));
    snprintf(calves.name, sizeof(calves.name), "calves");
    snprintf(calves.aliases[0], sizeof(calves.aliases[0]), "calf");
    calves.n_aliases = 1;
    memset(&quads, 0, sizeof(quads));
    snprintf(quads.name, sizeof(quads.name), "quads");
    return 0;
}

static struct care_state state_of(uid_t uid, const struct profile_area *a, int64_t today)
{
    struct care_state st;

    care_check(&book, uid, a, today, DAY_MS(today), &st);
    return st;
}

/* Treated on `days` days of the window, the newest first (today, yesterday, ...). */
static void treat_days(unsigned days)
{
    for (unsigned i = 0; i < days; i++)
        care_treated(&book, ME, "calves", TODAY - (int64_t)i);
}

static void test_red_flags_block_until_cleared(void **state)
{
    (void)state;
    assert_true(care_checkin(&book, ME, "calves", TODAY, 4, 0));
    assert_int_equal(state_of(ME, &calves, TODAY).flags, 0);
    assert_true(care_checkin(&book, ME, "calves", TODAY, 6, CARE_TINGLING | CARE_SWELLING));
    assert_int_equal(state_of(ME, &calves, TODAY).flags, CARE_TINGLING | CARE_SWELLING);
    /* A later check-in without flags does not clear them: only a clear does. */
    assert_true(care_checkin(&book, ME, "calves", TODAY + 1, 2, 0));
    assert_int_equal(state_of(ME, &calves, TODAY + 30).flags, CARE_TINGLING | CARE_SWELLING);
    /* They are the area's and the person's: not quads', not another person's. */
    assert_int_equal(state_of(ME, &quads, TODAY).flags, 0);
    assert_int_equal(state_of(ME + 1, &calves, TODAY).flags, 0);
    /* An alias finds them (an area renamed in the profiles). */
    {
        struct profile_area renamed = calves;

        snprintf(renamed.name, sizeof(renamed.name), "lower-legs");
        snprintf(renamed.aliases[0], sizeof(renamed.aliases[0]), "calves");
        assert_int_equal(state_of(ME, &renamed, TODAY).flags, CARE_TINGLING | CARE_SWELLING);
    }
    care_clear(&book, ME, NULL, "calves", TODAY + 1);
    assert_int_equal(state_of(ME, &calves, TODAY + 1).flags, 0);
}

/* Seen: a second ouch at level 1 printed "Stop for today", and a new start
 * was accepted 3.7 s later. The area is closed for the person until the
 * next local day, or until a clear. */
static void test_a_pain_stop_closes_the_area_until_tomorrow(void **state)
{
    const int64_t now = DAY_MS(TODAY) + 3600000;   /* 01:00 */
    struct care_state st;

    (void)state;
    assert_false(state_of(ME, &calves, TODAY).pain_stop);
    assert_true(care_pain_stop(&book, ME, "calves", TODAY, now));
    assert_true(state_of(ME, &calves, TODAY).pain_stop);
    assert_false(state_of(ME, &quads, TODAY).pain_stop);
    assert_false(state_of(ME + 1, &calves, TODAY).pain_stop);
    assert_false(state_of(ME, &calves, TODAY + 1).pain_stop);   /* tomorrow */
    /* The clock set back across midnight (to 23:50 the day before): midnight lies 23 h 50 min
     * back on the boot clock, so the stop, 10 min ago, holds. */
    care_check(&book, ME, &calves, TODAY - 1, now + 600000 - 85800000, &st);
    assert_true(st.pain_stop);
    /* Set back two days, or forward two (found by a review: the day number lifted it): still closed
     * until that clock's next midnight. */
    care_check(&book, ME, &calves, TODAY - 2, now + 60000 - 43200000, &st);
    assert_true(st.pain_stop);
    care_check(&book, ME, &calves, TODAY + 2, now + 60000 - 7200000, &st);
    assert_true(st.pain_stop);
    /* A check-in does not lift it; a clear does. */
    assert_true(care_checkin(&book, ME, "calves", TODAY, 2, 0));
    assert_true(state_of(ME, &calves, TODAY).pain_stop);
    care_clear(&book, ME, NULL, "calves", TODAY);
    assert_false(state_of(ME, &calves, TODAY).pain_stop);
    /* A stop after the clear closes it again; an older one (another boot's) never shortens it. */
    assert_true(care_pain_stop(&book, ME, "calves", TODAY, now));
    assert_true(care_pain_stop(&book, ME, "calves", TODAY, -5000));
    assert_true(state_of(ME, &calves, TODAY).pain_stop);
}

/* Found by a review: a red flag and a pain stop recorded under an area's old
 * name (an alias now) stayed after a clear of the area. */
static void test_a_clear_reaches_the_old_names(void **state)
{
    struct profile_area renamed = calves;

    (void)state;
    snprintf(renamed.name, sizeof(renamed.name), "lower-legs");
    snprintf(renamed.aliases[0], sizeof(renamed.aliases[0]), "calves");
    renamed.n_aliases = 1;
    assert_true(care_checkin(&book, ME, "calves", TODAY, 3, CARE_NUMBNESS));
    assert_true(care_pain_stop(&book, ME, "calves", TODAY, DAY_MS(TODAY) + 1000));
    assert_int_equal(state_of(ME, &renamed, TODAY).flags, CARE_NUMBNESS);
    assert_true(state_of(ME, &renamed, TODAY).pain_stop);
    care_clear(&book, ME, &renamed, "lower-legs", TODAY);
    assert_int_equal(state_of(ME, &renamed, TODAY).flags, 0);
    assert_false(state_of(ME, &renamed, TODAY).pain_stop);
}

/* Seen: pain 5 with numbness (later cleared) counted as the improvement
 * that hid the therapist advice. Like with like: a check-in with a red flag
 * is no measure of the knot's pain. */
static void test_a_red_flag_check_in_is_no_improvement(void **state)
{
    struct care_state st;

    (void)state;
    treat_days(8);
    assert_true(care_checkin(&book, ME, "calves", TODAY - 7, 6, 0));
    assert_true(care_checkin(&book, ME, "calves", TODAY - 1, 5, CARE_NUMBNESS));
    care_clear(&book, ME, NULL, "calves", TODAY);
    st = state_of(ME, &calves, TODAY);
    assert_int_equal(st.flags, 0);
    assert_int_equal(st.checkin_days, 1);
    assert_int_equal(st.first_pain, 6);
    assert_true(st.see_therapist);
    /* A flag-free check-in with less pain is one. */
    assert_true(care_checkin(&book, ME, "calves", TODAY, 5, 0));
    st = state_of(ME, &calves, TODAY);
    assert_int_equal(st.last_pain, 5);
    assert_false(st.see_therapist);
}

static void test_a_red_flag_of_nobody_known_holds_for_all(void **state)
{
    (void)state;
    care_checkin(&book, CARE_ANYONE, "calves", TODAY, -1, CARE_NUMBNESS);
    assert_int_equal(state_of(ME, &calves, TODAY).flags, CARE_NUMBNESS);
    assert_int_equal(state_of(ME + 7, &calves, TODAY).flags, CARE_NUMBNESS);
}

static void test_seven_treated_days_are_not_more_than_seven(void **state)
{
    struct care_state st;

    (void)state;
    treat_days(7);
    st = state_of(ME, &calves, TODAY);
    assert_int_equal(st.treated_days, 7);
    assert_false(st.see_therapist);
}

static void test_eight_treated_days_without_check_ins(void **state)
{
    struct care_state st;

    (void)state;
    treat_days(8);
    st = state_of(ME, &calves, TODAY);
    assert_int_equal(st.treated_days, 8);
    assert_int_equal(st.checkin_days, 0);
    assert_true(st.see_therapist);   /* nothing shows an improvement */
}

static void test_eight_treated_days_with_improvement(void **state)
{
    struct care_state st;

    (void)state;
    treat_days(8);
    care_checkin(&book, ME, "calves", TODAY - 7, 6, 0);
    care_checkin(&book, ME, "calves", TODAY, 5, 0);
    st = state_of(ME, &calves, TODAY);
    assert_int_equal(st.first_pain, 6);
    assert_int_equal(st.last_pain, 5);
    assert_false(st.see_therapist);
}

static void test_the_same_pain_is_no_improvement(void **state)
{
    (void)state;
    treat_days(8);
    care_checkin(&book, ME, "calves", TODAY - 5, 5, 0);
    care_checkin(&book, ME, "calves", TODAY, 5, 0);
    assert_true(state_of(ME, &calves, TODAY).see_therapist);
}

static void test_one_day_of_check_ins_shows_nothing(void **state)
{
    struct care_state st;

    (void)state;
    treat_days(8);
    /* Better within the day, but a day is no trend. */
    care_checkin(&book, ME, "calves", TODAY, 7, 0);
    care_checkin(&book, ME, "calves", TODAY, 2, 0);
    st = state_of(ME, &calves, TODAY);
    assert_int_equal(st.checkin_days, 1);
    assert_int_equal(st.first_pain, 7);
    assert_int_equal(st.last_pain, 2);
    assert_true(st.see_therapist);
}

static void test_first_and_last_check_in_of_the_window(void **state)
{
    struct care_state st;

    (void)state;
    treat_days(9);
    care_checkin(&book, ME, "calves", TODAY - 12, 2, 0);   /* outside the window: ignored */
    care_checkin(&book, ME, "calves", TODAY - 9, 6, 0);    /* the window's first day */
    care_checkin(&book, ME, "calves", TODAY - 9, 8, 0);
    care_checkin(&book, ME, "calves", TODAY - 3, 3, 0);
    care_checkin(&book, ME, "calves", TODAY - 1, 7, 0);
    care_checkin(&book, ME, "calves", TODAY - 1, 5, 0);    /* the last of the window */
    st = state_of(ME, &calves, TODAY);
    assert_int_equal(st.checkin_days, 3);
    assert_int_equal(st.first_pain, 6);   /* the first check-in of its first day */
    assert_int_equal(st.last_pain, 5);    /* the last check-in of its last day */
    assert_false(st.see_therapist);       /* 6 -> 5: better */
}

static void test_the_window_moves(void **state)
{
    (void)state;
    /* Treated on days TODAY-9 .. TODAY-2: eight days of the window. */
    for (int64_t d = TODAY - 9; d <= TODAY - 2; d++)
        care_treated(&book, ME, "calves", d);
    assert_int_equal(state_of(ME, &calves, TODAY).treated_days, 8);
    assert_true(state_of(ME, &calves, TODAY).see_therapist);
    /* A day later TODAY-9 has left the window: seven. */
    assert_int_equal(state_of(ME, &calves, TODAY + 1).treated_days, 7);
    assert_false(state_of(ME, &calves, TODAY + 1).see_therapist);
    /* Many days later nothing is left, even after the entry moves on. */
    care_treated(&book, ME, "calves", TODAY + 40);
    assert_int_equal(state_of(ME, &calves, TODAY + 40).treated_days, 1);
}

static void test_two_sessions_a_day_are_one_day(void **state)
{
    (void)state;
    for (unsigned i = 0; i < 8; i++) {
        care_treated(&book, ME, "calves", TODAY - (int64_t)i / 2);
        care_treated(&book, ME, "calves", TODAY - (int64_t)i / 2);
    }
    assert_int_equal(state_of(ME, &calves, TODAY).treated_days, 4);
}

static void test_older_records_after_newer_ones(void **state)
{
    (void)state;
    /* The clock ran backwards, or records replayed out of order. */
    care_treated(&book, ME, "calves", TODAY);
    care_treated(&book, ME, "calves", TODAY - 3);
    care_checkin(&book, ME, "calves", TODAY - 2, 4, 0);
    assert_int_equal(state_of(ME, &calves, TODAY).treated_days, 2);
    assert_int_equal(state_of(ME, &calves, TODAY).first_pain, 4);
}

static void test_a_full_book_keeps_red_flags(void **state)
{
    char area[16];

    (void)state;
    for (unsigned i = 0; i < CARE_MAX; i++) {
        snprintf(area, sizeof(area), "a%u", i);
        assert_true(care_checkin(&book, ME, area, TODAY, 1, CARE_WEAKNESS));
    }
    /* No entry without a red flag can make room: the check-in is refused. */
    assert_false(care_checkin(&book, ME, "calves", TODAY, 1, CARE_BRUISING));
    care_clear(&book, ME, NULL, "a5", TODAY);
    assert_true(care_checkin(&book, ME, "calves", TODAY, 1, CARE_BRUISING));
    assert_int_equal(state_of(ME, &calves, TODAY).flags, CARE_BRUISING);
    snprintf(area, sizeof(area), "a%u", 6);
    assert_true(care_checkin(&book, ME, area, TODAY, 1, 0));
    assert_int_equal(state_of(ME, &(struct profile_area){ .name = "a6" }, TODAY).flags, CARE_WEAKNESS);
}

static void test_flag_names(void **state)
{
    char buf[128];

    (void)state;
    care_flag_names(CARE_NUMBNESS | CARE_SLEEP, buf, sizeof(buf));
    assert_string_equal(buf, "numbness, sleep");
    care_flag_names(0, buf, sizeof(buf));
    assert_string_equal(buf, "");
    care_flag_names(CARE_FLAGS_ALL, buf, 12);
    assert_string_equal(buf, "numbness");   /* cut between names, terminated */
    assert_int_equal(care_flag_of("swelling"), CARE_SWELLING);
    assert_int_equal(care_flag_of("Swelling"), 0);
    assert_string_equal(care_flag_name(CARE_BRUISING), "bruising");
    assert_null(care_flag_name(CARE_BRUISING | CARE_SLEEP));
}

#define T(fn) cmocka_unit_test_setup(fn, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_red_flags_block_until_cleared),
        T(test_a_pain_stop_closes_the_area_until_tomorrow),
        T(test_a_red_flag_check_in_is_no_improvement),
        T(test_a_clear_reaches_the_old_names),
        T(test_a_red_flag_of_nobody_known_holds_for_all),
        T(test_seven_treated_days_are_not_more_than_seven),
        T(test_eight_treated_days_without_check_ins),
        T(test_eight_treated_days_with_improvement),
        T(test_the_same_pain_is_no_improvement),
        T(test_one_day_of_check_ins_shows_nothing),
        T(test_first_and_last_check_in_of_the_window),
        T(test_the_window_moves),
        T(test_two_sessions_a_day_are_one_day),
        T(test_older_records_after_newer_ones),
        T(test_a_full_book_keeps_red_flags),
        T(test_flag_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
