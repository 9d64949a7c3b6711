/* SPDX-License-Identifier: MIT */
/* gadget.c - knot-gadget: the virtual massager's device core as a real USB device, on FunctionFS ep0 of a configfs gadget. */
#include "gadget.h"

#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <linux/usb/ch9.h>
#include <linux/usb/functionfs.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "gadget_ctl.h"
#include "motor_model.h"
#include "trace.h"
#include "knot/num.h"


/* While the motor moves the core is ticked this often: the watchdog fires
 * within this much of its deadline, whatever ep0 does. */
#define GADGET_TICK_MS 10
#define GADGET_EP0_MAX 4096

struct gadget_opts {
    const char *trace, *ctl, *serial, *name, *udc, *ffs;
    unsigned levels, watchdog_ms, vid, pid;
    bool unplugged, trace_requests, proto_1_0, proto_1_1;
};

static struct gadget gadget = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .unhung = PTHREAD_COND_INITIALIZER,
    .ep0 = -1,
    .kick = -1,
};
static bool gadget_ready_sent;

static void gadget_usage(FILE *f)
{
    fprintf(f,
        "Usage: knot-gadget [OPTION...]\n"
        "Be a knot massager on a USB device controller: the virtual massager's\n"
        "firmware core (sim/device.c) answers the host on FunctionFS ep0 of a\n"
        "configfs gadget with one interface (0xFF/0x4B/0x01, no endpoints).\n"
        "Needs root, configfs, libcomposite and usb_f_fs. See docs/GADGET.md.\n\n"
        "  --trace FILE        append one line per device event to FILE (as knot-sim)\n"
        "  --trace-requests    also trace every control request the device receives\n"
        "  --ctl PATH          scene and fault-injection socket (knot-sim's commands)\n"
        "  --levels N          motor levels, 1..%d (default 5)\n"
        "  --serial S          serial number (default KNOTGADGET1)\n"
        "  --watchdog-ms MS    device watchdog (default %d)\n"
        "  --protocol 1.0|1.1|1.2  protocol the massager speaks (default 1.2)\n"
        "  --vid HEX, --pid HEX  USB IDs (default %04x:%04x)\n"
        "  --gadget NAME       configfs gadget and FunctionFS instance (default knot)\n"
        "  --udc NAME          device controller to bind (default: the first in /sys/class/udc)\n"
        "  --ffs DIR           use a FunctionFS already mounted on DIR, in a gadget set up\n"
        "                      by someone else (then plug and unplug are theirs)\n"
        "  --unplugged         start unbound from the controller\n"
        "  -h, --help          show this help\n"
        "  -V, --version       show the version\n",
        KNOT_MAX_LEVELS, KNOT_WATCHDOG_MS_DEFAULT, KNOT_USB_VID, KNOT_USB_PID);
}


static int gadget_parse(int argc, char **argv, struct gadget_opts *o)
{
    enum { O_TRACE = 256, O_CTL, O_LEVELS, O_SERIAL, O_WD, O_VID, O_PID, O_UNPLUGGED, O_TRACE_REQ,
           O_PROTOCOL, O_GADGET, O_UDC, O_FFS };
    static const struct option longopts[] = {
        { "trace", required_argument, NULL, O_TRACE },
        { "ctl", required_argument, NULL, O_CTL },
        { "levels", required_argument, NULL, O_LEVELS },
        { "serial", required_argument, NULL, O_SERIAL },
        { "watchdog-ms", required_argument, NULL, O_WD },
        { "vid", required_argument, NULL, O_VID },
        { "pid", required_argument, NULL, O_PID },
        { "unplugged", no_argument, NULL, O_UNPLUGGED },
        { "trace-requests", no_argument, NULL, O_TRACE_REQ },
        { "protocol", required_argument, NULL, O_PROTOCOL },
        { "gadget", required_argument, NULL, O_GADGET },
        { "udc", required_argument, NULL, O_UDC },
        { "ffs", required_argument, NULL, O_FFS },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { 0 },
    };
    int c;

    *o = (struct gadget_opts){ .serial = "KNOTGADGET1", .name = "knot", .levels = 5,
                               .watchdog_ms = KNOT_WATCHDOG_MS_DEFAULT, .vid = KNOT_USB_VID, .pid = KNOT_USB_PID };
    while ((c = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
        bool ok = true;
        switch (c) {
        case O_TRACE: o->trace = optarg; break;
        case O_CTL: o->ctl = optarg; break;
        case O_SERIAL: ok = *optarg && strlen(optarg) <= KNOT_SERIAL_LEN; o->serial = optarg; break;
        case O_LEVELS: ok = knot_uint(optarg, 10, 1, KNOT_MAX_LEVELS, &o->levels); break;
        case O_WD: ok = knot_uint(optarg, 10, 10, 60000, &o->watchdog_ms); break;
        case O_VID: ok = knot_uint(optarg, 16, 0, 0xffff, &o->vid); break;
        case O_PID: ok = knot_uint(optarg, 16, 0, 0xffff, &o->pid); break;
        case O_UNPLUGGED: o->unplugged = true; break;
        case O_TRACE_REQ: o->trace_requests = true; break;
        case O_PROTOCOL:
            ok = !strcmp(optarg, "1.0") || !strcmp(optarg, "1.1") || !strcmp(optarg, "1.2");
            o->proto_1_0 = !strcmp(optarg, "1.0");
            o->proto_1_1 = !strcmp(optarg, "1.1");
            break;
        case O_GADGET: ok = *optarg && !strchr(optarg, '/') && strlen(optarg) < 64; o->name = optarg; break;
        case O_UDC: o->udc = optarg; break;
        case O_FFS: o->ffs = optarg; break;
        case 'h': gadget_usage(stdout); exit(0);
        case 'V':
            printf("knot-gadget %s (protocol %d.%d)\n", KNOT_VERSION, KNOT_PROTO_MAJOR, KNOT_PROTO_MINOR);
            exit(0);
        default: gadget_usage(stderr); return -EINVAL;
        }
        if (!ok) {
            fprintf(stderr, "knot-gadget: invalid value '%s' for --%s\n", optarg, longopts[c - O_TRACE].name);
            return -EINVAL;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "knot-gadget: unexpected argument '%s'\n", argv[optind]);
        return -EINVAL;
    }
    return 0;
}

/* The trace lines are knot-sim's (trace_note), and every level change,
 * whoever made it, reaches the motor here, at once. */
static void gadget_trace_cb(void *ctx, const struct kdev_note *n)
{
    struct gadget *g = ctx;

    if (n->ev == KDEV_EV_LEVEL) {
        struct knot_info info;
        unsigned ppm;

        kdev_info(&g->core, &info);
        ppm = n->arg >= 1 && n->arg <= info.levels ? knot_le16(info.ppm[n->arg - 1]) : 0;
        g->motor.ops->set_duty(&g->motor, motor_duty_for(ppm, knot_le16(info.ppm[info.levels - 1])),
                               g->core.last_tick_ms);
    }
    trace_note(g->cfg.serial, n);
}

/* sd_notify(3)'s protocol, without libsystemd: one datagram, best effort. */
static void gadget_notify(const char *msg)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    socklen_t len;
    int fd;

    if (!path || !*path || strlen(path) >= sizeof(sa.sun_path))
        return;
    memcpy(sa.sun_path, path, strlen(path));
    if (sa.sun_path[0] == '@')
        sa.sun_path[0] = '\0';   /* an abstract socket */
    len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa, len) < 0)
        fprintf(stderr, "knot-gadget: cannot notify the service manager: %s\n", strerror(errno));
    close(fd);
}

static void gadget_ready(void)
{
    if (!gadget_ready_sent)
        gadget_notify("READY=1");
    gadget_ready_sent = true;
}

static void gadget_kick(struct gadget *g)
{
    uint64_t one = 1;

    if (write(g->kick, &one, sizeof(one)) < 0)
        return;   /* already kicked: the counter is not 0 */
}

/* One interface, no endpoints, at full and high speed; strings: none of the
 * function's own (the device's three are the gadget's, in configfs). */
static int gadget_ep0_init(int ep0)
{
    struct {
        struct usb_functionfs_descs_head_v2 head;
        uint32_t fs_count, hs_count;
        struct usb_interface_descriptor fs, hs;
    } __attribute__((packed)) d;
    struct usb_functionfs_strings_head s;
    const struct usb_interface_descriptor intf = {
        .bLength = USB_DT_INTERFACE_SIZE,
        .bDescriptorType = USB_DT_INTERFACE,
        .bInterfaceNumber = KNOT_USB_INTERFACE,
        .bNumEndpoints = 0,
        .bInterfaceClass = KNOT_USB_CLASS,
        .bInterfaceSubClass = KNOT_USB_SUBCLASS,
        .bInterfaceProtocol = KNOT_USB_IFPROTO,
    };

    d.head.magic = htole32(FUNCTIONFS_DESCRIPTORS_MAGIC_V2);
    d.head.length = htole32(sizeof(d));
    /* ALL_CTRL_RECIP: requests to the device or another recipient reach the
     * core too, which refuses them in its trace and counts them as contact. */
    d.head.flags = htole32(FUNCTIONFS_HAS_FS_DESC | FUNCTIONFS_HAS_HS_DESC | FUNCTIONFS_ALL_CTRL_RECIP);
    d.fs_count = htole32(1);
    d.hs_count = htole32(1);
    d.fs = intf;
    d.hs = intf;
    if (write(ep0, &d, sizeof(d)) != (ssize_t)sizeof(d))
        return -errno;
    s.magic = htole32(FUNCTIONFS_STRINGS_MAGIC);
    s.length = htole32(sizeof(s));
    s.str_count = 0;
    s.lang_count = 0;
    if (write(ep0, &s, sizeof(s)) != (ssize_t)sizeof(s))
        return -errno;
    return 0;
}

/* The core's own string n (1..3), as ASCII: what the gadget's strings say. */
static void gadget_core_string(const struct kdev_config *cfg, unsigned n, char *out, size_t len)
{
    struct kdev probe;
    const uint8_t setup[8] = { USB_DIR_IN, USB_REQ_GET_DESCRIPTOR, (uint8_t)n, USB_DT_STRING, 0x09, 0x04, 255, 0 };
    uint8_t desc[255];
    int r;
    size_t k = 0;

    /* A core of its own, traced nowhere: asking it feeds no watchdog that matters. */
    kdev_init(&probe, cfg, NULL, NULL, 0);
    r = kdev_control(&probe, setup, desc, sizeof(desc), 0);
    for (int i = 2; r > 0 && i + 1 < r && k + 1 < len; i += 2)
        out[k++] = (char)desc[i];
    out[k] = '\0';
}

/* Answer one SETUP: IN data by writing, OUT and no-data by reading (0 bytes
 * acks the status stage), a stall by going the wrong way. */
static void gadget_setup(struct gadget *g, const struct usb_ctrlrequest *c)
{
    uint8_t setup[8], data[GADGET_EP0_MAX];
    uint16_t wlength = le16toh(c->wLength);
    bool in = c->bRequestType & USB_DIR_IN;
    ssize_t w;
    int r;

    memcpy(setup, c, sizeof(setup));
    memset(data, 0, sizeof(data));
    pthread_mutex_lock(&g->lock);
    /* A hung device: the SETUP waits, the tick loop keeps the watchdog going. */
    while (g->hung && !g->stopping)
        pthread_cond_wait(&g->unhung, &g->lock);
    if (!g->plugged) {
        pthread_mutex_unlock(&g->lock);
        return;
    }
    if (g->trace_requests)
        trace_request(g->cfg.serial, setup);
    if (g->fault_at_raise && setup[0] == KNOT_RT_OUT && setup[1] == KNOT_REQ_SET_LEVEL &&
        (unsigned)(setup[2] | setup[3] << 8) > g->core.level) {
        kdev_inject_fault(&g->core, g->fault_at_raise, trace_now_ms());
        g->fault_at_raise = 0;
    }
    r = kdev_control(&g->core, setup, data, wlength < sizeof(data) ? wlength : sizeof(data), trace_now_ms());
    if (r >= (int)offsetof(struct knot_status, temp_dc) + 2 && setup[0] == KNOT_RT_IN &&
        setup[1] == KNOT_REQ_GET_STATUS) {
        /* What the motor measures is what the host reads; the model's equals the core's own. */
        struct motor_reading m;
        struct knot_status *st = (struct knot_status *)data;
        if (g->motor.ops->read(&g->motor, &m, g->core.last_tick_ms) == 0) {
            st->ppm = knot_put_le16(m.ppm);
            st->current_ma = knot_put_le16(m.current_ma);
            st->temp_dc = (int16_t)knot_put_le16((uint16_t)m.temp_dc);
        }
    }
    if (kdev_busy(&g->core))
        gadget_kick(g);
    pthread_mutex_unlock(&g->lock);

    if (r < 0)
        w = in ? read(g->ep0, data, 0) : write(g->ep0, data, 0);
    else if (in)
        w = write(g->ep0, data, (size_t)r);
    else
        w = read(g->ep0, data, wlength < sizeof(data) ? wlength : sizeof(data));
    /* A stall answers -EL2HLT; -EIDRM: the host gave up and sent another SETUP. */
    if (w < 0 && errno != EL2HLT && errno != EIDRM && errno != EINTR)
        fprintf(stderr, "knot-gadget: ep0: answering 0x%02x/0x%02x: %s\n", setup[0], setup[1], strerror(errno));
}

static void gadget_event(struct gadget *g, const struct usb_functionfs_event *e)
{
    switch (e->type) {
    case FUNCTIONFS_BIND:
        /* Power-up: the firmware starts from scratch, motor off. */
        pthread_mutex_lock(&g->lock);
        kdev_init(&g->core, &g->cfg, gadget_trace_cb, g, trace_now_ms());
        g->fault_at_raise = 0;
        g->motor.ops->set_duty(&g->motor, 0, g->core.last_tick_ms);
        g->plugged = true;
        pthread_mutex_unlock(&g->lock);
        trace_event("plug dev=%s", g->cfg.serial);
        break;
    case FUNCTIONFS_UNBIND:
        /* Power is gone with the bus: the motor stops, whatever the host thinks. */
        pthread_mutex_lock(&g->lock);
        if (g->plugged)
            kdev_unplug(&g->core, trace_now_ms());
        g->plugged = false;
        pthread_mutex_unlock(&g->lock);
        trace_event("unplug dev=%s", g->cfg.serial);
        break;
    case FUNCTIONFS_ENABLE:
        /* Configured by the host: it is there for udev, so the service is ready. */
        gadget_ready();
        break;
    case FUNCTIONFS_SETUP:
        gadget_setup(g, &e->u.setup);
        break;
    default:
        break;
    }
}

static void gadget_wake(int sig)
{
    (void)sig;   /* only interrupts the ep0 thread's read */
}

static void *gadget_ep0_thread(void *arg)
{
    struct gadget *g = arg;
    struct usb_functionfs_event e;
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    for (;;) {
        ssize_t r = read(g->ep0, &e, sizeof(e));
        bool stop;

        pthread_mutex_lock(&g->lock);
        stop = g->stopping;
        pthread_mutex_unlock(&g->lock);
        if (stop)
            break;
        if (r < 0 && (errno == EINTR || errno == EIDRM || errno == EAGAIN))
            continue;
        if (r != (ssize_t)sizeof(e)) {
            fprintf(stderr, "knot-gadget: ep0: %s\n", r < 0 ? strerror(errno) : "short event");
            break;
        }
        gadget_event(g, &e);
    }
    return NULL;
}

int gadget_plug(struct gadget *g)
{
    if (!g->own_gadget)
        return -ENOTSUP;
    return gcfs_bind(&g->gcfs);   /* BIND arrives on ep0 and powers the core up */
}

int gadget_unplug(struct gadget *g)
{
    if (!g->own_gadget)
        return -ENOTSUP;
    return gcfs_unbind(&g->gcfs);
}

int gadget_hang(struct gadget *g, bool hang)
{
    pthread_mutex_lock(&g->lock);
    g->hung = hang;
    pthread_cond_broadcast(&g->unhung);
    pthread_mutex_unlock(&g->lock);
    trace_event("%s dev=%s", hang ? "hang" : "unhang", g->cfg.serial);
    return 0;
}

#define GADGET_LOCKED(g, body)                                                                       \
    do {                                                                                             \
        pthread_mutex_lock(&(g)->lock);                                                              \
        if (!(g)->plugged) {                                                                         \
            pthread_mutex_unlock(&(g)->lock);                                                        \
            return -ENODEV;                                                                          \
        }                                                                                            \
        body;                                                                                        \
        pthread_mutex_unlock(&(g)->lock);                                                            \
    } while (0)

int gadget_fault(struct gadget *g, uint16_t fault, bool at_raise)
{
    if (at_raise)
        GADGET_LOCKED(g, g->fault_at_raise |= fault);
    else
        GADGET_LOCKED(g, kdev_inject_fault(&g->core, fault, trace_now_ms()));
    return 0;
}

int gadget_clear(struct gadget *g)
{
    GADGET_LOCKED(g, kdev_clear_faults(&g->core, trace_now_ms()));
    return 0;
}

int gadget_press(struct gadget *g, unsigned force_dn)
{
    GADGET_LOCKED(g, kdev_press(&g->core, (uint16_t)(force_dn > 65535 ? 65535 : force_dn), trace_now_ms()));
    gadget_kick(g);
    return 0;
}

int gadget_battery(struct gadget *g, unsigned pct)
{
    GADGET_LOCKED(g, kdev_set_battery(&g->core, pct, trace_now_ms()));
    return 0;
}

void gadget_describe(struct gadget *g, char *buf, size_t len)
{
    struct knot_status st;

    pthread_mutex_lock(&g->lock);
    if (!g->plugged) {
        snprintf(buf, len, "dev=%s plugged=0 hung=%d duty=%u", g->cfg.serial, g->hung, g->motor.duty);
    } else {
        kdev_tick(&g->core, trace_now_ms());
        kdev_status(&g->core, &st);
        snprintf(buf, len,
                 "dev=%s plugged=1 hung=%d level=%u ppm=%u current_ma=%u temp_dc=%d force_dn=%u "
                 "battery=%u faults=0x%x last_stop=%u duty=%u motor=%s",
                 g->cfg.serial, g->hung, st.level, knot_le16(st.ppm), knot_le16(st.current_ma),
                 (int16_t)knot_le16((uint16_t)st.temp_dc), knot_le16(st.force_dn), st.battery_pct,
                 knot_le16(st.faults), st.last_stop, g->motor.duty, g->motor.ops->name);
    }
    pthread_mutex_unlock(&g->lock);
}

/* The tick loop: the watchdog and the motor model advance here, on their own
 * clock, whatever ep0 is doing (PROTOCOL.md section 9). */
static int gadget_loop(struct gadget *g, int sigfd)
{
    for (;;) {
        struct pollfd fds[2 + 1 + GCTL_MAX_CLIENTS];
        size_t n = 0;
        int timeout;

        fds[n++] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
        fds[n++] = (struct pollfd){ .fd = g->kick, .events = POLLIN };
        n += gctl_pollfds(fds + n, sizeof(fds) / sizeof(fds[0]) - n);
        pthread_mutex_lock(&g->lock);
        timeout = g->plugged && kdev_busy(&g->core) ? GADGET_TICK_MS : -1;
        pthread_mutex_unlock(&g->lock);
        if (poll(fds, (nfds_t)n, timeout) < 0 && errno != EINTR)
            return -errno;
        if (fds[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
                return 0;
        }
        if (fds[1].revents & POLLIN) {
            uint64_t v;
            if (read(g->kick, &v, sizeof(v)) < 0 && errno != EAGAIN)
                return -errno;
        }
        pthread_mutex_lock(&g->lock);
        if (g->plugged)
            kdev_tick(&g->core, trace_now_ms());
        pthread_mutex_unlock(&g->lock);
        gctl_serve(g, fds + 2, n - 2);
    }
}

int main(int argc, char **argv)
{
    struct gadget *g = &gadget;
    struct gadget_opts o;
    char err[512], mfr[64], product[64], path[300];
    const char *ffs_dir;
    pthread_t ep0_thread;
    struct sigaction sa = { .sa_handler = gadget_wake };
    sigset_t set;
    int rc = 0, sigfd, status = 0;

    if (gadget_parse(argc, argv, &o) < 0)
        return 2;
    g->cfg = (struct kdev_config){ .levels = (uint8_t)o.levels, .watchdog_ms = (uint16_t)o.watchdog_ms,
                                   .fw_version = 0x0100, .proto_1_0 = o.proto_1_0,
                                   .proto_1_1 = o.proto_1_1 };
    snprintf(g->cfg.serial, sizeof(g->cfg.serial), "%s", o.serial);
    g->trace_requests = o.trace_requests;
    kdev_init(&g->core, &g->cfg, gadget_trace_cb, g, trace_now_ms());
    motor_model_open(&g->motor, &g->core);
    if (o.trace && (rc = trace_open(o.trace)) < 0) {
        fprintf(stderr, "knot-gadget: cannot open trace file %s: %s\n", o.trace, strerror(-rc));
        return 1;
    }

    /* Signals: TERM/INT/HUP end the loop through a signalfd; USR1 only wakes ep0's thread. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigdelset(&set, SIGUSR1);
    sigfd = signalfd(-1, &set, SFD_CLOEXEC);
    g->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (sigfd < 0 || g->kick < 0) {
        fprintf(stderr, "knot-gadget: %s\n", strerror(errno));
        return 1;
    }

    if (o.ffs) {
        ffs_dir = o.ffs;
    } else {
        struct gcfs_params p = { .name = o.name, .udc = o.udc, .vid = (uint16_t)o.vid, .pid = (uint16_t)o.pid,
                                 .bcd_device = g->cfg.fw_version, .manufacturer = mfr, .product = product,
                                 .serial = g->cfg.serial };
        /* The strings the host reads are the core's, as knot-sim's are. */
        gadget_core_string(&g->cfg, KDEV_STR_MANUFACTURER, mfr, sizeof(mfr));
        gadget_core_string(&g->cfg, KDEV_STR_PRODUCT, product, sizeof(product));
        if (gcfs_create(&g->gcfs, &p, err, sizeof(err)) < 0) {
            fprintf(stderr, "knot-gadget: %s\n", err);
            return 1;
        }
        g->own_gadget = true;
        ffs_dir = g->gcfs.mnt;
    }
    snprintf(path, sizeof(path), "%s/ep0", ffs_dir);
    g->ep0 = open(path, O_RDWR | O_CLOEXEC);
    if (g->ep0 < 0 || (rc = gadget_ep0_init(g->ep0)) < 0) {
        fprintf(stderr, "knot-gadget: %s: %s\n", path, strerror(g->ep0 < 0 ? errno : -rc));
        if (g->ep0 >= 0)
            close(g->ep0);
        gcfs_remove(&g->gcfs);
        return 1;
    }
    trace_event("start devices=1");
    if (o.ctl && (rc = gctl_listen(o.ctl)) < 0) {
        fprintf(stderr, "knot-gadget: cannot listen on %s: %s\n", o.ctl, strerror(-rc));
        status = 1;
    } else if ((rc = pthread_create(&ep0_thread, NULL, gadget_ep0_thread, g)) != 0) {
        fprintf(stderr, "knot-gadget: %s\n", strerror(rc));
        status = 1;
    } else {
        if (!g->own_gadget || o.unplugged)
            gadget_ready();   /* nothing of ours to wait for: someone else plugs it */
        if (g->own_gadget && !o.unplugged && (rc = gcfs_bind(&g->gcfs)) < 0) {
            fprintf(stderr, "knot-gadget: cannot bind to %s: %s\n", g->gcfs.udc, strerror(-rc));
            status = 1;
        } else if ((rc = gadget_loop(g, sigfd)) < 0) {
            fprintf(stderr, "knot-gadget: %s\n", strerror(-rc));
            status = 1;
        }
        /* Motor off first; then the bus goes, and the thread with it. */
        pthread_mutex_lock(&g->lock);
        if (g->plugged)
            kdev_unplug(&g->core, trace_now_ms());
        g->stopping = true;
        pthread_cond_broadcast(&g->unhung);
        pthread_mutex_unlock(&g->lock);
        if (g->own_gadget)
            gcfs_unbind(&g->gcfs);
        /* The thread may be between its check and its read: wake it until it is gone. */
        for (;;) {
            struct timespec ts;
            pthread_kill(ep0_thread, SIGUSR1);
            /* The monotonic clock: a wall clock set back must not stretch the wait. */
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_nsec += 50 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            if (pthread_clockjoin_np(ep0_thread, NULL, CLOCK_MONOTONIC, &ts) == 0)
                break;
        }
    }
    g->motor.ops->close(&g->motor);
    gctl_close();
    close(g->ep0);
    gcfs_remove(&g->gcfs);
    trace_event("exit status=%d", status);
    trace_close();
    return status;
}
