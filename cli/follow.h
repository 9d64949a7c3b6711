/* SPDX-License-Identifier: MIT */
/* follow.h - `knotctl start`: start a session and follow it until it ends. */
#ifndef KNOTCTL_FOLLOW_H
#define KNOTCTL_FOLLOW_H

#include "knotctl.h"

/* level 0: the area's default. Returns the exit code. */
int follow_start(const struct knotctl_opts *o, const char *area, long long level);

#endif
