/* SPDX-License-Identifier: MIT */
/* history.h - `knotctl history [AREA]`: the person's sessions and check-ins of the last days, as a chart on a terminal, lines, CSV or JSON, with knotd's care advice. */
#ifndef KNOTCTL_HISTORY_H
#define KNOTCTL_HISTORY_H

#include "knotctl.h"

/* area NULL: every area. o->days (--days, as typed), o->csv, o->json pick
 * what is asked and how it is printed. Returns the exit code. */
int history_run(const struct knotctl_opts *o, const char *area);

#endif
