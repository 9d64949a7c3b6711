/* SPDX-License-Identifier: MIT */
/* test_rest.c - cmocka unit tests of rest per person and area: proportional rest, the daily dose, renamed areas. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rest.h"

#define S(x) ((uint64_t)(x) * 1000u)
#define MIN(x) ((uint64_t)(x) * 60000u)
#define T0 S(5000)
#define TODAY ((int64_t)0)                      /* today began when the boot clock did */
#define NEXT_DAY ((int64_t)(T0 + S(850)))        /* a midnight, later */

static struct profile_area calves(void)
{
    struct profile_area a;

    memset(&a, 0, sizeof(a));
    snprintf(a.name, sizeof(a.name), "calves");
    snprintf(a.aliases[0], sizeof(a.aliases[0]), "calf");
    a.n_aliases = 1;
    a.gun_allowed = true;
    a.start_level = 1;
    a.trial_s = 15;
    a.default_level = 2;
    a.max_level = 3;
    a.step_s = 10;
    a.session_s = 120;
    a.cooldown_s = 900;
    a.force_max_dn = 250;
    a.dose_min = 5;
    return a;
}

static void test_fresh_area_may_start(void **state)
{
    struct rest_book b;
    struct rest_state st;
    struct profile_area a = calves();

    (void)state;
    rest_init(&b);
    assert_int_equal(rest_check(&b, 1000, &a, PROFILE_SIDE_NONE, T0, TODAY, &st), REST_OK);
    assert_int_equal(st.rest_left_ms, 0);
    assert_int_equal(st.dose_used_ms, 0);
    assert_int_equal(st.dose_ms, MIN(5));
    assert_int_equal(st.allowed_ms, MIN(5));
}

/* Today any end charged the full cool-down: stopping after 3 s to reposition
 * locked calves for 15 minutes. Rest is now in proportion to the time past the trial. */
static void test_rest_is_proportional(void **state)
{
    struct profile_area a = calves();

    (void)state;
    assert_int_equal(rest_owed_ms(&a, S(3)), 0);               /* repositioning */
    assert_int_equal(rest_owed_ms(&a, S(15)), 0);              /* the whole trial, no more */
    assert_int_equal(rest_owed_ms(&a, S(15) + 1), 8);          /* 1 ms past: 900 s x 1/105000 */
    assert_int_equal(rest_owed_ms(&a, S(67) + S(500) / 1000), S(900) * (S(52) + 500) / S(105));
    assert_int_equal(rest_owed_ms(&a, S(120)), S(900));        /* a full session: the full cool-down */
    assert_int_equal(rest_owed_ms(&a, S(500)), S(900));        /* never more */
    a.cooldown_s = 0;
    assert_int_equal(rest_owed_ms(&a, S(120)), 0);
    /* a session that is nothing but its trial owes all of it once past it */
    a = calves();
    a.session_s = a.trial_s;
    assert_int_equal(rest_owed_ms(&a, S(16)), S(900));
}

static void test_charge_and_rest(void **state)
{
    struct rest_book b;
    struct rest_state st;
    struct profile_area a = calves();

    (void)state;
    rest_init(&b);
    rest_charge(&b, 1000, &a, PROFILE_SIDE_NONE, S(3), T0, TODAY);                 /* a short stop: may start again at once */
    assert_int_equal(rest_check(&b, 1000, &a, PROFILE_SIDE_NONE, T0, TODAY, &st), REST_OK);
    assert_int_equal(st.dose_used_ms, S(3));
    rest_charge(&b, 1000, &a, PROFILE_SIDE_NONE, S(120), T0 + S(10), TODAY);       /* a full one */
    assert_int_equal(rest_check(&b, 1000, &a, PROFILE_SIDE_NONE, T0 + S(10), TODAY, &st), REST_RESTING);
    assert_int_equal(st.rest_left_ms, S(900));
    assert_int_equal(rest_check(&b, 1000, &a, PROFILE_SIDE_NONE, T0 + S(10) + S(899), TODAY, &st), REST_RESTING);
    assert_int_equal(st.rest_left_ms, S(1));
    assert_int_equal(rest_check(&b, 1000, &a, PROFILE_SIDE_NONE, T0 + S(10) + S(900), TODAY, &st), REST_OK);
    /* a shorter session later never shortens a rest already due */
    rest_charge(&b, 1000, &a, PROFILE_SIDE_NONE, S(120), T0 + S(2000), TODAY);
    rest_charge(&b, 1000, &a, PROFILE_SIDE_NONE, S(20), T0 + S(2001), TODAY);
    assert_int_equal(rest_check(&b, 1000, &a, PROFILE_SIDE_NONE, T0 + S(2001), TODAY, &st), REST_RESTING);
    assert_int_equal(st.rest_left_ms, S(899));
}

/* Rest belongs to the person's muscle: another person's calves are free, the
 * same person's are not, whichever massager ran the session (the book has no
 * serial at all). */
static void test_rest_is_per_person(void **state)
{
    struct rest_book b;
    struct rest_state st;
    struct profile_area a = calves();

    (void)state;
    rest_init(&b);
    rest_charge(&b, 1000, &a, PROFILE_SIDE_NONE, S(120), T0, TODAY);
    assert_int_equal(rest_check(&b, 1000, &a, PROFILE_SIDE_NONE, T0, TODAY, &st), REST_RESTING);
    assert_int_equal(rest_check(&b, 1001, &a, PROFILE_SIDE_NONE, T0, TODAY, &st), REST_OK);
    assert_int_equal(st.dose_used_ms, 0);
}

static void test_daily_dose(void **state)
{
    struct rest_book b;
    struct rest_state st;
    struct profile_area a = calves();

    (void)state;
    a.cooldown_s = 0;
    rest_init(&b);
    rest_charge(&b, 7, &a, PROFILE_SIDE_NONE, S(120), T0, TODAY);
    rest_charge(&b, 7, &a, PROFILE_SIDE_NONE, S(120), T0 + S(200), TODAY);
    assert_int_equal(rest_check(&b, 7, &a, PROFILE_SIDE_NONE, T0 + S(400), TODAY, &st), REST_OK);
    assert_int_equal(st.dose_used_ms, S(240));
    assert_int_equal(st.allowed_ms, S(60));                    /* the next session is capped at what is left */
    rest_charge(&b, 7, &a, PROFILE_SIDE_NONE, S(45), T0 + S(500), TODAY);
    assert_int_equal(rest_check(&b, 7, &a, PROFILE_SIDE_NONE, T0 + S(600), TODAY, &st), REST_OK);
    assert_int_equal(st.allowed_ms, S(15));                    /* exactly a trial left: still a start */
    rest_charge(&b, 7, &a, PROFILE_SIDE_NONE, S(1), T0 + S(700), TODAY);
    /* 13 s left is less than the 15 s trial: done for today */
    assert_int_equal(rest_check(&b, 7, &a, PROFILE_SIDE_NONE, T0 + S(800), TODAY, &st), REST_DOSE);
    assert_int_equal(st.allowed_ms, 0);
    /* a new day, a new dose */
    assert_int_equal(rest_check(&b, 7, &a, PROFILE_SIDE_NONE, T0 + S(900), NEXT_DAY, &st), REST_OK);
    assert_int_equal(st.dose_used_ms, 0);
    rest_charge(&b, 7, &a, PROFILE_SIDE_NONE, S(30), T0 + S(1000), NEXT_DAY);
    assert_int_equal(rest_check(&b, 7, &a, PROFILE_SIDE_NONE, T0 + S(1000), NEXT_DAY, &st), REST_OK);
    assert_int_equal(st.dose_used_ms, S(30));
}

static void test_renamed_area_keeps_rest_and_dose(void **state)
{
    struct rest_book b;
    struct rest_state st;
    struct profile_area a = calves(), renamed = calves();

    (void)state;
    rest_init(&b);
    rest_charge(&b, 3, &a, PROFILE_SIDE_NONE, S(120), T0, TODAY);
    snprintf(renamed.name, sizeof(renamed.name), "lower-legs");
    snprintf(renamed.aliases[1], sizeof(renamed.aliases[1]), "calves");
    renamed.n_aliases = 2;
    assert_int_equal(rest_check(&b, 3, &renamed, PROFILE_SIDE_NONE, T0, TODAY, &st), REST_RESTING);
    assert_int_equal(st.dose_used_ms, S(120));
    /* charged under the new name, both entries count */
    renamed.cooldown_s = 0;
    rest_charge(&b, 3, &renamed, PROFILE_SIDE_NONE, S(60), T0 + S(1000), TODAY);
    assert_int_equal(rest_check(&b, 3, &renamed, PROFILE_SIDE_NONE, T0 + S(1000), TODAY, &st), REST_OK);
    assert_int_equal(st.dose_used_ms, S(180));
}

static void test_restore_and_a_full_book(void **state)
{
    static struct rest_book b;
    struct rest_state st;
    struct profile_area a = calves();
    char name[PROFILE_NAME_LEN];

    (void)state;
    rest_init(&b);
    rest_restore(&b, 9, "calf", PROFILE_SIDE_NONE, T0 + S(100), S(30), (int64_t)T0, TODAY);
    assert_int_equal(rest_check(&b, 9, &a, PROFILE_SIDE_NONE, T0, TODAY, &st), REST_RESTING);
    assert_int_equal(st.rest_left_ms, S(100));
    assert_int_equal(st.dose_used_ms, S(30));
    /* a full book makes room with an entry that no longer matters, never a resting one */
    for (unsigned i = 1; i < REST_MAX + 10; i++) {
        struct profile_area o = calves();

        snprintf(name, sizeof(name), "area%u", i);
        snprintf(o.name, sizeof(o.name), "%s", name);
        o.n_aliases = 0;
        rest_charge(&b, 9, &o, PROFILE_SIDE_NONE, S(3), T0, TODAY);
    }
    assert_int_equal(b.n, REST_MAX);
    assert_int_equal(rest_check(&b, 9, &a, PROFILE_SIDE_NONE, T0, TODAY, &st), REST_RESTING);
}

/* Measured: stepping the wall clock back 3 min across local midnight reset the
 * day's dose to 0 and a start was accepted. The dose is charged on the boot
 * clock, and a step moves only where midnight lies on it. */
static void test_a_clock_set_back_across_midnight_keeps_the_dose(void **state)
{
    struct rest_book b;
    struct rest_state st;
    struct profile_area a = calves();
    const int64_t midnight = (int64_t)T0;

    (void)state;
    a.cooldown_s = 0;   /* the dose alone */
    rest_init(&b);
    rest_charge(&b, 1000, &a, PROFILE_SIDE_NONE, MIN(5), T0 + S(20), midnight);       /* the whole dose at 00:00:20 */
    assert_int_equal(rest_check(&b, 1000, &a, PROFILE_SIDE_NONE, T0 + S(60), midnight, &st), REST_DOSE);
    /* At 00:01 the clock goes back to 23:58: midnight lies 23 h 58 min back on the boot clock. */
    assert_int_equal(rest_check(&b, 1000, &a, PROFILE_SIDE_NONE, T0 + S(60), (int64_t)(T0 + S(60)) - (int64_t)MIN(23 * 60 + 58), &st),
                     REST_DOSE);
    assert_int_equal(st.dose_used_ms, MIN(5));
    assert_false(rest_wants_warm_up(&st, false));   /* the area ran "today": no second warm-up */
    /* When the stepped clock passes midnight, two minutes on, the day is new. */
    assert_int_equal(rest_check(&b, 1000, &a, PROFILE_SIDE_NONE, T0 + S(180), (int64_t)(T0 + S(180)), &st), REST_OK);
    assert_int_equal(st.dose_used_ms, 0);
    assert_true(rest_wants_warm_up(&st, false));    /* a new day: warm it up first */
    assert_false(rest_wants_warm_up(&st, true));
}

/* Found by a review: 30 s used at 23:58:50, 3 s just after midnight, then
 * the clock set back across midnight: the running knotd counted 3 s, a
 * restart 33. Every charge keeps its own time; the book stays bounded. */
static void test_each_charge_keeps_its_time(void **state)
{
    struct rest_book b;
    struct rest_state st;
    struct profile_area a = calves();
    const int64_t midnight = (int64_t)T0;

    (void)state;
    a.cooldown_s = 0;
    rest_init(&b);
    rest_charge(&b, 1000, &a, PROFILE_SIDE_NONE, S(30), T0 - S(70), midnight - 86400000);
    rest_charge(&b, 1000, &a, PROFILE_SIDE_NONE, S(3), T0 + S(3), midnight);
    assert_int_equal(rest_check(&b, 1000, &a, PROFILE_SIDE_NONE, T0 + S(10), midnight, &st), REST_OK);
    assert_int_equal(st.dose_used_ms, S(3));
    /* Set back to 23:59: midnight lies a day earlier again. */
    assert_int_equal(rest_check(&b, 1000, &a, PROFILE_SIDE_NONE, T0 + S(10), midnight - 86400000, &st), REST_OK);
    assert_int_equal(st.dose_used_ms, S(33));
    /* More charges than slots: none is lost, the oldest merge at the later time. */
    for (unsigned i = 0; i < 3 * REST_DOSE_SLOTS; i++)
        rest_charge(&b, 1000, &a, PROFILE_SIDE_NONE, S(1), T0 + S(20 + i), midnight);
    assert_int_equal(rest_check(&b, 1000, &a, PROFILE_SIDE_NONE, T0 + S(100), midnight, &st), REST_OK);
    assert_int_equal(st.dose_used_ms, S(3) + S(3 * REST_DOSE_SLOTS) + S(30));
}

/* A clock set back by years (a dead RTC battery) counts the dose as today's,
 * and only today's; a clock set forward by days (NTP on a board without an
 * RTC) still counts a dose used minutes ago. */
static void test_clock_steps_never_hand_out_a_dose_early_nor_lock_out_for_days(void **state)
{
    struct rest_book b;
    struct rest_state st;
    struct profile_area a = calves();

    (void)state;
    a.cooldown_s = 0;   /* the dose alone */
    rest_init(&b);
    rest_charge(&b, 1000, &a, PROFILE_SIDE_NONE, MIN(5), T0, (int64_t)T0 - (int64_t)MIN(600));   /* at 10:00 */
    /* Set back years, to 15:00 of some day: midnight 15 h back. Still used today... */
    assert_int_equal(rest_check(&b, 1000, &a, PROFILE_SIDE_NONE, T0 + MIN(1), (int64_t)(T0 + MIN(1)) - (int64_t)MIN(900), &st),
                     REST_DOSE);
    /* ...and new at the next midnight by that clock. */
    assert_int_equal(rest_check(&b, 1000, &a, PROFILE_SIDE_NONE, T0 + MIN(540), (int64_t)(T0 + MIN(540)), &st), REST_OK);
    /* Set forward two days, to 09:00: midnight 9 h back, before the dose: still used today. */
    rest_init(&b);
    rest_charge(&b, 1000, &a, PROFILE_SIDE_NONE, MIN(5), T0, (int64_t)T0 - (int64_t)MIN(600));
    assert_int_equal(rest_check(&b, 1000, &a, PROFILE_SIDE_NONE, T0 + MIN(2), (int64_t)(T0 + MIN(2)) - (int64_t)MIN(540), &st),
                     REST_DOSE);
    /* A charge from before this boot (negative on its clock) counts when today began even earlier. */
    rest_init(&b);
    rest_restore(&b, 1000, "calves", PROFILE_SIDE_NONE, 0, MIN(5), -(int64_t)MIN(30), -(int64_t)MIN(600));
    assert_int_equal(rest_check(&b, 1000, &a, PROFILE_SIDE_NONE, T0, -(int64_t)MIN(600), &st), REST_DOSE);
    assert_int_equal(rest_check(&b, 1000, &a, PROFILE_SIDE_NONE, T0, -(int64_t)MIN(20), &st), REST_OK);
    /* Restored in any order: both of today's count, yesterday's does not. */
    rest_init(&b);
    rest_restore(&b, 1000, "calves", PROFILE_SIDE_NONE, 0, S(30), (int64_t)T0, 0);
    rest_restore(&b, 1000, "calves", PROFILE_SIDE_NONE, 0, S(30), (int64_t)T0 - S(100), 0);
    rest_restore(&b, 1000, "calves", PROFILE_SIDE_NONE, 0, S(30), -1, 0);
    assert_int_equal(rest_check(&b, 1000, &a, PROFILE_SIDE_NONE, T0, 0, &st), REST_OK);
    assert_int_equal(st.dose_used_ms, S(60));
}

/* The guide's warm-up comes before the first session of an area each day:
 * per person and per area, and a charge of another area or person does not
 * count; a zero-length charge (a start the device refused) is no session. */
static void test_warm_up_is_per_person_and_area(void **state)
{
    struct rest_book b;
    struct rest_state st;
    struct profile_area a = calves(), other = calves();
    const int64_t midnight = (int64_t)T0;

    (void)state;
    snprintf(other.name, sizeof(other.name), "forearms");
    other.n_aliases = 0;
    rest_init(&b);
    assert_int_equal(rest_check(&b, 1000, &a, PROFILE_SIDE_NONE, T0 + S(10), midnight, &st), REST_OK);
    assert_true(rest_wants_warm_up(&st, false));
    rest_charge(&b, 1000, &other, PROFILE_SIDE_NONE, S(30), T0 + S(40), midnight);       /* forearms ran */
    rest_charge(&b, 2000, &a, PROFILE_SIDE_NONE, S(30), T0 + S(40), midnight);           /* someone else's calves ran */
    rest_charge(&b, 1000, &a, PROFILE_SIDE_NONE, 0, T0 + S(50), midnight);               /* a refused start */
    assert_int_equal(rest_check(&b, 1000, &a, PROFILE_SIDE_NONE, T0 + S(60), midnight, &st), REST_OK);
    assert_true(rest_wants_warm_up(&st, false));
    assert_false(rest_wants_warm_up(&st, true));
    rest_charge(&b, 1000, &a, PROFILE_SIDE_NONE, S(3), T0 + S(70), midnight);            /* three seconds of calves */
    assert_int_equal(rest_check(&b, 1000, &a, PROFILE_SIDE_NONE, T0 + S(80), midnight, &st), REST_OK);
    assert_false(rest_wants_warm_up(&st, false));
}

/* The left calf's full session leaves the right calf fresh: rest and dose are each side's own. */
static void test_each_side_rests_on_its_own(void **state)
{
    struct profile_area a = calves();
    struct rest_book b;
    struct rest_state st;

    (void)state;
    rest_init(&b);
    rest_charge(&b, 1000, &a, PROFILE_SIDE_LEFT, S(120), T0, TODAY);
    assert_int_equal(rest_check(&b, 1000, &a, PROFILE_SIDE_LEFT, T0, TODAY, &st), REST_RESTING);
    assert_int_equal(st.rest_left_ms, S(900));
    assert_int_equal(rest_check(&b, 1000, &a, PROFILE_SIDE_RIGHT, T0, TODAY, &st), REST_OK);
    assert_int_equal(st.dose_used_ms, 0);
    assert_int_equal(st.allowed_ms, MIN(5));
    /* An area without sides (or a profile that dropped them) counts every side's record. */
    assert_int_equal(rest_check(&b, 1000, &a, PROFILE_SIDE_NONE, T0, TODAY, &st), REST_RESTING);
}

/* Model check: after any restores of records with or without a side, each
 * side rests as long as the longest rest of the records that count for it
 * (its own and those of no side) and has used their running time: a record
 * of no side counts for both sides, never for neither. */
static void test_records_count_for_their_side_and_no_side_for_both(void **state)
{
    struct profile_area a = calves();
    unsigned seed = 20261208;

    (void)state;
    for (int round = 0; round < 500; round++) {
        struct rest_book b;
        uint64_t want_rest[3] = { 0 }, want_used[3] = { 0 }, no_side_rest = 0;
        int n = 1 + (int)(rand_r(&seed) % 10);

        rest_init(&b);
        for (int i = 0; i < n; i++) {
            enum profile_side side = (enum profile_side)(rand_r(&seed) % 3);
            uint64_t until = rand_r(&seed) % 2 ? T0 + S(rand_r(&seed) % 900) : 0;
            uint64_t ran = S(rand_r(&seed) % 40);

            rest_restore(&b, 1000, rand_r(&seed) % 2 ? "calf" : "calves", side, until, ran, (int64_t)T0 - 1000,
                         TODAY);
            if (side == PROFILE_SIDE_NONE && until > T0 && until - T0 > no_side_rest)
                no_side_rest = until - T0;
            for (int q = 0; q < 3; q++) {
                if (!profile_side_covers(side, (enum profile_side)q))
                    continue;
                if (until > T0 && until - T0 > want_rest[q])
                    want_rest[q] = until - T0;
                want_used[q] += ran;
            }
        }
        for (int q = 0; q < 3; q++) {
            struct rest_state st;

            rest_check(&b, 1000, &a, (enum profile_side)q, T0, TODAY, &st);
            assert_int_equal(st.rest_left_ms, want_rest[q]);
            assert_int_equal(st.dose_used_ms, want_used[q]);
            /* Never for neither: each side rests at least as long as the records of no side say. */
            assert_true(st.rest_left_ms >= no_side_rest);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fresh_area_may_start),
        cmocka_unit_test(test_rest_is_proportional),
        cmocka_unit_test(test_charge_and_rest),
        cmocka_unit_test(test_rest_is_per_person),
        cmocka_unit_test(test_daily_dose),
        cmocka_unit_test(test_renamed_area_keeps_rest_and_dose),
        cmocka_unit_test(test_restore_and_a_full_book),
        cmocka_unit_test(test_a_clock_set_back_across_midnight_keeps_the_dose),
        cmocka_unit_test(test_clock_steps_never_hand_out_a_dose_early_nor_lock_out_for_days),
        cmocka_unit_test(test_each_charge_keeps_its_time),
        cmocka_unit_test(test_warm_up_is_per_person_and_area),
        cmocka_unit_test(test_each_side_rests_on_its_own),
        cmocka_unit_test(test_records_count_for_their_side_and_no_side_for_both),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
