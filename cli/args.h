/* SPDX-License-Identifier: MIT */
/* args.h - command-line values checked before anything is sent: a whole number in a range, a note knotd will take. */
#ifndef KNOTCTL_ARGS_H
#define KNOTCTL_ARGS_H

#include <stdbool.h>
#include <stddef.h>

/* text as a whole number from min to max (decimal digits, an optional '-'),
 * nothing else: "6", not "6.5", " 6", "6x" or "". */
bool args_whole(const char *text, long long min, long long max, long long *out);
/* Whether knotd will take note as a check-in's note: at most max bytes of
 * UTF-8 (RFC 3629) without a control character (U+0000-U+001F,
 * U+007F-U+009F: a newline, a tab). False with why ("is 230 bytes long, at
 * most 200", "holds a control character at byte 5 (U+000A)", "is not
 * UTF-8 at byte 4 (0xe9)"; bytes count from 1). */
bool args_note(const char *note, size_t max, char *why, size_t len);

#endif
