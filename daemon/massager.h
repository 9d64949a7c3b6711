/* massager.h - one attached massager: attach, heartbeat polling, level commands, its session. */
#ifndef KNOT_MASSAGER_H
#define KNOT_MASSAGER_H

#include <event2/event.h>
#include <libusb.h>
#include <stdbool.h>

#include "knot/proto.h"
#include "session.h"

#define MASSAGER_POLL_MS KNOT_HEARTBEAT_MS
#define MASSAGER_TIMEOUT_MS 200    /* one control transfer; the heartbeat is 50 ms */
#define MASSAGER_MAX_FAILS 3       /* consecutive failed transfers = contact lost */
#define MASSAGER_SPINDOWN_MS 2000  /* keep polling after off until the motor reports 0 ppm, this long at most */
#define MASSAGER_WATCHDOG_MIN_MS 100   /* shorter than two heartbeats: it would trip on any hiccup */
#define MASSAGER_WATCHDOG_MAX_MS 1000  /* a device whose dead-man timer is longer is refused */
#define MASSAGER_MEMORY 32         /* serials whose cool-downs and rest outlive an unplug */

struct massager_status {
    bool valid;
    unsigned seq, level, last_stop, ppm, current_ma, force_dn, faults, battery;
    int temp_dc;
};

struct massager {
    struct massager *next;
    libusb_device *udev;
    libusb_device_handle *h;
    char serial[KNOT_SERIAL_LEN + 1];
    unsigned levels, watchdog_ms, fw, proto_major, proto_minor;
    unsigned ppm[KNOT_MAX_LEVELS];
    struct massager_status st;

    unsigned commanded;         /* level the device last acknowledged */
    bool level_unknown;         /* a SET_LEVEL failed: resend even if equal */
    bool need_status;           /* a transfer failed: read the device before raising it again */
    bool ran_this_session;      /* the device acknowledged a level > 0 in the current session */
    struct libusb_transfer *xfer;
    bool busy;                  /* xfer in flight */
    int op;                     /* enum massager_op of the transfer in flight */
    unsigned op_level;
    uint8_t buf[LIBUSB_CONTROL_SETUP_SIZE + KNOT_INFO_SIZE];
    unsigned fails;
    uint64_t failing_since_ms;  /* first of the current run of failures */
    uint64_t off_ms;            /* when level 0 was last acknowledged */
    bool gone;                  /* unplugged: freed when the transfer in flight returns */
    bool attached;              /* info read and motor commanded off: usable */

    struct event *timer;        /* the heartbeat, armed only while active */
    bool timer_on;
    bool poll_due;

    struct session sess;
    struct session_dev *sdev_p; /* cool-downs and rest: per serial, outlives an unplug */
    bool sess_reported;         /* end already journaled and announced */

    uint64_t last_bcast_ms;
    unsigned last_bcast_level, last_bcast_faults;
    int last_bcast_phase;
    bool last_force_warning;
};

void massager_arrived(libusb_device *dev);
void massager_left(libusb_device *dev);
struct massager *massager_first(void);
struct massager *massager_find(const char *serial);
unsigned massager_count(void);
/* Bring the session up to now (ends an overdue one) before a client acts on it. */
void massager_catch_up(struct massager *m);
/* A new session was started on m: fresh failure count and motor history. */
void massager_begin(struct massager *m);
/* A client changed the session: command the new level now, start the heartbeat. */
void massager_kick(struct massager *m);
/* Stop a session and command the motor off now. */
void massager_stop(struct massager *m, enum session_end why);
/* A cool-down read back from the journal: kept for the serial, as an unplug keeps it. */
void massager_restore_cooldown(const char *serial, const char *area, uint64_t until_ms);
/* Before exit: every motor off (synchronously, bounded), every device closed. */
void massager_shutdown_all(void);

#endif
