/* SPDX-License-Identifier: MIT */
/* test_session.c - cmocka unit tests of the session state machine on a fake clock, plus a seeded randomized invariant test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "knot/control.h"
#include "session.h"

#define T0 1000u                /* fake clock origin: not 0, so absolute/relative mix-ups show */
#define S(x) ((uint64_t)(x) * 1000u)

struct fix {
    struct session s;
    struct session_dev dev;
    uint64_t now;
    char why[256];
};

static struct profile_area mk(const char *name, const char *title, bool gun, unsigned trial, unsigned def,
                              unsigned max, unsigned step, unsigned session, unsigned cool, unsigned force_dn)
{
    struct profile_area a;

    memset(&a, 0, sizeof(a));
    snprintf(a.name, sizeof(a.name), "%s", name);
    snprintf(a.title, sizeof(a.title), "%s", title);
    snprintf(a.tool, sizeof(a.tool), "%s", gun ? "Foam Roller" : "Your Fingers");
    snprintf(a.action, sizeof(a.action), "%s",
             gun ? "Roll slowly." : "Use your opposite hand to apply gentle, sustained pressure for 30 seconds.");
    a.gun_allowed = gun;
    a.start_level = gun ? PROFILE_START_LEVEL : 0;
    a.trial_s = trial;
    a.default_level = def;
    a.max_level = max;
    a.step_s = step;
    a.session_s = session;
    a.cooldown_s = cool;
    a.force_max_dn = force_dn;
    return a;
}

static struct profile_area calves(void)
{
    return mk("calves", "Calves", true, 15, 2, 3, 10, 120, 600, 250);
}

static struct profile_area neck(void)
{
    return mk("neck", "Neck", false, 0, 0, 0, 0, 0, 0, 0);
}

static int setup(void **state)
{
    static struct fix f;

    memset(&f, 0, sizeof(f));
    session_init(&f.s);
    f.now = T0;
    *state = &f;
    return 0;
}

/* A device that acknowledges every level the moment it is commanded: the
 * ack time is the change's own, so it never moves a step or the trial. */
static void ack_now(struct fix *f)
{
    session_level_applied(&f->s, session_level(&f->s), f->s.step_ms);
}

/* Start, and the device takes level 1 at once (tests of late acks ack
 * later themselves: a later ack still moves the trial). */
static int start(struct fix *f, const struct profile_area *a, unsigned dev_levels, unsigned req)
{
    int rc = session_start(&f->s, &f->dev, a, dev_levels, req, f->now, f->why, sizeof(f->why));

    if (rc == 0)
        ack_now(f);
    return rc;
}

/* Advance the fake clock to T0 + ms and tick with the given readings; the
 * device has acknowledged the current level (tests of late acks call
 * session_level_applied themselves first). */
static void tick_at(struct fix *f, uint64_t ms, uint16_t force_dn, uint16_t faults)
{
    struct session_input in = { force_dn, faults };

    ack_now(f);
    f->now = T0 + ms;
    session_tick(&f->s, &f->dev, &in, f->now);
}

static void expect_why(struct fix *f, const char *want)
{
    if (!strstr(f->why, want))
        print_error("why \"%s\" lacks \"%s\"\n", f->why, want);
    assert_non_null(strstr(f->why, want));
}

static void test_neck_refused(void **state)
{
    struct fix *f = *state;
    struct profile_area a = neck();

    assert_int_equal(start(f, &a, 8, 0), SESSION_R_NOT_ALLOWED);
    assert_string_equal(f->why, "the percussion massager is not recommended on the neck; use your fingers: "
                                "Use your opposite hand to apply gentle, sustained pressure for 30 seconds.");
    assert_false(session_running(&f->s));
    assert_int_equal(session_level(&f->s), 0);
    assert_int_equal(f->s.phase, SESSION_IDLE);
    assert_int_equal(session_next_ms(&f->s), UINT64_MAX);
}

static void test_start_trial_hold(void **state)
{
    struct fix *f = *state;
    struct profile_area a = calves();

    assert_int_equal(start(f, &a, 8, 0), 0);
    expect_why(f, "calves: level 1 for 15 s (trial)");
    assert_true(session_running(&f->s));
    assert_int_equal(f->s.phase, SESSION_TRIAL);
    assert_int_equal(session_level(&f->s), 1);
    assert_int_equal(f->s.target, 2);
    assert_int_equal(f->s.max_level, 3);
    assert_int_equal(f->s.start_ms, T0);
    assert_int_equal(session_next_ms(&f->s), T0 + S(15));
    assert_int_equal(session_trial_left_s(&f->s, f->now), 15);
    assert_int_equal(session_left_s(&f->s, f->now), 120);

    tick_at(f, S(15) - 1, 0, 0);
    assert_int_equal(f->s.phase, SESSION_TRIAL);
    assert_int_equal(session_level(&f->s), 1);
    assert_int_equal(session_trial_left_s(&f->s, f->now), 1);

    /* The trial is the first step: level 2 at its end, which is the target. */
    tick_at(f, S(15), 0, 0);
    assert_int_equal(f->s.phase, SESSION_HOLD);
    assert_int_equal(session_level(&f->s), 2);
    assert_int_equal(session_trial_left_s(&f->s, f->now), 0);
    assert_int_equal(session_next_ms(&f->s), T0 + S(120));
    assert_string_equal(session_phase_name(f->s.phase), "hold");
}

static void test_ramp(void **state)
{
    struct fix *f = *state;
    struct profile_area a = calves();

    assert_int_equal(start(f, &a, 8, 3), 0);
    assert_int_equal(f->s.target, 3);
    tick_at(f, S(15), 0, 0);
    assert_int_equal(f->s.phase, SESSION_RAMP);
    assert_int_equal(session_level(&f->s), 2);
    /* until the device has acknowledged level 2, no further step is due */
    assert_int_equal(session_next_ms(&f->s), T0 + S(120));
    ack_now(f);
    assert_int_equal(session_next_ms(&f->s), T0 + S(25));
    tick_at(f, S(25) - 1, 0, 0);
    assert_int_equal(session_level(&f->s), 2);
    tick_at(f, S(25), 0, 0);
    assert_int_equal(session_level(&f->s), 3);
    assert_int_equal(f->s.phase, SESSION_HOLD);
    tick_at(f, S(60), 0, 0);
    assert_int_equal(session_level(&f->s), 3);
}

static void test_step_longer_than_trial(void **state)
{
    struct fix *f = *state;
    struct profile_area a = mk("slow", "Slow", true, 10, 3, 3, 20, 200, 0, 250);

    /* Never two level changes closer than step_s, not even start and first raise. */
    assert_int_equal(start(f, &a, 8, 0), 0);
    tick_at(f, S(10), 0, 0);
    assert_int_equal(f->s.phase, SESSION_RAMP);
    assert_int_equal(session_level(&f->s), 1);
    assert_int_equal(session_next_ms(&f->s), T0 + S(20));
    tick_at(f, S(20), 0, 0);
    assert_int_equal(session_level(&f->s), 2);
    tick_at(f, S(39), 0, 0);
    assert_int_equal(session_level(&f->s), 2);
    tick_at(f, S(40), 0, 0);
    assert_int_equal(session_level(&f->s), 3);
}

static void test_up_down_in_trial(void **state)
{
    struct fix *f = *state;
    struct profile_area a = calves();

    assert_int_equal(start(f, &a, 8, 3), 0);
    tick_at(f, S(5), 0, 0);
    assert_int_equal(session_up(&f->s, f->now, f->why, sizeof(f->why)), SESSION_R_TRIAL);
    assert_string_equal(f->why, "trial: staying at level 1 for 10 more s");
    tick_at(f, S(5) + 1, 0, 0);
    assert_int_equal(session_up(&f->s, f->now, f->why, sizeof(f->why)), SESSION_R_TRIAL);
    assert_string_equal(f->why, "trial: staying at level 1 for 10 more s");
    assert_int_equal(session_down(&f->s, f->now, f->why, sizeof(f->why)), 0);
    assert_int_equal(f->s.target, 2);
    assert_int_equal(session_level(&f->s), 1);
    assert_int_equal(session_down(&f->s, f->now, f->why, sizeof(f->why)), 0);
    assert_int_equal(f->s.target, 1);
    assert_int_equal(session_down(&f->s, f->now, f->why, sizeof(f->why)), SESSION_R_LIMIT);
    expect_why(f, "level 1 is the lowest");
    assert_int_equal(f->s.target, 1);
    assert_int_equal(session_level(&f->s), 1);
    /* Target 1: the trial ends in hold at level 1. */
    tick_at(f, S(15), 0, 0);
    assert_int_equal(f->s.phase, SESSION_HOLD);
    assert_int_equal(session_level(&f->s), 1);
}

static void test_up_in_hold_and_limit(void **state)
{
    struct fix *f = *state;
    struct profile_area a = calves();

    assert_int_equal(start(f, &a, 8, 0), 0);
    tick_at(f, S(15), 0, 0);
    assert_int_equal(session_level(&f->s), 2);
    /* up right after a raise: the level follows one step_s after the last change. */
    assert_int_equal(session_up(&f->s, f->now, f->why, sizeof(f->why)), 0);
    assert_int_equal(f->s.target, 3);
    assert_int_equal(f->s.phase, SESSION_RAMP);
    assert_int_equal(session_level(&f->s), 2);
    ack_now(f);
    assert_int_equal(session_next_ms(&f->s), T0 + S(25));
    tick_at(f, S(24), 0, 0);
    assert_int_equal(session_level(&f->s), 2);
    tick_at(f, S(25), 0, 0);
    assert_int_equal(session_level(&f->s), 3);
    assert_int_equal(f->s.phase, SESSION_HOLD);

    assert_int_equal(session_up(&f->s, f->now, f->why, sizeof(f->why)), SESSION_R_LIMIT);
    assert_string_equal(f->why, "level 4 is above the limit 3 for calves");
    assert_int_equal(f->s.target, 3);

    /* down is immediate, and re-arms the step timer. */
    tick_at(f, S(50), 0, 0);
    assert_int_equal(session_down(&f->s, f->now, f->why, sizeof(f->why)), 0);
    assert_int_equal(session_level(&f->s), 2);
    assert_int_equal(f->s.phase, SESSION_HOLD);
    assert_int_equal(session_up(&f->s, f->now, f->why, sizeof(f->why)), 0);
    tick_at(f, S(59), 0, 0);
    assert_int_equal(session_level(&f->s), 2);
    tick_at(f, S(60), 0, 0);
    assert_int_equal(session_level(&f->s), 3);
    /* A long hold: up is followed at the next tick. */
    tick_at(f, S(80), 0, 0);
    assert_int_equal(session_down(&f->s, f->now, f->why, sizeof(f->why)), 0);
    tick_at(f, S(95), 0, 0);
    assert_int_equal(session_up(&f->s, f->now, f->why, sizeof(f->why)), 0);
    assert_true(session_next_ms(&f->s) <= f->now);
    tick_at(f, S(95), 0, 0);
    assert_int_equal(session_level(&f->s), 3);
}

static void test_down_in_ramp(void **state)
{
    struct fix *f = *state;
    struct profile_area a = mk("glutes-hips", "Glutes/Hips", true, 15, 2, 4, 10, 120, 600, 300);

    assert_int_equal(start(f, &a, 8, 4), 0);
    tick_at(f, S(15), 0, 0);
    tick_at(f, S(25), 0, 0);
    assert_int_equal(session_level(&f->s), 3);
    assert_int_equal(f->s.phase, SESSION_RAMP);
    assert_int_equal(session_down(&f->s, f->now, f->why, sizeof(f->why)), 0);
    assert_int_equal(f->s.target, 3);
    assert_int_equal(session_level(&f->s), 3);
    assert_int_equal(f->s.phase, SESSION_HOLD);
    assert_int_equal(session_down(&f->s, f->now, f->why, sizeof(f->why)), 0);
    assert_int_equal(session_level(&f->s), 2);
}

static void test_ouch(void **state)
{
    struct fix *f = *state;
    struct profile_area a = calves();

    assert_int_equal(start(f, &a, 8, 3), 0);
    tick_at(f, S(15), 0, 0);
    tick_at(f, S(25), 0, 0);
    assert_int_equal(session_level(&f->s), 3);
    tick_at(f, S(30), 0, 0);
    assert_int_equal(session_ouch(&f->s, f->now, f->why, sizeof(f->why)), 0);
    assert_string_equal(f->why, "backing off to level 1; trial restarts (15 s)");
    assert_int_equal(session_level(&f->s), 1);
    assert_int_equal(f->s.phase, SESSION_TRIAL);
    assert_int_equal(f->s.target, 2);
    assert_int_equal(f->s.ouches, 1);
    assert_int_equal(session_trial_left_s(&f->s, f->now), 15);
    ack_now(f);
    assert_int_equal(session_next_ms(&f->s), T0 + S(45));
    tick_at(f, S(44), 0, 0);
    assert_int_equal(session_level(&f->s), 1);
    tick_at(f, S(45), 0, 0);
    assert_int_equal(session_level(&f->s), 2);
    assert_int_equal(f->s.phase, SESSION_HOLD);

    /* In the trial: target 1 (below where it hurt), trial restarts. */
    assert_int_equal(session_ouch(&f->s, f->now, f->why, sizeof(f->why)), 0);
    assert_int_equal(f->s.target, 1);
    tick_at(f, S(50), 0, 0);
    /* Again at level 1, where the last ouch left it: the end is asked for, nothing changes here. */
    assert_int_equal(session_ouch(&f->s, f->now, f->why, sizeof(f->why)), SESSION_PAIN_STOP);
    assert_int_equal(f->s.target, 1);
    assert_int_equal(f->s.ouches, 2);
    assert_int_equal(session_trial_left_s(&f->s, f->now), 10);
    tick_at(f, S(65), 0, 0);
    assert_int_equal(f->s.phase, SESSION_HOLD);
    assert_int_equal(session_level(&f->s), 1);
    /* The session end does not move. */
    assert_int_equal(session_left_s(&f->s, f->now), 55);
}

static void test_ouch_target_lower_than_level(void **state)
{
    struct fix *f = *state;
    struct profile_area a = mk("big", "Big", true, 10, 5, 8, 5, 300, 0, 300);

    assert_int_equal(start(f, &a, 8, 5), 0);
    tick_at(f, S(10), 0, 0);
    tick_at(f, S(15), 0, 0);
    assert_int_equal(session_level(&f->s), 3);
    /* Ramping 3 -> 5: ouch aims below where it hurt, at 2. */
    assert_int_equal(session_ouch(&f->s, f->now, f->why, sizeof(f->why)), 0);
    assert_int_equal(f->s.target, 2);
}

static void test_ran_ms_counts_the_running_time(void **state)
{
    struct fix *f = *state;
    struct profile_area a = calves();

    assert_int_equal(start(f, &a, 8, 0), 0);
    tick_at(f, S(10), 0, 0);
    assert_int_equal(f->s.ran_ms, S(10));
    tick_at(f, S(40), 0, 0);
    assert_int_equal(f->s.ran_ms, S(40));
    session_stop(&f->s, &f->dev, SESSION_END_STOPPED, T0 + S(41));
    assert_int_equal(f->s.ran_ms, S(41));
    /* ended: nothing more counts */
    tick_at(f, S(100), 0, 0);
    assert_int_equal(f->s.ran_ms, S(41));
}

static void test_stop(void **state)
{
    struct fix *f = *state;
    struct profile_area a = calves();

    assert_int_equal(start(f, &a, 8, 0), 0);
    tick_at(f, S(30), 0, 0);
    session_stop(&f->s, &f->dev, SESSION_END_STOPPED, f->now);
    assert_false(session_running(&f->s));
    assert_int_equal(session_level(&f->s), 0);
    assert_int_equal(f->s.phase, SESSION_ENDED);
    assert_int_equal(f->s.end, SESSION_END_STOPPED);
    assert_string_equal(session_end_name(f->s.end), "stopped");
    assert_int_equal(session_next_ms(&f->s), UINT64_MAX);
    assert_int_equal(session_left_s(&f->s, f->now), 0);
    /* Stop again: no-op. */
    session_stop(&f->s, &f->dev, SESSION_END_SHUTDOWN, f->now + 5);
    assert_int_equal(f->s.end, SESSION_END_STOPPED);

    /* The area's rest is the owner's business now (rest.c): the engine starts it again. */
    assert_int_equal(start(f, &a, 8, 0), 0);
}

static void test_not_running(void **state)
{
    struct fix *f = *state;

    assert_int_equal(session_up(&f->s, f->now, f->why, sizeof(f->why)), SESSION_R_NOT_RUNNING);
    assert_string_equal(f->why, "no session is running");
    assert_int_equal(session_down(&f->s, f->now, f->why, sizeof(f->why)), SESSION_R_NOT_RUNNING);
    assert_int_equal(session_ouch(&f->s, f->now, f->why, sizeof(f->why)), SESSION_R_NOT_RUNNING);
    session_stop(&f->s, &f->dev, SESSION_END_STOPPED, f->now);
    assert_int_equal(f->s.phase, SESSION_IDLE);
    tick_at(f, S(1), 0, 1);
    assert_int_equal(f->s.phase, SESSION_IDLE);
    assert_int_equal(session_next_ms(&f->s), UINT64_MAX);
    assert_int_equal(session_left_s(&f->s, f->now), 0);
    assert_int_equal(session_trial_left_s(&f->s, f->now), 0);
    /* NULL why is fine. */
    assert_int_equal(session_up(&f->s, f->now, NULL, 0), SESSION_R_NOT_RUNNING);
}

static void test_done(void **state)
{
    struct fix *f = *state;
    struct profile_area a = calves();

    assert_int_equal(start(f, &a, 8, 0), 0);
    tick_at(f, S(15), 0, 0);
    tick_at(f, S(120) - 1, 0, 0);
    assert_true(session_running(&f->s));
    assert_int_equal(session_left_s(&f->s, f->now), 1);
    assert_int_equal(session_next_ms(&f->s), T0 + S(120));
    tick_at(f, S(120), 0, 0);
    assert_false(session_running(&f->s));
    assert_int_equal(f->s.phase, SESSION_ENDED);
    assert_int_equal(f->s.end, SESSION_END_DONE);
    assert_int_equal(session_level(&f->s), 0);
    assert_int_equal(f->dev.run_ms, S(120));
    assert_int_equal(f->s.ran_ms, S(120));
}

static void test_fault(void **state)
{
    struct fix *f = *state;
    struct profile_area a = calves();

    assert_int_equal(start(f, &a, 8, 0), 0);
    tick_at(f, S(20), 0, 0);
    assert_int_equal(session_level(&f->s), 2);
    tick_at(f, S(20) + 50, 0, KNOT_FAULT_OVERTEMP);
    assert_false(session_running(&f->s));
    assert_int_equal(session_level(&f->s), 0);
    assert_int_equal(f->s.end, SESSION_END_FAULT);
    assert_string_equal(session_end_name(f->s.end), "fault");
}

static void test_force(void **state)
{
    struct fix *f = *state;
    struct profile_area a = calves();

    assert_int_equal(start(f, &a, 8, 3), 0);
    tick_at(f, S(15), 0, 0);
    assert_int_equal(session_level(&f->s), 2);
    /* Over the limit from 20 s: not yet a warning. */
    tick_at(f, S(20), 251, 0);
    assert_false(f->s.force_warning);
    assert_int_equal(session_next_ms(&f->s), T0 + S(25));   /* the grace needs a reading, not a tick */
    tick_at(f, S(21) - 1, 400, 0);
    assert_false(f->s.force_warning);
    tick_at(f, S(21), 300, 0);
    assert_true(f->s.force_warning);
    /* The ramp holds while warning, whatever the time and the clients say. */
    tick_at(f, S(25), 300, 0);
    tick_at(f, S(40), 300, 0);
    assert_int_equal(session_level(&f->s), 2);
    assert_int_equal(session_up(&f->s, f->now, f->why, sizeof(f->why)), SESSION_R_LIMIT);
    assert_int_equal(session_next_ms(&f->s), T0 + S(120));
    /* Exactly at the limit clears it; the ramp goes on. */
    tick_at(f, S(41), 250, 0);
    assert_false(f->s.force_warning);
    assert_int_equal(f->s.force_over_ms, 0);
    assert_int_equal(session_level(&f->s), 3);

    /* A short press over the limit does not warn. */
    tick_at(f, S(50), 260, 0);
    tick_at(f, S(50) + 900, 260, 0);
    tick_at(f, S(50) + 950, 100, 0);
    tick_at(f, S(51) + 100, 260, 0);
    assert_false(f->s.force_warning);
    /* down works while warning. */
    tick_at(f, S(53), 260, 0);
    assert_true(f->s.force_warning);
    assert_int_equal(session_down(&f->s, f->now, f->why, sizeof(f->why)), 0);
    assert_int_equal(session_level(&f->s), 2);
    assert_int_equal(session_up(&f->s, f->now, f->why, sizeof(f->why)), 0);
    expect_why(f, "pressing too hard");
    tick_at(f, S(70), 260, 0);
    assert_int_equal(session_level(&f->s), 2);
    /* No reading (NULL input) keeps the state. */
    session_tick(&f->s, &f->dev, NULL, T0 + S(80));
    assert_true(f->s.force_warning);
    assert_int_equal(session_level(&f->s), 2);
}

static void test_force_at_time_zero(void **state)
{
    struct fix *f = *state;
    struct profile_area a = calves();
    struct session_input in = { 300, 0 };

    assert_int_equal(session_start(&f->s, &f->dev, &a, 8, 0, 0, f->why, sizeof(f->why)), 0);
    session_tick(&f->s, &f->dev, &in, 0);
    assert_int_not_equal(f->s.force_over_ms, 0);
    session_tick(&f->s, &f->dev, &in, SESSION_FORCE_GRACE_MS + 1);
    assert_true(f->s.force_warning);
}

static void test_running_refusals(void **state)
{
    struct fix *f = *state;
    struct profile_area a = calves(), b = mk("quads", "Quads", true, 15, 2, 3, 10, 120, 600, 300), n = neck();

    assert_int_equal(start(f, &a, 8, 0), 0);
    tick_at(f, S(16), 0, 0);
    assert_int_equal(start(f, &a, 8, 3), SESSION_SAME_AREA);
    assert_int_equal(f->s.target, 2);
    assert_int_equal(session_level(&f->s), 2);
    assert_int_equal(start(f, &b, 8, 0), SESSION_R_BUSY);
    assert_string_equal(f->why, "Calves session is running; stop it first");
    assert_int_equal(start(f, &n, 8, 0), SESSION_R_NOT_ALLOWED);
    expect_why(f, "use your fingers");
    assert_true(session_running(&f->s));
    assert_string_equal(f->s.area.name, "calves");
}

static void test_level_range(void **state)
{
    struct fix *f = *state;
    struct profile_area a = calves();

    assert_int_equal(start(f, &a, 8, 4), SESSION_R_LIMIT);
    assert_string_equal(f->why, "level 4 is above the limit 3 for calves");
    assert_false(session_running(&f->s));
    assert_int_equal(start(f, &a, 8, 3), 0);
    assert_int_equal(f->s.target, 3);
}

static void test_device_fewer_levels(void **state)
{
    struct fix *f = *state;
    struct profile_area a = mk("glutes-hips", "Glutes/Hips", true, 15, 3, 4, 10, 120, 0, 300);

    assert_int_equal(start(f, &a, 2, 3), SESSION_R_LIMIT);
    assert_string_equal(f->why, "level 3 is above the limit 2 for glutes-hips");
    assert_int_equal(start(f, &a, 2, 0), 0);
    assert_int_equal(f->s.max_level, 2);
    assert_int_equal(f->s.target, 2);       /* default 3 clamped */
    tick_at(f, S(15), 0, 0);
    assert_int_equal(session_level(&f->s), 2);
    assert_int_equal(session_up(&f->s, f->now, f->why, sizeof(f->why)), SESSION_R_LIMIT);
    assert_string_equal(f->why, "level 3 is above the limit 2 for glutes-hips");
    session_stop(&f->s, &f->dev, SESSION_END_UNPLUG, f->now);
    assert_string_equal(session_end_name(f->s.end), "unplugged");

    /* A device reporting 0 levels is treated as 1. */
    assert_int_equal(start(f, &a, 0, 0), 0);
    assert_int_equal(f->s.max_level, 1);
    assert_int_equal(f->s.target, 1);
    tick_at(f, S(40), 0, 0);
    assert_int_equal(f->s.phase, SESSION_HOLD);
    assert_int_equal(session_level(&f->s), 1);
}

static void test_ceiling(void **state)
{
    struct fix *f = *state;
    struct profile_area a = mk("a", "A", true, 10, 1, 1, 5, 300, 0, 300);
    struct profile_area b = mk("b", "B", true, 10, 1, 1, 5, 300, 0, 300);
    struct profile_area c = mk("c", "C", true, 10, 1, 1, 5, 300, 0, 300);

    /* 300 + 50 + 250 s with rests shorter than 2 min reach the 10 min ceiling. */
    assert_int_equal(start(f, &a, 8, 0), 0);
    tick_at(f, S(300), 0, 0);
    assert_int_equal(f->s.end, SESSION_END_DONE);
    assert_int_equal(f->dev.run_ms, S(300));
    assert_int_equal(start(f, &b, 8, 0), 0);
    tick_at(f, S(350), 0, 0);
    session_stop(&f->s, &f->dev, SESSION_END_STOPPED, f->now);
    assert_int_equal(f->dev.run_ms, S(350));
    tick_at(f, S(360), 0, 0);
    assert_int_equal(start(f, &a, 8, 0), 0);
    tick_at(f, S(610) - 1, 0, 0);
    assert_true(session_running(&f->s));
    tick_at(f, S(610), 0, 0);
    assert_false(session_running(&f->s));
    assert_int_equal(f->s.end, SESSION_END_CEILING);
    assert_string_equal(session_end_name(f->s.end), "ceiling");
    assert_int_equal(f->dev.run_ms, SESSION_CEILING_MS);

    /* No area may start until the device has rested. */
    assert_int_equal(start(f, &c, 8, 0), SESSION_R_DEVICE_RESTING);
    assert_string_equal(f->why, "the massager needs 120 more s of rest");
    f->now = T0 + S(610) + SESSION_REST_MS - 1;
    assert_int_equal(start(f, &c, 8, 0), SESSION_R_DEVICE_RESTING);
    assert_string_equal(f->why, "the massager needs 1 more s of rest");
    f->now = T0 + S(610) + SESSION_REST_MS;
    assert_int_equal(start(f, &c, 8, 0), 0);
    assert_int_equal(f->dev.run_ms, 0);
}

static void test_late_tick_end_before_ceiling(void **state)
{
    struct fix *f = *state;
    struct profile_area a = mk("a", "A", true, 10, 1, 1, 5, 300, 0, 300);

    f->dev.run_ms = S(400);
    f->dev.last_run_ms = T0;
    assert_int_equal(start(f, &a, 8, 0), 0);
    /* The ceiling (at 200 s) came before the session's end (at 300 s). */
    tick_at(f, S(350), 0, 0);
    assert_int_equal(f->s.end, SESSION_END_CEILING);
    f->dev.run_ms = S(100);
    f->now = T0 + S(1000);
    assert_int_equal(start(f, &a, 8, 0), 0);
    f->dev.run_ms = S(100);     /* as if run before, within the rest time */
    /* Ended at 1300 s, the ceiling would be at 1500 s: done, though the
     * account passed the ceiling by the late tick. */
    tick_at(f, S(1600), 0, 0);
    assert_int_equal(f->s.end, SESSION_END_DONE);
    assert_true(f->dev.run_ms >= SESSION_CEILING_MS);
}

static void test_ceiling_counts_stop_and_partial_rest(void **state)
{
    struct fix *f = *state;
    struct profile_area a = mk("a", "A", true, 10, 1, 1, 5, 300, 0, 300);

    assert_int_equal(start(f, &a, 8, 0), 0);
    tick_at(f, S(100), 0, 0);
    f->now = T0 + S(150);
    session_stop(&f->s, &f->dev, SESSION_END_STOPPED, f->now);
    assert_int_equal(f->dev.run_ms, S(150));
    assert_int_equal(f->dev.last_run_ms, T0 + S(150));
    /* A rest shorter than SESSION_REST_MS keeps the account... */
    f->now = T0 + S(150) + SESSION_REST_MS - 1;
    assert_int_equal(start(f, &a, 8, 0), 0);
    assert_int_equal(f->dev.run_ms, S(150));
    session_stop(&f->s, &f->dev, SESSION_END_STOPPED, f->now + S(10));
    assert_int_equal(f->dev.run_ms, S(160));
    /* ...a full one wipes it. */
    f->now += S(10) + SESSION_REST_MS;
    assert_int_equal(start(f, &a, 8, 0), 0);
    assert_int_equal(f->dev.run_ms, 0);
}

static void test_time_backward_and_jumps(void **state)
{
    struct fix *f = *state;
    struct profile_area a = mk("big", "Big", true, 10, 8, 8, 5, 300, 0, 300);

    assert_int_equal(start(f, &a, 8, 0), 0);
    tick_at(f, S(5), 0, 0);
    /* Backward: no elapsed time, nothing undone. */
    tick_at(f, S(1), 0, 0);
    assert_int_equal(f->dev.run_ms, S(5));
    assert_int_equal(session_trial_left_s(&f->s, f->now), 5);
    assert_int_equal(session_up(&f->s, f->now, f->why, sizeof(f->why)), SESSION_R_TRIAL);
    expect_why(f, "5 more s");
    /* Far forward within the session: one level per call only. */
    tick_at(f, S(200), 0, 0);
    assert_int_equal(session_level(&f->s), 2);
    tick_at(f, S(200), 0, 0);
    assert_int_equal(session_level(&f->s), 2);      /* idempotent */
    tick_at(f, S(201), 0, 0);
    assert_int_equal(session_level(&f->s), 2);
    tick_at(f, S(205), 0, 0);
    assert_int_equal(session_level(&f->s), 3);
    /* Backward then forward again: the step counts from the latest time seen. */
    tick_at(f, S(100), 0, 0);
    tick_at(f, S(209), 0, 0);
    assert_int_equal(session_level(&f->s), 3);
    /* A jump past the end ends it. */
    tick_at(f, S(1000), 0, 0);
    assert_false(session_running(&f->s));
    assert_int_equal(f->s.end, SESSION_END_DONE);
    assert_int_equal(session_level(&f->s), 0);
}

static void test_trial_elapsed_before_tick(void **state)
{
    struct fix *f = *state;
    struct profile_area a = calves();

    assert_int_equal(start(f, &a, 8, 2), 0);
    /* The trial is over but no tick has come yet: up is accepted. */
    f->now = T0 + S(16);
    assert_int_equal(session_up(&f->s, f->now, f->why, sizeof(f->why)), 0);
    assert_int_equal(f->s.target, 3);
    tick_at(f, S(16), 0, 0);
    assert_int_equal(session_level(&f->s), 2);
    assert_int_equal(f->s.phase, SESSION_RAMP);
}

static void test_invalid_area(void **state)
{
    struct fix *f = *state;
    struct profile_area a = calves();

    a.start_level = 2;
    assert_int_equal(start(f, &a, 8, 0), SESSION_R_INVALID);
    a = calves();
    a.trial_s = 5;
    assert_int_equal(start(f, &a, 8, 0), SESSION_R_INVALID);
    a = calves();
    a.force_max_dn = 0;
    assert_int_equal(start(f, &a, 8, 0), SESSION_R_INVALID);
    assert_false(session_running(&f->s));
    assert_int_equal(session_start(&f->s, &f->dev, NULL, 8, 0, f->now, f->why, sizeof(f->why)), SESSION_R_INVALID);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(session_phase_name(SESSION_IDLE), "idle");
    assert_string_equal(session_phase_name(SESSION_TRIAL), "trial");
    assert_string_equal(session_phase_name(SESSION_RAMP), "ramp");
    assert_string_equal(session_phase_name(SESSION_HOLD), "hold");
    assert_string_equal(session_phase_name(SESSION_ENDED), "ended");
    assert_string_equal(session_phase_name(SESSION_WAIT), KNOT_PHASE_WAIT);
    assert_string_equal(session_end_name(SESSION_END_NONE), "");
    assert_string_equal(session_end_name(SESSION_END_DONE), "done");
    assert_string_equal(session_end_name(SESSION_END_STOPPED), "stopped");
    assert_string_equal(session_end_name(SESSION_END_FAULT), "fault");
    assert_string_equal(session_end_name(SESSION_END_UNPLUG), "unplugged");
    assert_string_equal(session_end_name(SESSION_END_LOST), "lost-contact");
    assert_string_equal(session_end_name(SESSION_END_CEILING), "ceiling");
    assert_string_equal(session_end_name(SESSION_END_SHUTDOWN), "shutdown");
    assert_string_equal(session_end_name(SESSION_END_REFUSED), "refused");
    assert_string_equal(session_end_name(SESSION_END_PAIN), KNOT_END_PAIN);
    assert_string_equal(session_end_name(SESSION_END_DISCONNECTED), KNOT_END_DISCONNECTED);
    assert_string_equal(session_end_name(SESSION_END_RED_FLAG), KNOT_END_RED_FLAG);
    /* Stronger is the owner's or root's only. */
    assert_true(session_may_raise(1000, 1000));
    assert_true(session_may_raise(1000, 0));
    assert_false(session_may_raise(1000, 1001));
    assert_false(session_may_raise(0, 1000));
    assert_true(strstr(session_end_advice(SESSION_END_RED_FLAG), "red flag") != NULL);
}

/* With ask, the trial ends in the wait phase: level 1 until the person's
 * go-ahead, however long, and up only moves the target. */
static void test_ask_waits_at_level_1_until_go(void **state)
{
    struct fix *f = *state;
    struct profile_area a = calves();

    assert_int_equal(session_ask(&f->s), SESSION_R_NOT_RUNNING);
    assert_int_equal(start(f, &a, 8, 0), 0);
    assert_int_equal(session_ask(&f->s), 0);
    assert_int_equal(session_go(&f->s, f->now, f->why, sizeof(f->why)), SESSION_R_TRIAL);
    assert_string_equal(f->why, "trial: staying at level 1 for 15 more s");
    tick_at(f, S(15), 0, 0);
    assert_int_equal(f->s.phase, SESSION_WAIT);
    assert_string_equal(session_phase_name(f->s.phase), "wait");
    assert_true(session_running(&f->s));
    assert_int_equal(session_level(&f->s), 1);
    assert_int_equal(session_trial_left_s(&f->s, f->now), 0);
    /* Nothing to do but the session's end: no wake-ups while waiting. */
    assert_int_equal(session_next_ms(&f->s), T0 + S(120));
    tick_at(f, S(60), 0, 0);
    assert_int_equal(f->s.phase, SESSION_WAIT);
    assert_int_equal(session_level(&f->s), 1);
    assert_int_equal(session_up(&f->s, f->now, f->why, sizeof(f->why)), 0);
    assert_string_equal(f->why, "target level 3; staying at level 1 until the go-ahead");
    assert_int_equal(f->s.target, 3);
    tick_at(f, S(61), 0, 0);
    assert_int_equal(f->s.phase, SESSION_WAIT);
    assert_int_equal(session_level(&f->s), 1);
    assert_int_equal(session_down(&f->s, f->now, f->why, sizeof(f->why)), 0);
    assert_int_equal(session_level(&f->s), 1);
    assert_int_equal(f->s.phase, SESSION_WAIT);

    /* The go-ahead: the first raise is due at once (level 1 ran far longer than a step). */
    assert_int_equal(session_go(&f->s, f->now, f->why, sizeof(f->why)), 0);
    assert_string_equal(f->why, "going on: up to level 2, at most one level per 10 s");
    assert_int_equal(f->s.phase, SESSION_RAMP);
    assert_true(session_next_ms(&f->s) <= f->now);
    tick_at(f, S(61), 0, 0);
    assert_int_equal(session_level(&f->s), 2);
    assert_int_equal(f->s.phase, SESSION_HOLD);
    assert_int_equal(session_go(&f->s, f->now, f->why, sizeof(f->why)), SESSION_R_NOT_WAITING);
    assert_string_equal(f->why, "the ramp has begun already");

    /* ask holds for the session: the trial after an ouch ends in a wait too. */
    assert_int_equal(session_ouch(&f->s, f->now, f->why, sizeof(f->why)), 0);
    tick_at(f, S(76), 0, 0);
    assert_int_equal(f->s.phase, SESSION_WAIT);
    assert_int_equal(session_level(&f->s), 1);
    /* Without a go-ahead it stays at level 1 until the session's time is up. */
    tick_at(f, S(120) - 1, 0, 0);
    assert_int_equal(f->s.phase, SESSION_WAIT);
    assert_int_equal(session_level(&f->s), 1);
    tick_at(f, S(120), 0, 0);
    assert_int_equal(f->s.phase, SESSION_ENDED);
    assert_int_equal(f->s.end, SESSION_END_DONE);
    assert_int_equal(session_go(&f->s, f->now, f->why, sizeof(f->why)), SESSION_R_NOT_RUNNING);
}

/* A go-ahead with the target at level 1 holds there; a session that was
 * never asked refuses go. */
static void test_go_to_hold_and_without_ask(void **state)
{
    struct fix *f = *state;
    struct profile_area a = calves();

    assert_int_equal(start(f, &a, 8, 1), 0);
    assert_int_equal(session_ask(&f->s), 0);
    tick_at(f, S(15), 0, 0);
    assert_int_equal(f->s.phase, SESSION_WAIT);
    assert_int_equal(session_go(&f->s, f->now, f->why, sizeof(f->why)), 0);
    assert_string_equal(f->why, "going on at level 1");
    assert_int_equal(f->s.phase, SESSION_HOLD);
    assert_int_equal(session_level(&f->s), 1);
    session_stop(&f->s, &f->dev, SESSION_END_STOPPED, f->now);

    f->now = T0 + S(2000);
    assert_int_equal(start(f, &a, 8, 0), 0);
    assert_false(f->s.ask);   /* a new session does not inherit it */
    assert_int_equal(session_go(&f->s, f->now, f->why, sizeof(f->why)), SESSION_R_TRIAL);
    tick_at(f, S(2015), 0, 0);
    assert_int_equal(f->s.phase, SESSION_HOLD);
    assert_int_equal(session_level(&f->s), 2);
    assert_int_equal(session_go(&f->s, f->now, f->why, sizeof(f->why)), SESSION_R_NOT_WAITING);
    assert_string_equal(f->why, "this session does not wait for a go-ahead");
}

#define PAIN_ADVICE \
    "Stop for today: the massager stays off this area until tomorrow. If the pain was sharp or sudden, or there " \
    "is swelling, bruising or weakness, see a doctor."

/* A second ouch at level 1 (the trial, the wait) asks for the end; a rise
 * in between makes the next ouch a first one again. */
static void test_second_ouch_at_level_1(void **state)
{
    struct fix *f = *state;
    struct profile_area a = calves();

    assert_int_equal(start(f, &a, 8, 3), 0);
    tick_at(f, S(5), 0, 0);
    /* Pain in the first trial: back off, which at level 1 means the trial again. */
    assert_int_equal(session_ouch(&f->s, f->now, f->why, sizeof(f->why)), 0);
    assert_int_equal(f->s.target, 1);
    assert_int_equal(session_ouch(&f->s, f->now, f->why, sizeof(f->why)), SESSION_PAIN_STOP);
    assert_string_equal(f->why, PAIN_ADVICE);
    assert_int_equal(f->s.phase, SESSION_TRIAL);
    assert_int_equal(session_level(&f->s), 1);
    assert_int_equal(f->s.target, 1);
    assert_int_equal(f->s.ouches, 1);
    session_stop(&f->s, &f->dev, SESSION_END_PAIN, f->now);
    assert_int_equal(f->s.end, SESSION_END_PAIN);
    assert_string_equal(session_end_name(f->s.end), "pain");
    assert_string_equal(session_end_advice(f->s.end), PAIN_ADVICE);
    assert_string_equal(session_end_advice(SESSION_END_DONE), "");
    assert_int_equal(session_level(&f->s), 0);
    assert_int_equal(session_ouch(&f->s, f->now, f->why, sizeof(f->why)), SESSION_R_NOT_RUNNING);

    /* Level 2, ouch back to 1; trial, hold at 1, up, a rise to 2, down to 1:
     * the rise made the next ouch at level 1 a first one again. */
    f->now = T0 + S(1000);
    assert_int_equal(start(f, &a, 8, 3), 0);
    tick_at(f, S(1015), 0, 0);
    assert_int_equal(session_level(&f->s), 2);
    assert_int_equal(session_ouch(&f->s, f->now, f->why, sizeof(f->why)), 0);
    assert_int_equal(f->s.target, 1);
    tick_at(f, S(1030), 0, 0);
    assert_int_equal(f->s.phase, SESSION_HOLD);
    assert_int_equal(session_up(&f->s, f->now, f->why, sizeof(f->why)), 0);
    tick_at(f, S(1030), 0, 0);
    assert_int_equal(session_level(&f->s), 2);
    assert_int_equal(session_down(&f->s, f->now, f->why, sizeof(f->why)), 0);
    assert_int_equal(session_level(&f->s), 1);
    assert_int_equal(session_ouch(&f->s, f->now, f->why, sizeof(f->why)), 0);
    assert_int_equal(f->s.phase, SESSION_TRIAL);
    assert_int_equal(session_ouch(&f->s, f->now, f->why, sizeof(f->why)), SESSION_PAIN_STOP);
    session_stop(&f->s, &f->dev, SESSION_END_PAIN, f->now);

    /* Waiting after the trial counts as level 1 too. */
    f->now = T0 + S(2000);
    assert_int_equal(start(f, &a, 8, 3), 0);
    assert_int_equal(session_ask(&f->s), 0);
    assert_int_equal(session_ouch(&f->s, f->now, f->why, sizeof(f->why)), 0);
    tick_at(f, S(2015), 0, 0);
    assert_int_equal(f->s.phase, SESSION_WAIT);
    assert_int_equal(session_ouch(&f->s, f->now, f->why, sizeof(f->why)), SESSION_PAIN_STOP);
    assert_int_equal(f->s.phase, SESSION_WAIT);
}

/* ---- randomized invariants ---------------------------------------------- */

#define RANDOM_SEQUENCES 2500
#define RANDOM_STEPS 200

static uint64_t rng_state;

/* xorshift64*: small, fast and the same everywhere, so a seed reproduces. */
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

static unsigned rnd(unsigned n)
{
    return (unsigned)((rng() >> 33) % n);
}

struct watch {
    uint64_t seff;          /* the latest time the running session has seen */
    unsigned prev;          /* level at the previous observation */
    unsigned acked;         /* the level the fake device last acknowledged */
    uint64_t last_change;   /* effective time of the last level change */
    unsigned levels;        /* device levels of this sequence */
    int was_running;
    unsigned cur;           /* index of the running area */
    bool asked;             /* the session was asked to wait after its trials */
    bool went;              /* a go-ahead came since the last trial */
};

#define RCHECK(cond, ...)                                                          \
    do {                                                                           \
        if (!(cond)) {                                                             \
            print_error("seed %" PRIu64 " sequence %u step %u: ", seed, seq, step); \
            print_error(__VA_ARGS__);                                              \
            print_error("\n");                                                     \
            fail_msg("invariant: %s", #cond);                                      \
        }                                                                          \
    } while (0)

/* One walk of `sequences` random sequences from seed; the invariants are
 * checked after every step. */
static void random_walk(struct fix *f, uint64_t seed, unsigned sequences, bool report)
{
    struct profile_area areas[8];
    unsigned seq, step, raises = 0, ends[SESSION_END_PAIN + 1] = { 0 }, starts = 0, top = 0;
    unsigned waits = 0, goes = 0;

    areas[0] = calves();
    areas[1] = neck();
    areas[2] = mk("big", "Big", true, 10, 8, 8, 5, 300, 0, 300);
    areas[3] = mk("slow", "Slow", true, 20, 4, 6, 30, 120, 0, 200);
    areas[4] = mk("lower-back", "Lower Back", true, 15, 2, 2, 10, 60, 60, 200);
    areas[5] = mk("glutes-hips", "Glutes/Hips", true, 10, 1, 4, 7, 200, 30, 300);
    areas[6] = mk("fore", "Forearms", true, 12, 2, 2, 5, 12, 0, 1);
    areas[7] = mk("quads", "Quads", true, 18, 3, 5, 18, 300, 0, 400);

    rng_state = seed ? seed : 1;   /* xorshift's only bad state is 0 */

    for (seq = 0; seq < sequences; seq++) {
        struct watch w;

        memset(&w, 0, sizeof(w));
        memset(&f->dev, 0, sizeof(f->dev));
        session_init(&f->s);
        /* Sometimes from 0, where a 0 sentinel would bite. */
        f->now = rnd(4) == 0 ? 0 : rng() % S(100000);
        w.levels = rnd(KNOT_MAX_LEVELS + 1);

        for (step = 0; step < RANDOM_STEPS; step++) {
            unsigned r, lvl, dev_max, ai = 0;
            int rc = 0, fault = 0, ticked = 0, running;
            enum session_phase before = f->s.phase;

            /* The fake device acknowledges the current level most of the
             * time, sometimes late (up to 2 s after the change, never later
             * than the present), sometimes not yet. */
            if (session_running(&f->s) && rnd(4) != 0) {
                uint64_t at = f->s.step_ms + rnd(2001);

                session_level_applied(&f->s, session_level(&f->s), at < w.seff ? at : w.seff);
                w.acked = session_level(&f->s);
            }
            r = rnd(100);

            if (r < (session_running(&f->s) ? 4u : 30u)) {
                ai = rnd(8);
                /* not start(): the fake device below decides when level 1 is acknowledged */
                rc = session_start(&f->s, &f->dev, &areas[ai], w.levels, rnd(10), f->now, f->why, sizeof(f->why));
                RCHECK(rc != SESSION_R_NOT_ALLOWED || !areas[ai].gun_allowed, "not-allowed for %s", areas[ai].name);
                RCHECK(areas[ai].gun_allowed || rc == SESSION_R_NOT_ALLOWED, "neck start rc %d", rc);
                if (rc == 0) {
                    w.acked = 0;
                    RCHECK(!w.was_running, "started over a running session");
                    RCHECK(f->s.phase == SESSION_TRIAL && f->s.level == 1, "start state");
                    w.seff = f->now;
                    w.last_change = f->now;
                    w.cur = ai;
                    w.asked = rnd(2) == 0;
                    w.went = false;
                    if (w.asked)
                        RCHECK(session_ask(&f->s) == 0, "ask refused");
                    starts++;
                }
            } else if (r < 41) {
                rc = session_up(&f->s, f->now, f->why, sizeof(f->why));
            } else if (r < 45) {
                rc = session_go(&f->s, f->now, f->why, sizeof(f->why));
                RCHECK((rc == 0) == (before == SESSION_WAIT), "go -> %d in phase %s", rc, session_phase_name(before));
                if (rc == 0) {
                    w.went = true;
                    goes++;
                }
            } else if (r < 58) {
                rc = session_down(&f->s, f->now, f->why, sizeof(f->why));
            } else if (r < 63) {
                rc = session_ouch(&f->s, f->now, f->why, sizeof(f->why));
                RCHECK(rc != SESSION_PAIN_STOP || (session_level(&f->s) == 1 && f->s.ouches > 0 && f->s.backed_off),
                       "ouch asked for the end at level %u", session_level(&f->s));
                RCHECK(rc != 0 || session_level(&f->s) == 1, "ouch left level %u", session_level(&f->s));
                if (rc == SESSION_PAIN_STOP)   /* what commands.c does */
                    session_stop(&f->s, &f->dev, SESSION_END_PAIN, f->now);
            } else if (r < 66) {
                session_stop(&f->s, &f->dev, (enum session_end)(1 + rnd(SESSION_END_SHUTDOWN)), f->now);
            } else {
                struct session_input in;
                unsigned j = rnd(100);

                if (j < 4)
                    f->now = f->now > S(30) ? f->now - rnd(30001) : 0;
                else if (j < 8)
                    f->now += rnd(400001);
                else if (j < 15)
                    ;   /* the same time again */
                else
                    f->now += rnd(30001);
                in.force_dn = (uint16_t)rnd(500);
                in.faults = rnd(50) == 0 ? (uint16_t)(1u << rnd(3)) : 0;
                if (rnd(20) == 0) {
                    session_tick(&f->s, &f->dev, NULL, f->now);     /* no reading */
                } else {
                    fault = in.faults != 0;
                    session_tick(&f->s, &f->dev, &in, f->now);
                }
                ticked = 1;
            }
            if (w.was_running && f->now > w.seff)
                w.seff = f->now;

            running = session_running(&f->s);
            lvl = session_level(&f->s);
            dev_max = w.levels == 0 ? 1 : w.levels;

            RCHECK(lvl <= dev_max, "level %u above device levels %u", lvl, dev_max);
            RCHECK(!running || lvl <= f->s.max_level, "level %u above max %u", lvl, f->s.max_level);
            RCHECK(!running || lvl <= f->s.area.max_level, "level %u above area max", lvl);
            RCHECK(!running || lvl >= 1, "running at level 0");
            RCHECK(f->s.phase != SESSION_TRIAL || lvl <= 1, "level %u in the trial", lvl);
            RCHECK(f->s.phase != SESSION_WAIT || lvl == 1, "level %u while waiting", lvl);
            RCHECK(f->s.phase != SESSION_WAIT || (f->s.ask && w.asked), "waiting unasked");
            if (f->s.phase == SESSION_TRIAL)
                w.went = false;
            RCHECK(!running || !w.asked || lvl <= 1 || w.went, "level %u after a trial without a go-ahead", lvl);
            if (f->s.phase == SESSION_WAIT && before != SESSION_WAIT)
                waits++;
            RCHECK(running || lvl == 0, "level %u while not running", lvl);
            RCHECK(!running || f->s.area.gun_allowed, "a gun=false area runs");
            RCHECK(!running || w.seff < f->s.start_ms + S(f->s.area.session_s), "running past session_s (%" PRIu64
                   " >= %" PRIu64 ")", w.seff, f->s.start_ms + S(f->s.area.session_s));
            RCHECK(!(ticked && fault) || lvl == 0, "level %u after a fault", lvl);
            RCHECK(!(ticked && running) || f->dev.run_ms < SESSION_CEILING_MS, "running over the ceiling");
            RCHECK(lvl <= w.prev + 1, "level rose by more than one: %u -> %u", w.prev, lvl);
            RCHECK(lvl <= w.prev || w.prev == 0 || w.acked == w.prev, "raise to %u before %u was acknowledged", lvl,
                   w.prev);
            if (lvl > w.prev && w.prev >= 1) {
                RCHECK(w.seff >= w.last_change + S(f->s.area.step_s),
                       "raise to %u %" PRIu64 " ms after the last change, step_s %u", lvl,
                       w.seff - w.last_change, f->s.area.step_s);
                RCHECK(!f->s.force_warning, "raise while pressing too hard");
                raises++;
            }
            if (lvl != w.prev)
                w.last_change = w.seff;
            if (lvl > top)
                top = lvl;
            if (w.was_running && !running) {
                RCHECK(f->s.end != SESSION_END_NONE, "ended without a reason");
                ends[f->s.end]++;
            }
            w.prev = lvl;
            w.was_running = running;
        }
    }
    if (!report)
        return;
    print_message("random: %u sequences x %u steps, %u starts, %u raises, top level %u, ends done %u "
                  "stopped %u fault %u ceiling %u pain %u; %u waits, %u go-aheads\n", sequences, RANDOM_STEPS,
                  starts, raises, top, ends[SESSION_END_DONE], ends[SESSION_END_STOPPED], ends[SESSION_END_FAULT],
                  ends[SESSION_END_CEILING], ends[SESSION_END_PAIN], waits, goes);
    /* The walk must actually reach the interesting places. */
    assert_true(raises > 1000);
    assert_true(top == KNOT_MAX_LEVELS);
    assert_true(ends[SESSION_END_DONE] > 0 && ends[SESSION_END_FAULT] > 0 && ends[SESSION_END_CEILING] > 0);
    assert_true(waits > 1000 && goes > 100 && ends[SESSION_END_PAIN] > 100);
}

/* Seeds that once failed (a bug, or a mutation of tests/mutations that a
 * seed found): each runs again on every build, so what it caught stays caught.
 * Add a line whenever a run prints a failing seed. */
static const struct {
    uint64_t seed;
    unsigned sequences;
    const char *what;
} random_regressions[] = {
    { 6356033, RANDOM_SEQUENCES, "the seed of the first recorded CI run" },
};

static void test_random_regressions(void **state)
{
    for (size_t i = 0; i < sizeof(random_regressions) / sizeof(random_regressions[0]); i++)
        random_walk(*state, random_regressions[i].seed, random_regressions[i].sequences, false);
}

/* A new seed every run (printed; KNOT_SEED=N build/tests/test_session replays it). */
static void test_random(void **state)
{
    const char *env = getenv("KNOT_SEED");
    uint64_t seed = env && *env ? strtoull(env, NULL, 0) : 0x6b6e6f74ull ^ (uint64_t)time(NULL);

    print_message("random seed %" PRIu64 " (KNOT_SEED=%" PRIu64 " build/tests/test_session replays it)\n", seed,
                  seed);
    random_walk(*state, seed, RANDOM_SEQUENCES, true);
}

/* A level the device never acknowledged (a transfer that failed or waits):
 * the session holds there however long, and never runs ahead of the motor. */
static void test_no_raise_before_ack(void **state)
{
    struct fix *f = *state;
    struct profile_area a = mk("calves", "Calves", true, 10, 4, 4, 5, 120, 0, 250);
    struct session_input in = { 0, 0 };

    assert_int_equal(start(f, &a, 8, 0), 0);
    session_level_applied(&f->s, 1, T0);
    session_tick(&f->s, &f->dev, &in, T0 + S(10));
    assert_int_equal(session_level(&f->s), 2);
    /* no ack of 2: at 15, 20 and 40 s still 2, and nothing is scheduled but the end */
    for (unsigned t = 15; t <= 40; t += 5) {
        session_tick(&f->s, &f->dev, &in, T0 + S(t));
        assert_int_equal(session_level(&f->s), 2);
    }
    assert_int_equal(session_next_ms(&f->s), T0 + S(120));
    /* a stale ack of another level changes nothing */
    session_level_applied(&f->s, 1, T0 + S(41));
    session_tick(&f->s, &f->dev, &in, T0 + S(50));
    assert_int_equal(session_level(&f->s), 2);
    /* acknowledged at 50 s: the next step is one step_s after that */
    session_level_applied(&f->s, 2, T0 + S(50));
    assert_int_equal(session_next_ms(&f->s), T0 + S(55));
    session_tick(&f->s, &f->dev, &in, T0 + S(55) - 1);
    assert_int_equal(session_level(&f->s), 2);
    session_tick(&f->s, &f->dev, &in, T0 + S(55));
    assert_int_equal(session_level(&f->s), 3);
    /* ouch lowers at once; its trial begins with the ack of 1, not before */
    assert_int_equal(session_ouch(&f->s, T0 + S(56), f->why, sizeof(f->why)), 0);
    session_tick(&f->s, &f->dev, &in, T0 + S(70));
    assert_int_equal(session_level(&f->s), 1);
    assert_int_equal(f->s.phase, SESSION_TRIAL);
    assert_int_equal(session_trial_left_s(&f->s, T0 + S(70)), 10);
    session_level_applied(&f->s, 1, T0 + S(71));
    session_tick(&f->s, &f->dev, &in, T0 + S(81) - 1);
    assert_int_equal(session_level(&f->s), 1);   /* the trial counts from the ack */
    session_tick(&f->s, &f->dev, &in, T0 + S(81));
    assert_int_equal(session_level(&f->s), 2);
}

/* A raise the device acknowledged late: the next step counts from the
 * acknowledgement, so the motor never sees two raises closer than step_s. */
static void test_step_counts_from_device_ack(void **state)
{
    struct fix *f = *state;
    struct profile_area a = mk("calves", "Calves", true, 10, 3, 3, 5, 60, 0, 250);

    assert_int_equal(start(f, &a, 5, 0), 0);
    session_level_applied(&f->s, 1, T0 + 30);      /* level 1 reached the motor 30 ms late */
    tick_at(f, 10029, 0, 0);
    assert_int_equal(session_level(&f->s), 1);
    assert_int_equal(session_trial_left_s(&f->s, f->now), 1);
    tick_at(f, 10030, 0, 0);
    assert_int_equal(session_level(&f->s), 2);
    session_level_applied(&f->s, 2, T0 + 10080);   /* delivered 50 ms late */
    session_level_applied(&f->s, 1, T0 + 20000);   /* a stale level: ignored */
    tick_at(f, 15000, 0, 0);
    assert_int_equal(session_level(&f->s), 2);
    assert_int_equal(session_next_ms(&f->s), T0 + 15080);
    tick_at(f, 15079, 0, 0);
    assert_int_equal(session_level(&f->s), 2);
    tick_at(f, 15080, 0, 0);
    assert_int_equal(session_level(&f->s), 3);
    /* An earlier acknowledgement never moves the anchor back. */
    session_level_applied(&f->s, 3, T0 + 15000);
    assert_int_equal(f->s.step_ms, T0 + 15080);
}

/* A reload only ever tightens a running session: whatever the new profile
 * says, the level, target and maximum never rise, the end never moves
 * later, the trial and step never shorten, the force limit never loosens;
 * a removed or closed area ends it (SESSION_GONE). Randomized, seeded. */
static void test_reload_only_ever_tightens(void **state)
{
    struct fix *f = *state;
    uint64_t seed = 20261207;
    unsigned seq, step = 0, gone = 0, lowered = 0, shortened = 0;

    rng_state = seed;
    for (seq = 0; seq < 20000; seq++) {
        struct profile_area a = mk("calves", "Calves", true, 10 + rnd(11), 1, 1 + rnd(8), 5 + rnd(20), 30 + rnd(270),
                                   0, 1 + rnd(300)), b;
        struct session before;
        int rc;

        a.default_level = 1 + rnd(a.max_level);
        memset(&f->dev, 0, sizeof(f->dev));
        session_init(&f->s);
        f->now = S(1000);
        if (session_start(&f->s, &f->dev, &a, KNOT_MAX_LEVELS, 0, f->now, f->why, sizeof(f->why)) != SESSION_OK)
            continue;
        for (unsigned steps = rnd(60), k = 0; k < steps; k++, step = k) {
            /* The device acknowledges each new level once (an acknowledgement restarts a trial). */
            if (f->s.applied != session_level(&f->s))
                session_level_applied(&f->s, session_level(&f->s), f->now);
            f->now += rnd(3000);
            session_tick(&f->s, &f->dev, NULL, f->now);
            if (rnd(3) == 0)
                session_up(&f->s, f->now, f->why, sizeof(f->why));
        }
        if (!session_running(&f->s))
            continue;
        b = mk("calves", "Calves", rnd(10) != 0, 10 + rnd(11), 1, 1 + rnd(8), 5 + rnd(20), 30 + rnd(270), 0,
               1 + rnd(300));
        b.default_level = 1 + rnd(b.max_level);
        before = f->s;
        f->now += rnd(1000);
        rc = session_reload(&f->s, rnd(20) == 0 ? NULL : &b, f->now);
        if (rc == SESSION_GONE) {
            gone++;
            RCHECK(memcmp(&before, &f->s, sizeof(before)) == 0, "a reload that ends it changed it");
            continue;
        }
        RCHECK(rc == SESSION_OK && b.gun_allowed, "reload rc %d, gun %d", rc, b.gun_allowed);
        RCHECK(session_level(&f->s) <= session_level(&before), "level rose %u -> %u", session_level(&before),
               session_level(&f->s));
        RCHECK(f->s.max_level <= before.max_level && f->s.max_level <= b.max_level, "max %u -> %u (profile %u)",
               before.max_level, f->s.max_level, b.max_level);
        RCHECK(f->s.target <= before.target && f->s.target <= f->s.max_level, "target %u -> %u", before.target,
               f->s.target);
        RCHECK(session_level(&f->s) <= f->s.max_level, "level %u above max %u", session_level(&f->s), f->s.max_level);
        RCHECK(f->s.end_ms <= before.end_ms, "end moved later");
        RCHECK(f->s.end_ms >= f->now || f->s.end_ms == before.end_ms, "end moved into the past");
        RCHECK(f->s.area.trial_s >= before.area.trial_s && f->s.area.step_s >= before.area.step_s, "pace loosened");
        RCHECK(f->s.area.force_max_dn <= before.area.force_max_dn, "force limit loosened");
        lowered += session_level(&f->s) < session_level(&before);
        shortened += f->s.end_ms < before.end_ms;
    }
    /* The walk reached what it checks. */
    print_message("reload: %u gone, %u lowered, %u shortened\n", gone, lowered, shortened);
    assert_true(gone > 100 && lowered > 100 && shortened > 100);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup(fn, setup)
    const struct CMUnitTest tests[] = {
        T(test_neck_refused),
        T(test_start_trial_hold),
        T(test_ramp),
        T(test_step_longer_than_trial),
        T(test_up_down_in_trial),
        T(test_up_in_hold_and_limit),
        T(test_down_in_ramp),
        T(test_ouch),
        T(test_ouch_target_lower_than_level),
        T(test_stop),
        T(test_ran_ms_counts_the_running_time),
        T(test_not_running),
        T(test_done),
        T(test_fault),
        T(test_force),
        T(test_force_at_time_zero),
        T(test_running_refusals),
        T(test_level_range),
        T(test_device_fewer_levels),
        T(test_ceiling),
        T(test_late_tick_end_before_ceiling),
        T(test_ceiling_counts_stop_and_partial_rest),
        T(test_time_backward_and_jumps),
        T(test_trial_elapsed_before_tick),
        T(test_invalid_area),
        T(test_names),
        T(test_ask_waits_at_level_1_until_go),
        T(test_go_to_hold_and_without_ask),
        T(test_second_ouch_at_level_1),
        T(test_step_counts_from_device_ack),
        T(test_no_raise_before_ack),
        T(test_reload_only_ever_tightens),
        T(test_random_regressions),
        T(test_random),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
