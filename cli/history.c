/* SPDX-License-Identifier: MIT */
/* history.c - `knotctl history [AREA]`: the person's sessions and check-ins of the last days, as a chart on a terminal, lines, CSV or JSON, with knotd's care advice. */
#include "history.h"

#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "areas.h"
#include "args.h"
#include "chart.h"
#include "conn.h"
#include "fail.h"
#include "jv.h"
#include "knot/control.h"
#include "show.h"
#include "side.h"
#include "term.h"
#include "words.h"

#define HISTORY_DAYS_MAX 365     /* knotd's limit (docs/CONTROL.md) */
#define HISTORY_DAYS_DEFAULT 14
#define HISTORY_AREAS_MAX 32     /* areas a chart shows: more than any profile file holds */
#define HISTORY_LABEL "           "   /* the row labels' width: "  minutes  " */

enum history_kind { HISTORY_SESSION, HISTORY_CHECKIN, HISTORY_CLEAR };
static const char *const history_kinds[] = { "session", "checkin", "clear" };

/* One record of the reply, sessions and check-ins in one list. */
struct history_rec {
    long long time;
    enum history_kind kind;
    size_t seq;   /* sessions first, then check-ins, in knotd's order: equal times keep it */
    json_object *o;
};

/* What the command line asks makes sense before anything is sent: 0, or the usage exit code, said. */
static int history_usage(const struct knotctl_opts *o, const char *area, long long *days)
{
    if (area && !area[0]) {
        fail(FAIL_USAGE, "AREA must not be empty; 'knotctl areas' lists them");
        return KNOTCTL_EXIT_USAGE;
    }
    if (o->csv && o->json) {
        fail(FAIL_USAGE, "--csv and --json are two ways to print the history: give one of them");
        return KNOTCTL_EXIT_USAGE;
    }
    *days = 0;
    if (o->days && !args_whole(o->days, 1, HISTORY_DAYS_MAX, days)) {
        fail(FAIL_USAGE, "--days must be a whole number from 1 to %d, not '%s'", HISTORY_DAYS_MAX,
                o->days);
        return KNOTCTL_EXIT_USAGE;
    }
    return 0;
}

static int history_cmp(const void *a, const void *b)
{
    const struct history_rec *x = a, *y = b;

    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The reply's sessions and check-ins in time order; NULL (said) when memory runs out. */
static struct history_rec *history_records(json_object *reply, size_t *n)
{
    json_object *arrs[2] = { jv_arr(reply, "sessions"), jv_arr(reply, "checkins") };
    size_t len[2], total;
    struct history_rec *r;

    for (int k = 0; k < 2; k++)
        len[k] = arrs[k] ? json_object_array_length(arrs[k]) : 0;
    total = len[0] + len[1];
    r = calloc(total + 1, sizeof(*r));
    if (!r) {
        fprintf(stderr, "knotctl: out of memory for %zu records\n", total);
        return NULL;
    }
    *n = 0;
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < len[k]; i++) {
            json_object *o = json_object_array_get_idx(arrs[k], i);

            if (!json_object_is_type(o, json_type_object))
                continue;
            r[*n] = (struct history_rec){
                .time = jv_int(o, "time", 0),
                .kind = k == 0 ? HISTORY_SESSION : jv_bool(o, "clear", false) ? HISTORY_CLEAR : HISTORY_CHECKIN,
                .seq = *n,
                .o = o,
            };
            (*n)++;
        }
    }
    qsort(r, *n, sizeof(*r), history_cmp);
    return r;
}

/* "2026-11-30 12:00", local time. */
static void history_when(char *buf, size_t len, long long t)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (!localtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M", &tm))
        snprintf(buf, len, "?");
}

/* The local date days_ago days before today, at noon (clear of any clock change). */
static void history_day(int days_ago, struct tm *tm)
{
    time_t now = time(NULL);

    localtime_r(&now, tm);
    tm->tm_mday -= days_ago;
    tm->tm_hour = 12;
    tm->tm_min = tm->tm_sec = 0;
    tm->tm_isdst = -1;
    now = mktime(tm);
    localtime_r(&now, tm);
}

/* t's local date as a day number (chart_serial). */
static long long history_serial(long long t)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (!localtime_r(&tt, &tm))
        return 0;
    return chart_serial(tm.tm_year + 1900LL, tm.tm_mon + 1, tm.tm_mday);
}

/* The first line: "History of the last 14 days (since 2026-11-18):". */
static void history_header(const char *title, int days)
{
    char since[16];
    struct tm tm;

    history_day(days - 1, &tm);
    strftime(since, sizeof(since), "%Y-%m-%d", &tm);
    printf("History");
    if (title)
        printf(" of your %s", title);
    if (days == 1)
        printf("%s today (%s):\n", title ? "," : " of", since);
    else
        printf("%s the last %d days (since %s):\n", title ? "," : " of", days, since);
}

/* "No sessions or check-ins in the last 14 days." */
static void history_none(const char *title, int days)
{
    printf("No sessions or check-ins");
    if (title)
        printf(" for your %s", title);
    if (days == 1)
        printf(" today.\n");
    else
        printf(" in the last %d days.\n", days);
}

/* knotd left out the oldest records to keep its reply small: say from when on it is whole. */
static void history_truncated(json_object *reply)
{
    char when[32];

    if (!jv_bool(reply, "truncated", false))
        return;
    history_when(when, sizeof(when), jv_int(reply, "since", 0));
    printf("Only the newest records fit in one reply: those before %s are left out (ask for fewer --days, "
           "or one AREA).\n", when);
}

/* ---- --csv ---- */

/* One RFC 4180 field: quoted when it holds a comma, a quote or a line break, its quotes doubled. */
static void history_csv_field(const char *s, bool last)
{
    if (strpbrk(s, ",\"\r\n")) {
        putchar('"');
        for (; *s; s++) {
            if (*s == '"')
                putchar('"');
            putchar(*s);
        }
        putchar('"');
    } else {
        fputs(s, stdout);
    }
    fputs(last ? "\r\n" : ",", stdout);
}

/* Minutes with one decimal, rounded half up: 90 s is "1.5", 45 s "0.8". */
static void history_minutes(char *buf, size_t len, long long seconds)
{
    long long tenths = seconds > 0 ? (seconds * 10 + 30) / 60 : 0;

    snprintf(buf, len, "%lld.%lld", tenths / 10, tenths % 10);
}

static void history_csv(const struct history_rec *r, size_t n)
{
    static const char *const head[] = { "time", "kind", "area", "side", "minutes", "peak", "end", "ouches", "pain",
                                        "flags", "note" };
    enum { COLS = sizeof(head) / sizeof(head[0]) };

    for (size_t c = 0; c < COLS; c++)
        history_csv_field(head[c], c + 1 == COLS);
    for (size_t i = 0; i < n; i++) {
        json_object *o = r[i].o;
        char when[32], minutes[32] = "", peak[24] = "", ouches[24] = "", pain[24] = "", flags[256] = "";
        char note[4 * KNOT_NOTE_MAX] = "";   /* the person's own words, with nothing that reorders or hides */
        const char *end = "";

        history_when(when, sizeof(when), r[i].time);
        if (r[i].kind == HISTORY_SESSION) {
            history_minutes(minutes, sizeof(minutes), jv_int(o, "ran_s", 0));
            snprintf(peak, sizeof(peak), "%lld", jv_int(o, "peak", 0));
            snprintf(ouches, sizeof(ouches), "%lld", jv_int(o, "ouches", 0));
            end = jv_str(o, "end", "");
        } else {
            if (jv_int(o, "pain", -1) >= 0)
                snprintf(pain, sizeof(pain), "%lld", jv_int(o, "pain", -1));
            jv_join(jv_arr(o, "flags"), " ", flags, sizeof(flags));
            words_safe(note, sizeof(note), jv_str(o, "note", ""));
        }
        /* side: "left", "right", or empty (an area without sides, or an older record that counts for both) */
        const char *row[COLS] = { when, history_kinds[r[i].kind], jv_str(o, "area", ""), jv_str(o, KNOT_K_SIDE, ""),
                                  minutes, peak, end, ouches, pain, flags, note };
        for (size_t c = 0; c < COLS; c++)
            history_csv_field(row[c], c + 1 == COLS);
    }
}

/* ---- lines (not a terminal) ---- */

/* What one record says, after its time and area. */
static void history_said(const struct history_rec *r, char *buf, size_t len)
{
    json_object *o = r->o;
    size_t used;

    if (r->kind == HISTORY_CLEAR) {
        snprintf(buf, len, "red flags cleared");
        return;
    }
    if (r->kind == HISTORY_SESSION) {
        char ran[SHOW_MMSS_LEN], why[256];
        const char *end = jv_str(o, "end", "");
        long long ouches = jv_int(o, "ouches", 0);

        show_mmss(ran, sizeof(ran), jv_int(o, "ran_s", 0));
        if (!end[0])
            snprintf(why, sizeof(why), "no end on record (still running, or knotd stopped first)");
        else
            show_end(end, NULL, why, sizeof(why));
        snprintf(buf, len, "session %s, peak level %lld, %s", ran, jv_int(o, "peak", 0), why);
        used = strlen(buf);
        if (ouches && used < len)
            snprintf(buf + used, len - used, "; %lld ouch%s", ouches, ouches == 1 ? "" : "es");
        return;
    }
    {
        json_object *flags = jv_arr(o, "flags");
        size_t nf = flags ? json_object_array_length(flags) : 0;
        bool pain = jv_int(o, "pain", -1) >= 0;

        snprintf(buf, len, "check-in:");
        if (pain)
            snprintf(buf + strlen(buf), len - strlen(buf), " pain %lld of %d", jv_int(o, "pain", -1), KNOT_PAIN_MAX);
        for (size_t k = 0; k < nf; k++) {
            const char *name = json_object_get_string(json_object_array_get_idx(flags, k));

            used = strlen(buf);
            if (k == 0)
                snprintf(buf + used, len - used, "%s red flag%s: ", pain ? ";" : "", nf == 1 ? "" : "s");
            used = strlen(buf);
            snprintf(buf + used, len - used, "%s%s", k ? ", " : "", words_flag(name ? name : "?"));
        }
        used = strlen(buf);
        if (jv_str(o, "note", "")[0]) {
            char note[4 * KNOT_NOTE_MAX];   /* each hidden character said as <U+XXXX>: room for it */

            words_safe(note, sizeof(note), jv_str(o, "note", ""));
            snprintf(buf + used, len - used, "; note: %s", note);
        }
    }
}

static void history_lines(const struct history_rec *r, size_t n)
{
    char where[96];
    int width = 0;

    for (size_t i = 0; i < n; i++) {
        side_label(where, sizeof(where), jv_str(r[i].o, "area", ""), jv_str(r[i].o, KNOT_K_SIDE, NULL));
        width = (int)strlen(where) > width ? (int)strlen(where) : width;
    }
    for (size_t i = 0; i < n; i++) {
        char when[32], said[1024];

        history_when(when, sizeof(when), r[i].time);
        history_said(&r[i], said, sizeof(said));
        /* "calves (left)": the side a record has; none for an area without, or a record that counts for both */
        side_label(where, sizeof(where), jv_str(r[i].o, "area", ""), jv_str(r[i].o, KNOT_K_SIDE, NULL));
        printf("%s  %-*s  %s\n", when, width, where, said);
    }
}

/* ---- the chart (a terminal) ---- */

/* One area's (or one side's) row pair: time run and the worst pain per column. */
struct history_area {
    const char *name, *title;
    const char *side;   /* "left", "right", or "" (no side, or a record that counts for both) */
    int order;   /* its place in knotd's area list; after them in order seen */
    int sessions, checkins;
    long long ran_s;
    long long secs[CHART_COLS_MAX];
    int pain[CHART_COLS_MAX];   /* -1: no pain given */
};

static int history_area_cmp(const void *a, const void *b)
{
    const struct history_area *x = a, *y = b;

    if (x->order != y->order)
        return (x->order > y->order) - (x->order < y->order);
    return strcmp(x->side, y->side);   /* "" (both), then left, then right */
}

/* Whether record o goes in row a: its area and its side. */
static bool history_in(const struct history_area *a, json_object *o)
{
    return strcmp(a->name, jv_str(o, "area", "")) == 0 && strcmp(a->side, jv_str(o, KNOT_K_SIDE, "")) == 0;
}

/* The areas of the records, in knotd's order, with their titles from its area list (areas may be NULL). */
static size_t history_areas(const struct history_rec *r, size_t n, json_object *areas, struct history_area *out)
{
    json_object *list = jv_arr(areas, "areas");
    size_t count = 0, known = list ? json_object_array_length(list) : 0;

    for (size_t i = 0; i < n; i++) {
        const char *name = jv_str(r[i].o, "area", "");
        size_t k;

        for (k = 0; k < count && !history_in(&out[k], r[i].o); k++)
            ;
        if (k < count || count == HISTORY_AREAS_MAX)
            continue;
        out[count] = (struct history_area){ .name = name, .title = name, .side = jv_str(r[i].o, KNOT_K_SIDE, ""),
                                            .order = (int)(known + count) };
        for (int c = 0; c < CHART_COLS_MAX; c++)
            out[count].pain[c] = -1;
        for (size_t j = 0; j < known; j++) {
            json_object *a = json_object_array_get_idx(list, j);

            if (strcmp(jv_str(a, "name", ""), name) == 0) {
                out[count].title = jv_str(a, "title", name);
                out[count].order = (int)j;
            }
        }
        count++;
    }
    qsort(out, count, sizeof(*out), history_area_cmp);
    return count;
}

/* Each record into its area's column; the chart's scale: the most run in one column. */
static long long history_fill(const struct history_rec *r, size_t n, const struct chart_layout *l,
                              struct history_area *areas, size_t count)
{
    long long today = history_serial(time(NULL)), top = 0;

    for (size_t i = 0; i < n; i++) {
        long long day = history_serial(r[i].time) - today + l->days - 1;
        struct history_area *a = NULL;
        int col;

        for (size_t k = 0; k < count; k++)
            if (history_in(&areas[k], r[i].o))
                a = &areas[k];
        if (!a || r[i].kind == HISTORY_CLEAR)
            continue;
        if (day < 0 || day >= l->days)
            continue;   /* a clock set back or forth since: not on the chart */
        col = chart_col(l, (int)day);
        if (r[i].kind == HISTORY_SESSION) {
            long long s = jv_int(r[i].o, "ran_s", 0);

            a->sessions++;
            a->ran_s += s > 0 ? s : 0;
            a->secs[col] += s > 0 ? s : 0;
            top = a->secs[col] > top ? a->secs[col] : top;
        } else {
            long long p = jv_int(r[i].o, "pain", -1);

            a->checkins++;
            if (p > a->pain[col])
                a->pain[col] = (int)(p > KNOT_PAIN_MAX ? KNOT_PAIN_MAX : p);
        }
    }
    return top;
}

/* The dates under which the columns stand: each day's date with 3 columns a day; else every 7th column's
 * last day, today's first, ending at its column. */
static void history_axis(const struct chart_layout *l)
{
    char row[CHART_COLS_MAX * 3 + 1];
    int right = l->cols + 1;   /* the leftmost column a label took so far */

    if (l->width == 3) {
        fputs(HISTORY_LABEL, stdout);
        for (int c = 0; c < l->cols; c++) {
            struct tm tm;

            history_day(l->days - 1 - chart_col_last_day(l, c), &tm);
            printf("%3d", tm.tm_mday);
        }
        putchar('\n');
        return;
    }
    memset(row, ' ', (size_t)l->cols);
    row[l->cols] = '\0';
    for (int c = l->cols - 1; c >= 0; c -= 7) {
        char label[16];
        struct tm tm;
        int len, start;

        history_day(l->days - 1 - chart_col_last_day(l, c), &tm);
        len = (int)strftime(label, sizeof(label), l->per_col == 1 ? "%d" : "%b %d", &tm);
        start = c - len + 1;
        if (len <= 0 || start < 0 || c + 1 >= right)
            continue;
        memcpy(row + start, label, (size_t)len);
        right = start;
    }
    printf("%s%s\n", HISTORY_LABEL, row);
}

/* One row of the chart: label, then a cell a column (3 columns wide: 2 blanks first), no blanks at the end. */
static void history_row(const char *label, const struct chart_layout *l, const char *const *cells)
{
    char row[sizeof(HISTORY_LABEL) + CHART_COLS_MAX * 6];
    size_t used = (size_t)snprintf(row, sizeof(row), "%s", label);

    for (int c = 0; c < l->cols && used < sizeof(row); c++)
        used += (size_t)snprintf(row + used, sizeof(row) - used, "%s%s", l->width == 3 ? "  " : "", cells[c]);
    used = strlen(row);
    while (used && row[used - 1] == ' ')
        row[--used] = '\0';
    printf("%s\n", row);
}

static void history_chart(const struct history_rec *r, size_t n, int days, json_object *areas, bool utf8)
{
    static const char *const bars_utf8[CHART_LEVELS + 1] = { " ", "\u2581", "\u2582", "\u2583", "\u2584",
                                                             "\u2585", "\u2586", "\u2587", "\u2588" };
    static const char *const bars_ascii[CHART_LEVELS + 1] = { " ", "_", "-", "=", "+", "*", "#", "%", "@" };
    const char *const *bars = utf8 ? bars_utf8 : bars_ascii;
    const char *none = utf8 ? "\u00b7" : ".";
    struct history_area a[HISTORY_AREAS_MAX];
    struct chart_layout l;
    size_t count = history_areas(r, n, areas, a);
    const char *minutes[CHART_COLS_MAX], *pains[CHART_COLS_MAX];
    char pain[CHART_COLS_MAX][2] = { { 0 } }, top_said[SHOW_MMSS_LEN];
    long long top;

    chart_layout(days, &l);
    top = history_fill(r, n, &l, a, count);
    putchar('\n');
    history_axis(&l);
    for (size_t k = 0; k < count; k++) {
        char ran[SHOW_MMSS_LEN], title[96];

        show_mmss(ran, sizeof(ran), a[k].ran_s);
        side_label(title, sizeof(title), a[k].title, a[k].side);
        printf("%s: %d session%s (%s run), %d check-in%s\n", title, a[k].sessions, a[k].sessions == 1 ? "" : "s",
               ran, a[k].checkins, a[k].checkins == 1 ? "" : "s");
        for (int c = 0; c < l.cols; c++) {
            minutes[c] = bars[chart_height(a[k].secs[c], top)];
            pain[c][0] = a[k].pain[c] < 0 ? '\0' : chart_pain(a[k].pain[c]);
            pains[c] = a[k].pain[c] < 0 ? none : pain[c];
        }
        history_row("  minutes  ", &l, minutes);
        history_row("  pain     ", &l, pains);
    }
    putchar('\n');
    show_mmss(top_said, sizeof(top_said), top);
    /* The key, in lines of at most 80 columns. */
    if (l.per_col > 1)
        printf("Each column is %d days, today's last; a date above is its column's last day.\n", l.per_col);
    else if (l.width == 1)
        printf("One column a day, today last; the dates mark every 7th day.\n");
    printf("Bars: the time run %s, %s = %s (the most).\n", l.per_col > 1 ? "in a column" : "a day",
           bars[CHART_LEVELS], top_said);
    printf("Pain: the worst %s, 0-9, X = 10; %s = no check-in.\n", l.per_col > 1 ? "in a column" : "of the day",
           none);
}

/* Block characters only where the terminal's character set has them. */
static bool history_utf8(void)
{
    const char *set;

    if (!setlocale(LC_CTYPE, ""))
        return false;
    set = nl_langinfo(CODESET);
    return set && (strcmp(set, "UTF-8") == 0 || strcmp(set, "utf8") == 0);
}

int history_run(const struct knotctl_opts *o, const char *area)
{
    json_object *req, *reply = NULL, *areas = NULL;
    struct history_rec *r;
    char title[96];
    long long days;
    size_t n = 0;
    int rc = history_usage(o, area, &days);

    if (rc)
        return rc;
    req = conn_request_new("history", NULL);
    if (area)
        json_object_object_add(req, KNOT_K_AREA, json_object_new_string(area));
    /* That side's records, and those that count for both. */
    if (o->side)
        json_object_object_add(req, KNOT_K_SIDE, json_object_new_string(o->side));
    if (days)
        json_object_object_add(req, "days", json_object_new_int((int)days));
    rc = conn_call(o->socket, o->json, req, &reply);
    if (rc || o->json) {
        json_object_put(reply);
        return rc;
    }
    days = jv_int(reply, "days", days ? days : HISTORY_DAYS_DEFAULT);
    if (days < 1 || days > HISTORY_DAYS_MAX)
        days = HISTORY_DAYS_DEFAULT;
    if (!(r = history_records(reply, &n))) {
        json_object_put(reply);
        return KNOTCTL_EXIT_PROTOCOL;
    }
    if (o->csv) {
        history_csv(r, n);
        free(r);
        json_object_put(reply);
        return 0;
    }
    /* Titles (and their order) from knotd's area list: best effort, the names do without it. */
    areas = conn_fetch(o->socket, conn_request_new("areas", NULL));
    if (area) {
        json_object *a = areas_find(areas, area);

        if (a)
            side_place(title, sizeof(title), a, o->side);
        else
            words_lower(title, sizeof(title), area);
    }
    if (!n) {
        history_none(area ? title : NULL, (int)days);
    } else {
        history_header(area ? title : NULL, (int)days);
        history_truncated(reply);
        if (term_tty())
            history_chart(r, n, (int)days, areas, history_utf8());
        else
            history_lines(r, n);
    }
    show_care_list(jv_arr(reply, KNOT_K_CARE), true);
    free(r);
    json_object_put(areas);
    json_object_put(reply);
    return 0;
}
