/* SPDX-License-Identifier: MIT */
/* ask.h - questions put to the person at the terminal, each answered with one key within a deadline: which side, ready for a routine's next step, go on after pain. */
#ifndef KNOTCTL_ASK_H
#define KNOTCTL_ASK_H

#include <json-c/json.h>
#include <stdbool.h>

#include "knotctl.h"

#define ASK_WAIT_MS (10 * 60 * 1000)   /* a question nobody answers in 10 minutes is answered no */

/* Answers other than yes (0) and knotctl's exit codes (a signal, Ctrl-C: 130; a hang-up: 129). */
#define ASK_NO (-1)     /* q, Esc, Ctrl-D, n, or no answer in time */
#define ASK_SKIP (-2)   /* s: not this step */

/* Whether someone can answer here: stdin and stdout a terminal, not --json. */
bool ask_can(const struct knotctl_opts *o);
/* "Which calf, left or right? [l/r]" for knotd's area object (NULL: name
 * is all there is): 0 with *side "left" or "right", ASK_NO, or an exit code. */
int ask_side(json_object *area, const char *name, const char **side);
/* "move the massager to your right calf; Enter when ready, s to skip, q to
 * stop": 0 (Enter), ASK_SKIP, ASK_NO, or an exit code. */
int ask_ready(const char *place);
/* question, then [y/N]: 0 for y, ASK_NO, or an exit code. */
int ask_yes(const char *question);

#endif
