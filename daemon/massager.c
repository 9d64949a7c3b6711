/* massager.c - drives each attached massager: attach, 50 ms heartbeat while active, level commands, session upkeep. */
#include "massager.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "ctl.h"
#include "journal.h"
#include "knotd.h"
#include "log.h"
#include "usb.h"
#include "view.h"

enum massager_op { MASSAGER_OP_NONE, MASSAGER_OP_STATUS, MASSAGER_OP_LEVEL, MASSAGER_OP_INFO };

#define MASSAGER_BCAST_MS 1000  /* status events at least this often while running */

static struct massager *massager_list;
static struct massager *massager_attaching;  /* plugged in, info not read yet */
static bool massager_stopping;                /* shutdown: callbacks only account, never act */

/* Cool-downs and the running ceiling belong to the serial, not to one
 * plug-in: unplugging and replugging must not reset the rest a muscle needs. */
static struct {
    char serial[KNOT_SERIAL_LEN + 1];
    struct session_dev dev;
} massager_memory[MASSAGER_MEMORY];

/* A slot may be recycled only if nothing depends on it any more: no massager
 * uses it, no cool-down is pending and the rest rule is satisfied. */
static bool massager_slot_free(unsigned i, uint64_t now)
{
    const struct session_dev *d = &massager_memory[i].dev;

    if (!massager_memory[i].serial[0])
        return true;
    for (struct massager *m = massager_list; m; m = m->next)
        if (m->sdev_p == d)
            return false;
    for (unsigned k = 0; k < PROFILE_MAX_AREAS; k++)
        if (d->cooldown[k].area[0] && d->cooldown[k].until_ms > now)
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

/* libusb_close() inside a transfer callback deadlocks on libusb's own lock:
 * a massager that must go from a callback is freed by the loop instead. */
static struct massager *massager_graveyard;
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
        massager_reaper = event_new(knotd.base, -1, 0, massager_reap_cb, NULL);
    if (m->timer)
        evtimer_del(m->timer);
    m->next = massager_graveyard;
    massager_graveyard = m;
    event_active(massager_reaper, EV_TIMEOUT, 0);
}

/* Active = the heartbeat must run: a session, or a motor not yet confirmed off. */
static bool massager_active(const struct massager *m)
{
    /* Spinning down counts too (bounded), so status ends on the real 0 ppm. */
    bool spinning = m->st.ppm > 0 && clock_now_ms() - m->off_ms < MASSAGER_SPINDOWN_MS;

    return session_running(&m->sess) || m->commanded != 0 || m->level_unknown || spinning;
}

static void massager_timer_set(struct massager *m, bool on)
{
    struct timeval tv = { 0, MASSAGER_POLL_MS * 1000 };

    if (on && !m->timer_on)
        evtimer_add(m->timer, &tv);  /* EV_PERSIST: re-fires every 50 ms */
    else if (!on && m->timer_on)
        evtimer_del(m->timer);
    m->timer_on = on;
}

/* Journal and announce a session that just ended; once per session. */
static void massager_settle(struct massager *m)
{
    uint64_t now = clock_now_ms();

    if (m->sess.phase != SESSION_ENDED || m->sess_reported)
        return;
    m->sess_reported = true;
    log_info("%s: %s session ended: %s", m->serial, m->sess.area.name, session_end_name(m->sess.end));
    journal_ended(m->serial, &m->sess);
    ctl_broadcast(view_session_event("ended", m, now));
}

static void massager_broadcast_status(struct massager *m, bool force)
{
    uint64_t now = clock_now_ms();
    bool changed = m->last_bcast_level != m->st.level || m->last_bcast_faults != m->st.faults ||
                   m->last_bcast_phase != (int)m->sess.phase;

    if (m->sess.force_warning && !m->last_force_warning)
        ctl_broadcast(view_warning_event(m, "ease off - pressing harder makes the muscle guard"));
    m->last_force_warning = m->sess.force_warning;
    if (!force && !changed && !(session_running(&m->sess) && now - m->last_bcast_ms >= MASSAGER_BCAST_MS))
        return;
    m->last_bcast_ms = now;
    m->last_bcast_level = m->st.level;
    m->last_bcast_faults = m->st.faults;
    m->last_bcast_phase = (int)m->sess.phase;
    ctl_broadcast(view_status_event(m, now));
}

static void massager_xfer_cb(struct libusb_transfer *t);
static void massager_attach_step(struct massager *m, struct libusb_transfer *t);

static int massager_submit(struct massager *m, int op, unsigned level)
{
    uint8_t req = op == MASSAGER_OP_LEVEL ? KNOT_REQ_SET_LEVEL :
                  op == MASSAGER_OP_INFO ? KNOT_REQ_GET_INFO : KNOT_REQ_GET_STATUS;
    uint8_t rt = op == MASSAGER_OP_LEVEL ? KNOT_RT_OUT : KNOT_RT_IN;
    uint16_t len = op == MASSAGER_OP_LEVEL ? 0 : op == MASSAGER_OP_INFO ? KNOT_INFO_SIZE : KNOT_STATUS_SIZE;
    int rc;

    libusb_fill_control_setup(m->buf, rt, req, (uint16_t)level, KNOT_USB_INTERFACE, len);
    libusb_fill_control_transfer(m->xfer, m->h, m->buf, massager_xfer_cb, m, MASSAGER_TIMEOUT_MS);
    rc = usb_submit(m->xfer);
    if (rc < 0)
        return rc;
    m->busy = true;
    m->op = op;
    m->op_level = level;
    return 0;
}

static void massager_failed(struct massager *m, const char *what, const char *err);

/* Send what is due: a level change first (safety), else the heartbeat poll. */
static void massager_pump(struct massager *m)
{
    unsigned want;
    int rc;

    if (m->busy || m->gone)
        return;
    want = session_level(&m->sess);
    if (m->need_status && want > 0 && (want != m->commanded || m->level_unknown)) {
        /* After a failure the device may have stopped itself (watchdog): look
         * before raising it, so a stopped motor is never driven blindly back up. */
        rc = massager_submit(m, MASSAGER_OP_STATUS, 0);
        if (rc < 0)
            massager_failed(m, "poll status", libusb_error_name(rc));
        return;
    }
    if (want != m->commanded || m->level_unknown) {
        rc = massager_submit(m, MASSAGER_OP_LEVEL, want);
        if (rc < 0)
            massager_failed(m, "set level", libusb_error_name(rc));
        return;
    }
    if (m->poll_due && massager_active(m)) {
        m->poll_due = false;
        rc = massager_submit(m, MASSAGER_OP_STATUS, 0);
        if (rc < 0)
            massager_failed(m, "poll status", libusb_error_name(rc));
        return;
    }
    if (!massager_active(m))
        massager_timer_set(m, false);  /* idle: no timers, no transfers */
}

static void massager_failed(struct massager *m, const char *what, const char *err)
{
    uint64_t now = clock_now_ms();

    if (m->fails++ == 0)
        m->failing_since_ms = now;
    m->need_status = true;
    log_warning("%s: %s failed (%u in a row): %s", m->serial, what, m->fails, err);
    if (m->fails >= MASSAGER_MAX_FAILS && session_running(&m->sess)) {
        log_error("%s: lost contact; stopping the session (the device watchdog stops the motor within %u ms)",
                  m->serial, m->watchdog_ms);
        session_stop(&m->sess, m->sdev_p, SESSION_END_LOST, now);
        massager_settle(m);
    }
    if (!session_running(&m->sess) && now - m->failing_since_ms > 4u * m->watchdog_ms) {
        /* No answer for four times its dead-man time: it has stopped itself. */
        m->commanded = 0;
        m->level_unknown = false;
    }
}

static void massager_parse_status(struct massager *m, const struct knot_status *st)
{
    m->st.valid = true;
    m->st.seq = knot_le16(st->seq);
    m->st.level = st->level;
    m->st.last_stop = st->last_stop;
    m->st.ppm = knot_le16(st->ppm);
    m->st.current_ma = knot_le16(st->current_ma);
    m->st.temp_dc = (int16_t)knot_le16((uint16_t)st->temp_dc);
    m->st.force_dn = knot_le16(st->force_dn);
    m->st.faults = knot_le16(st->faults);
    m->st.battery = st->battery_pct;
}

/* Runs inside libusb_handle_events: no blocking, only bookkeeping and the next submit. */
static void massager_xfer_cb(struct libusb_transfer *t)
{
    struct massager *m = t->user_data;
    uint64_t now = clock_now_ms();

    usb_inflight(-1);
    m->busy = false;
    if (m->gone) {
        massager_free_later(m);
        return;
    }
    if (massager_stopping)
        return;  /* massager_shutdown_all() owns every massager now */
    if (!m->attached) {
        massager_attach_step(m, t);
        return;
    }
    if (t->status != LIBUSB_TRANSFER_COMPLETED && !(m->op == MASSAGER_OP_LEVEL && t->status == LIBUSB_TRANSFER_STALL)) {
        if (m->op == MASSAGER_OP_LEVEL)
            m->level_unknown = true;
        massager_failed(m, m->op == MASSAGER_OP_LEVEL ? "set level" : "poll status",
                        t->status == LIBUSB_TRANSFER_TIMED_OUT ? "timed out" :
                        t->status == LIBUSB_TRANSFER_NO_DEVICE ? "no device" : "transfer error");
        /* No retry from here: the next heartbeat tick retries, 50 ms on. */
        return;
    }
    if (t->status != LIBUSB_TRANSFER_COMPLETED) {
        if (m->op == MASSAGER_OP_LEVEL && t->status == LIBUSB_TRANSFER_STALL && m->op_level > 0) {
            /* The device refuses to run: a fault is latched. */
            log_warning("%s: massager refused level %u (fault latched)", m->serial, m->op_level);
            session_stop(&m->sess, m->sdev_p, SESSION_END_FAULT, now);
            massager_settle(m);
            m->poll_due = true;
        } else {
            /* SET_LEVEL 0 stalled: not in the protocol; ask again next tick. */
            m->level_unknown = true;
            massager_failed(m, "set level", "stalled");
            return;
        }
    } else if (m->op == MASSAGER_OP_LEVEL) {
        m->fails = 0;
        m->commanded = m->op_level;
        m->level_unknown = false;
        m->st.level = m->op_level;
        if (m->op_level == 0)
            m->off_ms = now;
        else if (session_running(&m->sess))
            m->ran_this_session = true;
        session_level_applied(&m->sess, m->op_level, now);
        log_debug("%s: level %u", m->serial, m->op_level);
        massager_broadcast_status(m, false);
    } else if (t->actual_length >= KNOT_STATUS_SIZE) {
        struct session_input in;
        m->fails = 0;
        m->need_status = false;
        massager_parse_status(m, (const struct knot_status *)libusb_control_transfer_get_data(t));
        /* The device may have stopped by itself (watchdog, fault, reset): believe
         * it, and never drive it back up — once it ran in this session, a motor
         * found at 0 that the session wants running means the session is over. */
        m->commanded = m->st.level;
        m->level_unknown = false;
        if (m->ran_this_session && m->st.level == 0 && session_running(&m->sess) && session_level(&m->sess) > 0 &&
            !m->st.faults) {
            log_warning("%s: the massager stopped by itself (%s); ending the session", m->serial,
                        m->st.last_stop == KNOT_STOP_WATCHDOG ? "its watchdog fired" : "it was reset");
            session_stop(&m->sess, m->sdev_p, SESSION_END_LOST, now);
            massager_settle(m);
        }
        in.force_dn = (uint16_t)m->st.force_dn;
        in.faults = (uint16_t)m->st.faults;
        if (session_running(&m->sess)) {
            session_tick(&m->sess, m->sdev_p, &in, now);
            if (m->sess.end == SESSION_END_FAULT)
                log_warning("%s: device fault 0x%x; motor off", m->serial, m->st.faults);
            massager_settle(m);
        }
        massager_broadcast_status(m, false);
    } else {
        massager_failed(m, "poll status", "short reply");
    }
    massager_pump(m);
}

static void massager_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct massager *m = arg;

    (void)fd;
    (void)what;
    /* Time-driven steps (trial end, ramp, session end) happen here even if polls fail. */
    massager_catch_up(m);
    m->poll_due = true;
    massager_pump(m);
}

void massager_restore_cooldown(const char *serial, const char *area, uint64_t until_ms)
{
    struct session_dev *d = massager_remember(serial);

    if (d)
        session_cooldown_extend(d, area, until_ms);
}

void massager_begin(struct massager *m)
{
    m->fails = 0;
    m->ran_this_session = false;
}

void massager_catch_up(struct massager *m)
{
    if (session_running(&m->sess)) {
        session_tick(&m->sess, m->sdev_p, NULL, clock_now_ms());
        massager_settle(m);
    }
}

void massager_kick(struct massager *m)
{
    if (session_running(&m->sess))
        m->sess_reported = false;  /* a new session: its end is still to be reported */
    massager_settle(m);
    massager_timer_set(m, true);
    m->poll_due = true;
    massager_pump(m);
}

void massager_stop(struct massager *m, enum session_end why)
{
    if (session_running(&m->sess)) {
        session_stop(&m->sess, m->sdev_p, why, clock_now_ms());
        massager_settle(m);
    }
    m->level_unknown = m->level_unknown || m->commanded != 0;
    massager_kick(m);
}

/* Blocking control transfer: only at shutdown, with a short timeout. */
static int massager_sync(libusb_device_handle *h, uint8_t rt, uint8_t req, uint16_t value, void *data, uint16_t len)
{
    return libusb_control_transfer(h, rt, req, value, KNOT_USB_INTERFACE, data, len, MASSAGER_TIMEOUT_MS);
}

static int massager_parse_info(struct massager *m, const uint8_t *data, int len)
{
    struct knot_info info;

    if (len < KNOT_INFO_SIZE) {
        log_error("massager info block is %d bytes, expected %d", len, KNOT_INFO_SIZE);
        return LIBUSB_ERROR_IO;
    }
    memcpy(&info, data, sizeof(info));
    if (info.proto_major != KNOT_PROTO_MAJOR) {
        log_error("massager speaks protocol %u.%u; knotd speaks %d.x", info.proto_major, info.proto_minor,
                  KNOT_PROTO_MAJOR);
        return LIBUSB_ERROR_NOT_SUPPORTED;
    }
    if (info.levels < 1 || info.levels > KNOT_MAX_LEVELS) {
        log_error("massager reports %u levels (1..%d allowed)", info.levels, KNOT_MAX_LEVELS);
        return LIBUSB_ERROR_NOT_SUPPORTED;
    }
    if (knot_le16(info.watchdog_ms) < MASSAGER_WATCHDOG_MIN_MS || knot_le16(info.watchdog_ms) > MASSAGER_WATCHDOG_MAX_MS) {
        /* The whole fail-to-off argument rests on the device's dead-man timer. */
        log_error("massager reports a %u ms watchdog (%d..%d ms required); refusing it", knot_le16(info.watchdog_ms),
                  MASSAGER_WATCHDOG_MIN_MS, MASSAGER_WATCHDOG_MAX_MS);
        return LIBUSB_ERROR_NOT_SUPPORTED;
    }
    m->proto_major = info.proto_major;
    m->proto_minor = info.proto_minor;
    m->fw = knot_le16(info.fw_version);
    m->levels = info.levels;
    m->watchdog_ms = knot_le16(info.watchdog_ms);
    for (unsigned i = 0; i < KNOT_MAX_LEVELS; i++)
        m->ppm[i] = knot_le16(info.ppm[i]);
    memcpy(m->serial, info.serial, KNOT_SERIAL_LEN);
    m->serial[KNOT_SERIAL_LEN] = '\0';
    return 0;
}

/* Attach runs as a chain of asynchronous transfers (GET_INFO, then SET_LEVEL 0)
 * so that a slow or hung newcomer never delays another massager's heartbeat. */
static void massager_attach_fail(struct massager *m, const char *why)
{
    log_error("massager at bus %u device %u not usable: %s", libusb_get_bus_number(m->udev),
              libusb_get_device_address(m->udev), why);
    massager_unlink(&massager_attaching, m);
    massager_free_later(m);
}

/* Another massager still attaching that already has this serial. */
static bool massager_attaching_serial(const struct massager *m)
{
    for (struct massager *o = massager_attaching; o; o = o->next)
        if (o != m && o->serial[0] && strcmp(o->serial, m->serial) == 0)
            return true;
    return false;
}

static void massager_attach_step(struct massager *m, struct libusb_transfer *t)
{
    int rc;

    if (t->status != LIBUSB_TRANSFER_COMPLETED) {
        massager_attach_fail(m, t->status == LIBUSB_TRANSFER_TIMED_OUT ? "no answer" : "transfer failed");
        return;
    }
    if (m->op == MASSAGER_OP_INFO) {
        rc = massager_parse_info(m, libusb_control_transfer_get_data(t), t->actual_length);
        if (rc < 0) {
            massager_attach_fail(m, libusb_error_name(rc));
            return;
        }
        if (!m->serial[0]) {
            massager_attach_fail(m, "it has no serial number (knotd keeps cool-downs per serial)");
            return;
        }
        if (massager_find(m->serial) || massager_attaching_serial(m)) {
            massager_attach_fail(m, "its serial is already attached (serials must be unique)");
            return;
        }
        /* Whatever state it powered up in, the motor starts off under knotd. */
        rc = massager_submit(m, MASSAGER_OP_LEVEL, 0);
        if (rc < 0)
            massager_attach_fail(m, libusb_error_name(rc));
        return;
    }
    if (m->op == MASSAGER_OP_LEVEL) {
        /* One status read, so an idle massager shows real values from the start. */
        rc = massager_submit(m, MASSAGER_OP_STATUS, 0);
        if (rc < 0)
            massager_attach_fail(m, libusb_error_name(rc));
        return;
    }
    if (t->actual_length < KNOT_STATUS_SIZE) {
        massager_attach_fail(m, "short status block");
        return;
    }
    massager_parse_status(m, (const struct knot_status *)libusb_control_transfer_get_data(t));
    m->sdev_p = massager_remember(m->serial);
    if (!m->sdev_p) {
        massager_attach_fail(m, "knotd still keeps the rest of too many other massagers");
        return;
    }
    massager_unlink(&massager_attaching, m);
    m->attached = true;
    m->next = massager_list;
    massager_list = m;
    log_info("%s: massager attached (%u levels, firmware %u.%u, protocol %u.%u, watchdog %u ms); motor off",
             m->serial, m->levels, m->fw >> 8, m->fw & 0xff, m->proto_major, m->proto_minor, m->watchdog_ms);
    ctl_broadcast(view_device_event("added", m));
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
    m->timer = event_new(knotd.base, -1, EV_PERSIST, massager_timer_cb, m);
    if (!m->xfer || !m->timer) {
        log_error("out of memory attaching a massager");
        massager_free(m);
        return;
    }
    session_init(&m->sess);
    m->next = massager_attaching;
    massager_attaching = m;
    rc = massager_submit(m, MASSAGER_OP_INFO, 0);
    if (rc < 0)
        massager_attach_fail(m, libusb_error_name(rc));
}

void massager_left(libusb_device *dev)
{
    struct massager *m;

    for (m = massager_attaching; m; m = m->next)
        if (m->udev == dev)
            break;
    if (m) {
        massager_unlink(&massager_attaching, m);
        if (m->busy) {
            m->gone = true;
            libusb_cancel_transfer(m->xfer);
        } else {
            massager_free(m);
        }
        return;
    }
    for (m = massager_list; m; m = m->next)
        if (m->udev == dev)
            break;
    if (!m)
        return;
    massager_unlink(&massager_list, m);
    if (session_running(&m->sess)) {
        session_stop(&m->sess, m->sdev_p, SESSION_END_UNPLUG, clock_now_ms());
        massager_settle(m);
    }
    log_info("%s: massager unplugged", m->serial);
    ctl_broadcast(view_device_event("removed", m));
    if (m->busy) {
        /* The transfer's callback frees it; the device is gone, so it ends soon. */
        m->gone = true;
        libusb_cancel_transfer(m->xfer);
        evtimer_del(m->timer);
        return;
    }
    massager_free(m);
}

/* Cancel what flies, wait for it (bounded), command off, close. */
static void massager_shutdown_list(struct massager **list, bool sessions)
{
    struct massager *m;

    while ((m = *list)) {
        /* EP0 takes a second URB: even a massager whose cancelled transfer has
         * not come back yet is told to stop. */
        int rc = massager_sync(m->h, KNOT_RT_OUT, KNOT_REQ_SET_LEVEL, 0, NULL, 0);
        if (rc < 0)
            log_warning("%s: could not command motor off (%s); its watchdog stops it", m->serial[0] ? m->serial : "?",
                        libusb_error_name(rc));
        else if (sessions)
            log_info("%s: motor off", m->serial);
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
    uint64_t deadline = clock_now_ms() + 2 * MASSAGER_TIMEOUT_MS;

    massager_stopping = true;
    for (m = massager_list; m; m = m->next) {
        if (session_running(&m->sess)) {
            session_stop(&m->sess, m->sdev_p, SESSION_END_SHUTDOWN, clock_now_ms());
            massager_settle(m);
        }
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
