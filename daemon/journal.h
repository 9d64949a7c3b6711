/* SPDX-License-Identifier: MIT */
/* journal.h - the care record on disk: JSON lines for every session start and end and every check-in, appended, never rewritten (docs/JOURNAL.md). */
#ifndef KNOT_JOURNAL_H
#define KNOT_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "session.h"
#include "timeline.h"

#define JOURNAL_LINE_MAX 4096              /* no record is longer; a longer line is not one */
#define JOURNAL_WHY_MAX 384                /* a message naming the journal and what is wrong */
#define JOURNAL_KEEP_DAYS 90               /* rotation keeps at least this many days */

/* The journal is a regular file and nothing else: a FIFO, a directory or a
 * device in its place is refused, and no open, read or write ever waits.
 * A journal that cannot be written is logged once (and again when it works
 * again); knotd then refuses new sessions, since their start would not be on
 * record, and lets running sessions end as they would. */
void journal_set_path(const char *path);
/* This boot's id (TIMELINE_BOOT_LEN - 1 hex digits, or "" if unknown): every
 * record written from now on names it, with the boot clock, so that a
 * restart in the same boot reads the record's age from a clock that no
 * wall-clock step moves (timeline.h). */
void journal_set_boot(const char *boot);
/* The newest wall-clock time of a record read or written so far (0: none):
 * a clock behind it went back (timeline_behind_s). */
time_t journal_newest(void);
const char *journal_get_path(void);
/* Whether a new session's start can be recorded, as far as knotd can tell
 * without writing: the journal opens for appending as a regular file (it is
 * created if missing), and no append failed since the last that worked. If
 * not, why names the journal and what is wrong. No journal configured: true. */
bool journal_usable(char *why, size_t len);
/* Every record of an area with sides names its side (side; NONE writes none). */
/* A session started: records the cool-down it will owe if it runs its full
 * length, so a crash in the middle still leaves the area resting. 0, or -1
 * with why naming the journal: the record is not written and the caller
 * must undo the start (fail closed). */
int journal_started(const char *serial, uid_t uid, enum profile_side side, const struct session *s, char *why,
                    size_t len);
/* A session ended: records why, how long the motor ran and the rest it owes
 * (rest_s from now; a failure is logged: the start record already holds the
 * full cool-down). */
void journal_ended(const char *serial, uid_t uid, enum profile_side side, const struct session *s, unsigned rest_s);
/* A check-in of uid on area: pain 0..10 (-1: not given), red flags (CARE_*
 * bits), a note (may be ""). 0, or -1 with why: not recorded, so not taken. */
int journal_checkin(uid_t uid, const char *area, enum profile_side side, int pain, unsigned flags, const char *note,
                    char *why, size_t len);
/* uid cleared the red flags of area knowingly. 0, or -1 with why. */
int journal_cleared(uid_t uid, const char *area, enum profile_side side, char *why, size_t len);
/* Run by hand, there is no systemd to make /var/lib/knotd: the journal's
 * directory is made (0750, one level only), as the socket's is. A missing
 * parent is said exactly (the journal then refuses new sessions, saying why). */
void journal_make_dir(void);
/* Rotation drops the file before the one it renames: what is still in force
 * must not go with it. After each rotation knotd calls fn(ctx), set by the
 * owner, which restates it in the new file with journal_carry(). */
typedef void (*journal_rotate_fn)(void *ctx);
void journal_on_rotate(journal_rotate_fn fn, void *ctx);
/* A red flag of uid's area still in force, restated at a rotation: a
 * checkin record with "carried": true (history does not list it). */
int journal_carry(uid_t uid, const char *area, enum profile_side side, unsigned flags, char *why, size_t len);

#define JOURNAL_ANYONE ((uid_t)-1)   /* a record without a uid (before knotd kept them) */

/* One record, as replayed. An open start (no end followed) counts as run in
 * full: ran_ms is its planned length and until its full cool-down. */
struct journal_rec {
    const char *record;   /* "start", "end", "checkin" or "clear" */
    const char *serial;   /* "" for a check-in or a clear */
    const char *area;
    enum profile_side side;   /* PROFILE_SIDE_NONE: no side recorded (an older record counts for both) */
    uid_t uid;            /* whose record; JOURNAL_ANYONE if not recorded */
    time_t time;          /* when the record was written (wall clock) */
    char boot[TIMELINE_BOOT_LEN];   /* the boot it was written in; "" if not recorded */
    uint64_t boot_ms;     /* the boot clock then (CLOCK_BOOTTIME ms), if boot is set */
    time_t until;         /* start, end: rest until (wall clock) */
    uint64_t ran_ms;      /* start, end: how long the motor ran */
    bool open;            /* a start no end followed: knotd died, or the session runs */
    unsigned peak, ouches, target;   /* end: the highest level acknowledged, ouches; start, end: the target */
    const char *end;      /* end: how it ended ("done", "stopped", ...); else "" */
    int pain;             /* checkin: 0..10, -1 if not given */
    unsigned flags;       /* checkin: red flags (CARE_* bits) */
    const char *note;     /* checkin: the person's note; else "" */
    bool carried;         /* checkin: a red flag restated at a rotation, not something the person did then */
};

/* Called with each record in order (an end replacing its start), then each open start. */
typedef void (*journal_fn)(const struct journal_rec *rec, void *ctx);
/* Reads back every record of the journal, the rotated file (PATH.1) first. A start with no later end for the
 * same device and area counts as a session that ran its full length (fn gets
 * it last, as a "start" record). Returns
 * the number of records (0 when there is no journal yet), or a negative errno
 * code with why naming the journal and what is wrong (e.g. not a regular
 * file). Anything that is not a record (junk of any length, NUL bytes, a torn
 * last line) is skipped: the first three with a warning naming file:line,
 * then a count. Memory is one line's worth, time is linear in the file. */
int journal_replay(journal_fn fn, void *ctx, char *why, size_t whylen);
/* The same from an open descriptor (read to its end); name is for messages.
 * No rotated file. */
int journal_replay_fd(int fd, const char *name, journal_fn fn, void *ctx);

#endif
