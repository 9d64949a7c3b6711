/* knotctl.c - knotctl's command line: options, the command table and the one-request commands. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "areas.h"
#include "conn.h"
#include "follow.h"
#include "jv.h"
#include "knot/control.h"
#include "knot/proto.h"
#include "knotctl.h"
#include "show.h"
#include "term.h"
#include "watch.h"

#ifndef KNOT_VERSION
#define KNOT_VERSION "0"
#endif

struct knotctl_cmd {
    const char *name;
    int min_args, max_args;
    const char *args;   /* for hints */
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
            "  start AREA [LEVEL]  start a session: level 1 for a short trial, then one\n"
            "                      level at a time up to LEVEL (default: the area's);\n"
            "                      follows it until it ends, Ctrl-C stops the motor.\n"
            "                      On a terminal: keys o or space = ouch, + - = up, down,\n"
            "                      q or Esc = stop; after the trial it asks how it feels\n"
            "                      and goes on only on Enter or +. Closing the terminal\n"
            "                      or killing knotctl stops the session too\n"
            "  stop                motor off (every massager unless -d names one)\n"
            "  up, down            raise or lower the target level by one\n"
            "  ouch                back off to level 1 at once; the trial starts again;\n"
            "                      a second ouch at level 1 stops the session\n"
            "  go                  let the ramp begin after the trial (a session waiting\n"
            "                      for the go-ahead)\n"
            "  watch               show knotd's events as they happen, until Ctrl-C\n"
            "  help                this help\n"
            "\n"
            "Options:\n"
            "  -s, --socket PATH    control socket (default: $%s, else %s)\n"
            "  -d, --device SERIAL  the massager to use when several are connected\n"
            "      --json           print knotd's JSON lines instead of text\n"
            "      --detach         start: return once the session runs, do not follow it;\n"
            "                       the session then ends only by itself or on stop\n"
            "  -h, --help           this help\n"
            "  -V, --version        knotctl's version\n"
            "\n"
            "Exit status: 0 ok, %d knotd refused (or the session ended early), %d usage,\n"
            "%d knotd not reachable, %d permission, %d unexpected reply, 130 stopped with\n"
            "Ctrl-C, 129 stopped as the terminal closed (SIGHUP), 143 stopped by SIGTERM.\n",
            KNOT_SOCKET_ENV, KNOT_SOCKET_DEFAULT, KNOTCTL_EXIT_REFUSED, KNOTCTL_EXIT_USAGE,
            KNOTCTL_EXIT_NOT_CONNECTED, KNOTCTL_EXIT_PERMISSION, KNOTCTL_EXIT_PROTOCOL);
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

static int knotctl_status(const struct knotctl_opts *o, char **argv, int argc)
{
    (void)argv;
    (void)argc;
    return knotctl_one(o, conn_request_new("status", o->device), NULL, show_status);
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

/* The session object has no step_s; the area list has. Best effort: without
 * it the line just says "one level at a time". */
static long long knotctl_step_s(const struct knotctl_opts *o, const char *area)
{
    json_object *reply = conn_fetch(o->socket, conn_request_new("areas", NULL)), *areas = jv_arr(reply, "areas");
    long long step = 0;

    for (size_t i = 0; areas && i < json_object_array_length(areas); i++) {
        json_object *a = json_object_array_get_idx(areas, i);
        if (strcmp(jv_str(a, "name", ""), area) == 0)
            step = jv_int(a, "step_s", 0);
    }
    json_object_put(reply);
    return step;
}

static int knotctl_target(const struct knotctl_opts *o, const char *cmd)
{
    json_object *reply = NULL, *s;
    int rc = knotctl_one(o, conn_request_new(cmd, o->device), &reply, NULL);
    long long step = 0;

    if (rc || o->json) {
        json_object_put(reply);
        return rc;
    }
    s = jv_obj(reply, "session");
    /* A second ouch at level 1 ended the session: say so, and what to do. */
    if (strcmp(jv_str(s, "phase", ""), "ended") == 0) {
        char why[256];

        printf("%s\n", show_end(jv_str(s, "end", ""), NULL, why, sizeof(why)));
        if (jv_str(s, KNOT_K_ADVICE, "")[0])
            printf("%s\n", jv_str(s, KNOT_K_ADVICE, ""));
        json_object_put(reply);
        return 0;
    }
    if (strcmp(cmd, "ouch") != 0 && jv_int(s, "level", 0) < jv_int(s, "target", 0))
        step = knotctl_step_s(o, jv_str(s, "area", ""));
    show_target(cmd, s, step);
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

static int knotctl_help(const struct knotctl_opts *o, char **argv, int argc)
{
    (void)o;
    (void)argv;
    (void)argc;
    knotctl_usage(stdout);
    return KNOTCTL_EXIT_OK;
}

static int knotctl_start(const struct knotctl_opts *o, char **argv, int argc)
{
    long long level = 0;

    if (argc == 2) {
        char *end;
        errno = 0;
        level = strtoll(argv[1], &end, 10);
        /* The daemon enforces the real limits; this only catches typos. */
        if (errno || end == argv[1] || *end || level < 1 || level > KNOT_MAX_LEVELS) {
            fprintf(stderr, "knotctl: LEVEL must be a whole number from 1 to %d, not '%s'\n", KNOT_MAX_LEVELS, argv[1]);
            return KNOTCTL_EXIT_USAGE;
        }
    }
    if (!argv[0][0]) {
        fprintf(stderr, "knotctl: AREA must not be empty; 'knotctl areas' lists them\n");
        return KNOTCTL_EXIT_USAGE;
    }
    return follow_start(o, argv[0], level);
}

static int knotctl_watch(const struct knotctl_opts *o, char **argv, int argc)
{
    (void)argv;
    (void)argc;
    return watch_run(o);
}

static const struct knotctl_cmd knotctl_cmds[] = {
    { "version", 0, 0, "", knotctl_version },
    { "devices", 0, 0, "", knotctl_devices },
    { "status", 0, 0, "", knotctl_status },
    { "areas", 0, 1, " [AREA]", knotctl_areas },
    { "start", 1, 2, " AREA [LEVEL]", knotctl_start },
    { "stop", 0, 0, "", knotctl_stop },
    { "up", 0, 0, "", knotctl_up },
    { "down", 0, 0, "", knotctl_down },
    { "ouch", 0, 0, "", knotctl_ouch },
    { "go", 0, 0, "", knotctl_go },
    { "watch", 0, 0, "", knotctl_watch },
    { "help", 0, 0, "", knotctl_help },
};

int main(int argc, char **argv)
{
    enum { OPT_JSON = 256, OPT_DETACH };
    static const struct option longopts[] = {
        { "socket", required_argument, NULL, 's' },
        { "device", required_argument, NULL, 'd' },
        { "json", no_argument, NULL, OPT_JSON },
        { "detach", no_argument, NULL, OPT_DETACH },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    struct knotctl_opts o = { 0 };
    const struct knotctl_cmd *cmd = NULL;
    int c, nargs;

    opterr = 0;   /* our own one-line messages */
    while ((c = getopt_long(argc, argv, ":s:d:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            o.socket = optarg;
            break;
        case 'd':
            o.device = optarg;
            break;
        case OPT_JSON:
            o.json = true;
            break;
        case OPT_DETACH:
            o.detach = true;
            break;
        case 'h':
            knotctl_usage(stdout);
            return KNOTCTL_EXIT_OK;
        case 'V':
            printf("knotctl %s (control protocol %d)\n", KNOT_VERSION, KNOT_CONTROL_VERSION);
            return KNOTCTL_EXIT_OK;
        case ':':
            fprintf(stderr, "knotctl: option '%s' needs a value; try 'knotctl --help'\n", argv[optind - 1]);
            return KNOTCTL_EXIT_USAGE;
        default:
            if (optopt)
                fprintf(stderr, "knotctl: unknown option '-%c'; try 'knotctl --help'\n", optopt);
            else
                fprintf(stderr, "knotctl: unknown option '%s'; try 'knotctl --help'\n", argv[optind - 1]);
            return KNOTCTL_EXIT_USAGE;
        }
    }
    if (!o.socket)
        o.socket = getenv(KNOT_SOCKET_ENV);
    if (!o.socket || !o.socket[0])
        o.socket = KNOT_SOCKET_DEFAULT;
    if (o.device && !o.device[0]) {
        fprintf(stderr, "knotctl: -d needs a serial; 'knotctl devices' lists them\n");
        return KNOTCTL_EXIT_USAGE;
    }

    if (optind >= argc) {
        fprintf(stderr, "knotctl: no command given; try 'knotctl --help'\n");
        return KNOTCTL_EXIT_USAGE;
    }
    for (size_t i = 0; i < sizeof(knotctl_cmds) / sizeof(knotctl_cmds[0]); i++)
        if (strcmp(argv[optind], knotctl_cmds[i].name) == 0)
            cmd = &knotctl_cmds[i];
    if (!cmd) {
        fprintf(stderr, "knotctl: unknown command '%s'; try 'knotctl --help'\n", argv[optind]);
        return KNOTCTL_EXIT_USAGE;
    }
    nargs = argc - optind - 1;
    if (nargs < cmd->min_args || nargs > cmd->max_args) {
        if (strcmp(cmd->name, "start") == 0 && nargs == 0)
            fprintf(stderr, "knotctl: start needs an AREA, e.g. 'knotctl start calves'; 'knotctl areas' lists them\n");
        else if (cmd->max_args == 0)
            fprintf(stderr, "knotctl: '%s' takes no arguments (use -d SERIAL to pick a massager)\n", cmd->name);
        else
            fprintf(stderr, "knotctl: too many arguments; usage: knotctl %s%s\n", cmd->name, cmd->args);
        return KNOTCTL_EXIT_USAGE;
    }
    term_init();
    return cmd->run(&o, argv + optind + 1, nargs);
}
