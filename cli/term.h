/* term.h - knotctl's terminal output: one status line redrawn in place on a TTY, plain lines otherwise. */
#ifndef KNOTCTL_TERM_H
#define KNOTCTL_TERM_H

#include <stdbool.h>

/* Decide once whether stdout is a terminal, and whether it may get escape
 * codes (not with NO_COLOR set or TERM=dumb: \r and spaces redraw then);
 * line-buffer stdout for streams. */
void term_init(void);
bool term_tty(void);
/* TTY only: replace the status line (cut to the terminal width so \r can redraw it). */
void term_status(const char *text);
/* Print a whole line above the status line, which is redrawn after it. */
void term_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Erase the status line and forget it (before an error, a result or exit). */
void term_clear(void);

#endif
