/* SPDX-License-Identifier: MIT */
/* usbfs.h - one virtual massager on the umockdev testbed: sysfs entry, usbdevfs ioctls, hotplug. */
#ifndef KNOT_SIM_USBFS_H
#define KNOT_SIM_USBFS_H

#include <stdbool.h>
#include <stddef.h>
#include <umockdev.h>

#include "device.h"

struct usbfs_dev;

struct usbfs_params {
    unsigned index;            /* 1-based; also the emulated bus number */
    uint16_t vid, pid;
    bool trace_requests;       /* trace every control request (--trace-requests) */
    struct kdev_config dev;
};

struct usbfs_dev *usbfs_new(UMockdevTestbed *tb, const struct usbfs_params *p);
void usbfs_free(struct usbfs_dev *d);

/* Scene control, called from the main thread; all take the device lock.
 * Each returns 0 or a negative errno (-EALREADY when already in that state). */
int usbfs_plug(struct usbfs_dev *d);
int usbfs_unplug(struct usbfs_dev *d);
/* Unplugged now (every transfer fails with "no device"), its removal event
 * late_ms later: the order a real kernel's USB stack gives. */
int usbfs_unplug_late(struct usbfs_dev *d, unsigned late_ms);
int usbfs_hang(struct usbfs_dev *d, bool hang);   /* also while unplugged */
int usbfs_fail_next(struct usbfs_dev *d, unsigned n);
int usbfs_fault(struct usbfs_dev *d, uint16_t fault);
/* Latch the fault when the next SET_LEVEL above the current level arrives. */
int usbfs_fault_at_raise(struct usbfs_dev *d, uint16_t fault);
int usbfs_clear(struct usbfs_dev *d);
int usbfs_press(struct usbfs_dev *d, unsigned force_dn);
int usbfs_battery(struct usbfs_dev *d, unsigned pct);
/* Another program reading the massager's status every period_ms (a monitor:
 * GET_STATUS with wValue 0), straight into the core; 0 stops it. */
int usbfs_monitor(struct usbfs_dev *d, unsigned period_ms);
/* Human/machine readable one-line state, "key=value ..." */
void usbfs_describe(struct usbfs_dev *d, char *buf, size_t len);
const char *usbfs_serial(const struct usbfs_dev *d);

/* Advance every time-dependent part (watchdog, motor model). */
void usbfs_tick(struct usbfs_dev *d);

#endif
