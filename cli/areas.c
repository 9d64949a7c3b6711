/* SPDX-License-Identifier: MIT */
/* areas.c - `knotctl areas [AREA]`: the body areas as a table, one area's whole advice, and that advice in place of a refused start. */
#include "areas.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "conn.h"
#include "fail.h"
#include "jv.h"
#include "knot/control.h"
#include "show.h"
#include "side.h"
#include "term.h"
#include "words.h"

/* A name as knotd compares them (profiles.conf): case, '-', '_' and ' ' do not count. */
static void areas_key(char *buf, size_t len, const char *name)
{
    size_t n = 0;

    for (; *name && n + 1 < len; name++) {
        if (*name == '-' || *name == '_' || *name == ' ')
            continue;
        buf[n++] = *name >= 'A' && *name <= 'Z' ? (char)(*name - 'A' + 'a') : *name;
    }
    if (len)
        buf[n] = '\0';
}

static bool areas_is(json_object *area, const char *key)
{
    json_object *aliases = jv_arr(area, "aliases");
    char k[128];

    areas_key(k, sizeof(k), jv_str(area, "name", ""));
    if (k[0] && strcmp(k, key) == 0)
        return true;
    for (size_t i = 0; aliases && i < json_object_array_length(aliases); i++) {
        json_object *a = json_object_array_get_idx(aliases, i);
        areas_key(k, sizeof(k), json_object_is_type(a, json_type_string) ? json_object_get_string(a) : "");
        if (k[0] && strcmp(k, key) == 0)
            return true;
    }
    return false;
}

json_object *areas_find(json_object *reply, const char *name)
{
    json_object *areas = jv_arr(reply, "areas");
    char key[128];

    areas_key(key, sizeof(key), name);
    for (size_t i = 0; key[0] && areas && i < json_object_array_length(areas); i++)
        if (areas_is(json_object_array_get_idx(areas, i), key))
            return json_object_array_get_idx(areas, i);
    return NULL;
}

enum { AREAS_COLS = 9 };

struct areas_row {
    char col[AREAS_COLS][160];
};

static const struct areas_row areas_head = {
    { "AREA", "GUN", "TRIAL", "MAX", "SESSION", "COOLDOWN", "TODAY", "REST", "ALIASES" },
};
/* Numbers right, words left. */
static const bool areas_right[AREAS_COLS] = { false, false, true, true, true, true, true, false, false };

enum { AREAS_TODAY = 6, AREAS_REST = 7 };

/* TODAY and REST of a row from where the area (or one side of it) stands today. */
static void areas_today_cols(json_object *a, json_object *today, struct areas_row *r)
{
    if (today)
        words_dose(r->col[AREAS_TODAY], sizeof(r->col[AREAS_TODAY]), jv_int(today, "dose_used_s", 0),
                   jv_int(today, "dose_s", jv_int(a, "dose_min", 0) * 60), true);
    if (jv_int(today, "rest_left_s", 0) > 0) {
        char at[32];
        words_clock(at, sizeof(at), jv_int(today, "rest_until", 0));
        snprintf(r->col[AREAS_REST], sizeof(r->col[AREAS_REST]), "until %s", at);
    }
    /* What else keeps it closed: said as what happens, never "-" for a closed area. */
    if (strcmp(jv_str(today, "closed", ""), KNOT_E_RED_FLAG) == 0)
        snprintf(r->col[AREAS_REST], sizeof(r->col[AREAS_REST]), "red flag");
    else if (strcmp(jv_str(today, "closed", ""), KNOT_E_PAIN_STOP) == 0 ||
             strcmp(jv_str(today, "closed", ""), KNOT_E_DOSE) == 0)
        snprintf(r->col[AREAS_REST], sizeof(r->col[AREAS_REST]), "tomorrow");
}

/* A row of its own for each side of an area with sides: "  left" and that side's TODAY and REST. */
static void areas_side_row(json_object *a, const char *side, struct areas_row *r)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->col[0], sizeof(r->col[0]), "  %s", side);
    snprintf(r->col[AREAS_TODAY], sizeof(r->col[AREAS_TODAY]), "-");
    snprintf(r->col[AREAS_REST], sizeof(r->col[AREAS_REST]), "-");
    areas_today_cols(a, side_today(a, side), r);
}

static void areas_row_of(json_object *a, struct areas_row *r)
{
    char tool[128];

    memset(r, 0, sizeof(*r));
    snprintf(r->col[0], sizeof(r->col[0]), "%s", jv_str(a, "name", "?"));
    for (int c = 1; c < AREAS_COLS - 1; c++)
        snprintf(r->col[c], sizeof(r->col[c]), "-");
    if (jv_bool(a, "gun", false)) {
        snprintf(r->col[1], sizeof(r->col[1]), "yes");
        words_seconds(r->col[2], sizeof(r->col[2]), jv_int(a, "trial_s", 0));
        snprintf(r->col[3], sizeof(r->col[3]), "%lld", jv_int(a, "max_level", 0));
        words_seconds(r->col[4], sizeof(r->col[4]), jv_int(a, "session_s", 0));
        words_seconds(r->col[5], sizeof(r->col[5]), jv_int(a, "cooldown_s", 0));
        /* Each side stands on its own today: said on the sides' rows below. */
        if (side_has(a))
            r->col[AREAS_TODAY][0] = r->col[AREAS_REST][0] = '\0';
        else
            areas_today_cols(a, side_today(a, NULL), r);
    } else {
        words_tool(tool, sizeof(tool), jv_str(a, "tool", "another tool"));
        snprintf(r->col[1], sizeof(r->col[1]), "no - use %s", tool);
    }
    jv_join(jv_arr(a, "aliases"), ", ", r->col[8], sizeof(r->col[8]));
}

static void areas_print_row(const struct areas_row *r, const int *width)
{
    int last = AREAS_COLS - 1;

    /* no padding after the last column when an area has no aliases */
    while (last > 0 && !r->col[last][0])
        last--;
    for (int c = 0; c <= last; c++)
        printf("%s%*s", c ? "  " : "", areas_right[c] ? width[c] : (c == last ? 0 : -width[c]), r->col[c]);
    putchar('\n');
}

/* The area's row, then one for each of its sides (a gun area's only: the others rest nowhere). */
static void areas_rows(json_object *a, const int *width, int *widest)
{
    json_object *sides = jv_bool(a, "gun", false) ? jv_arr(a, "sides") : NULL;
    struct areas_row row;

    for (size_t k = 0; k <= (sides ? json_object_array_length(sides) : 0); k++) {
        if (k == 0)
            areas_row_of(a, &row);
        else
            areas_side_row(a, json_object_get_string(json_object_array_get_idx(sides, k - 1)), &row);
        for (int c = 0; widest && c < AREAS_COLS; c++)
            if ((int)strlen(row.col[c]) > widest[c])
                widest[c] = (int)strlen(row.col[c]);
        if (width)
            areas_print_row(&row, width);
    }
}

static void areas_table(json_object *reply)
{
    json_object *areas = jv_arr(reply, "areas");
    size_t n = areas ? json_object_array_length(areas) : 0;
    int width[AREAS_COLS];

    if (n == 0) {
        printf("knotd knows no body areas (check its profiles file)\n");
        return;
    }
    /* Two passes: widths first, so the columns line up whatever the tools are called. */
    for (int c = 0; c < AREAS_COLS; c++)
        width[c] = (int)strlen(areas_head.col[c]);
    for (size_t i = 0; i < n; i++)
        areas_rows(json_object_array_get_idx(areas, i), NULL, width);
    areas_print_row(&areas_head, width);
    for (size_t i = 0; i < n; i++)
        areas_rows(json_object_array_get_idx(areas, i), width, NULL);
}

static void areas_aftercare(json_object *area)
{
    const char *care = jv_str(area, "aftercare", "");

    if (care[0])
        term_line("After-care: %s", care);
}

/* An area the massager does not belong on: what to use instead, and the stretch. */
static void areas_not_for_gun(json_object *area)
{
    char title[64];

    words_lower(title, sizeof(title), jv_str(area, "title", jv_str(area, "name", "?")));
    printf("The massager does not belong on the %s.\n", title);
    show_guide_tool(area);
    areas_aftercare(area);
}

/* "1:30 of 10 min used; resting until 10:42 (14 min left)", for the area or one side of it (side NULL: none). */
static void areas_today(json_object *a, const char *side)
{
    json_object *today = side_today(a, side);
    long long used = jv_int(today, "dose_used_s", 0), rest = jv_int(today, "rest_left_s", 0);
    char dose[48], at[32], wait[32], label[32];

    if (!today)
        return;
    words_dose(dose, sizeof(dose), used, jv_int(today, "dose_s", jv_int(a, "dose_min", 0) * 60), false);
    snprintf(label, sizeof(label), "%s%s", side ? side : "", side ? " today" : "today");
    printf("  %-11s %s used", label, dose);
    /* The first thing that would refuse a start, as start itself says it (knotd's "closed"). */
    if (strcmp(jv_str(today, "closed", ""), KNOT_E_RED_FLAG) == 0) {
        printf("; closed by a red flag until you clear it: knotctl checkin %s%s%s --clear", jv_str(a, "name", "AREA"),
               side ? " --side " : "", side ? side : "");
    } else if (strcmp(jv_str(today, "closed", ""), KNOT_E_PAIN_STOP) == 0) {
        printf("; stopped for today after pain: ready tomorrow");
    } else if (rest > 0) {
        words_clock(at, sizeof(at), jv_int(today, "rest_until", 0));
        words_wait(wait, sizeof(wait), rest);
        printf("; resting until %s (%s left)", at, wait);
    } else if (strcmp(jv_str(today, "closed", ""), KNOT_E_DOSE) == 0) {
        printf("; today's dose is used up: ready tomorrow");
    } else {
        printf("; ready now");
    }
    putchar('\n');
}

/* One area's whole advice: the guide's, knotd's limits, where it stands today, the stretch. */
static void areas_one(json_object *a)
{
    char aliases[256], trial[32], session[32], cool[32], step[32];

    jv_join(jv_arr(a, "aliases"), ", ", aliases, sizeof(aliases));
    printf("%s (%s%s%s)\n", jv_str(a, "title", "?"), jv_str(a, "name", "?"), aliases[0] ? ", also " : "", aliases);
    if (!jv_bool(a, "gun", false)) {
        areas_not_for_gun(a);
        return;
    }
    show_advice(a);
    words_seconds(trial, sizeof(trial), jv_int(a, "trial_s", 0));
    words_seconds(step, sizeof(step), jv_int(a, "step_s", 0));
    words_seconds(session, sizeof(session), jv_int(a, "session_s", 0));
    words_seconds(cool, sizeof(cool), jv_int(a, "cooldown_s", 0));
    printf("  %-11s %s at level %lld\n", "trial", trial, jv_int(a, "start_level", 1));
    printf("  %-11s then one level every %s, up to %lld unless you name one, at most %lld\n", "levels", step,
           jv_int(a, "default_level", 0), jv_int(a, "max_level", 0));
    printf("  %-11s %s, then the motor stops by itself\n", "session", session);
    if (jv_int(a, "cooldown_s", 0) > 0)
        printf("  %-11s %s after a full session, less after a shorter one\n", "cool-down", cool);
    else
        printf("  %-11s none\n", "cool-down");
    printf("  %-11s %lld min a day%s\n", "dose", jv_int(a, "dose_min", 0), side_has(a) ? " for each side" : "");
    if (side_has(a)) {
        json_object *sides = jv_arr(a, "sides");
        char one[64];

        /* Each side is a muscle of its own: its own rest, dose and care record. */
        side_one(one, sizeof(one), a);
        printf("  %-11s left and right, each on its own: say which (knotctl start left %s)\n", "sides",
               one[0] ? one : jv_str(a, "name", "AREA"));
        for (size_t k = 0; k < json_object_array_length(sides); k++)
            areas_today(a, json_object_get_string(json_object_array_get_idx(sides, k)));
    } else {
        areas_today(a, NULL);
    }
    areas_aftercare(a);
}

int areas_elsewhere(const struct knotctl_opts *o, const char *name, json_object *refusal)
{
    json_object *reply = conn_fetch(o->socket, conn_request_new("areas", NULL));
    json_object *area = areas_find(reply, name);

    if (area && !jv_bool(area, "gun", true))
        areas_not_for_gun(area);
    else
        term_line("%s", jv_str(refusal, KNOT_K_MESSAGE, "knotd refused"));
    json_object_put(reply);
    return conn_check(refusal, true);
}

/* areas [AREA]: the table, or one area's all; under --json knotd's reply, or
 * {"ok":true,"area":...} for the one area asked. */
int areas_run(const struct knotctl_opts *o, const char *name)
{
    json_object *reply, *area;
    /* knotd's reply as it is under --json, unless it is cut to the area asked (a refusal is its line anyway). */
    int rc = conn_call(o->socket, o->json && !name, conn_request_new("areas", NULL), &reply);

    if (rc == 0 && !name && !o->json)
        areas_table(reply);
    if (rc == 0 && name) {
        area = areas_find(reply, name);
        if (!area) {
            char known[512];
            json_object *areas = jv_arr(reply, "areas");
            size_t used = 0;

            known[0] = '\0';
            for (size_t i = 0; areas && i < json_object_array_length(areas) && used < sizeof(known); i++) {
                int w = snprintf(known + used, sizeof(known) - used, "%s%s", i ? ", " : "",
                                 jv_str(json_object_array_get_idx(areas, i), "name", "?"));
                if (w < 0)
                    break;
                used += (size_t)w;
            }
            fail(KNOT_E_UNKNOWN_AREA, "no body area '%s'; known areas: %s", name, known);
            rc = KNOTCTL_EXIT_REFUSED;
        } else if (o->json) {
            json_object *one = json_object_new_object();

            json_object_object_add(one, KNOT_K_OK, json_object_new_boolean(1));
            json_object_object_add(one, "area", json_object_get(area));
            printf("%s\n", json_object_to_json_string_ext(one, KNOT_JSON_LINE_FLAGS));
            json_object_put(one);
        } else {
            areas_one(area);
        }
    }
    json_object_put(reply);
    return rc;
}
