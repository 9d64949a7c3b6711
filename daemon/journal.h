/* journal.h - the session journal: JSON lines for every session start and end, appended, never rewritten. */
#ifndef KNOT_JOURNAL_H
#define KNOT_JOURNAL_H

#include <stdint.h>
#include <time.h>

#include "session.h"

#define JOURNAL_REPLAY_BYTES (256 * 1024)  /* the tail read back at start-up */
#define JOURNAL_LINE_MAX 4096

void journal_set_path(const char *path);
/* A session started: records the cool-down it will owe if it runs its full
 * length, so a crash in the middle still leaves the area resting. */
void journal_started(const char *serial, const struct session *s);
/* A session ended: records why and the cool-down it actually owes. */
void journal_ended(const char *serial, const struct session *s);

/* Called with each (device, area) cool-down end (wall clock) found. */
typedef void (*journal_fn)(const char *serial, const char *area, time_t cooldown_until, void *ctx);
/* Reads back the newest records. A start with no later end for the same
 * device and area counts as a session that ran its full length. Returns the
 * number of records, or a negative errno code; a malformed line is skipped with
 * a warning naming file:line. Appending failures never stop the daemon. */
int journal_replay(journal_fn fn, void *ctx);

#endif
