/* journal.h - the session journal: one JSON line per finished session, appended, never rewritten. */
#ifndef KNOT_JOURNAL_H
#define KNOT_JOURNAL_H

#include <stdint.h>
#include <time.h>

#include "session.h"

void journal_set_path(const char *path);
/* Appends; a failure is logged (once per run of failures) and never stops the daemon. */
void journal_record(const char *serial, const struct session *s, uint64_t now_ms);

/* Called for each finished session found: its device, area and end (wall clock). */
typedef void (*journal_fn)(const char *serial, const char *area, time_t ended, void *ctx);
/* Reads back the newest records (the last JOURNAL_REPLAY_BYTES of the file),
 * so that a restart does not forget the rest muscles need. Returns the number
 * of records, or a negative errno code; a malformed line is skipped with a
 * warning naming file:line. */
#define JOURNAL_REPLAY_BYTES (64 * 1024)
int journal_replay(journal_fn fn, void *ctx);

#endif
