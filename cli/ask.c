/* SPDX-License-Identifier: MIT */
/* ask.c - questions put to the person at the terminal, each answered with one key within a deadline (ASK_WAIT_MS): which side, ready for a routine's next step, yes or no. */
#include "ask.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "side.h"
#include "sig.h"
#include "term.h"

#define ASK_ESC 0x1b
#define ASK_CTRL_C 0x03   /* in raw mode Ctrl-C is a key, not SIGINT */
#define ASK_CTRL_D 0x04

/* What a key answers; keys not in a question's table are no answer and are waited past. */
struct ask_key {
    unsigned char key;
    int answer;
    const char *said;   /* echoed after the question */
};

/* Every question: these keys leave it. */
static const struct ask_key ask_leave[] = {
    { 'q', ASK_NO, "q" }, { 'Q', ASK_NO, "q" }, { ASK_ESC, ASK_NO, "" }, { ASK_CTRL_D, ASK_NO, "" },
    { ASK_CTRL_C, KNOTCTL_EXIT_INTERRUPTED, "^C" },
};

static const struct ask_key ask_sides[] = {
    { 'l', 0, KNOT_SIDE_LEFT }, { 'L', 0, KNOT_SIDE_LEFT }, { 'r', 0, KNOT_SIDE_RIGHT }, { 'R', 0, KNOT_SIDE_RIGHT },
};

static const struct ask_key ask_steps[] = {
    { '\r', 0, "" }, { '\n', 0, "" }, { 's', ASK_SKIP, "s" }, { 'S', ASK_SKIP, "s" },
};

static const struct ask_key ask_yes_keys[] = {
    { 'y', 0, "y" }, { 'Y', 0, "y" }, { 'n', ASK_NO, "n" }, { 'N', ASK_NO, "n" }, { '\r', ASK_NO, "" },
    { '\n', ASK_NO, "" },
};

bool ask_can(const struct knotctl_opts *o)
{
    return !o->json && term_tty() && isatty(STDIN_FILENO);
}

/* Put the question, then wait for a key of keys[] or ask_leave[]: the
 * answer, echoed after the question (*said: the echo). Type-ahead does not
 * answer a question not yet read: what was typed before it showed is flushed. */
static int ask_key(const char *question, const struct ask_key *keys, size_t n, const char **said)
{
    int rc = ASK_NO;

    *said = "";
    if (!term_keys_on()) {
        printf("%s(cannot read the keys here)\n", question);
        return ASK_NO;
    }
    tcflush(STDIN_FILENO, TCIFLUSH);
    fputs(question, stdout);
    fflush(stdout);
    for (;;) {
        int k = term_key_wait(ASK_WAIT_MS);
        size_t i;

        if (k == -ETIMEDOUT) {
            *said = "(no answer)";
            break;
        }
        if (k == -EINTR) {
            rc = KNOTCTL_EXIT_SIGNAL(sig_caught());
            break;
        }
        if (k < 0) {
            rc = KNOTCTL_EXIT_SIGNAL(SIGHUP);   /* the terminal is gone: nobody to answer */
            break;
        }
        for (i = 0; i < n && keys[i].key != k; i++)
            ;
        if (i < n) {
            rc = keys[i].answer;
            *said = keys[i].said;
            break;
        }
        for (i = 0; i < sizeof(ask_leave) / sizeof(ask_leave[0]) && ask_leave[i].key != k; i++)
            ;
        if (i < sizeof(ask_leave) / sizeof(ask_leave[0])) {
            rc = ask_leave[i].answer;
            *said = ask_leave[i].said;
            break;
        }
    }
    term_keys_off();
    printf("%s\n", *said);
    return rc;
}

int ask_side(json_object *area, const char *name, const char **side)
{
    char one[64], title[64], question[160];
    const char *said;
    int rc;

    side_one(one, sizeof(one), area);
    side_place(title, sizeof(title), area, NULL);
    if (one[0])
        snprintf(question, sizeof(question), "Which %s, left or right? [l/r] ", one);
    else
        snprintf(question, sizeof(question), "Which side of your %s, left or right? [l/r] ", area ? title : name);
    rc = ask_key(question, ask_sides, sizeof(ask_sides) / sizeof(ask_sides[0]), &said);
    *side = rc == 0 ? said : NULL;
    return rc;
}

int ask_ready(const char *place)
{
    char question[200];
    const char *said;

    snprintf(question, sizeof(question), "Move the massager to your %s; Enter when ready, s to skip, q to stop: ",
             place);
    return ask_key(question, ask_steps, sizeof(ask_steps) / sizeof(ask_steps[0]), &said);
}

int ask_yes(const char *question)
{
    char q[200];
    const char *said;

    snprintf(q, sizeof(q), "%s [y/N] ", question);
    return ask_key(q, ask_yes_keys, sizeof(ask_yes_keys) / sizeof(ask_yes_keys[0]), &said);
}
