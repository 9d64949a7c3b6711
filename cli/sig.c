/* sig.c - SIGINT as a flag: the handler only records it; the follow and watch loops act on it. */
#include "sig.h"

#include <string.h>

static volatile sig_atomic_t sig_flag;
static sigset_t sig_unblocked;   /* the mask in force before sig_install(), SIGINT removed */
static bool sig_installed;

static void sig_handler(int signo)
{
    (void)signo;
    sig_flag = 1;
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
    sigaction(SIGINT, &sa, NULL);

    /* Blocked outside ppoll() so a Ctrl-C between checking the flag and
     * starting to wait is not lost until the next line arrives (the race
     * a plain poll() would have); ppoll() unblocks it atomically. */
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &sig_unblocked);
    sigdelset(&sig_unblocked, SIGINT);
    sig_installed = true;
}

bool sig_interrupted(void)
{
    return sig_flag != 0;
}

const sigset_t *sig_wait_mask(void)
{
    return sig_installed ? &sig_unblocked : NULL;
}
