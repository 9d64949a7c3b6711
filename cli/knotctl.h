/* SPDX-License-Identifier: MIT */
/* knotctl.h - what knotctl's command files share: the parsed global options. */
#ifndef KNOTCTL_H
#define KNOTCTL_H

#include <stdbool.h>

struct knotctl_opts {
    const char *socket;   /* -s, else $KNOT_SOCKET, else KNOT_SOCKET_DEFAULT */
    const char *device;   /* -d SERIAL or NULL */
    bool json;            /* --json: knotd's lines as they are */
    bool detach;          /* --detach: start returns at once */
    /* The options of one command (knotctl.c's option table says whose). */
    const char *pain;     /* checkin --pain, as typed */
    unsigned flags;       /* checkin's red flags: bit i is checkin_flags[i] */
    const char *note;     /* checkin --note */
    bool clear, yes;      /* checkin --clear, and --yes: confirmed without asking */
    const char *days;     /* history --days, as typed */
    bool csv;             /* history --csv */
    bool warmed_up;       /* start --warmed-up: the day's first session without the question */
    bool auto_ramp;       /* start --auto-ramp: the ramp begins after the trial without a go-ahead */
    const char *side;     /* start, checkin, history: "left" or "right" (--side, or a word: "left calf"), or NULL */
};

#define KNOTCTL_EXIT_INTERRUPTED 130   /* 128 + SIGINT, as a shell reports it */
#define KNOTCTL_EXIT_SIGNAL(sig) (128 + (sig))   /* stopped because of signal sig (SIGTERM, SIGHUP) */

#endif
