/* SPDX-License-Identifier: MIT */
/* timeline.h - where a journal record stands now when the wall clock may have moved: its time on this boot's clock, and the rest it leaves (pure, clocks as arguments). */
#ifndef KNOT_TIMELINE_H
#define KNOT_TIMELINE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/*
 * Rest and the daily dose outlive knotd: the journal carries them across a
 * restart. The wall clock that stamps its records can move (an NTP step, a
 * dead RTC battery, a person setting it), so knotd places every record on
 * the one clock no step moves, this boot's (CLOCK_BOOTTIME), and reads rest
 * and dose from there:
 *
 *   - written in this boot (the record names the boot id it was written in,
 *     and the boot clock then): exactly where it was, whatever the wall
 *     clock did since;
 *   - written in another boot: the wall clock's age, but at least the time
 *     since this boot began (it was written before), so a record from the
 *     future (the clock went back) is placed before this boot, and ages with
 *     it: a restart never owes its rest afresh;
 *   - no boot recorded (an older knotd): the wall clock's age; a record from
 *     the future counts as written now. Never a lock-out of hours for a clock
 *     error, never a rest erased: it leaves the rest it owed when written.
 *
 * Days: "today" begins at local midnight, which the glue places on the boot
 * clock too (clock_day_start_ms); a record counts toward today's dose when
 * it lies after that point. A clock set back or forward moves midnight, not
 * the records: a dose used 3 s ago still counts after any step, and a new day
 * begins when the (stepped) clock passes midnight.
 */

#define TIMELINE_BOOT_LEN 33     /* a boot id: 32 hex digits and the NUL */
#define TIMELINE_BEHIND_S 60     /* a wall clock this far behind the newest record is said to have gone back */
#define TIMELINE_TIME_MAX ((time_t)253402300799)   /* 9999-12-31: a journal time beyond is clamped to it */

/* Now, by both clocks. */
struct timeline_now {
    time_t wall;                 /* time(2) */
    uint64_t boot_ms;            /* CLOCK_BOOTTIME in milliseconds */
    const char *boot;            /* this boot's id; "" if unknown */
};

/* When a record was written, as the record says (wall in 0..TIMELINE_TIME_MAX). */
struct timeline_mark {
    time_t wall;
    const char *boot;            /* "" if the record names no boot */
    uint64_t boot_ms;
};

/* Which clock placed a record. */
enum timeline_clock {
    TIMELINE_BOOT,               /* this boot's clock: the wall clock does not matter */
    TIMELINE_WALL,               /* another boot, or none recorded: the wall clock */
    TIMELINE_FUTURE,             /* the wall clock says it is yet to be written: before this boot, or now */
};

/* The record m's time on this boot's clock (ms; negative: before this boot
 * began), never after now->boot_ms; and which clock placed it (*how).
 * *moved_s: for TIMELINE_BOOT, how far the wall clock moved since the record
 * (positive: forward); for TIMELINE_FUTURE, how far the record lies ahead;
 * else 0. */
int64_t timeline_at_ms(const struct timeline_now *now, const struct timeline_mark *m, enum timeline_clock *how,
                       int64_t *moved_s);

/* The rest (ms) a record that owed rest until `until` (its own wall clock)
 * leaves now: what it owed when written, at most cap_ms, less its age on
 * the boot clock. */
uint64_t timeline_rest_left_ms(const struct timeline_now *now, const struct timeline_mark *m, time_t until,
                               uint64_t cap_ms);

/* Seconds the wall clock is behind the newest record (newest: its time), or
 * 0 when less than TIMELINE_BEHIND_S: worth saying in the log and status. */
int64_t timeline_behind_s(time_t now, time_t newest);

#endif
