/* SPDX-License-Identifier: MIT */
/* timeline.h - where a journal record stands now when the wall clock may have moved: its age, the rest it leaves, the day it counts for (pure, clocks as arguments). */
#ifndef KNOT_TIMELINE_H
#define KNOT_TIMELINE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/*
 * Rest and the daily dose outlive knotd: the journal carries them across a
 * restart. The wall clock that stamps its records can move (an NTP step, a
 * dead RTC battery, a person setting it), so a record's age is read from the
 * clock that cannot:
 *
 *   - written in this boot (the record names the boot id it was written in,
 *     and its boot clock, CLOCK_BOOTTIME): the age is the boot clock's
 *     difference, whatever the wall clock did since;
 *   - written in another boot, or by a knotd that did not record its boot:
 *     the wall clock's difference;
 *   - a record from the future (the wall clock went back): it counts as
 *     written now. Never a lock-out of hours for a clock error, never a rest
 *     erased: it leaves the rest it owed when it was written.
 *
 * Days: a record counts for its own local day. A clock set back across
 * midnight leaves it on tomorrow's: it counts today and tomorrow, so a new
 * day's dose waits until the day it was recorded in has passed by the clock.
 * A record further ahead (the clock went back by more than a day, e.g. a
 * dead RTC battery) counts for today alone: no lock-out of days.
 */

#define TIMELINE_BOOT_LEN 33     /* a boot id: 32 hex digits and the NUL */
#define TIMELINE_BEHIND_S 60     /* a wall clock this far behind the newest record is said to have gone back */

/* Now, by both clocks. */
struct timeline_now {
    time_t wall;                 /* time(2) */
    uint64_t boot_ms;            /* CLOCK_BOOTTIME in milliseconds */
    const char *boot;            /* this boot's id; "" if unknown */
};

/* When a record was written, as the record says. */
struct timeline_mark {
    time_t wall;
    const char *boot;            /* "" if the record names no boot */
    uint64_t boot_ms;
};

/* Which clock a record's age was read from. */
enum timeline_clock {
    TIMELINE_BOOT,               /* this boot's clock: the wall clock does not matter */
    TIMELINE_WALL,               /* another boot, or none recorded: the wall clock */
    TIMELINE_FUTURE,             /* the wall clock says the record is yet to be written: it counts as now */
};

/* How long ago (ms) the record m was written, and from which clock (*how).
 * *moved_s: for TIMELINE_BOOT, how far the wall clock moved since the record
 * (positive: forward); for TIMELINE_FUTURE, how far the record lies ahead;
 * else 0. Never negative: a record from the future has age 0. */
uint64_t timeline_age_ms(const struct timeline_now *now, const struct timeline_mark *m, enum timeline_clock *how,
                         int64_t *moved_s);

/* The rest (ms) a record that owed rest until `until` (its own wall clock)
 * leaves now: what it owed when written, at most cap_ms, less its age. */
uint64_t timeline_rest_left_ms(const struct timeline_now *now, const struct timeline_mark *m, time_t until,
                               uint64_t cap_ms);

/* The local day a record (or a rest entry) of local day rec_day counts for
 * on local day today: its own, or today when its own is later than
 * tomorrow. A day at or after today counts toward today's dose. */
int64_t timeline_day(int64_t rec_day, int64_t today);

/* Seconds the wall clock is behind the newest record (newest: its time), or
 * 0 when less than TIMELINE_BEHIND_S: worth saying in the log and status. */
int64_t timeline_behind_s(time_t now, time_t newest);

#endif
