/* SPDX-License-Identifier: MIT */
/* doctor.h - `knotctl doctor`: what stands between this user and a session, one line each, with the fix. */
#ifndef KNOTCTL_DOCTOR_H
#define KNOTCTL_DOCTOR_H

#include "knotctl.h"

/* Checks the socket, the right to use it, the massagers, the files (config:
 * the settings file to check, NULL for knotd's own default) and the journal.
 * Returns 0 when every check is ok, KNOTCTL_EXIT_REFUSED otherwise. */
int doctor_run(const struct knotctl_opts *o, const char *config);

#endif
