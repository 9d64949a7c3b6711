/* SPDX-License-Identifier: MIT */
/* notifymsg.c - what knotd tells systemd: NOTIFY_SOCKET's address and the pending messages, coalesced (pure logic, no I/O). */
#include "notifymsg.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

int notifymsg_address(const char *value, struct sockaddr_un *sa, socklen_t *salen)
{
    size_t n;

    if (!value || (value[0] != '/' && value[0] != '@') || value[1] == '\0')
        return -EINVAL;
    n = strlen(value);
    /* A path needs room for its NUL; an abstract name's '@' becomes the leading NUL. */
    if (n > sizeof(sa->sun_path) || (value[0] == '/' && n == sizeof(sa->sun_path)))
        return -ENAMETOOLONG;
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    memcpy(sa->sun_path, value, n);
    if (value[0] == '@') {
        /* Abstract names are compared by length, so the address ends with the name. */
        sa->sun_path[0] = '\0';
        *salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    } else {
        *salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    }
    return 0;
}

void notifymsg_state(struct notifymsg *q, enum notifymsg_state s)
{
    q->state = s;
}

void notifymsg_status(struct notifymsg *q, const char *text)
{
    snprintf(q->status, sizeof(q->status), "%s", text);
    for (char *p = q->status; *p; p++)
        if (*p == '\n')
            *p = ' ';   /* one assignment per line: a newline would start another */
    q->has_status = true;
}

bool notifymsg_pending(const struct notifymsg *q)
{
    return q->state != NOTIFYMSG_NONE || q->has_status;
}

size_t notifymsg_format(const struct notifymsg *q, bool watchdog, char *buf, size_t len)
{
    static const char *const states[] = { [NOTIFYMSG_READY] = "READY=1", [NOTIFYMSG_RELOADING] = "RELOADING=1",
                                          [NOTIFYMSG_STOPPING] = "STOPPING=1" };
    int w;

    if (len < NOTIFYMSG_MAX)
        return 0;
    w = snprintf(buf, len, "%s%s%s%s%s%s", q->state != NOTIFYMSG_NONE ? states[q->state] : "",
                 q->state != NOTIFYMSG_NONE && (q->has_status || watchdog) ? "\n" : "",
                 q->has_status ? "STATUS=" : "", q->has_status ? q->status : "",
                 q->has_status && watchdog ? "\n" : "", watchdog ? "WATCHDOG=1" : "");
    return w > 0 && (size_t)w < len ? (size_t)w : 0;
}

void notifymsg_sent(struct notifymsg *q)
{
    q->state = NOTIFYMSG_NONE;
    q->has_status = false;
    q->status[0] = '\0';
}
