/* SPDX-License-Identifier: MIT */
/* admit.h - who gets a control connection when many are open (pure): a share per person, and a reserve for those who may stop the motor. */
#ifndef KNOT_ADMIT_H
#define KNOT_ADMIT_H

#include <stdbool.h>

#define ADMIT_RESERVED 8          /* beyond max_clients: for those who may control, so that stop gets through */
#define ADMIT_RESERVE_HELD 2      /* who holds fewer than this may use the reserve (a following view, then stop) */
#define ADMIT_PER_UID_MIN 4       /* a person's share is at least this many connections */
#define ADMIT_STOP_ONLY 2         /* beyond their share, a member's connections that may only make things gentler */

struct admit_limits {
    unsigned max;                 /* max_clients */
    unsigned reserve;             /* ADMIT_RESERVED */
    unsigned per_uid;             /* admit_per_uid(max) */
};

struct admit_peer {
    unsigned open;                /* connections open now, everyone's */
    unsigned held;                /* of those, this peer's uid's */
    bool may_control;             /* root or the socket's group */
    bool root;                    /* uid 0: no share limit, the whole reserve (the admin ends a flood) */
};

enum admit_verdict {
    ADMIT_OK = 0,
    ADMIT_FULL,                   /* max_clients reached (and the reserve, or not for this peer) */
    ADMIT_UID_FULL,               /* this person holds their share, and their stop-only ones, already */
    ADMIT_STOP_ONLY_OK,           /* taken, but it may only stop, ouch or lower: the person is past their share */
};

/* A person's share of max connections: a quarter, at least ADMIT_PER_UID_MIN,
 * so that one uid cannot take every slot from the others. */
unsigned admit_per_uid(unsigned max);
/* Whether a new connection of peer p is taken under l. */
enum admit_verdict admit_check(const struct admit_limits *l, const struct admit_peer *p);

#endif
