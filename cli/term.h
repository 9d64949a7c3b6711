/* SPDX-License-Identifier: MIT */
/* term.h - knotctl's terminal output: one status line redrawn in place on a TTY, plain lines otherwise. */
#ifndef KNOTCTL_TERM_H
#define KNOTCTL_TERM_H

#include <stdbool.h>
#include <sys/types.h>

/* Decide once whether stdout is a terminal, and whether it may get escape
 * codes (not with NO_COLOR set or TERM=dumb: \r and spaces redraw then);
 * line-buffer stdout for streams. */
void term_init(void);
bool term_tty(void);
/* TTY only: replace the status line (cut to the terminal width so \r can redraw it). */
void term_status(const char *text);
/* Print a whole line above the status line, which is redrawn after it; on a
 * TTY wrapped between words to its width (a sentence, not a table row). */
void term_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Erase the status line and forget it (before an error, a result or exit). */
void term_clear(void);
/* Whether text fits on one row of the terminal, with the column \r needs. */
bool term_fits(const char *text);

/* Keys: stdin in raw mode (no echo, no line editing, no signals from keys).
 * False when stdin is not a terminal or knotctl is not its foreground job.
 * term_keys_off() puts the terminal back as it was; it may be called any
 * number of times and also runs at exit. */
bool term_keys_on(void);
void term_keys_off(void);
/* The keys typed: a count > 0; 0 when none came within 0.1 s, which after
 * poll() said stdin is readable means the terminal is gone (hung up);
 * -errno on an error. */
ssize_t term_keys_read(unsigned char *buf, size_t len);
/* With keys on: the next key typed, waited for at most timeout_ms (an
 * arrow or function key is none: it is skipped); -ETIMEDOUT when none came,
 * -EINTR when a signal sig.c catches came, -EPIPE when the terminal hung up. */
int term_key_wait(int timeout_ms);

#endif
