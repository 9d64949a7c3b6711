/* SPDX-License-Identifier: MIT */
/* test_drive.c - cmocka unit tests of the pure device controller (daemon/drive.c) on a fake clock with scripted answers. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "drive.h"

#define T0 5000u

struct fix {
    struct drive d;
    struct session s;
    struct session_dev rest;
    struct profile_area calves;
    uint64_t now;
    unsigned seq;
    uint32_t uptime;
    bool running;                       /* the fake motor ran at the last status */
    uint32_t run_from;                  /* its uptime when it started from off */
    char why[256];
};

/* What the fake device answers to GET_STATUS. */
struct dev {
    unsigned level, faults, last_stop, ppm, force_dn;
    unsigned rise_wait_ms, refusal, refused_level;
    bool restarted;                     /* 1.1: the motor started from off just now, unseen */
};

static void put16(uint8_t *b, unsigned v)
{
    b[0] = (uint8_t)(v & 0xff);
    b[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *b, uint32_t v)
{
    put16(b, v & 0xffff);
    put16(b + 2, v >> 16);
}

static size_t info_block(uint8_t *b, unsigned minor, unsigned watchdog_ms, const char *serial)
{
    memset(b, 0, KNOT_INFO_SIZE);
    b[0] = 1;
    b[1] = (uint8_t)minor;
    put16(b + 2, 0x0100);
    b[4] = 5;
    put16(b + 6, watchdog_ms);
    for (unsigned i = 0; i < 5; i++)
        put16(b + 8 + 2 * i, 1800 + 350 * i);
    memcpy(b + 24, serial, strlen(serial));
    if (minor == 0)
        return KNOT_INFO_SIZE_1_0;
    put16(b + 40, KNOT_TRIAL_MS);
    put16(b + 42, KNOT_RISE_GAP_MS);
    put16(b + 44, KNOT_CEILING_S);
    put16(b + 46, KNOT_REST_S);
    return KNOT_INFO_SIZE;
}

static size_t status_block(struct fix *f, uint8_t *b, const struct dev *v)
{
    memset(b, 0, KNOT_STATUS_SIZE);
    put16(b, ++f->seq & 0xffff);
    b[2] = (uint8_t)v->level;
    b[3] = (uint8_t)v->last_stop;
    put16(b + 4, v->ppm);
    put16(b + 8, 250);
    put16(b + 10, v->force_dn);
    put16(b + 12, v->faults);
    b[14] = 90;
    put32(b + 16, f->uptime);
    /* run_ms: running since the last start from off, as a device counts it */
    if (v->level > 0 && (!f->running || v->restarted))
        f->run_from = f->uptime;
    f->running = v->level > 0;
    put32(b + 20, f->running ? f->uptime - f->run_from : 0);
    put16(b + 24, v->rise_wait_ms);
    b[26] = (uint8_t)v->refusal;
    b[27] = (uint8_t)v->refused_level;
    return f->d.info.proto_minor ? KNOT_STATUS_SIZE : KNOT_STATUS_SIZE_1_0;
}

static void advance(struct fix *f, uint64_t ms)
{
    f->now += ms;
    f->uptime += (uint32_t)ms;
}

/* The next request must be c; it is sent now. */
static void expect_cmd(struct fix *f, enum drive_op op, unsigned level)
{
    struct drive_cmd c = drive_next(&f->d, f->now);

    if (c.op != op || (op == DRIVE_OP_LEVEL && c.level != level))
        print_error("expected op %d level %u, got op %d level %u\n", op, level, c.op, c.level);
    assert_int_equal(c.op, op);
    if (op == DRIVE_OP_LEVEL)
        assert_int_equal(c.level, level);
    if (op != DRIVE_OP_NONE)
        drive_sent(&f->d, c, f->now);
}

static unsigned answer_status(struct fix *f, const struct dev *v)
{
    uint8_t b[KNOT_STATUS_SIZE];
    size_t n = status_block(f, b, v);

    advance(f, 1);
    return drive_done(&f->d, DRIVE_OK, b, n, f->now);
}

static unsigned answer(struct fix *f, enum drive_result r)
{
    advance(f, 1);
    return drive_done(&f->d, r, NULL, 0, f->now);
}

/* Attach a device of that protocol minor and watchdog, motor off. */
static void attach(struct fix *f, unsigned minor, unsigned watchdog_ms)
{
    uint8_t b[KNOT_INFO_SIZE];
    size_t n = info_block(b, minor, watchdog_ms, "KN1");
    struct dev off = { 0 };

    drive_init(&f->d, &f->s, f->now);
    expect_cmd(f, DRIVE_OP_INFO, 0);
    advance(f, 1);
    assert_int_equal(drive_done(&f->d, DRIVE_OK, b, n, f->now), DRIVE_N_INFO);
    expect_cmd(f, DRIVE_OP_NONE, 0);   /* waits for the owner's verdict on the serial */
    drive_accept(&f->d, &f->rest);
    expect_cmd(f, DRIVE_OP_LEVEL, 0);
    assert_int_equal(answer(f, DRIVE_OK), 0);
    expect_cmd(f, DRIVE_OP_STATUS, 0);
    assert_true(answer_status(f, &off) & DRIVE_N_ATTACHED);
    assert_int_equal(f->d.phase, DRIVE_READY);
    assert_int_equal(drive_level(&f->d), 0);
    expect_cmd(f, DRIVE_OP_NONE, 0);   /* idle: nothing at all */
    assert_int_equal(drive_wake_ms(&f->d, f->now), UINT64_MAX);
}

static struct profile_area area(unsigned trial, unsigned def, unsigned max, unsigned step, unsigned session)
{
    struct profile_area a;

    memset(&a, 0, sizeof(a));
    snprintf(a.name, sizeof(a.name), "calves");
    snprintf(a.title, sizeof(a.title), "Calves");
    a.gun_allowed = true;
    a.start_level = 1;
    a.trial_s = trial;
    a.default_level = def;
    a.max_level = max;
    a.step_s = step;
    a.session_s = session;
    a.cooldown_s = 0;
    a.force_max_dn = 250;
    return a;
}

/* Start a session; the controller's first request is a look at the device
 * (answered here: off, no fault), unless the motor must be stopped first. */
static void start(struct fix *f, unsigned req)
{
    assert_int_equal(session_start(&f->s, &f->rest, &f->calves, f->d.info.levels, req, f->now, f->why,
                                   sizeof(f->why)), 0);
    drive_begin(&f->d, f->now);
    if (drive_level(&f->d) == 0 && !f->d.busy) {
        expect_cmd(f, DRIVE_OP_STATUS, 0);
        answer_status(f, &(struct dev){ 0 });
    }
}

static void start_raw(struct fix *f, unsigned req)
{
    assert_int_equal(session_start(&f->s, &f->rest, &f->calves, f->d.info.levels, req, f->now, f->why,
                                   sizeof(f->why)), 0);
    drive_begin(&f->d, f->now);
}

static int setup(void **state)
{
    static struct fix fx;

    memset(&fx, 0, sizeof(fx));
    fx.now = T0;
    fx.uptime = 1000;
    fx.calves = area(10, 3, 3, 5, 60);
    session_init(&fx.s);
    *state = &fx;
    return 0;
}

/* Poll at the heartbeat until ms have passed, the device showing v. */
static void heartbeat(struct fix *f, uint64_t ms, const struct dev *v)
{
    uint64_t end = f->now + ms;

    while (f->now < end) {
        uint64_t wake = drive_wake_ms(&f->d, f->now);
        struct drive_cmd c;

        if (wake > end)
            wake = end;
        if (wake > f->now)
            advance(f, wake - f->now);
        drive_tick(&f->d, f->now);
        c = drive_next(&f->d, f->now);
        if (c.op == DRIVE_OP_STATUS) {
            drive_sent(&f->d, c, f->now);
            answer_status(f, v);
        } else if (c.op == DRIVE_OP_LEVEL) {
            return;   /* the caller expects it */
        }
    }
}

/* ---- attach ---- */

static void test_attach_and_idle(void **state)
{
    struct fix *f = *state;

    attach(f, 1, 250);
    /* even right after the attach's own status, a start looks first: a fault
     * may have latched since */
    start_raw(f, 0);
    expect_cmd(f, DRIVE_OP_STATUS, 0);
    answer_status(f, &(struct dev){ 0 });
    expect_cmd(f, DRIVE_OP_LEVEL, 1);
    answer(f, DRIVE_OK);
    session_stop(&f->s, &f->rest, SESSION_END_STOPPED, f->now);
    expect_cmd(f, DRIVE_OP_LEVEL, 0);
    answer(f, DRIVE_OK);
    assert_int_equal(f->d.period_ms, 50);
    assert_int_equal(f->d.info.trial_ms, KNOT_TRIAL_MS);
    assert_false(drive_active(&f->d, f->now));   /* off, and no speed reported: nothing to watch */
}

static void test_attach_refusals(void **state)
{
    struct fix *f = *state;
    uint8_t b[KNOT_INFO_SIZE];
    size_t n;
    struct drive_info in;
    char why[160];

    n = info_block(b, 1, 250, "KN1");
    assert_int_equal(drive_decode_info(b, n, &in, why, sizeof(why)), 0);
    assert_int_equal(drive_decode_info(b, 39, &in, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "39 bytes"));
    assert_int_equal(drive_decode_info(b, 40, &in, why, sizeof(why)), -1);   /* 1.1 with a 1.0 block */
    assert_non_null(strstr(why, "48 expected"));
    b[0] = 2;
    assert_int_equal(drive_decode_info(b, n, &in, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "protocol 2.1"));
    b[0] = 1;
    b[4] = 9;
    assert_int_equal(drive_decode_info(b, n, &in, why, sizeof(why)), -1);
    b[4] = 5;
    put16(b + 6, 5000);
    assert_int_equal(drive_decode_info(b, n, &in, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "5000 ms watchdog"));
    put16(b + 6, 99);
    assert_int_equal(drive_decode_info(b, n, &in, why, sizeof(why)), -1);
    put16(b + 6, 250);
    put16(b + 40, 9000);   /* a trial below the protocol's floor */
    assert_int_equal(drive_decode_info(b, n, &in, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "looser"));
    put16(b + 40, 15000);  /* stricter is fine */
    assert_int_equal(drive_decode_info(b, n, &in, why, sizeof(why)), 0);
    put16(b + 44, 300);    /* a ceiling below knotd's own would be leant on */
    assert_int_equal(drive_decode_info(b, n, &in, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "stricter than knotd's own"));
    n = info_block(b, 1, 250, "");
    assert_int_equal(drive_decode_info(b, n, &in, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "no serial"));
    n = info_block(b, 1, 250, "A\nB");
    assert_int_equal(drive_decode_info(b, n, &in, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "not printable"));

    /* a hung newcomer: no answer to GET_INFO */
    drive_init(&f->d, &f->s, f->now);
    expect_cmd(f, DRIVE_OP_INFO, 0);
    assert_int_equal(answer(f, DRIVE_TIMEOUT), DRIVE_N_DEAD);
    assert_int_equal(f->d.phase, DRIVE_DEAD);
    assert_string_equal(f->d.why, "no answer");
    expect_cmd(f, DRIVE_OP_NONE, 0);

    /* the owner refuses the serial */
    n = info_block(b, 1, 250, "KN1");
    drive_init(&f->d, &f->s, f->now);
    expect_cmd(f, DRIVE_OP_INFO, 0);
    assert_int_equal(drive_done(&f->d, DRIVE_OK, b, n, f->now), DRIVE_N_INFO);
    drive_reject(&f->d, "its serial is already attached");
    assert_int_equal(f->d.phase, DRIVE_DEAD);
    expect_cmd(f, DRIVE_OP_NONE, 0);
}

static void test_attach_1_0_device(void **state)
{
    struct fix *f = *state;
    uint8_t b[KNOT_INFO_SIZE];
    size_t n = info_block(b, 0, 100, "OLD");
    struct dev off = { 0 };

    drive_init(&f->d, &f->s, f->now);
    expect_cmd(f, DRIVE_OP_INFO, 0);
    assert_int_equal(drive_done(&f->d, DRIVE_OK, b, n, f->now), DRIVE_N_INFO);
    drive_accept(&f->d, &f->rest);
    expect_cmd(f, DRIVE_OP_LEVEL, 0);
    answer(f, DRIVE_OK);
    expect_cmd(f, DRIVE_OP_STATUS, 0);
    assert_true(answer_status(f, &off) & DRIVE_N_WARN);
    assert_non_null(strstr(f->d.why, "no envelope"));
    assert_int_equal(f->d.info.trial_ms, 0);
    /* a 100 ms watchdog: five polls per watchdog period */
    assert_int_equal(f->d.period_ms, 20);
}

/* ---- the fresh-observation rule ---- */

static void test_start_reads_the_device_first(void **state)
{
    struct fix *f = *state;
    struct dev off = { 0 }, one = { .level = 1, .rise_wait_ms = 9000 };

    attach(f, 1, 250);
    advance(f, 60000);                 /* idle for a minute: the last look is old */
    start_raw(f, 0);
    expect_cmd(f, DRIVE_OP_STATUS, 0);
    answer_status(f, &off);
    expect_cmd(f, DRIVE_OP_LEVEL, 1);
    assert_true(answer(f, DRIVE_OK) & DRIVE_N_LEVEL);
    assert_int_equal(drive_level(&f->d), 1);
    assert_true(f->d.ran);
    /* the heartbeat: a status every 50 ms (from the last one sent, 2 ms ago) */
    assert_int_equal(drive_wake_ms(&f->d, f->now), f->now + 48);
    advance(f, 48);
    expect_cmd(f, DRIVE_OP_STATUS, 0);
    answer_status(f, &one);
    assert_true(session_running(&f->s));
}

/* The bug this controller exists for: a stall of the loop across the trial's
 * end, the device's watchdog stops the motor, and on resume the session wants
 * level 2. knotd must read the device first, find it stopped, end the session. */
static void test_stall_across_a_raise_reads_first(void **state)
{
    struct fix *f = *state;
    struct dev one = { .level = 1 }, stopped = { .level = 0, .last_stop = KNOT_STOP_WATCHDOG };

    attach(f, 0, 250);    /* a 1.0 device: nothing but knotd stands in the way */
    start(f, 0);
    expect_cmd(f, DRIVE_OP_LEVEL, 1);
    answer(f, DRIVE_OK);
    heartbeat(f, 9800, &one);
    advance(f, 600);                   /* SIGSTOP: no request for 0.6 s */
    drive_tick(&f->d, f->now);
    assert_int_equal(session_level(&f->s), 2);   /* the session wants the raise */
    expect_cmd(f, DRIVE_OP_STATUS, 0);           /* ... but the device is looked at first */
    assert_true(answer_status(f, &stopped) & DRIVE_N_WARN);
    assert_non_null(strstr(f->d.why, "stopped by itself (its watchdog fired)"));
    assert_false(session_running(&f->s));
    assert_int_equal(f->s.end, SESSION_END_LOST);
    expect_cmd(f, DRIVE_OP_NONE, 0);             /* already off: no level above 0, ever */
}

static void test_even_a_lowering_needs_a_fresh_look(void **state)
{
    struct fix *f = *state;
    struct dev one = { .level = 1 }, two = { .level = 2 };

    attach(f, 0, 250);
    start(f, 0);
    expect_cmd(f, DRIVE_OP_LEVEL, 1);
    answer(f, DRIVE_OK);
    heartbeat(f, 10000, &one);
    expect_cmd(f, DRIVE_OP_LEVEL, 2);
    answer(f, DRIVE_OK);
    heartbeat(f, 2000, &two);
    advance(f, 200);                   /* a gap: the last look is 200 ms old, more than half the watchdog */
    assert_int_equal(session_ouch(&f->s, f->now, f->why, sizeof(f->why)), 0);
    expect_cmd(f, DRIVE_OP_STATUS, 0); /* a device stopped by its watchdog would go 0 -> 1 otherwise */
    answer_status(f, &two);
    expect_cmd(f, DRIVE_OP_LEVEL, 1);
    answer(f, DRIVE_OK);
    assert_int_equal(drive_level(&f->d), 1);
    /* right after an acknowledged change, the last look predates it: the next
     * change above 0 looks first too */
    assert_int_equal(session_down(&f->s, f->now, f->why, sizeof(f->why)), SESSION_R_LIMIT);
    f->s.level = 2;   /* any level above 0 that differs from the device's */
    expect_cmd(f, DRIVE_OP_STATUS, 0);
}

/* ---- failures ---- */

static void test_unknown_outcome_is_resolved_by_a_look(void **state)
{
    struct fix *f = *state;
    struct dev one = { .level = 1 }, two = { .level = 2 };

    attach(f, 0, 250);
    start(f, 0);
    expect_cmd(f, DRIVE_OP_LEVEL, 1);
    answer(f, DRIVE_OK);
    heartbeat(f, 10000, &one);
    expect_cmd(f, DRIVE_OP_LEVEL, 2);
    assert_true(answer(f, DRIVE_TIMEOUT) & DRIVE_N_WARN);   /* did it reach the device? */
    assert_int_equal(drive_level(&f->d), -1);
    expect_cmd(f, DRIVE_OP_NONE, 0);   /* not this instant: the next heartbeat */
    advance(f, 50);
    expect_cmd(f, DRIVE_OP_STATUS, 0); /* never resent blind */
    answer_status(f, &two);            /* it did, late: 2 is explained */
    assert_int_equal(drive_level(&f->d), 2);
    assert_true(session_running(&f->s));
    assert_int_equal(f->s.applied, 2);

    /* an off that fails is resent blind: off is always safe */
    session_stop(&f->s, &f->rest, SESSION_END_STOPPED, f->now);
    expect_cmd(f, DRIVE_OP_LEVEL, 0);
    answer(f, DRIVE_ERROR);
    advance(f, 50);
    expect_cmd(f, DRIVE_OP_LEVEL, 0);
    answer(f, DRIVE_OK);
    assert_int_equal(drive_level(&f->d), 0);
}

static void test_unexplained_level_ends_the_session(void **state)
{
    struct fix *f = *state;
    struct dev one = { .level = 1 }, four = { .level = 4 };

    attach(f, 0, 250);
    start(f, 0);
    expect_cmd(f, DRIVE_OP_LEVEL, 1);
    answer(f, DRIVE_OK);
    heartbeat(f, 1000, &one);
    advance(f, 50);
    expect_cmd(f, DRIVE_OP_STATUS, 0);
    answer_status(f, &four);           /* nobody asked for 4 */
    assert_false(session_running(&f->s));
    assert_int_equal(f->s.end, SESSION_END_LOST);
    assert_non_null(strstr(f->d.why, "level 4, which knotd did not command"));
    expect_cmd(f, DRIVE_OP_LEVEL, 0);
}

static void test_three_failures_lose_contact(void **state)
{
    struct fix *f = *state;
    struct dev one = { .level = 1 };

    attach(f, 1, 250);
    start(f, 0);
    expect_cmd(f, DRIVE_OP_LEVEL, 1);
    answer(f, DRIVE_OK);
    heartbeat(f, 1000, &one);
    for (int i = 0; i < DRIVE_MAX_FAILS; i++) {
        advance(f, 50);
        expect_cmd(f, DRIVE_OP_STATUS, 0);
        assert_true(session_running(&f->s));
        answer(f, DRIVE_TIMEOUT);
    }
    assert_false(session_running(&f->s));
    assert_int_equal(f->s.end, SESSION_END_LOST);
    assert_non_null(strstr(f->d.why, "lost contact"));
}

/* ---- faults and refusals ---- */

static void test_fault_in_status_ends_the_session(void **state)
{
    struct fix *f = *state;
    struct dev one = { .level = 1 }, hot = { .level = 0, .faults = KNOT_FAULT_OVERTEMP, .last_stop = KNOT_STOP_FAULT };

    attach(f, 1, 250);
    start(f, 0);
    expect_cmd(f, DRIVE_OP_LEVEL, 1);
    answer(f, DRIVE_OK);
    heartbeat(f, 500, &one);
    advance(f, 50);
    expect_cmd(f, DRIVE_OP_STATUS, 0);
    answer_status(f, &hot);
    assert_false(session_running(&f->s));
    assert_int_equal(f->s.end, SESSION_END_FAULT);
    expect_cmd(f, DRIVE_OP_NONE, 0);
}

static void test_refused_raise(void **state)
{
    struct fix *f = *state;
    struct dev one = { .level = 1 };
    struct dev hot = { .level = 0, .faults = KNOT_FAULT_OVERTEMP, .last_stop = KNOT_STOP_FAULT,
                       .refusal = KNOT_REFUSAL_FAULT, .refused_level = 2 };
    struct dev odd = { .level = 1, .refusal = KNOT_REFUSAL_TOO_SOON, .refused_level = 2 };

    /* with a fault that raced the last poll: the session ends as a fault */
    attach(f, 1, 250);
    start(f, 0);
    expect_cmd(f, DRIVE_OP_LEVEL, 1);
    answer(f, DRIVE_OK);
    heartbeat(f, 10000, &one);
    expect_cmd(f, DRIVE_OP_LEVEL, 2);
    answer(f, DRIVE_STALL);
    expect_cmd(f, DRIVE_OP_STATUS, 0);   /* why? look before anything else */
    answer_status(f, &hot);
    assert_int_equal(f->s.end, SESSION_END_FAULT);
    expect_cmd(f, DRIVE_OP_NONE, 0);

    /* without a fault: a knotd bug, and the session ends as refused */
    session_init(&f->s);
    attach(f, 1, 250);
    start(f, 0);
    expect_cmd(f, DRIVE_OP_LEVEL, 1);
    answer(f, DRIVE_OK);
    heartbeat(f, 10000, &one);
    expect_cmd(f, DRIVE_OP_LEVEL, 2);
    answer(f, DRIVE_STALL);
    expect_cmd(f, DRIVE_OP_STATUS, 0);
    answer_status(f, &odd);
    assert_int_equal(f->s.end, SESSION_END_REFUSED);
    assert_non_null(strstr(f->d.why, "knotd bug"));
    expect_cmd(f, DRIVE_OP_LEVEL, 0);
}

static void test_rise_waits_for_the_device_window(void **state)
{
    struct fix *f = *state;
    uint64_t acked, open;

    attach(f, 1, 250);
    start(f, 0);
    expect_cmd(f, DRIVE_OP_LEVEL, 1);
    answer(f, DRIVE_OK);
    acked = f->now;
    advance(f, 9995 - 1);
    expect_cmd(f, DRIVE_OP_STATUS, 0);             /* stale after the gap: a look */
    answer_status(f, &(struct dev){ .level = 1, .rise_wait_ms = 35 });   /* the device's clock: 35 ms more */
    open = f->now + 35;
    f->now = acked + 10000;
    drive_tick(&f->d, f->now);
    assert_int_equal(session_level(&f->s), 2);     /* the session's trial is over */
    expect_cmd(f, DRIVE_OP_NONE, 0);               /* ... the device's is not quite */
    assert_int_equal(drive_wake_ms(&f->d, f->now), open);
    assert_int_equal(f->d.leans, 0);               /* within the skew: no bug */
    f->now = open;
    expect_cmd(f, DRIVE_OP_LEVEL, 2);
    answer(f, DRIVE_OK);

    /* a rise asked for seconds before the device allows it is a knotd bug: held, counted */
    heartbeat(f, 1000, &(struct dev){ .level = 2, .rise_wait_ms = 3000 });
    f->s.target = 3;
    f->s.level = 3;                                /* as a broken engine would */
    expect_cmd(f, DRIVE_OP_NONE, 0);
    assert_int_equal(f->d.leans, 1);
    expect_cmd(f, DRIVE_OP_NONE, 0);
    assert_int_equal(f->d.leans, 1);               /* once per rise */
}

/* ---- resets ---- */

static void test_reset_detection(void **state)
{
    struct fix *f = *state;
    struct dev one = { .level = 1 };

    /* 1.1: the uptime went back */
    attach(f, 1, 250);
    start(f, 0);
    expect_cmd(f, DRIVE_OP_LEVEL, 1);
    answer(f, DRIVE_OK);
    heartbeat(f, 500, &one);
    f->uptime = 10;
    advance(f, 50);
    expect_cmd(f, DRIVE_OP_STATUS, 0);
    answer_status(f, &(struct dev){ .level = 0 });
    assert_int_equal(f->s.end, SESSION_END_LOST);
    assert_non_null(strstr(f->d.why, "reset"));

    /* ... but its wrap at 2^32 is no reset */
    session_init(&f->s);
    f->uptime = 0xfffffff0u;
    attach(f, 1, 250);
    start(f, 0);
    expect_cmd(f, DRIVE_OP_LEVEL, 1);
    answer(f, DRIVE_OK);
    heartbeat(f, 500, &one);
    assert_true(session_running(&f->s));

    /* 1.0: seq jumps more than knotd's unanswered reads explain; a plain wrap does not */
    session_init(&f->s);
    f->seq = 65533;
    attach(f, 0, 250);
    start(f, 0);
    expect_cmd(f, DRIVE_OP_LEVEL, 1);
    answer(f, DRIVE_OK);
    heartbeat(f, 200, &one);             /* 65535, 0, 1, ...: wraps */
    assert_true(session_running(&f->s));
    advance(f, 50);
    expect_cmd(f, DRIVE_OP_STATUS, 0);
    answer(f, DRIVE_TIMEOUT);            /* it may have reached the device */
    f->seq++;
    advance(f, 50);
    expect_cmd(f, DRIVE_OP_STATUS, 0);
    answer_status(f, &one);              /* +2: explained by the one unanswered read */
    assert_true(session_running(&f->s));
    f->seq = 3;
    advance(f, 50);
    expect_cmd(f, DRIVE_OP_STATUS, 0);
    answer_status(f, &one);
    assert_false(session_running(&f->s));
    assert_int_equal(f->s.end, SESSION_END_LOST);
}

/* ---- the end ---- */

static void test_shutdown_and_spindown(void **state)
{
    struct fix *f = *state;
    struct dev one = { .level = 1, .ppm = 1800 }, coasting = { .level = 0, .ppm = 900 }, still = { 0 };
    struct drive_cmd c;

    attach(f, 1, 250);
    start(f, 0);
    expect_cmd(f, DRIVE_OP_LEVEL, 1);
    answer(f, DRIVE_OK);
    heartbeat(f, 500, &one);
    c = drive_shutdown(&f->d, f->now);
    assert_int_equal(c.op, DRIVE_OP_LEVEL);
    assert_int_equal(c.level, 0);
    assert_int_equal(f->s.end, SESSION_END_SHUTDOWN);

    /* a stop: off at once, then polls until the motor stands still */
    session_init(&f->s);
    attach(f, 1, 250);
    start(f, 0);
    expect_cmd(f, DRIVE_OP_LEVEL, 1);
    answer(f, DRIVE_OK);
    heartbeat(f, 500, &one);
    drive_end(&f->d, SESSION_END_STOPPED, f->now);
    expect_cmd(f, DRIVE_OP_LEVEL, 0);    /* blind: no look needed */
    answer(f, DRIVE_OK);
    assert_true(drive_active(&f->d, f->now));
    advance(f, 50);
    expect_cmd(f, DRIVE_OP_STATUS, 0);
    answer_status(f, &coasting);
    assert_true(drive_active(&f->d, f->now));
    advance(f, 50);
    expect_cmd(f, DRIVE_OP_STATUS, 0);
    answer_status(f, &still);
    assert_false(drive_active(&f->d, f->now));
    assert_int_equal(drive_wake_ms(&f->d, f->now), UINT64_MAX);
}

static void test_device_floors_set_the_pace(void **state)
{
    struct fix *f = *state;
    uint8_t b[KNOT_INFO_SIZE];
    size_t n = info_block(b, 1, 250, "SLOW");

    put16(b + 40, 15000);
    put16(b + 42, 8000);
    drive_init(&f->d, &f->s, f->now);
    expect_cmd(f, DRIVE_OP_INFO, 0);
    drive_done(&f->d, DRIVE_OK, b, n, f->now);
    drive_accept(&f->d, &f->rest);
    expect_cmd(f, DRIVE_OP_LEVEL, 0);
    answer(f, DRIVE_OK);
    expect_cmd(f, DRIVE_OP_STATUS, 0);
    answer_status(f, &(struct dev){ 0 });
    start(f, 0);
    assert_int_equal(f->s.area.trial_s, 15);
    assert_int_equal(f->s.area.step_s, 8);
}

static void test_decode_status_sizes(void **state)
{
    struct drive_status st;
    uint8_t b[KNOT_STATUS_SIZE] = { 0 };

    (void)state;
    assert_int_equal(drive_decode_status(b, 15, 0, &st), -1);
    assert_int_equal(drive_decode_status(b, 16, 0, &st), 0);
    assert_false(st.ext);
    assert_int_equal(drive_decode_status(b, 16, 1, &st), -1);
    assert_int_equal(drive_decode_status(b, 31, 1, &st), -1);
    b[16] = 0x78;
    b[17] = 0x56;
    b[18] = 0x34;
    b[19] = 0x12;
    b[24] = 0xff;
    b[25] = 0xff;
    assert_int_equal(drive_decode_status(b, 32, 1, &st), 0);
    assert_true(st.ext);
    assert_int_equal(st.uptime_ms, 0x12345678u);
    assert_int_equal(st.rise_wait_ms, KNOT_RISE_WAIT_NEVER);
}

/* ---- found by the closed-loop simulation (tests/unit/test_loop.c) ---- */

/* A stop during the failure back-off, then a start before the off could go
 * out: the motor went 3 -> 1 and never stopped. Off is never held back, and a
 * session begins from off. */
static void test_stop_is_not_held_back_by_a_failure(void **state)
{
    struct fix *f = *state;
    struct dev one = { .level = 1 };

    attach(f, 1, 250);
    start(f, 0);
    expect_cmd(f, DRIVE_OP_LEVEL, 1);
    answer(f, DRIVE_OK);
    heartbeat(f, 1000, &one);
    advance(f, 50);
    expect_cmd(f, DRIVE_OP_STATUS, 0);
    answer(f, DRIVE_TIMEOUT);          /* back-off: nothing for a heartbeat */
    drive_end(&f->d, SESSION_END_STOPPED, f->now);
    expect_cmd(f, DRIVE_OP_LEVEL, 0);  /* ... except off */
    answer(f, DRIVE_TIMEOUT);
    advance(f, 5);
    start_raw(f, 0);                   /* a new start before the off is known to have worked */
    expect_cmd(f, DRIVE_OP_LEVEL, 0);  /* off first, then the new session */
    answer(f, DRIVE_OK);
    expect_cmd(f, DRIVE_OP_STATUS, 0); /* the answer ended the back-off; the last look is old */
    answer_status(f, &(struct dev){ 0 });
    expect_cmd(f, DRIVE_OP_LEVEL, 1);
}

/* A SET_LEVEL 1 timed out and a slow device handled it late, behind which a
 * status was queued: the trial counted from when that status was sent, so the
 * motor saw level 2 before 10 s at level 1. It counts from the answer. */
static void test_late_level_counts_from_the_answer(void **state)
{
    struct fix *f = *state;
    uint64_t answered;

    attach(f, 1, 250);
    start(f, 0);
    expect_cmd(f, DRIVE_OP_LEVEL, 1);
    answer(f, DRIVE_TIMEOUT);
    advance(f, 50);
    expect_cmd(f, DRIVE_OP_STATUS, 0); /* sent now; the device applies 1 later, then answers */
    advance(f, 300);
    answer_status(f, &(struct dev){ .level = 1 });
    answered = f->now;
    assert_int_equal(drive_level(&f->d), 1);
    assert_int_equal(f->s.applied, 1);
    assert_int_equal(f->s.phase_ms, answered);   /* not the status's send time */
    assert_int_equal(session_next_ms(&f->s), answered + 10000);
}

/* Found by make soak (seed 125403160, sequence 2200945): a lowering 2 -> 1
 * timed out, so did the next look; the watchdog stopped the motor, then the
 * late SET_LEVEL 1 started it again from off. knotd believed level 1 since
 * long ago and raised it before the area's trial had passed on the restarted
 * motor. A restart from off knotd did not see ends the session (minor 1:
 * run_ms shows it even when last_stop names an older watchdog stop). */
static void lowering_lost_then_restarted(struct fix *f, unsigned minor, const struct dev *after)
{
    struct dev two = { .level = 2, .last_stop = KNOT_STOP_WATCHDOG };

    attach(f, minor, 250);
    start(f, 2);
    expect_cmd(f, DRIVE_OP_LEVEL, 1);
    answer(f, DRIVE_OK);
    heartbeat(f, 10000, &(struct dev){ .level = 1, .last_stop = KNOT_STOP_WATCHDOG });
    expect_cmd(f, DRIVE_OP_LEVEL, 2);
    answer(f, DRIVE_OK);
    heartbeat(f, 2000, &two);
    assert_int_equal(session_down(&f->s, f->now, f->why, sizeof(f->why)), 0);
    drive_tick(&f->d, f->now);
    expect_cmd(f, DRIVE_OP_LEVEL, 1);
    advance(f, DRIVE_TIMEOUT_MS - 1);
    answer(f, DRIVE_TIMEOUT);
    advance(f, 50);
    expect_cmd(f, DRIVE_OP_STATUS, 0);
    advance(f, DRIVE_TIMEOUT_MS - 1);
    answer(f, DRIVE_TIMEOUT);
    advance(f, 50);
    assert_true(session_running(&f->s));
    expect_cmd(f, DRIVE_OP_STATUS, 0);
    answer_status(f, after);
}

static void test_a_restart_from_off_knotd_did_not_see_ends_the_session(void **state)
{
    struct fix *f = *state;
    static const struct {
        unsigned minor;
        struct dev after;
        const char *why;
    } cases[] = {
        /* run_ms restarted, last_stop the same older watchdog stop */
        { 1, { .level = 1, .last_stop = KNOT_STOP_WATCHDOG, .restarted = true }, "started it again" },
        /* a new last_stop */
        { 1, { .level = 1, .last_stop = KNOT_STOP_HOST, .restarted = true }, "started it again" },
        { 0, { .level = 1, .last_stop = KNOT_STOP_HOST }, "started it again" },
        /* 1.0 has no run_ms: silent longer than the watchdog, it cannot tell */
        { 0, { .level = 1, .last_stop = KNOT_STOP_WATCHDOG }, "may have stopped and started again" },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        setup(state);
        f = *state;
        lowering_lost_then_restarted(f, cases[i].minor, &cases[i].after);
        if (session_running(&f->s))
            print_error("case %zu: the session goes on\n", i);
        assert_false(session_running(&f->s));
        assert_int_equal(f->s.end, SESSION_END_LOST);
        assert_non_null(strstr(f->d.why, cases[i].why));
        expect_cmd(f, DRIVE_OP_LEVEL, 0);        /* off next, never a rise */
    }
}

/* A 1.0 device's watchdog fires at watchdog_ms itself: a lowering whose
 * request went unanswered for exactly that long (in knotd's whole ms) may
 * have started a stopped motor again, and the session ends. */
static void test_a_silence_of_exactly_the_watchdog_ends_the_session(void **state)
{
    struct fix *f = *state;
    struct dev two = { .level = 2, .last_stop = KNOT_STOP_WATCHDOG };
    struct dev one = { .level = 1, .last_stop = KNOT_STOP_WATCHDOG };

    attach(f, 0, 250);
    start(f, 2);
    expect_cmd(f, DRIVE_OP_LEVEL, 1);
    answer(f, DRIVE_OK);
    heartbeat(f, 10000, &one);
    expect_cmd(f, DRIVE_OP_LEVEL, 2);
    answer(f, DRIVE_OK);
    heartbeat(f, 2000, &two);
    advance(f, 60);
    assert_int_equal(session_down(&f->s, f->now, f->why, sizeof(f->why)), 0);
    drive_tick(&f->d, f->now);
    expect_cmd(f, DRIVE_OP_LEVEL, 1);                 /* a fresh look: a lowering may go */
    f->now = f->d.fed_ms + 250 - 1;                    /* answered a whole-ms reading short of the watchdog */
    answer(f, DRIVE_OK);
    advance(f, 10);
    expect_cmd(f, DRIVE_OP_STATUS, 0);
    answer_status(f, &one);                            /* the same last_stop: nothing else tells */
    assert_false(session_running(&f->s));
    assert_int_equal(f->s.end, SESSION_END_LOST);
    expect_cmd(f, DRIVE_OP_LEVEL, 0);
}

/* A refusal whose session ended (contact lost) before a look explained it
 * is no part of the next session: that one runs. */
static void test_a_refusal_of_the_last_session_does_not_end_the_next(void **state)
{
    struct fix *f = *state;

    attach(f, 1, 250);
    start(f, 2);
    expect_cmd(f, DRIVE_OP_LEVEL, 1);
    answer(f, DRIVE_OK);
    heartbeat(f, 10000, &(struct dev){ .level = 1 });
    expect_cmd(f, DRIVE_OP_LEVEL, 2);
    answer(f, DRIVE_STALL);                            /* refused */
    for (int i = 0; i < 3; i++) {                      /* the looks fail: contact lost */
        advance(f, 50);
        expect_cmd(f, DRIVE_OP_STATUS, 0);
        answer(f, DRIVE_TIMEOUT);
    }
    assert_false(session_running(&f->s));
    assert_int_equal(f->s.end, SESSION_END_LOST);
    advance(f, 50);
    expect_cmd(f, DRIVE_OP_LEVEL, 0);
    answer(f, DRIVE_OK);
    advance(f, 200000);
    start(f, 0);                                       /* its first look: off, no fault */
    assert_true(session_running(&f->s));
    expect_cmd(f, DRIVE_OP_LEVEL, 1);
}

/* The same lost lowering on a 1.1 device that kept running: run_ms grew
 * with the time, so 1 is the late lowering, and the session goes on. */
static void test_a_late_lowering_on_a_running_motor_goes_on(void **state)
{
    struct fix *f = *state;

    lowering_lost_then_restarted(f, 1, &(struct dev){ .level = 1, .last_stop = KNOT_STOP_WATCHDOG });
    assert_true(session_running(&f->s));
    assert_int_equal(drive_level(&f->d), 1);
    assert_int_equal(f->s.applied, 1);
}

/* Holding a rise for the device's window returned nothing even when a poll
 * was due: the owner's timer woke at a time nothing consumed (a busy loop). */
static void test_holding_a_rise_keeps_the_heartbeat(void **state)
{
    struct fix *f = *state;
    struct dev never = { .level = 2, .rise_wait_ms = KNOT_RISE_WAIT_NEVER };

    attach(f, 1, 250);
    start(f, 0);
    expect_cmd(f, DRIVE_OP_LEVEL, 1);
    answer(f, DRIVE_OK);
    heartbeat(f, 10000, &(struct dev){ .level = 1 });
    expect_cmd(f, DRIVE_OP_LEVEL, 2);
    answer(f, DRIVE_OK);
    heartbeat(f, 200, &never);
    f->s.target = 3;
    f->s.level = 3;                     /* a rise the device will not allow now */
    for (int i = 0; i < 5; i++) {
        uint64_t wake;

        expect_cmd(f, DRIVE_OP_NONE, 0);
        wake = drive_wake_ms(&f->d, f->now);
        assert_true(wake > f->now);     /* never a time already past */
        f->now = wake;
        expect_cmd(f, DRIVE_OP_STATUS, 0);
        answer_status(f, &never);
    }
}

/* ---- a start after a fault (issue 10: a fault must not leave the massager unusable) ---- */

static void test_start_clears_a_fault_whose_cause_is_gone(void **state)
{
    struct fix *f = *state;
    struct dev hot_before = { .faults = KNOT_FAULT_STALL, .force_dn = 40, .last_stop = KNOT_STOP_FAULT };

    attach(f, 1, 250);
    start_raw(f, 0);
    expect_cmd(f, DRIVE_OP_STATUS, 0);
    answer_status(f, &hot_before);                /* a stall, the head now freed (4 N) */
    assert_true(session_running(&f->s));          /* not ended: being cleared */
    expect_cmd(f, DRIVE_OP_CLEAR, 0);
    assert_int_equal(answer(f, DRIVE_OK), 0);
    expect_cmd(f, DRIVE_OP_STATUS, 0);
    assert_true(answer_status(f, &(struct dev){ 0 }) & DRIVE_N_BEGUN);
    expect_cmd(f, DRIVE_OP_LEVEL, 1);
    answer(f, DRIVE_OK);
    assert_true(session_running(&f->s));
}

static void test_start_refused_with_the_remedy(void **state)
{
    struct fix *f = *state;
    struct dev hot = { .faults = KNOT_FAULT_OVERTEMP, .last_stop = KNOT_STOP_FAULT };
    uint8_t b[KNOT_STATUS_SIZE];
    size_t n;
    unsigned notes;

    attach(f, 1, 250);
    start_raw(f, 0);
    expect_cmd(f, DRIVE_OP_STATUS, 0);
    n = status_block(f, b, &hot);
    put16(b + 8, 512);                             /* 51.2 C: above 45 C */
    advance(f, 1);
    notes = drive_done(&f->d, DRIVE_OK, b, n, f->now);
    assert_true(notes & DRIVE_N_BEGUN);
    assert_false(session_running(&f->s));
    assert_int_equal(f->s.end, SESSION_END_FAULT);
    assert_non_null(strstr(f->d.remedy, "too hot (51.2 C): let it cool below 45 C"));
    expect_cmd(f, DRIVE_OP_NONE, 0);               /* never a level above 0, never a clear */
}

static void test_a_clear_the_device_refuses_ends_the_start(void **state)
{
    struct fix *f = *state;
    struct dev stalled = { .faults = KNOT_FAULT_STALL, .last_stop = KNOT_STOP_FAULT };

    attach(f, 1, 250);
    start_raw(f, 0);
    expect_cmd(f, DRIVE_OP_STATUS, 0);
    answer_status(f, &stalled);                   /* the readings say free ... */
    expect_cmd(f, DRIVE_OP_CLEAR, 0);
    answer(f, DRIVE_STALL);                       /* ... the device knows better */
    expect_cmd(f, DRIVE_OP_STATUS, 0);
    assert_true(answer_status(f, &stalled) & DRIVE_N_BEGUN);
    assert_false(session_running(&f->s));         /* tried once, never a loop of clears */
    assert_int_equal(f->s.end, SESSION_END_FAULT);
    assert_non_null(strstr(f->d.remedy, "blocked"));
    expect_cmd(f, DRIVE_OP_NONE, 0);
}

/* Found by fuzz_drive: the first look shows a level knotd never commanded
 * with a clearable fault. The fault used to be cleared and the session begun,
 * sending SET_LEVEL 1 to a motor seen at level 6: such a motor is never
 * driven on, fault or not. */
static void test_an_unexplained_level_with_a_clearable_fault_ends_the_start(void **state)
{
    struct fix *f = *state;
    struct dev odd = { .level = 6, .faults = KNOT_FAULT_STALL, .last_stop = KNOT_STOP_FAULT };

    attach(f, 1, 250);
    start_raw(f, 0);
    expect_cmd(f, DRIVE_OP_STATUS, 0);
    answer_status(f, &odd);
    assert_false(session_running(&f->s));
    assert_int_equal(f->s.end, SESSION_END_FAULT);
    expect_cmd(f, DRIVE_OP_LEVEL, 0);             /* off, and no clear: nothing runs again */
    answer(f, DRIVE_OK);
    for (int i = 0; i < 20; i++) {
        struct drive_cmd c = drive_next(&f->d, f->now);

        assert_true(c.op != DRIVE_OP_CLEAR && !(c.op == DRIVE_OP_LEVEL && c.level > 0));
        if (c.op == DRIVE_OP_NONE)
            break;
        drive_sent(&f->d, c, f->now);
        if (c.op == DRIVE_OP_STATUS)
            answer_status(f, &(struct dev){ 0 });
        else
            answer(f, DRIVE_OK);
    }
}

/* Found by make check-vm: after an unplug the kernel fails transfers with
 * "no device" for ~200 ms before the removal event; three of them ended the
 * session as lost-contact, then off went to a missing device 11 times. */
static void test_a_gone_device_ends_the_session_as_unplugged(void **state)
{
    struct fix *f = *state;

    attach(f, 1, 250);
    start(f, 0);
    expect_cmd(f, DRIVE_OP_LEVEL, 1);
    answer(f, DRIVE_OK);
    heartbeat(f, 200, &(struct dev){ .level = 1 });
    advance(f, f->d.period_ms);
    expect_cmd(f, DRIVE_OP_STATUS, 0);
    assert_true(answer(f, DRIVE_GONE) & DRIVE_N_WARN);
    assert_false(session_running(&f->s));
    assert_int_equal(f->s.end, SESSION_END_UNPLUG);
    assert_non_null(strstr(f->d.why, "gone"));
    advance(f, 1000);
    drive_tick(&f->d, f->now);
    expect_cmd(f, DRIVE_OP_NONE, 0);               /* nothing more to a missing device */
    assert_int_equal(drive_wake_ms(&f->d, f->now), UINT64_MAX);
    /* A start before the removal event is heard never begins. */
    start_raw(f, 0);
    assert_false(session_running(&f->s));
    assert_int_equal(f->s.end, SESSION_END_UNPLUG);
    expect_cmd(f, DRIVE_OP_NONE, 0);
}

#define T(fn) cmocka_unit_test_setup(fn, setup)

/* Seen: status showed 56.9 C "from 59 s ago" while the device said 34.7 C.
 * Idle, knotd reads nothing until someone asks; a status then looks at once
 * if the readings are older than DRIVE_FRESH_MS, and every DRIVE_LOOK_MS
 * while it is watched; looks never move the motor. */
static void test_an_idle_massager_is_read_while_someone_asks(void **state)
{
    struct fix *f = *state;
    struct dev off = { 0 };

    attach(f, 2, 250);
    advance(f, 60000);
    expect_cmd(f, DRIVE_OP_NONE, 0);                    /* idle and unwatched: left alone */
    assert_int_equal(drive_wake_ms(&f->d, f->now), UINT64_MAX);
    drive_watch(&f->d, f->now);
    assert_int_equal(drive_wake_ms(&f->d, f->now), f->now);
    expect_cmd(f, DRIVE_OP_STATUS, 0);                  /* a look at once */
    answer_status(f, &off);
    advance(f, 100);
    drive_watch(&f->d, f->now);                         /* asked again: these are fresh */
    expect_cmd(f, DRIVE_OP_NONE, 0);
    advance(f, DRIVE_LOOK_MS);
    expect_cmd(f, DRIVE_OP_STATUS, 0);                  /* watched: one a period */
    answer_status(f, &off);
    for (uint64_t t = 0; t < DRIVE_WATCH_MS + DRIVE_LOOK_MS; t += 10) {
        struct drive_cmd c = drive_next(&f->d, f->now);

        assert_int_not_equal(c.op, DRIVE_OP_LEVEL);      /* a look never moves the motor */
        if (c.op == DRIVE_OP_STATUS) {
            drive_sent(&f->d, c, f->now);
            answer_status(f, &off);
        }
        advance(f, 10);
    }
    expect_cmd(f, DRIVE_OP_NONE, 0);                    /* nobody asked for a minute: left alone again */
    assert_int_equal(drive_wake_ms(&f->d, f->now), UINT64_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_attach_and_idle),
        T(test_an_idle_massager_is_read_while_someone_asks),
        T(test_attach_refusals),
        T(test_attach_1_0_device),
        T(test_start_reads_the_device_first),
        T(test_stall_across_a_raise_reads_first),
        T(test_even_a_lowering_needs_a_fresh_look),
        T(test_unknown_outcome_is_resolved_by_a_look),
        T(test_unexplained_level_ends_the_session),
        T(test_three_failures_lose_contact),
        T(test_fault_in_status_ends_the_session),
        T(test_refused_raise),
        T(test_rise_waits_for_the_device_window),
        T(test_reset_detection),
        T(test_shutdown_and_spindown),
        T(test_device_floors_set_the_pace),
        T(test_decode_status_sizes),
        T(test_stop_is_not_held_back_by_a_failure),
        T(test_late_level_counts_from_the_answer),
        T(test_a_restart_from_off_knotd_did_not_see_ends_the_session),
        T(test_a_silence_of_exactly_the_watchdog_ends_the_session),
        T(test_a_refusal_of_the_last_session_does_not_end_the_next),
        T(test_a_late_lowering_on_a_running_motor_goes_on),
        T(test_holding_a_rise_keeps_the_heartbeat),
        T(test_start_clears_a_fault_whose_cause_is_gone),
        T(test_start_refused_with_the_remedy),
        T(test_a_clear_the_device_refuses_ends_the_start),
        T(test_an_unexplained_level_with_a_clearable_fault_ends_the_start),
        T(test_a_gone_device_ends_the_session_as_unplugged),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
