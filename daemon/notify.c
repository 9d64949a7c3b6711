/* notify.c - tells systemd when knotd is ready, reloading or stopping, and pets its watchdog from the loop. */
#include "notify.h"

#include <stdbool.h>
#include <systemd/sd-daemon.h>

#include "log.h"

static struct event *notify_wd_ev;

void notify_ready(void)
{
    sd_notify(0, "READY=1\nSTATUS=Waiting for massagers");
}

void notify_reloading(void)
{
    sd_notify(0, "RELOADING=1");
}

void notify_stopping(void)
{
    sd_notify(0, "STOPPING=1");
}

static void notify_wd_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    /* Sent from the loop itself: a wedged loop stops petting and systemd restarts us. */
    sd_notify(0, "WATCHDOG=1");
}

int notify_watchdog_start(struct event_base *base)
{
    uint64_t usec = 0;
    struct timeval tv;

    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
        return 0;
    usec /= 2;
    tv.tv_sec = (time_t)(usec / 1000000u);
    tv.tv_usec = (suseconds_t)(usec % 1000000u);
    notify_wd_ev = event_new(base, -1, EV_PERSIST, notify_wd_cb, NULL);
    if (!notify_wd_ev)
        return -1;
    evtimer_add(notify_wd_ev, &tv);
    log_debug("systemd watchdog: petting every %llu ms", (unsigned long long)(usec / 1000));
    return 0;
}

void notify_watchdog_stop(void)
{
    if (notify_wd_ev)
        event_free(notify_wd_ev);
    notify_wd_ev = NULL;
}
