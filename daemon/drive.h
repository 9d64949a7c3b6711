/* SPDX-License-Identifier: MIT */
/* drive.h - one massager's device control as pure logic: attach, heartbeat, what to send, what an observation means (no I/O, time as an argument). */
#ifndef KNOT_DRIVE_H
#define KNOT_DRIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "knot/control.h"
#include "knot/proto.h"
#include "session.h"

/*
 * The controller sits between a session (session.c: which level the guide's
 * rules want now) and the device (docs/PROTOCOL.md). It decides every request
 * knotd sends and what every answer means; its owner (massager.c, or the
 * closed-loop simulation of tests/unit/test_loop.c) only carries requests out:
 *
 *     c = drive_next(d, now)  -> if c.op: send it, drive_sent(d, c, now)
 *     answer                  -> drive_done(d, result, data, len, now)
 *     at drive_wake_ms()      -> drive_tick(d, now)
 *
 * and after each of these calls drive_next() again. One request is in flight
 * at a time. No I/O, no clock reads, no allocation.
 *
 * The rule it keeps: never command a level above 0 unless the last
 * observation of the device (a GET_STATUS) is fresh — its request sent less
 * than watchdog_ms / 2 ago and after the last level change — and shows the
 * motor at the level knotd believes, with no fault. After any gap (a stall of
 * the loop, a slow or failed transfer, a refusal, a status it cannot
 * explain) it reads the device first. Only SET_LEVEL 0 is sent blind.
 */

#define DRIVE_TIMEOUT_MS KNOT_HOST_TIMEOUT_MS
#define DRIVE_MAX_FAILS 3          /* failed requests in a row during a session: contact lost */
#define DRIVE_SPINDOWN_MS 2000     /* keep polling after off until the motor reports 0 ppm, this long at most */
#define DRIVE_SKEW_MS 100          /* a rise the device allows this much later is clock skew, not a bug */
#define DRIVE_WATCH_MS 60000u      /* after a status request, idle looks go on this long */
#define DRIVE_LOOK_MS 1000u        /* idle and watched: readings at most this old (a person watching it cool) */
#define DRIVE_FRESH_MS KNOT_FRESH_MS   /* a status request finds readings older than this: a look at once */
/* A device stricter than knotd's own ceiling and rest would be leant on: refused. */
#define DRIVE_CEILING_MIN_S (SESSION_CEILING_MS / 1000u + 60u)
#define DRIVE_REST_MAX_S (SESSION_REST_MS / 1000u - 5u)

/* GET_INFO, decoded. */
struct drive_info {
    unsigned proto_major, proto_minor, fw, levels, watchdog_ms;
    unsigned ppm[KNOT_MAX_LEVELS];
    char serial[KNOT_SERIAL_LEN + 1];
    unsigned trial_ms, rise_gap_ms, ceiling_s, rest_s;   /* 1.1; 0 from a 1.0 device */
};

/* GET_STATUS, decoded. */
struct drive_status {
    unsigned seq, level, last_stop, ppm, current_ma, force_dn, faults, battery;
    int temp_dc;
    bool ext;                       /* the 1.1 fields below are there */
    uint32_t uptime_ms, run_ms;
    unsigned rise_wait_ms, refusal, refused_level, refusals, rest_left_s;
};

/* 0 when buf holds an info block knotd accepts, else -1 with why filled in. */
int drive_decode_info(const uint8_t *buf, size_t len, struct drive_info *out, char *why, size_t whylen);
/* 0, or -1 when buf is shorter than a status block of that protocol minor. */
int drive_decode_status(const uint8_t *buf, size_t len, unsigned proto_minor, struct drive_status *out);

enum drive_op { DRIVE_OP_NONE, DRIVE_OP_INFO, DRIVE_OP_STATUS, DRIVE_OP_LEVEL, DRIVE_OP_CLEAR };

struct drive_cmd {
    enum drive_op op;
    unsigned level;                 /* DRIVE_OP_LEVEL: the level to set */
};

/* The 8-byte SETUP packet of c (wLength = the size knotd expects back). */
void drive_cmd_setup(struct drive_cmd c, uint8_t setup[8]);

/* How a request ended. */
enum drive_result {
    DRIVE_OK,        /* answered; data holds the IN data stage */
    DRIVE_STALL,     /* the device refused it */
    DRIVE_TIMEOUT,   /* no answer within DRIVE_TIMEOUT_MS: it may still take effect */
    DRIVE_ERROR,     /* any other failure (I/O error, cancelled) */
    DRIVE_GONE,      /* the device is no longer there (unplugged; its removal event may come later) */
};

enum drive_phase {
    DRIVE_ATTACH,    /* GET_INFO, SET_LEVEL 0, GET_STATUS */
    DRIVE_READY,
    DRIVE_DEAD,      /* unusable: the owner closes it (d->why says why) */
};

/* What a call changed, for the owner to act on or report (bits). */
enum {
    DRIVE_N_INFO = 1 << 0,       /* GET_INFO decoded: the owner checks the serial, then drive_accept() or drive_reject() */
    DRIVE_N_ATTACHED = 1 << 1,   /* attach done: the massager is usable */
    DRIVE_N_DEAD = 1 << 2,       /* the massager is unusable: close it; d->why says why */
    DRIVE_N_STATUS = 1 << 3,     /* a new observation */
    DRIVE_N_LEVEL = 1 << 4,      /* the device acknowledged a new level */
    DRIVE_N_WARN = 1 << 5,       /* d->why holds a warning for the log */
    DRIVE_N_BEGUN = 1 << 6,      /* a start is decided: the session runs, or it ended at once (fault; d->remedy says what to do) */
};

struct drive {
    enum drive_phase phase;
    unsigned attach_step;           /* within DRIVE_ATTACH */
    struct drive_info info;
    struct session *sess;           /* the owner's; the controller ends it and feeds it observations */
    struct session_dev *rest;       /* the owner's per-serial memory, from drive_accept() */
    unsigned period_ms;             /* the heartbeat: min(50, watchdog_ms / 5) */

    /* what knotd knows of the device */
    struct drive_status st;         /* the last observation */
    bool st_valid;
    uint64_t st_ms;                 /* when the request behind st was sent */
    uint64_t st_done_ms;            /* when its answer came */
    uint16_t possible;              /* bit per level the device may have: one bit = known */
    uint64_t change_ms;             /* when the request of the last acknowledged level change was sent */
    unsigned unanswered;            /* status requests whose outcome is unknown since st (1.0 seq check) */
    bool refused;                   /* a SET_LEVEL above 0 stalled: the next status says why */
    bool off_first;                 /* a session began while the motor was not known to be off */
    bool begin_pending;             /* a session began: its first look decides it */
    bool clear_due, clear_tried;    /* a latched fault whose cause is gone: CLEAR_FAULT before level 1 */
    char remedy[256];               /* a start refused for a fault: what to do */
    bool ran;                       /* the device ran a level above 0 in the current session */

    /* the request in flight */
    bool busy;
    struct drive_cmd cmd;
    uint64_t sent_ms;

    uint64_t next_poll_ms;          /* the next heartbeat */
    uint64_t watched_until_ms;      /* someone asked how the massager is: idle looks until then */
    uint64_t asked_ms;              /* when they last asked */
    uint64_t retry_ms;              /* after a failure, nothing before this */
    uint64_t hold_ms;               /* a rise waits for the device's rise window */
    unsigned fails;
    uint64_t failing_since_ms;
    uint64_t off_ms;                /* when level 0 was last acknowledged */
    uint64_t fed_ms;                /* when the last request the device answered was sent: it was fed no earlier */
    bool unfed;                     /* since the last look, it may have gone unfed longer than its watchdog */
    unsigned leans;                 /* rises asked for before the device allowed them: knotd bugs */
    unsigned lean_level;            /* the rise already counted */

    char why[192];
};

/* What the controller's calls into the session may change, named field by
 * field for the proof (make prove; contracts only): a whole-struct assigns
 * leaves the solvers unable to see that d itself is untouched. */
#define DRIVE_SESSION_STATE \
    d->sess->ran_ms, d->sess->last_tick_ms, d->sess->level, d->sess->phase, d->sess->end, d->sess->end_ms, \
    d->sess->phase_ms, d->sess->force_over_ms, d->sess->force_warning, d->sess->step_ms, d->sess->backed_off, \
    d->sess->applied, d->sess->peak, d->sess->area.trial_s, d->sess->area.step_s, d->rest->run_ms, d->rest->last_run_ms

/* The last look, field by field (contracts only; as above). */
#define DRIVE_LOOK_STATE \
    d->st.seq, d->st.level, d->st.last_stop, d->st.ppm, d->st.current_ma, d->st.force_dn, d->st.faults, \
    d->st.battery, d->st.temp_dc, d->st.ext, d->st.uptime_ms, d->st.run_ms, d->st.rise_wait_ms, d->st.refusal, \
    d->st.refused_level, d->st.refusals, d->st.rest_left_s

/*@
  // The level the device is known to have, -1 when not known (drive_level()):
  // possible holds that level's one bit.
  logic integer drive_level_l(struct drive *d) =
    d->possible == 0x001 ? 0 : d->possible == 0x002 ? 1 : d->possible == 0x004 ? 2 :
    d->possible == 0x008 ? 3 : d->possible == 0x010 ? 4 : d->possible == 0x020 ? 5 :
    d->possible == 0x040 ? 6 : d->possible == 0x080 ? 7 : d->possible == 0x100 ? 8 : -1;
  predicate drive_at(struct drive *d, integer l) = l >= 0 && drive_level_l(d) == l;

  // The observation knotd may act on (drive_fresh()): a status, no refusal
  // pending, no fault, the motor at the level knotd believes, its request
  // sent after the last level change and less than half a watchdog ago.
  predicate drive_fresh_p(struct drive *d, integer now) =
    d->st_valid != 0 && d->refused == 0 && d->st.faults == 0 && drive_at(d, d->st.level)
    && d->change_ms <= d->st_ms <= now < d->st_ms + d->info.watchdog_ms / 2;

  // A 1.1 device's rise window is open (its status said when; a 1.0 device has none).
  predicate drive_rise_open_p(struct drive *d, integer now) =
    d->st.ext == 0 || (d->st.rise_wait_ms != KNOT_RISE_WAIT_NEVER && now >= d->st_done_ms + d->st.rise_wait_ms);

  // A level the device shows that knotd can explain (drive_explained()):
  // the one it knows, or, while not known, any level possible still holds
  // (a SET_LEVEL whose outcome is unknown; every level after a nonsense
  // one, when the session has ended and only off goes out).
  predicate drive_explained_p(struct drive *d, integer level) =
    0 <= level <= KNOT_MAX_LEVELS
    && (drive_level_l(d) >= 0 ? drive_level_l(d) == level : (d->possible & (1 << level)) != 0);

  // How far a 16-bit sequence number moved from a to b.
  logic integer drive_seq_delta(integer a, integer b) = b >= a ? b - a : b + 65536 - a;

  // The device was reset since prev (drive_was_reset()): a motor found off
  // with no recorded stop after it ran; a smaller uptime (1.1, not a wrap);
  // or (1.0) a seq that did not move, or moved more than knotd's own reads
  // explain.
  predicate drive_reset_p(struct drive *d, struct drive_status *prev, struct drive_status *st) =
    (d->ran != 0 && st->level == 0 && st->last_stop == KNOT_STOP_NONE)
    || (st->ext != 0 && prev->ext != 0
        ? st->uptime_ms < prev->uptime_ms && !(prev->uptime_ms > 0xC0000000 && st->uptime_ms < 0x40000000)
        : drive_seq_delta(prev->seq, st->seq) == 0 || drive_seq_delta(prev->seq, st->seq) > 1 + d->unanswered);

  // A request answered at now, sent fed_ms ago or later: the device may have
  // gone unfed for a watchdog (within a tenth of it) since (drive_fed()).
  predicate drive_unfed_p(struct drive *d, integer now) =
    now - d->fed_ms + d->info.watchdog_ms / 10 >= d->info.watchdog_ms;

  // The motor went through off unseen since prev, and a late SET_LEVEL
  // started it again (drive_restarted_unseen()): it ran then and runs now,
  // with no off acknowledged since; and a new last_stop, or (1.1) a run_ms
  // that grew less than the time between the two looks, or (1.0) a silence
  // that may have let its watchdog fire.
  predicate drive_unseen_p(struct drive *d, struct drive_status *prev, struct drive_status *st, integer unfed) =
    prev->level != 0 && st->level != 0 && d->off_ms < d->st_done_ms
    && (st->last_stop != prev->last_stop
        || (st->ext != 0 && prev->ext != 0
            ? st->run_ms + DRIVE_SKEW_MS < prev->run_ms + (d->sent_ms > d->st_done_ms ? d->sent_ms - d->st_done_ms : 0)
            : unfed != 0));

  // What the owner keeps (make prove; docs/PROOFS.md): its session, if any,
  // apart from d and keeping session_ok; the level read from the device is a
  // byte; times below the clock bound.
  predicate drive_ok(struct drive *d) =
    (d->sess == \null || (\valid_read(d->sess) && \separated(d, d->sess) && session_ok(d->sess)))
    && (d->phase == DRIVE_ATTACH || d->phase == DRIVE_READY || d->phase == DRIVE_DEAD)
    && d->st.level <= 255 && d->st.rise_wait_ms <= 0xffff
    && d->st_ms <= SESSION_TIME_MAX && d->st_done_ms <= SESSION_TIME_MAX && d->change_ms <= SESSION_TIME_MAX
    && d->retry_ms <= SESSION_TIME_MAX && d->next_poll_ms <= SESSION_TIME_MAX && d->asked_ms <= SESSION_TIME_MAX
    && d->watched_until_ms <= SESSION_TIME_MAX && d->off_ms <= SESSION_TIME_MAX;

  // What an answer's handling needs besides (drive_done's helpers): the
  // owner's session and per-serial memory, writable and apart from d and
  // each other; the request in flight a level knotd can name.
  predicate drive_owned(struct drive *d) =
    d->sess != \null && \valid(d->sess) && \separated(d, d->sess) && session_ok(d->sess)
    && (d->rest == \null || (\valid(d->rest) && \separated(d->rest, d) && \separated(d->rest, d->sess)))
    && d->cmd.level <= KNOT_MAX_LEVELS;
*/

void drive_init(struct drive *d, struct session *s, uint64_t now_ms);
/* After DRIVE_N_INFO: the serial is fine; rest is where its cool-downs live. */
void drive_accept(struct drive *d, struct session_dev *rest);
/* After DRIVE_N_INFO: the massager is not to be used. */
void drive_reject(struct drive *d, const char *why);

/* The request to send now, or DRIVE_OP_NONE (one is in flight, nothing is
 * due, or a wait is on). Never SET_LEVEL above 0 without a fresh observation. */
struct drive_cmd drive_next(struct drive *d, uint64_t now_ms);
void drive_sent(struct drive *d, struct drive_cmd c, uint64_t now_ms);
/* The request in flight ended. data/len: the IN data stage (DRIVE_OK only).
 * Returns DRIVE_N_* bits. May end the session (fault, lost contact,
 * unexplained state, refusal). */
unsigned drive_done(struct drive *d, enum drive_result r, const uint8_t *data, size_t len, uint64_t now_ms);
/* Time passed: brings the session up to now (trial end, steps, its end). */
void drive_tick(struct drive *d, uint64_t now_ms);
/* When drive_tick() and drive_next() have something to do next; UINT64_MAX
 * when idle. With a request in flight, only the session's own deadlines:
 * its answer comes first. */
uint64_t drive_wake_ms(const struct drive *d, uint64_t now_ms);

/* A session was just started on d's session (session_start() returned 0):
 * its trial and steps are raised to the device's floors if those are longer,
 * it begins from off (a motor not known to be off is stopped first), and with
 * a look at the device before level 1. A latched fault whose cause the
 * readings show gone (advice_clearable) is cleared with CLEAR_FAULT first;
 * one that is not ends the session at once (fault, never ran) with
 * d->remedy. Either way DRIVE_N_BEGUN reports the decision. */
void drive_begin(struct drive *d, uint64_t now_ms);
/* End the session now (a client's stop, unplug, shutdown): the next request is off. */
void drive_end(struct drive *d, enum session_end why, uint64_t now_ms);
/* Before exit: ends the session and returns the request that leaves the
 * motor off, for the owner to send at once (synchronously). */
struct drive_cmd drive_shutdown(struct drive *d, uint64_t now_ms);

/* Someone asked for the massager's status at now_ms. Idle, knotd does not
 * poll (a device left alone may sleep); now it looks at once if the readings
 * are more than DRIVE_FRESH_MS old, then every DRIVE_LOOK_MS for
 * DRIVE_WATCH_MS. Looks are reads: they never move the motor. */
void drive_watch(struct drive *d, uint64_t now_ms);

/* The heartbeat must run: a session, or a motor not known to be off and still. */
bool drive_active(const struct drive *d, uint64_t now_ms);
/* The level the device is known to have; -1 while it is not known. */
int drive_level(const struct drive *d);

#endif
