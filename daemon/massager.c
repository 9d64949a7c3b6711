/* SPDX-License-Identifier: MIT */
/* massager.c - the libusb shell of each attached massager: carries out drive.c's requests, keeps its timer, reports upward. */
#include "massager.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "usb.h"

#define MASSAGER_BCAST_MS 1000  /* status reports at least this often while running */
#define MASSAGER_SUBMIT_TRIES 4 /* a submit that fails at once is retried this often, then at the next wake */

static struct event_base *massager_base;
static const struct massager_ops *massager_ops;
static struct massager *massager_list;
static struct massager *massager_attaching;  /* plugged in, not attached yet */
/* libusb_close() inside a transfer callback deadlocks on libusb's own lock:
 * a massager that must go from a callback is freed by the loop instead. */
static struct massager *massager_graveyard;
static bool massager_stopping;                /* shutdown: callbacks only account, never act */

/* Cool-downs and the running ceiling belong to the serial, not to one
 * plug-in: unplugging and replugging must not reset the rest a muscle needs. */
static struct {
    char serial[KNOT_SERIAL_LEN + 1];
    struct session_dev dev;
} massager_memory[MASSAGER_MEMORY];

void massager_init(struct event_base *base, const struct massager_ops *ops)
{
    massager_base = base;
    massager_ops = ops;
}

/* A slot may be recycled only if nothing depends on it any more: no massager
 * uses it and the device's rest after its running ceiling is over. */
static bool massager_slot_free(unsigned i, uint64_t now)
{
    const struct session_dev *d = &massager_memory[i].dev;

    if (!massager_memory[i].serial[0])
        return true;
    for (struct massager *m = massager_list; m; m = m->next)
        if (m->sdev_p == d)
            return false;
    return d->run_ms == 0 || now - d->last_run_ms >= SESSION_REST_MS;
}

/* NULL when every slot still matters: the caller refuses the massager. */
static struct session_dev *massager_remember(const char *serial)
{
    uint64_t now = clock_now_ms();
    unsigned i;

    for (i = 0; i < MASSAGER_MEMORY; i++)
        if (strcmp(massager_memory[i].serial, serial) == 0)
            return &massager_memory[i].dev;
    for (i = 0; i < MASSAGER_MEMORY; i++) {
        if (massager_slot_free(i, now)) {
            snprintf(massager_memory[i].serial, sizeof(massager_memory[i].serial), "%s", serial);
            memset(&massager_memory[i].dev, 0, sizeof(massager_memory[i].dev));
            return &massager_memory[i].dev;
        }
    }
    return NULL;
}

struct massager *massager_first(void)
{
    return massager_list;
}

unsigned massager_count(void)
{
    unsigned n = 0;
    for (struct massager *m = massager_list; m; m = m->next)
        n++;
    return n;
}

unsigned massager_held(void)
{
    unsigned n = massager_count();

    for (struct massager *m = massager_attaching; m; m = m->next)
        n++;
    for (struct massager *m = massager_graveyard; m; m = m->next)
        n++;
    return n;
}

struct massager *massager_find(const char *serial)
{
    for (struct massager *m = massager_list; m; m = m->next)
        if (strcmp(m->serial, serial) == 0)
            return m;
    return NULL;
}

static bool massager_unlink(struct massager **list, struct massager *m)
{
    for (struct massager **pp = list; *pp; pp = &(*pp)->next) {
        if (*pp == m) {
            *pp = m->next;
            return true;
        }
    }
    return false;
}

static void massager_free(struct massager *m)
{
    if (m->timer)
        event_free(m->timer);
    if (m->xfer)
        libusb_free_transfer(m->xfer);
    if (m->h) {
        libusb_release_interface(m->h, KNOT_USB_INTERFACE);
        libusb_close(m->h);
    }
    if (m->udev)
        libusb_unref_device(m->udev);
    free(m);
}

static struct event *massager_reaper;

static void massager_reap_cb(evutil_socket_t fd, short what, void *arg)
{
    struct massager *m;

    (void)fd;
    (void)what;
    (void)arg;
    while ((m = massager_graveyard)) {
        massager_graveyard = m->next;
        massager_free(m);
    }
}

static void massager_free_later(struct massager *m)
{
    if (!massager_reaper)
        massager_reaper = event_new(massager_base, -1, 0, massager_reap_cb, NULL);
    if (m->timer)
        evtimer_del(m->timer);
    m->next = massager_graveyard;
    massager_graveyard = m;
    event_active(massager_reaper, EV_TIMEOUT, 0);
}

static void massager_xfer_cb(struct libusb_transfer *t);

static int massager_submit(struct massager *m, struct drive_cmd c)
{
    uint8_t setup[8];
    int rc;

    drive_cmd_setup(c, setup);
    memcpy(m->buf, setup, sizeof(setup));
    libusb_fill_control_transfer(m->xfer, m->h, m->buf, massager_xfer_cb, m, DRIVE_TIMEOUT_MS);
    rc = usb_submit(m->xfer);
    if (rc == 0)
        m->busy = true;
    return rc;
}

static void massager_arm(struct massager *m, uint64_t wake, uint64_t now)
{
    struct timeval tv;
    uint64_t ms;

    evtimer_del(m->timer);
    if (wake == UINT64_MAX)
        return;   /* idle: no timers, no transfers */
    ms = wake > now ? wake - now : 0;
    tv.tv_sec = (time_t)(ms / 1000u);
    tv.tv_usec = (suseconds_t)(ms % 1000u) * 1000;
    evtimer_add(m->timer, &tv);
}

/* Send what the controller wants now, and arm the timer for its next wake. */
static unsigned massager_drive(struct massager *m)
{
    uint64_t now = clock_now_ms();
    unsigned notes = 0;

    for (int i = 0; i < MASSAGER_SUBMIT_TRIES && !m->busy && !m->gone; i++) {
        struct drive_cmd c = drive_next(&m->drv, now);
        int rc;

        if (c.op == DRIVE_OP_NONE)
            break;
        rc = massager_submit(m, c);
        drive_sent(&m->drv, c, now);
        if (rc == 0)
            break;
        notes |= drive_done(&m->drv, rc == LIBUSB_ERROR_NO_DEVICE ? DRIVE_GONE : DRIVE_ERROR, NULL, 0, now);
        if (notes & DRIVE_N_WARN)
            log_warning("%s: %s (%s)", m->serial[0] ? m->serial : "massager", m->drv.why, libusb_error_name(rc));
        notes &= ~(unsigned)DRIVE_N_WARN;
    }
    massager_arm(m, drive_wake_ms(&m->drv, now), now);
    return notes;
}

/* The one path by which a session's end, readings and advice leave this file. */
static void massager_report(struct massager *m)
{
    uint64_t now = clock_now_ms();
    bool changed;

    if (!m->attached)
        return;
    if (m->begin_pending && (!m->drv.begin_pending || m->sess.phase == SESSION_ENDED)) {
        m->begin_pending = false;
        massager_ops->begun(m);
    }
    if (m->sess.phase == SESSION_ENDED && !m->end_reported) {
        m->end_reported = true;
        log_info("%s: %s session ended: %s", m->serial, m->sess.area.name, session_end_name(m->sess.end));
        massager_ops->ended(m);
    }
    if (m->sess.force_warning && !m->last_force_warning)
        massager_ops->warning(m, "ease off - pressing harder makes the muscle guard");
    m->last_force_warning = m->sess.force_warning;
    changed = m->last_bcast_level != m->drv.st.level || m->last_bcast_faults != m->drv.st.faults ||
              m->last_bcast_phase != (int)m->sess.phase;
    if (!changed && !(session_running(&m->sess) && now - m->last_bcast_ms >= MASSAGER_BCAST_MS))
        return;
    m->last_bcast_ms = now;
    m->last_bcast_level = m->drv.st.level;
    m->last_bcast_faults = m->drv.st.faults;
    m->last_bcast_phase = (int)m->sess.phase;
    massager_ops->status(m);
}

static void massager_attach_fail(struct massager *m)
{
    log_error("massager at bus %u device %u not usable: %s", libusb_get_bus_number(m->udev),
              libusb_get_device_address(m->udev), m->drv.why);
    massager_unlink(&massager_attaching, m);
    massager_free_later(m);
}

/* Another massager, attached or attaching, that already has this serial. */
static bool massager_serial_taken(const struct massager *m, const char *serial)
{
    if (massager_find(serial))
        return true;
    for (struct massager *o = massager_attaching; o; o = o->next)
        if (o != m && o->serial[0] && strcmp(o->serial, serial) == 0)
            return true;
    return false;
}

/* Act on what a controller call changed, carry out what it wants next, report. */
static void massager_after(struct massager *m, unsigned notes)
{
    if (notes & DRIVE_N_WARN)
        log_warning("%s: %s", m->serial[0] ? m->serial : "massager", m->drv.why);
    if (notes & DRIVE_N_INFO) {
        const char *serial = m->drv.info.serial;

        if (massager_serial_taken(m, serial)) {
            drive_reject(&m->drv, "its serial is already attached (serials must be unique)");
        } else {
            snprintf(m->serial, sizeof(m->serial), "%s", serial);
            m->sdev_p = massager_remember(serial);
            if (m->sdev_p)
                drive_accept(&m->drv, m->sdev_p);
            else
                drive_reject(&m->drv, "knotd still keeps the rest of too many other massagers");
        }
    }
    if (m->drv.phase == DRIVE_DEAD && !m->attached) {
        massager_attach_fail(m);
        return;
    }
    if (notes & DRIVE_N_ATTACHED) {
        massager_unlink(&massager_attaching, m);
        m->attached = true;
        m->next = massager_list;
        massager_list = m;
        log_info("%s: massager attached (%u levels, firmware %u.%u, protocol %u.%u, watchdog %u ms); motor off",
                 m->serial, m->drv.info.levels, m->drv.info.fw >> 8, m->drv.info.fw & 0xff, m->drv.info.proto_major,
                 m->drv.info.proto_minor, m->drv.info.watchdog_ms);
        /* Before 1.2 any request feeds the watchdog: a program reading the
         * massager would keep a dead knotd's motor running. */
        if (m->drv.info.proto_minor < 2)
            log_warning("%s: protocol 1.%u: every request feeds its watchdog, so a program that reads it could "
                        "keep the motor running if knotd died; only knotd should open it (the udev rule gives "
                        "the node to user knotd alone); firmware 1.2 feeds it from knotd's heartbeat only",
                        m->serial, m->drv.info.proto_minor);
        massager_ops->added(m);
    }
    massager_drive(m);
    if (m->drv.phase == DRIVE_DEAD && !m->attached) {
        massager_attach_fail(m);
        return;
    }
    massager_report(m);
}

static enum drive_result massager_result(enum libusb_transfer_status s)
{
    switch (s) {
    case LIBUSB_TRANSFER_COMPLETED: return DRIVE_OK;
    case LIBUSB_TRANSFER_STALL: return DRIVE_STALL;
    case LIBUSB_TRANSFER_TIMED_OUT: return DRIVE_TIMEOUT;
    case LIBUSB_TRANSFER_NO_DEVICE: return DRIVE_GONE;
    default: return DRIVE_ERROR;
    }
}

/* Runs inside libusb_handle_events: bookkeeping and the next submit only, never a close. */
static void massager_xfer_cb(struct libusb_transfer *t)
{
    struct massager *m = t->user_data;
    enum drive_result r = massager_result(t->status);
    unsigned notes;

    usb_inflight(-1);
    m->busy = false;
    if (m->gone) {
        massager_free_later(m);
        return;
    }
    if (massager_stopping)
        return;  /* massager_shutdown_all() owns every massager now */
    notes = drive_done(&m->drv, r, r == DRIVE_OK ? libusb_control_transfer_get_data(t) : NULL,
                       r == DRIVE_OK ? (size_t)t->actual_length : 0, clock_now_ms());
    massager_after(m, notes);
}

static void massager_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct massager *m = arg;

    (void)fd;
    (void)what;
    /* Time-driven steps (trial end, ramp, session end) happen here even if polls fail. */
    drive_tick(&m->drv, clock_now_ms());
    massager_after(m, 0);
}

void massager_catch_up(struct massager *m)
{
    drive_tick(&m->drv, clock_now_ms());
    massager_after(m, 0);
}

int massager_start(struct massager *m, const struct profile_area *a, unsigned level, char *why, size_t whylen,
                   struct massager_undo *undo)
{
    uint64_t now = clock_now_ms();
    int rc;

    undo->sess = m->sess;
    if (m->sdev_p)
        undo->dev = *m->sdev_p;
    undo->drv = m->drv;
    undo->begin_pending = m->begin_pending;
    undo->end_reported = m->end_reported;
    rc = session_start(&m->sess, m->sdev_p, a, m->drv.info.levels, level, now, why, whylen);
    if (rc == 0) {
        m->begin_pending = true;
        m->end_reported = false;
        drive_begin(&m->drv, now);
    }
    return rc;
}

/* Whole copies put back: until massager_run() nothing but the start itself
 * has touched them (no transfer, timer or request runs in between). */
void massager_unstart(struct massager *m, const struct massager_undo *undo)
{
    m->sess = undo->sess;
    if (m->sdev_p)
        *m->sdev_p = undo->dev;
    m->drv = undo->drv;
    m->begin_pending = undo->begin_pending;
    m->end_reported = undo->end_reported;
}

void massager_run(struct massager *m)
{
    massager_after(m, 0);
}

/* Off goes out (or is due the moment the transfer in flight returns). */
static void massager_stop_motor(struct massager *m, enum session_end why)
{
    drive_end(&m->drv, why, clock_now_ms());
    massager_drive(m);
}

void massager_stop(struct massager *m, enum session_end why)
{
    massager_stop_motor(m, why);
    massager_report(m);
}

unsigned massager_stop_all(enum session_end why)
{
    unsigned n = 0;

    for (struct massager *m = massager_list; m; m = m->next, n++)
        massager_stop_motor(m, why);
    for (struct massager *m = massager_list; m; m = m->next)
        massager_report(m);
    return n;
}

void massager_arrived(libusb_device *dev)
{
    struct massager *m;
    int rc;

    if (massager_stopping)
        return;
    m = calloc(1, sizeof(*m));
    if (!m) {
        log_error("out of memory attaching a massager");
        return;
    }
    m->udev = libusb_ref_device(dev);
    rc = libusb_open(dev, &m->h);
    if (rc < 0) {
        /* The usual cause has a usual fix: the node is not ours. udev names
         * OWNER= when it reads the rule, so a rule read before the user
         * existed stays without it until udev reads it again. */
        if (rc == LIBUSB_ERROR_ACCESS)
            log_error("cannot open massager at bus %u device %u: %s: /dev/bus/usb/%03u/%03u is not uid %u's; "
                      "70-knotd.rules gives it to user knotd (if udev read the rule before that user existed: "
                      "systemctl restart systemd-udevd; udevadm trigger -s usb)", libusb_get_bus_number(dev),
                      libusb_get_device_address(dev), libusb_error_name(rc), libusb_get_bus_number(dev),
                      libusb_get_device_address(dev), (unsigned)geteuid());
        else
            log_error("cannot open massager at bus %u device %u: %s", libusb_get_bus_number(dev),
                      libusb_get_device_address(dev), libusb_error_name(rc));
        m->h = NULL;
        massager_free(m);
        return;
    }
    rc = libusb_claim_interface(m->h, KNOT_USB_INTERFACE);
    if (rc < 0) {
        log_error("cannot claim the massager's interface: %s", libusb_error_name(rc));
        libusb_close(m->h);
        m->h = NULL;
        massager_free(m);
        return;
    }
    m->xfer = libusb_alloc_transfer(0);
    m->timer = evtimer_new(massager_base, massager_timer_cb, m);
    if (!m->xfer || !m->timer) {
        log_error("out of memory attaching a massager");
        massager_free(m);
        return;
    }
    session_init(&m->sess);
    drive_init(&m->drv, &m->sess, clock_now_ms());
    m->next = massager_attaching;
    massager_attaching = m;
    /* Attach runs as a chain of asynchronous requests, so that a slow or hung
     * newcomer never delays another massager's heartbeat. */
    massager_after(m, 0);
}

static void massager_gone(struct massager *m)
{
    m->gone = true;
    evtimer_del(m->timer);
    if (m->busy)
        libusb_cancel_transfer(m->xfer);   /* its callback frees it; the device is gone, so it ends soon */
    else
        massager_free(m);
}

void massager_left(libusb_device *dev)
{
    struct massager *m;

    for (m = massager_attaching; m; m = m->next)
        if (m->udev == dev)
            break;
    if (m) {
        massager_unlink(&massager_attaching, m);
        massager_gone(m);
        return;
    }
    for (m = massager_list; m; m = m->next)
        if (m->udev == dev)
            break;
    if (!m)
        return;
    drive_end(&m->drv, SESSION_END_UNPLUG, clock_now_ms());
    massager_report(m);
    massager_unlink(&massager_list, m);
    m->attached = false;
    log_info("%s: massager unplugged", m->serial);
    massager_ops->removed(m);
    massager_gone(m);
}

/* Blocking control transfer: only at shutdown, with a short timeout. */
static int massager_sync(libusb_device_handle *h, struct drive_cmd c)
{
    uint8_t setup[8];

    drive_cmd_setup(c, setup);
    return libusb_control_transfer(h, setup[0], setup[1], (uint16_t)(setup[2] | setup[3] << 8), KNOT_USB_INTERFACE,
                                   NULL, 0, DRIVE_TIMEOUT_MS);
}

/* Command off (what drive_shutdown() returns), then close. */
static void massager_shutdown_list(struct massager **list, bool sessions)
{
    struct massager *m;

    for (m = *list; m; m = m->next) {
        /* EP0 takes a second URB: even a massager whose cancelled transfer has
         * not come back yet is told to stop. */
        int rc = massager_sync(m->h, drive_shutdown(&m->drv, clock_now_ms()));
        if (rc < 0)
            log_warning("%s: could not command motor off (%s); its watchdog stops it", m->serial[0] ? m->serial : "?",
                        libusb_error_name(rc));
        else if (sessions)
            log_info("%s: motor off", m->serial);
    }
    /* Every motor is off before any end is journaled or announced. */
    for (m = *list; m; m = m->next)
        massager_report(m);
    while ((m = *list)) {
        *list = m->next;
        if (m->busy) {
            /* Still in libusb's hands: leaking it beats freeing what libusb holds. */
            m->gone = true;
            continue;
        }
        massager_free(m);
    }
}

void massager_shutdown_all(void)
{
    struct massager *m;
    uint64_t deadline = clock_now_ms() + 2 * DRIVE_TIMEOUT_MS;

    massager_stopping = true;
    for (m = massager_list; m; m = m->next) {
        evtimer_del(m->timer);
        if (m->busy)
            libusb_cancel_transfer(m->xfer);
    }
    for (m = massager_attaching; m; m = m->next)
        if (m->busy)
            libusb_cancel_transfer(m->xfer);
    /* Let cancelled transfers come back before the handles close (bounded). */
    for (;;) {
        bool busy = false;
        struct timeval tv = { 0, 20000 };
        for (m = massager_list; m; m = m->next)
            busy = busy || m->busy;
        for (m = massager_attaching; m; m = m->next)
            busy = busy || m->busy;
        if (!busy || clock_now_ms() > deadline)
            break;
        libusb_handle_events_timeout_completed(usb_ctx(), &tv, NULL);
    }
    massager_shutdown_list(&massager_list, true);
    massager_shutdown_list(&massager_attaching, false);
    massager_reap_cb(-1, 0, NULL);
    if (massager_reaper)
        event_free(massager_reaper);
    massager_reaper = NULL;
}
