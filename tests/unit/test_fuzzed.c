/* SPDX-License-Identifier: MIT */
/* test_fuzzed.c - cmocka regression tests of what the libFuzzer harnesses (tests/fuzz/) found, each replayed step by step. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "device.h"
#include "drive.h"

#define T0 1000000u

/* ---- the device controller (tests/fuzz/fuzz_drive.c) ---- */

struct host {
    struct drive d;
    struct session s;
    struct session_dev rest;
    struct profile_area area;
    uint64_t now;
    unsigned seq;
};

static void put16(uint8_t *b, unsigned v)
{
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
}

/* The next request must be op (at level); it goes out now. */
static void expect(struct host *h, enum drive_op op, unsigned level)
{
    struct drive_cmd c = drive_next(&h->d, h->now);

    if (c.op != op || (op == DRIVE_OP_LEVEL && c.level != level))
        print_error("expected op %d level %u, got op %d level %u\n", op, level, c.op, c.level);
    assert_int_equal(c.op, op);
    if (op == DRIVE_OP_LEVEL)
        assert_int_equal(c.level, level);
    if (op != DRIVE_OP_NONE)
        drive_sent(&h->d, c, h->now);
}

static unsigned ok(struct host *h)
{
    return drive_done(&h->d, DRIVE_OK, NULL, 0, h->now);
}

/* A 1.1 status showing level, no fault; uptime follows the clock. */
static unsigned status(struct host *h, unsigned level)
{
    uint8_t b[KNOT_STATUS_SIZE] = { 0 };
    uint32_t up = (uint32_t)(h->now - T0 + 5000);

    put16(b, ++h->seq);
    b[2] = (uint8_t)level;
    b[3] = level ? KNOT_STOP_NONE : KNOT_STOP_HOST;
    b[14] = 80;
    put16(b + 16, up & 0xffff);
    put16(b + 18, up >> 16);
    return drive_done(&h->d, DRIVE_OK, b, sizeof(b), h->now);
}

/* GET_INFO of a 5-level 1.1 device and SET_LEVEL 0; the attach's status is the caller's. */
static void attach_until_status(struct host *h)
{
    uint8_t b[KNOT_INFO_SIZE] = { 0 };

    b[0] = 1;
    b[1] = 1;
    b[4] = 5;
    put16(b + 6, 250);
    memcpy(b + 24, "FUZZ1", 5);
    put16(b + 40, KNOT_TRIAL_MS);
    put16(b + 42, KNOT_RISE_GAP_MS);
    put16(b + 44, KNOT_CEILING_S);
    put16(b + 46, KNOT_REST_S);
    drive_init(&h->d, &h->s, h->now);
    expect(h, DRIVE_OP_INFO, 0);
    assert_int_equal(drive_done(&h->d, DRIVE_OK, b, sizeof(b), h->now), DRIVE_N_INFO);
    drive_accept(&h->d, &h->rest);
    expect(h, DRIVE_OP_LEVEL, 0);
    ok(h);
    expect(h, DRIVE_OP_STATUS, 0);
}

static int host_setup(void **state)
{
    static struct host h;

    memset(&h, 0, sizeof(h));
    h.now = T0;
    snprintf(h.area.name, sizeof(h.area.name), "calves");
    snprintf(h.area.title, sizeof(h.area.title), "Calves");
    h.area.gun_allowed = true;
    h.area.start_level = 1;
    h.area.trial_s = 10;
    h.area.default_level = 2;
    h.area.max_level = 3;
    h.area.step_s = 5;
    h.area.session_s = 300;
    h.area.force_max_dn = 250;
    session_init(&h.s);
    *state = &h;
    return 0;
}

/* corpus/drive/regress-attach-status-level-144: the attach's status showed
 * level 144, and drive.c shifted 1u by 144 (undefined; UBSan stopped it).
 * A level beyond the protocol's is not known: only off goes out. */
static void test_attach_status_beyond_the_levels(void **state)
{
    struct host *h = *state;
    const unsigned levels[] = { 9, 15, 16, 31, 32, 144, 255 };

    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
        attach_until_status(h);
        assert_true(status(h, levels[i]) & DRIVE_N_ATTACHED);
        assert_int_equal(drive_level(&h->d), -1);
        assert_true(drive_active(&h->d, h->now));   /* not known to be off: watched */
        expect(h, DRIVE_OP_LEVEL, 0);
        ok(h);
        assert_int_equal(drive_level(&h->d), 0);
    }
}

/* corpus/drive/regress-stale-ack-counts-trial: an ouch's SET_LEVEL 1 was in
 * flight when the session was stopped and a new one started. Its late answer
 * counted as the new session's level 1, so the trial ran while the motor
 * went off first; after a stall as long as the trial the session was in its
 * ramp, and knotd asked a motor it knew to be off for level 2. */
static void test_stale_ack_starts_no_trial(void **state)
{
    struct host *h = *state;
    char why[256];

    attach_until_status(h);
    status(h, 0);
    assert_int_equal(session_start(&h->s, &h->rest, &h->area, 5, 0, h->now, why, sizeof(why)), 0);
    drive_begin(&h->d, h->now);
    expect(h, DRIVE_OP_STATUS, 0);
    status(h, 0);
    expect(h, DRIVE_OP_LEVEL, 1);
    ok(h);
    h->now += 10001;                    /* the trial, then the first step */
    drive_tick(&h->d, h->now);
    expect(h, DRIVE_OP_STATUS, 0);
    status(h, 1);
    expect(h, DRIVE_OP_LEVEL, 2);
    ok(h);
    assert_int_equal(session_ouch(&h->s, h->now, why, sizeof(why)), 0);
    expect(h, DRIVE_OP_STATUS, 0);
    status(h, 2);
    expect(h, DRIVE_OP_LEVEL, 1);       /* in flight while the client stops and starts again */
    drive_end(&h->d, SESSION_END_STOPPED, h->now);
    assert_int_equal(session_start(&h->s, &h->rest, &h->area, 5, 0, h->now, why, sizeof(why)), 0);
    drive_begin(&h->d, h->now);
    h->now += 7;
    ok(h);                              /* the old session's level 1 */
    assert_int_equal(h->s.applied, 0);  /* not this session's level 1: its trial has not begun */
    expect(h, DRIVE_OP_LEVEL, 0);       /* a session begins from off */
    h->now += 14000;                    /* a stall longer than the trial */
    ok(h);
    drive_tick(&h->d, h->now);
    expect(h, DRIVE_OP_STATUS, 0);
    status(h, 0);
    expect(h, DRIVE_OP_LEVEL, 1);       /* from off, level 1 and a whole trial */
    ok(h);
    assert_int_equal(session_trial_left_s(&h->s, h->now), 10);
}

/* ---- the device core (tests/fuzz/fuzz_device.c) ---- */

static int kdev_set(struct kdev *d, unsigned level, uint64_t now)
{
    const uint8_t setup[8] = { KNOT_RT_OUT, KNOT_REQ_SET_LEVEL, (uint8_t)level, 0, 0, 0, 0, 0 };

    return kdev_control(d, setup, NULL, 0, now);
}

/* corpus/device/regress-ceiling-at-watchdog-stop: the running account
 * reached the ceiling at the very millisecond the watchdog stopped the
 * motor. The watchdog's stop came first, the ceiling looked only at a
 * running motor, so no rest was forced: the next start was accepted. */
static void test_ceiling_reached_as_the_watchdog_fires(void **state)
{
    struct kdev d;
    struct knot_status st;
    struct kdev_config cfg = { .levels = 5, .watchdog_ms = 1000, .ceiling_s = 1 };

    (void)state;
    memcpy(cfg.serial, "FUZZDEV1", 8);
    kdev_init(&d, &cfg, NULL, NULL, T0);
    assert_int_equal(kdev_set(&d, 1, T0), 0);
    kdev_tick(&d, T0 + 1000);          /* a second of running: the ceiling, and the watchdog's deadline */
    assert_int_equal(d.level, 0);
    assert_int_equal(kdev_set(&d, 1, T0 + 9348), KDEV_STALL);
    kdev_status(&d, &st);
    assert_int_equal(st.refusal, KNOT_REFUSAL_RESTING);
    assert_true(knot_le16(st.rest_left_s) > 0);
    /* rest_s off clears it */
    assert_int_equal(kdev_set(&d, 1, T0 + 1000 + KNOT_REST_S * 1000u), 0);
    assert_int_equal(d.level, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_attach_status_beyond_the_levels, host_setup),
        cmocka_unit_test_setup(test_stale_ack_starts_no_trial, host_setup),
        cmocka_unit_test(test_ceiling_reached_as_the_watchdog_fires),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
