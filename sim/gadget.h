/* SPDX-License-Identifier: MIT */
/* gadget.h - knot-gadget's one massager: the device core behind FunctionFS ep0, its motor, and the scene commands on it. */
#ifndef KNOT_SIM_GADGET_H
#define KNOT_SIM_GADGET_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"
#include "gadget_configfs.h"
#include "motor.h"

struct gadget {
    /* The ep0 thread, the tick loop and the control socket all enter: held
     * only around the core and the motor, never across ep0 or configfs I/O. */
    pthread_mutex_t lock;
    pthread_cond_t unhung;
    struct kdev core;
    struct kdev_config cfg;
    struct motor motor;
    bool plugged;              /* the UDC bound us (BIND) and has not unbound us */
    bool hung;                 /* the scene's: SETUPs wait, the watchdog runs */
    bool trace_requests;
    bool stopping;
    uint16_t fault_at_raise;
    int ep0;
    bool own_gadget;           /* gcfs is ours: plug and unplug work */
    struct gcfs gcfs;
    int kick;                  /* eventfd: the core may need ticking now */
};

/* Scene commands, as knot-sim's control socket has them; 0 or -errno
 * (-EALREADY, -ENODEV while unplugged, -ENOTSUP where a real stack cannot). */
int gadget_plug(struct gadget *g);
int gadget_unplug(struct gadget *g);
int gadget_hang(struct gadget *g, bool hang);
int gadget_fault(struct gadget *g, uint16_t fault, bool at_raise);
int gadget_clear(struct gadget *g);
int gadget_press(struct gadget *g, unsigned force_dn);
int gadget_battery(struct gadget *g, unsigned pct);
void gadget_describe(struct gadget *g, char *buf, size_t len);

#endif
