/* SPDX-License-Identifier: MIT */
/* session.h - the massage session state machine: trial, ramp, hold, stop; pure logic, time as an argument. */
#ifndef KNOT_SESSION_H
#define KNOT_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"

/* Device-wide ceiling, independent of profiles and clients: the motor never
 * runs more than this in total unless it has rested SESSION_REST_MS since. */
#define SESSION_CEILING_MS (10u * 60u * 1000u)
#define SESSION_REST_MS (2u * 60u * 1000u)
/* Force above the area's limit for longer than this is "pressing too hard". */
#define SESSION_FORCE_GRACE_MS 1000u
/* The proofs' clock bound (make prove, docs/PROOFS.md): times below 2^62 ms
 * (146 million years), so no sum of a time and a profile's seconds wraps. */
#define SESSION_TIME_MAX (1ull << 62)

enum session_phase {
    SESSION_IDLE = 0,   /* never started */
    SESSION_TRIAL,      /* level 1 for trial_s (restarted by ouch) */
    SESSION_RAMP,       /* one level per step_s toward the target */
    SESSION_HOLD,       /* at the target */
    SESSION_ENDED,      /* motor off; see session.end */
    SESSION_WAIT,       /* after a trial, with ask: level 1 until session_go() or the session's end */
};

enum session_end {
    SESSION_END_NONE = 0,
    SESSION_END_DONE,      /* the area's time is up */
    SESSION_END_STOPPED,   /* a client said stop */
    SESSION_END_FAULT,     /* the device reported a fault */
    SESSION_END_UNPLUG,    /* the device went away */
    SESSION_END_LOST,      /* status polls failed: contact lost */
    SESSION_END_CEILING,   /* device-wide running ceiling reached */
    SESSION_END_SHUTDOWN,  /* the daemon is stopping */
    SESSION_END_REFUSED,   /* the device refused a level knotd asked for (a knotd bug) */
    SESSION_END_PAIN,      /* ouch again at level 1: nothing gentler is left (session_ouch: SESSION_PAIN_STOP) */
    SESSION_END_DISCONNECTED, /* the control connection that followed the session closed */
    SESSION_END_RED_FLAG,  /* the person reported a red flag on the running area */
    SESSION_END_PROFILE,   /* a profile reload removed the area or closed it to the massager */
};

/* What outlives one session on one device: the running ceiling. (An area's
 * rest belongs to the person, not the massager: rest.c.) */
struct session_dev {
    uint64_t run_ms;          /* running time counted toward the ceiling */
    uint64_t last_run_ms;     /* when the motor last ran (for the rest rule) */
};

/* What the device reported at the last poll. */
struct session_input {
    uint16_t force_dn;
    uint16_t faults;          /* any bit set ends the session */
};

struct session {
    struct profile_area area; /* a copy: a reload changes it only where stricter (session_reload) */
    enum session_phase phase;
    enum session_end end;
    unsigned max_level;       /* min(area.max_level, device levels) */
    unsigned target;          /* where the ramp goes, 1..max_level */
    unsigned level;           /* what the motor must be commanded now */
    unsigned applied;         /* the level the device last acknowledged in this session (0: none yet) */
    unsigned peak;            /* the highest level the device acknowledged in this session */
    unsigned ouches;
    uint64_t ran_ms;          /* the motor's running time in this session (level above 0 commanded) */
    uint64_t start_ms, phase_ms, step_ms, end_ms, last_tick_ms;
    uint64_t force_over_ms;   /* since when force is above the limit, 0 = not */
    bool force_warning;       /* holding because of too much force */
    bool ask;                 /* every trial ends in SESSION_WAIT: no ramp without the person's go-ahead */
    bool backed_off;          /* an ouch left it at level 1 and it has not risen since */
};

/* What the engine answers a request: SESSION_OK, another outcome that is no
 * refusal, or why it refuses (SESSION_R_*, negative), with a human text in
 * why. One meaning per value whatever the request; commands.c maps the
 * refusals to the protocol's codes in one table. */
enum session_answer {
    SESSION_GONE = 3,                /* reload: the area is gone or closed: the caller ends it (SESSION_END_PROFILE) */
    SESSION_PAIN_STOP = 2,           /* ouch at level 1 again: the caller ends the session (SESSION_END_PAIN) */
    SESSION_SAME_AREA = 1,           /* start: this area runs already; nothing changed */
    SESSION_OK = 0,
    SESSION_R_INVALID = -1,          /* arguments no caller should pass (an area without a trial, no levels) */
    SESSION_R_NOT_ALLOWED = -2,      /* the gun does not belong on the area: why = the guide's advice */
    SESSION_R_DEVICE_RESTING = -3,   /* the massager rests after its running ceiling: why says how long */
    SESSION_R_BUSY = -4,             /* another area's session runs */
    SESSION_R_LIMIT = -5,            /* above the effective maximum, or below level 1 */
    SESSION_R_NOT_RUNNING = -6,      /* no session */
    SESSION_R_TRIAL = -7,            /* not during the trial: why = seconds of trial left */
    SESSION_R_NOT_WAITING = -8,      /* go, but the session is past its wait or never waits */
};

/*@
  predicate session_on(struct session *s) =
    s->phase == SESSION_TRIAL || s->phase == SESSION_WAIT || s->phase == SESSION_RAMP || s->phase == SESSION_HOLD;

  // The level the motor must be commanded (session_level()).
  logic integer session_cmd(struct session *s) =
    (s->phase == SESSION_TRIAL || s->phase == SESSION_WAIT || s->phase == SESSION_RAMP || s->phase == SESSION_HOLD)
      ? s->level : 0;

  // What every entry point keeps (make prove; docs/PROOFS.md): a running
  // session commands a level from 1 up to its target, the target within the
  // area's maximum and the massager's levels; level 1 in the trial and while
  // it waits for the go-ahead; the area's hard limits (session_area_sane).
  predicate session_ok(struct session *s) =
    session_on(s) ==>
      1 <= s->level <= s->target <= s->max_level <= KNOT_MAX_LEVELS
      && s->max_level <= s->area.max_level
      && ((s->phase == SESSION_TRIAL || s->phase == SESSION_WAIT) ==> s->level == 1)
      && s->area.trial_s >= PROFILE_TRIAL_MIN_S && s->area.step_s >= PROFILE_STEP_MIN_S
      && s->start_ms <= SESSION_TIME_MAX && s->phase_ms <= SESSION_TIME_MAX && s->step_ms <= SESSION_TIME_MAX
      && s->last_tick_ms <= SESSION_TIME_MAX;

  // A caller's text buffer: none (whylen 0), or whylen bytes apart from p.
  predicate session_why_ok(char *why, size_t whylen, struct session *p) =
    whylen == 0 || (\valid(why + (0 .. whylen - 1)) && \separated(why + (0 .. whylen - 1), p));
*/

void session_init(struct session *s);
/* req_level 0 = the area's default_level. SESSION_OK on start;
 * SESSION_SAME_AREA when the same area already runs (no-op);
 * SESSION_R_NOT_ALLOWED, SESSION_R_DEVICE_RESTING (an area's own rest is
 * rest.c's), SESSION_R_BUSY, SESSION_R_LIMIT (req_level above the effective
 * maximum), SESSION_R_INVALID. */
enum session_answer session_start(struct session *s, struct session_dev *dev, const struct profile_area *a,
                                  unsigned device_levels, unsigned req_level, uint64_t now_ms, char *why,
                                  size_t whylen);
/* A device whose own floors are longer than the area's (docs/PROTOCOL.md §8)
 * sets the pace: the running session's trial and step become at least
 * trial_ms and gap_ms (rounded up to whole seconds). 0 = no floor. */
/*@ requires \valid(s) && session_ok(s);
    assigns s->area.trial_s, s->area.step_s;
    ensures session_ok(s);
    ensures s->area.trial_s >= \old(s->area.trial_s) && s->area.step_s >= \old(s->area.step_s);
    ensures session_on(s) ==> s->area.trial_s * 1000 >= trial_ms && s->area.step_s * 1000 >= gap_ms; */
void session_floors(struct session *s, unsigned trial_ms, unsigned gap_ms);
/* Move the target. up during the trial: SESSION_R_TRIAL. Beyond the limits:
 * SESSION_R_LIMIT. Not running: SESSION_R_NOT_RUNNING. While waiting
 * (SESSION_WAIT) only the target moves: the level stays 1 until session_go(). */
enum session_answer session_up(struct session *s, uint64_t now_ms, char *why, size_t whylen);
enum session_answer session_down(struct session *s, uint64_t now_ms, char *why, size_t whylen);
/* Back off: level 1 at once, trial restarts, target one below the lower of
 * level and target (at least 1): SESSION_OK. An ouch at level 1 after an
 * ouch that left it there (no rise since): SESSION_PAIN_STOP, nothing
 * changed, why = the advice; the caller ends the session with
 * SESSION_END_PAIN. Not running: SESSION_R_NOT_RUNNING. */
enum session_answer session_ouch(struct session *s, uint64_t now_ms, char *why, size_t whylen);
/* The person will be asked after each trial: from then on every trial ends
 * in SESSION_WAIT at level 1, and the ramp begins only at session_go().
 * SESSION_OK; SESSION_R_NOT_RUNNING. */
enum session_answer session_ask(struct session *s);
/* The person's go-ahead after a trial: from SESSION_WAIT to the ramp (or to
 * hold when the target is level 1). SESSION_OK; SESSION_R_NOT_RUNNING;
 * SESSION_R_TRIAL in the trial (why = seconds of trial left);
 * SESSION_R_NOT_WAITING past the wait already (ramp or hold, or a session
 * that never asks). */
enum session_answer session_go(struct session *s, uint64_t now_ms, char *why, size_t whylen);
/* Motor off at once (the area's rest is charged by the owner, rest.c). No-op if not running. */
/*@ requires \valid(s) && session_ok(s) && (dev == \null || (\valid(dev) && \separated(dev, s)));
    requires now_ms <= SESSION_TIME_MAX;
    assigns s->ran_ms, s->last_tick_ms, s->level, s->phase, s->end, s->end_ms, s->phase_ms, s->force_over_ms,
            s->force_warning, dev->run_ms, dev->last_run_ms;
    ensures session_ok(s) && !session_on(s) && session_cmd(s) == 0;
    ensures \old(session_on(s)) ==> s->level == 0 && s->phase == SESSION_ENDED; */
void session_stop(struct session *s, struct session_dev *dev, enum session_end why, uint64_t now_ms);
/* Advance: trial end, ramp steps, session end, ceiling, faults, force.
 * in NULL = no new reading (force and faults as before). Call it before any
 * client request, so an overdue session ends first. */
/*@ requires \valid(s) && session_ok(s) && (dev == \null || (\valid(dev) && \separated(dev, s)));
    requires now_ms <= SESSION_TIME_MAX;
    requires in == \null || \valid_read(in);
    assigns s->ran_ms, s->last_tick_ms, s->level, s->phase, s->end, s->end_ms, s->phase_ms, s->force_over_ms,
            s->force_warning, s->step_ms, s->backed_off, dev->run_ms, dev->last_run_ms;
    ensures session_ok(s);
    // a rise: one level, from an acknowledged level, a step after the last change, never while pressing too
    // hard; out of the trial only when it has lasted trial_s (and the session does not wait for a go-ahead)
    ensures session_cmd(s) <= \old(session_cmd(s)) + 1;
    ensures session_cmd(s) > \old(session_cmd(s)) ==>
            \old(session_on(s)) && \old(s->applied) == \old(s->level) && !s->force_warning
            && s->step_ms >= \old(s->step_ms) + s->area.step_s * 1000
            && (\old(s->phase) == SESSION_RAMP
                || (\old(s->phase) == SESSION_TRIAL && !s->ask
                    && s->step_ms >= \old(s->phase_ms) + s->area.trial_s * 1000));
    ensures \old(s->phase) == SESSION_TRIAL && session_on(s) && s->phase != SESSION_TRIAL ==>
            \old(s->applied) == \old(s->level) && s->last_tick_ms >= \old(s->phase_ms) + s->area.trial_s * 1000;
    ensures \old(s->phase) == SESSION_WAIT && session_on(s) ==> s->phase == SESSION_WAIT;
    ensures \old(s->phase) == SESSION_TRIAL && s->ask && session_on(s) && s->phase != SESSION_TRIAL ==>
            s->phase == SESSION_WAIT;
    // the ends: the area's time, a fault, the massager's running ceiling
    ensures now_ms >= \old(s->end_ms) ==> !session_on(s);
    ensures in != \null && in->faults != 0 ==> !session_on(s);
    ensures dev != \null && dev->run_ms >= SESSION_CEILING_MS ==> !session_on(s);
    ensures session_on(s) ==> s->end_ms == \old(s->end_ms); */
void session_tick(struct session *s, struct session_dev *dev, const struct session_input *in, uint64_t now_ms);

/* The device acknowledged `level` at now_ms. If that is the session's current
 * level, the next ramp step (and, in the trial, the trial itself) counts from
 * now: steps stay step_s apart and the trial lasts trial_s as the motor
 * experiences them, however late a command was delivered. No raise happens
 * until the level before it has been acknowledged this way: a session never
 * runs ahead of its motor. */
/*@ requires \valid(s) && session_ok(s);
    requires now_ms <= SESSION_TIME_MAX;
    assigns s->applied, s->peak, s->step_ms, s->phase_ms;
    ensures session_ok(s) && s->step_ms >= \old(s->step_ms) && s->phase_ms >= \old(s->phase_ms); */
void session_level_applied(struct session *s, unsigned level, uint64_t now_ms);

/*@ requires s == \null || \valid_read(s);
    assigns \nothing;
    ensures \result <==> (s != \null && session_on(s)); */
bool session_running(const struct session *s);
/* The profiles were reloaded at now_ms; a is the session's area as now
 * loaded (by its name or an alias), NULL if gone. What is stricter applies
 * at once: a lower maximum brings max, target and level down (a lowering
 * needs no pace), a shorter session_s moves the end closer (not before
 * now), a longer trial or step and a lower force limit hold from now. What
 * is looser waits for the next session. SESSION_OK (perhaps changed), or
 * SESSION_GONE when the area is gone, closed to the massager (gun = false)
 * or breaks a hard limit: the caller ends the session. Not running:
 * SESSION_OK, nothing changed. */
enum session_answer session_reload(struct session *s, const struct profile_area *a, uint64_t now_ms);
/* Whether asker_uid may make owner_uid's session stronger (up, go): its
 * owner or root only. Anyone who may steer may make it gentler. */
bool session_may_raise(unsigned owner_uid, unsigned asker_uid);
/* The level to command now: 0 unless running. (Its contract is here, on the
 * declaration, so that the proof of drive.c can use it.) */
/*@ requires s == \null || \valid_read(s);
    assigns \nothing;
    ensures s != \null ==> \result == session_cmd(s);
    ensures s == \null ==> \result == 0; */
unsigned session_level(const struct session *s);
/* When session_tick(..., NULL, ...) next has something to do (the trial's end,
 * a step, the session's end); UINT64_MAX when idle/ended. Never a time that
 * such a tick would leave unchanged. */
uint64_t session_next_ms(const struct session *s);
unsigned session_left_s(const struct session *s, uint64_t now_ms);        /* of the whole session */
unsigned session_trial_left_s(const struct session *s, uint64_t now_ms);  /* 0 outside the trial */
const char *session_phase_name(enum session_phase p);   /* "idle","trial","ramp","hold","ended","wait" */
/* "","done","stopped","fault","unplugged","lost-contact","ceiling","shutdown","refused","pain","disconnected" */
const char *session_end_name(enum session_end e);
/* What the person should do after a session that ended so: "" for most ends. */
const char *session_end_advice(enum session_end e);

#endif
