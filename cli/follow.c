/* SPDX-License-Identifier: MIT */
/* follow.c - `knotctl start` and each step of a routine: subscribe, then start on the same connection (the session is its), then show the session until it ends; on a TTY, single keys steer it. */
#include "follow.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "areas.h"
#include "ask.h"
#include "conn.h"
#include "fail.h"
#include "jv.h"
#include "knot/control.h"
#include "show.h"
#include "side.h"
#include "sig.h"
#include "term.h"
#include "words.h"

#define FOLLOW_ESC 0x1b
#define FOLLOW_CTRL_C 0x03
#define FOLLOW_AGAIN (-2)   /* the person answered knotd's question (warm, which side): start again, saying so */
#define FOLLOW_LEFT (-3)    /* the person left at a question: nothing started, exit 0 */
#define FOLLOW_TRIES 3      /* a start, then again after each of knotd's two questions */

/* What the person answered knotd's questions with, kept from one try to the next. */
struct follow_answers {
    bool warm;                /* the muscle is warm (--warmed-up, or asked) */
    char side[8];             /* "left", "right" (--side, or asked), "" */
};

struct follow {
    const struct knotctl_opts *o;
    const struct follow_step *step;
    struct follow_result *res;
    struct follow_answers *answers;
    const char *area_name;    /* as the person typed it */
    struct conn *w;           /* the watch connection, which owns the session */
    char serial[64];
    json_object *area;        /* from the start reply */
    char faults[128];         /* from the last status event, for a "fault" end */
    char phase[16];           /* last phase, level and target printed (not a TTY) */
    long long level, target;
    bool keys;                /* the person steers from this window: raw keys, the question after the trial */
    bool invite;              /* this view started a session that ran: one check-in invite at its end */
    char now[16];             /* the phase of the last status: what + and Enter mean now */
    long long elapsed;        /* the session's elapsed_s, as the last event said it */
};

/* What a key asks for. */
enum follow_act { FOLLOW_OUCH, FOLLOW_UP, FOLLOW_DOWN, FOLLOW_GO, FOLLOW_STOP, FOLLOW_INTERRUPT };

static const struct {
    unsigned char key;
    enum follow_act act;
} follow_keys[] = {
    { 'o', FOLLOW_OUCH }, { 'O', FOLLOW_OUCH }, { ' ', FOLLOW_OUCH },
    { '+', FOLLOW_UP }, { '-', FOLLOW_DOWN },
    { '\r', FOLLOW_GO }, { '\n', FOLLOW_GO },
    { 'q', FOLLOW_STOP }, { 'Q', FOLLOW_STOP }, { FOLLOW_ESC, FOLLOW_STOP },
    { FOLLOW_CTRL_C, FOLLOW_INTERRUPT },   /* in raw mode Ctrl-C is a key, not SIGINT */
};

/* The request each steering act sends (stop has its own path). */
static const char *const follow_cmds[] = {
    [FOLLOW_OUCH] = "ouch", [FOLLOW_UP] = "up", [FOLLOW_DOWN] = "down", [FOLLOW_GO] = KNOT_CMD_GO,
};

#define FOLLOW_LEGEND "keys: o or space = ouch, + / - = up / down, q, Esc or Ctrl-C = stop"

static void follow_aftercare(struct follow *f, json_object *session)
{
    const char *care = jv_str(session, "aftercare", "");

    if (!care[0])
        care = jv_str(f->area, "aftercare", "");
    if (care[0])
        printf("After-care: %s\n", care);
}

/* After a session that ran, one line: how the area feels now is what the
 * care record needs. Said once, by the view that started the session. */
static void follow_invite(struct follow *f)
{
    const char *side = f->answers->side;
    char place[96];

    if (!f->invite)
        return;
    f->invite = false;
    side_place(place, sizeof(place), f->area, side);
    printf("How %s your %s feel now? knotctl checkin %s%s%s --pain 0-10\n", words_does(place), place,
           jv_str(f->area, "name", f->area_name), side[0] ? " --side " : "", side);
}

/* The session is over, however: what its caller (a routine) needs to know. */
static void follow_over(struct follow *f, const char *end, long long ran_s)
{
    f->res->ran = true;
    snprintf(f->res->end, sizeof(f->res->end), "%s", end);
    f->res->ran_s = ran_s;
}

/* A key, Ctrl-C, a kill or a hang-up: the motor goes off before anything
 * else. A fresh connection, with its own deadline for the reply: on the watch
 * connection a reply comes among the events. done is the exit code when the
 * stop worked. */
static int follow_stop(struct follow *f, int done)
{
    struct conn c;
    json_object *reply = NULL;
    char *raw = NULL;
    int rc;

    term_clear();
    follow_over(f, KNOT_END_STOPPED, f->elapsed);
    rc = conn_open(&c, f->o->socket);
    if (rc == 0)
        rc = conn_request(&c, conn_request_new("stop", f->serial), &reply, &raw);
    conn_close(&c);
    if (rc == 0) {
        if (f->o->json)
            printf("%s\n", raw);
        rc = conn_check(reply, f->o->json);
    }
    if (rc == 0 && !f->o->json) {
        printf("stopped\n");
        follow_aftercare(f, NULL);
        follow_invite(f);
    }
    json_object_put(reply);
    free(raw);
    return rc ? rc : done;
}

static int follow_end(struct follow *f, const char *end, json_object *session)
{
    const char *advice = jv_str(session, KNOT_K_ADVICE, "");
    char why[256];

    term_clear();
    follow_over(f, end, jv_int(session, "elapsed_s", f->elapsed));
    if (!f->o->json) {
        /* Not this view's doing (its own stop says "stopped"): say who ended it. */
        if (strcmp(end, KNOT_END_STOPPED) == 0)
            snprintf(why, sizeof(why), "stopped from elsewhere (knotctl stop)");
        else if (strcmp(end, KNOT_END_DISCONNECTED) == 0)
            snprintf(why, sizeof(why), "stopped: the knotctl that started it went away (its terminal closed, or it "
                     "was killed)");
        else
            show_end(end, f->faults, why, sizeof(why));
        term_line("%s", why);
        /* After pain the advice replaces the after-care: no stretching today. */
        if (advice[0])
            term_line("%s", advice);
        else
            follow_aftercare(f, session);
        follow_invite(f);
    }
    /* 0: it ran its course or the person ended it (a stop, a second ouch, their red flag). */
    return strcmp(end, KNOT_END_DONE) == 0 || strcmp(end, KNOT_END_STOPPED) == 0 || strcmp(end, KNOT_END_PAIN) == 0 ||
                   strcmp(end, KNOT_END_RED_FLAG) == 0
               ? 0 : KNOTCTL_EXIT_REFUSED;
}

/* After the trial: the guide's "see how the muscle responds", as a question. */
static void follow_ask(long long target)
{
    if (target > 1)
        term_line("How does it feel? Enter or + to go on up to level %lld, o if it hurts, q to stop. "
                  "Until then it stays at level 1.", target);
    else
        term_line("How does it feel? Enter or + to go on at level 1, o if it hurts, q to stop.");
}

static void follow_status(struct follow *f, json_object *st)
{
    json_object *s = jv_obj(st, "session");
    const char *phase = jv_str(s, "phase", "");
    long long level = jv_int(s, "level", jv_int(st, "level", 0)), target = jv_int(s, "target", 0);
    char line[256];

    jv_join(jv_arr(st, "faults"), ", ", f->faults, sizeof(f->faults));
    f->elapsed = jv_int(s, "elapsed_s", f->elapsed);
    if (f->keys && strcmp(phase, KNOT_PHASE_WAIT) == 0 && strcmp(f->now, KNOT_PHASE_WAIT) != 0)
        follow_ask(target);
    snprintf(f->now, sizeof(f->now), "%s", phase);
    if (f->o->json)
        return;
    if (term_tty()) {
        show_progress(line, sizeof(line), st, SHOW_BAR);
        /* A narrow terminal cuts the line: the time left must not be what goes. */
        if (!term_fits(line))
            show_progress(line, sizeof(line), st, SHOW_NARROW);
        term_status(line);
        return;
    }
    /* In a log, a line a second says nothing new: only phase and level changes. */
    if (strcmp(phase, f->phase) == 0 && level == f->level && target == f->target)
        return;
    snprintf(f->phase, sizeof(f->phase), "%s", phase);
    f->level = level;
    f->target = target;
    show_progress(line, sizeof(line), st, SHOW_LOG);
    printf("%s\n", line);
}

/* One event line: -1 to go on, else the exit code. */
static int follow_event(struct follow *f, json_object *ev, const char *line)
{
    const char *name = jv_str(ev, KNOT_K_EVENT, "");
    bool is_status = strcmp(name, KNOT_EV_STATUS) == 0;
    const char *serial = is_status ? jv_str(jv_obj(ev, "device"), "serial", "") : jv_str(ev, "serial", "");

    if (strcmp(serial, f->serial) != 0)
        return -1;
    if (f->o->json)
        printf("%s\n", line);
    if (is_status) {
        follow_status(f, jv_obj(ev, "device"));
    } else if (strcmp(name, KNOT_EV_WARNING) == 0) {
        if (!f->o->json)
            term_line("%s", jv_str(ev, KNOT_K_MESSAGE, "warning"));
    } else if (strcmp(name, KNOT_EV_SESSION) == 0 && strcmp(jv_str(ev, "action", ""), KNOT_ACT_ENDED) == 0) {
        json_object *s = jv_obj(ev, "session");
        json_object *faults = jv_arr(s, "faults");
        if (faults)
            jv_join(faults, ", ", f->faults, sizeof(f->faults));
        return follow_end(f, jv_str(s, "end", ""), s);
    } else if (strcmp(name, KNOT_EV_DEVICE) == 0 && strcmp(jv_str(ev, "action", ""), KNOT_ACT_REMOVED) == 0) {
        /* knotd ends the session first; this only guards against never hearing it. */
        return follow_end(f, KNOT_END_UNPLUGGED, NULL);
    }
    return -1;
}

/* The reply to a key's request (its id is the command): one line of news. */
static void follow_reply(struct follow *f, json_object *r)
{
    json_object *s = jv_obj(r, "session");
    char text[256];

    if (!jv_bool(r, KNOT_K_OK, false)) {
        term_line("%s", jv_str(r, KNOT_K_MESSAGE, "knotd refused"));
        return;
    }
    if (strcmp(jv_str(s, "phase", ""), KNOT_PHASE_ENDED) == 0)
        return;   /* the session's ended event has said it (a second ouch) */
    show_target_text(text, sizeof(text), jv_str(r, KNOT_K_ID, ""), s,
                     jv_int(s, "step_s", jv_int(f->area, "step_s", 0)));
    term_line("%s", text);
}

/* One steering act: -1 to go on, else the exit code. */
static int follow_act(struct follow *f, enum follow_act act)
{
    bool waiting = strcmp(f->now, KNOT_PHASE_WAIT) == 0;
    json_object *req;
    int rc;

    if (act == FOLLOW_INTERRUPT)
        return follow_stop(f, KNOTCTL_EXIT_INTERRUPTED);
    if (act == FOLLOW_STOP)
        return follow_stop(f, 0);
    /* After the trial + says go as Enter does; otherwise Enter means nothing. */
    if (act == FOLLOW_UP && waiting)
        act = FOLLOW_GO;
    if (act == FOLLOW_GO && !waiting)
        return -1;
    /* On the session's own connection; the reply comes among the events. */
    req = conn_request_new(follow_cmds[act], f->serial);
    json_object_object_add(req, KNOT_K_ID, json_object_new_string(follow_cmds[act]));
    rc = conn_send(f->w, req);
    json_object_put(req);
    return rc ? rc : -1;
}

/* Where an escape sequence that starts at buf[i] (ESC [ ... or ESC O x: an
 * arrow or function key) ends; i itself for a lone Esc or Esc + a key, which
 * is a stop: stopping by mistake is the harmless way to be wrong. */
static size_t follow_sequence_end(const unsigned char *buf, size_t n, size_t i)
{
    size_t k = i + 2;

    if (i + 1 >= n || (buf[i + 1] != '[' && buf[i + 1] != 'O'))
        return i;
    if (buf[i + 1] == 'O')
        return k < n ? k : n - 1;
    while (k < n && !(buf[k] >= 0x40 && buf[k] <= 0x7e))
        k++;
    return k < n ? k : n - 1;
}

/* The terminal is gone (SIGHUP, or a hang-up without one): nobody reads what
 * knotctl would print, and nobody chose to stop. The session is this
 * connection's (follow): closing it ends the session, recorded as
 * disconnected. A follower of another's session leaves it to its owner. */
static int follow_hangup(struct follow *f)
{
    follow_over(f, KNOT_END_DISCONNECTED, f->elapsed);
    conn_close(f->w);
    return KNOTCTL_EXIT_SIGNAL(SIGHUP);
}

/* A signal: a hang-up, or a stop someone asked for (Ctrl-C, SIGTERM). */
static int follow_signalled(struct follow *f)
{
    return sig_caught() == SIGHUP ? follow_hangup(f) : follow_stop(f, KNOTCTL_EXIT_SIGNAL(sig_caught()));
}

/* The terminal has something: keys, or it hung up. -1 to go on, else the exit code. */
static int follow_keys_in(struct follow *f, short events)
{
    unsigned char buf[64];
    ssize_t n = (events & POLLIN) ? term_keys_read(buf, sizeof(buf) - 8) : 0;

    /* Hung up (closed window, ssh gone) without a SIGHUP reaching us: as if it had. */
    if (n <= 0)
        return follow_hangup(f);
    /* A lone Esc may be an arrow key's first byte: the rest comes within 0.1 s (VTIME). */
    if (buf[n - 1] == FOLLOW_ESC) {
        ssize_t more = term_keys_read(buf + n, sizeof(buf) - (size_t)n);
        if (more > 0)
            n += more;
    }
    for (size_t i = 0; i < (size_t)n; i++) {
        size_t end = buf[i] == FOLLOW_ESC ? follow_sequence_end(buf, (size_t)n, i) : i;

        if (end != i) {
            i = end;   /* arrows and function keys mean nothing here */
            continue;
        }
        for (size_t k = 0; k < sizeof(follow_keys) / sizeof(follow_keys[0]); k++) {
            if (follow_keys[k].key == buf[i]) {
                int rc = follow_act(f, follow_keys[k].act);
                if (rc >= 0)
                    return rc;
                break;
            }
        }
    }
    return -1;
}

static int follow_loop(struct follow *f, struct conn *w)
{
    for (;;) {
        json_object *ev;
        char *line;
        short events = 0;
        int rc = conn_read_line_or(w, f->keys ? STDIN_FILENO : -1, &events, &line);

        if (rc == -EINTR)
            return follow_signalled(f);
        if (rc == CONN_ALSO) {
            rc = follow_keys_in(f, events);
            if (rc >= 0)
                return rc;
            continue;
        }
        if (rc <= 0) {
            term_clear();
            rc = conn_read_fail(w, rc);
            /* knotd died under a running session: what the motor does now. */
            if (rc == KNOTCTL_EXIT_NOT_CONNECTED && !f->o->json)
                fprintf(stderr, "knotctl: the massager's own watchdog stops the motor by itself within a fraction "
                        "of a second (250 ms by default), with no knotd feeding it\n");
            return rc;
        }
        ev = conn_parse(line);
        if (!ev) {
            term_clear();
            fail(FAIL_PROTOCOL, "knotd sent a line that is not a JSON object: %.80s", line);
            return KNOTCTL_EXIT_PROTOCOL;
        }
        rc = -1;
        if (json_object_object_get_ex(ev, KNOT_K_EVENT, NULL))
            rc = follow_event(f, ev, line);
        else if (!f->o->json)
            follow_reply(f, ev);   /* only keys send requests here, and not with --json */
        json_object_put(ev);
        if (rc >= 0)
            return rc;
    }
}

/* The command a hint gives again: "start calves --side left", or the routine's. */
static void follow_again(struct follow *f, char *buf, size_t len)
{
    if (f->step->again)
        snprintf(buf, len, "%s", f->step->again);
    else if (f->answers->side[0])
        snprintf(buf, len, "start %s --side %s", f->area_name, f->answers->side);
    else
        snprintf(buf, len, "start %s", f->area_name);
}

/* knotd asks for the day's warm-up before the motor moves. At a terminal
 * the person answers (a line: Enter starts, anything else leaves); type-ahead
 * does not answer a question not yet read. Elsewhere --warmed-up says it. */
static int follow_warm_up(struct follow *f, json_object *reply)
{
    const struct knotctl_opts *o = f->o;
    char *line = NULL, again[160];
    size_t cap = 0;
    sigset_t blocked;
    ssize_t got;
    bool go;

    if (f->answers->warm) {
        fail(FAIL_PROTOCOL, "knotd asked for the warm-up again: it did not hear warmed_up");
        return KNOTCTL_EXIT_PROTOCOL;
    }
    if (o->json || !isatty(STDIN_FILENO) || !term_tty()) {
        conn_check(reply, o->json);
        follow_again(f, again, sizeof(again));
        if (!o->json)
            fprintf(stderr, "knotctl: nobody here to ask; once the muscle is warm: knotctl %s --warmed-up\n", again);
        return KNOTCTL_EXIT_REFUSED;
    }
    term_keys_off();   /* a line, not single keys */
    term_line("%s", jv_str(reply, KNOT_K_MESSAGE, "Warm the muscle up first."));
    tcflush(STDIN_FILENO, TCIFLUSH);
    printf("Is the muscle warm? Enter to start, q and Enter to leave: ");
    fflush(stdout);
    /* The signals sig.c catches are blocked outside its waits: this is one,
     * so that Ctrl-C, a kill or a hang-up ends the question (EINTR) rather
     * than wait for a line nobody will type. */
    if (sig_wait_mask())
        sigprocmask(SIG_SETMASK, sig_wait_mask(), &blocked);
    got = getline(&line, &cap, stdin);
    if (sig_wait_mask())
        sigprocmask(SIG_SETMASK, &blocked, NULL);
    if (got < 0) {
        clearerr(stdin);   /* its EOF or error is not the next question's */
        putchar('\n');   /* Ctrl-D: leaving */
        go = false;
    } else {
        go = line[strspn(line, " \t\r\n")] == '\0';
    }
    free(line);
    if (sig_interrupted())
        return KNOTCTL_EXIT_SIGNAL(sig_caught());
    if (!go) {
        printf("Nothing started.\n");
        return FOLLOW_LEFT;
    }
    f->answers->warm = true;
    return FOLLOW_AGAIN;
}

/* An area with two sides and no side said: asked on a terminal ("Which
 * calf, left or right?"); elsewhere knotd's words, the choices, and the
 * usage status: the command line lacks a word. */
static int follow_which_side(struct follow *f, json_object *reply)
{
    json_object *areas;
    const char *side = NULL;
    char sides[64], again[160];
    int rc;

    if (f->answers->side[0]) {
        fail(FAIL_PROTOCOL, "knotd asked for a side again: it did not hear \"%s\"", f->answers->side);
        return KNOTCTL_EXIT_PROTOCOL;
    }
    if (!ask_can(f->o)) {
        conn_check(reply, f->o->json);
        jv_join(jv_arr(reply, "sides"), " or ", sides, sizeof(sides));
        follow_again(f, again, sizeof(again));
        if (!f->o->json)
            fprintf(stderr, "knotctl: nobody here to ask; say which (%s): knotctl %s --side %s\n",
                    sides[0] ? sides : "left or right", again, KNOT_SIDE_LEFT);
        return KNOTCTL_EXIT_USAGE;
    }
    /* The area's own words for one of the pair, from knotd's list: best effort. */
    areas = conn_fetch(f->o->socket, conn_request_new("areas", NULL));
    rc = ask_side(areas_find(areas, f->area_name), f->area_name, &side);
    json_object_put(areas);
    if (rc == ASK_NO) {
        printf("Nothing started.\n");
        return FOLLOW_LEFT;
    }
    if (rc)
        return rc;
    snprintf(f->answers->side, sizeof(f->answers->side), "%s", side);
    return FOLLOW_AGAIN;
}

/* An area knotd does not know: the one the person most likely meant, from
 * knotd's own names and aliases, said first ("did you mean 'calves'?"). */
static void follow_did_you_mean(const struct knotctl_opts *o, const char *area)
{
    json_object *reply = conn_fetch(o->socket, conn_request_new("areas", NULL)), *areas = jv_arr(reply, "areas");
    const char *names[256], *near;
    size_t n = 0;

    for (size_t i = 0; areas && i < json_object_array_length(areas) && n < 256; i++) {
        json_object *a = json_object_array_get_idx(areas, i), *aliases = jv_arr(a, "aliases");

        names[n++] = jv_str(a, "name", "");
        for (size_t k = 0; aliases && k < json_object_array_length(aliases) && n < 256; k++)
            names[n++] = json_object_get_string(json_object_array_get_idx(aliases, k));
    }
    near = words_nearest(area, names, n);
    if (near)
        fprintf(stderr, "knotctl: did you mean '%s'? knotctl start %s\n", near, near);
    json_object_put(reply);
}

/* A refused start: knotd's words; for an area the massager does not belong
 * on, the guide's advice there with the stretch, said as advice; the day's
 * warm-up asked (FOLLOW_AGAIN: start again, warm). */
static int follow_refused(struct follow *f, json_object *reply)
{
    const struct knotctl_opts *o = f->o;
    const char *code = jv_str(reply, KNOT_K_CODE, ""), *area = f->area_name;
    int rc;

    if (jv_bool(reply, KNOT_K_OK, false))
        return 0;
    snprintf(f->res->code, sizeof(f->res->code), "%s", code);
    snprintf(f->res->message, sizeof(f->res->message), "%s", jv_str(reply, KNOT_K_MESSAGE, ""));
    /* The caller words these itself (a routine skips the step). */
    for (size_t i = 0; f->step->quiet && f->step->quiet[i]; i++)
        if (strcmp(code, f->step->quiet[i]) == 0)
            return conn_check(reply, true);
    if (!o->json && strcmp(code, KNOT_E_NOT_ALLOWED) == 0)
        return areas_elsewhere(o, area, reply);
    if (strcmp(code, KNOT_E_WARM_UP) == 0)
        return follow_warm_up(f, reply);
    if (strcmp(code, KNOT_E_SIDE) == 0)
        return follow_which_side(f, reply);
    rc = conn_check(reply, o->json);
    if (!o->json && strcmp(code, KNOT_E_UNKNOWN_AREA) == 0)
        follow_did_you_mean(o, area);
    return rc;
}

/* --detach: start, say where it runs, return. */
static int follow_detached(struct follow *f, json_object *req)
{
    const struct knotctl_opts *o = f->o;
    json_object *reply = NULL;
    char *raw = NULL;
    struct conn c;
    int rc = conn_open(&c, o->socket);

    if (rc) {
        json_object_put(req);
        return rc;
    }
    rc = conn_request(&c, req, &reply, &raw);
    conn_close(&c);
    if (rc == 0 && o->json)
        printf("%s\n", raw);
    if (rc == 0)
        rc = follow_refused(f, reply);
    free(raw);
    if (rc == 0 && !o->json) {
        show_care(jv_obj(reply, KNOT_K_CARE));
        show_advice(jv_obj(reply, "area"));
        /* knotd answers a start of the area that already runs with that session. */
        printf("%s on %s; follow with 'knotctl watch'\n",
               jv_bool(reply, "already_running", false) ? "already running" : "started", jv_str(reply, KNOT_K_DEVICE, "?"));
        if (!o->auto_ramp && !jv_bool(reply, "already_running", false))
            printf("After the trial it stays at level 1 until your go-ahead: knotctl go\n");
    }
    json_object_put(reply);
    return rc;
}

/* Subscribe, start, say what runs; the session is then followed by follow_loop(). */
static int follow_begin(struct follow *f, struct conn *w, json_object *req, json_object **reply)
{
    const struct knotctl_opts *o = f->o;
    char *raw = NULL;
    int rc;

    /* Subscribe before starting, so nothing after the start's reply is missed
     * (what comes before it on this connection is the start's own news: the
     * reply says the same). */
    rc = conn_open(w, o->socket);
    if (rc == 0)
        rc = conn_request(w, conn_request_new("watch", NULL), reply, NULL);
    if (rc == 0)
        rc = conn_check(*reply, false);
    json_object_put(*reply);
    *reply = NULL;
    if (rc == 0 && sig_interrupted())
        rc = KNOTCTL_EXIT_SIGNAL(sig_caught());   /* nothing started yet: nothing to stop */
    if (rc) {
        json_object_put(req);
        return rc;
    }
    rc = conn_request(w, req, reply, &raw);
    if (rc == 0) {
        if (o->json)
            printf("%s\n", raw);
        rc = follow_refused(f, *reply);
    }
    free(raw);
    /* A routine's step is a session of its own: one that already ran there
     * (a script's, detached) is not this view's to follow, and closing this
     * terminal would not stop it (found by a review). Refused, and said. */
    if (rc == 0 && f->step->in_routine && jv_bool(*reply, "already_running", false)) {
        snprintf(f->res->code, sizeof(f->res->code), "%s", KNOT_E_BUSY);
        snprintf(f->res->message, sizeof(f->res->message), "a session of this area already runs on %s, not "
                 "started by this routine: stop it first (knotctl stop)", jv_str(*reply, KNOT_K_DEVICE, "?"));
        fail(KNOT_E_BUSY, "%s", f->res->message);
        rc = KNOTCTL_EXIT_REFUSED;
    }
    if (rc == 0) {
        snprintf(f->serial, sizeof(f->serial), "%s", jv_str(*reply, KNOT_K_DEVICE, o->device ? o->device : ""));
        f->area = jv_obj(*reply, KNOT_K_AREA);
        if (!f->serial[0]) {
            fail(FAIL_PROTOCOL, "knotd's start reply names no device");
            rc = KNOTCTL_EXIT_PROTOCOL;
        }
    }
    if (rc == 0 && !o->json) {
        json_object *s = jv_obj(*reply, "session");
        char place[96];

        /* The side knotd runs, as it says it: the one asked for, or the running session's. */
        if (jv_str(s, KNOT_K_SIDE, NULL))
            snprintf(f->answers->side, sizeof(f->answers->side), "%s", jv_str(s, KNOT_K_SIDE, ""));
        side_place(place, sizeof(place), f->area, f->answers->side);
        /* Treated often and no better: a physical therapist, first, in one line. */
        show_care(jv_obj(*reply, KNOT_K_CARE));
        /* A routine's person heard the guide's advice at its first step, or knows it. */
        if (!f->step->in_routine)
            show_advice(f->area);
        if (jv_bool(*reply, "already_running", false))
            printf("Already running on %s; following it.\n", f->serial);
        else
            show_plan(f->area, s, !o->auto_ramp, f->answers->side[0] ? place : NULL);
        /* Nobody at keys here: the go-ahead comes from elsewhere. */
        if (!f->keys && !o->auto_ramp && !jv_bool(*reply, "already_running", false))
            printf("After the trial it stays at level 1 until your go-ahead: knotctl go\n");
        if (f->keys)
            printf("%s\n", FOLLOW_LEGEND);
    }
    return rc;
}

/* The start request, every choice said rather than left to knotd's
 * defaults: the go-ahead (unless --auto-ramp), whose the session is, and
 * whether the muscle is warm. */
static json_object *follow_request(const struct knotctl_opts *o, const struct follow_step *step,
                                   const struct follow_answers *a)
{
    json_object *req = conn_request_new("start", o->device);

    json_object_object_add(req, KNOT_K_AREA, json_object_new_string(step->area));
    if (a->side[0])
        json_object_object_add(req, KNOT_K_SIDE, json_object_new_string(a->side));
    if (step->level > 0)
        json_object_object_add(req, KNOT_K_LEVEL, json_object_new_int64(step->level));
    if (step->session_s > 0)
        json_object_object_add(req, KNOT_K_SESSION_S, json_object_new_int64(step->session_s));
    json_object_object_add(req, KNOT_K_ASK, json_object_new_boolean(!o->auto_ramp));
    /* A followed session is this connection's: however knotctl ends
     * (killed, its terminal or ssh link gone), knotd stops the motor. */
    json_object_object_add(req, o->detach ? KNOT_K_DETACH : KNOT_K_FOLLOW, json_object_new_boolean(1));
    if (a->warm)
        json_object_object_add(req, KNOT_K_WARMED_UP, json_object_new_boolean(1));
    return req;
}

/* A fresh view of one try. */
static void follow_init(struct follow *f, const struct knotctl_opts *o, const struct follow_step *step,
                        struct follow_result *res, struct follow_answers *a)
{
    memset(f, 0, sizeof(*f));
    f->o = o;
    f->step = step;
    f->res = res;
    f->answers = a;
    f->area_name = step->area;
    f->level = f->target = -1;
}

/* Subscribe, start (asking what knotd asks: the warm-up, which side), follow to the end. */
static int follow_run(const struct knotctl_opts *o, const struct follow_step *step, struct follow_result *res,
                      struct follow_answers *a)
{
    struct follow f;
    struct conn w;
    json_object *reply = NULL, *s;
    int rc = FOLLOW_AGAIN;

    sig_install();
    for (int tries = 0; rc == FOLLOW_AGAIN && tries < FOLLOW_TRIES; tries++) {
        if (tries) {
            /* Answered: a new watch and a new start, saying so. */
            conn_close(&w);
            json_object_put(reply);
            reply = NULL;
        }
        follow_init(&f, o, step, res, a);
        f.w = &w;
        /* Someone at this terminal can steer with keys and answer after the
         * trial; a pipe, a log or --json cannot: the go-ahead then comes from
         * `knotctl go` elsewhere. */
        f.keys = !o->json && term_tty() && term_keys_on();
        rc = follow_begin(&f, &w, follow_request(o, step, a), &reply);
    }
    if (rc == FOLLOW_AGAIN)
        rc = KNOTCTL_EXIT_PROTOCOL;   /* cannot be: each question is answered once */
    s = jv_obj(reply, "session");
    if (rc == FOLLOW_LEFT) {
        res->left = true;
        rc = KNOTCTL_EXIT_OK;         /* said already: nothing started, nothing to follow */
    } else if (rc == 0 && strcmp(jv_str(s, "phase", ""), KNOT_PHASE_ENDED) == 0) {
        rc = follow_end(&f, jv_str(s, "end", ""), s);
    } else if (rc == 0) {
        /* It runs (knotd answers a start once the massager does); a session
         * already running is the view's that started it, and its invite. A
         * routine invites once, for all its steps. */
        f.invite = !o->json && !step->in_routine && !jv_bool(reply, "already_running", false);
        res->ran = true;
        rc = sig_interrupted() ? follow_signalled(&f) : follow_loop(&f, &w);
    }
    snprintf(res->side, sizeof(res->side), "%s", a->side);
    /* Every way out comes through here: the terminal is put back before knotctl exits. */
    term_keys_off();
    conn_close(&w);
    json_object_put(reply);   /* f.area points into it */
    return rc;
}

int follow_start(const struct knotctl_opts *o, const struct follow_step *step, struct follow_result *res)
{
    struct follow_result own;
    struct follow_answers a = { .warm = o->warmed_up };
    struct follow f;
    int rc = FOLLOW_AGAIN;

    if (!res)
        res = &own;
    memset(res, 0, sizeof(*res));
    if (step->side)
        snprintf(a.side, sizeof(a.side), "%s", step->side);
    if (!o->detach)
        return follow_run(o, step, res, &a);
    for (int tries = 0; rc == FOLLOW_AGAIN && tries < FOLLOW_TRIES; tries++) {
        follow_init(&f, o, step, res, &a);
        rc = follow_detached(&f, follow_request(o, step, &a));
    }
    if (rc == FOLLOW_LEFT) {
        res->left = true;
        return KNOTCTL_EXIT_OK;
    }
    return rc == FOLLOW_AGAIN ? KNOTCTL_EXIT_PROTOCOL : rc;
}
