/* SPDX-License-Identifier: MIT */
/* term.c - the redrawn status line: \r plus ANSI erase-line on a TTY (no escape codes with NO_COLOR or TERM=dumb), nothing of the sort in pipes and logs; whole lines wrapped between words on a TTY. */
#include "term.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "sig.h"
#include "words.h"

#define TERM_CLEAR "\r\033[K"

static bool term_is_tty;
static bool term_plain;         /* NO_COLOR or TERM=dumb: not one escape code */
static char term_shown[512];   /* what the status line shows now; "" = nothing */
static unsigned term_drawn;     /* columns it took when drawn: a plain redraw blanks them */
static struct termios term_saved;   /* stdin's settings before term_keys_on() */
static bool term_raw;           /* term_saved must be put back */

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

/* Display columns of text: UTF-8 characters, not bytes. */
static unsigned term_cols_of(const char *text)
{
    unsigned n = 0;

    for (size_t i = 0; text[i]; i++)
        if (((unsigned char)text[i] & 0xc0) != 0x80)
            n++;
    return n;
}

bool term_fits(const char *text)
{
    return term_cols_of(text) < term_width();
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
    char *text = NULL;
    va_list ap, again;
    int n;

    if (term_is_tty && term_shown[0])
        term_erase();
    va_start(ap, fmt);
    va_copy(again, ap);
    n = vasprintf(&text, fmt, ap);
    if (n >= 0) {
        /* The terminal would cut a long sentence at its edge, mid-word: cut it between words. */
        if (term_is_tty)
            words_wrap(text, term_width() - 1);
        fputs(text, stdout);
        free(text);
    } else {
        vprintf(fmt, again);   /* out of memory: unwrapped, but said */
    }
    va_end(again);
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

void term_keys_off(void)
{
    sigset_t ttou, old;

    if (!term_raw)
        return;
    term_raw = false;
    /* Even from the background (a job control surprise) the settings go back:
     * with SIGTTOU blocked tcsetattr() acts instead of stopping us. */
    sigemptyset(&ttou);
    sigaddset(&ttou, SIGTTOU);
    sigprocmask(SIG_BLOCK, &ttou, &old);
    tcflush(STDIN_FILENO, TCIFLUSH);   /* keys typed for knotctl are not the shell's next command */
    tcsetattr(STDIN_FILENO, TCSANOW, &term_saved);   /* NOW: a hung-up terminal must not make us wait */
    sigprocmask(SIG_SETMASK, &old, NULL);
}

bool term_keys_on(void)
{
    static bool registered;
    struct termios t;

    if (term_raw)
        return true;
    /* Only the foreground job may read the terminal (SIGTTIN otherwise). */
    if (!isatty(STDIN_FILENO) || tcgetpgrp(STDIN_FILENO) != getpgrp() || tcgetattr(STDIN_FILENO, &term_saved) < 0)
        return false;
    t = term_saved;
    /* One key at a time, not echoed; Ctrl-C, Ctrl-Z, Ctrl-\ and Ctrl-S are
     * keys too: the loop decides what they mean, and a suspended knotctl
     * would leave the motor running with nobody to stop it from the window. */
    t.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG | IEXTEN);
    t.c_iflag &= ~(tcflag_t)(IXON | ICRNL | INLCR | IGNCR);
    /* A read after poll() returns what is there; after a lone Esc the next
     * read waits up to 0.1 s for the rest of an arrow key's sequence. */
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 1;
    if (tcsetattr(STDIN_FILENO, TCSANOW, &t) < 0)
        return false;
    term_raw = true;
    /* Every return path restores it (signals come back as flags, see sig.c);
     * this also covers an exit() from anywhere. */
    if (!registered)
        registered = atexit(term_keys_off) == 0;
    return true;
}

ssize_t term_keys_read(unsigned char *buf, size_t len)
{
    for (;;) {
        ssize_t n = read(STDIN_FILENO, buf, len);

        if (n >= 0)
            return n;
        if (errno != EINTR && errno != EAGAIN)
            return -errno;
    }
}

#define TERM_ESC 0x1b

int term_key_wait(int timeout_ms)
{
    struct timespec end, now, left;

    clock_gettime(CLOCK_MONOTONIC, &end);
    end.tv_sec += timeout_ms / 1000;
    end.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (end.tv_nsec >= 1000000000L) {
        end.tv_sec++;
        end.tv_nsec -= 1000000000L;
    }
    for (;;) {
        struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
        unsigned char buf[16];
        ssize_t n;
        int r;

        if (sig_interrupted())
            return -EINTR;
        clock_gettime(CLOCK_MONOTONIC, &now);
        left.tv_sec = end.tv_sec - now.tv_sec;
        left.tv_nsec = end.tv_nsec - now.tv_nsec;
        if (left.tv_nsec < 0) {
            left.tv_sec--;
            left.tv_nsec += 1000000000L;
        }
        if (left.tv_sec < 0)
            return -ETIMEDOUT;
        /* The signals sig.c catches are blocked except inside this wait. */
        r = ppoll(&pfd, 1, &left, sig_wait_mask());
        if (r < 0 && errno == EINTR)
            continue;   /* the flag is checked at the top */
        if (r < 0)
            return -EPIPE;
        if (r == 0)
            return -ETIMEDOUT;
        n = term_keys_read(buf, sizeof(buf));
        /* Readable and nothing there: the terminal is gone (term_keys_read()). */
        if (n <= 0)
            return -EPIPE;
        /* An arrow or function key comes as Esc and more at once: no answer. */
        if (buf[0] == TERM_ESC && n > 1)
            continue;
        return buf[0];
    }
}
