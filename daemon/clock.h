/* SPDX-License-Identifier: MIT */
/* clock.h - the daemon's one clock: CLOCK_MONOTONIC in milliseconds. */
#ifndef KNOT_CLOCK_H
#define KNOT_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
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

#endif
