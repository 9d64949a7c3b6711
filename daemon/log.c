/* SPDX-License-Identifier: MIT */
/* log.c - leveled logging to stderr, one write(2) per line, never waiting on a pipe or socket; "<N>" prefixes under systemd. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_LINE_MAX 1024

static enum log_level log_max = LOG_L_INFO;
static bool log_journal;
static unsigned long log_dropped;   /* lines a full stderr refused since the last one that went out */
static bool log_torn;               /* a line went out in part: the next one starts on a line of its own */

void log_init(void)
{
    struct stat st;
    int fl;

    /* systemd sets JOURNAL_STREAM when stderr is connected to the journal. */
    log_journal = getenv("JOURNAL_STREAM") != NULL;
    /* A pipe or a socket (journald's stream, knotd's own under systemd) fills
     * up when its reader stalls: lines are then dropped, never waited for. A
     * terminal or a file stays as it is. */
    if (fstat(STDERR_FILENO, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) &&
        (fl = fcntl(STDERR_FILENO, F_GETFL)) >= 0 && !(fl & O_NONBLOCK))
        (void)fcntl(STDERR_FILENO, F_SETFL, fl | O_NONBLOCK);
}

void log_set_level(enum log_level l)
{
    log_max = l;
}

int log_parse_level(const char *s)
{
    static const struct { const char *name; enum log_level l; } names[] = {
        { "error", LOG_L_ERROR }, { "warning", LOG_L_WARNING }, { "info", LOG_L_INFO }, { "debug", LOG_L_DEBUG },
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(s, names[i].name) == 0)
            return (int)names[i].l;
    return -1;
}

/* One line with its prefix and newline into buf; its length. */
static size_t log_format(char *buf, size_t len, enum log_level l, const char *text)
{
    static const char *const words[] = { [LOG_L_ERROR] = "error", [LOG_L_WARNING] = "warning",
                                         [LOG_L_INFO] = "info", [LOG_L_DEBUG] = "debug" };
    int n = log_journal ? snprintf(buf, len, "<%d>%s\n", (int)l, text)
                        : snprintf(buf, len, "knotd: %s: %s\n", words[l], text);

    return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

void log_msg(enum log_level l, const char *fmt, ...)
{
    char text[LOG_LINE_MAX], out[2 * LOG_LINE_MAX + 64];
    size_t n = 0, note = 0;
    ssize_t w;
    va_list ap;

    if (l > log_max)
        return;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (log_torn)
        out[n++] = '\n';
    if (log_dropped) {
        char drops[96];
        snprintf(drops, sizeof(drops), "%lu log line%s dropped (standard error was full)", log_dropped,
                 log_dropped == 1 ? "" : "s");
        n += log_format(out + n, sizeof(out) - n, LOG_L_WARNING, drops);
        note = n;
    }
    n += log_format(out + n, sizeof(out) - n, l, text);
    /* One write: lines of knotd never interleave with each other, and a full
     * pipe or socket refuses the whole line (EAGAIN) rather than making the
     * loop wait. */
    do
        w = write(STDERR_FILENO, out, n);
    while (w < 0 && errno == EINTR);
    if (w < 0) {
        log_dropped++;
        return;
    }
    log_torn = (size_t)w < n;
    if (!log_torn)
        log_dropped = 0;
    else if ((size_t)w >= note)
        log_dropped = 1;    /* the note went out; this line was cut */
    else
        log_dropped++;
}
