/* SPDX-License-Identifier: MIT */
/* follow.h - `knotctl start`: start a session and follow it until it ends; each step of a routine is such a session. */
#ifndef KNOTCTL_FOLLOW_H
#define KNOTCTL_FOLLOW_H

#include <stdbool.h>

#include "knotctl.h"

/* What one session asks for. */
struct follow_step {
    const char *area;          /* as typed, or a routine step's */
    const char *side;          /* "left", "right" or NULL: asked on a terminal when knotd wants one */
    long long level;           /* 0: the area's default */
    long long session_s;       /* 0: the area's */
    bool in_routine;           /* a routine's step: the routine invites the check-in, once */
    const char *again;         /* the command a hint says to give again ("routine runner"); NULL: start AREA */
    const char *const *quiet;  /* refusal codes the caller says itself (NULL-ended), or NULL */
};

/* How it went. */
struct follow_result {
    bool ran;                  /* a session began: end and ran_s say how it went */
    char end[24];              /* KNOT_END_*; "stopped" for this view's own stop too */
    long long ran_s;           /* how long it ran, by knotd's elapsed_s */
    char code[32];             /* a refused start: knotd's code, else "" */
    char message[512];         /* and its words */
    char side[8];              /* the side it ran on, as given or answered */
    bool left;                 /* the person left at a question (warm-up, which side): nothing started */
};

/* Start the step's session and follow it to its end (with --detach: until
 * it runs); res (may be NULL) says how it went. Returns the exit code. */
int follow_start(const struct knotctl_opts *o, const struct follow_step *step, struct follow_result *res);

#endif
