/* SPDX-License-Identifier: MIT */
/* massager.h - one attached massager: the libusb shell that carries out what drive.c decides, and its session. */
#ifndef KNOT_MASSAGER_H
#define KNOT_MASSAGER_H

#include <event2/event.h>
#include <libusb.h>
#include <stdbool.h>

#include "drive.h"
#include "knot/proto.h"
#include "profile.h"
#include "session.h"

#define MASSAGER_MEMORY 32         /* serials whose running ceiling outlives an unplug */

struct massager;

/* How massager.c reports upward; set once by the daemon's owner (main.c).
 * Each is called from the event loop, never from inside libusb, and after
 * the motor has been commanded as the change requires. */
struct massager_ops {
    void (*added)(struct massager *m);      /* attached and usable */
    void (*removed)(struct massager *m);    /* unplugged (its session, if any, was reported ended first) */
    void (*ended)(struct massager *m);      /* m->sess just ended: journal it, announce it (once per session) */
    void (*status)(struct massager *m);     /* readings worth announcing: a change, or a second passed while running */
    void (*warning)(struct massager *m, const char *message);   /* advice for the person, e.g. pressing too hard */
    /* A start is decided by the device's first look: m->sess runs, or it has
     * ended (d->remedy set when a fault refused it). Once per start, before
     * its end is reported. */
    void (*begun)(struct massager *m);
};

struct massager {
    struct massager *next;
    libusb_device *udev;
    libusb_device_handle *h;
    char serial[KNOT_SERIAL_LEN + 1];
    struct drive drv;                  /* every decision about the device */
    struct session sess;
    struct session_dev *sdev_p;        /* the device's running ceiling: per serial, outlives an unplug */
    uid_t uid;                         /* who started the session (its rest is theirs) */
    enum profile_side side;            /* which side of an area with sides the session works (NONE: no sides) */

    struct libusb_transfer *xfer;
    uint8_t buf[LIBUSB_CONTROL_SETUP_SIZE + KNOT_INFO_SIZE];
    bool busy;                         /* xfer in flight */
    bool gone;                         /* unplugged: freed when the transfer in flight returns */
    bool attached;                     /* in the list: usable */
    struct event *timer;               /* one-shot, at drive_wake_ms() */

    bool begin_pending;                /* started; ops->begun not called yet */
    bool end_reported;                 /* the session's end went to ops->ended */
    bool announced;                    /* the watchers heard this session start (the device took it) */
    uint64_t last_bcast_ms;
    unsigned last_bcast_level, last_bcast_faults;
    int last_bcast_phase;
    bool last_force_warning;
    uint64_t owner;                    /* the control connection (ctl_peer.id) that follows the session; 0: none */
};

void massager_init(struct event_base *base, const struct massager_ops *ops);
void massager_arrived(libusb_device *dev);
void massager_left(libusb_device *dev);
struct massager *massager_first(void);
struct massager *massager_find(const char *serial);
unsigned massager_count(void);
/* Every massager knotd holds: attached, still attaching, or unplugged with a
 * transfer still to come back (what keeps knotd from an idle exit). */
unsigned massager_held(void);

/* Bring the session up to now (ends an overdue one) before a client acts on it. */
void massager_catch_up(struct massager *m);
/* What massager_start() changes, kept to put it back. */
struct massager_undo {
    struct session sess;
    struct session_dev dev;
    struct drive drv;
    bool begin_pending;
    bool end_reported;
};

/* session_start() on m's session with m's device; nothing is sent yet (the
 * caller journals the start first, then massager_run()). Returns what
 * session_start() returns; on 0, undo holds what massager_unstart() needs,
 * and ops->begun follows once the device was looked at. */
int massager_start(struct massager *m, const struct profile_area *a, unsigned level, char *why, size_t whylen,
                   struct massager_undo *undo);
/* A start that must not go ahead (its journal record failed): m is put back
 * exactly as before massager_start(), with no session, no cool-down and
 * nothing announced. Only between massager_start() and massager_run(). */
void massager_unstart(struct massager *m, const struct massager_undo *undo);
/* Carry out what the controller wants now (after a start or a move). */
void massager_run(struct massager *m);
/* End m's session (if one runs) and command the motor off now; its end is
 * reported after the off command has gone out. */
void massager_stop(struct massager *m, enum session_end why);
/* The same for every massager: all motors are commanded off before any end
 * is reported. Returns how many massagers there are. */
unsigned massager_stop_all(enum session_end why);
/* Before exit: every motor off (synchronously, bounded), then every end reported, every device closed. */
void massager_shutdown_all(void);

#endif
