/* SPDX-License-Identifier: MIT */
/* ctl.h - knot-sim's fault-injection socket: one text command per line, "ok"/"err" replies. */
#ifndef KNOT_SIM_CTL_H
#define KNOT_SIM_CTL_H

#include <stddef.h>

#include "usbfs.h"

int ctl_listen(const char *path, struct usbfs_dev **devs, size_t ndevs);
void ctl_close(void);
/* Execute one command line; reply (without newline) goes to out. Exposed for tests. */
void ctl_execute(const char *line, char *out, size_t outlen);

#endif
