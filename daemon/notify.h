/* notify.h - systemd readiness, reload, stopping and watchdog notifications (sd-daemon). */
#ifndef KNOT_NOTIFY_H
#define KNOT_NOTIFY_H

#include <event2/event.h>

void notify_ready(void);
void notify_reloading(void);
void notify_stopping(void);
/* Pings WATCHDOG=1 from the loop at half of WATCHDOG_USEC, if systemd asked for it. */
int notify_watchdog_start(struct event_base *base);
void notify_watchdog_stop(void);

#endif
