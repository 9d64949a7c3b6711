/* SPDX-License-Identifier: MIT */
/* gadget_ctl.h - knot-gadget's control socket: knot-sim's scene commands, one per line, "ok"/"err" replies. */
#ifndef KNOT_SIM_GADGET_CTL_H
#define KNOT_SIM_GADGET_CTL_H

#include <poll.h>
#include <stddef.h>

#include "gadget.h"

#define GCTL_MAX_CLIENTS 8

int gctl_listen(const char *path);
void gctl_close(void);
/* The fds to poll (listener and clients) into fds[0..]; returns how many. */
size_t gctl_pollfds(struct pollfd *fds, size_t max);
/* Serve whatever poll reported on those fds. */
void gctl_serve(struct gadget *g, const struct pollfd *fds, size_t n);
/* One command line; the reply (no newline) goes to out. */
void gctl_execute(struct gadget *g, const char *line, char *out, size_t outlen);

#endif
