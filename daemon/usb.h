/* SPDX-License-Identifier: MIT */
/* usb.h - libusb folded into the libevent loop: pollfds, timeouts and deferred hotplug. */
#ifndef KNOT_USB_H
#define KNOT_USB_H

#include <event2/event.h>
#include <libusb.h>

#include "config.h"

struct usb_ops {
    /* Called from the event loop, never from inside libusb; dev is referenced
     * for the duration of the call. */
    void (*arrived)(libusb_device *dev);
    void (*left)(libusb_device *dev);
};

int usb_init(struct event_base *base, const struct config *cfg, const struct usb_ops *ops);
/* No more arrivals or departures: first step of shutdown. */
void usb_stop_hotplug(void);
void usb_exit(void);
libusb_context *usb_ctx(void);
/* Transfers in flight went up/down by delta. Device fds are watched only while
 * something is in flight: nothing in flight means no wake-ups. */
void usb_inflight(int delta);
/* Submit wrapper: counts the transfer as in flight and re-arms timeouts. */
int usb_submit(struct libusb_transfer *t);

#endif
