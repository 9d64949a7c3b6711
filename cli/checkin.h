/* SPDX-License-Identifier: MIT */
/* checkin.h - `knotctl checkin AREA`: how an area feels on the care record, and clearing its red flags knowingly. */
#ifndef KNOTCTL_CHECKIN_H
#define KNOTCTL_CHECKIN_H

#include "knotctl.h"

/* The check-in o's options describe (--pain, red flags, --note; or --clear,
 * confirmed on a terminal or by --yes). Returns the exit code. */
int checkin_run(const struct knotctl_opts *o, const char *area);

#endif
