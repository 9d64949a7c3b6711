/* term.c - the redrawn status line: \r plus ANSI erase-line on a TTY (no escape codes with NO_COLOR or TERM=dumb), nothing of the sort in pipes and logs. */
#include "term.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define TERM_CLEAR "\r\033[K"

static bool term_is_tty;
static bool term_plain;         /* NO_COLOR or TERM=dumb: not one escape code */
static char term_shown[512];   /* what the status line shows now; "" = nothing */
static unsigned term_drawn;     /* columns it took when drawn: a plain redraw blanks them */

void term_init(void)
{
    const char *no_color = getenv("NO_COLOR"), *term = getenv("TERM");

    term_is_tty = isatty(STDOUT_FILENO) == 1;
    /* no-color.org: set and not empty. A dumb terminal knows \r, not ANSI. */
    term_plain = (no_color && no_color[0]) || (term && strcmp(term, "dumb") == 0);
    /* Events must reach a pipe or log as they happen, not when a buffer fills. */
    setvbuf(stdout, NULL, _IOLBF, 0);
}

bool term_tty(void)
{
    return term_is_tty;
}

static unsigned term_width(void)
{
    struct winsize ws;

    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
        return ws.ws_col;
    return 80;
}

/* Back to the start of the status line, with nothing left on it. */
static void term_erase(void)
{
    if (!term_plain) {
        fputs(TERM_CLEAR, stdout);
        return;
    }
    putchar('\r');
    for (unsigned i = 0; i < term_drawn; i++)
        putchar(' ');
    putchar('\r');
}

/* A line longer than the terminal wraps, and \r then redraws only its last
 * row; so cut it one column short (counting UTF-8 characters, not bytes). */
static void term_draw(const char *text)
{
    unsigned cols = term_width() - 1, n = 0;
    size_t i;

    for (i = 0; text[i]; i++) {
        if (((unsigned char)text[i] & 0xc0) != 0x80) {
            if (n == cols)
                break;
            n++;
        }
    }
    if (term_plain) {
        /* \r and spaces over what the last line left: no erase-line code */
        printf("\r%.*s", (int)i, text);
        for (unsigned k = n; k < term_drawn; k++)
            putchar(' ');
    } else {
        printf(TERM_CLEAR "%.*s", (int)i, text);
    }
    term_drawn = n;
    fflush(stdout);
}

void term_status(const char *text)
{
    if (!term_is_tty)
        return;
    snprintf(term_shown, sizeof(term_shown), "%s", text);
    term_draw(term_shown);
}

void term_line(const char *fmt, ...)
{
    va_list ap;

    if (term_is_tty && term_shown[0])
        term_erase();
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    if (term_is_tty && term_shown[0]) {
        term_drawn = 0;
        term_draw(term_shown);
    }
    fflush(stdout);
}

void term_clear(void)
{
    if (term_is_tty && term_shown[0]) {
        term_erase();
        fflush(stdout);
    }
    term_shown[0] = '\0';
    term_drawn = 0;
}
