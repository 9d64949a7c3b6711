/* SPDX-License-Identifier: MIT */
/* sig.h - knotctl's SIGINT, SIGTERM and SIGHUP handling: a flag set by the handler, read where it is safe to act on it. */
#ifndef KNOTCTL_SIG_H
#define KNOTCTL_SIG_H

#include <signal.h>
#include <stdbool.h>

/* Catch SIGINT, SIGTERM and SIGHUP into a flag and keep them blocked except
 * inside sig_wait_mask() waits. */
void sig_install(void);
/* True once one of them arrived after sig_install(). */
bool sig_interrupted(void);
/* Which one came first (SIGINT, SIGTERM, SIGHUP); 0 while none has. */
int sig_caught(void);
/* The mask to give ppoll() for a wait that a signal may end; NULL before sig_install(). */
const sigset_t *sig_wait_mask(void);

#endif
