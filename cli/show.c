/* SPDX-License-Identifier: MIT */
/* show.c - turns replies and events into text: devices, blocks for status, the advice at a start, the care advice, progress lines. */
#include "show.h"
#include "term.h"

#include <stdio.h>
#include <string.h>

#include "jv.h"
#include "knot/control.h"
#include "side.h"
#include "words.h"

#define SHOW_BAR_WIDTH 20

void show_mmss(char *buf, size_t len, long long seconds)
{
    if (seconds < 0)
        seconds = 0;
    snprintf(buf, len, "%lld:%02lld", seconds / 60, seconds % 60);
}

void show_version(json_object *reply)
{
    long long proto = jv_int(reply, "protocol", 0);

    printf("knotd %s (control protocol %lld)\n", jv_str(reply, "version", "?"), proto);
    if (proto != KNOT_CONTROL_VERSION)
        fprintf(stderr, "knotctl: warning: knotctl speaks control protocol %d, knotd %lld\n", KNOT_CONTROL_VERSION, proto);
}

static void show_ppm_list(json_object *dev, char *buf, size_t len)
{
    json_object *ppm = jv_arr(dev, "ppm");
    size_t n = ppm ? json_object_array_length(ppm) : 0, used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < n && used < len; i++) {
        int w = snprintf(buf + used, len - used, "%s%zu: %lld", i ? ", " : "", i + 1,
                         (long long)json_object_get_int64(json_object_array_get_idx(ppm, i)));
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* The reply's device array; says so and gives 0 when there is none. */
static size_t show_device_list(json_object *reply, json_object **devs)
{
    size_t n;

    *devs = jv_arr(reply, "devices");
    n = *devs ? json_object_array_length(*devs) : 0;
    if (n == 0)
        printf("no massager connected\n");
    return n;
}

void show_devices(json_object *reply)
{
    json_object *devs;
    size_t n = show_device_list(reply, &devs);

    for (size_t i = 0; i < n; i++) {
        json_object *d = json_object_array_get_idx(devs, i);
        char ppm[256];
        show_ppm_list(d, ppm, sizeof(ppm));
        printf("%s: %lld levels, firmware %s, watchdog %lld ms, ppm per level (%s)\n", jv_str(d, "serial", "?"),
               jv_int(d, "levels", 0), jv_str(d, "firmware", "?"), jv_int(d, "watchdog_ms", 0), ppm);
    }
}

static void show_faults(json_object *status, char *buf, size_t len)
{
    jv_join(jv_arr(status, "faults"), ", ", buf, len);
}

/* The asking person's areas that rest or have run today (status "rest"). */
static void show_rest(json_object *rest, bool after)
{
    size_t n = rest ? json_object_array_length(rest) : 0;
    int width = 0;

    char title[96];

    if (n == 0)
        return;
    for (size_t i = 0; i < n; i++) {
        json_object *r = json_object_array_get_idx(rest, i);
        int w;

        side_label(title, sizeof(title), jv_str(r, "title", jv_str(r, "area", "?")), jv_str(r, KNOT_K_SIDE, NULL));
        w = (int)strlen(title);
        if (w > width)
            width = w;
    }
    printf("%sYour areas today:\n", after ? "\n" : "");
    for (size_t i = 0; i < n; i++) {
        json_object *r = json_object_array_get_idx(rest, i);
        char dose[48], at[32], wait[32];

        words_dose(dose, sizeof(dose), jv_int(r, "dose_used_s", 0), jv_int(r, "dose_s", 0), false);
        side_label(title, sizeof(title), jv_str(r, "title", jv_str(r, "area", "?")), jv_str(r, KNOT_K_SIDE, NULL));
        printf("  %-*s  %s used", width, title, dose);
        if (strcmp(jv_str(r, "closed", ""), KNOT_E_PAIN_STOP) == 0) {
            printf(", stopped for today after pain (ready tomorrow)");
        } else if (jv_int(r, "rest_left_s", 0) > 0) {
            words_clock(at, sizeof(at), jv_int(r, "rest_until", 0));
            words_wait(wait, sizeof(wait), jv_int(r, "rest_left_s", 0));
            printf(", resting until %s (%s left)", at, wait);
        } else if (strcmp(jv_str(r, "closed", ""), KNOT_E_DOSE) == 0) {
            printf(", no more today (ready tomorrow)");
        }
        putchar('\n');
    }
}

void show_care(json_object *care)
{
    const char *advice = jv_str(care, KNOT_K_ADVICE, "");

    if (advice[0])
        term_line("%s", advice);
}

void show_care_list(json_object *care, bool after)
{
    size_t n = care ? json_object_array_length(care) : 0;
    bool said = false;

    for (size_t i = 0; i < n; i++) {
        const char *advice = jv_str(json_object_array_get_idx(care, i), KNOT_K_ADVICE, "");

        if (!advice[0])
            continue;
        if (!said)
            printf("%sCare advice:\n", after ? "\n" : "");
        said = true;
        term_line("  %s", advice);
    }
}

void show_status(json_object *reply)
{
    json_object *devs;
    size_t n = show_device_list(reply, &devs);

    for (size_t i = 0; i < n; i++) {
        json_object *d = json_object_array_get_idx(devs, i);
        json_object *s = jv_obj(d, "session");
        char faults[128], left[SHOW_MMSS_LEN], trial[SHOW_MMSS_LEN], title[96];

        if (i)
            putchar('\n');
        if (!jv_bool(d, "connected", true)) {
            printf("%s: not connected\n", jv_str(d, "serial", "?"));
            continue;
        }
        show_faults(d, faults, sizeof(faults));
        /* "Calves (left)": which of the pair runs. */
        side_label(title, sizeof(title), jv_str(s, "title", jv_str(s, "area", "?")), jv_str(s, KNOT_K_SIDE, NULL));
        printf("%s: connected, level %lld/%lld, %lld ppm\n", jv_str(d, "serial", "?"), jv_int(d, "level", 0),
               jv_int(d, "levels", 0), jv_int(d, "ppm_now", 0));
        if (!s) {
            printf("  no session\n");
        } else if (strcmp(jv_str(s, "phase", ""), KNOT_PHASE_ENDED) == 0) {
            char why[160];
            printf("  %s: ended (%s)\n", title, show_end(jv_str(s, "end", ""), faults, why, sizeof(why)));
        } else {
            char lv[64];
            long long level = jv_int(s, "level", 0), target = jv_int(s, "target", 0);
            if (target && target != level)
                snprintf(lv, sizeof(lv), "level %lld -> %lld", level, target);
            else
                snprintf(lv, sizeof(lv), "level %lld", level);
            show_mmss(left, sizeof(left), jv_int(s, "left_s", 0));
            printf("  %s: %s, %s (max %lld), %s left", title, jv_str(s, "phase", "?"), lv, jv_int(s, "max_level", 0), left);
            if (strcmp(jv_str(s, "phase", ""), KNOT_PHASE_TRIAL) == 0) {
                show_mmss(trial, sizeof(trial), jv_int(s, "trial_left_s", 0));
                printf(", trial %s left", trial);
            }
            putchar('\n');
        }
        printf("  motor %.1f C, battery %lld %%, faults: %s", jv_num(d, "temp_c", 0), jv_int(d, "battery", 0),
               faults[0] ? faults : "none");
        /* Idle, knotd reads a massager only when asked: say how old this is. */
        if (!s || strcmp(jv_str(s, "phase", ""), KNOT_PHASE_ENDED) == 0) {
            char ago[32];
            words_ago(ago, sizeof(ago), jv_int(d, "read_ago_s", -1));
            if (!jv_bool(d, "answering", true))
                printf(" (the massager does not answer)");
            else if (jv_int(d, "read_ago_s", -1) < 0)
                printf(" (not read yet)");
            else
                printf(" (readings from %s)", ago);
        }
        putchar('\n');
        if (jv_str(d, "fault_advice", "")[0])
            printf("  %s\n", jv_str(d, "fault_advice", ""));
        if (s && jv_bool(s, "force_warning", false))
            printf("  warning: pressing too hard (%.1f N) - ease off, the muscle guards against force\n",
                   jv_num(d, "force_n", 0));
    }
    show_rest(jv_arr(reply, "rest"), n > 0);
    /* Red flags and the therapist rule: whom to see, said wherever the person looks. */
    show_care_list(jv_arr(reply, KNOT_K_CARE), true);
    /* knotd refuses new sessions while its journal cannot record them: say why here too. */
    if (jv_obj(reply, "journal") && !jv_bool(jv_obj(reply, "journal"), "ok", true))
        printf("%sjournal: %s; new sessions are refused\n", n ? "\n" : "",
               jv_str(jv_obj(reply, "journal"), "error", "cannot be written"));
    /* The wall clock went back behind the journal (knotd(8), TIME): times it says may look odd. */
    if (jv_int(reply, "clock_behind_s", 0) > 0) {
        char behind[32];

        words_wait(behind, sizeof(behind), jv_int(reply, "clock_behind_s", 0));
        printf("%sclock: the system clock is %s behind the journal's newest record (it went back); "
               "those records count as written now\n", n ? "\n" : "", behind);
    }
}

void show_guide_tool(json_object *area)
{
    char title[64], tool[128], action[300];

    if (!area)
        return;
    words_lower(title, sizeof(title), jv_str(area, "title", jv_str(area, "name", "?")));
    words_tool(tool, sizeof(tool), jv_str(area, "tool", "?"));
    words_clause(action, sizeof(action), jv_str(area, "action", ""));
    /* The guide's table names the tool other than the massager: say so. */
    term_line("The guide's tool for the %s is %s%s%s", title, tool, action[0] ? ": " : ".", action);
}

void show_advice(json_object *area)
{
    const char *with_gun = jv_str(area, "with_gun", "");

    show_guide_tool(area);
    if (with_gun[0])
        term_line("%s", with_gun);
}

void show_plan(json_object *area, json_object *session, bool asked, const char *place)
{
    char total[SHOW_MMSS_LEN];
    long long trial = jv_int(session, "trial_s", jv_int(area, "trial_s", 0));
    long long target = jv_int(session, "target", 0), step = jv_int(area, "step_s", 0);
    long long start = jv_int(session, "level", jv_int(area, "start_level", 1));

    if (!session)
        return;
    show_mmss(total, sizeof(total), jv_int(session, "session_s", jv_int(area, "session_s", 0)));
    if (place && place[0])
        printf("%c%s: trial at level %lld for %lld s", place[0] >= 'a' && place[0] <= 'z' ? place[0] - 'a' + 'A' : place[0],
               place + 1, start, trial);
    else
        printf("Trial at level %lld for %lld s", start, trial);
    if (target > start) {
        printf(", then%s up to level %lld", asked ? ", when you say so," : "", target);
        if (step > 0)
            printf(", one level every %lld s", step);
    }
    printf(" (max %lld); %s in all.%s\n", jv_int(session, "max_level", 0), total,
           asked ? "" : " 'knotctl ouch' backs off.");
}

void show_target_text(char *buf, size_t len, const char *cmd, json_object *session, long long step_s)
{
    long long level = jv_int(session, "level", 0), target = jv_int(session, "target", 0);
    bool waiting = strcmp(jv_str(session, "phase", ""), KNOT_PHASE_WAIT) == 0;

    if (strcmp(cmd, "ouch") == 0) {
        if (target > level)
            snprintf(buf, len, "backing off to level %lld (trial restarts, then up to level %lld)", level, target);
        else
            snprintf(buf, len, "backing off to level %lld (trial restarts; another ouch at level 1 stops)", level);
    } else if (strcmp(cmd, "go") == 0 && level >= target) {
        snprintf(buf, len, "going on at level %lld", level);
    } else if (waiting) {
        snprintf(buf, len, "target level %lld (staying at level %lld until you say go)", target, level);
    } else if (level < target) {
        if (step_s > 0)
            snprintf(buf, len, "%s level %lld (ramping one level every %lld s)",
                     strcmp(cmd, "go") == 0 ? "going on: up to" : "target", target, step_s);
        else
            snprintf(buf, len, "%s level %lld (ramping one level at a time)",
                     strcmp(cmd, "go") == 0 ? "going on: up to" : "target", target);
    } else if (level > target) {
        snprintf(buf, len, "target level %lld (coming down from level %lld)", target, level);
    } else {
        snprintf(buf, len, "target level %lld (running at it now)", target);
    }
}

void show_target(const char *cmd, json_object *session, long long step_s)
{
    char text[256];

    show_target_text(text, sizeof(text), cmd, session, step_s);
    printf("%s\n", text);
}

void show_stopped(json_object *reply)
{
    json_object *stopped = jv_arr(reply, "stopped");
    char list[512];

    jv_join(stopped, ", ", list, sizeof(list));
    if (list[0])
        printf("stopped %s\n", list);
    else
        printf("no motor was running\n");
}

void show_stopped_aftercare(json_object *stop_reply, json_object *status_before)
{
    json_object *stopped = jv_arr(stop_reply, "stopped"), *devs = jv_arr(status_before, "devices");

    for (size_t i = 0; devs && i < json_object_array_length(devs); i++) {
        json_object *d = json_object_array_get_idx(devs, i), *s = jv_obj(d, "session");
        const char *care = jv_str(s, "aftercare", "");
        bool was_stopped = false;

        for (size_t k = 0; stopped && k < json_object_array_length(stopped); k++)
            if (strcmp(json_object_get_string(json_object_array_get_idx(stopped, k)), jv_str(d, "serial", "")) == 0)
                was_stopped = true;
        if (was_stopped && s && strcmp(jv_str(s, "phase", ""), KNOT_PHASE_ENDED) != 0 && care[0])
            term_line("After-care: %s", care);
    }
}

void show_progress(char *buf, size_t len, json_object *st, enum show_form form)
{
    json_object *s = jv_obj(st, "session");
    const char *phase = jv_str(s, "phase", "");
    long long level = jv_int(s, "level", jv_int(st, "level", 0)), target = jv_int(s, "target", 0);
    long long ppm = jv_int(st, "ppm_now", 0);
    bool trial = strcmp(phase, KNOT_PHASE_TRIAL) == 0, ease = jv_bool(s, "force_warning", false);
    char lv[48], left[SHOW_MMSS_LEN], tleft[SHOW_MMSS_LEN], meter[SHOW_BAR_WIDTH + 3];

    if (!jv_bool(st, "connected", true)) {
        snprintf(buf, len, "not connected");
        return;
    }
    if (!s || strcmp(phase, KNOT_PHASE_ENDED) == 0) {
        if (level)
            snprintf(buf, len, "no session, level %lld", level);
        else
            snprintf(buf, len, "idle");
        return;
    }
    show_mmss(left, sizeof(left), jv_int(s, "left_s", 0));
    show_mmss(tleft, sizeof(tleft), jv_int(s, "trial_left_s", 0));
    if (form == SHOW_SHORT || form == SHOW_NARROW) {
        if (target && target != level)
            snprintf(lv, sizeof(lv), "%lld->%lld", level, target);
        else
            snprintf(lv, sizeof(lv), "%lld", level);
        if (form == SHOW_NARROW)   /* the time first: a cut to the width keeps it */
            snprintf(buf, len, "%s %s %s%s", trial ? tleft : left, phase, lv, ease ? " EASE OFF" : "");
        else
            snprintf(buf, len, "%s %s %lld ppm %s%s", phase, lv, ppm, trial ? tleft : left, ease ? " EASE OFF" : "");
        return;
    }
    if (target && target != level)
        snprintf(lv, sizeof(lv), "level %lld -> %lld", level, target);
    else
        snprintf(lv, sizeof(lv), "level %lld", level);
    if (form == SHOW_LOG) {
        snprintf(buf, len, "%s: %s, %lld ppm, %s left%s%s%s", phase, lv, ppm, left, trial ? ", trial " : "",
                 trial ? tleft : "", trial ? " left" : "");
        if (ease && strlen(buf) + 1 < len)
            snprintf(buf + strlen(buf), len - strlen(buf), ", pressing too hard");
        /* In a log nobody presses Enter: say where the go-ahead comes from. */
        if (strcmp(phase, KNOT_PHASE_WAIT) == 0 && strlen(buf) + 1 < len)
            snprintf(buf + strlen(buf), len - strlen(buf), ", until your go-ahead: knotctl go");
        return;
    }
    {
        /* The bar measures what the time shown counts down: the trial during
         * the trial, the whole session after it. */
        long long left_s = trial ? jv_int(s, "trial_left_s", 0) : jv_int(s, "left_s", 0);
        long long total_s = trial ? jv_int(s, "trial_s", 0) : jv_int(s, "session_s", 0);
        long long done = total_s > 0 ? (total_s - left_s) * SHOW_BAR_WIDTH / total_s : 0;

        if (done < 0)
            done = 0;
        if (done > SHOW_BAR_WIDTH)
            done = SHOW_BAR_WIDTH;
        meter[0] = '[';
        for (int i = 0; i < SHOW_BAR_WIDTH; i++)
            meter[1 + i] = i < done ? '#' : '-';
        meter[SHOW_BAR_WIDTH + 1] = ']';
        meter[SHOW_BAR_WIDTH + 2] = '\0';
        snprintf(buf, len, "%-5s  %s  %lld ppm  %s  %s%s left%s", phase, lv, ppm, meter, trial ? "trial " : "",
                 trial ? tleft : left, ease ? "  EASE OFF" : "");
    }
}

/* What each end says, said for the person; a fault adds its own words. */
static const struct {
    const char *end, *words;
} show_ends[] = {
    { KNOT_END_DONE, "session complete" },
    { KNOT_END_STOPPED, "stopped" },
    { KNOT_END_FAULT, "stopped: the massager reported a fault" },
    { KNOT_END_UNPLUGGED, "stopped: the massager was unplugged" },
    { KNOT_END_LOST, "stopped: knotd lost contact with the massager" },
    { KNOT_END_CEILING, "stopped: the massager has run as long as it may and needs a rest" },
    { KNOT_END_SHUTDOWN, "stopped: knotd is shutting down" },
    { KNOT_END_PAIN, "stopped: it still hurt at level 1, after backing off" },
    { KNOT_END_DISCONNECTED, "stopped: the knotctl that followed the session went away" },
    { KNOT_END_RED_FLAG, "stopped: you reported a red flag on this area" },
    { KNOT_END_PROFILE, "stopped: the profiles were reloaded without this area for the massager" },
};

const char *show_end(const char *end, const char *faults, char *buf, size_t len)
{
    for (size_t i = 0; i < sizeof(show_ends) / sizeof(show_ends[0]); i++) {
        if (strcmp(end, show_ends[i].end) != 0)
            continue;
        if (strcmp(end, KNOT_END_FAULT) == 0 && faults && faults[0])
            snprintf(buf, len, "%s: %s", show_ends[i].words, faults);
        else
            snprintf(buf, len, "%s", show_ends[i].words);
        return buf;
    }
    snprintf(buf, len, "session ended (%s)", end[0] ? end : "no reason given");
    return buf;
}
