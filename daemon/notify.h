/* SPDX-License-Identifier: MIT */
/* notify.h - systemd readiness, reload, stopping and watchdog notifications over NOTIFY_SOCKET, never blocking. */
#ifndef KNOT_NOTIFY_H
#define KNOT_NOTIFY_H

#include <event2/event.h>
#include <stdbool.h>

/* Reads NOTIFY_SOCKET (an absolute path or an @abstract name; unset: every
 * notification is a no-op). Retries of what a full queue refused run on base. */
void notify_init(struct event_base *base);
/* Each sends at once without waiting; if the queue is full, the latest state
 * is kept and sent later (an older one it supersedes is never sent). */
void notify_ready(void);
void notify_reloading(void);
void notify_stopping(void);
/* STATUS= for `systemctl status`; sent only when it differs from the last. */
void notify_status(const char *text);
/* Something systemd has not been told yet (its queue was full). */
bool notify_pending(void);
/* Pings WATCHDOG=1 from the loop at half of WATCHDOG_USEC, if systemd asked
 * for it; a ping the full queue refuses is dropped. */
int notify_watchdog_start(struct event_base *base);
void notify_watchdog_stop(void);
/* One last try for anything pending, then closes (before the loop is freed). */
void notify_exit(void);

#endif
