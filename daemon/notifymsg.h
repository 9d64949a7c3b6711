/* SPDX-License-Identifier: MIT */
/* notifymsg.h - what knotd tells systemd, as pure logic: the NOTIFY_SOCKET address, and pending messages coalesced into one datagram. */
#ifndef KNOT_NOTIFYMSG_H
#define KNOT_NOTIFYMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#define NOTIFYMSG_STATUS_MAX 128   /* STATUS= text, longer is cut */
#define NOTIFYMSG_MAX 256          /* the longest datagram notifymsg_format() makes */

/* The service state systemd is told; each one supersedes the one before. */
enum notifymsg_state { NOTIFYMSG_NONE = 0, NOTIFYMSG_READY, NOTIFYMSG_RELOADING, NOTIFYMSG_STOPPING };

/* What systemd has not heard yet: only the latest state and the latest status
 * text, since a state systemd missed is of no use once a newer one exists. */
struct notifymsg {
    enum notifymsg_state state;    /* NOTIFYMSG_NONE: no state change pending */
    bool has_status;
    char status[NOTIFYMSG_STATUS_MAX];
};

/* NOTIFY_SOCKET's value as an address: "/absolute/path", or "@name" for an
 * abstract socket. 0; -EINVAL for any other form (relative, "vsock:", "@"
 * alone, empty); -ENAMETOOLONG when it does not fit a Unix socket address. */
int notifymsg_address(const char *value, struct sockaddr_un *sa, socklen_t *salen);

void notifymsg_state(struct notifymsg *q, enum notifymsg_state s);
void notifymsg_status(struct notifymsg *q, const char *text);   /* newlines become spaces */
bool notifymsg_pending(const struct notifymsg *q);
/* The one datagram to send now: the pending state, the pending status and,
 * with watchdog, WATCHDOG=1, one assignment per line. Its length; 0 when
 * there is nothing to say. len must be at least NOTIFYMSG_MAX. */
size_t notifymsg_format(const struct notifymsg *q, bool watchdog, char *buf, size_t len);
/* The datagram notifymsg_format() made went out: nothing is pending. */
void notifymsg_sent(struct notifymsg *q);

#endif
