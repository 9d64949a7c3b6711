/* SPDX-License-Identifier: MIT */
/* routine.c - `knotctl routines` and `knotctl routine NAME`: the routines knotd's profiles define, and one run step by step, each step a session followed as `knotctl start` follows it, with a summary at the end. */
#include "routine.h"

#include <stdio.h>
#include <string.h>

#include "areas.h"
#include "ask.h"
#include "conn.h"
#include "fail.h"
#include "follow.h"
#include "jv.h"
#include "show.h"
#include "side.h"
#include "sig.h"
#include "term.h"
#include "words.h"

#define ROUTINE_STEPS_MAX 64         /* more than any profile holds */
#define ROUTINE_GO_ON (-1)           /* a step's outcome: on to the next */
#define ROUTINE_SKIP_CODE "skip"     /* the person's s at a step */

/* How each step went, in the summary. */
enum routine_result { ROUTINE_NOT_RUN, ROUTINE_DONE, ROUTINE_STOPPED, ROUTINE_SKIPPED };
static const char *const routine_results[] = {
    [ROUTINE_NOT_RUN] = "not-run", [ROUTINE_DONE] = "done", [ROUTINE_STOPPED] = "stopped",
    [ROUTINE_SKIPPED] = "skipped",
};

/* knotd's refusals that skip a step: the place may not run now, the others may. Any other refusal ends the routine. */
static const char *const routine_skip_codes[] = {
    KNOT_E_COOLDOWN, KNOT_E_DOSE, KNOT_E_RED_FLAG, KNOT_E_PAIN_STOP, NULL,
};

/* What a step's end means for the rest; any end not here (a stop, a fault, an unplug, knotd going) ends the routine. */
enum routine_next { ROUTINE_ON, ROUTINE_ASK };
static const struct {
    const char *end;
    enum routine_next next;
} routine_after[] = {
    { KNOT_END_DONE, ROUTINE_ON },
    /* knotd closes that place for the day (later steps on it are skipped); the rest is the person's call. */
    { KNOT_END_PAIN, ROUTINE_ASK },
    { KNOT_END_RED_FLAG, ROUTINE_ASK },
};

/* A place areas' "closed" keeps shut, said after its name ("right calf is resting until 14:05"). */
static const struct {
    const char *code, *said;
    bool until;   /* the rest's end follows: "until 14:05" */
} routine_closed[] = {
    { KNOT_E_COOLDOWN, "is resting", true },
    { KNOT_E_DOSE, "has had today's dose", false },
    { KNOT_E_PAIN_STOP, "is stopped for today after pain", false },
    { KNOT_E_RED_FLAG, "has a red flag (knotctl status says whom to see)", false },
};

struct routine_step {
    json_object *def;          /* as knotd's routines reply defines it */
    enum routine_result result;
    char code[32];             /* skipped: knotd's code, or "skip"; stopped: the session's end */
    char why[512];             /* said in the summary */
    long long ran_s;
    char place[96];            /* "right calf" */
};

struct routine {
    const struct knotctl_opts *o;
    const char *name, *title;
    char again[96];            /* "routine runner": what a hint says to give again */
    size_t n;
    struct routine_step steps[ROUTINE_STEPS_MAX];
    bool keys;                 /* someone at this terminal answers between steps */
    char ended[32];            /* why the routine ended: "done", the person's "stopped", a session's end, a code */
};

/* A step's side, NULL for an area without sides. */
static const char *routine_side(json_object *def)
{
    const char *side = jv_str(def, KNOT_K_SIDE, NULL);

    return side && side[0] ? side : NULL;
}

/* One of knotctl's lines under --json: the event, the step's where, from knotctl. Consumes ev. */
static void routine_emit(const struct routine *r, json_object *ev)
{
    if (r->o->json) {
        json_object_object_add(ev, "from", json_object_new_string("knotctl"));
        printf("%s\n", json_object_to_json_string_ext(ev, KNOT_JSON_LINE_FLAGS));
    }
    json_object_put(ev);
}

/* {"event": name, "step": i + 1, "of": n, "area": ..., "side": ...} */
static json_object *routine_step_event(const struct routine *r, const char *name, size_t i)
{
    json_object *ev = json_object_new_object();
    const char *side = routine_side(r->steps[i].def);

    json_object_object_add(ev, KNOT_K_EVENT, json_object_new_string(name));
    json_object_object_add(ev, "step", json_object_new_int64((long long)i + 1));
    json_object_object_add(ev, "of", json_object_new_int64((long long)r->n));
    json_object_object_add(ev, KNOT_K_AREA, json_object_new_string(jv_str(r->steps[i].def, KNOT_K_AREA, "")));
    json_object_object_add(ev, KNOT_K_SIDE, side ? json_object_new_string(side) : NULL);
    return ev;
}

/* " (1:00, level 2)": what a step sets shorter or lower than its area; "" for nothing. */
static void routine_step_limits(char *buf, size_t len, json_object *def)
{
    long long session_s = jv_int(def, KNOT_K_SESSION_S, 0), level = jv_int(def, KNOT_K_LEVEL, 0);
    char took[SHOW_MMSS_LEN];

    show_mmss(took, sizeof(took), session_s);
    if (session_s > 0 && level > 0)
        snprintf(buf, len, " (%s, level %lld)", took, level);
    else if (session_s > 0)
        snprintf(buf, len, " (%s)", took);
    else if (level > 0)
        snprintf(buf, len, " (level %lld)", level);
    else
        snprintf(buf, len, "%s", "");
}

/* "calves right (1:00, level 2)": a step as the list shows it, in the words `start` takes. */
static void routine_step_words(char *buf, size_t len, json_object *def)
{
    const char *side = routine_side(def);
    char limits[64];

    routine_step_limits(limits, sizeof(limits), def);
    snprintf(buf, len, "%s%s%s%s", jv_str(def, KNOT_K_AREA, "?"), side ? " " : "", side ? side : "", limits);
}

/* How a skip's why is said now: after the place ("right calf is resting
 * until 14:05"), as a sentence of its own (knotd's words), or not at all
 * (the person's own s). */
enum routine_say { ROUTINE_SAY_AFTER, ROUTINE_SAY_SENTENCE, ROUTINE_SAY_NOTHING };

/* The step did not run: said now, and in the summary. */
static void routine_skip(struct routine *r, size_t i, const char *code, const char *why, enum routine_say say)
{
    struct routine_step *st = &r->steps[i];
    json_object *ev = routine_step_event(r, ROUTINE_EV_SKIPPED, i);

    st->result = ROUTINE_SKIPPED;
    snprintf(st->code, sizeof(st->code), "%s", code);
    snprintf(st->why, sizeof(st->why), "%s", why);
    json_object_object_add(ev, KNOT_K_CODE, json_object_new_string(code));
    json_object_object_add(ev, KNOT_K_MESSAGE, json_object_new_string(why));
    routine_emit(r, ev);
    if (r->o->json)
        return;
    if (say == ROUTINE_SAY_SENTENCE)
        term_line("skipped: %s. %s", st->place, why);
    else if (say == ROUTINE_SAY_AFTER)
        term_line("skipped: %s %s", st->place, why);
    else
        term_line("skipped: %s", st->place);
}

/* Whether areas says the place may not run now: then skipped, with why. */
static bool routine_closed_now(struct routine *r, size_t i, json_object *area)
{
    json_object *today = side_today(area, routine_side(r->steps[i].def));
    const char *closed = jv_str(today, "closed", "");
    char why[160], at[32];

    if (!closed[0])
        return false;
    snprintf(why, sizeof(why), "may not run now (%s)", closed);
    for (size_t k = 0; k < sizeof(routine_closed) / sizeof(routine_closed[0]); k++) {
        if (strcmp(closed, routine_closed[k].code) != 0)
            continue;
        words_clock(at, sizeof(at), jv_int(today, "rest_until", 0));
        snprintf(why, sizeof(why), "%s%s%s", routine_closed[k].said, routine_closed[k].until ? " until " : "",
                 routine_closed[k].until ? at : "");
    }
    routine_skip(r, i, closed, why, ROUTINE_SAY_AFTER);
    return true;
}

/* After pain (or a red flag): the rest of the routine is the person's call;
 * with nobody to ask, it stops there. */
static int routine_go_on(struct routine *r, size_t i, const char *end)
{
    int rc;

    if (i + 1 >= r->n)
        return ROUTINE_GO_ON;   /* nothing left to ask about */
    if (!r->keys) {
        if (!r->o->json)
            term_line("Nobody here to ask whether to go on: the routine stops here.");
        snprintf(r->ended, sizeof(r->ended), "%s", end);
        return KNOTCTL_EXIT_OK;
    }
    rc = ask_yes("Go on with the rest of the routine?");
    if (rc == 0)
        return ROUTINE_GO_ON;
    if (rc > 0)
        return rc;   /* a signal, Ctrl-C, the terminal gone */
    snprintf(r->ended, sizeof(r->ended), "%s", end);
    return KNOTCTL_EXIT_OK;
}

/* The step's session ran: how it went, and whether the routine goes on. */
static int routine_ran(struct routine *r, size_t i, const struct follow_result *res, int rc)
{
    struct routine_step *st = &r->steps[i];
    char why[256];

    st->ran_s = res->ran_s;
    snprintf(st->code, sizeof(st->code), "%s", res->end);
    st->result = strcmp(res->end, KNOT_END_DONE) == 0 ? ROUTINE_DONE : ROUTINE_STOPPED;
    /* "stopped: it still hurt ..." says "stopped" once in the summary's row. */
    if (st->result == ROUTINE_STOPPED) {
        const char *end = show_end(res->end, NULL, why, sizeof(why));

        snprintf(st->why, sizeof(st->why), "%s", strncmp(end, "stopped: ", 9) == 0 ? end + 9 : end);
    }
    if (rc >= KNOTCTL_EXIT_SIGNAL(0))
        return rc;   /* a signal, Ctrl-C, the terminal gone: the motor is off, knotctl goes */
    for (size_t k = 0; k < sizeof(routine_after) / sizeof(routine_after[0]); k++) {
        if (strcmp(res->end, routine_after[k].end) != 0)
            continue;
        if (routine_after[k].next == ROUTINE_ON)
            return ROUTINE_GO_ON;
        return routine_go_on(r, i, res->end);
    }
    snprintf(r->ended, sizeof(r->ended), "%s", res->end);
    return rc;
}

/* One step: said, skipped when it may not run, else asked for (on a
 * terminal) and run as a session. ROUTINE_GO_ON, or the routine's exit code. */
static int routine_step(struct routine *r, size_t i)
{
    struct routine_step *st = &r->steps[i];
    const char *side = routine_side(st->def);
    json_object *areas = conn_fetch(r->o->socket, conn_request_new("areas", NULL));
    json_object *area = areas_find(areas, jv_str(st->def, KNOT_K_AREA, ""));
    struct follow_step step = {
        .area = jv_str(st->def, KNOT_K_AREA, ""), .side = side, .level = jv_int(st->def, KNOT_K_LEVEL, 0),
        .session_s = jv_int(st->def, KNOT_K_SESSION_S, 0), .in_routine = true, .again = r->again,
        .quiet = routine_skip_codes,
    };
    struct follow_result res;
    char limits[64];
    int rc;

    routine_emit(r, routine_step_event(r, ROUTINE_EV_STEP, i));
    if (!r->o->json) {
        routine_step_limits(limits, sizeof(limits), st->def);
        term_line("%sstep %zu of %zu: %s%s", i ? "\n" : "", i + 1, r->n, st->place, limits);
    }
    /* knotd's list says it may not run now: no need to ask the person to move the massager there. */
    if (area && routine_closed_now(r, i, area)) {
        json_object_put(areas);
        return ROUTINE_GO_ON;
    }
    json_object_put(areas);
    if (r->keys) {
        rc = ask_ready(st->place);
        if (rc == ASK_SKIP) {
            routine_skip(r, i, ROUTINE_SKIP_CODE, "you skipped it", ROUTINE_SAY_NOTHING);
            return ROUTINE_GO_ON;
        }
        if (rc == ASK_NO) {
            snprintf(r->ended, sizeof(r->ended), "%s", KNOT_END_STOPPED);
            return KNOTCTL_EXIT_OK;
        }
        if (rc)
            return rc;
    }
    rc = follow_start(r->o, &step, &res);
    if (res.ran)
        return routine_ran(r, i, &res, rc);
    if (res.left) {
        /* Left at the warm-up or side question: the person stops here. */
        snprintf(r->ended, sizeof(r->ended), "%s", KNOT_END_STOPPED);
        return KNOTCTL_EXIT_OK;
    }
    for (size_t k = 0; res.code[0] && routine_skip_codes[k]; k++) {
        if (strcmp(res.code, routine_skip_codes[k]) == 0) {
            routine_skip(r, i, res.code, res.message, ROUTINE_SAY_SENTENCE);
            return ROUTINE_GO_ON;
        }
    }
    /* Any other refusal (said by the start) or failure ends the routine. */
    snprintf(r->ended, sizeof(r->ended), "%s", res.code[0] ? res.code : "error");
    return rc ? rc : KNOTCTL_EXIT_REFUSED;
}

/* One check-in invite for the routine, naming the first place that ran. */
static void routine_invite(const struct routine *r)
{
    const struct routine_step *first = NULL;
    size_t ran = 0;
    const char *side;

    for (size_t i = 0; i < r->n; i++) {
        if (r->steps[i].result == ROUTINE_DONE || r->steps[i].result == ROUTINE_STOPPED) {
            first = first ? first : &r->steps[i];
            ran++;
        }
    }
    if (!first)
        return;
    side = routine_side(first->def);
    if (ran == 1)
        printf("How %s your %s feel now? ", words_does(first->place), first->place);
    else
        printf("How do they feel now? A check-in for each, as ");
    printf("knotctl checkin %s%s%s --pain 0-10\n", jv_str(first->def, KNOT_K_AREA, "?"), side ? " --side " : "",
           side ? side : "");
}

/* Each step: done, stopped, skipped and why, or not run; how long it ran. */
static void routine_summary(struct routine *r)
{
    json_object *ev = json_object_new_object(), *steps = json_object_new_array();
    int width = 0;

    for (size_t i = 0; i < r->n; i++) {
        struct routine_step *st = &r->steps[i];
        json_object *one = routine_step_event(r, ROUTINE_EV_STEP, i);

        json_object_object_del(one, KNOT_K_EVENT);
        json_object_object_del(one, "of");
        json_object_object_add(one, "result", json_object_new_string(routine_results[st->result]));
        if (st->result == ROUTINE_DONE || st->result == ROUTINE_STOPPED) {
            json_object_object_add(one, "end", json_object_new_string(st->code));
            json_object_object_add(one, "ran_s", json_object_new_int64(st->ran_s));
        } else if (st->result == ROUTINE_SKIPPED) {
            json_object_object_add(one, KNOT_K_CODE, json_object_new_string(st->code));
        }
        json_object_array_add(steps, one);
        width = (int)strlen(st->place) > width ? (int)strlen(st->place) : width;
    }
    json_object_object_add(ev, KNOT_K_EVENT, json_object_new_string(ROUTINE_EV_SUMMARY));
    json_object_object_add(ev, "routine", json_object_new_string(r->name));
    json_object_object_add(ev, "ended", json_object_new_string(r->ended));
    json_object_object_add(ev, "steps", steps);
    routine_emit(r, ev);
    if (r->o->json)
        return;
    printf("\n%s (%s): %s\n", r->title, r->name,
           strcmp(r->ended, KNOT_END_DONE) == 0 ? "the routine is over" : "the routine stopped");
    for (size_t i = 0; i < r->n; i++) {
        const struct routine_step *st = &r->steps[i];
        char ran[SHOW_MMSS_LEN] = "", line[1024];
        size_t end;

        if (st->result == ROUTINE_DONE || st->result == ROUTINE_STOPPED)
            show_mmss(ran, sizeof(ran), st->ran_s);
        snprintf(line, sizeof(line), "  %2zu  %-*s  %-7s  %5s  %s", i + 1, width, st->place,
                 st->result == ROUTINE_NOT_RUN ? "not run" : routine_results[st->result], ran, st->why);
        for (end = strlen(line); end && line[end - 1] == ' '; end--)
            line[end - 1] = '\0';
        printf("%s\n", line);
    }
    routine_invite(r);
}

/* Each step's place as the person says it ("right calf"), from knotd's area
 * list (best effort: else "calves (right)"). */
static void routine_places(struct routine *r)
{
    json_object *areas = conn_fetch(r->o->socket, conn_request_new("areas", NULL));

    for (size_t i = 0; i < r->n; i++) {
        json_object *area = areas_find(areas, jv_str(r->steps[i].def, KNOT_K_AREA, ""));

        side_place(r->steps[i].place, sizeof(r->steps[i].place), area ? area : r->steps[i].def,
                   routine_side(r->steps[i].def));
    }
    json_object_put(areas);
}

/* The routine of that name in knotd's reply; NULL (said, with the nearest name) when there is none. */
static json_object *routine_find(json_object *reply, const char *name)
{
    json_object *list = jv_arr(reply, "routines");
    const char *names[ROUTINE_STEPS_MAX], *near;
    size_t n = 0;

    for (size_t i = 0; list && i < json_object_array_length(list); i++) {
        json_object *one = json_object_array_get_idx(list, i);

        if (strcmp(jv_str(one, "name", ""), name) == 0)
            return one;
        if (n < ROUTINE_STEPS_MAX)
            names[n++] = jv_str(one, "name", "");
    }
    near = words_nearest(name, names, n);
    if (near)
        fail(FAIL_UNKNOWN_ROUTINE, "no routine '%s'; did you mean '%s'? ('knotctl routines' lists them)", name, near);
    else
        fail(FAIL_UNKNOWN_ROUTINE, "no routine '%s'; 'knotctl routines' lists them", name);
    return NULL;
}

int routine_run(const struct knotctl_opts *o, const char *name)
{
    static struct routine r;   /* its steps' room: not on the stack */
    json_object *reply = NULL, *def, *steps, *ev;
    int rc = conn_call(o->socket, false, conn_request_new(KNOT_CMD_ROUTINES, NULL), &reply);

    if (rc)
        return rc;
    def = routine_find(reply, name);
    if (!def) {
        json_object_put(reply);
        return KNOTCTL_EXIT_REFUSED;
    }
    memset(&r, 0, sizeof(r));
    r.o = o;
    r.name = jv_str(def, "name", name);
    r.title = jv_str(def, "title", r.name);
    snprintf(r.again, sizeof(r.again), "routine %s", r.name);
    snprintf(r.ended, sizeof(r.ended), "%s", KNOT_END_DONE);
    steps = jv_arr(def, "steps");
    for (size_t i = 0; steps && i < json_object_array_length(steps) && r.n < ROUTINE_STEPS_MAX; i++)
        r.steps[r.n++].def = json_object_array_get_idx(steps, i);
    /* Between steps the person answers with a key; in a pipe, a log or
     * --json nobody does: the steps follow one another, each waiting after
     * its trial for a go-ahead from elsewhere (knotctl go). */
    r.keys = ask_can(o);
    routine_places(&r);
    sig_install();
    ev = json_object_new_object();
    json_object_object_add(ev, KNOT_K_EVENT, json_object_new_string(ROUTINE_EV_ROUTINE));
    json_object_object_add(ev, "name", json_object_new_string(r.name));
    json_object_object_add(ev, "title", json_object_new_string(r.title));
    json_object_object_add(ev, "steps", json_object_new_int64((long long)r.n));
    routine_emit(&r, ev);
    if (!o->json)
        printf("%s (%s): %zu step%s; o = ouch and q = stop work as in a session\n", r.title, r.name, r.n,
               r.n == 1 ? "" : "s");
    rc = ROUTINE_GO_ON;
    for (size_t i = 0; i < r.n && rc == ROUTINE_GO_ON; i++)
        rc = sig_interrupted() ? KNOTCTL_EXIT_SIGNAL(sig_caught()) : routine_step(&r, i);
    if (rc == ROUTINE_GO_ON)
        rc = KNOTCTL_EXIT_OK;
    /* A closed terminal: nobody reads a summary, and nothing may go on. */
    if (rc != KNOTCTL_EXIT_SIGNAL(SIGHUP)) {
        if (rc >= KNOTCTL_EXIT_SIGNAL(0))
            snprintf(r.ended, sizeof(r.ended), "%s", "signal");
        routine_summary(&r);
    }
    json_object_put(reply);
    return rc;
}

int routine_list(const struct knotctl_opts *o)
{
    json_object *reply = NULL, *list;
    int rc = conn_call(o->socket, o->json, conn_request_new(KNOT_CMD_ROUTINES, NULL), &reply);
    size_t n;
    int width = 0;

    if (rc || o->json) {
        json_object_put(reply);
        return rc;
    }
    list = jv_arr(reply, "routines");
    n = list ? json_object_array_length(list) : 0;
    if (n == 0)
        printf("knotd knows no routines (its profiles define none)\n");
    for (size_t i = 0; i < n; i++) {
        int w = (int)strlen(jv_str(json_object_array_get_idx(list, i), "name", "?"));

        width = w > width ? w : width;
    }
    for (size_t i = 0; i < n; i++) {
        json_object *one = json_object_array_get_idx(list, i), *steps = jv_arr(one, "steps");
        char said[1024] = "";
        size_t used = 0, k;

        for (k = 0; steps && k < json_object_array_length(steps) && used < sizeof(said); k++) {
            char words[128];
            int w;

            routine_step_words(words, sizeof(words), json_object_array_get_idx(steps, k));
            w = snprintf(said + used, sizeof(said) - used, "%s%s", k ? ", " : "", words);
            if (w < 0)
                break;
            used += (size_t)w;
        }
        term_line("%-*s  %s (%zu step%s): %s", width, jv_str(one, "name", "?"), jv_str(one, "title", "?"), k,
                  k == 1 ? "" : "s", said);
    }
    if (n)
        printf("Run one: knotctl routine NAME\n");
    json_object_put(reply);
    return 0;
}
