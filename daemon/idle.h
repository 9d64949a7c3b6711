/* SPDX-License-Identifier: MIT */
/* idle.h - when knotd may exit because nothing needs it (pure logic: the clock is an argument). */
#ifndef KNOT_IDLE_H
#define KNOT_IDLE_H

#include <stdbool.h>
#include <stdint.h>

#define IDLE_EXIT_MAX_S 86400u   /* idle_exit_s: 0 (never) to a day */

/* What keeps knotd running: any one of these and it is not idle. */
struct idle_hold {
    unsigned massagers;     /* attached, attaching, or still being let go */
    unsigned clients;       /* control connections */
    bool pending;           /* anything still to go out (a notification to systemd) */
};

struct idle {
    unsigned limit_s;       /* 0: never exit */
    bool idle;              /* nothing held knotd at the last look */
    uint64_t since_ms;      /* when that began */
};

/* Starts busy: a knotd that just started has not looked yet. */
void idle_init(struct idle *i, unsigned limit_s);
/* A new limit (reload): the idle spell so far counts toward it. */
void idle_set_limit(struct idle *i, unsigned limit_s);
/* One look at what holds knotd, at now_ms: true when it has been idle for
 * the whole limit and should exit now. Anything held starts the count anew. */
bool idle_due(struct idle *i, const struct idle_hold *h, uint64_t now_ms);

#endif
