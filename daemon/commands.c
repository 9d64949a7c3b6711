/* SPDX-License-Identifier: MIT */
/* commands.c - executes control requests against the massagers and the safety engine; builds replies. */
#include "commands.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-login.h>

#include "advice.h"
#include "carecmd.h"
#include "clock.h"
#include "knot/control.h"
#include "journal.h"
#include "knotd.h"
#include "log.h"
#include "massager.h"
#include "rest.h"
#include "reply.h"
#include "request.h"
#include "timeline.h"
#include "view.h"

/* One request as its handler sees it. */
struct commands_call {
    const struct ctl_peer *peer;
    json_object *req;
    const char *cmd;
    bool *subscribe;           /* set: the connection receives events from now on */
};

enum {
    COMMANDS_CONTROL = 1 << 0,   /* moves a motor or writes the record: root or the socket group only */
    COMMANDS_UNLISTED = 1 << 1,  /* served, but not named in the unknown-command reply */
    COMMANDS_GENTLER = 1 << 2,   /* only ever makes things gentler: served on a stop-only connection too */
};

/* The session engine's refusals as the protocol names them: one table for
 * every command. */
static const struct {
    enum session_answer answer;
    const char *code;
} commands_refusals[] = {
    { SESSION_R_NOT_ALLOWED, KNOT_E_NOT_ALLOWED },
    { SESSION_R_DEVICE_RESTING, KNOT_E_COOLDOWN },
    { SESSION_R_BUSY, KNOT_E_BUSY },
    { SESSION_R_LIMIT, KNOT_E_LIMIT },
    { SESSION_R_NOT_RUNNING, KNOT_E_NOT_RUNNING },
    { SESSION_R_TRIAL, KNOT_E_TRIAL },
    { SESSION_R_NOT_WAITING, KNOT_E_NOT_WAITING },
    { SESSION_R_INVALID, KNOT_E_BAD_REQUEST },
};

/* The reply to a refusal of the session engine; why is its text. */
static json_object *commands_refused(enum session_answer answer, const char *why, const char *otherwise)
{
    for (size_t i = 0; i < sizeof(commands_refusals) / sizeof(commands_refusals[0]); i++)
        if (commands_refusals[i].answer == answer)
            return reply_error(commands_refusals[i].code, "%s", why[0] ? why : otherwise);
    return reply_error(KNOT_E_BAD_REQUEST, "%s", why[0] ? why : otherwise);
}

/* A handler returns the reply, or NULL when the reply comes later (commands_begun). */
struct commands_entry {
    const char *name;
    unsigned flags;
    json_object *(*fn)(const struct commands_call *c);
};



/* The massager a request is about; NULL with *err set when there is none or it is ambiguous. */
static struct massager *commands_pick(json_object *req, json_object **err)
{
    const char *serial;
    char why[REQUEST_WHY_MAX];
    struct massager *m;

    if (request_string(req, KNOT_K_DEVICE, &serial, why, sizeof(why)) == REQUEST_WRONG) {
        *err = reply_error(KNOT_E_BAD_REQUEST, "%s", why);
        return NULL;
    }
    if (serial) {
        m = massager_find(serial);
        if (!m) {
            char q[REQUEST_QUOTE_MAX];
            *err = reply_error(KNOT_E_NO_DEVICE, "no massager with serial '%s' is connected",
                                  request_quote(q, sizeof(q), serial, strlen(serial), 32));
        }
        return m;
    }
    if (massager_count() == 0) {
        *err = reply_error(KNOT_E_NO_DEVICE, "no massager is connected");
        return NULL;
    }
    if (massager_count() > 1) {
        *err = reply_error(KNOT_E_AMBIGUOUS, "%u massagers are connected; name one with -d SERIAL", massager_count());
        return NULL;
    }
    return massager_first();
}

static json_object *commands_session_reply(const struct massager *m)
{
    json_object *o = reply_ok();
    json_object_object_add(o, "device", json_object_new_string(m->serial));
    json_object_object_add(o, "session", view_session(&m->sess, m->side, clock_now_ms()));
    return o;
}

/* start's optional flag `key` (a JSON boolean, absent = dflt): 0, or -1 with *err set. */
static int commands_start_flag(json_object *req, const char *key, bool dflt, bool *on, json_object **err)
{
    char why[REQUEST_WHY_MAX];

    switch (request_bool(req, key, on, why, sizeof(why))) {
    case REQUEST_WRONG:
        *err = reply_error(KNOT_E_BAD_REQUEST, "%s", why);
        return -1;
    case REQUEST_ABSENT:
        *on = dflt;
        break;
    default:
        break;
    }
    return 0;
}

/* "in 14 min (at 10:42)": a wait said the way a person reads it. */
static void commands_when(char *buf, size_t len, uint64_t left_ms)
{
    uint64_t left_s = (left_ms + 999u) / 1000u;
    time_t at = clock_wall_until_s(left_ms);
    struct tm tm;
    char clock[16] = "";

    if (localtime_r(&at, &tm))
        strftime(clock, sizeof(clock), "%H:%M", &tm);
    if (left_s < 60)
        snprintf(buf, len, "in %u s", (unsigned)left_s);
    else
        snprintf(buf, len, "in %u min (at %s)", (unsigned)((left_s + 59u) / 60u), clock);
}

/* The side a request names for area a (KNOT_K_SIDE): "left" or "right" on
 * an area with sides (needed there when need is set), none on an area
 * without. 0 with *side set, or -1 with *err. */
static int commands_side(json_object *req, const struct profile_area *a, bool need, enum profile_side *side,
                         json_object **err)
{
    char why[REQUEST_WHY_MAX], area[sizeof(a->title) + 8];
    const char *name;
    int rc = request_string(req, KNOT_K_SIDE, &name, why, sizeof(why));

    *side = PROFILE_SIDE_NONE;
    if (rc == REQUEST_WRONG) {
        *err = reply_error(KNOT_E_BAD_REQUEST, "%s", why);
        return -1;
    }
    if (rc == REQUEST_PRESENT && profile_side_of(name, side) < 0) {
        *err = reply_error(KNOT_E_BAD_REQUEST, "'side' must be \"%s\" or \"%s\"", KNOT_SIDE_LEFT, KNOT_SIDE_RIGHT);
        return -1;
    }
    if (rc == REQUEST_PRESENT && !a->sides) {
        *err = reply_error(KNOT_E_BAD_REQUEST, "%s has no sides: leave 'side' out", a->name);
        return -1;
    }
    if (rc == REQUEST_ABSENT && a->sides && need) {
        carecmd_lower(area, sizeof(area), a, PROFILE_SIDE_NONE);
        *err = reply_error(KNOT_E_SIDE, "Which side of your %s: left or right? Each side is a muscle of its own, "
                           "with its own rest and dose.", area);
        json_object_object_add(*err, "sides", view_sides(a));
        return -1;
    }
    return 0;
}

/* The area's first session today, and the person has not said it is warm:
 * the guide's warm-up, asked before the motor moves. */
static json_object *commands_warm_up(const struct profile_area *a, enum profile_side side)
{
    char area[sizeof(a->title) + 8];

    carecmd_lower(area, sizeof(area), a, side);
    return reply_error(KNOT_E_WARM_UP, "First session on your %s today: %s", area, advice_warm_up);
}

/* Rest or the day's dose stands in the way: said like a person would, with
 * what to do meanwhile (the area's stretch). */
static json_object *commands_rest_refusal(const struct profile_area *a, enum profile_side side, enum rest_verdict v,
                                          const struct rest_state *rs)
{
    char when[48], area[sizeof(a->title) + 8];
    const char *meanwhile = a->aftercare[0] ? a->aftercare : "stretch gently and drink some water.";
    unsigned dose_min = (unsigned)(rs->dose_ms / 60000u);
    json_object *o;

    carecmd_lower(area, sizeof(area), a, side);
    if (v == REST_RESTING) {
        commands_when(when, sizeof(when), rs->rest_left_ms);
        o = reply_error(KNOT_E_COOLDOWN, "Time to rest your %s \xe2\x80\x94 ready %s. Meanwhile: %s", area, when,
                           meanwhile);
        json_object_object_add(o, "rest_left_s", json_object_new_int64((int64_t)((rs->rest_left_ms + 999u) / 1000u)));
        return o;
    }
    o = reply_error(KNOT_E_DOSE, "Today's %u minute%s for your %s %s used up \xe2\x80\x94 consistency beats "
                       "intensity: more tomorrow. Meanwhile: %s", dose_min, dose_min == 1 ? "" : "s", area,
                       dose_min == 1 ? "is" : "are", meanwhile);
    json_object_object_add(o, "dose_used_s", json_object_new_int64((int64_t)(rs->dose_used_ms / 1000u)));
    json_object_object_add(o, "dose_s", json_object_new_int64((int64_t)(rs->dose_ms / 1000u)));
    return o;
}

/* Starts waiting for the device's first look: at most one per massager. */
struct commands_waiter {
    struct commands_waiter *next;
    const struct massager *m;
    uint64_t client;
    json_object *id;        /* the request's "id", echoed in the reply */
    uid_t uid;              /* who asked: the care record's advice is theirs */
};
static struct commands_waiter *commands_waiters;

static int commands_wait(const struct massager *m, const struct ctl_peer *peer, json_object *req)
{
    struct commands_waiter *w = calloc(1, sizeof(*w));
    json_object *id;

    if (!w)
        return -1;
    w->m = m;
    w->client = peer->id;
    w->uid = peer->uid;
    if (json_object_object_get_ex(req, KNOT_K_ID, &id))
        w->id = json_object_get(id);
    w->next = commands_waiters;
    commands_waiters = w;
    return 0;
}

void commands_begun(struct massager *m)
{
    struct commands_waiter **pp = &commands_waiters, *w;
    json_object *o;

    /* A start the device refused (a fault, an unplug) is no session: the
     * watchers hear of a session only once the device has it running. */
    if (session_running(&m->sess)) {
        m->announced = true;
        ctl_broadcast(view_session_event(KNOT_ACT_STARTED, m, clock_now_ms()));
    }
    while (*pp && (*pp)->m != m)
        pp = &(*pp)->next;
    if (!(w = *pp))
        return;
    *pp = w->next;
    if (session_running(&m->sess)) {
        o = commands_session_reply(m);
        json_object_object_add(o, "area", view_area(&m->sess.area));
        json_object_object_add(o, "already_running", json_object_new_boolean(false));
        /* Treated often and no better: said at every start, with the numbers. */
        json_object_object_add(o, "care", carecmd_state(w->uid, &m->sess.area, m->side));
    } else if (m->sess.end == SESSION_END_FAULT && m->drv.remedy[0]) {
        o = reply_error(KNOT_E_FAULT, "%s", m->drv.remedy);
        json_object_object_add(o, "faults", json_object_new_int((int)m->drv.st.faults));
    } else {
        o = reply_error(KNOT_E_ENDED, "the session ended before it began: %s", session_end_name(m->sess.end));
        json_object_object_add(o, "end", json_object_new_string(session_end_name(m->sess.end)));
    }
    if (w->id)
        json_object_object_add(o, KNOT_K_ID, w->id);
    ctl_reply(w->client, o);
    free(w);
}

/* The body area a request names (KNOT_K_AREA); NULL with *err set. */
static const struct profile_area *commands_area(json_object *req, const char *cmd, json_object **err)
{
    char why[REQUEST_WHY_MAX];
    const char *name;
    const struct profile_area *a;
    int rc = request_string(req, KNOT_K_AREA, &name, why, sizeof(why));

    if (rc == REQUEST_ABSENT) {
        *err = reply_error(KNOT_E_BAD_REQUEST, "%s needs 'area' (a string)", cmd);
        return NULL;
    }
    if (rc == REQUEST_WRONG) {
        *err = reply_error(KNOT_E_BAD_REQUEST, "%s", why);
        return NULL;
    }
    if ((a = profile_find(knotd.profiles, name)))
        return a;
    *err = reply_unknown_area(knotd.profiles, name);
    return NULL;
}

/* Whether a check-in request names any red flag, valid or not. */
static bool commands_names_flags(json_object *req)
{
    json_object *flags;

    return json_object_object_get_ex(req, "flags", &flags) && json_object_is_type(flags, json_type_array) &&
           json_object_array_length(flags) > 0;
}

/* The person's sessions on a that run on a side want covers (NONE: every
 * side) stop for a red flag; their serials go into stopped. */
static void commands_stop_flagged(const struct ctl_peer *peer, const struct profile_area *a, enum profile_side want,
                                  json_object *stopped)
{
    for (struct massager *m = massager_first(); m; m = m->next) {
        massager_catch_up(m);
        if (!session_running(&m->sess) || m->uid != peer->uid || !profile_side_covers(want, m->side) ||
            !profile_area_is(a, m->sess.area.name))
            continue;
        log_info("uid %u: red flag on %s while it runs on %s: stopping", (unsigned)peer->uid, a->name, m->serial);
        massager_stop(m, SESSION_END_RED_FLAG);
        json_object_array_add(stopped, json_object_new_string(m->serial));
    }
}

static json_object *commands_checkin(const struct commands_call *c)
{
    json_object *err = NULL, *o, *stopped;
    const struct profile_area *a = commands_area(c->req, KNOT_CMD_CHECKIN, &err);
    enum profile_side side;

    if (!a)
        return err;
    /* A red flag with no side, or one knotd cannot read, still stops the
     * area on every side first: the question of which comes after the motor
     * is off (found by a review: the side's refusal came before the stop). */
    if (commands_side(c->req, a, true, &side, &err) < 0) {
        stopped = json_object_new_array();
        if (commands_names_flags(c->req))
            commands_stop_flagged(c->peer, a, PROFILE_SIDE_NONE, stopped);
        json_object_object_add(err, "stopped", stopped);
        return err;
    }
    o = carecmd_checkin(c->peer, c->req, a, side);
    /* The rule that refuses a start refuses a running session too: a red
     * flag on the area this person is running now stops it at once, even
     * if the check-in could not be recorded (a full disk keeps no motor on). */
    stopped = json_object_new_array();
    if (carecmd_flagged(c->peer->uid, a, side) || commands_names_flags(c->req))
        commands_stop_flagged(c->peer, a, side, stopped);
    json_object_object_add(o, "stopped", stopped);
    return o;
}

static json_object *commands_start(const struct commands_call *c)
{
    const struct ctl_peer *peer = c->peer;
    json_object *req = c->req;
    const char *area_name;
    const struct profile_area *a;
    json_object *err = NULL, *o;
    struct massager_undo undo;
    struct profile_area capped;
    struct massager *m;
    enum profile_side side;
    char why[512] = "", area[PROFILE_NAME_LEN + 48];
    int64_t level = 0, session_s = 0;
    bool ask, follow, detach, warmed_up;
    int rc;

    rc = request_string(req, KNOT_K_AREA, &area_name, why, sizeof(why));
    if (rc == REQUEST_ABSENT)
        return reply_error(KNOT_E_BAD_REQUEST, "start needs 'area' (a string)");
    if (rc == REQUEST_WRONG)
        return reply_error(KNOT_E_BAD_REQUEST, "%s", why);
    /* Safe by default: the person is asked after the trial, and the session
     * is the connection's; ramping alone and outliving it are said. */
    if (commands_start_flag(req, KNOT_K_ASK, true, &ask, &err) < 0 ||
        commands_start_flag(req, KNOT_K_DETACH, false, &detach, &err) < 0 ||
        commands_start_flag(req, KNOT_K_FOLLOW, !detach, &follow, &err) < 0 ||
        commands_start_flag(req, KNOT_K_WARMED_UP, false, &warmed_up, &err) < 0)
        return err;
    if (detach && follow)
        return reply_error(KNOT_E_BAD_REQUEST, "'detach' and 'follow' contradict each other: a session is either the "
                           "connection's or knotd's");
    rc = request_int(req, KNOT_K_LEVEL, &level, why, sizeof(why));
    if (rc == REQUEST_WRONG)
        return reply_error(KNOT_E_BAD_REQUEST, "%s", why);
    if (rc == REQUEST_PRESENT && level < 1)
        return reply_error(KNOT_E_LIMIT, "level %lld does not exist (levels start at 1)", (long long)level);
    a = profile_find(knotd.profiles, area_name);
    if (!a)
        return reply_unknown_area(knotd.profiles, area_name);
    /* Where the gun does not belong, no side is asked for: the refusal says what to use instead. */
    if (commands_side(req, a, a->gun_allowed, &side, &err) < 0)
        return err;
    rc = request_int(req, KNOT_K_SESSION_S, &session_s, why, sizeof(why));
    if (rc == REQUEST_WRONG)
        return reply_error(KNOT_E_BAD_REQUEST, "%s", why);
    if (rc == REQUEST_PRESENT && a->gun_allowed && (session_s < a->trial_s || session_s > a->session_s))
        return reply_error(KNOT_E_LIMIT, "session_s %lld is outside %u..%u s for %s (at least its trial, at most its "
                           "session)", (long long)session_s, a->trial_s, a->session_s, a->name);
    carecmd_lower(area, sizeof(area), a, side);
    m = commands_pick(req, &err);
    if (!m)
        return err;
    /* Beyond any massager's levels: the limit said is the real one, this area's on this massager. */
    if (level > KNOT_MAX_LEVELS && a->gun_allowed) {
        unsigned lv = m->drv.info.levels ? m->drv.info.levels : 1, max = a->max_level < lv ? a->max_level : lv;

        return reply_error(KNOT_E_LIMIT, "level %lld is above the limit %u for %s", (long long)level, max, a->name);
    }
    massager_catch_up(m);
    /* The other side of the area runs here: a different muscle, a session of its own after this one. */
    if (session_running(&m->sess) && profile_area_is(a, m->sess.area.name) && m->side != side) {
        log_info("uid %u: refused %s on %s: the %s side runs there", (unsigned)peer->uid, area, m->serial,
                 profile_side_name(m->side) ? profile_side_name(m->side) : "other");
        return reply_error(KNOT_E_BUSY, "The %s side runs on %s: stop it first (knotctl stop), then start your %s.",
                           profile_side_name(m->side) ? profile_side_name(m->side) : "other", m->serial, area);
    }
    /* Rest and the day's dose belong to the person, whichever massager:
     * checked first, and a session never runs past what is left today. */
    if (a->gun_allowed && !(session_running(&m->sess) && profile_area_is(a, m->sess.area.name))) {
        json_object *flagged = carecmd_refusal(peer->uid, a, side);
        struct rest_state rs;

        /* A red flag from a check-in: a professional first, not the massager. */
        if (flagged) {
            log_info("uid %u: refused %s: red flags or a stop for today", (unsigned)peer->uid, area);
            return flagged;
        }
        /* The day's dose and the rest are the person's, whichever massager:
         * one session of an area at a time, or three massagers give three doses. */
        for (struct massager *o2 = massager_first(); o2; o2 = o2->next) {
            if (o2 == m || !session_running(&o2->sess) || o2->uid != peer->uid ||
                !profile_side_covers(o2->side, side) || !profile_area_is(a, o2->sess.area.name))
                continue;
            log_info("uid %u: refused %s on %s: it runs on %s", (unsigned)peer->uid, area, m->serial, o2->serial);
            return reply_error(KNOT_E_BUSY, "A session on your %s already runs on %s: one session of an area at a "
                               "time (the day's dose and the rest are yours, whichever massager).", area,
                               o2->serial);
        }
        uint64_t boot = clock_boot_ms();
        enum rest_verdict v = rest_check(&knotd.rest, peer->uid, a, side, boot, clock_day_start_ms(time(NULL), boot),
                                         &rs);

        if (v != REST_OK)
            return commands_rest_refusal(a, side, v, &rs);
        /* Nothing of this area (side) ran today: warm it up first, asked before the motor moves. */
        if (rest_wants_warm_up(&rs, warmed_up)) {
            log_info("uid %u: %s waits for a warm-up: the first session today", (unsigned)peer->uid, area);
            return commands_warm_up(a, side);
        }
        if (rs.allowed_ms < (uint64_t)a->session_s * 1000u) {
            capped = *a;
            capped.session_s = (unsigned)(rs.allowed_ms / 1000u);
            a = &capped;
        }
        /* A shorter session asked for (a routine's step): never longer than the rules allow. */
        if (session_s && (unsigned)session_s < a->session_s) {
            if (a != &capped) {
                capped = *a;
                a = &capped;
            }
            capped.session_s = (unsigned)session_s;
        }
    }
    rc = massager_start(m, a, (unsigned)level, why, sizeof(why), &undo);
    switch (rc) {
    case SESSION_OK:
        /* The person is asked after the trial: no ramp without their go-ahead. */
        if (ask)
            session_ask(&m->sess);
        /* The start is on record before the motor is asked to move; a start
         * that cannot be recorded does not happen (fail closed). */
        m->uid = peer->uid;
        m->side = side;
        if (journal_started(m->serial, m->uid, m->side, &m->sess, why, sizeof(why)) < 0) {
            massager_unstart(m, &undo);
            log_warning("uid %u: refused %s on %s: %s", (unsigned)peer->uid, a->name, m->serial, why);
            return reply_error(KNOT_E_JOURNAL, "%s; no new session starts until it can be written", why);
        }
        log_info("uid %u: start %s on %s (target level %u of max %u)", (unsigned)peer->uid, area, m->serial,
                 m->sess.target, m->sess.max_level);
        /* A followed session belongs to this connection: it ends when the connection does. */
        m->owner = follow ? peer->id : 0;
        if (follow)
            log_info("%s: the session is client %llu's: it stops when that connection closes", m->serial,
                     (unsigned long long)peer->id);
        if (commands_wait(m, peer, req) < 0) {
            massager_unstart(m, &undo);
            return reply_error(KNOT_E_BAD_REQUEST, "out of memory");
        }
        m->announced = false;   /* said once the device took it (commands_begun) */
        massager_run(m);
        /* Answered once the device was looked at (commands_begun): a latched
         * fault is cleared first, or the start is refused with its remedy. */
        return NULL;
    case SESSION_SAME_AREA:
        break; /* nothing to do */
    default:
        if (rc == SESSION_R_NOT_ALLOWED)
            log_info("uid %u: refused %s on %s: gun not allowed there", (unsigned)peer->uid, a->name, m->serial);
        return commands_refused(rc, why, "cannot start");
    }
    o = commands_session_reply(m);
    json_object_object_add(o, "area", view_area(a));
    json_object_object_add(o, "already_running", json_object_new_boolean(true));
    return o;
}

/* up, down, ouch and go: one step of the session the person steers. */
static json_object *commands_move(const struct commands_call *c)
{
    const struct ctl_peer *peer = c->peer;
    json_object *req = c->req;
    const char *cmd = c->cmd;
    json_object *err = NULL;
    struct massager *m = commands_pick(req, &err);
    char why[256] = "";
    int rc;

    if (!m)
        return err;
    massager_catch_up(m);
    /* Gentler is anyone's (down, ouch, stop); stronger only the owner's or root's. */
    if ((strcmp(cmd, "up") == 0 || strcmp(cmd, KNOT_CMD_GO) == 0) && session_running(&m->sess) &&
        !session_may_raise((unsigned)m->uid, (unsigned)peer->uid)) {
        log_warning("uid %u: refused %s on %s: the session is uid %u's", (unsigned)peer->uid, cmd, m->serial,
                    (unsigned)m->uid);
        return reply_error(KNOT_E_NOT_YOURS, "the session on %s is another person's (uid %u): only they or root may "
                           "make it stronger; anyone may make it gentler (down, ouch, stop)", m->serial,
                           (unsigned)m->uid);
    }
    if (strcmp(cmd, "up") == 0)
        rc = session_up(&m->sess, clock_now_ms(), why, sizeof(why));
    else if (strcmp(cmd, "down") == 0)
        rc = session_down(&m->sess, clock_now_ms(), why, sizeof(why));
    else if (strcmp(cmd, KNOT_CMD_GO) == 0)
        rc = session_go(&m->sess, clock_now_ms(), why, sizeof(why));
    else
        rc = session_ouch(&m->sess, clock_now_ms(), why, sizeof(why));
    if (rc == SESSION_PAIN_STOP) {
        /* ouch again at level 1: nothing gentler is left, so the session ends (session_ouch). */
        log_info("uid %u: ouch again at level 1 on %s: stopping", (unsigned)peer->uid, m->serial);
        massager_stop(m, SESSION_END_PAIN);
        return commands_session_reply(m);
    }
    if (rc == SESSION_R_NOT_RUNNING)
        return reply_error(KNOT_E_NOT_RUNNING, "no session runs on %s", m->serial);
    if (rc < 0)
        return commands_refused(rc, why, cmd);
    log_info("uid %u: %s on %s: target %u, level %u", (unsigned)peer->uid, cmd, m->serial, m->sess.target,
             session_level(&m->sess));
    massager_run(m);
    return commands_session_reply(m);
}

/* A session runs, or the motor is not known to be off. */
static bool commands_running(const struct massager *m)
{
    return session_running(&m->sess) || drive_level(&m->drv) != 0;
}

static json_object *commands_stop(const struct commands_call *c)
{
    const struct ctl_peer *peer = c->peer;
    json_object *req = c->req;
    json_object *err = NULL, *o, *list = json_object_new_array();
    const char *serial;
    char why[REQUEST_WHY_MAX];
    struct massager *m;

    if (request_string(req, KNOT_K_DEVICE, &serial, why, sizeof(why)) == REQUEST_WRONG) {
        json_object_put(list);
        return reply_error(KNOT_E_BAD_REQUEST, "%s", why);
    }
    /* "stopped" names what ran: a motor already off is commanded off all the
     * same (stop never trusts a belief), but not said to have been stopped. */
    if (serial) {
        m = commands_pick(req, &err);
        if (!m) {
            json_object_put(list);
            return err;
        }
        if (commands_running(m))
            json_object_array_add(list, json_object_new_string(m->serial));
        massager_stop(m, SESSION_END_STOPPED);
    } else {
        for (m = massager_first(); m; m = m->next)
            if (commands_running(m))
                json_object_array_add(list, json_object_new_string(m->serial));
        /* stop with no device named stops every massager: every motor is
         * commanded off before any end is journaled or announced. */
        massager_stop_all(SESSION_END_STOPPED);
    }
    log_info("uid %u: stop (%zu massager(s))", (unsigned)peer->uid, json_object_array_length(list));
    o = reply_ok();
    json_object_object_add(o, "stopped", list);
    return o;
}

/* Whether new sessions can start as far as the journal goes (checked now, without blocking). */
static json_object *commands_journal(void)
{
    json_object *o = json_object_new_object();
    char why[JOURNAL_WHY_MAX];
    bool ok = journal_usable(why, sizeof(why));

    json_object_object_add(o, KNOT_K_OK, json_object_new_boolean(ok));
    json_object_object_add(o, "path", json_object_new_string(journal_get_path()));
    if (!ok)
        json_object_object_add(o, "error", json_object_new_string(why));
    return o;
}

/* Where one of uid's areas stands today: resting until when, the day's dose,
 * and what would refuse a start now ("closed": the refusal's code, in the
 * order start applies them; null when it may start). now_ms on the boot
 * clock (rest's). */
static json_object *commands_rest_of(uid_t uid, const struct profile_area *a, enum profile_side side, uint64_t now_ms,
                                     time_t wall)
{
    struct rest_state rs;
    struct care_state cs;
    json_object *o = json_object_new_object();
    enum rest_verdict v = rest_check(&knotd.rest, uid, a, side, now_ms, clock_day_start_ms(wall, now_ms), &rs);
    const char *closed = NULL;

    care_check(&knotd.care, uid, a, side, clock_local_day(wall), clock_day_start_ms(wall, now_ms), &cs);
    if (cs.flags)
        closed = KNOT_E_RED_FLAG;
    else if (cs.pain_stop)
        closed = KNOT_E_PAIN_STOP;
    else if (v == REST_RESTING)
        closed = KNOT_E_COOLDOWN;
    else if (v == REST_DOSE)
        closed = KNOT_E_DOSE;
    json_object_object_add(o, "closed", closed ? json_object_new_string(closed) : NULL);
    json_object_object_add(o, "rest_left_s", json_object_new_int64((int64_t)((rs.rest_left_ms + 999u) / 1000u)));
    json_object_object_add(o, "rest_until", rs.rest_left_ms ?
                           json_object_new_int64((int64_t)clock_wall_until_s(rs.rest_left_ms)) : NULL);
    json_object_object_add(o, "dose_used_s", json_object_new_int64((int64_t)(rs.dose_used_ms / 1000u)));
    json_object_object_add(o, "dose_s", json_object_new_int64((int64_t)(rs.dose_ms / 1000u)));
    return o;
}

/* The areas of uid that rest now or have had some of today's dose. */
static json_object *commands_rest_list(uid_t uid)
{
    json_object *arr = json_object_new_array();
    uint64_t now = clock_boot_ms();
    time_t wall = time(NULL);

    for (unsigned i = 0; i < knotd.profiles->n; i++) {
        const struct profile_area *a = &knotd.profiles->areas[i];
        json_object *r;

        if (!a->gun_allowed)
            continue;
        /* An area with sides: each side rests on its own. */
        for (unsigned side = a->sides ? PROFILE_SIDE_LEFT : PROFILE_SIDE_NONE;
             side <= (a->sides ? PROFILE_SIDE_RIGHT : PROFILE_SIDE_NONE); side++) {
            const char *name = profile_side_name((enum profile_side)side);

            r = commands_rest_of(uid, a, (enum profile_side)side, now, wall);
            if (json_object_get_int64(json_object_object_get(r, "rest_left_s")) == 0 &&
                json_object_get_int64(json_object_object_get(r, "dose_used_s")) == 0) {
                json_object_put(r);
                continue;
            }
            json_object_object_add(r, "area", json_object_new_string(a->name));
            json_object_object_add(r, KNOT_K_SIDE, name ? json_object_new_string(name) : NULL);
            json_object_object_add(r, "title", json_object_new_string(a->title));
            json_object_array_add(arr, r);
        }
    }
    return arr;
}

static json_object *commands_list(const struct ctl_peer *peer, bool status, json_object *req)
{
    json_object *o, *arr = json_object_new_array();
    const char *serial = NULL;
    char why[REQUEST_WHY_MAX];
    uint64_t now = clock_now_ms();

    if (request_string(req, KNOT_K_DEVICE, &serial, why, sizeof(why)) == REQUEST_WRONG) {
        json_object_put(arr);
        return reply_error(KNOT_E_BAD_REQUEST, "%s", why);
    }
    if (serial && !massager_find(serial)) {
        char q[REQUEST_QUOTE_MAX];
        json_object_put(arr);
        return reply_error(KNOT_E_NO_DEVICE, "no massager with serial '%s' is connected",
                              request_quote(q, sizeof(q), serial, strlen(serial), 32));
    }
    for (struct massager *m = massager_first(); m; m = m->next) {
        if (serial && strcmp(serial, m->serial) != 0)
            continue;
        json_object_array_add(arr, status ? view_status(m, now) : view_device(m));
        /* Someone is looking: readings stay fresh (a look now if these are
         * old: `read_ago_s` says; ask again for the new ones). */
        if (status) {
            drive_watch(&m->drv, now);
            massager_run(m);
        }
    }
    o = reply_ok();
    json_object_object_add(o, "devices", arr);
    if (status) {
        json_object_object_add(o, "journal", commands_journal());
        /* The wall clock went back behind the newest record: said, since "ready at" times may look odd. */
        json_object_object_add(o, "clock_behind_s",
                               json_object_new_int64(timeline_behind_s(time(NULL), journal_newest())));
        json_object_object_add(o, "rest", commands_rest_list(peer->uid));
        json_object_object_add(o, "care", carecmd_advice_list(peer->uid, NULL, PROFILE_SIDE_NONE));
    }
    return o;
}

static json_object *commands_devices(const struct commands_call *c)
{
    return commands_list(c->peer, false, c->req);
}

static json_object *commands_status(const struct commands_call *c)
{
    return commands_list(c->peer, true, c->req);
}

/* Every area, and for the asker where it stands today (rest, dose). */
static json_object *commands_areas(const struct commands_call *c)
{
    const struct ctl_peer *peer = c->peer;
    json_object *o = reply_ok(), *arr = json_object_new_array();
    uint64_t now = clock_boot_ms();
    time_t wall = time(NULL);

    for (unsigned i = 0; i < knotd.profiles->n; i++) {
        const struct profile_area *a = &knotd.profiles->areas[i];
        json_object *v = view_area(a);

        if (a->gun_allowed && a->sides) {
            json_object *by = json_object_new_object();

            json_object_object_add(by, KNOT_SIDE_LEFT, commands_rest_of(peer->uid, a, PROFILE_SIDE_LEFT, now, wall));
            json_object_object_add(by, KNOT_SIDE_RIGHT, commands_rest_of(peer->uid, a, PROFILE_SIDE_RIGHT, now, wall));
            json_object_object_add(v, "by_side", by);
        } else if (a->gun_allowed) {
            json_object_object_add(v, "today", commands_rest_of(peer->uid, a, PROFILE_SIDE_NONE, now, wall));
        }
        json_object_array_add(arr, v);
    }
    json_object_object_add(o, "areas", arr);
    return o;
}

/* The systemd service knotd runs as, or null (by hand, under knot-sim, in a login's scope):
 * whether "systemctl reload" reaches it. Only a knotd unit (knotd.service, knotd@x.service):
 * knotd started by hand from another service (a CI runner's, cron's) is not that service. */
static json_object *commands_unit(void)
{
    char *unit = NULL;
    json_object *o = NULL;
    size_t n;

    if (sd_pid_get_unit(0, &unit) == 0 && (n = strlen(unit)) > 8 && strcmp(unit + n - 8, ".service") == 0 &&
        strncmp(unit, "knotd", 5) == 0)
        o = json_object_new_string(unit);
    free(unit);
    return o;
}

static json_object *commands_version(const struct commands_call *c)
{
    json_object *o = reply_ok();

    (void)c;
    json_object_object_add(o, "version", json_object_new_string(KNOT_VERSION));
    json_object_object_add(o, "protocol", json_object_new_int(KNOT_CONTROL_VERSION));
    /* What knotd runs on, so that knotctl doctor checks these files, not the ones it would guess. */
    json_object_object_add(o, "pid", json_object_new_int((int)getpid()));
    json_object_object_add(o, "unit", commands_unit());
    json_object_object_add(o, "config", knotd.config_absent ? NULL : json_object_new_string(knotd.config_path));
    json_object_object_add(o, "profiles", json_object_new_string(knotd.cfg.profiles));
    json_object_object_add(o, "journal", json_object_new_string(knotd.cfg.journal));
    json_object_object_add(o, "socket_group", json_object_new_string(knotd.cfg.socket_group));
    return o;
}

static json_object *commands_watch(const struct commands_call *c)
{
    *c->subscribe = true;
    return reply_ok();
}

/* One's own record: anyone connected may read it. */
static json_object *commands_history(const struct commands_call *c)
{
    return carecmd_history(c->peer, c->req);
}

/* The routines of the profiles, each step with what the client shows
 * between steps (the area's title and stretch). */
static json_object *commands_routines(const struct commands_call *c)
{
    json_object *o = reply_ok(), *arr = json_object_new_array();

    (void)c;
    for (unsigned i = 0; i < knotd.profiles->n_routines; i++) {
        const struct profile_routine *r = &knotd.profiles->routines[i];
        json_object *ro = json_object_new_object(), *steps = json_object_new_array();

        json_object_object_add(ro, "name", json_object_new_string(r->name));
        json_object_object_add(ro, "title", json_object_new_string(r->title));
        for (unsigned k = 0; k < r->n; k++) {
            const struct profile_step *st = &r->steps[k];
            const struct profile_area *a = profile_find(knotd.profiles, st->area);
            json_object *so = json_object_new_object();

            json_object_object_add(so, KNOT_K_AREA, json_object_new_string(st->area));
            json_object_object_add(so, "title", json_object_new_string(a ? a->title : st->area));
            json_object_object_add(so, KNOT_K_SIDE, profile_side_name(st->side)
                                   ? json_object_new_string(profile_side_name(st->side)) : NULL);
            json_object_object_add(so, KNOT_K_SESSION_S, st->session_s ? json_object_new_int((int)st->session_s)
                                                                       : NULL);
            json_object_object_add(so, KNOT_K_LEVEL, st->level ? json_object_new_int((int)st->level) : NULL);
            json_object_object_add(so, "aftercare", json_object_new_string(a ? a->aftercare : ""));
            json_object_array_add(steps, so);
        }
        json_object_object_add(ro, "steps", steps);
        json_object_array_add(arr, ro);
    }
    json_object_object_add(o, "routines", arr);
    return o;
}

/* Every request knotd serves. COMMANDS_CONTROL: it moves a motor or writes the
 * record, so root or the socket group only, checked in one place
 * (commands_dispatch); the rest only read. The unknown-command reply lists
 * the names from here, in this order. */
static const struct commands_entry commands_table[] = {
    { KNOT_CMD_VERSION, 0, commands_version },
    { KNOT_CMD_HELLO, COMMANDS_UNLISTED, commands_version },
    { KNOT_CMD_DEVICES, 0, commands_devices },
    { KNOT_CMD_STATUS, 0, commands_status },
    { KNOT_CMD_AREAS, 0, commands_areas },
    { KNOT_CMD_START, COMMANDS_CONTROL, commands_start },
    { KNOT_CMD_STOP, COMMANDS_CONTROL | COMMANDS_GENTLER, commands_stop },
    { KNOT_CMD_UP, COMMANDS_CONTROL, commands_move },
    { KNOT_CMD_DOWN, COMMANDS_CONTROL | COMMANDS_GENTLER, commands_move },
    { KNOT_CMD_OUCH, COMMANDS_CONTROL | COMMANDS_GENTLER, commands_move },
    { KNOT_CMD_GO, COMMANDS_CONTROL, commands_move },
    { KNOT_CMD_WATCH, 0, commands_watch },
    { KNOT_CMD_CHECKIN, COMMANDS_CONTROL, commands_checkin },
    { KNOT_CMD_HISTORY, 0, commands_history },
    { KNOT_CMD_ROUTINES, 0, commands_routines },
};

static const struct commands_entry *commands_find(const char *name)
{
    for (size_t i = 0; i < sizeof(commands_table) / sizeof(commands_table[0]); i++)
        if (strcmp(commands_table[i].name, name) == 0)
            return &commands_table[i];
    return NULL;
}

/* "version, devices, ...": the names a client may send. */
static void commands_names(char *buf, size_t len)
{
    size_t n = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < sizeof(commands_table) / sizeof(commands_table[0]) && n < len; i++) {
        if (commands_table[i].flags & COMMANDS_UNLISTED)
            continue;
        n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "", commands_table[i].name);
    }
}

static json_object *commands_dispatch(const struct ctl_peer *peer, json_object *req, const char *cmd, bool *subscribe)
{
    const struct commands_entry *e = commands_find(cmd);
    struct commands_call c = { .peer = peer, .req = req, .cmd = cmd, .subscribe = subscribe };

    if (!e) {
        char q[REQUEST_QUOTE_MAX], names[256];

        commands_names(names, sizeof(names));
        return reply_error(KNOT_E_UNKNOWN_COMMAND, "unknown command '%s' (%s)",
                              request_quote(q, sizeof(q), cmd, strlen(cmd), 32), names);
    }
    if ((e->flags & COMMANDS_CONTROL) && !peer->may_control) {
        log_warning("uid %u (pid %d) may not control the massager: refused '%s'", (unsigned)peer->uid,
                    (int)peer->pid, cmd);
        return reply_error(KNOT_E_PERMISSION, "uid %u may not control the massager (root or group '%s' only)",
                              (unsigned)peer->uid, knotd.cfg.socket_group);
    }
    /* Past the person's share of connections (admit.c): a stop gets through, nothing else that moves. */
    if (peer->stop_only && (e->flags & COMMANDS_CONTROL) && !(e->flags & COMMANDS_GENTLER))
        return reply_error(KNOT_E_TOO_MANY, "uid %u holds its share of connections: this one may only stop, ouch or "
                           "lower (close some, e.g. old knotctl watch)", (unsigned)peer->uid);
    return e->fn(&c);
}

void commands_client_closed(uint64_t client)
{
    for (struct massager *m = massager_first(); m; m = m->next) {
        if (m->owner != client)
            continue;
        m->owner = 0;
        massager_catch_up(m);   /* a session whose time is up ends as done, not as disconnected */
        if (!session_running(&m->sess))
            continue;
        log_info("%s: client %llu that followed the %s session went away: stopping", m->serial,
                 (unsigned long long)client, m->sess.area.name);
        massager_stop(m, SESSION_END_DISCONNECTED);
    }
}

json_object *commands_handle(const struct ctl_peer *peer, json_object *req, bool *subscribe)
{
    json_object *reply, *id = NULL;
    const char *cmd;
    char why[REQUEST_WHY_MAX];
    int rc;

    if (!json_object_is_type(req, json_type_object))
        return reply_error(KNOT_E_BAD_REQUEST, "request must be a JSON object");
    rc = request_string(req, KNOT_K_CMD, &cmd, why, sizeof(why));
    if (rc == REQUEST_ABSENT)
        return reply_error(KNOT_E_BAD_REQUEST, "request needs 'cmd' (a string)");
    if (rc == REQUEST_WRONG)
        return reply_error(KNOT_E_BAD_REQUEST, "%s", why);
    reply = commands_dispatch(peer, req, cmd, subscribe);
    if (!reply)
        return NULL;   /* answered later, with its id (commands_begun) */
    if (json_object_object_get_ex(req, KNOT_K_ID, &id))
        json_object_object_add(reply, KNOT_K_ID, json_object_get(id));
    return reply;
}
