/* SPDX-License-Identifier: MIT */
/* gadget_configfs.h - knot-gadget's USB gadget in configfs: one configuration, one FunctionFS function, bound to a UDC. */
#ifndef KNOT_SIM_GADGET_CONFIGFS_H
#define KNOT_SIM_GADGET_CONFIGFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gcfs_params {
    const char *name;          /* /sys/kernel/config/usb_gadget/NAME, and the FunctionFS instance */
    const char *udc;           /* NULL: the first in /sys/class/udc */
    uint16_t vid, pid, bcd_device;
    const char *manufacturer, *product, *serial;
};

struct gcfs {
    char dir[256];             /* the gadget's configfs directory, "" when not created */
    char udc[64];
    char mnt[256];             /* where its FunctionFS is mounted, "" when not */
    bool bound;
};

/* Create the gadget and mount its FunctionFS (on /run/knot-gadget/NAME).
 * Returns 0, or -errno with a message in err. */
int gcfs_create(struct gcfs *c, const struct gcfs_params *p, char *err, size_t errlen);
/* Plug in (bind to the UDC) or unplug; -EALREADY when already so. The
 * descriptors must be on ep0 before the first bind. */
int gcfs_bind(struct gcfs *c);
int gcfs_unbind(struct gcfs *c);
/* Unbind, unmount and remove what gcfs_create made; ep0 must be closed. */
void gcfs_remove(struct gcfs *c);

#endif
