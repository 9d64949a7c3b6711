/* SPDX-License-Identifier: MIT */
/* knotctl.c - knotctl's command line: options, the command table and the one-request commands. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "areas.h"
#include "checkin.h"
#include "conn.h"
#include "doctor.h"
#include "follow.h"
#include "history.h"
#include "fail.h"
#include "jv.h"
#include "knot/control.h"
#include "knot/proto.h"
#include "knotctl.h"
#include "routine.h"
#include "show.h"
#include "side.h"
#include "term.h"
#include "watch.h"
#include "words.h"

#define KNOTCTL_FRESH_POLL_MS 20    /* status: how often to ask again for the look knotd started */
#define KNOTCTL_FRESH_MS 1000       /* at most: a massager that does not answer is shown as it is, with its age */


struct knotctl_cmd {
    const char *name;
    int min_args, max_args;
    const char *args;      /* for hints */
    const char *example;   /* for a missing argument */
    const char *missing;   /* what is missing then: "an AREA" */
    const char *lister;    /* the command that lists them: "areas" */
    bool sides;            /* its words may name a side: "left calf", "calves left" */
    int (*run)(const struct knotctl_opts *o, char **argv, int argc);
};

static void knotctl_usage(FILE *out)
{
    fprintf(out,
            "Usage: knotctl [-s SOCKET] [-d SERIAL] [--json] [--detach] COMMAND [ARGS]\n"
            "\n"
            "Control knotd, the daemon that drives a percussion massager safely.\n"
            "\n"
            "Commands:\n"
            "  version             knotd's version and control protocol\n"
            "  devices             connected massagers: serial, levels, firmware, speeds\n"
            "  status              level, session, temperature, battery and faults\n"
            "  areas [AREA]        body areas: whether the massager belongs there, limits,\n"
            "                      today's rest and dose; with AREA all of its advice\n"
            "  start AREA [LEVEL] [--side SIDE] [--warmed-up] [--auto-ramp]\n"
            "                      start a session: level 1 for a short trial, then, on\n"
            "                      your go-ahead, one level at a time up to LEVEL (default:\n"
            "                      the area's); follows it until it ends, Ctrl-C stops the\n"
            "                      motor. The area's first session today asks first\n"
            "                      whether the muscle is warm. On a terminal: keys o or\n"
            "                      space = ouch, + - = up, down, q or Esc = stop; after\n"
            "                      the trial Enter or + is the go-ahead (elsewhere:\n"
            "                      knotctl go). Closing the terminal or killing knotctl\n"
            "                      stops the session too. Sides: 'start left calf'\n"
            "  routines            the routines knotd knows: name, title, steps\n"
            "  routine NAME [--warmed-up]\n"
            "                      run a routine, one session a step, as start runs one;\n"
            "                      between steps Enter goes on, s skips, q stops. A step\n"
            "                      that may not run now is skipped and said; after pain\n"
            "                      it asks whether to go on. A summary at the end\n"
            "  stop                motor off (every massager unless -d names one)\n"
            "  up, down            raise or lower the target level by one\n"
            "  ouch                back off to level 1 at once; the trial starts again;\n"
            "                      a second ouch at level 1 stops the session\n"
            "  go                  let the ramp begin after the trial (a session waiting\n"
            "                      for the go-ahead)\n"
            "  watch               show knotd's events as they happen, until Ctrl-C\n"
            "  checkin AREA --pain 0-10 [--numbness] [--tingling] [--weakness] [--swelling]\n"
            "          [--bruising] [--sleep] [--note TEXT] [--side SIDE]\n"
            "                      how the area feels, on the care record; a red flag keeps\n"
            "                      the massager off it until 'checkin AREA --clear'\n"
            "  checkin AREA --clear [--yes] [--side SIDE]\n"
            "                      clear the area's red flags knowingly (after seeing a\n"
            "                      professional, or sure): asks on a terminal, else --yes\n"
            "  history [AREA] [--days N] [--csv] [--side SIDE]\n"
            "                      sessions and check-ins of the last N days (default 14)\n"
            "                      and the care advice: a chart by day on a terminal, else\n"
            "                      a line a record; --csv for a spreadsheet\n"
            "  doctor [CONFIG]     what stands between you and a session: knotd running or\n"
            "                      ready to start, your right to the socket, a massager,\n"
            "                      the files (CONFIG, default: the ones knotd runs on),\n"
            "                      the journal; each line ok or problem, with the fix\n"
            "  help [COMMAND]      this help, or one command's\n"
            "\n"
            "Options:\n"
            "  -s, --socket PATH    control socket (default: $%s, else %s)\n"
            "  -d, --device SERIAL  the massager to use when several are connected\n"
            "      --json           print knotd's JSON lines instead of text\n"
            "      --detach         start: return once the session runs, do not follow it;\n"
            "                       the session then ends only by itself or on stop\n"
            "      --side SIDE      start, checkin, history: left or right, of an area of two\n"
            "                       (also said as a word: left calf, calves left)\n"
            "      --warmed-up      start, routine: the muscle is warm (15-20 minutes of\n"
            "                       warmth): the day's first session starts without asking\n"
            "      --auto-ramp      start: ramp after the trial without waiting for a\n"
            "                       go-ahead (nobody to answer: use with care)\n"
            "      --pain N         checkin: pain from 0 (none) to 10 (the worst)\n"
            "      --numbness ... --sleep\n"
            "                       checkin: red flags (--sleep: the pain disrupts your sleep)\n"
            "      --note TEXT      checkin: a note, at most 200 bytes\n"
            "      --clear, --yes   checkin: clear the red flags; --yes: without asking\n"
            "      --days N         history: today and the N-1 days before, 1 to 365\n"
            "      --csv            history: CSV (RFC 4180), one row a session or check-in\n"
            "  -h, --help           this help; after a COMMAND, that command's\n"
            "  -V, --version        knotctl's version\n"
            "\n"
            "Exit status: 0 ok, %d knotd refused (or the session or routine ended early), %d\n"
            "usage (also: no side said for an area with two, off a terminal),\n"
            "%d knotd not reachable, %d permission, %d unexpected reply, %d status: a fault\n"
            "latched, a massager that does not answer, or none connected; 130 stopped with\n"
            "Ctrl-C, 129 stopped as the terminal closed (SIGHUP), 143 stopped by SIGTERM.\n",
            KNOT_SOCKET_ENV, KNOT_SOCKET_DEFAULT, KNOTCTL_EXIT_REFUSED, KNOTCTL_EXIT_USAGE,
            KNOTCTL_EXIT_NOT_CONNECTED, KNOTCTL_EXIT_PERMISSION, KNOTCTL_EXIT_PROTOCOL, KNOTCTL_EXIT_ATTENTION);
}

/* Send one request, print the reply (raw with --json, else through show()). */
static int knotctl_one(const struct knotctl_opts *o, json_object *req, json_object **keep,
                       void (*show)(json_object *reply))
{
    json_object *reply;
    int rc = conn_call(o->socket, o->json, req, &reply);

    if (rc == 0 && !o->json && show)
        show(reply);
    if (rc == 0 && keep)
        *keep = reply;
    else
        json_object_put(reply);
    return rc;
}

static int knotctl_version(const struct knotctl_opts *o, char **argv, int argc)
{
    (void)argv;
    (void)argc;
    return knotctl_one(o, conn_request_new("version", NULL), NULL, show_version);
}

static int knotctl_devices(const struct knotctl_opts *o, char **argv, int argc)
{
    (void)argv;
    (void)argc;
    return knotctl_one(o, conn_request_new("devices", NULL), NULL, show_devices);
}

static long long knotctl_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether a status reply holds readings that were not fresh (KNOT_FRESH_MS)
 * when the person asked, waited_ms ago (read_ago_ms -1: none yet, nothing to
 * wait for). */
static bool knotctl_stale(json_object *reply, long long waited_ms)
{
    json_object *devs = jv_arr(reply, "devices");

    for (size_t i = 0; devs && i < json_object_array_length(devs); i++)
        if (jv_int(json_object_array_get_idx(devs, i), "read_ago_ms", -1) > waited_ms + KNOT_FRESH_MS)
            return true;
    return false;
}

/* What a script asks of status, as systemctl is-active answers: is every
 * massager there, answering, without a fault latched? (A running session is
 * no trouble; a fault, a silent massager or none at all is.) */
static bool knotctl_attention(json_object *reply)
{
    json_object *devs = jv_arr(reply, "devices");
    size_t n = devs ? json_object_array_length(devs) : 0;

    for (size_t i = 0; i < n; i++) {
        json_object *d = json_object_array_get_idx(devs, i), *faults = jv_arr(d, "faults");

        if (!jv_bool(d, "connected", true) || !jv_bool(d, "answering", true) ||
            (faults && json_object_array_length(faults) > 0))
            return true;
    }
    return n == 0;
}

static int knotctl_status(const struct knotctl_opts *o, char **argv, int argc)
{
    long long asked_ms = knotctl_mono_ms();
    json_object *reply = NULL;
    int rc = conn_call(o->socket, false, conn_request_new("status", o->device), &reply);

    (void)argv;
    (void)argc;
    /* Idle, knotd reads a massager only when someone asks: this status
     * started a look, and the one shown waits for its readings (a few
     * milliseconds; at most KNOTCTL_FRESH_MS for one that does not answer).
     * Timed after each reply: a reading taken since the asking is never older. */
    while (rc == 0 && knotctl_stale(reply, knotctl_mono_ms() - asked_ms) &&
           knotctl_mono_ms() - asked_ms < KNOTCTL_FRESH_MS) {
        poll(NULL, 0, KNOTCTL_FRESH_POLL_MS);
        json_object_put(reply);
        rc = conn_call(o->socket, false, conn_request_new("status", o->device), &reply);
    }
    json_object_put(reply);
    if (rc)
        return rc;   /* said once, by conn_call */
    /* The one shown, as knotd wrote it (--json) or said for a person. */
    reply = NULL;
    rc = knotctl_one(o, conn_request_new("status", o->device), &reply, show_status);
    if (rc == 0 && knotctl_attention(reply))
        rc = KNOTCTL_EXIT_ATTENTION;
    json_object_put(reply);
    return rc;
}

static int knotctl_areas(const struct knotctl_opts *o, char **argv, int argc)
{
    return areas_run(o, argc ? argv[0] : NULL);
}

/* status and stop sent together, so the stop waits for no round trip: knotd
 * answers in request order, and the status says which sessions ran (and
 * their stretch) just before this stop ended them. */
static int knotctl_stop(const struct knotctl_opts *o, char **argv, int argc)
{
    json_object *stop = conn_request_new("stop", o->device), *status = conn_request_new("status", o->device);
    json_object *before = NULL, *reply = NULL;
    char *raw = NULL;
    struct conn c;
    int rc = conn_open(&c, o->socket);

    (void)argv;
    (void)argc;
    if (rc == 0 && !o->json)
        rc = conn_send(&c, status);
    if (rc == 0)
        rc = conn_send(&c, stop);
    if (rc == 0 && !o->json)
        rc = conn_reply(&c, &before, NULL);
    if (rc == 0)
        rc = conn_reply(&c, &reply, &raw);
    if (rc == 0 && o->json)
        printf("%s\n", raw);
    if (rc == 0)
        rc = conn_check(reply, o->json);
    if (rc == 0 && !o->json) {
        show_stopped(reply);
        /* After every end the stretch, as the view of a followed session says it. */
        if (conn_check(before, true) == 0)
            show_stopped_aftercare(reply, before);
    }
    conn_close(&c);
    json_object_put(stop);
    json_object_put(status);
    json_object_put(before);
    json_object_put(reply);
    free(raw);
    return rc;
}

static int knotctl_target(const struct knotctl_opts *o, const char *cmd)
{
    json_object *reply = NULL, *s;
    int rc = knotctl_one(o, conn_request_new(cmd, o->device), &reply, NULL);

    if (rc || o->json) {
        json_object_put(reply);
        return rc;
    }
    s = jv_obj(reply, "session");
    /* A second ouch at level 1 ended the session: say so, and what to do. */
    if (strcmp(jv_str(s, "phase", ""), KNOT_PHASE_ENDED) == 0) {
        char why[256];

        term_line("%s", show_end(jv_str(s, "end", ""), NULL, why, sizeof(why)));
        if (jv_str(s, KNOT_K_ADVICE, "")[0])
            term_line("%s", jv_str(s, KNOT_K_ADVICE, ""));
        json_object_put(reply);
        return 0;
    }
    /* The session carries its step_s: no second request for the area list. */
    show_target(cmd, s, strcmp(cmd, "ouch") != 0 && jv_int(s, "level", 0) < jv_int(s, "target", 0)
                            ? jv_int(s, "step_s", 0) : 0);
    json_object_put(reply);
    return 0;
}

static int knotctl_up(const struct knotctl_opts *o, char **argv, int argc)
{
    (void)argv;
    (void)argc;
    return knotctl_target(o, "up");
}

static int knotctl_down(const struct knotctl_opts *o, char **argv, int argc)
{
    (void)argv;
    (void)argc;
    return knotctl_target(o, "down");
}

static int knotctl_ouch(const struct knotctl_opts *o, char **argv, int argc)
{
    (void)argv;
    (void)argc;
    return knotctl_target(o, "ouch");
}

static int knotctl_go(const struct knotctl_opts *o, char **argv, int argc)
{
    (void)argv;
    (void)argc;
    return knotctl_target(o, KNOT_CMD_GO);
}

static int knotctl_start(const struct knotctl_opts *o, char **argv, int argc)
{
    long long level = 0;
    struct follow_step step = { 0 };

    if (argc == 2) {
        char *end;
        errno = 0;
        level = strtoll(argv[1], &end, 10);
        /* A word, not a number: most likely an area of two words, unquoted. */
        if (end == argv[1] || *end) {
            fail(FAIL_USAGE, "'%s' is no LEVEL (a whole number); an area of two words goes in quotes or "
                    "with a dash: knotctl start \"%s %s\"", argv[1], argv[0], argv[1]);
            return KNOTCTL_EXIT_USAGE;
        }
        /* knotd names the real limit (the area's, the massager's); this only catches the impossible. */
        if (errno || level < 1 || level > 999) {
            fail(FAIL_USAGE, "LEVEL must be a whole number from 1 up, not '%s'", argv[1]);
            return KNOTCTL_EXIT_USAGE;
        }
    }
    if (!argv[0][0]) {
        fail(FAIL_USAGE, "AREA must not be empty; 'knotctl areas' lists them");
        return KNOTCTL_EXIT_USAGE;
    }
    step.area = argv[0];
    step.side = o->side;
    step.level = level;
    return follow_start(o, &step, NULL);
}

static int knotctl_routines(const struct knotctl_opts *o, char **argv, int argc)
{
    (void)argv;
    (void)argc;
    return routine_list(o);
}

static int knotctl_routine(const struct knotctl_opts *o, char **argv, int argc)
{
    (void)argc;
    /* A routine's steps are followed sessions, each the view's own. */
    if (o->detach || o->auto_ramp) {
        fail(FAIL_USAGE, "a routine is followed step by step: no --detach or --auto-ramp");
        return KNOTCTL_EXIT_USAGE;
    }
    if (!argv[0][0]) {
        fail(FAIL_USAGE, "NAME must not be empty; 'knotctl routines' lists them");
        return KNOTCTL_EXIT_USAGE;
    }
    return routine_run(o, argv[0]);
}

static int knotctl_watch(const struct knotctl_opts *o, char **argv, int argc)
{
    (void)argv;
    (void)argc;
    return watch_run(o);
}

static int knotctl_checkin(const struct knotctl_opts *o, char **argv, int argc)
{
    (void)argc;
    return checkin_run(o, argv[0]);
}

static int knotctl_history(const struct knotctl_opts *o, char **argv, int argc)
{
    return history_run(o, argc ? argv[0] : NULL);
}

static int knotctl_doctor(const struct knotctl_opts *o, char **argv, int argc)
{
    /* Its lines are for a person: there is no JSON of them to print. */
    if (o->json || o->detach) {
        fail(FAIL_USAGE, "doctor takes neither --json nor --detach");
        return KNOTCTL_EXIT_USAGE;
    }
    if (argc && !argv[0][0]) {
        fail(FAIL_USAGE, "CONFIG must not be empty; leave it out for the knotd.conf knotd reads");
        return KNOTCTL_EXIT_USAGE;
    }
    return doctor_run(o, argc ? argv[0] : NULL);
}

static int knotctl_help(const struct knotctl_opts *o, char **argv, int argc);

static const struct knotctl_cmd knotctl_cmds[] = {
    { "version", 0, 0, "", NULL, NULL, NULL, false, knotctl_version },
    { "devices", 0, 0, "", NULL, NULL, NULL, false, knotctl_devices },
    { "status", 0, 0, "", NULL, NULL, NULL, false, knotctl_status },
    { "areas", 0, 1, " [AREA]", NULL, NULL, NULL, false, knotctl_areas },
    { "start", 1, 2, " AREA [LEVEL] [--side SIDE]", "start calves", "an AREA", "areas", true, knotctl_start },
    { "routines", 0, 0, "", NULL, NULL, NULL, false, knotctl_routines },
    { "routine", 1, 1, " NAME", "routine runner", "a NAME", "routines", false, knotctl_routine },
    { "stop", 0, 0, "", NULL, NULL, NULL, false, knotctl_stop },
    { "up", 0, 0, "", NULL, NULL, NULL, false, knotctl_up },
    { "down", 0, 0, "", NULL, NULL, NULL, false, knotctl_down },
    { "ouch", 0, 0, "", NULL, NULL, NULL, false, knotctl_ouch },
    { "go", 0, 0, "", NULL, NULL, NULL, false, knotctl_go },
    { "watch", 0, 0, "", NULL, NULL, NULL, false, knotctl_watch },
    { "checkin", 1, 1, " AREA --pain 0-10 [flags] [--note TEXT] | AREA --clear [--side SIDE]",
      "checkin calves --pain 4", "an AREA", "areas", true, knotctl_checkin },
    { "history", 0, 1, " [AREA] [--days N] [--csv] [--side SIDE]", NULL, NULL, NULL, true, knotctl_history },
    { "doctor", 0, 1, " [CONFIG]", NULL, NULL, NULL, false, knotctl_doctor },
    { "help", 0, 1, " [COMMAND]", NULL, NULL, NULL, false, knotctl_help },
};

/* Whether a command's first line in the usage ("  NAME ARGS" or "  up, down")
 * names name. */
static bool knotctl_help_names(const char *line, const char *name)
{
    size_t n = strlen(name);

    for (const char *p = line + 2;; p += 2) {
        if (strncmp(p, name, n) == 0 && (p[n] == ' ' || p[n] == ',' || p[n] == '\0'))
            return true;
        p += strcspn(p, ", ");
        if (strncmp(p, ", ", 2) != 0)
            return false;
    }
}

/* An option's description starts at this column of the usage. */
#define KNOTCTL_HELP_DESC_COL 23

/* Whether a list of commands ("start, checkin, history", "start") names name. */
static bool knotctl_names(const char *list, size_t len, const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; i < len; i += strcspn(list + i, ", ")) {
        i += strspn(list + i, ", ");
        if (i + n <= len && strncmp(list + i, name, n) == 0 && (i + n == len || strchr(", ", list[i + n])))
            return true;
    }
    return false;
}

/* Whether the option entry whose lines are text[from..to) is the command's:
 * its description starts "NAME:" (as "--days N  history: ..."), or a list
 * of commands with it ("start, routine: ..."). */
static bool knotctl_help_option_of(char **lines, size_t from, size_t to, const char *name)
{
    for (size_t i = from; i < to; i++) {
        /* A description follows at least two blanks: "--numbness ... --sleep" runs past the column. */
        const char *d = strlen(lines[i]) > KNOTCTL_HELP_DESC_COL && lines[i][KNOTCTL_HELP_DESC_COL - 1] == ' ' &&
                        lines[i][KNOTCTL_HELP_DESC_COL - 2] == ' ' ? lines[i] + KNOTCTL_HELP_DESC_COL : "";

        if (*d && *d != ' ') {
            size_t list = strcspn(d, ":");

            return d[list] == ':' && strspn(d, "abcdefghijklmnopqrstuvwxyz, ") == list && knotctl_names(d, list, name);
        }
    }
    return false;
}

/* One line of an option's entry in a command's help: an entry of several
 * commands ("start, checkin, history: left or right") says the one asked. */
static void knotctl_help_option_line(const char *line, const char *name)
{
    const char *d = strlen(line) > KNOTCTL_HELP_DESC_COL ? line + KNOTCTL_HELP_DESC_COL : "";
    size_t list = strcspn(d, ":");

    if (d[0] && d[0] != ' ' && d[list] == ':' && strchr(d, ',') && strchr(d, ',') < d + list)
        printf("%.*s%s%s\n", KNOTCTL_HELP_DESC_COL, line, name, d + list);
    else
        printf("%s\n", line);
}

/* knotctl help CMD, knotctl CMD --help: the command's lines of the usage, and
 * the options that go with it, both taken from the one usage text. */
static int knotctl_help_one(const struct knotctl_cmd *cmd)
{
    char *text = NULL, *save = NULL, *lines[128];
    size_t len = 0, n = 0, opts = 0;
    FILE *f = open_memstream(&text, &len);
    bool in = false, said = false;

    if (!f)
        return KNOTCTL_EXIT_USAGE;
    knotctl_usage(f);
    fclose(f);
    for (char *l = strtok_r(text, "\n", &save); l && n < sizeof(lines) / sizeof(lines[0]);
         l = strtok_r(NULL, "\n", &save))
        lines[n++] = l;
    printf("Usage: knotctl [-s SOCKET] [-d SERIAL] [--json] %s%s\n\n", cmd->name, cmd->args);
    for (size_t i = 0; i < n && !opts; i++) {
        /* A command's first line starts "  NAME" at column 2; its other lines are indented further. */
        if (lines[i][0] == ' ' && lines[i][1] == ' ' && lines[i][2] != ' ')
            in = knotctl_help_names(lines[i], cmd->name);
        else if (lines[i][0] != ' ')
            in = false;
        if (in)
            printf("%s\n", lines[i]);
        if (strcmp(lines[i], "Options:") == 0)
            opts = i + 1;
    }
    /* Each option entry: a line starting "  -" or "      --", then its deeper lines. */
    for (size_t i = opts; opts && i < n && lines[i][0] == ' ';) {
        size_t end = i + 1;

        while (end < n && strncmp(lines[end], "  -", 3) != 0 && strncmp(lines[end], "      -", 7) != 0 &&
               lines[end][0] == ' ')
            end++;
        if (knotctl_help_option_of(lines, i, end, cmd->name)) {
            if (!said)
                printf("\nOptions of %s:\n", cmd->name);
            said = true;
            for (size_t k = i; k < end; k++)
                knotctl_help_option_line(lines[k], cmd->name);
        }
        i = end;
    }
    free(text);
    printf("\n(knotctl --help: every command and option; man knotctl: the whole of it)\n");
    return KNOTCTL_EXIT_OK;
}

static const struct knotctl_cmd *knotctl_find(const char *name)
{
    for (size_t i = 0; i < sizeof(knotctl_cmds) / sizeof(knotctl_cmds[0]); i++)
        if (strcmp(name, knotctl_cmds[i].name) == 0)
            return &knotctl_cmds[i];
    return NULL;
}

static int knotctl_help(const struct knotctl_opts *o, char **argv, int argc)
{
    const struct knotctl_cmd *cmd;

    (void)o;
    if (argc == 0) {
        knotctl_usage(stdout);
        return KNOTCTL_EXIT_OK;
    }
    cmd = knotctl_find(argv[0]);
    if (!cmd) {
        fail(FAIL_USAGE, "no command '%s'; try 'knotctl --help'", argv[0]);
        return KNOTCTL_EXIT_USAGE;
    }
    return knotctl_help_one(cmd);
}

enum { OPT_JSON = 256, OPT_DETACH, OPT_PAIN, OPT_NOTE, OPT_CLEAR, OPT_YES, OPT_DAYS, OPT_CSV, OPT_WARMED_UP,
       OPT_AUTO_RAMP, OPT_SIDE, OPT_FLAG };

/* Every option: the global ones (cmd NULL) and those of some commands
 * ("start checkin": a list), which may stand anywhere on the line (getopt
 * permutes) but go with them only. The
 * red flags follow it, one option each (OPT_FLAG + i: words_flag_names[i]). */
static const struct knotctl_opt {
    const char *name;
    int has_arg, val;
    const char *cmd;
} knotctl_opt_table[] = {
    { "socket", required_argument, 's', NULL },
    { "device", required_argument, 'd', NULL },
    { "json", no_argument, OPT_JSON, NULL },
    { "detach", no_argument, OPT_DETACH, NULL },
    { "help", no_argument, 'h', NULL },
    { "version", no_argument, 'V', NULL },
    { "pain", required_argument, OPT_PAIN, "checkin" },
    { "note", required_argument, OPT_NOTE, "checkin" },
    { "clear", no_argument, OPT_CLEAR, "checkin" },
    { "yes", no_argument, OPT_YES, "checkin" },
    { "days", required_argument, OPT_DAYS, "history" },
    { "csv", no_argument, OPT_CSV, "history" },
    { "warmed-up", no_argument, OPT_WARMED_UP, "start routine" },
    { "auto-ramp", no_argument, OPT_AUTO_RAMP, "start" },
    { "side", required_argument, OPT_SIDE, "start checkin history" },
};

#define KNOTCTL_FIXED_OPTS (sizeof(knotctl_opt_table) / sizeof(knotctl_opt_table[0]))
#define KNOTCTL_OPTS (KNOTCTL_FIXED_OPTS + WORDS_FLAGS)

/* The getopt table of them all (the red flags' after the fixed ones), ended by zeros. */
static void knotctl_longopts(struct option *out)
{
    for (size_t i = 0; i < KNOTCTL_FIXED_OPTS; i++)
        out[i] = (struct option){ knotctl_opt_table[i].name, knotctl_opt_table[i].has_arg, NULL,
                                  knotctl_opt_table[i].val };
    for (int i = 0; i < WORDS_FLAGS; i++)
        out[KNOTCTL_FIXED_OPTS + (size_t)i] = (struct option){ words_flag_names[i], no_argument, NULL, OPT_FLAG + i };
    out[KNOTCTL_OPTS] = (struct option){ NULL, 0, NULL, 0 };
}

/* The commands the option at longopts index i belongs to ("start checkin"), or NULL. */
static const char *knotctl_opt_cmd(size_t i)
{
    return i < KNOTCTL_FIXED_OPTS ? knotctl_opt_table[i].cmd : "checkin";
}

/* "start checkin history" as a sentence says it: "'start', 'checkin' or 'history'". */
static void knotctl_said(char *buf, size_t len, const char *cmds)
{
    const char *p = cmds + strspn(cmds, " ");
    size_t used = 0;

    buf[0] = '\0';
    while (*p && used < len) {
        size_t w = strcspn(p, " ");
        const char *next = p + w + strspn(p + w, " ");
        int k = snprintf(buf + used, len - used, "%s'%.*s'", used == 0 ? "" : *next ? ", " : " or ", (int)w, p);

        if (k < 0)
            break;
        used += (size_t)k;
        p = next;
    }
}

/* A value option's value, which is given once: 0, or the usage exit code, said. */
static int knotctl_once(const char **slot, const char *name, const char *value)
{
    if (*slot) {
        fail(FAIL_USAGE, "--%s is given twice ('%s', then '%s')", name, *slot, value);
        return KNOTCTL_EXIT_USAGE;
    }
    *slot = value;
    return 0;
}

int main(int argc, char **argv)
{
    struct option longopts[KNOTCTL_OPTS + 1];
    bool given[KNOTCTL_OPTS] = { false };
    struct knotctl_opts o = { 0 };
    const struct knotctl_cmd *cmd = NULL;
    int c, nargs, index, rc = 0;
    bool help = false;

    knotctl_longopts(longopts);
    /* Known before the options are read, so that an error in them is JSON too. */
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--json") == 0)
            fail_json(true);
    opterr = 0;   /* our own one-line messages */
    while ((index = -1, c = getopt_long(argc, argv, ":s:d:hV", longopts, &index)) != -1) {
        if (index >= 0)
            given[index] = true;
        switch (c) {
        case 's':
            o.socket = optarg;
            break;
        case 'd':
            o.device = optarg;
            break;
        case OPT_JSON:
            o.json = true;
            fail_json(true);   /* also when typed short, as --js */
            break;
        case OPT_DETACH:
            o.detach = true;
            break;
        case OPT_PAIN:
            rc = knotctl_once(&o.pain, "pain", optarg);
            break;
        case OPT_NOTE:
            rc = knotctl_once(&o.note, "note", optarg);
            break;
        case OPT_CLEAR:
            o.clear = true;
            break;
        case OPT_YES:
            o.yes = true;
            break;
        case OPT_DAYS:
            rc = knotctl_once(&o.days, "days", optarg);
            break;
        case OPT_CSV:
            o.csv = true;
            break;
        case OPT_WARMED_UP:
            o.warmed_up = true;
            break;
        case OPT_AUTO_RAMP:
            o.auto_ramp = true;
            break;
        case OPT_SIDE:
            if (o.side) {
                fail(FAIL_USAGE, "--side is given twice ('%s', then '%s')", o.side, optarg);
                return KNOTCTL_EXIT_USAGE;
            }
            o.side = side_word(optarg);
            if (!o.side) {
                fail(FAIL_USAGE, "--side is left or right, not '%s'", optarg);
                return KNOTCTL_EXIT_USAGE;
            }
            break;
        case 'h':
            help = true;   /* the command's own, when one is named */
            break;
        case 'V':
            printf("knotctl %s (control protocol %d)\n", KNOT_VERSION, KNOT_CONTROL_VERSION);
            return KNOTCTL_EXIT_OK;
        case ':':
            fail(FAIL_USAGE, "option '%s' needs a value; try 'knotctl --help'", argv[optind - 1]);
            return KNOTCTL_EXIT_USAGE;
        default:
            if (c >= OPT_FLAG && c < OPT_FLAG + WORDS_FLAGS) {
                o.flags |= 1u << (c - OPT_FLAG);
                break;
            }
            if (optopt)
                fail(FAIL_USAGE, "unknown option '-%c'; try 'knotctl --help'", optopt);
            else if (strncmp(argv[optind - 1], "--level", 7) == 0)
                /* A level is no option: it follows the area. */
                fail(FAIL_USAGE, "unknown option '%s'; LEVEL follows AREA: knotctl start calves 2",
                        argv[optind - 1]);
            else
                fail(FAIL_USAGE, "unknown option '%s'; try 'knotctl --help'", argv[optind - 1]);
            return KNOTCTL_EXIT_USAGE;
        }
        if (rc)
            return rc;
    }
    fail_json(o.json);   /* "--json" as another option's value is no --json */
    if (help) {
        char *name = optind < argc ? argv[optind] : NULL;

        return knotctl_help(&o, &name, name ? 1 : 0);
    }
    if (!o.socket)
        o.socket = getenv(KNOT_SOCKET_ENV);
    if (!o.socket || !o.socket[0])
        o.socket = KNOT_SOCKET_DEFAULT;
    if (o.device && !o.device[0]) {
        fail(FAIL_USAGE, "-d needs a serial; 'knotctl devices' lists them");
        return KNOTCTL_EXIT_USAGE;
    }

    if (optind >= argc) {
        fail(FAIL_USAGE, "no command given; try 'knotctl --help'");
        return KNOTCTL_EXIT_USAGE;
    }
    cmd = knotctl_find(argv[optind]);
    if (!cmd) {
        const char *names[sizeof(knotctl_cmds) / sizeof(knotctl_cmds[0])], *near;

        for (size_t i = 0; i < sizeof(knotctl_cmds) / sizeof(knotctl_cmds[0]); i++)
            names[i] = knotctl_cmds[i].name;
        near = words_nearest(argv[optind], names, sizeof(names) / sizeof(names[0]));
        if (near)
            fail(FAIL_USAGE, "unknown command '%s'; did you mean '%s'? (knotctl --help lists them)",
                    argv[optind], near);
        else
            fail(FAIL_USAGE, "unknown command '%s'; try 'knotctl --help'", argv[optind]);
        return KNOTCTL_EXIT_USAGE;
    }
    /* A command's options with that command only: --pain says nothing to start. */
    for (size_t i = 0; i < KNOTCTL_OPTS; i++) {
        const char *cmds = knotctl_opt_cmd(i);

        if (given[i] && cmds && !knotctl_names(cmds, strlen(cmds), cmd->name)) {
            char list[64];

            knotctl_said(list, sizeof(list), cmds);
            fail(FAIL_USAGE, "--%s goes with %s, not '%s'; try 'knotctl --help'", longopts[i].name, list,
                    cmd->name);
            return KNOTCTL_EXIT_USAGE;
        }
    }
    nargs = argc - optind - 1;
    /* "left calf", "calves left": the side taken out, the area and level left. */
    if (cmd->sides) {
        char why[160];

        if (side_args(argv + optind + 1, &nargs, &o.side, why, sizeof(why))) {
            fail(FAIL_USAGE, "%s", why);
            return KNOTCTL_EXIT_USAGE;
        }
    }
    if (nargs < cmd->min_args || nargs > cmd->max_args) {
        if (cmd->example && nargs == 0)
            fail(FAIL_USAGE, "%s needs %s, e.g. 'knotctl %s'; 'knotctl %s' lists them", cmd->name, cmd->missing,
                    cmd->example, cmd->lister);
        else if (cmd->max_args == 0)
            fail(FAIL_USAGE, "'%s' takes no arguments (use -d SERIAL to pick a massager)", cmd->name);
        else
            fail(FAIL_USAGE, "too many arguments; usage: knotctl %s%s", cmd->name, cmd->args);
        return KNOTCTL_EXIT_USAGE;
    }
    term_init();
    return cmd->run(&o, argv + optind + 1, nargs);
}
