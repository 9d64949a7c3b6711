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

static uint64_t session_max64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

/* Whole seconds still to wait, rounded up: "0 more s" is never shown while
 * something is still pending. */
static unsigned session_secs(uint64_t ms)
{
    uint64_t s = ms / 1000u + (ms % 1000u ? 1u : 0u);

    return s > UINT_MAX ? UINT_MAX : (unsigned)s;
}

/* The latest time this session has seen (see the time model above). */
static uint64_t session_now(const struct session *s, uint64_t now_ms)
{
    uint64_t t = session_max64(now_ms, s->last_tick_ms);

    t = session_max64(t, s->phase_ms);
    t = session_max64(t, s->step_ms);
    return session_max64(t, s->start_ms);
}

static void session_lower_copy(char *dst, size_t len, const char *src)
{
    size_t i;

    for (i = 0; i + 1 < len && src[i]; i++)
        dst[i] = (src[i] >= 'A' && src[i] <= 'Z') ? (char)(src[i] - 'A' + 'a') : src[i];
    dst[i] = '\0';
}

/* The area is a caller's copy: profile_parse() checked it, but a session
 * refuses to drive the motor from a struct that breaks a hard limit anyway. */
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

void session_init(struct session *s)
{
    if (s)
        memset(s, 0, sizeof(*s));
}

bool session_running(const struct session *s)
{
    return s && (s->phase == SESSION_TRIAL || s->phase == SESSION_WAIT || s->phase == SESSION_RAMP ||
                 s->phase == SESSION_HOLD);
}

bool session_may_raise(unsigned owner_uid, unsigned asker_uid)
{
    return asker_uid == 0 || asker_uid == owner_uid;
}

unsigned session_level(const struct session *s)
{
    return session_running(s) ? s->level : 0;
}

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
        if (strcmp(s->area.name, a->name) == 0) {
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

    memset(s, 0, sizeof(*s));
    s->area = *a;
    s->phase = SESSION_TRIAL;
    s->end = SESSION_END_NONE;
    s->max_level = max;
    s->target = target;
    s->level = PROFILE_START_LEVEL;
    s->start_ms = s->phase_ms = s->step_ms = s->last_tick_ms = now_ms;
    s->end_ms = now_ms + (uint64_t)a->session_s * 1000u;
    dev->last_run_ms = session_max64(dev->last_run_ms, now_ms);
    session_say(why, whylen, "%s: level 1 for %u s (trial), then up to level %u; %u s in all", a->name,
                a->trial_s, target, a->session_s);
    return SESSION_OK;
}

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
static bool session_expect_running(const struct session *s, char *why, size_t whylen)
{
    session_say(why, whylen, "%s", session_running(s) ? "" : "no session is running");
    return session_running(s);
}

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

enum session_answer session_ask(struct session *s)
{
    if (!session_running(s))
        return SESSION_R_NOT_RUNNING;
    s->ask = true;
    return SESSION_OK;
}

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

    /* Ends first: nothing below may act on a session that has to stop. */
    if (in && in->faults) {
        session_stop(s, dev, SESSION_END_FAULT, t);
        return;
    }
    if (t >= s->end_ms && s->end_ms <= ceiling_ms) {
        session_stop(s, dev, SESSION_END_DONE, t);
        return;
    }
    if (dev && dev->run_ms >= SESSION_CEILING_MS) {
        session_stop(s, dev, SESSION_END_CEILING, t);
        return;
    }
    if (t >= s->end_ms) {
        session_stop(s, dev, SESSION_END_DONE, t);
        return;
    }

    /* Pressing too hard: only a reading above the limit for the whole grace
     * period warns; one reading at or below the limit clears. Without a new
     * reading (in == NULL) the force state stays as it is. */
    if (in) {
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

unsigned session_left_s(const struct session *s, uint64_t now_ms)
{
    uint64_t t;

    if (!session_running(s))
        return 0;
    t = session_now(s, now_ms);
    return t >= s->end_ms ? 0 : session_secs(s->end_ms - t);
}

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
