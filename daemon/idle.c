/* SPDX-License-Identifier: MIT */
/* idle.c - when knotd may exit because nothing needs it: no massager, no client, nothing pending, for idle_exit_s (pure logic). */
#include "idle.h"

void idle_init(struct idle *i, unsigned limit_s)
{
    i->limit_s = limit_s;
    i->idle = false;
    i->since_ms = 0;
}

void idle_set_limit(struct idle *i, unsigned limit_s)
{
    i->limit_s = limit_s;
}

bool idle_due(struct idle *i, const struct idle_hold *h, uint64_t now_ms)
{
    if (h->massagers || h->clients || h->pending) {
        i->idle = false;
        return false;
    }
    if (!i->idle) {
        i->idle = true;
        i->since_ms = now_ms;
    }
    /* A clock that ran backwards (it is monotonic, but callers may pass
     * anything) restarts the spell rather than ending it early. */
    if (now_ms < i->since_ms)
        i->since_ms = now_ms;
    return i->limit_s > 0 && now_ms - i->since_ms >= (uint64_t)i->limit_s * 1000u;
}
