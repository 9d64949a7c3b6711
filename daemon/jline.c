/* SPDX-License-Identifier: MIT */
/* jline.c - the journal's bytes, whatever they hold, split into lines of at most JLINE_MAX bytes, one byte at a time (pure). */
#include "jline.h"

void jline_init(struct jline *j)
{
    j->len = 0;
    j->over = false;
    j->ready = 0;
}

enum jline_event jline_step(struct jline *j, char ch)
{
    bool had;

    if (ch == '\0') {
        had = j->len > 0 || j->over;
        j->len = 0;
        j->over = false;
        return had ? JLINE_CUT : JLINE_NONE;
    }
    if (ch != '\n') {
        if (j->len < JLINE_MAX)
            j->line[j->len++] = ch;
        else
            j->over = true;
        return JLINE_NONE;
    }
    had = j->over;
    if (!had)
        j->ready = j->len;
    j->len = 0;
    j->over = false;
    return had ? JLINE_LONG : JLINE_LINE;
}

enum jline_event jline_finish(struct jline *j)
{
    enum jline_event e = JLINE_NONE;

    if (j->over) {
        e = JLINE_LONG;
    } else if (j->len > 0) {
        j->ready = j->len;
        e = JLINE_LINE;
    }
    j->len = 0;
    j->over = false;
    return e;
}
