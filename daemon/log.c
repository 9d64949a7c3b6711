/* log.c - leveled logging to stderr; "<N>" prefixes under systemd so the journal keeps priorities. */
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum log_level log_max = LOG_L_INFO;
static bool log_journal;

void log_init(void)
{
    /* systemd sets JOURNAL_STREAM when stderr is connected to the journal. */
    log_journal = getenv("JOURNAL_STREAM") != NULL;
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

void log_msg(enum log_level l, const char *fmt, ...)
{
    static const char *const words[] = { [LOG_L_ERROR] = "error", [LOG_L_WARNING] = "warning",
                                         [LOG_L_INFO] = "info", [LOG_L_DEBUG] = "debug" };
    char line[1024];
    va_list ap;

    if (l > log_max)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (log_journal)
        fprintf(stderr, "<%d>%s\n", (int)l, line);
    else
        fprintf(stderr, "knotd: %s: %s\n", words[l], line);
}
