/* journal.h - the session journal: one JSON line per finished session, appended, never rewritten. */
#ifndef KNOT_JOURNAL_H
#define KNOT_JOURNAL_H

#include <stdint.h>

#include "session.h"

void journal_set_path(const char *path);
/* Appends; a failure is logged (once per run of failures) and never stops the daemon. */
void journal_record(const char *serial, const struct session *s, uint64_t now_ms);

#endif
