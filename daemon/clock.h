/* SPDX-License-Identifier: MIT */
/* clock.h - the daemon's clocks: CLOCK_BOOTTIME for sessions, the device and rest, the local day of the wall clock. */
#ifndef KNOT_CLOCK_H
#define KNOT_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The wall-clock second at which a wait of left_ms from now ends, rounded
 * up: the same second however often it is asked (time(NULL) plus whole
 * seconds would move by one as the wall clock ticks). */
static inline time_t clock_wall_until_s(uint64_t left_ms)
{
    struct timespec ts;
    int64_t ms;

    clock_gettime(CLOCK_REALTIME, &ts);
    ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + (int64_t)left_ms;
    return (time_t)(ms >= 0 ? (ms + 999) / 1000 : ms / 1000);
}

/* Sessions, the device and every timer: no wall-clock step moves it, and
 * a suspend does (CLOCK_MONOTONIC stops while the machine sleeps, but the
 * massager's watchdog does not: a look taken before a suspend must not count
 * as fresh after it, and a session's time runs on). */
static inline uint64_t clock_now_ms(void)
{
    return clock_ms(CLOCK_BOOTTIME);
}

/* Rest: the same clock, which counts a suspend (a muscle rests while the
 * laptop sleeps). The journal records it with the boot's id. */
static inline uint64_t clock_boot_ms(void)
{
    return clock_ms(CLOCK_BOOTTIME);
}

/* The local day of wall-clock time t: days since the epoch, local time (the
 * daily dose resets at local midnight). */
static inline int64_t clock_local_day(time_t t)
{
    struct tm tm;

    if (!localtime_r(&t, &tm))
        return (int64_t)(t / 86400);
    return (int64_t)((t + tm.tm_gmtoff) / 86400);
}

/* Where today's local midnight lies on the boot clock (ms; negative: before
 * this boot began), for the wall clock `wall` and the boot clock `boot_ms`
 * read together. The real seconds since midnight (mktime: a 23- or 25-hour
 * day is what it is), so the dose resets when the wall clock passes
 * midnight, however it got there. */
static inline int64_t clock_day_start_ms(time_t wall, uint64_t boot_ms)
{
    struct tm tm;
    time_t midnight;

    if (!localtime_r(&wall, &tm))
        return (int64_t)boot_ms - (int64_t)(wall % 86400) * 1000;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    midnight = mktime(&tm);
    if (midnight == (time_t)-1 || midnight > wall)
        midnight = wall - (time_t)(wall % 86400);
    return (int64_t)boot_ms - (int64_t)(wall - midnight) * 1000;
}

#endif
