/* SPDX-License-Identifier: MIT */
/* admit.c - who gets a control connection when many are open (pure): a share per person, and a reserve for those who may stop the motor. */
#include "admit.h"

unsigned admit_per_uid(unsigned max)
{
    return max / 4u < ADMIT_PER_UID_MIN ? ADMIT_PER_UID_MIN : max / 4u;
}

enum admit_verdict admit_check(const struct admit_limits *l, const struct admit_peer *p)
{
    /* One person's flood takes their own share, never the others'; past it,
     * someone who may stop the motor still gets a stop through. */
    if (!p->root && p->held >= l->per_uid)
        return p->may_control && p->held < l->per_uid + ADMIT_STOP_ONLY && p->open < l->max + l->reserve
                   ? ADMIT_STOP_ONLY_OK : ADMIT_UID_FULL;
    if (p->open >= l->max + l->reserve)
        return ADMIT_FULL;
    /* Past max_clients, the reserve is for those who may stop the motor and
     * hold almost nothing yet (a flood of theirs does not reach it), and root. */
    if (p->open >= l->max && (!p->may_control || (p->held >= ADMIT_RESERVE_HELD && !p->root)))
        return ADMIT_FULL;
    return ADMIT_OK;
}
