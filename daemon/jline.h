/* SPDX-License-Identifier: MIT */
/* jline.h - the journal's bytes, whatever they hold, split into lines of at most JLINE_MAX bytes, one byte at a time (pure; journal.c reads the file). */
#ifndef KNOT_JLINE_H
#define KNOT_JLINE_H

#include <stdbool.h>
#include <stddef.h>

#define JLINE_MAX 4096   /* the longest line kept: JOURNAL_LINE_MAX (journal.c checks that they agree) */

/* A line being gathered. A line longer than JLINE_MAX is not a record: its
 * first JLINE_MAX bytes are kept, the rest dropped, and over says so. */
struct jline {
    char line[JLINE_MAX + 1];
    size_t len;     /* the bytes of the line so far in line[] */
    bool over;      /* the line is longer than JLINE_MAX */
    size_t ready;   /* after JLINE_LINE: the line's length, its bytes at line[0 .. ready - 1] until the next step */
};

/* What a byte (or the end of the file) did. */
enum jline_event {
    JLINE_NONE,   /* nothing ended */
    JLINE_LINE,   /* a line ended (a newline, or the end of the file): ready bytes at line[], none of them a NUL or a newline; may be empty */
    JLINE_LONG,   /* a line longer than JLINE_MAX ended: none of it is kept */
    JLINE_CUT,    /* NUL bytes cut a line short (a power cut): none of it is kept */
};

/*@ // What the splitter keeps (docs/PROOFS.md): the line and the ready
    // line within the buffer; a line is over only once the buffer is full;
    // no byte of either is a NUL or a newline.
  predicate jline_ok(struct jline *j) =
    \valid(j) && j->len <= JLINE_MAX && j->ready <= JLINE_MAX && (j->over ==> j->len == JLINE_MAX)
    && (\forall integer k; 0 <= k < j->len ==> j->line[k] != '\0' && j->line[k] != '\n')
    && (\forall integer k; 0 <= k < j->ready ==> j->line[k] != '\0' && j->line[k] != '\n');
*/

/* An empty line, nothing ready. */
/*@ requires \valid(j);
    assigns j->len, j->over, j->ready;
    ensures jline_ok(j) && j->len == 0 && !j->over && j->ready == 0; */
void jline_init(struct jline *j);

/* One byte of the file. A NUL ends the line (no record holds one; a power
 * cut leaves runs of them after a torn record): JLINE_CUT if the line had
 * anything, else nothing. A newline ends the line: JLINE_LONG if it was too
 * long, else JLINE_LINE with the line's bytes. Any other byte is kept while
 * the line has room, and makes it over once it has none. */
/*@ requires jline_ok(j);
    assigns j->len, j->over, j->ready, j->line[0 .. JLINE_MAX - 1];
    ensures jline_ok(j);
    ensures ch == '\0' ==> j->len == 0 && !j->over && j->ready == \old(j->ready)
        && \result == (\old(j->len) > 0 || \old(j->over) ? JLINE_CUT : JLINE_NONE);
    ensures ch == '\n' ==> j->len == 0 && !j->over
        && \result == (\old(j->over) ? JLINE_LONG : JLINE_LINE)
        && (!\old(j->over) ==> j->ready == \old(j->len));
    ensures ch == '\0' || ch == '\n' ==> \forall integer k; 0 <= k < JLINE_MAX ==> j->line[k] == \old(j->line[k]);
    ensures ch != '\0' && ch != '\n' ==> \result == JLINE_NONE && j->ready == \old(j->ready)
        && \forall integer k; 0 <= k < \old(j->len) ==> j->line[k] == \old(j->line[k]);
    ensures ch != '\0' && ch != '\n' && \old(j->len) < JLINE_MAX ==>
        j->len == \old(j->len) + 1 && j->line[\old(j->len)] == ch && j->over == \old(j->over);
    ensures ch != '\0' && ch != '\n' && \old(j->len) == JLINE_MAX ==> j->len == JLINE_MAX && j->over; */
enum jline_event jline_step(struct jline *j, char ch);

/* The end of the file: a last line without its newline (a record torn by a
 * crash or a full disk) is JLINE_LONG if too long, JLINE_LINE if it has
 * bytes, and otherwise nothing is left. The splitter is empty after. */
/*@ requires jline_ok(j);
    assigns j->len, j->over, j->ready;
    ensures jline_ok(j) && j->len == 0 && !j->over;
    ensures \old(j->over) ==> \result == JLINE_LONG;
    ensures !\old(j->over) && \old(j->len) > 0 ==> \result == JLINE_LINE && j->ready == \old(j->len);
    ensures !\old(j->over) && \old(j->len) == 0 ==> \result == JLINE_NONE; */
enum jline_event jline_finish(struct jline *j);

#endif
