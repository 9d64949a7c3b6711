/* SPDX-License-Identifier: MIT */
/* main.c - knot-sim: plugs virtual massagers into a umockdev testbed and runs a command against them. */
#include <errno.h>
#include <getopt.h>
#include <glib-unix.h>
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <umockdev.h>
#include <unistd.h>

#include "ctl.h"
#include "trace.h"
#include "usbfs.h"
#include "knot/num.h"


#define SIM_MAX_DEVICES 8
#define SIM_TICK_MS 10

struct sim_opts {
    const char *trace;
    const char *ctl;
    const char *serial;
    unsigned levels, watchdog_ms, devices;
    unsigned vid, pid;
    bool unplugged;
    bool trace_requests;
    bool proto_1_0, proto_1_1;
};

static GMainLoop *sim_loop;
static GPid sim_child;
static int sim_status = 1;
static struct usbfs_dev *sim_devs[SIM_MAX_DEVICES];
static size_t sim_ndevs;

static void sim_usage(FILE *f)
{
    fprintf(f,
        "Usage: knot-sim [OPTION...] -- COMMAND [ARG...]\n"
        "Plug virtual knot massagers into a umockdev testbed and run COMMAND under\n"
        "the umockdev preload, so that it sees them through the real libusb path.\n"
        "Exits with COMMAND's status (128+N if it died of signal N).\n\n"
        "  --trace FILE        append one line per device event to FILE\n"
        "  --trace-requests    also trace every control request the device receives\n"
        "  --ctl PATH          fault-injection socket (see docs/SIM.md)\n"
        "  --levels N          motor levels, 1..%d (default 5)\n"
        "  --serial S          serial number (default KNOTSIM1); with --devices K\n"
        "                      the others are S-2, S-3...\n"
        "  --watchdog-ms MS    device watchdog (default %d)\n"
        "  --protocol 1.0|1.1|1.2  protocol the massagers speak (default 1.2; 1.0 has no\n"
        "                      envelope of its own, and before 1.2 every request\n"
        "                      feeds the watchdog, a monitor's read too)\n"
        "  --devices K         number of massagers, 1..%d (default 1)\n"
        "  --vid HEX, --pid HEX  USB IDs (default %04x:%04x)\n"
        "  --unplugged         start with every massager unplugged\n"
        "  -h, --help          show this help\n"
        "  -V, --version       show the version\n",
        KNOT_MAX_LEVELS, KNOT_WATCHDOG_MS_DEFAULT, SIM_MAX_DEVICES, KNOT_USB_VID, KNOT_USB_PID);
}


static int sim_parse(int argc, char **argv, struct sim_opts *o)
{
    enum { O_TRACE = 256, O_CTL, O_LEVELS, O_SERIAL, O_WD, O_DEVICES, O_VID, O_PID, O_UNPLUGGED, O_TRACE_REQ,
           O_PROTOCOL };
    static const struct option longopts[] = {
        { "trace", required_argument, NULL, O_TRACE },
        { "ctl", required_argument, NULL, O_CTL },
        { "levels", required_argument, NULL, O_LEVELS },
        { "serial", required_argument, NULL, O_SERIAL },
        { "watchdog-ms", required_argument, NULL, O_WD },
        { "devices", required_argument, NULL, O_DEVICES },
        { "vid", required_argument, NULL, O_VID },
        { "pid", required_argument, NULL, O_PID },
        { "unplugged", no_argument, NULL, O_UNPLUGGED },
        { "trace-requests", no_argument, NULL, O_TRACE_REQ },
        { "protocol", required_argument, NULL, O_PROTOCOL },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { 0 },
    };
    int c;

    *o = (struct sim_opts){ .serial = "KNOTSIM1", .levels = 5, .watchdog_ms = KNOT_WATCHDOG_MS_DEFAULT,
                            .devices = 1, .vid = KNOT_USB_VID, .pid = KNOT_USB_PID };
    while ((c = getopt_long(argc, argv, "+hV", longopts, NULL)) != -1) {
        bool ok = true;
        switch (c) {
        case O_TRACE: o->trace = optarg; break;
        case O_CTL: o->ctl = optarg; break;
        case O_SERIAL:
            ok = *optarg && strlen(optarg) <= KNOT_SERIAL_LEN - 2;
            o->serial = optarg;
            break;
        case O_LEVELS: ok = knot_uint(optarg, 10, 1, KNOT_MAX_LEVELS, &o->levels); break;
        case O_WD: ok = knot_uint(optarg, 10, 10, 60000, &o->watchdog_ms); break;
        case O_DEVICES: ok = knot_uint(optarg, 10, 1, SIM_MAX_DEVICES, &o->devices); break;
        case O_VID: ok = knot_uint(optarg, 16, 0, 0xffff, &o->vid); break;
        case O_PID: ok = knot_uint(optarg, 16, 0, 0xffff, &o->pid); break;
        case O_UNPLUGGED: o->unplugged = true; break;
        case O_TRACE_REQ: o->trace_requests = true; break;
        case O_PROTOCOL:
            ok = !strcmp(optarg, "1.0") || !strcmp(optarg, "1.1") || !strcmp(optarg, "1.2");
            o->proto_1_0 = !strcmp(optarg, "1.0");
            o->proto_1_1 = !strcmp(optarg, "1.1");
            break;
        case 'h': sim_usage(stdout); exit(0);
        case 'V': printf("knot-sim %s (protocol %d.%d)\n", KNOT_VERSION, KNOT_PROTO_MAJOR, KNOT_PROTO_MINOR); exit(0);
        default: sim_usage(stderr); return -EINVAL;
        }
        if (!ok) {
            fprintf(stderr, "knot-sim: invalid value '%s' for --%s\n", optarg, longopts[c - O_TRACE].name);
            return -EINVAL;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "knot-sim: no COMMAND given (knot-sim [OPTION...] -- COMMAND)\n");
        return -EINVAL;
    }
    return optind;
}

/* libumockdev-preload must be loaded into this process too: it is what lets the
 * testbed's uevents reach the netlink sockets of the command (see DEVELOPERS.md). */
static void sim_reexec_preloaded(char **argv)
{
    const char *old = getenv("LD_PRELOAD");
    const char *asan = getenv("ASAN_OPTIONS");
    char *preload, *asan_opts;

    /* Checked through our own marker: the re-executed process must not loop. */
    if (getenv("KNOT_SIM_PRELOADED"))
        return;
    g_setenv("KNOT_SIM_PRELOADED", "1", TRUE);
    preload = g_strdup_printf("libumockdev-preload.so.0%s%s", old && *old ? ":" : "", old ? old : "");
    g_setenv("LD_PRELOAD", preload, TRUE);
    /* An ASan build would refuse to start with another library preloaded first. */
    asan_opts = g_strdup_printf("%s%sverify_asan_link_order=0", asan ? asan : "", asan && *asan ? ":" : "");
    g_setenv("ASAN_OPTIONS", asan_opts, TRUE);
    execv("/proc/self/exe", argv);
    fprintf(stderr, "knot-sim: cannot re-execute under the umockdev preload: %s\n", strerror(errno));
    exit(1);
}

static gboolean sim_tick_cb(gpointer user)
{
    (void)user;
    for (size_t i = 0; i < sim_ndevs; i++)
        usbfs_tick(sim_devs[i]);
    return G_SOURCE_CONTINUE;
}

static gboolean sim_signal_cb(gpointer user)
{
    int sig = GPOINTER_TO_INT(user);

    if (sim_child > 0)
        kill(sim_child, sig);
    return G_SOURCE_CONTINUE;
}

static void sim_child_cb(GPid pid, gint status, gpointer user)
{
    (void)user;
    if (WIFEXITED(status))
        sim_status = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        sim_status = 128 + WTERMSIG(status);
    g_spawn_close_pid(pid);
    sim_child = 0;
    g_main_loop_quit(sim_loop);
}

int main(int argc, char **argv)
{
    struct sim_opts o;
    UMockdevTestbed *tb;
    GError *err = NULL;
    int first, rc;

    first = sim_parse(argc, argv, &o);
    if (first < 0)
        return 2;
    sim_reexec_preloaded(argv);

    if (o.trace && (rc = trace_open(o.trace)) < 0) {
        fprintf(stderr, "knot-sim: cannot open trace file %s: %s\n", o.trace, strerror(-rc));
        return 1;
    }
    tb = umockdev_testbed_new();
    for (unsigned i = 0; i < o.devices; i++) {
        struct usbfs_params p = { .index = i + 1, .vid = (uint16_t)o.vid, .pid = (uint16_t)o.pid,
                                  .trace_requests = o.trace_requests };
        p.dev.levels = (uint8_t)o.levels;
        p.dev.watchdog_ms = (uint16_t)o.watchdog_ms;
        p.dev.fw_version = 0x0100;
        p.dev.proto_1_0 = o.proto_1_0;
        p.dev.proto_1_1 = o.proto_1_1;
        if (i == 0)
            g_strlcpy(p.dev.serial, o.serial, sizeof(p.dev.serial));
        else
            snprintf(p.dev.serial, sizeof(p.dev.serial), "%s-%u", o.serial, i + 1);
        sim_devs[sim_ndevs++] = usbfs_new(tb, &p);
    }
    trace_event("start devices=%u", o.devices);
    if (!o.unplugged) {
        for (size_t i = 0; i < sim_ndevs; i++)
            if (usbfs_plug(sim_devs[i]) < 0)
                return 1;
    }
    if (o.ctl && (rc = ctl_listen(o.ctl, sim_devs, sim_ndevs)) < 0) {
        fprintf(stderr, "knot-sim: cannot listen on %s: %s\n", o.ctl, strerror(-rc));
        return 1;
    }

    sim_loop = g_main_loop_new(NULL, FALSE);
    g_unix_signal_add(SIGINT, sim_signal_cb, GINT_TO_POINTER(SIGINT));
    g_unix_signal_add(SIGTERM, sim_signal_cb, GINT_TO_POINTER(SIGTERM));
    g_unix_signal_add(SIGHUP, sim_signal_cb, GINT_TO_POINTER(SIGHUP));
    if (!g_spawn_async(NULL, argv + first, NULL,
                       G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_CHILD_INHERITS_STDIN,
                       NULL, NULL, &sim_child, &err)) {
        fprintf(stderr, "knot-sim: cannot run %s: %s\n", argv[first], err->message);
        g_clear_error(&err);
        sim_status = 127;
    } else {
        g_child_watch_add(sim_child, sim_child_cb, NULL);
        g_timeout_add(SIM_TICK_MS, sim_tick_cb, NULL);
        g_main_loop_run(sim_loop);
    }

    ctl_close();
    for (size_t i = 0; i < sim_ndevs; i++)
        usbfs_free(sim_devs[i]);
    trace_event("exit status=%d", sim_status);
    trace_close();
    g_object_unref(tb);
    g_main_loop_unref(sim_loop);
    return sim_status;
}
