/* SPDX-License-Identifier: MIT */
/* routine.h - `knotctl routines` and `knotctl routine NAME`: the routines knotd's profiles define, listed, and one run step by step, each step a followed session. */
#ifndef KNOTCTL_ROUTINE_H
#define KNOTCTL_ROUTINE_H

#include "knotctl.h"

/* knotctl's own lines of a running routine under --json, among knotd's
 * (each has "event" and "from": "knotctl"); knotctl(1) lists their members. */
#define ROUTINE_EV_ROUTINE "routine"   /* it begins: name, title, steps */
#define ROUTINE_EV_STEP "step"         /* a step begins: step, of, area, side */
#define ROUTINE_EV_SKIPPED "skipped"   /* a step does not run: step, of, area, side, code, message */
#define ROUTINE_EV_SUMMARY "summary"   /* the end: how each step went, why the routine ended */

/* knotctl routines: the list (name, title, steps). Returns the exit code. */
int routine_list(const struct knotctl_opts *o);
/* knotctl routine NAME: run it. Returns the exit code. */
int routine_run(const struct knotctl_opts *o, const char *name);

#endif
