/* SPDX-License-Identifier: MIT */
/* timeline.c - a journal record placed on this boot's clock: exactly in its own boot, by the wall clock before this boot otherwise; the future never after now (pure). */
#include "timeline.h"

#include <string.h>

/* Same boot: both name one, the same, and the record's boot clock is not
 * ahead of ours (a forged or corrupt line is placed by the wall clock). */
static bool timeline_same_boot(const struct timeline_now *now, const struct timeline_mark *m)
{
    return now->boot && m->boot && now->boot[0] && strcmp(now->boot, m->boot) == 0 && m->boot_ms <= now->boot_ms;
}

int64_t timeline_at_ms(const struct timeline_now *now, const struct timeline_mark *m, enum timeline_clock *how,
                       int64_t *moved_s)
{
    /* Both walls lie in 0..TIMELINE_TIME_MAX: no difference below overflows, even in ms. */
    int64_t wall_age_s = (int64_t)now->wall - (int64_t)m->wall;
    int64_t now_ms = (int64_t)now->boot_ms, at;

    if (timeline_same_boot(now, m)) {
        *how = TIMELINE_BOOT;
        /* The wall clock's own account of the span, less the true one. */
        *moved_s = wall_age_s - (now_ms - (int64_t)m->boot_ms) / 1000;
        return (int64_t)m->boot_ms;
    }
    *how = wall_age_s < 0 ? TIMELINE_FUTURE : TIMELINE_WALL;
    *moved_s = wall_age_s < 0 ? -wall_age_s : 0;
    at = now_ms - (wall_age_s < 0 ? 0 : wall_age_s * 1000);
    /* Another boot's record was written before this boot began (known only
     * when this boot's id is: else it may be this boot's own). */
    if (now->boot && now->boot[0] && m->boot && m->boot[0] && at > 0)
        at = 0;
    return at;
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
    age = (uint64_t)((int64_t)now->boot_ms - timeline_at_ms(now, m, &how, &moved));
    return owed > age ? owed - age : 0;
}

int64_t timeline_behind_s(time_t now, time_t newest)
{
    return newest - now >= TIMELINE_BEHIND_S ? (int64_t)(newest - now) : 0;
}
