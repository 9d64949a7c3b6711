/* SPDX-License-Identifier: MIT */
/* watch.h - `knotctl watch`: knotd's events, live, until Ctrl-C. */
#ifndef KNOTCTL_WATCH_H
#define KNOTCTL_WATCH_H

#include "knotctl.h"

int watch_run(const struct knotctl_opts *o);

#endif
