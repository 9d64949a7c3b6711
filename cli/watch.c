/* SPDX-License-Identifier: MIT */
/* watch.c - `knotctl watch`: a live status line per massager on a TTY, one line per event in a pipe or log. */
#include "watch.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "conn.h"
#include "fail.h"
#include "jv.h"
#include "knot/control.h"
#include "show.h"
#include "side.h"
#include "sig.h"
#include "term.h"

#define WATCH_MAX_DEVICES 16

struct watch {
    const struct knotctl_opts *o;
    struct {
        char serial[64];
        json_object *status;   /* last status object (a reference we hold) */
    } dev[WATCH_MAX_DEVICES];
    size_t n;
};

/* Lines in a log need a time; "HH:MM:SS" of the local clock. */
static const char *watch_stamp(char *buf, size_t len)
{
    time_t t = time(NULL);
    struct tm tm;

    if (!localtime_r(&t, &tm) || strftime(buf, len, "%H:%M:%S", &tm) == 0)
        snprintf(buf, len, "--:--:--");
    return buf;
}

static void watch_redraw(struct watch *w)
{
    char line[512], part[256];
    size_t used = 0;

    if (w->n == 0) {
        term_status("no massager connected; waiting (Ctrl-C to quit)");
        return;
    }
    line[0] = '\0';
    for (size_t i = 0; i < w->n && used < sizeof(line); i++) {
        int n;
        /* The bar only fits when there is one massager to show. */
        show_progress(part, sizeof(part), w->dev[i].status, w->n == 1 ? SHOW_BAR : SHOW_SHORT);
        n = snprintf(line + used, sizeof(line) - used, "%s%s: %s", i ? "  |  " : "", w->dev[i].serial, part);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    term_status(line);
}

static void watch_set(struct watch *w, const char *serial, json_object *status)
{
    size_t i;

    for (i = 0; i < w->n; i++)
        if (strcmp(w->dev[i].serial, serial) == 0)
            break;
    if (i == w->n) {
        if (w->n == WATCH_MAX_DEVICES)
            return;
        w->n++;
        snprintf(w->dev[i].serial, sizeof(w->dev[i].serial), "%s", serial);
        w->dev[i].status = NULL;
    }
    json_object_put(w->dev[i].status);
    w->dev[i].status = json_object_get(status);
}

static void watch_drop(struct watch *w, const char *serial)
{
    for (size_t i = 0; i < w->n; i++) {
        if (strcmp(w->dev[i].serial, serial) != 0)
            continue;
        json_object_put(w->dev[i].status);
        memmove(&w->dev[i], &w->dev[i + 1], (w->n - i - 1) * sizeof(w->dev[0]));
        w->n--;
        return;
    }
}

static void watch_status_line(json_object *st, const char *stamp, const char *serial)
{
    char text[256], faults[128];

    show_progress(text, sizeof(text), st, SHOW_LOG);
    jv_join(jv_arr(st, "faults"), ", ", faults, sizeof(faults));
    if (!jv_bool(st, "connected", true)) {
        term_line("%s %s: %s", stamp, serial, text);
        return;
    }
    term_line("%s %s: %s, %.1f C, battery %lld %%%s%s", stamp, serial, text, jv_num(st, "temp_c", 0),
              jv_int(st, "battery", 0), faults[0] ? ", faults: " : "", faults);
}

static void watch_event(struct watch *w, json_object *ev, const char *line)
{
    const char *name = jv_str(ev, KNOT_K_EVENT, "");
    const char *action = jv_str(ev, "action", "");
    json_object *st = jv_obj(ev, "device");
    bool is_status = strcmp(name, KNOT_EV_STATUS) == 0;
    const char *serial = is_status ? jv_str(st, "serial", "?") : jv_str(ev, "serial", "?");
    char stamp[16], why[256];

    if (w->o->device && strcmp(serial, w->o->device) != 0)
        return;
    if (w->o->json) {
        printf("%s\n", line);
        return;
    }
    watch_stamp(stamp, sizeof(stamp));
    if (is_status) {
        if (!term_tty()) {
            watch_status_line(st, stamp, serial);
            return;
        }
        watch_set(w, serial, st);
    } else if (strcmp(name, KNOT_EV_DEVICE) == 0) {
        term_line("%s %s: massager %s", stamp, serial, strcmp(action, KNOT_ACT_ADDED) == 0 ? "connected" :
                  strcmp(action, KNOT_ACT_REMOVED) == 0 ? "removed" : action);
        if (strcmp(action, KNOT_ACT_REMOVED) == 0)
            watch_drop(w, serial);
    } else if (strcmp(name, KNOT_EV_SESSION) == 0) {
        json_object *s = jv_obj(ev, "session");
        char title[96];

        /* "Calves (left)": which of the pair. */
        side_label(title, sizeof(title), jv_str(s, "title", jv_str(s, "area", "?")), jv_str(s, KNOT_K_SIDE, NULL));
        if (strcmp(action, KNOT_ACT_STARTED) == 0)
            term_line("%s %s: session started: %s, level %lld, target %lld (max %lld)", stamp, serial, title,
                      jv_int(s, "level", 0), jv_int(s, "target", 0), jv_int(s, "max_level", 0));
        else if (strcmp(action, KNOT_ACT_ENDED) == 0) {
            term_line("%s %s: session ended: %s, %s", stamp, serial, title,
                      show_end(jv_str(s, "end", ""), NULL, why, sizeof(why)));
            /* After pain: what the person should do now; after any other end, the stretch. */
            if (jv_str(s, KNOT_K_ADVICE, "")[0])
                term_line("%s %s: %s", stamp, serial, jv_str(s, KNOT_K_ADVICE, ""));
            else if (jv_str(s, "aftercare", "")[0])
                term_line("%s %s: after-care: %s", stamp, serial, jv_str(s, "aftercare", ""));
        } else
            return;
    } else if (strcmp(name, KNOT_EV_WARNING) == 0) {
        term_line("%s %s: warning: %s", stamp, serial, jv_str(ev, KNOT_K_MESSAGE, ""));
        return;
    } else {
        return;   /* an event this knotctl does not know: ignore, as the protocol asks */
    }
    if (term_tty())
        watch_redraw(w);
}

/* On a TTY, seed the status line with the state right now; later changes come as events. */
static int watch_seed(struct watch *w, struct conn *c)
{
    json_object *reply = NULL, *devs;
    int rc = conn_request(c, conn_request_new("status", NULL), &reply, NULL);

    if (rc == 0)
        rc = conn_check(reply, false);
    devs = rc == 0 ? jv_arr(reply, "devices") : NULL;
    for (size_t i = 0; devs && i < json_object_array_length(devs); i++) {
        json_object *st = json_object_array_get_idx(devs, i);
        const char *serial = jv_str(st, "serial", "?");
        if (!w->o->device || strcmp(serial, w->o->device) == 0)
            watch_set(w, serial, st);
    }
    json_object_put(reply);
    return rc;
}

int watch_run(const struct knotctl_opts *o)
{
    struct watch w;
    struct conn c;
    json_object *reply = NULL;
    int rc;

    memset(&w, 0, sizeof(w));
    w.o = o;
    sig_install();
    rc = conn_open(&c, o->socket);
    if (rc)
        return rc;
    if (term_tty() && !o->json)
        rc = watch_seed(&w, &c);
    if (rc == 0)
        rc = conn_request(&c, conn_request_new("watch", NULL), &reply, NULL);
    if (rc == 0)
        rc = conn_check(reply, false);
    json_object_put(reply);
    if (rc == 0 && term_tty() && !o->json)
        watch_redraw(&w);
    while (rc == 0) {
        char *line;
        json_object *ev;
        int r = conn_read_line(&c, NULL, true, &line);

        if (r == -EINTR) {
            /* Ctrl-C is how a watch ends: exit 0; a kill or a hang-up is not */
            if (sig_caught() != SIGINT)
                rc = KNOTCTL_EXIT_SIGNAL(sig_caught());
            break;
        }
        if (r <= 0) {
            term_clear();
            rc = conn_read_fail(&c, r);
            break;
        }
        ev = conn_parse(line);
        if (!ev) {
            term_clear();
            fail(FAIL_PROTOCOL, "knotd sent a line that is not a JSON object: %.80s", line);
            rc = KNOTCTL_EXIT_PROTOCOL;
            break;
        }
        if (json_object_object_get_ex(ev, KNOT_K_EVENT, NULL))
            watch_event(&w, ev, line);
        json_object_put(ev);
    }
    term_clear();
    for (size_t i = 0; i < w.n; i++)
        json_object_put(w.dev[i].status);
    conn_close(&c);
    return rc;
}
