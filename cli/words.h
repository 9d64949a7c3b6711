/* SPDX-License-Identifier: MIT */
/* words.h - the small pieces knotctl's sentences are built from: a tool with its article, a title inside a sentence, times as a person says them. */
#ifndef KNOTCTL_WORDS_H
#define KNOTCTL_WORDS_H

#include <stdbool.h>
#include <stddef.h>

/* "Upper Back" -> "upper back": a profile's title or tool inside a sentence. */
void words_lower(char *buf, size_t len, const char *text);
/* text (UTF-8) as a terminal may show it: the characters that reorder or hide
 * text (bidi embeddings, overrides and isolates, zero-width characters, the
 * line and paragraph separators) become a visible <U+XXXX>; the rest as is. */
void words_safe(char *buf, size_t len, const char *text);
/* Break text in place at blanks, so that no line passes width columns (UTF-8
 * characters, not bytes) where a blank allows it: a word longer than width
 * keeps a line of its own. A terminal cuts long lines wherever the edge is,
 * "n/ever"; this cuts between words. */
void words_wrap(char *text, unsigned width);
/* The candidate a mistyped word meant, for "did you mean ...?": the shortest
 * one it begins, else the nearest by edit distance (at most 2, and less than
 * half the word); NULL if none is near. */
const char *words_nearest(const char *word, const char *const *candidates, size_t n);
/* "Foam Roller" -> "a foam roller", "Massage Ball" -> "a massage ball",
 * "Your Fingers" -> "your fingers": the guide's tool as a sentence names it. */
void words_tool(char *buf, size_t len, const char *tool);
/* "Sit with the roller ..." -> "sit with the roller ...": the guide's action
 * after a colon (a first word in capitals, "I" or "NSAID", stays). */
void words_clause(char *buf, size_t len, const char *text);
/* "15 s", "90 s", "20 min", "1 h": a profile's durations. */
void words_seconds(char *buf, size_t len, long long s);
/* "1:30 of 10 min" or "3 of 10 min": today's dose, used of allowed. short_form: "1:30/10 min". */
void words_dose(char *buf, size_t len, long long used_s, long long dose_s, bool short_form);
/* "10:42" (local time), "Tue 10:42" when it is not today. */
void words_clock(char *buf, size_t len, long long unix_time);
/* "14 min", "40 s", "2 h 5 min": a wait, rounded up to what a person counts. */
void words_wait(char *buf, size_t len, long long s);
/* "just now", "12 s ago", "2 min ago", "3 h ago"; "never" for a negative age. */
void words_ago(char *buf, size_t len, long long s);
/* "do" for "calves" or "quads (front of thighs)", "does" for "upper back":
 * the verb a title takes ("How do your calves feel now?"). */
const char *words_does(const char *title);

/* The red flags a check-in may report, in knotd's order (docs/CONTROL.md):
 * each is also checkin's option (--numbness). */
#define WORDS_FLAGS 6
extern const char *const words_flag_names[WORDS_FLAGS];
/* A red flag as a sentence says it: "sleep" -> "pain that disrupts your
 * sleep"; a name knotctl does not know is said as it is. */
const char *words_flag(const char *name);

#endif
