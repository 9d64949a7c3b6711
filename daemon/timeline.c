/* SPDX-License-Identifier: MIT */
/* timeline.c - a journal record's age from the boot clock in its own boot, else from the wall clock; the future counts as now (pure). */
#include "timeline.h"

#include <string.h>

/* Same boot: both name one, the same, and the record's boot clock is not
 * ahead of ours (a forged or corrupt line is read by the wall clock). */
static bool timeline_same_boot(const struct timeline_now *now, const struct timeline_mark *m)
{
    return now->boot && m->boot && now->boot[0] && strcmp(now->boot, m->boot) == 0 && m->boot_ms <= now->boot_ms;
}

uint64_t timeline_age_ms(const struct timeline_now *now, const struct timeline_mark *m, enum timeline_clock *how,
                         int64_t *moved_s)
{
    if (timeline_same_boot(now, m)) {
        uint64_t age = now->boot_ms - m->boot_ms;

        *how = TIMELINE_BOOT;
        /* The wall clock's own account of the same span, less the true one. */
        *moved_s = (int64_t)(now->wall - m->wall) - (int64_t)(age / 1000u);
        return age;
    }
    if (m->wall > now->wall) {
        *how = TIMELINE_FUTURE;
        *moved_s = (int64_t)(m->wall - now->wall);
        return 0;
    }
    *how = TIMELINE_WALL;
    *moved_s = 0;
    return (uint64_t)(now->wall - m->wall) * 1000u;
}

uint64_t timeline_rest_left_ms(const struct timeline_now *now, const struct timeline_mark *m, time_t until,
                               uint64_t cap_ms)
{
    enum timeline_clock how;
    int64_t moved;
    uint64_t owed, age;

    if (until <= m->wall)
        return 0;
    /* Both stamps come from one clock at one moment: their difference holds whatever it did later. */
    owed = (uint64_t)(until - m->wall);
    owed = owed > cap_ms / 1000u ? cap_ms : owed * 1000u;
    age = timeline_age_ms(now, m, &how, &moved);
    return owed > age ? owed - age : 0;
}

int64_t timeline_day(int64_t rec_day, int64_t today)
{
    return rec_day > today + 1 ? today : rec_day;
}

int64_t timeline_behind_s(time_t now, time_t newest)
{
    return newest - now >= TIMELINE_BEHIND_S ? (int64_t)(newest - now) : 0;
}
