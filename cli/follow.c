/* follow.c - `knotctl start`: subscribe, then start on the same connection (the session is its), then show the session until it ends; Ctrl-C stops it. */
#include "follow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "jv.h"
#include "knot/control.h"
#include "show.h"
#include "sig.h"
#include "term.h"

struct follow {
    const struct knotctl_opts *o;
    char serial[64];
    json_object *area;        /* from the start reply */
    char faults[128];         /* from the last status event, for a "fault" end */
    char phase[16];           /* last phase, level and target printed (not a TTY) */
    long long level, target;
};

static void follow_aftercare(struct follow *f, json_object *session)
{
    const char *care = jv_str(session, "aftercare", "");

    if (!care[0])
        care = jv_str(f->area, "aftercare", "");
    if (care[0])
        printf("After-care: %s\n", care);
}

/* Ctrl-C, a kill or a hang-up: the motor goes off before anything else.
 * A fresh connection: the one that sent start was closed, and knotd might have
 * dropped an idle one anyway. */
static int follow_stop(struct follow *f)
{
    struct conn c;
    json_object *reply = NULL;
    char *raw = NULL;
    int rc;

    term_clear();
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
    }
    json_object_put(reply);
    free(raw);
    return rc ? rc : KNOTCTL_EXIT_SIGNAL(sig_caught() ? sig_caught() : SIGINT);
}

static int follow_end(struct follow *f, const char *end, json_object *session)
{
    char why[256];

    term_clear();
    if (!f->o->json) {
        printf("%s\n", show_end(end, f->faults, why, sizeof(why)));
        follow_aftercare(f, session);
    }
    return strcmp(end, "done") == 0 || strcmp(end, "stopped") == 0 ? 0 : KNOTCTL_EXIT_REFUSED;
}

static void follow_status(struct follow *f, json_object *st)
{
    json_object *s = jv_obj(st, "session");
    const char *phase = jv_str(s, "phase", "");
    long long level = jv_int(s, "level", jv_int(st, "level", 0)), target = jv_int(s, "target", 0);
    char line[256];

    jv_join(jv_arr(st, "faults"), ", ", f->faults, sizeof(f->faults));
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
    bool is_status = strcmp(name, "status") == 0;
    const char *serial = is_status ? jv_str(jv_obj(ev, "device"), "serial", "") : jv_str(ev, "serial", "");

    if (strcmp(serial, f->serial) != 0)
        return -1;
    if (f->o->json)
        printf("%s\n", line);
    if (is_status) {
        follow_status(f, jv_obj(ev, "device"));
    } else if (strcmp(name, "warning") == 0) {
        if (!f->o->json)
            term_line("%s", jv_str(ev, KNOT_K_MESSAGE, "warning"));
    } else if (strcmp(name, "session") == 0 && strcmp(jv_str(ev, "action", ""), "ended") == 0) {
        json_object *s = jv_obj(ev, "session");
        json_object *faults = jv_arr(s, "faults");
        if (faults)
            jv_join(faults, ", ", f->faults, sizeof(f->faults));
        return follow_end(f, jv_str(s, "end", ""), s);
    } else if (strcmp(name, "device") == 0 && strcmp(jv_str(ev, "action", ""), "removed") == 0) {
        /* knotd ends the session first; this only guards against never hearing it. */
        return follow_end(f, "unplugged", NULL);
    }
    return -1;
}

static int follow_loop(struct follow *f, struct conn *w)
{
    for (;;) {
        json_object *ev;
        char *line;
        int rc = conn_read_line(w, NULL, true, &line);

        if (rc == -EINTR)
            return follow_stop(f);
        if (rc <= 0) {
            term_clear();
            return conn_read_fail(w, rc);
        }
        ev = conn_parse(line);
        if (!ev) {
            term_clear();
            fprintf(stderr, "knotctl: knotd sent a line that is not a JSON object: %.80s\n", line);
            return KNOTCTL_EXIT_PROTOCOL;
        }
        if (json_object_object_get_ex(ev, KNOT_K_EVENT, NULL))
            rc = follow_event(f, ev, line);
        else
            rc = -1;   /* no reply is expected on the watch connection */
        json_object_put(ev);
        if (rc >= 0)
            return rc;
    }
}

/* --detach: start, say where it runs, return. */
static int follow_detached(const struct knotctl_opts *o, json_object *req)
{
    json_object *reply;
    int rc = conn_call(o->socket, o->json, req, &reply);

    if (rc == 0 && !o->json) {
        show_advice(jv_obj(reply, "area"));
        /* knotd answers a start of the area that already runs with that session. */
        printf("%s on %s; follow with 'knotctl watch'\n",
               jv_bool(reply, "already_running", false) ? "already running" : "started", jv_str(reply, KNOT_K_DEVICE, "?"));
    }
    json_object_put(reply);
    return rc;
}

int follow_start(const struct knotctl_opts *o, const char *area, long long level)
{
    struct follow f;
    struct conn w;
    json_object *req = conn_request_new("start", o->device), *reply = NULL;
    char *raw = NULL;
    int rc;

    json_object_object_add(req, KNOT_K_AREA, json_object_new_string(area));
    if (level > 0)
        json_object_object_add(req, KNOT_K_LEVEL, json_object_new_int64(level));
    if (o->detach)
        return follow_detached(o, req);
    /* The session is this connection's: however knotctl ends (killed, its
     * terminal or ssh link gone), knotd stops the motor when it closes. */
    json_object_object_add(req, KNOT_K_FOLLOW, json_object_new_boolean(1));

    memset(&f, 0, sizeof(f));
    f.o = o;
    f.level = f.target = -1;
    sig_install();

    /* Subscribe before starting, so nothing after the start's reply is missed
     * (what comes before it on this connection is the start's own news: the
     * reply says the same). */
    rc = conn_open(&w, o->socket);
    if (rc == 0)
        rc = conn_request(&w, conn_request_new("watch", NULL), &reply, NULL);
    if (rc == 0)
        rc = conn_check(reply, false);
    json_object_put(reply);
    reply = NULL;
    if (rc == 0 && sig_interrupted())
        rc = KNOTCTL_EXIT_SIGNAL(sig_caught());   /* nothing started yet: nothing to stop */
    if (rc) {
        json_object_put(req);
        conn_close(&w);
        return rc;
    }

    rc = conn_request(&w, req, &reply, &raw);
    if (rc == 0) {
        if (o->json)
            printf("%s\n", raw);
        rc = conn_check(reply, o->json);
    }
    if (rc == 0) {
        snprintf(f.serial, sizeof(f.serial), "%s", jv_str(reply, KNOT_K_DEVICE, o->device ? o->device : ""));
        f.area = jv_obj(reply, KNOT_K_AREA);
        if (!f.serial[0]) {
            fprintf(stderr, "knotctl: knotd's start reply names no device\n");
            rc = KNOTCTL_EXIT_PROTOCOL;
        }
    }
    if (rc == 0 && !o->json) {
        show_advice(f.area);
        if (jv_bool(reply, "already_running", false))
            printf("Already running on %s; following it.\n", f.serial);
        else
            show_plan(f.area, jv_obj(reply, "session"), false);
    }
    if (rc == 0 && strcmp(jv_str(jv_obj(reply, "session"), "phase", ""), "ended") == 0)
        rc = follow_end(&f, jv_str(jv_obj(reply, "session"), "end", ""), jv_obj(reply, "session"));
    else if (rc == 0)
        rc = sig_interrupted() ? follow_stop(&f) : follow_loop(&f, &w);
    conn_close(&w);
    json_object_put(reply);   /* f.area points into it */
    free(raw);
    return rc;
}
