/* SPDX-License-Identifier: MIT */
/* view.c - builds the JSON objects of the control protocol from daemon state (no I/O). */
#include "view.h"

#include <stdarg.h>
#include <stdio.h>

#include "advice.h"
#include "knot/control.h"

static void view_add(json_object *o, const char *k, json_object *v)
{
    json_object_object_add(o, k, v);
}

/* A measure in tenths, printed as people write it (25.9, -0.5, 20.0): json-c
 * prints a double with 17 digits, 25.899999999999999. */
static json_object *view_tenths(long tenths)
{
    unsigned long mag = tenths < 0 ? 0ul - (unsigned long)tenths : (unsigned long)tenths;
    char buf[32];

    snprintf(buf, sizeof(buf), "%s%lu.%lu", tenths < 0 ? "-" : "", mag / 10, mag % 10);
    return json_object_new_double_s((double)tenths / 10.0, buf);
}

static json_object *view_version(unsigned major, unsigned minor)
{
    char buf[16];
    snprintf(buf, sizeof(buf), "%u.%u", major, minor);
    return json_object_new_string(buf);
}

json_object *view_device(const struct massager *m)
{
    json_object *o = json_object_new_object();
    json_object *ppm = json_object_new_array();

    const struct drive_info *in = &m->drv.info;

    for (unsigned i = 0; i < in->levels; i++)
        json_object_array_add(ppm, json_object_new_int((int)in->ppm[i]));
    view_add(o, "serial", json_object_new_string(m->serial));
    view_add(o, "levels", json_object_new_int((int)in->levels));
    view_add(o, "ppm", ppm);
    view_add(o, "watchdog_ms", json_object_new_int((int)in->watchdog_ms));
    view_add(o, "firmware", view_version(in->fw >> 8, in->fw & 0xff));
    view_add(o, "protocol", view_version(in->proto_major, in->proto_minor));
    return o;
}

json_object *view_status(const struct massager *m, uint64_t now_ms)
{
    json_object *o = view_device(m);
    json_object *faults = json_object_new_array();
    const struct drive_status *st = &m->drv.st;

    for (size_t i = 0; i < KNOT_FAULT_NAMES; i++)
        if (st->faults & knot_fault_names[i].bit)
            json_object_array_add(faults, json_object_new_string(knot_fault_names[i].name));
    view_add(o, "connected", json_object_new_boolean(!m->gone));
    /* the level as knotd knows it: acknowledged since the last poll, or polled */
    view_add(o, "level", json_object_new_int(drive_level(&m->drv) >= 0 ? drive_level(&m->drv) : (int)st->level));
    view_add(o, "ppm_now", json_object_new_int((int)st->ppm));
    view_add(o, "current_ma", json_object_new_int((int)st->current_ma));
    view_add(o, "temp_c", view_tenths(st->temp_dc));
    view_add(o, "battery", json_object_new_int((int)st->battery));
    view_add(o, "force_n", view_tenths((long)st->force_dn));
    view_add(o, "faults", faults);
    if (st->faults) {
        struct advice_readings r = { st->faults, st->temp_dc, st->battery, st->force_dn };
        char remedy[256];

        advice_fault(&r, remedy, sizeof(remedy));
        view_add(o, "fault_advice", json_object_new_string(remedy));
    }
    /* Idle, knotd reads the massager only while someone asks: the readings
     * are as old as this says (a status asks for a look: drive_watch). */
    view_add(o, "read_ago_s", json_object_new_int64(m->drv.st_valid && now_ms >= m->drv.st_done_ms
                                                        ? (int64_t)((now_ms - m->drv.st_done_ms) / 1000u)
                                                        : -1));
    /* Its last request failed (a hung massager): said as such, not as "not read yet". */
    view_add(o, "answering", json_object_new_boolean(m->drv.fails == 0));
    view_add(o, "read_ago_ms", json_object_new_int64(m->drv.st_valid && now_ms >= m->drv.st_done_ms
                                                         ? (int64_t)(now_ms - m->drv.st_done_ms)
                                                         : -1));
    view_add(o, "session", view_session(&m->sess, m->side, now_ms));
    return o;
}

json_object *view_session(const struct session *s, enum profile_side side, uint64_t now_ms)
{
    json_object *o;
    uint64_t end = s->phase == SESSION_ENDED ? s->end_ms : now_ms;

    if (s->phase == SESSION_IDLE)
        return NULL;
    o = json_object_new_object();
    view_add(o, "area", json_object_new_string(s->area.name));
    view_add(o, "title", json_object_new_string(s->area.title));
    view_add(o, KNOT_K_SIDE, profile_side_name(side) ? json_object_new_string(profile_side_name(side)) : NULL);
    view_add(o, "phase", json_object_new_string(session_phase_name(s->phase)));
    view_add(o, "level", json_object_new_int((int)session_level(s)));
    view_add(o, "target", json_object_new_int((int)s->target));
    view_add(o, "max_level", json_object_new_int((int)s->max_level));
    view_add(o, "elapsed_s", json_object_new_int((int)((end - s->start_ms) / 1000)));
    view_add(o, "left_s", json_object_new_int((int)session_left_s(s, now_ms)));
    view_add(o, "trial_left_s", json_object_new_int((int)session_trial_left_s(s, now_ms)));
    view_add(o, "session_s", json_object_new_int((int)s->area.session_s));
    view_add(o, "trial_s", json_object_new_int((int)s->area.trial_s));
    view_add(o, "step_s", json_object_new_int((int)s->area.step_s));
    view_add(o, "ouches", json_object_new_int((int)s->ouches));
    view_add(o, "force_warning", json_object_new_boolean(s->force_warning));
    view_add(o, "end", json_object_new_string(session_end_name(s->end)));
    view_add(o, "aftercare", json_object_new_string(s->area.aftercare));
    view_add(o, KNOT_K_ADVICE, json_object_new_string(session_end_advice(s->end)));
    return o;
}

/* ["left", "right"] for an area with sides, [] for one without. */
json_object *view_sides(const struct profile_area *a)
{
    json_object *arr = json_object_new_array();

    for (unsigned side = PROFILE_SIDE_LEFT; a->sides && side <= PROFILE_SIDE_RIGHT; side++)
        json_object_array_add(arr, json_object_new_string(profile_side_name((enum profile_side)side)));
    return arr;
}

json_object *view_area(const struct profile_area *a)
{
    json_object *o = json_object_new_object();
    json_object *aliases = json_object_new_array();

    for (unsigned i = 0; i < a->n_aliases; i++)
        json_object_array_add(aliases, json_object_new_string(a->aliases[i]));
    view_add(o, "name", json_object_new_string(a->name));
    view_add(o, "aliases", aliases);
    view_add(o, "title", json_object_new_string(a->title));
    view_add(o, "tool", json_object_new_string(a->tool));
    view_add(o, "action", json_object_new_string(a->action));
    view_add(o, "gun", json_object_new_boolean(a->gun_allowed));
    view_add(o, "sides", view_sides(a));
    if (a->gun_allowed) {
        view_add(o, "start_level", json_object_new_int((int)a->start_level));
        view_add(o, "trial_s", json_object_new_int((int)a->trial_s));
        view_add(o, "default_level", json_object_new_int((int)a->default_level));
        view_add(o, "max_level", json_object_new_int((int)a->max_level));
        view_add(o, "step_s", json_object_new_int((int)a->step_s));
        view_add(o, "session_s", json_object_new_int((int)a->session_s));
        view_add(o, "cooldown_s", json_object_new_int((int)a->cooldown_s));
        view_add(o, "dose_min", json_object_new_int((int)a->dose_min));
        view_add(o, "force_max_n", view_tenths((long)a->force_max_dn));
        view_add(o, "with_gun", json_object_new_string(advice_with_gun));
    }
    view_add(o, "aftercare", json_object_new_string(a->aftercare));
    return o;
}

static json_object *view_event(const char *name)
{
    json_object *o = json_object_new_object();
    view_add(o, "event", json_object_new_string(name));
    return o;
}

json_object *view_device_event(const char *action, const struct massager *m)
{
    json_object *o = view_event(KNOT_EV_DEVICE);
    view_add(o, "action", json_object_new_string(action));
    view_add(o, "serial", json_object_new_string(m->serial));
    return o;
}

json_object *view_status_event(const struct massager *m, uint64_t now_ms)
{
    json_object *o = view_event(KNOT_EV_STATUS);
    view_add(o, "device", view_status(m, now_ms));
    return o;
}

json_object *view_session_event(const char *action, const struct massager *m, uint64_t now_ms)
{
    json_object *o = view_event(KNOT_EV_SESSION), *sess = view_session(&m->sess, m->side, now_ms);
    const struct drive_status *st = &m->drv.st;

    /* Ended by a fault: the fault's own words (too hot, and until when), where the person looks. */
    if (m->sess.end == SESSION_END_FAULT && st->faults) {
        struct advice_readings r = { st->faults, st->temp_dc, st->battery, st->force_dn };
        char remedy[256];

        advice_fault(&r, remedy, sizeof(remedy));
        json_object_object_add(sess, KNOT_K_ADVICE, json_object_new_string(remedy));
    }
    view_add(o, "action", json_object_new_string(action));
    view_add(o, "serial", json_object_new_string(m->serial));
    view_add(o, "session", sess);
    return o;
}

json_object *view_warning_event(const struct massager *m, const char *message)
{
    json_object *o = view_event(KNOT_EV_WARNING);
    view_add(o, "serial", json_object_new_string(m->serial));
    view_add(o, "message", json_object_new_string(message));
    return o;
}

/* Appends to buf at *used without ever overrunning it; a cut line stays a
 * string. */
static void view_cat(char *buf, size_t len, size_t *used, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void view_cat(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (*used >= len)
        return;
    va_start(ap, fmt);
    n = vsnprintf(buf + *used, len - *used, fmt, ap);
    va_end(ap);
    if (n > 0)
        *used = *used + (size_t)n < len ? *used + (size_t)n : len;
}

void view_status_line(const struct massager *first, uint64_t now_ms, char *buf, size_t len)
{
    unsigned n = 0, running = 0;
    size_t used = 0;

    if (len == 0)
        return;
    buf[0] = '\0';
    for (const struct massager *m = first; m; m = m->next)
        n++;
    if (n == 0) {
        view_cat(buf, len, &used, "no massager");
        return;
    }
    view_cat(buf, len, &used, "%u massager%s", n, n == 1 ? "" : "s");
    for (const struct massager *m = first; m; m = m->next) {
        unsigned left;

        if (!session_running(&m->sess))
            continue;
        left = session_left_s(&m->sess, now_ms);
        view_cat(buf, len, &used, "; %s on %s at level %u, %u:%02u left", m->sess.area.name, m->serial,
                 session_level(&m->sess), left / 60, left % 60);
        running++;
    }
    if (!running)
        view_cat(buf, len, &used, ", idle");
}
