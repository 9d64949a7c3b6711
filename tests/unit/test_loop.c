/* SPDX-License-Identifier: MIT */
/* test_loop.c - closed-loop simulation in virtual time: session engine + pure controller against the device core, with faults, stalls, hangs and resets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "device.h"
#include "drive.h"

/*
 * One process, one virtual clock. The device is sim/device.c (the firmware
 * core, unchanged); the host is daemon/session.c and daemon/drive.c driven
 * exactly as daemon/massager.c drives them (next -> sent -> done, tick at
 * wake). A seeded scheduler interleaves clients' requests, transfer errors,
 * timeouts and late execution, loop stalls of 0-2 s, device hangs, unplug
 * and replug, faults, force, and device resets. After every event the
 * device's own record of levels is checked:
 *
 *   - no rise from 0 above 1;
 *   - no level above 1 sooner than trial_s after a start from off;
 *   - every rise exactly +1 and at least step_s after the previous change;
 *   - never above the area's or the device's maximum; only a running session
 *     of an area where the massager belongs ever raises it;
 *   - off by session_s, and within one heartbeat of a stop or a shutdown
 *     (within the watchdog when the host is stalled or the device hung);
 *   - the host never asks for a rise the device must refuse (the only
 *     refusals allowed: a fault the host could not have seen yet, and
 *     requests executed after the host gave up on them);
 *   - the host never leans on the device's rise window (drive.leans == 0).
 *
 * Late execution (a request the host timed out on, carried out when the
 * device recovers) is modelled for 1.1 devices only: a 1.0 device has no
 * envelope, so a SET_LEVEL handled after its own watchdog stopped the motor
 * would run it from 0 whatever the host did (docs/PROTOCOL.md §9). For the
 * same reason a 1.0 device reset between the host's last look and its next
 * SET_LEVEL jumps from 0 to that level: counted, not failed (only the 1.1
 * envelope's "from off, only 1" closes that window).
 *
 * KNOT_LOOP_SEQUENCES (default 100000), KNOT_SEED (default: the time),
 * KNOT_LOOP_FROM (first sequence), KNOT_LOOP_JOBS (worker processes).
 * A failure prints the seed and the sequence; KNOT_SEED=S KNOT_LOOP_FROM=K
 * replays it first.
 */

#define LOOP_MAX_QUEUE 64
#define LOOP_MAX_SPANS 64
#define LOOP_MAX_OBLIGATIONS 16
#define LOOP_LOG 160

/* ---- randomness: xorshift64*, and splitmix64 to seed each sequence ---- */

static uint64_t loop_rng_state;

static uint64_t loop_rng(void)
{
    loop_rng_state ^= loop_rng_state >> 12;
    loop_rng_state ^= loop_rng_state << 25;
    loop_rng_state ^= loop_rng_state >> 27;
    return loop_rng_state * 2685821657736338717ull;
}

static unsigned rnd(unsigned n)
{
    return n ? (unsigned)((loop_rng() >> 33) % n) : 0;
}

static uint64_t splitmix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* ---- the world ---- */

/* What the session that sent a request allowed, to judge what the device did with it. */
struct rule {
    bool session;         /* a session ran when it was sent */
    unsigned max, trial_ms, step_ms;
    uint64_t obs_ms;      /* when the host's last look was sent */
    uint64_t sent_ms;     /* when this request was */
};

struct exec {             /* a request the device will handle, in order (EP0 is one queue) */
    uint8_t setup[8];
    struct rule rule;
    bool inflight;        /* it is the host's request in flight (not one it gave up on) */
    uint64_t at;          /* not before this */
};

struct obligation {       /* the device must be off at some moment of [from, from + slack] */
    uint64_t from;
    const char *what;
};

struct span {             /* an interval in which the host or the device was disturbed */
    uint64_t from, to;
};

struct world {
    uint64_t seed, now, horizon;
    unsigned seq;

    /* the device */
    struct kdev dev;
    struct kdev_config cfg;
    bool plugged, hung;
    uint64_t unhang_at;
    struct exec queue[LOOP_MAX_QUEUE];
    unsigned nqueue;
    const struct exec *executing;   /* the request the device handles right now */
    /* the device's own record */
    unsigned level;
    uint64_t last_change, start_from_off, zero_since, zero_left;
    uint64_t fault_at;              /* when a fault last latched */
    uint64_t reset_at;              /* when the device was last reset while plugged in */
    uint64_t selfstop_at;           /* when it last stopped itself (watchdog, ceiling) */
    uint64_t excused_obs;           /* the host's look behind the last excused refusal (UINT64_MAX: none) */

    /* the host */
    bool attached;                  /* a drive exists for the plugged device */
    uint64_t arrive_at, leave_at;   /* hotplug reaches the host (UINT64_MAX: nothing pending) */
    struct drive drv;
    struct session sess;
    struct session_dev rest;
    uint64_t stall_until;
    bool busy;
    struct drive_cmd cmd;
    uint64_t answer_at;             /* UINT64_MAX: not answered (yet) */
    uint64_t timeout_at;            /* the host gives up then */
    enum drive_result result;
    uint8_t data[64];
    size_t len;
    bool gave_up;                   /* the host will see a failure whatever happens */
    bool was_running;
    unsigned gen;                   /* sessions started so far */
    uint64_t planned_end;           /* the running session's session_s, as started (UINT64_MAX: none) */
    unsigned planned_gen;
    uint64_t ended_at;              /* when the host last saw a session end */

    struct obligation obl[LOOP_MAX_OBLIGATIONS];
    unsigned nobl;
    struct span spans[LOOP_MAX_SPANS];
    unsigned nspans;

    /* what happened, for the summary and the failure report */
    unsigned raises, refusals_allowed, starts, ends[SESSION_END_REFUSED + 1], resets, stalls, hangs, unplugs;
    unsigned blind_resets;          /* 1.0 rises after a reset the host could not have seen */
    char log[LOOP_LOG][96];
    unsigned nlog;
    bool failed;
};

static void loop_note(struct world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool loop_verbose;   /* KNOT_LOOP_VERBOSE=1: every note as it happens, for a replay */

static void loop_note(struct world *w, const char *fmt, ...)
{
    va_list ap;
    char *line = w->log[w->nlog++ % LOOP_LOG];
    int n = snprintf(line, 96, "%8" PRIu64 " ", w->now);

    va_start(ap, fmt);
    vsnprintf(line + n, (size_t)(96 - n), fmt, ap);
    va_end(ap);
    if (loop_verbose)
        fprintf(stderr, "%s\n", line);
}

static void loop_fail(struct world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void loop_fail(struct world *w, const char *fmt, ...)
{
    va_list ap;
    char msg[256];

    if (w->failed)
        return;
    w->failed = true;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    print_error("closed loop: seed %" PRIu64 " sequence %u at %" PRIu64 " ms: %s\n", w->seed, w->seq, w->now, msg);
    print_error("device: protocol 1.%d, %u levels, watchdog %u ms; the last events:\n",
                w->cfg.proto_1_0 ? 0 : w->cfg.proto_1_1 ? 1 : 2,
                w->cfg.levels, w->cfg.watchdog_ms);
    for (unsigned i = w->nlog > LOOP_LOG ? w->nlog - LOOP_LOG : 0; i < w->nlog; i++)
        print_error("  %s\n", w->log[i % LOOP_LOG]);
    print_error("replay: KNOT_SEED=%" PRIu64 " KNOT_LOOP_FROM=%u build/tests/test_loop\n", w->seed, w->seq);
}

static void loop_disturbed(struct world *w, uint64_t from, uint64_t to)
{
    struct span *s = &w->spans[w->nspans++ % LOOP_MAX_SPANS];

    s->from = from;
    s->to = to;
}

/* Nothing disturbed the loop in [from, to]: the strong bounds apply. */
static bool loop_healthy(const struct world *w, uint64_t from, uint64_t to)
{
    unsigned n = w->nspans < LOOP_MAX_SPANS ? w->nspans : LOOP_MAX_SPANS;

    for (unsigned i = 0; i < n; i++)
        if (w->spans[i].from <= to && w->spans[i].to + DRIVE_TIMEOUT_MS + 2 * w->drv.period_ms >= from)
            return false;
    return true;
}

static void loop_oblige(struct world *w, uint64_t from, const char *what)
{
    if (w->nobl < LOOP_MAX_OBLIGATIONS) {
        w->obl[w->nobl].from = from;
        w->obl[w->nobl].what = what;
        w->nobl++;
    }
}

/* ---- the device's record, from its trace callback ---- */

static void loop_trace(void *ctx, const struct kdev_note *n)
{
    struct world *w = ctx;
    uint64_t t = w->dev.last_tick_ms;
    const struct rule *r = w->executing ? &w->executing->rule : NULL;
    bool late = w->executing && !w->executing->inflight;

    switch (n->ev) {
    case KDEV_EV_LEVEL: {
        unsigned from = w->level, to = n->arg;

        loop_note(w, "device: level %u -> %u by %s", from, to, kdev_cause_name(n->cause));
        if (to > from && w->cfg.proto_1_0 && r && w->reset_at >= r->obs_ms) {
            w->blind_resets++;   /* see the top of the file */
        } else if (to > from) {
            if (n->cause != KDEV_BY_HOST || !r)
                loop_fail(w, "the level rose to %u without a host request", to);
            else if (!r->session)
                loop_fail(w, "the level rose to %u for a request sent with no session running", to);
            else if (from == 0 && to > 1)
                loop_fail(w, "a rise from 0 straight to %u", to);
            else if (to != from + 1)
                loop_fail(w, "a rise of %u levels (%u -> %u)", to - from, from, to);
            else if (to > r->max || to > w->cfg.levels)
                loop_fail(w, "level %u is above the maximum %u", to, r->max);
            else if (to >= 2 && t - w->start_from_off < r->trial_ms)
                loop_fail(w, "level %u %" PRIu64 " ms after the start from off (trial %u ms)", to,
                          t - w->start_from_off, r->trial_ms);
            else if (from >= 1 && t - w->last_change < r->step_ms)
                loop_fail(w, "a rise %" PRIu64 " ms after the previous change (step %u ms)", t - w->last_change,
                          r->step_ms);
            if (from >= 1)
                w->raises++;
        }
        if (from == 0 && to > 0) {
            w->start_from_off = t;
            w->zero_left = t;
        }
        if (to == 0)
            w->zero_since = t;
        if (to == 0 && (n->cause == KDEV_BY_WATCHDOG || n->cause == KDEV_BY_CEILING))
            w->selfstop_at = t;
        w->level = to;
        w->last_change = t;
        break;
    }
    case KDEV_EV_FAULT:
        loop_note(w, "device: fault %s", kdev_fault_name((uint16_t)n->arg));
        w->fault_at = t;
        break;
    case KDEV_EV_REFUSED:
        if (n->request_type == KNOT_RT_OUT && n->request == KNOT_REQ_CLEAR_FAULT) {
            /* the readings said the cause was gone; one the host cannot see (a
             * forced stall) remains: a refused clear changes nothing */
            loop_note(w, "device: refused clear (%s)", kdev_why_name(n->why));
            break;
        }
        if (n->request_type != KNOT_RT_OUT || n->request != KNOT_REQ_SET_LEVEL) {
            loop_fail(w, "the device refused a request 0x%02x/0x%02x the host sent (%s)", n->request_type,
                      n->request, kdev_why_name(n->why));
            break;
        }
        loop_note(w, "device: refused level %u (%s)%s", n->arg, kdev_why_name(n->why), late ? ", late" : "");
        /* Allowed: a request carried out after the host gave up on it; one the
         * device handled only after stopping itself meanwhile (a device slower
         * than its own watchdog); a reset or a fault after the host's last look. */
        if (late) {
            w->refusals_allowed++;
        } else if (r && r->obs_ms == w->excused_obs) {
            /* a refusal is news: asking again without a new look is leaning */
            loop_fail(w, "the host asked for level %u again after a refusal, without looking first", n->arg);
        } else if (r && (w->selfstop_at >= r->sent_ms || w->reset_at >= r->obs_ms ||
                         (n->why == KDEV_WHY_FAULT && w->fault_at >= r->obs_ms))) {
            w->refusals_allowed++;
            w->excused_obs = r->obs_ms;
        } else
            loop_fail(w, "the host asked for level %u, which the device must refuse (%s)", n->arg,
                      kdev_why_name(n->why));
        break;
    default:
        break;
    }
}

/* Was the device off at some moment of [from, to]? */
static bool loop_was_off(const struct world *w, uint64_t from, uint64_t to)
{
    return (w->level == 0 && w->zero_since <= to) || w->zero_left >= from;
}

static void loop_check_obligations(struct world *w)
{
    /* healthy: one heartbeat and a transfer; disturbed: whatever the device's
     * own watchdog needs, behind the slowest request the model makes */
    unsigned strong = w->drv.period_ms + 5, weak = 600 + w->cfg.watchdog_ms + DRIVE_TIMEOUT_MS + w->drv.period_ms;

    for (unsigned i = 0; i < w->nobl;) {
        struct obligation *o = &w->obl[i];
        bool healthy = loop_healthy(w, o->from > 2 * DRIVE_TIMEOUT_MS ? o->from - 2 * DRIVE_TIMEOUT_MS : 0,
                                    o->from + strong);
        uint64_t slack = healthy ? strong : weak;

        if (loop_was_off(w, o->from, w->now)) {
            w->obl[i] = w->obl[--w->nobl];
            continue;
        }
        if (w->now > o->from + slack) {
            loop_fail(w, "the motor was still at level %u %" PRIu64 " ms after %s (allowed %" PRIu64 " ms%s)",
                      w->level, w->now - o->from, o->what, slack, healthy ? ", a healthy loop" : "");
            w->obl[i] = w->obl[--w->nobl];
            continue;
        }
        i++;
    }
}

/* ---- the device's side of a transfer ---- */

static void loop_device_tick(struct world *w)
{
    if (w->plugged)
        kdev_tick(&w->dev, w->now);
}

static void loop_execute(struct world *w, const struct exec *e)
{
    uint8_t buf[64];
    int r;

    if (!w->plugged)
        return;
    w->executing = e;
    r = kdev_control(&w->dev, e->setup, buf, sizeof(buf), w->now);
    w->executing = NULL;
    if (!e->inflight || !w->busy || w->gave_up)
        return;
    w->result = r == KDEV_STALL ? DRIVE_STALL : DRIVE_OK;
    w->len = r > 0 ? (size_t)r : 0;
    if (r > 0)
        memcpy(w->data, buf, (size_t)r);
    w->answer_at = w->now + rnd(2);
}

/* Queue e behind whatever the device has not handled yet. */
static void loop_enqueue(struct world *w, struct exec e)
{
    if (w->nqueue && w->queue[w->nqueue - 1].at > e.at)
        e.at = w->queue[w->nqueue - 1].at;
    if (w->nqueue < LOOP_MAX_QUEUE)
        w->queue[w->nqueue++] = e;
}

/* The device handles what is due, in order, unless it hangs. */
static void loop_device_run(struct world *w)
{
    while (!w->hung && w->nqueue && w->queue[0].at <= w->now) {
        struct exec e = w->queue[0];

        memmove(&w->queue[0], &w->queue[1], (w->nqueue - 1) * sizeof(w->queue[0]));
        w->nqueue--;
        loop_execute(w, &e);
    }
}

static void loop_unhang(struct world *w)
{
    w->hung = false;
    loop_note(w, "device: unhang, %u requests waited", w->nqueue);
    for (unsigned i = 0; i < w->nqueue; i++)
        if (w->queue[i].at < w->now)
            w->queue[i].at = w->now;
    loop_device_run(w);
}

/* The host gives up on the request in flight: if the device still holds it,
 * it is carried out later, as a request nobody waits for. */
static void loop_give_up(struct world *w)
{
    for (unsigned i = 0; i < w->nqueue; i++)
        w->queue[i].inflight = false;
    w->gave_up = true;
    w->result = DRIVE_TIMEOUT;
    w->answer_at = w->now;
    loop_disturbed(w, w->timeout_at - DRIVE_TIMEOUT_MS, w->now);
}

/* The host sends c at w->now: decide its fate. */
static void loop_send(struct world *w, struct drive_cmd c)
{
    struct exec e;
    unsigned fate = rnd(10000);
    bool ext = !w->cfg.proto_1_0;

    memset(&e, 0, sizeof(e));
    drive_cmd_setup(c, e.setup);
    e.inflight = true;
    e.at = w->now;
    e.rule.session = session_running(&w->sess) && w->sess.area.gun_allowed;
    e.rule.max = w->sess.max_level;
    e.rule.trial_ms = w->sess.area.trial_s * 1000u;
    e.rule.step_ms = w->sess.area.step_s * 1000u;
    e.rule.obs_ms = w->drv.st_ms;
    e.rule.sent_ms = w->now;
    w->busy = true;
    w->cmd = c;
    w->gave_up = false;
    w->answer_at = UINT64_MAX;
    w->timeout_at = w->now + DRIVE_TIMEOUT_MS;
    if (c.op != DRIVE_OP_STATUS)   /* the heartbeat's polls would crowd the log */
        loop_note(w, "host: send %s %u", c.op == DRIVE_OP_LEVEL ? "level" : c.op == DRIVE_OP_CLEAR ? "clear" : "info",
                  c.level);

    if (!w->plugged) {
        w->result = DRIVE_ERROR;
        w->answer_at = w->now + 1;
        return;
    }
    if (w->hung) {
        /* A 1.1 device handles it when it recovers; a 1.0 device's is lost
         * (docs/PROTOCOL.md §9: late execution only 1.1 makes safe). */
        if (ext)
            loop_enqueue(w, e);
        return;   /* the host times out */
    }
    if (fate < 20) {
        /* lost on the way: the device never sees it */
        w->gave_up = true;
        w->result = rnd(2) ? DRIVE_ERROR : DRIVE_TIMEOUT;
        w->answer_at = w->now + (w->result == DRIVE_TIMEOUT ? DRIVE_TIMEOUT_MS : 1 + rnd(2));
        loop_disturbed(w, w->now, w->answer_at);
        return;
    }
    if (fate < 40) {
        /* carried out, but the answer is lost: the host sees a failure */
        loop_enqueue(w, e);
        loop_device_run(w);
        w->gave_up = true;
        w->result = rnd(2) ? DRIVE_ERROR : DRIVE_TIMEOUT;
        w->answer_at = w->now + (w->result == DRIVE_TIMEOUT ? DRIVE_TIMEOUT_MS : 1 + rnd(2));
        loop_disturbed(w, w->now, w->answer_at);
        return;
    }
    if (fate < 85) {
        /* a slow device: within a quarter of its watchdog, before it could
         * stop the motor; now and then (1.1 only) longer than the host waits
         * and than its own watchdog: late execution. */
        e.at = w->now + (ext && fate < 45 ? 50 + rnd(500) : 1 + rnd(w->cfg.watchdog_ms / 4u));
        loop_disturbed(w, w->now, e.at);
    }
    loop_enqueue(w, e);
    loop_device_run(w);   /* the usual: handled at once, answered within 0-1 ms */
}

/* ---- the host: what massager.c does ---- */

static void loop_host_run(struct world *w)
{
    if (!w->attached)
        return;
    if (!w->busy) {
        struct drive_cmd c = drive_next(&w->drv, w->now);

        if (c.op != DRIVE_OP_NONE) {
            drive_sent(&w->drv, c, w->now);
            loop_send(w, c);
        }
    }
    if (w->drv.phase == DRIVE_DEAD) {
        loop_note(w, "host: massager dead: %s", w->drv.why);
        w->attached = false;
    }
}

static void loop_host_notes(struct world *w, unsigned notes)
{
    if (notes & DRIVE_N_WARN)
        loop_note(w, "host: %s", w->drv.why);
    if (notes & DRIVE_N_INFO)
        drive_accept(&w->drv, &w->rest);
}

/* Sessions start and end on the host: count them, and hold the device to their ends. */
static void loop_host_watch(struct world *w)
{
    bool running = session_running(&w->sess);

    if (running && !w->was_running) {
        w->gen++;
        w->planned_end = w->sess.end_ms;
        w->planned_gen = w->gen;
    }
    if (!running && w->was_running) {
        w->ends[w->sess.end]++;
        w->ended_at = w->now;
        loop_note(w, "host: session ended: %s", session_end_name(w->sess.end));
        loop_oblige(w, w->now, "a session's end");
    }
    w->was_running = running;
    if (w->drv.leans)
        loop_fail(w, "the host asked for a rise %u time(s) before the device allowed it", w->drv.leans);
}

static void loop_host_done(struct world *w)
{
    unsigned notes;

    w->busy = false;
    w->answer_at = UINT64_MAX;
    if (w->cmd.op == DRIVE_OP_STATUS && w->result == DRIVE_OK)
        loop_note(w, "host: status level %u faults 0x%x", w->data[2], (unsigned)(w->data[12] | w->data[13] << 8));
    else
        loop_note(w, "host: answer %s", w->result == DRIVE_OK ? "ok" : w->result == DRIVE_STALL ? "stall" :
                                      w->result == DRIVE_TIMEOUT ? "timeout" : "error");
    if (!w->attached)
        return;
    notes = drive_done(&w->drv, w->result, w->result == DRIVE_OK ? w->data : NULL,
                       w->result == DRIVE_OK ? w->len : 0, w->now);
    loop_host_notes(w, notes);
    loop_host_watch(w);
    loop_host_run(w);
}

static void loop_host_timer(struct world *w)
{
    drive_tick(&w->drv, w->now);
    loop_host_watch(w);
    loop_host_run(w);
}

/* ---- areas ---- */

static struct profile_area loop_area(void)
{
    struct profile_area a;

    memset(&a, 0, sizeof(a));
    if (rnd(12) == 0) {
        snprintf(a.name, sizeof(a.name), "neck");
        a.gun_allowed = false;
        return a;
    }
    snprintf(a.name, sizeof(a.name), "area%u", rnd(4));
    snprintf(a.title, sizeof(a.title), "Area");
    a.gun_allowed = true;
    a.start_level = PROFILE_START_LEVEL;
    a.trial_s = PROFILE_TRIAL_MIN_S + rnd(PROFILE_TRIAL_MAX_S - PROFILE_TRIAL_MIN_S + 1);
    a.max_level = 1 + rnd(KNOT_MAX_LEVELS);
    a.default_level = 1 + rnd(a.max_level);
    a.step_s = PROFILE_STEP_MIN_S + (rnd(3) == 0 ? rnd(20) : 0);
    a.session_s = a.trial_s + rnd(rnd(6) == 0 ? PROFILE_SESSION_MAX_S - a.trial_s + 1 : 40);
    a.cooldown_s = rnd(3) == 0 ? rnd(30) : 0;
    a.force_max_dn = 50 + rnd(350);
    return a;
}

/* ---- random events ---- */

static void loop_client(struct world *w)
{
    char why[256];
    unsigned r = rnd(100);
    int rc;

    if (!w->attached || w->drv.phase != DRIVE_READY)
        return;
    drive_tick(&w->drv, w->now);   /* commands.c catches up first */
    loop_host_watch(w);
    if (r < 35 || !session_running(&w->sess)) {
        struct profile_area a = loop_area();

        rc = session_start(&w->sess, &w->rest, &a, w->drv.info.levels, rnd(KNOT_MAX_LEVELS + 1), w->now, why,
                           sizeof(why));
        loop_note(w, "client: start %s -> %d", a.name, rc);
        if (rc == 0) {
            drive_begin(&w->drv, w->now);
            w->starts++;
        }
    } else if (r < 60) {
        rc = session_up(&w->sess, w->now, why, sizeof(why));
        loop_note(w, "client: up -> %d", rc);
    } else if (r < 75) {
        rc = session_down(&w->sess, w->now, why, sizeof(why));
        loop_note(w, "client: down -> %d", rc);
    } else if (r < 88) {
        rc = session_ouch(&w->sess, w->now, why, sizeof(why));
        loop_note(w, "client: ouch -> %d", rc);
    } else {
        loop_note(w, "client: stop");
        drive_end(&w->drv, SESSION_END_STOPPED, w->now);
    }
    loop_host_watch(w);
    loop_host_run(w);
}

static void loop_plug(struct world *w)
{
    kdev_init(&w->dev, &w->cfg, loop_trace, w, w->now);
    w->plugged = true;
    w->hung = false;
    w->nqueue = 0;
    w->level = 0;
    w->zero_since = w->now;
    w->arrive_at = w->now + rnd(80);
    w->zero_left = 0;
    loop_note(w, "device: plugged in");
}

/* The scheduler's menu, by weight per thousand. */
enum loop_kind { LOOP_CLIENT, LOOP_STALL, LOOP_HANG, LOOP_PRESS, LOOP_FAULT, LOOP_CLEAR, LOOP_UNPLUG, LOOP_PLUG,
                 LOOP_RESET, LOOP_BATTERY, LOOP_FLAT, LOOP_KINDS };
static const unsigned loop_weights[LOOP_KINDS] = { 650, 25, 10, 110, 8, 30, 8, 150, 3, 5, 1 };

static enum loop_kind loop_pick(void)
{
    unsigned r = rnd(1000), k;

    for (k = 0; k < LOOP_KINDS - 1 && r >= loop_weights[k]; k++)
        r -= loop_weights[k];
    return (enum loop_kind)k;
}

static void loop_event(struct world *w)
{
    static const uint16_t faults[] = { KNOT_FAULT_STALL, KNOT_FAULT_OVERTEMP, KNOT_FAULT_LOW_BATTERY };
    enum loop_kind k = loop_pick();
    unsigned force;

    if (!w->plugged && k != LOOP_CLIENT && k != LOOP_STALL && k != LOOP_PLUG)
        return;   /* the world of an unplugged massager is small */
    switch (k) {
    case LOOP_CLIENT:
        loop_client(w);
        break;
    case LOOP_STALL:
        w->stall_until = w->now + (rnd(10) < 7 ? rnd(301) : rnd(2001));
        loop_disturbed(w, w->now, w->stall_until);
        w->stalls++;
        loop_note(w, "host: the loop stalls until %" PRIu64, w->stall_until);
        break;
    case LOOP_HANG:
        if (w->hung)
            break;
        w->hung = true;
        w->unhang_at = w->now + (rnd(10) < 7 ? rnd(301) : rnd(1501));
        if (w->cfg.proto_1_0)
            w->nqueue = 0;   /* a 1.0 device carries out nothing late */
        loop_disturbed(w, w->now, w->unhang_at);
        w->hangs++;
        loop_note(w, "device: hangs until %" PRIu64, w->unhang_at);
        break;
    case LOOP_PRESS:
        force = rnd(4) ? rnd(200) : rnd(600);
        loop_note(w, "device: pressed with %u dN", force);
        kdev_press(&w->dev, (uint16_t)force, w->now);
        break;
    case LOOP_FAULT:
        kdev_inject_fault(&w->dev, faults[rnd(3)], w->now);
        break;
    case LOOP_CLEAR:
        loop_note(w, "device: the scene clears its faults");
        kdev_clear_faults(&w->dev, w->now);
        break;
    case LOOP_UNPLUG:
        loop_note(w, "device: unplugged");
        kdev_unplug(&w->dev, w->now);
        w->plugged = false;
        w->hung = false;
        w->nqueue = 0;
        if (w->busy && w->answer_at == UINT64_MAX) {
            w->result = DRIVE_ERROR;   /* LIBUSB_TRANSFER_NO_DEVICE */
            w->answer_at = w->now + 1;
        }
        w->leave_at = w->now + rnd(80);
        w->unplugs++;
        break;
    case LOOP_PLUG:
        if (!w->plugged && w->leave_at == UINT64_MAX)
            loop_plug(w);
        break;
    case LOOP_RESET:
        /* power glitch: the firmware starts from scratch, the host is not told */
        loop_note(w, "device: reset");
        kdev_init(&w->dev, &w->cfg, loop_trace, w, w->now);
        w->reset_at = w->now;
        w->nqueue = 0;
        w->hung = false;
        if (w->level != 0) {
            w->level = 0;
            w->zero_since = w->now;
            w->last_change = w->now;
        }
        w->resets++;
        break;
    case LOOP_BATTERY:
        kdev_set_battery(&w->dev, 20 + rnd(81), w->now);
        break;
    case LOOP_FLAT:
        kdev_set_battery(&w->dev, rnd(12), w->now);
        break;
    case LOOP_KINDS:
        break;
    }
}

/* ---- one sequence ---- */

static uint64_t loop_min(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static void loop_sequence(struct world *w, uint64_t seed, unsigned seq)
{
    static const uint16_t watchdogs[] = { 100, 150, 250, 500, 1000 };
    uint64_t next_event, last = UINT64_MAX;
    unsigned spin = 0;

    memset(w, 0, sizeof(*w));
    w->seed = seed;
    w->seq = seq;
    loop_rng_state = splitmix(seed ^ splitmix(seq)) | 1;
    w->now = rnd(4) ? 1000 + rnd(100000) : 0;
    w->horizon = w->now + (rnd(30) == 0 ? 60000 + rnd(900000) : 2000 + rnd(60000));
    w->cfg.levels = (uint8_t)(1 + rnd(KNOT_MAX_LEVELS));
    w->cfg.watchdog_ms = watchdogs[rnd(5)];
    w->cfg.proto_1_0 = rnd(3) == 0;
    w->cfg.proto_1_1 = !w->cfg.proto_1_0 && rnd(3) == 0;   /* every request feeds its watchdog */
    snprintf(w->cfg.serial, sizeof(w->cfg.serial), "LOOP%u", seq % 1000);
    w->leave_at = UINT64_MAX;
    w->planned_end = UINT64_MAX;
    w->excused_obs = UINT64_MAX;
    w->answer_at = UINT64_MAX;
    session_init(&w->sess);
    loop_plug(w);
    next_event = w->now + rnd(3000);

    while (!w->failed && w->now < w->horizon) {
        uint64_t host_t = UINT64_MAX, t = next_event;

        /* the host's next event, which a stalled loop defers */
        if (w->busy)
            host_t = loop_min(w->answer_at, w->timeout_at);
        if (w->attached)
            host_t = loop_min(host_t, drive_wake_ms(&w->drv, w->now));
        host_t = loop_min(host_t, loop_min(w->arrive_at, w->leave_at));
        if (host_t != UINT64_MAX && host_t < w->stall_until)
            host_t = w->stall_until;
        t = loop_min(t, host_t);
        /* the device's */
        if (w->hung)
            t = loop_min(t, w->unhang_at);
        else if (w->nqueue)
            t = loop_min(t, w->queue[0].at);
        t = loop_min(t, w->planned_end);
        if (w->nobl)
            t = loop_min(t, w->now + 1);   /* while the device owes an off, look every ms */
        if (t < w->now)
            t = w->now;
        if (t == last && ++spin > 1000) {
            loop_fail(w, "the loop spins at one instant (busy %d answer %" PRIu64 " timeout %" PRIu64 " wake %" PRIu64
                      " stall %" PRIu64 " queue %u hung %d)", w->busy, w->answer_at, w->timeout_at,
                      w->attached ? drive_wake_ms(&w->drv, w->now) : 0, w->stall_until, w->nqueue, w->hung);
            break;
        }
        if (t != last)
            spin = 0;
        last = t;
        w->now = t;
        loop_device_tick(w);

        if (w->hung && w->now >= w->unhang_at)
            loop_unhang(w);
        loop_device_run(w);
        /* off by session_s: the end the session was started with */
        if (w->planned_end != UINT64_MAX && w->now >= w->planned_end) {
            if (w->planned_gen == w->gen && (w->was_running || w->ended_at >= w->planned_end))
                loop_oblige(w, w->planned_end, "session_s");
            w->planned_end = UINT64_MAX;
        }
        if (w->now >= w->stall_until) {
            if (w->now >= w->leave_at) {
                w->leave_at = UINT64_MAX;
                if (w->attached) {
                    drive_end(&w->drv, SESSION_END_UNPLUG, w->now);
                    loop_host_watch(w);
                }
                w->attached = false;
                w->busy = false;
                loop_note(w, "host: unplug seen");
            }
            if (w->now >= w->arrive_at) {
                w->arrive_at = UINT64_MAX;
                if (w->plugged && !w->attached) {
                    drive_init(&w->drv, &w->sess, w->now);
                    w->attached = true;
                    w->busy = false;
                    loop_host_run(w);
                }
            }
            /* an answer later than the timeout is never seen: libusb gave up first */
            if (w->busy && w->now >= w->timeout_at && (w->answer_at == UINT64_MAX || w->answer_at > w->timeout_at))
                loop_give_up(w);
            if (w->busy && w->now >= w->answer_at)
                loop_host_done(w);
            if (w->attached && w->now >= drive_wake_ms(&w->drv, w->now))
                loop_host_timer(w);
        }
        if (w->now >= next_event) {
            loop_event(w);
            next_event = w->now + 1 + rnd(rnd(4) ? 4000 : 25000);
        }
        loop_check_obligations(w);
    }
    /* The end: a shutdown, sometimes. */
    if (!w->failed && w->attached && w->drv.phase == DRIVE_READY && rnd(3) == 0) {
        struct drive_cmd c = drive_shutdown(&w->drv, w->now);
        struct exec e;

        loop_note(w, "host: shutdown");
        if (c.op == DRIVE_OP_LEVEL && w->plugged && !w->hung) {
            memset(&e, 0, sizeof(e));
            drive_cmd_setup(c, e.setup);
            loop_execute(w, &e);
        }
        if (w->level != 0 && w->plugged && !w->hung)
            loop_fail(w, "the motor still runs at level %u after shutdown", w->level);
    }
}

/* ---- the test ---- */

static unsigned loop_env(const char *name, unsigned dflt)
{
    const char *v = getenv(name);

    return v && *v ? (unsigned)strtoul(v, NULL, 0) : dflt;
}

struct loop_totals {
    unsigned sequences, failures, raises, starts, refusals_allowed, resets, stalls, hangs, unplugs, blind_resets;
    unsigned ends[SESSION_END_REFUSED + 1];
};

static void loop_run(uint64_t seed, unsigned from, unsigned to, unsigned step, struct loop_totals *tot)
{
    static struct world w;

    for (unsigned seq = from; seq < to; seq += step) {
        loop_sequence(&w, seed, seq);
        tot->sequences++;
        tot->failures += w.failed;
        tot->raises += w.raises;
        tot->starts += w.starts;
        tot->refusals_allowed += w.refusals_allowed;
        tot->resets += w.resets;
        tot->stalls += w.stalls;
        tot->hangs += w.hangs;
        tot->unplugs += w.unplugs;
        tot->blind_resets += w.blind_resets;
        for (unsigned i = 0; i <= SESSION_END_REFUSED; i++)
            tot->ends[i] += w.ends[i];
        if (w.failed)
            return;   /* the first failure is the one to replay */
    }
}

static void test_closed_loop(void **state)
{
    const char *env = getenv("KNOT_SEED");
    uint64_t seed = env && *env ? strtoull(env, NULL, 0) : 0x6c6f6f70ull ^ (uint64_t)time(NULL);
    unsigned n = loop_env("KNOT_LOOP_SEQUENCES", 100000), from = loop_env("KNOT_LOOP_FROM", 0);
    unsigned jobs = loop_env("KNOT_LOOP_JOBS", 1);
    struct loop_totals tot;
    struct timespec t0, t1;
    double secs;

    (void)state;
    loop_verbose = loop_env("KNOT_LOOP_VERBOSE", 0) != 0;
    memset(&tot, 0, sizeof(tot));
    if (jobs < 1)
        jobs = 1;
    print_message("closed loop: seed %" PRIu64 " (KNOT_SEED=%" PRIu64 " build/tests/test_loop replays it), "
                  "%u sequences from %u, %u job(s)\n", seed, seed, n, from, jobs);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (jobs == 1) {
        loop_run(seed, from, from + n, 1, &tot);
    } else {
        int fds[16][2];
        pid_t pids[16];

        if (jobs > 16)
            jobs = 16;
        for (unsigned j = 0; j < jobs; j++) {
            assert_int_equal(pipe(fds[j]), 0);
            pids[j] = fork();
            assert_true(pids[j] >= 0);
            if (pids[j] == 0) {
                struct loop_totals mine;

                memset(&mine, 0, sizeof(mine));
                close(fds[j][0]);
                loop_run(seed, from + j, from + n, jobs, &mine);
                if (write(fds[j][1], &mine, sizeof(mine)) != (ssize_t)sizeof(mine))
                    _exit(2);
                _exit(0);
            }
            close(fds[j][1]);
        }
        for (unsigned j = 0; j < jobs; j++) {
            struct loop_totals mine;
            int status;

            assert_int_equal(read(fds[j][0], &mine, sizeof(mine)), (ssize_t)sizeof(mine));
            close(fds[j][0]);
            assert_int_equal(waitpid(pids[j], &status, 0), pids[j]);
            tot.sequences += mine.sequences;
            tot.failures += mine.failures;
            tot.raises += mine.raises;
            tot.starts += mine.starts;
            tot.refusals_allowed += mine.refusals_allowed;
            tot.resets += mine.resets;
            tot.stalls += mine.stalls;
            tot.hangs += mine.hangs;
            tot.unplugs += mine.unplugs;
            tot.blind_resets += mine.blind_resets;
            for (unsigned i = 0; i <= SESSION_END_REFUSED; i++)
                tot.ends[i] += mine.ends[i];
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    print_message("closed loop: %u sequences in %.1f s (%.0f sequences/s); %u starts, %u raises, %u resets, %u stalls, "
                  "%u hangs, %u unplugs, %u refusals of late or raced requests, %u 1.0 rises after an unseen "
                  "reset; ends: done %u stopped %u fault %u unplugged %u lost-contact %u ceiling %u refused %u\n",
                  tot.sequences, secs, secs > 0 ? tot.sequences / secs : 0.0, tot.starts, tot.raises, tot.resets,
                  tot.stalls, tot.hangs, tot.unplugs, tot.refusals_allowed, tot.blind_resets, tot.ends[SESSION_END_DONE], tot.ends[SESSION_END_STOPPED],
                  tot.ends[SESSION_END_FAULT], tot.ends[SESSION_END_UNPLUG], tot.ends[SESSION_END_LOST],
                  tot.ends[SESSION_END_CEILING], tot.ends[SESSION_END_REFUSED]);
    assert_int_equal(tot.failures, 0);
    assert_int_equal(tot.ends[SESSION_END_REFUSED], 0);
    /* The walk must reach the interesting places (not checked for tiny runs). */
    if (tot.sequences >= 2000) {
        assert_true(tot.raises > tot.sequences / 10);   /* about one in four reaches a raise */
        assert_true(tot.ends[SESSION_END_DONE] > 0 && tot.ends[SESSION_END_LOST] > 0 && tot.ends[SESSION_END_FAULT] > 0 &&
                    tot.ends[SESSION_END_UNPLUG] > 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_closed_loop),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
