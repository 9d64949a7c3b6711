/* SPDX-License-Identifier: MIT */
/* checkin.c - `knotctl checkin AREA`: how an area feels (pain, red flags, a note) on the care record, and clearing its red flags knowingly, confirmed on a terminal. */
#include "checkin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include "areas.h"
#include "args.h"
#include "ask.h"
#include "conn.h"
#include "fail.h"
#include "jv.h"
#include "knot/control.h"
#include "show.h"
#include "side.h"
#include "term.h"
#include "words.h"

#define CHECKIN_FLAG_OPTIONS "--numbness, --tingling, --weakness, --swelling, --bruising, --sleep"

/* What the command line asks for makes sense before anything is sent: 0, or the usage exit code, said. */
static int checkin_usage(const struct knotctl_opts *o, const char *area, long long *pain)
{
    char why[128];

    if (!area[0]) {
        fail(FAIL_USAGE, "AREA must not be empty; 'knotctl areas' lists them");
        return KNOTCTL_EXIT_USAGE;
    }
    if (o->yes && !o->clear) {
        fail(FAIL_USAGE, "--yes goes with --clear only (it confirms clearing the red flags)");
        return KNOTCTL_EXIT_USAGE;
    }
    if (o->clear && (o->pain || o->flags || o->note)) {
        fail(FAIL_USAGE, "--clear is a check-in of its own: no --pain, red flag or --note with it");
        return KNOTCTL_EXIT_USAGE;
    }
    if (!o->clear && !o->pain && !o->flags) {
        fail(FAIL_USAGE, "checkin needs --pain 0-10 or a red flag (%s), or --clear; "
                "e.g. 'knotctl checkin %s --pain 4'", CHECKIN_FLAG_OPTIONS, area);
        return KNOTCTL_EXIT_USAGE;
    }
    *pain = -1;
    if (o->pain && !args_whole(o->pain, 0, KNOT_PAIN_MAX, pain)) {
        fail(FAIL_USAGE, "--pain must be a whole number from 0 (none) to %d (the worst), not '%s'",
                KNOT_PAIN_MAX, o->pain);
        return KNOTCTL_EXIT_USAGE;
    }
    if (o->note && !args_note(o->note, KNOT_NOTE_MAX, why, sizeof(why))) {
        fail(FAIL_USAGE, "--note %s", why);
        return KNOTCTL_EXIT_USAGE;
    }
    /* Without a terminal nobody can be asked: a script says --yes itself. */
    if (o->clear && !o->yes && !(isatty(STDIN_FILENO) && term_tty())) {
        fail(FAIL_USAGE, "checkin --clear asks for a confirmation on a terminal; without one, add --yes "
                "once you have seen a professional or are sure");
        return KNOTCTL_EXIT_USAGE;
    }
    return 0;
}

/* The red flags of a care array, as a sentence says them ("" when none). */
static void checkin_flag_words(json_object *care, char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; care && i < json_object_array_length(care); i++) {
        json_object *flags = jv_arr(json_object_array_get_idx(care, i), "red_flags");

        for (size_t k = 0; flags && k < json_object_array_length(flags) && used < len; k++) {
            const char *name = json_object_get_string(json_object_array_get_idx(flags, k));
            int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", words_flag(name ? name : "?"));

            if (w < 0)
                break;
            used += (size_t)w;
        }
    }
}

/* Whether a care array holds a pain stop (an area closed for today). */
static bool checkin_pain_stop(json_object *care)
{
    for (size_t i = 0; care && i < json_object_array_length(care); i++)
        if (jv_bool(json_object_array_get_idx(care, i), "pain_stop", false))
            return true;
    return false;
}

/* One line typed after the question: yes only for y or yes. Type-ahead
 * does not answer it: the answer comes after the question is read. */
static bool checkin_confirmed(const char *title, const char *flags)
{
    char *line = NULL, *p;
    size_t cap = 0;
    bool yes = false;

    tcflush(STDIN_FILENO, TCIFLUSH);
    if (flags[0])
        printf("Clear the red flags of your %s (%s)? You have seen a professional, or you are sure [y/N] ", title,
               flags);
    else
        printf("Lift today's stop on your %s (it still hurt at the lowest level)? Only if you are sure it was "
               "not an injury [y/N] ", title);
    fflush(stdout);
    if (getline(&line, &cap, stdin) < 0) {
        putchar('\n');   /* Ctrl-D: the shell's prompt on a line of its own */
    } else {
        for (p = line; *p == ' ' || *p == '\t'; p++)
            ;
        p[strcspn(p, " \t\r\n")] = '\0';
        yes = strcasecmp(p, "y") == 0 || strcasecmp(p, "yes") == 0;
    }
    free(line);
    return yes;
}

/* --clear: which red flags there are first (history of today for the area:
 * its care), then the question, then the clear. */
static int checkin_clear(const struct knotctl_opts *o, const char *area, const char *side, const char *title,
                         json_object *req)
{
    json_object *ask = conn_request_new("history", NULL), *seen = NULL, *reply = NULL;
    char flags[256];
    bool stopped;
    int rc;

    json_object_object_add(ask, KNOT_K_AREA, json_object_new_string(area));
    if (side)
        json_object_object_add(ask, KNOT_K_SIDE, json_object_new_string(side));
    json_object_object_add(ask, "days", json_object_new_int(1));
    rc = conn_call(o->socket, false, ask, &seen);
    if (rc) {
        json_object_put(req);
        return rc;
    }
    checkin_flag_words(jv_arr(seen, KNOT_K_CARE), flags, sizeof(flags));
    stopped = checkin_pain_stop(jv_arr(seen, KNOT_K_CARE));
    json_object_put(seen);
    if (!flags[0] && !stopped) {
        /* Nothing to clear: nothing recorded (with --json, stdout stays knotd's lines only). */
        fprintf(o->json ? stderr : stdout, "No red flags and no stop for today on your %s: nothing to clear.\n", title);
        json_object_put(req);
        return 0;
    }
    if (!o->yes && !checkin_confirmed(title, flags)) {
        printf("Not cleared: the massager stays off your %s.\n", title);
        json_object_put(req);
        return KNOTCTL_EXIT_REFUSED;
    }
    rc = conn_call(o->socket, o->json, req, &reply);
    if (rc == 0 && !o->json && flags[0]) {
        printf("Cleared the red flags of your %s: the massager may go there again. If the signs come back, "
               "stop and check in again.\n", title);
        show_care(jv_obj(reply, KNOT_K_CARE));
    } else if (rc == 0 && !o->json) {
        printf("Lifted today's stop on your %s: the massager may go there again. Back off at once if it "
               "hurts.\n", title);
        show_care(jv_obj(reply, KNOT_K_CARE));
    }
    json_object_put(reply);
    return rc;
}

/* "Checked in for your calves: pain 6 of 10; red flag: tingling." The note
 * comes last, as typed: "...; note: after the run". */
static void checkin_said(const struct knotctl_opts *o, const char *title, long long pain)
{
    char flags[256] = "";
    size_t used = 0;
    int parts = 0;

    for (int i = 0; i < WORDS_FLAGS && used < sizeof(flags); i++) {
        int w;

        if (!(o->flags & (1u << i)))
            continue;
        w = snprintf(flags + used, sizeof(flags) - used, "%s%s", used ? ", " : "", words_flag(words_flag_names[i]));
        if (w < 0)
            break;
        used += (size_t)w;
    }
    printf("Checked in for your %s:", title);
    if (pain >= 0)
        printf("%s pain %lld of %d", parts++ ? ";" : "", pain, KNOT_PAIN_MAX);
    if (flags[0])
        printf("%s red flag%s: %s", parts++ ? ";" : "", strchr(flags, ',') ? "s" : "", flags);
    if (o->note)
        printf("%s note: %s\n", parts++ ? ";" : "", o->note);
    else
        printf(".\n");
}

/* An area with two sides and none said: asked on a terminal, else the
 * choices and the usage status. 0 with *side, or the exit code (0 too when
 * the person left the question: nothing recorded). */
static int checkin_side(const struct knotctl_opts *o, json_object *a, const char *area, const char **side)
{
    char one[64], title[64];
    int rc;

    if (!ask_can(o)) {
        side_one(one, sizeof(one), a);
        side_place(title, sizeof(title), a, NULL);
        fail(KNOT_E_SIDE, "which side of your %s, left or right? Say which: 'knotctl checkin left %s ...' or "
             "'knotctl checkin %s --side left ...'", title, one[0] ? one : area, area);
        return KNOTCTL_EXIT_USAGE;
    }
    rc = ask_side(a, area, side);
    if (rc == ASK_NO)
        printf("Nothing recorded.\n");
    return rc == ASK_NO ? KNOTCTL_EXIT_OK : rc;
}

int checkin_run(const struct knotctl_opts *o, const char *area)
{
    json_object *req, *reply = NULL, *flags, *areas, *a;
    const char *side = o->side;
    char title[96];
    long long pain;
    int rc = checkin_usage(o, area, &pain);

    if (rc)
        return rc;
    /* The area's title, and whether it has sides, from knotd's list: best
     * effort, knotd itself refuses what does not do. */
    areas = conn_fetch(o->socket, conn_request_new("areas", NULL));
    a = areas_find(areas, area);
    if (a && side_has(a) && !side && (rc = checkin_side(o, a, area, &side)) != 0) {
        json_object_put(areas);
        return rc;
    }
    if (a && side_has(a) && !side) {
        json_object_put(areas);
        return KNOTCTL_EXIT_OK;   /* left the question */
    }
    if (a)
        side_place(title, sizeof(title), a, side);
    else
        words_lower(title, sizeof(title), area);
    json_object_put(areas);
    req = conn_request_new("checkin", NULL);
    json_object_object_add(req, KNOT_K_AREA, json_object_new_string(area));
    if (side)
        json_object_object_add(req, KNOT_K_SIDE, json_object_new_string(side));
    if (o->clear) {
        json_object_object_add(req, "clear", json_object_new_boolean(1));
        return checkin_clear(o, area, side, title, req);
    }
    if (pain >= 0)
        json_object_object_add(req, "pain", json_object_new_int((int)pain));
    flags = json_object_new_array();
    for (int i = 0; i < WORDS_FLAGS; i++)
        if (o->flags & (1u << i))
            json_object_array_add(flags, json_object_new_string(words_flag_names[i]));
    json_object_object_add(req, "flags", flags);
    if (o->note)
        json_object_object_add(req, "note", json_object_new_string(o->note));
    rc = conn_call(o->socket, o->json, req, &reply);
    if (rc == 0 && !o->json) {
        json_object *stopped = jv_arr(reply, "stopped");

        checkin_said(o, title, pain);
        /* The red flag stopped the session running on the area: said first. */
        for (size_t i = 0; stopped && i < json_object_array_length(stopped); i++)
            printf("Stopped the session on %s.\n", json_object_get_string(json_object_array_get_idx(stopped, i)));
        /* A red flag: whom to see and how to clear it; or the therapist rule, with its numbers. */
        show_care(jv_obj(reply, KNOT_K_CARE));
    }
    json_object_put(reply);
    return rc;
}
