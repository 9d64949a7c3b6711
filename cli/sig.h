/* sig.h - knotctl's SIGINT handling: a flag set by the handler, read where it is safe to act on it. */
#ifndef KNOTCTL_SIG_H
#define KNOTCTL_SIG_H

#include <signal.h>
#include <stdbool.h>

/* Catch SIGINT into a flag and keep it blocked except inside sig_wait_mask() waits. */
void sig_install(void);
/* True once SIGINT arrived after sig_install(). */
bool sig_interrupted(void);
/* The mask to give ppoll() for a wait that Ctrl-C may end; NULL before sig_install(). */
const sigset_t *sig_wait_mask(void);

#endif
