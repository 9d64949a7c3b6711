/* SPDX-License-Identifier: MIT */
/* usb.c - runs libusb inside the libevent loop (no threads of ours) and defers hotplug to the loop. */
#include "usb.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct usb_fd {
    int fd;
    short events;
    struct event *ev;
    bool device;        /* a usbfs node (POLLOUT): watched only while transfers fly */
    bool armed;
    struct usb_fd *next;
};

struct usb_hp_event {
    libusb_device *dev;
    bool arrived;
    struct usb_hp_event *next;
};

static struct event_base *usb_base;
static libusb_context *usb_context;
static struct usb_fd *usb_fds;
static struct event *usb_timeout_ev;
static struct event *usb_hotplug_ev;
static struct usb_hp_event *usb_hp_head, **usb_hp_tail = &usb_hp_head;
static libusb_hotplug_callback_handle usb_hp_handles[CONFIG_MAX_IDS];
static unsigned usb_n_hp;
static const struct usb_ops *usb_ops;
static int usb_in_flight;

libusb_context *usb_ctx(void)
{
    return usb_context;
}

static void usb_rearm_timeout(void)
{
    struct timeval tv;

    if (libusb_pollfds_handle_timeouts(usb_context))
        return; /* Linux: libusb's timerfd is one of the pollfds */
    if (libusb_get_next_timeout(usb_context, &tv) == 1)
        evtimer_add(usb_timeout_ev, &tv);
    else
        evtimer_del(usb_timeout_ev);
}

static void usb_handle(void)
{
    struct timeval zero = { 0, 0 };

    libusb_handle_events_timeout_completed(usb_context, &zero, NULL);
    usb_rearm_timeout();
}

/* A libusb fd ready or its next timeout due: either way libusb has work. */
static void usb_event_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    usb_handle();
}

static void usb_fd_arm(struct usb_fd *f)
{
    bool want = !f->device || usb_in_flight > 0;

    if (want && !f->armed)
        event_add(f->ev, NULL);
    else if (!want && f->armed)
        event_del(f->ev);
    f->armed = want;
}

void usb_inflight(int delta)
{
    usb_in_flight += delta;
    if (usb_in_flight < 0)
        usb_in_flight = 0;
    for (struct usb_fd *f = usb_fds; f; f = f->next)
        usb_fd_arm(f);
}

int usb_submit(struct libusb_transfer *t)
{
    int rc = libusb_submit_transfer(t);

    if (rc == 0) {
        usb_inflight(+1);
        usb_rearm_timeout();
    }
    return rc;
}

static void usb_pollfd_added(int fd, short events, void *user)
{
    struct usb_fd *f = calloc(1, sizeof(*f));
    short ev = EV_PERSIST;

    (void)user;
    if (!f) {
        log_error("out of memory watching libusb fd %d", fd);
        return;
    }
    if (events & POLLIN)
        ev |= EV_READ;
    if (events & POLLOUT)
        ev |= EV_WRITE;
    f->fd = fd;
    f->events = events;
    f->device = (events & POLLOUT) != 0;
    f->ev = event_new(usb_base, fd, ev, usb_event_cb, NULL);
    f->next = usb_fds;
    usb_fds = f;
    usb_fd_arm(f);
}

static void usb_pollfd_removed(int fd, void *user)
{
    (void)user;
    for (struct usb_fd **pp = &usb_fds; *pp; pp = &(*pp)->next) {
        struct usb_fd *f = *pp;
        if (f->fd == fd) {
            *pp = f->next;
            event_free(f->ev);
            free(f);
            return;
        }
    }
}

/* Runs inside libusb: only queue the event and wake the loop. */
static int usb_hotplug_cb(libusb_context *ctx, libusb_device *dev, libusb_hotplug_event what, void *user)
{
    struct usb_hp_event *e = calloc(1, sizeof(*e));

    (void)ctx;
    (void)user;
    if (!e)
        return 0;
    e->dev = libusb_ref_device(dev);
    e->arrived = what == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED;
    *usb_hp_tail = e;
    usb_hp_tail = &e->next;
    event_active(usb_hotplug_ev, EV_TIMEOUT, 0);
    return 0;
}

static void usb_hotplug_deferred_cb(evutil_socket_t fd, short what, void *arg)
{
    struct usb_hp_event *e;

    (void)fd;
    (void)what;
    (void)arg;
    while ((e = usb_hp_head)) {
        usb_hp_head = e->next;
        if (!usb_hp_head)
            usb_hp_tail = &usb_hp_head;
        if (e->arrived)
            usb_ops->arrived(e->dev);
        else
            usb_ops->left(e->dev);
        libusb_unref_device(e->dev);
        free(e);
    }
}

int usb_init(struct event_base *base, const struct config *cfg, const struct usb_ops *ops)
{
    const struct libusb_pollfd **fds;
    int rc;

    usb_base = base;
    usb_ops = ops;
    rc = libusb_init(&usb_context);
    if (rc < 0) {
        log_error("cannot initialise libusb: %s", libusb_error_name(rc));
        return -EIO;
    }
    if (!libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG)) {
        log_error("libusb has no hotplug support on this system");
        libusb_exit(usb_context);
        usb_context = NULL;
        return -ENOTSUP;
    }
    usb_timeout_ev = evtimer_new(base, usb_event_cb, NULL);
    usb_hotplug_ev = event_new(base, -1, 0, usb_hotplug_deferred_cb, NULL);
    libusb_set_pollfd_notifiers(usb_context, usb_pollfd_added, usb_pollfd_removed, NULL);
    fds = libusb_get_pollfds(usb_context);
    for (int i = 0; fds && fds[i]; i++)
        usb_pollfd_added(fds[i]->fd, fds[i]->events, NULL);
    libusb_free_pollfds(fds);

    for (unsigned i = 0; i < cfg->n_ids; i++) {
        rc = libusb_hotplug_register_callback(usb_context,
            LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT, LIBUSB_HOTPLUG_ENUMERATE,
            cfg->ids[i].vid, cfg->ids[i].pid, LIBUSB_HOTPLUG_MATCH_ANY, usb_hotplug_cb, NULL,
            &usb_hp_handles[usb_n_hp]);
        if (rc < 0) {
            log_error("cannot watch for %04x:%04x: %s", cfg->ids[i].vid, cfg->ids[i].pid, libusb_error_name(rc));
            usb_exit();
            return -EIO;
        }
        usb_n_hp++;
        log_debug("watching for massagers %04x:%04x", cfg->ids[i].vid, cfg->ids[i].pid);
    }
    return 0;
}

void usb_stop_hotplug(void)
{
    struct usb_hp_event *e;

    if (!usb_context)
        return;
    for (unsigned i = 0; i < usb_n_hp; i++)
        libusb_hotplug_deregister_callback(usb_context, usb_hp_handles[i]);
    usb_n_hp = 0;
    while ((e = usb_hp_head)) {
        usb_hp_head = e->next;
        libusb_unref_device(e->dev);
        free(e);
    }
    usb_hp_tail = &usb_hp_head;
}

void usb_exit(void)
{
    if (!usb_context)
        return;
    usb_stop_hotplug();
    libusb_set_pollfd_notifiers(usb_context, NULL, NULL, NULL);
    while (usb_fds)
        usb_pollfd_removed(usb_fds->fd, NULL);
    libusb_exit(usb_context);
    usb_context = NULL;
    event_free(usb_timeout_ev);
    event_free(usb_hotplug_ev);
}
