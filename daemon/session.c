/* SPDX-License-Identifier: MIT */
/* session.c - the massage session state machine (trial, ramp, hold, stop): pure logic, no I/O, no clock reads, no allocation. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "session.h"

#include "knot/control.h"

/*
 * Time model. All times are milliseconds of one monotonic clock, passed in by
 * the caller. A session never lets time run backward: every entry point works
 * with session_now(), the latest time it has seen, so a clock that steps back
 * counts as no elapsed time and can never shorten a trial, a step or a rest.
 *
 * Field use (session.h):
 *   start_ms      when the session started
 *   phase_ms      when the current phase began (the trial restarts at ouch)
 *   step_ms       when the level last changed (start, raise, down, ouch): the
 *                 next raise is allowed step_s after it, whatever the clients do
 *   end_ms        while running: when the session will end (start + session_s);
 *                 once ended: when it actually ended
 *   last_tick_ms  up to when the running time is accounted to the ceiling
 *   force_over_ms since when the force is above the limit; 0 = not. A rise
 *                 seen at time 0 is stored as 1, one millisecond later grace.
 *
 * Raises happen only in session_tick(), at most one per call, and only once
 * the device has acknowledged the current level (session_level_applied):
 * session_up() moves the target and the daemon ticks at session_next_ms().
 */

/* The texts are not proved (make prove assumes this contract): vsnprintf
 * writes at most len bytes of why, and nothing else. */
/*@ requires len == 0 || \valid(why + (0 .. len - 1));
    assigns why[0 .. len - 1]; */
static void session_say(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void session_say(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;

    if (!why || len == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
}

/*@ assigns \nothing;
    ensures \result == \max(a, b); */
static uint64_t session_max64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

/* Whole seconds still to wait, rounded up: "0 more s" is never shown while
 * something is still pending. */
/*@ assigns \nothing;
    ensures ms > 0 ==> \result >= 1;
    ensures ms <= (uint64_t)UINT_MAX * 1000 ==> \result * 1000 >= ms; */
static unsigned session_secs(uint64_t ms)
{
    uint64_t s = ms / 1000u + (ms % 1000u ? 1u : 0u);

    return s > UINT_MAX ? UINT_MAX : (unsigned)s;
}

/* The latest time this session has seen (see the time model above). */
/*@ requires \valid_read(s);
    assigns \nothing;
    ensures \result >= now_ms && \result >= s->last_tick_ms && \result >= s->phase_ms && \result >= s->step_ms
            && \result >= s->start_ms;
    ensures \result == now_ms || \result == s->last_tick_ms || \result == s->phase_ms || \result == s->step_ms
            || \result == s->start_ms; */
static uint64_t session_now(const struct session *s, uint64_t now_ms)
{
    uint64_t t = session_max64(now_ms, s->last_tick_ms);

    t = session_max64(t, s->phase_ms);
    t = session_max64(t, s->step_ms);
    return session_max64(t, s->start_ms);
}

/*@ requires len >= 1 && \valid(dst + (0 .. len - 1)) && \valid_read(src + (0 .. len - 1));
    requires \separated(dst + (0 .. len - 1), src + (0 .. len - 1));
    assigns dst[0 .. len - 1]; */
static void session_lower_copy(char *dst, size_t len, const char *src)
{
    size_t i;

    /*@ loop invariant 0 <= i <= len - 1;
        loop assigns i, dst[0 .. len - 2];
        loop variant len - i; */
    for (i = 0; i + 1 < len && src[i]; i++)
        dst[i] = (src[i] >= 'A' && src[i] <= 'Z') ? (char)(src[i] - 'A' + 'a') : src[i];
    dst[i] = '\0';
}

/* The area is a caller's copy: profile_parse() checked it, but a session
 * refuses to drive the motor from a struct that breaks a hard limit anyway. */
/*@ predicate session_area_ok(struct profile_area *a) =
      a->start_level == PROFILE_START_LEVEL
      && PROFILE_TRIAL_MIN_S <= a->trial_s <= PROFILE_TRIAL_MAX_S
      && 1 <= a->max_level <= KNOT_MAX_LEVELS && 1 <= a->default_level <= a->max_level
      && a->step_s >= PROFILE_STEP_MIN_S && a->trial_s <= a->session_s <= PROFILE_SESSION_MAX_S
      && a->cooldown_s <= PROFILE_COOLDOWN_MAX_S && 1 <= a->force_max_dn <= PROFILE_FORCE_MAX_DN; */
/*@ requires \valid_read(a);
    assigns \nothing;
    ensures \result != 0 ==> session_area_ok(a); */
static int session_area_sane(const struct profile_area *a)
{
    return a->name[0] != '\0' &&
           a->start_level == PROFILE_START_LEVEL &&
           a->trial_s >= PROFILE_TRIAL_MIN_S && a->trial_s <= PROFILE_TRIAL_MAX_S &&
           a->max_level >= 1 && a->max_level <= KNOT_MAX_LEVELS &&
           a->default_level >= 1 && a->default_level <= a->max_level &&
           a->step_s >= PROFILE_STEP_MIN_S &&
           a->session_s >= a->trial_s && a->session_s <= PROFILE_SESSION_MAX_S &&
           a->cooldown_s <= PROFILE_COOLDOWN_MAX_S &&
           a->force_max_dn >= 1 && a->force_max_dn <= PROFILE_FORCE_MAX_DN;
}

/* Count the running time since the last accounting toward the ceiling. */
/*@ requires \valid(s) && (dev == \null || (\valid(dev) && \separated(dev, s)));
    assigns s->ran_ms, s->last_tick_ms, dev->run_ms, dev->last_run_ms;
    ensures s->last_tick_ms == \max(\old(s->last_tick_ms), t);
    ensures s->applied == 0 || s->level == 0 ==> s->ran_ms == \old(s->ran_ms); */
static void session_account(struct session *s, struct session_dev *dev, uint64_t t)
{
    /* What the muscle got: rest and the daily dose are charged on it (rest.c).
     * From the device's first acknowledgement: a start the device refused
     * never ran, and is no session (no rest, no dose, no treated day). */
    if (t > s->last_tick_ms && s->level > 0 && s->applied > 0)
        s->ran_ms += t - s->last_tick_ms;
    if (dev) {
        if (t > s->last_tick_ms)
            dev->run_ms += t - s->last_tick_ms;
        dev->last_run_ms = t;
    }
    s->last_tick_ms = session_max64(s->last_tick_ms, t);
}

/* A session that never ran. A const struct, not memset: the proof reads its
 * fields, where memset would leave it bytes it cannot. */
static const struct session session_zero;

/*@ requires s == \null || \valid(s);
    assigns *s;
    ensures s != \null ==> s->phase == SESSION_IDLE && session_ok(s); */
void session_init(struct session *s)
{
    if (s) {
        *s = session_zero;
        s->phase = SESSION_IDLE;   /* said again: the proof cannot read a const's zero */
    }
}

/* Its contract is on the declaration (session.h). */
bool session_running(const struct session *s)
{
    return s && (s->phase == SESSION_TRIAL || s->phase == SESSION_WAIT || s->phase == SESSION_RAMP ||
                 s->phase == SESSION_HOLD);
}

/*@ assigns \nothing;
    ensures \result <==> (asker_uid == 0 || asker_uid == owner_uid); */
bool session_may_raise(unsigned owner_uid, unsigned asker_uid)
{
    return asker_uid == 0 || asker_uid == owner_uid;
}

/* Its contract is on the declaration (session.h). */
unsigned session_level(const struct session *s)
{
    return session_running(s) ? s->level : 0;
}

/* strcmp over the names' arrays (each nul-terminated within it): bounded,
 * so the proof needs no string predicate. */
/*@ requires \valid_read(x + (0 .. PROFILE_NAME_LEN - 1)) && \valid_read(y + (0 .. PROFILE_NAME_LEN - 1));
    assigns \nothing; */
static bool session_same_name(const char *x, const char *y)
{
    /*@ loop invariant 0 <= i <= PROFILE_NAME_LEN;
        loop assigns i;
        loop variant PROFILE_NAME_LEN - i; */
    for (size_t i = 0; i < PROFILE_NAME_LEN; i++) {
        if (x[i] != y[i])
            return false;
        if (x[i] == '\0')
            return true;
    }
    return true;
}

/* The area's copy: a C struct assignment, which the solvers do not see
 * through (its char arrays); make prove assumes this contract (PROOFS.md). */
/*@ requires \valid(dst) && \valid_read(src) && \separated(dst, src);
    assigns *dst;
    ensures dst->max_level == src->max_level && dst->trial_s == src->trial_s && dst->step_s == src->step_s
            && dst->session_s == src->session_s && dst->default_level == src->default_level
            && dst->start_level == src->start_level && dst->force_max_dn == src->force_max_dn
            && dst->cooldown_s == src->cooldown_s && dst->gun_allowed == src->gun_allowed; */
static void session_copy_area(struct profile_area *dst, const struct profile_area *src)
{
    *dst = *src;
}

/* A new session of area a, in its trial at level 1. Every field is set
 * here, one by one (a field added to struct session is added here): the
 * proof follows field stores and the area's copy, not a whole-struct copy. */
/*@ requires \valid(s) && \valid_read(a) && \separated(s, a) && session_area_ok(a);
    requires 1 <= target <= max <= a->max_level && max <= KNOT_MAX_LEVELS && now_ms <= SESSION_TIME_MAX;
    assigns *s;
    ensures s->area.max_level == a->max_level && s->area.trial_s == a->trial_s && s->area.step_s == a->step_s
            && s->area.session_s == a->session_s;
    ensures s->phase == SESSION_TRIAL && s->level == 1 && s->applied == 0 && !s->ask
            && s->max_level == max && s->target == target;
    ensures s->start_ms == now_ms && s->phase_ms == now_ms && s->step_ms == now_ms && s->last_tick_ms == now_ms
            && s->end_ms == now_ms + a->session_s * 1000;
    ensures s->area.trial_s >= PROFILE_TRIAL_MIN_S && s->area.step_s >= PROFILE_STEP_MIN_S;
    ensures 1 <= s->level <= s->target <= s->max_level <= KNOT_MAX_LEVELS && s->max_level <= s->area.max_level;
    ensures s->start_ms <= SESSION_TIME_MAX && s->phase_ms <= SESSION_TIME_MAX && s->step_ms <= SESSION_TIME_MAX
            && s->last_tick_ms <= SESSION_TIME_MAX;
    ensures session_ok(s); */
static void session_begin(struct session *s, const struct profile_area *a, unsigned max, unsigned target,
                          uint64_t now_ms)
{
    session_copy_area(&s->area, a);
    s->phase = SESSION_TRIAL;
    s->end = SESSION_END_NONE;
    s->applied = s->peak = s->ouches = 0;
    s->ran_ms = s->force_over_ms = 0;
    s->force_warning = s->ask = s->backed_off = false;
    s->max_level = max;
    s->target = target;
    s->level = PROFILE_START_LEVEL;
    s->start_ms = s->phase_ms = s->step_ms = s->last_tick_ms = now_ms;
    s->end_ms = now_ms + (uint64_t)a->session_s * 1000u;
}

/*@ requires \valid(s) && session_ok(s) && \valid(dev) && \valid_read(a);
    requires now_ms <= SESSION_TIME_MAX;
    requires \separated(s, dev) && \separated(s, a) && \separated(dev, a);
    requires session_why_ok(why, whylen, s) && (whylen == 0 || \separated(why + (0 .. whylen - 1), dev, a));
    assigns *s, dev->run_ms, dev->last_run_ms, why[0 .. whylen - 1];
    ensures session_ok(s);
    ensures \result == SESSION_OK ==> s->phase == SESSION_TRIAL && s->level == 1 && s->applied == 0 && !s->ask
            && s->max_level <= a->max_level && s->target <= a->max_level
            && s->phase_ms == now_ms && s->step_ms == now_ms && s->end_ms == now_ms + a->session_s * 1000
            && s->area.trial_s == a->trial_s && s->area.step_s == a->step_s;
    ensures \result != SESSION_OK ==> (session_on(s) <==> \old(session_on(s))) && s->level == \old(s->level)
            && s->phase == \old(s->phase); */
enum session_answer session_start(struct session *s, struct session_dev *dev, const struct profile_area *a,
                                    unsigned device_levels, unsigned req_level, uint64_t now_ms, char *why, size_t whylen)
{
    unsigned levels, max, target;
    uint64_t rest;

    session_say(why, whylen, "%s", "");
    if (!s || !dev || !a) {
        session_say(why, whylen, "no session, device or area");
        return SESSION_R_INVALID;
    }
    /* First, so that the advice is given even while something else runs. */
    if (!a->gun_allowed) {
        char title[sizeof(a->title)], tool[sizeof(a->tool)];

        session_lower_copy(title, sizeof(title), a->title);
        session_lower_copy(tool, sizeof(tool), a->tool);
        session_say(why, whylen, "the percussion massager is not recommended on the %s; use %s: %s",
                    title, tool, a->action);
        return SESSION_R_NOT_ALLOWED;
    }
    if (session_running(s)) {
        if (session_same_name(s->area.name, a->name)) {
            session_say(why, whylen, "%s session is already running", s->area.title);
            return SESSION_SAME_AREA;
        }
        session_say(why, whylen, "%s session is running; stop it first", s->area.title);
        return SESSION_R_BUSY;
    }
    if (!session_area_sane(a)) {
        session_say(why, whylen, "the profile of %s breaks a hard limit; not starting", a->name);
        return SESSION_R_INVALID;
    }
    /* A full rest wipes the running account; without it the ceiling holds. */
    rest = now_ms > dev->last_run_ms ? now_ms - dev->last_run_ms : 0;
    if (rest >= SESSION_REST_MS) {
        dev->run_ms = 0;
    } else if (dev->run_ms >= SESSION_CEILING_MS) {
        session_say(why, whylen, "the massager needs %u more s of rest", session_secs(SESSION_REST_MS - rest));
        return SESSION_R_DEVICE_RESTING;
    }

    levels = device_levels == 0 ? 1 : device_levels;
    if (levels > KNOT_MAX_LEVELS)
        levels = KNOT_MAX_LEVELS;
    max = a->max_level < levels ? a->max_level : levels;
    if (req_level == 0) {
        target = a->default_level < max ? a->default_level : max;
    } else if (req_level > max) {
        session_say(why, whylen, "level %u is above the limit %u for %s", req_level, max, a->name);
        return SESSION_R_LIMIT;
    } else {
        target = req_level;
    }

    session_begin(s, a, max, target, now_ms);
    dev->last_run_ms = session_max64(dev->last_run_ms, now_ms);
    session_say(why, whylen, "%s: level 1 for %u s (trial), then up to level %u; %u s in all", a->name,
                a->trial_s, target, a->session_s);
    return SESSION_OK;
}

/*@ requires \valid(s) && session_ok(s) && (a == \null || (\valid_read(a) && \separated(s, a)));
    requires now_ms <= SESSION_TIME_MAX;
    assigns s->max_level, s->area.max_level, s->target, s->level, s->step_ms, s->phase, s->phase_ms,
            s->area.session_s, s->end_ms, s->area.trial_s, s->area.step_s, s->area.force_max_dn;
    ensures session_ok(s) && (session_on(s) <==> \old(session_on(s)));
    ensures session_cmd(s) <= \old(session_cmd(s)) && s->max_level <= \old(s->max_level);
    ensures \result == SESSION_OK && session_on(s) ==> s->max_level <= a->max_level;
    ensures s->area.trial_s >= \old(s->area.trial_s) && s->area.step_s >= \old(s->area.step_s);
    ensures s->area.force_max_dn <= \old(s->area.force_max_dn) && s->end_ms <= \old(s->end_ms);
    ensures s->phase == \old(s->phase) || (\old(s->phase) == SESSION_RAMP && s->phase == SESSION_HOLD); */
enum session_answer session_reload(struct session *s, const struct profile_area *a, uint64_t now_ms)
{
    uint64_t t, end;

    if (!session_running(s))
        return SESSION_OK;
    if (!a || !a->gun_allowed || !session_area_sane(a))
        return SESSION_GONE;
    t = session_now(s, now_ms);
    if (a->max_level < s->max_level) {
        s->max_level = s->area.max_level = a->max_level;
        if (s->target > s->max_level)
            s->target = s->max_level;
        if (s->level > s->target) {
            s->level = s->target;
            s->step_ms = t;
        }
        if (s->phase == SESSION_RAMP && s->level >= s->target) {
            s->phase = SESSION_HOLD;
            s->phase_ms = t;
        }
    }
    if (a->session_s < s->area.session_s) {
        s->area.session_s = a->session_s;
        end = s->start_ms + (uint64_t)a->session_s * 1000u;
        /* Sooner, but not before now; an end already due stays where it was. */
        end = end > t ? end : t;
        if (end < s->end_ms)
            s->end_ms = end;
    }
    if (a->trial_s > s->area.trial_s)
        s->area.trial_s = a->trial_s;
    if (a->step_s > s->area.step_s)
        s->area.step_s = a->step_s;
    if (a->force_max_dn < s->area.force_max_dn)
        s->area.force_max_dn = a->force_max_dn;
    return SESSION_OK;
}

/* Its contract is on the declaration (session.h). */
void session_floors(struct session *s, unsigned trial_ms, unsigned gap_ms)
{
    unsigned trial_s = session_secs(trial_ms), step_s = session_secs(gap_ms);

    if (!session_running(s))
        return;
    if (s->area.trial_s < trial_s)
        s->area.trial_s = trial_s;
    if (s->area.step_s < step_s)
        s->area.step_s = step_s;
}

/* The common start of up, down and ouch: why cleared, or says nothing runs. */
/*@ requires \valid_read(s) && session_why_ok(why, whylen, (struct session *)s);
    assigns why[0 .. whylen - 1];
    ensures \result <==> session_on(s); */
static bool session_expect_running(const struct session *s, char *why, size_t whylen)
{
    session_say(why, whylen, "%s", session_running(s) ? "" : "no session is running");
    return session_running(s);
}

/*@ requires \valid(s) && session_ok(s) && session_why_ok(why, whylen, s);
    requires now_ms <= SESSION_TIME_MAX;
    assigns s->target, s->phase, why[0 .. whylen - 1];
    ensures session_ok(s) && s->level == \old(s->level) && session_cmd(s) == \old(session_cmd(s));
    ensures s->phase == \old(s->phase) || (\old(s->phase) == SESSION_HOLD && s->phase == SESSION_RAMP); */
enum session_answer session_up(struct session *s, uint64_t now_ms, char *why, size_t whylen)
{
    unsigned trial_left;

    if (!session_expect_running(s, why, whylen))
        return SESSION_R_NOT_RUNNING;
    /* A trial whose time is up but which no tick has ended yet takes the
     * new target; session_tick() then ends the trial and starts the ramp. */
    trial_left = session_trial_left_s(s, now_ms);
    if (trial_left > 0) {
        session_say(why, whylen, "trial: staying at level 1 for %u more s", trial_left);
        return SESSION_R_TRIAL;
    }
    if (s->target + 1 > s->max_level) {
        session_say(why, whylen, "level %u is above the limit %u for %s", s->target + 1, s->max_level,
                    s->area.name);
        return SESSION_R_LIMIT;
    }
    s->target++;
    if (s->phase == SESSION_HOLD && s->level < s->target)
        s->phase = SESSION_RAMP;
    if (s->phase == SESSION_WAIT)
        session_say(why, whylen, "target level %u; staying at level 1 until the go-ahead", s->target);
    else if (s->force_warning)
        session_say(why, whylen, "target level %u; holding at level %u while pressing too hard", s->target,
                    s->level);
    else
        session_say(why, whylen, "target level %u; rising at most one level per %u s", s->target,
                    s->area.step_s);
    return SESSION_OK;
}

/*@ requires \valid(s) && session_ok(s) && session_why_ok(why, whylen, s);
    requires now_ms <= SESSION_TIME_MAX;
    assigns s->target, s->level, s->step_ms, s->phase, s->phase_ms, why[0 .. whylen - 1];
    ensures session_ok(s) && session_cmd(s) <= \old(session_cmd(s));
    ensures s->phase == \old(s->phase) || (\old(s->phase) == SESSION_RAMP && s->phase == SESSION_HOLD); */
enum session_answer session_down(struct session *s, uint64_t now_ms, char *why, size_t whylen)
{
    uint64_t t;

    if (!session_expect_running(s, why, whylen))
        return SESSION_R_NOT_RUNNING;
    t = session_now(s, now_ms);
    if (s->target <= 1) {
        session_say(why, whylen, "level 1 is the lowest; stop turns the massager off");
        return SESSION_R_LIMIT;
    }
    s->target--;
    /* Lowering is always immediate: it can only make things gentler. In the
     * trial the level is 1 already and stays there. */
    if (s->phase != SESSION_TRIAL && s->level > s->target) {
        s->level = s->target;
        s->step_ms = t;
    }
    if (s->phase == SESSION_RAMP && s->level >= s->target) {
        s->phase = SESSION_HOLD;
        s->phase_ms = t;
    }
    session_say(why, whylen, "target level %u; level %u now", s->target, s->level);
    return SESSION_OK;
}

/*@ requires \valid(s) && session_ok(s) && session_why_ok(why, whylen, s);
    requires now_ms <= SESSION_TIME_MAX;
    assigns s->target, s->level, s->phase, s->phase_ms, s->step_ms, s->ouches, s->backed_off, why[0 .. whylen - 1];
    ensures session_ok(s) && session_cmd(s) <= \old(session_cmd(s));
    ensures \result == SESSION_OK ==> s->level == 1 && s->phase == SESSION_TRIAL && s->backed_off
            && s->phase_ms >= now_ms && s->step_ms == s->phase_ms;
    ensures \result != SESSION_OK ==> s->level == \old(s->level) && s->phase == \old(s->phase);
    ensures \old(session_on(s)) && \old(s->level) <= 1 && \old(s->backed_off) ==> \result == SESSION_PAIN_STOP; */
enum session_answer session_ouch(struct session *s, uint64_t now_ms, char *why, size_t whylen)
{
    unsigned below;
    uint64_t t;

    if (!session_expect_running(s, why, whylen))
        return SESSION_R_NOT_RUNNING;
    /* Backing off to level 1 did not help: the pain is worsening, and there
     * is nothing gentler left. The guide: stop. */
    if (s->level <= 1 && s->backed_off) {
        session_say(why, whylen, "%s", session_end_advice(SESSION_END_PAIN));
        return SESSION_PAIN_STOP;
    }
    t = session_now(s, now_ms);
    /* The guide: sharp or worsening pain, back off immediately. Come back
     * later below where it hurt (or below the target, if that is lower). */
    below = s->level < s->target ? s->level : s->target;
    s->target = below > 1 ? below - 1 : 1;
    s->level = PROFILE_START_LEVEL;
    s->phase = SESSION_TRIAL;
    s->phase_ms = t;
    s->step_ms = t;
    s->ouches++;
    s->backed_off = true;
    session_say(why, whylen, "backing off to level 1; trial restarts (%u s)", s->area.trial_s);
    return SESSION_OK;
}

/*@ requires \valid(s) && session_ok(s);
    assigns s->ask;
    ensures session_ok(s); */
enum session_answer session_ask(struct session *s)
{
    if (!session_running(s))
        return SESSION_R_NOT_RUNNING;
    s->ask = true;
    return SESSION_OK;
}

/*@ requires \valid(s) && session_ok(s) && session_why_ok(why, whylen, s);
    requires now_ms <= SESSION_TIME_MAX;
    assigns s->phase, s->phase_ms, why[0 .. whylen - 1];
    ensures session_ok(s) && s->level == \old(s->level) && session_cmd(s) == \old(session_cmd(s));
    ensures s->phase != \old(s->phase) ==> \old(s->phase) == SESSION_WAIT && \result == SESSION_OK; */
enum session_answer session_go(struct session *s, uint64_t now_ms, char *why, size_t whylen)
{
    uint64_t t;

    if (!session_expect_running(s, why, whylen))
        return SESSION_R_NOT_RUNNING;
    /* The guide: see how the muscle responds first; a go-ahead before that
     * is not one. */
    if (s->phase == SESSION_TRIAL) {
        session_say(why, whylen, "trial: staying at level 1 for %u more s", session_trial_left_s(s, now_ms));
        return SESSION_R_TRIAL;
    }
    if (s->phase != SESSION_WAIT) {
        session_say(why, whylen, "%s",
                    s->ask ? "the ramp has begun already" : "this session does not wait for a go-ahead");
        return SESSION_R_NOT_WAITING;
    }
    t = session_now(s, now_ms);
    /* step_ms stays the last change of level: the first raise comes one
     * step_s after it (at once, after a wait that long). */
    s->phase = s->target > s->level ? SESSION_RAMP : SESSION_HOLD;
    s->phase_ms = t;
    if (s->phase == SESSION_RAMP)
        session_say(why, whylen, "going on: up to level %u, at most one level per %u s", s->target, s->area.step_s);
    else
        session_say(why, whylen, "going on at level %u", s->level);
    return SESSION_OK;
}

/* Its contract is on the declaration (session.h). */
void session_stop(struct session *s, struct session_dev *dev, enum session_end why, uint64_t now_ms)
{
    uint64_t t;

    if (!session_running(s))
        return;
    t = session_now(s, now_ms);
    session_account(s, dev, t);
    s->level = 0;
    s->phase = SESSION_ENDED;
    s->end = why == SESSION_END_NONE ? SESSION_END_STOPPED : why;
    s->end_ms = t;
    s->phase_ms = t;
    s->force_over_ms = 0;
    s->force_warning = false;
}

/* The ends, first: nothing after them may act on a session that has to
 * stop. ceiling_ms: when the running account reached the ceiling, to tell
 * which came first after a late tick. true: the session ended. */
/*@ requires \valid(s) && session_ok(s) && session_on(s) && (dev == \null || (\valid(dev) && \separated(dev, s)));
    requires in == \null || \valid_read(in);
    requires t <= SESSION_TIME_MAX && t >= s->last_tick_ms;
    assigns s->ran_ms, s->last_tick_ms, s->level, s->phase, s->end, s->end_ms, s->phase_ms, s->force_over_ms,
            s->force_warning, dev->run_ms, dev->last_run_ms;
    ensures session_ok(s) && (\result <==> !session_on(s));
    ensures !\result ==> s->level == \old(s->level) && s->phase == \old(s->phase) && s->end_ms == \old(s->end_ms)
            && s->phase_ms == \old(s->phase_ms) && s->last_tick_ms == \old(s->last_tick_ms)
            && s->force_warning == \old(s->force_warning);
    ensures t >= \old(s->end_ms) ==> \result;
    ensures in != \null && in->faults != 0 ==> \result;
    ensures dev != \null && dev->run_ms >= SESSION_CEILING_MS ==> \result; */
static bool session_tick_ends(struct session *s, struct session_dev *dev, const struct session_input *in, uint64_t t,
                              uint64_t ceiling_ms)
{
    enum session_end why = SESSION_END_NONE;

    if (in && in->faults)
        why = SESSION_END_FAULT;
    else if (t >= s->end_ms && s->end_ms <= ceiling_ms)
        why = SESSION_END_DONE;
    else if (dev && dev->run_ms >= SESSION_CEILING_MS)
        why = SESSION_END_CEILING;
    else if (t >= s->end_ms)
        why = SESSION_END_DONE;
    if (why == SESSION_END_NONE)
        return false;
    session_stop(s, dev, why, t);
    return true;
}

/* Pressing too hard: only a reading above the limit for the whole grace
 * period warns; one reading at or below the limit clears. Without a new
 * reading (in == NULL) the force state stays as it is. */
/*@ requires \valid(s) && (in == \null || \valid_read(in));
    requires t <= SESSION_TIME_MAX;
    assigns s->force_over_ms, s->force_warning; */
static void session_tick_force(struct session *s, const struct session_input *in, uint64_t t)
{
    if (!in)
        return;
    if (in->force_dn > s->area.force_max_dn) {
        if (s->force_over_ms == 0)
            s->force_over_ms = t ? t : 1;
        if (t >= s->force_over_ms + SESSION_FORCE_GRACE_MS)
            s->force_warning = true;
    } else {
        s->force_over_ms = 0;
        s->force_warning = false;
    }
}

/* The trial's end and the ramp's steps, at t (the present). */
/*@ requires \valid(s) && session_ok(s) && session_on(s);
    requires t <= SESSION_TIME_MAX && t >= s->phase_ms && t >= s->step_ms && t >= s->start_ms;
    assigns s->phase, s->phase_ms, s->level, s->step_ms, s->backed_off;
    ensures session_ok(s) && session_on(s);
    ensures s->level == \old(s->level) || s->level == \old(s->level) + 1;
    ensures s->level > \old(s->level) ==>
            \old(s->applied) == \old(s->level) && !s->force_warning && s->step_ms == t
            && t >= \old(s->step_ms) + s->area.step_s * 1000
            && (\old(s->phase) == SESSION_RAMP
                || (\old(s->phase) == SESSION_TRIAL && !s->ask && t >= \old(s->phase_ms) + s->area.trial_s * 1000));
    ensures \old(s->phase) == SESSION_TRIAL && s->phase != SESSION_TRIAL ==>
            \old(s->applied) == \old(s->level) && t >= \old(s->phase_ms) + s->area.trial_s * 1000;
    ensures \old(s->phase) == SESSION_WAIT ==> s->phase == SESSION_WAIT;
    ensures \old(s->phase) == SESSION_TRIAL && s->ask && s->phase != SESSION_TRIAL ==> s->phase == SESSION_WAIT; */
static void session_tick_step(struct session *s, uint64_t t)
{
    /* The trial is time the motor spent at level 1: it cannot end before the
     * device has acknowledged that level (session_level_applied). */
    if (s->phase == SESSION_TRIAL && s->applied == s->level &&
        t >= s->phase_ms + (uint64_t)s->area.trial_s * 1000u) {
        s->phase_ms += (uint64_t)s->area.trial_s * 1000u;
        if (s->ask)
            s->phase = SESSION_WAIT;   /* level 1 until the person says go, or the session's end */
        else
            s->phase = s->target > s->level ? SESSION_RAMP : SESSION_HOLD;
    }
    /* The trial counts as the first step, so with step_s <= trial_s the
     * first raise comes at its end; later ones at most one per step_s. */
    if (s->phase == SESSION_RAMP) {
        if (s->level < s->target && !s->force_warning && s->applied == s->level &&
            t >= s->step_ms + (uint64_t)s->area.step_s * 1000u) {
            s->level++;
            s->step_ms = t;
            s->backed_off = false;
        }
        if (s->level >= s->target) {
            s->phase = SESSION_HOLD;
            s->phase_ms = t;
        }
    }
}

/* Its contract is on the declaration (session.h). */
void session_tick(struct session *s, struct session_dev *dev, const struct session_input *in, uint64_t now_ms)
{
    uint64_t t, ceiling_ms;

    if (!session_running(s))
        return;
    t = session_now(s, now_ms);
    /* When the running account reaches the ceiling, to tell which came
     * first after a late tick: the session's end or the ceiling. */
    ceiling_ms = UINT64_MAX;
    if (dev)
        ceiling_ms = s->last_tick_ms + (dev->run_ms < SESSION_CEILING_MS ? SESSION_CEILING_MS - dev->run_ms : 0);
    session_account(s, dev, t);
    if (session_tick_ends(s, dev, in, t, ceiling_ms))
        return;
    session_tick_force(s, in, t);
    session_tick_step(s, t);
}

/* Its contract is on the declaration (session.h). */
void session_level_applied(struct session *s, unsigned level, uint64_t now_ms)
{
    if (!session_running(s) || level != s->level || level == 0)
        return;
    s->applied = level;
    if (level > s->peak)
        s->peak = level;
    if (now_ms > s->step_ms)
        s->step_ms = now_ms;
    /* The trial is time the motor really spent at level 1: it counts from
     * the acknowledgement too (later only ever means a longer trial). */
    if (s->phase == SESSION_TRIAL && now_ms > s->phase_ms)
        s->phase_ms = now_ms;
}

/*@ requires \valid_read(s);
    assigns \nothing; */
uint64_t session_next_ms(const struct session *s)
{
    uint64_t next;

    if (!session_running(s))
        return UINT64_MAX;
    next = s->end_ms;
    if (s->phase == SESSION_TRIAL && s->applied == s->level)
        next = next < s->phase_ms + (uint64_t)s->area.trial_s * 1000u ? next
                                                                    : s->phase_ms + (uint64_t)s->area.trial_s * 1000u;
    if (s->phase == SESSION_RAMP && s->level < s->target && !s->force_warning && s->applied == s->level) {
        uint64_t step = s->step_ms + (uint64_t)s->area.step_s * 1000u;

        next = next < step ? next : step;
    }
    /* No deadline for the force grace: a verdict on force needs a new
     * reading, and readings come with the heartbeat's polls. A deadline
     * no tick can act on would only wake the daemon in vain. */
    return next;
}

/*@ requires \valid_read(s);
    assigns \nothing; */
unsigned session_left_s(const struct session *s, uint64_t now_ms)
{
    uint64_t t;

    if (!session_running(s))
        return 0;
    t = session_now(s, now_ms);
    return t >= s->end_ms ? 0 : session_secs(s->end_ms - t);
}

/*@ requires \valid_read(s);
    assigns \nothing; */
unsigned session_trial_left_s(const struct session *s, uint64_t now_ms)
{
    uint64_t t, end;

    if (!session_running(s) || s->phase != SESSION_TRIAL)
        return 0;
    if (s->applied != s->level)
        return s->area.trial_s;   /* level 1 not acknowledged yet: the trial has not begun */
    t = session_now(s, now_ms);
    end = s->phase_ms + (uint64_t)s->area.trial_s * 1000u;
    return t >= end ? 0 : session_secs(end - t);
}

/*@ assigns \nothing; */
const char *session_phase_name(enum session_phase p)
{
    switch (p) {
    case SESSION_IDLE: return KNOT_PHASE_IDLE;
    case SESSION_TRIAL: return KNOT_PHASE_TRIAL;
    case SESSION_RAMP: return KNOT_PHASE_RAMP;
    case SESSION_HOLD: return KNOT_PHASE_HOLD;
    case SESSION_ENDED: return KNOT_PHASE_ENDED;
    case SESSION_WAIT: return KNOT_PHASE_WAIT;
    }
    return "?";
}

/*@ assigns \nothing; */
const char *session_end_name(enum session_end e)
{
    switch (e) {
    case SESSION_END_NONE: return "";
    case SESSION_END_DONE: return KNOT_END_DONE;
    case SESSION_END_STOPPED: return KNOT_END_STOPPED;
    case SESSION_END_FAULT: return KNOT_END_FAULT;
    case SESSION_END_UNPLUG: return KNOT_END_UNPLUGGED;
    case SESSION_END_LOST: return KNOT_END_LOST;
    case SESSION_END_CEILING: return KNOT_END_CEILING;
    case SESSION_END_SHUTDOWN: return KNOT_END_SHUTDOWN;
    case SESSION_END_REFUSED: return KNOT_END_REFUSED;
    case SESSION_END_PAIN: return KNOT_END_PAIN;
    case SESSION_END_DISCONNECTED: return KNOT_END_DISCONNECTED;
    case SESSION_END_RED_FLAG: return KNOT_END_RED_FLAG;
    case SESSION_END_PROFILE: return KNOT_END_PROFILE;
    }
    return "?";
}

/*@ assigns \nothing; */
const char *session_end_advice(enum session_end e)
{
    /* The guide: a tear or strain comes with sudden, sharp pain, swelling,
     * bruising or weakness; then stop and see a doctor. */
    if (e == SESSION_END_PAIN)
        return "Stop for today: the massager stays off this area until tomorrow. If the pain was sharp or "
               "sudden, or there is swelling, bruising or weakness, see a doctor.";
    /* "When should I see a doctor or physical therapist?": the red flags. */
    if (e == SESSION_END_RED_FLAG)
        return "Stopped: you reported a red flag on this area. The massager stays off it until you clear it; see a "
               "doctor or physical therapist first.";
    return "";
}
