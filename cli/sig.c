/* SPDX-License-Identifier: MIT */
/* sig.c - SIGINT, SIGTERM and SIGHUP as a flag: the handler only records which came; the follow and watch loops act on it. */
#include "sig.h"

#include <string.h>
#include <time.h>

/* A closed terminal (SIGHUP) or a kill (SIGTERM) must end a followed session
 * as surely as Ctrl-C does: the loop stops the motor, restores the terminal
 * and exits, none of which a handler may do. */
static const int sig_caught_here[] = { SIGINT, SIGTERM, SIGHUP };

static volatile sig_atomic_t sig_flag;   /* the first signal that came, 0 = none */
static sigset_t sig_unblocked;   /* the mask in force before sig_install(), those signals removed */
static bool sig_installed;

static void sig_handler(int signo)
{
    if (!sig_flag)
        sig_flag = signo;
}

void sig_install(void)
{
    struct sigaction sa;
    sigset_t block;

    if (sig_installed)
        return;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = sig_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;   /* no SA_RESTART: a wait must come back with EINTR */
    sigemptyset(&block);
    for (size_t i = 0; i < sizeof(sig_caught_here) / sizeof(sig_caught_here[0]); i++) {
        sigaction(sig_caught_here[i], &sa, NULL);
        sigaddset(&block, sig_caught_here[i]);
    }

    /* Blocked outside ppoll() so a signal between checking the flag and
     * starting to wait is not lost until the next line arrives (the race
     * a plain poll() would have); ppoll() unblocks them atomically. */
    sigprocmask(SIG_BLOCK, &block, &sig_unblocked);
    for (size_t i = 0; i < sizeof(sig_caught_here) / sizeof(sig_caught_here[0]); i++)
        sigdelset(&sig_unblocked, sig_caught_here[i]);
    sig_installed = true;
}

/* A signal that came while they were blocked (knotctl waiting for a reply,
 * not in ppoll()) is only pending: taken here, so that it counts before the
 * next start is sent (found by a review: a SIGTERM between a routine's steps
 * still let the next step start). */
bool sig_interrupted(void)
{
    if (!sig_flag && sig_installed) {
        const struct timespec now = { 0, 0 };
        sigset_t ours;
        int signo;

        sigemptyset(&ours);
        for (size_t i = 0; i < sizeof(sig_caught_here) / sizeof(sig_caught_here[0]); i++)
            sigaddset(&ours, sig_caught_here[i]);
        signo = sigtimedwait(&ours, NULL, &now);
        if (signo > 0 && !sig_flag)
            sig_flag = signo;
    }
    return sig_flag != 0;
}

int sig_caught(void)
{
    return sig_flag;
}

const sigset_t *sig_wait_mask(void)
{
    return sig_installed ? &sig_unblocked : NULL;
}
