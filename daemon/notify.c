/* SPDX-License-Identifier: MIT */
/* notify.c - tells systemd when knotd is ready, reloading or stopping, and pets its watchdog from the loop; never waits for systemd. */
#include "notify.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "notifymsg.h"

#define NOTIFY_RETRY_MS 50              /* first retry of what a full queue refused */
#define NOTIFY_RETRY_MAX_MS 2000        /* retries slow down to this while nobody reads */
#define NOTIFY_WARN_MS (60u * 1000u)    /* a full queue is reported at most this often */

/*
 * sd_notify() sends on a blocking socket: with the notify socket's queue full
 * (systemd stalled, or a NOTIFY_SOCKET nobody reads) it would hang the loop,
 * and with it the status polls the massagers' watchdogs wait for. This sends
 * with MSG_DONTWAIT instead. What does not fit waits in notify_q, which keeps
 * only the latest state and status, for a retry timer (or the next watchdog
 * ping, which carries it); a WATCHDOG=1 that does not fit is dropped: a
 * systemd that reads nothing would not see it either.
 */
static char notify_name[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];   /* NOTIFY_SOCKET, for messages */
static struct sockaddr_un notify_sa;
static socklen_t notify_salen;
static int notify_fd = -1;
static struct notifymsg notify_q;
static struct event *notify_retry_ev;
static struct event *notify_wd_ev;
static unsigned notify_retry_ms = NOTIFY_RETRY_MS;
static char notify_last_status[NOTIFYMSG_STATUS_MAX];   /* what STATUS= last said (or is queued) */

static bool notify_full;                /* the last send found the queue full */
static bool notify_warned;              /* this full spell was reported */
static bool notify_ever_warned;
static uint64_t notify_warned_ms;
static unsigned long notify_dropped;    /* watchdog pings dropped in the reported spell */
static bool notify_failed;              /* a hard send error was reported */

static void notify_retry_cb(evutil_socket_t fd, short what, void *arg);

void notify_init(struct event_base *base)
{
    const char *e = getenv("NOTIFY_SOCKET");
    int rc;

    if (!e || !e[0])
        return;   /* not started by systemd (or it wants no notifications) */
    rc = notifymsg_address(e, &notify_sa, &notify_salen);
    if (rc < 0) {
        log_error("NOTIFY_SOCKET=%s: %s; systemd will not hear from knotd", e,
                  rc == -ENAMETOOLONG ? "too long for a Unix socket address"
                                      : "neither an absolute path nor an abstract name (@...)");
        return;
    }
    snprintf(notify_name, sizeof(notify_name), "%s", e);
    notify_retry_ev = evtimer_new(base, notify_retry_cb, NULL);
    notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (!notify_retry_ev || notify_fd < 0) {
        log_error("cannot set up notifications to systemd at %s: %s", notify_name,
                  notify_fd < 0 ? strerror(errno) : "out of memory");
        notify_exit();
    }
}

/* The queue took a datagram again: say so if the full spell was reported. */
static void notify_flowing(void)
{
    notify_failed = false;
    notify_retry_ms = NOTIFY_RETRY_MS;
    if (notify_retry_ev)
        evtimer_del(notify_retry_ev);
    if (!notify_full)
        return;
    notify_full = false;
    if (notify_warned)
        log_info("systemd's notify socket %s takes notifications again (%lu watchdog ping(s) dropped meanwhile)",
                 notify_name, notify_dropped);
    notify_warned = false;
    notify_dropped = 0;
}

static void notify_stalled(bool watchdog)
{
    uint64_t now = clock_now_ms();

    if (watchdog)
        notify_dropped++;
    if (notifymsg_pending(&notify_q) && !evtimer_pending(notify_retry_ev, NULL)) {
        struct timeval tv = { (time_t)(notify_retry_ms / 1000u), (suseconds_t)(notify_retry_ms % 1000u) * 1000 };
        evtimer_add(notify_retry_ev, &tv);
    }
    if (notify_full)
        return;
    notify_full = true;
    /* Once per full spell, and a queue that fills and drains all the time
     * (a slow reader) at most once a minute. */
    if (!notify_ever_warned || now - notify_warned_ms >= NOTIFY_WARN_MS) {
        log_warning("systemd's notify socket %s is full (nobody reads it): notifications are delayed, "
                    "the latest state is kept and retried, watchdog pings are dropped", notify_name);
        notify_warned = notify_ever_warned = true;
        notify_warned_ms = now;
    }
}

/* Everything pending, and with watchdog a ping, in one datagram; never waits. */
static void notify_send(bool watchdog)
{
    char msg[NOTIFYMSG_MAX];
    size_t n;

    if (notify_fd < 0) {
        notifymsg_sent(&notify_q);   /* nobody to tell */
        return;
    }
    n = notifymsg_format(&notify_q, watchdog, msg, sizeof(msg));
    if (n == 0)
        return;
    if (sendto(notify_fd, msg, n, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)&notify_sa,
               notify_salen) >= 0) {
        notifymsg_sent(&notify_q);
        notify_flowing();
        return;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS || errno == EINTR) {
        notify_stalled(watchdog);
        return;
    }
    /* Nobody at that address (no systemd, or not listening): lost, as with sd_notify(). */
    if (!notify_failed)
        log_warning("cannot notify systemd at %s: %s (notifications are lost until it works)", notify_name,
                    strerror(errno));
    notify_failed = true;
    notifymsg_sent(&notify_q);
}

static void notify_retry_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    notify_retry_ms = notify_retry_ms * 2 > NOTIFY_RETRY_MAX_MS ? NOTIFY_RETRY_MAX_MS : notify_retry_ms * 2;
    notify_send(false);
}

void notify_ready(void)
{
    notifymsg_state(&notify_q, NOTIFYMSG_READY);
    /* The end of a reload says again where knotd stands. */
    if (notify_last_status[0])
        notifymsg_status(&notify_q, notify_last_status);
    notify_send(false);
}

void notify_status(const char *text)
{
    /* A line that has not changed is not sent again: a running session
     * costs one datagram a second (its time left), an idle knotd none. */
    if (!strncmp(notify_last_status, text, sizeof(notify_last_status) - 1))
        return;
    snprintf(notify_last_status, sizeof(notify_last_status), "%s", text);
    notifymsg_status(&notify_q, text);
    notify_send(false);
}

bool notify_pending(void)
{
    return notify_fd >= 0 && notifymsg_pending(&notify_q);
}

void notify_reloading(void)
{
    notifymsg_state(&notify_q, NOTIFYMSG_RELOADING);
    notify_send(false);
}

void notify_stopping(void)
{
    notifymsg_state(&notify_q, NOTIFYMSG_STOPPING);
    notify_send(false);
}

static void notify_wd_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    /* Sent from the loop itself: a wedged loop stops petting and systemd restarts us. */
    notify_send(true);
}

int notify_watchdog_start(struct event_base *base)
{
    uint64_t usec = 0;
    struct timeval tv;

    if (notify_fd < 0 || sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
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

void notify_exit(void)
{
    if (notify_fd >= 0 && notifymsg_pending(&notify_q)) {
        notify_send(false);   /* a last try, still without waiting */
        if (notifymsg_pending(&notify_q))
            log_debug("exiting with a notification systemd never got (its notify socket is full)");
    }
    if (notify_retry_ev)
        event_free(notify_retry_ev);
    notify_retry_ev = NULL;
    if (notify_fd >= 0)
        close(notify_fd);
    notify_fd = -1;
}
