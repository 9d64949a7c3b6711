/* SPDX-License-Identifier: MIT */
/* fuzz_journal.c - libFuzzer harness: the session journal read back by journal_replay() (daemon/journal.c) from a memfd. */
#include <string.h>

#include "common.h"
#include "journal.h"
#include "log.h"

static int fd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fd = fuzz_memfd("journal", path, sizeof(path));
    journal_set_path(path);
    log_set_level(LOG_L_ERROR);   /* every malformed line is a warning: millions of them */
    return 0;
}

static void found(const struct journal_rec *r, void *ctx)
{
    unsigned *calls = ctx;

    /* Read every byte: ASan tells whether they are strings. */
    if (!r->record || !r->serial || !r->area || strlen(r->serial) + strlen(r->area) > JOURNAL_LINE_MAX)
        fuzz_fail("a record without its kind, device or area, or longer than a line");
    if (strcmp(r->record, "start") && strcmp(r->record, "end") && strcmp(r->record, "checkin") &&
        strcmp(r->record, "clear"))
        fuzz_fail("a record of no known kind: '%s'", r->record);
    if (!r->end || !r->note || strlen(r->end) + strlen(r->note) > JOURNAL_LINE_MAX)
        fuzz_fail("a record without its end or note text, or longer than a line");
    if (r->pain < -1 || r->pain > 10 || (r->flags & ~0x3fu))
        fuzz_fail("a check-in with pain %d or flags 0x%x", r->pain, r->flags);
    (*calls)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned calls = 0, lines = 0;
    char why[JOURNAL_WHY_MAX];
    int n;

    fuzz_memfd_fill(fd, data, size);
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n' || i + 1 == size;
    n = journal_replay(found, &calls, why, sizeof(why));
    if (n < 0)
        fuzz_fail("journal_replay returned %d: %s", n, why);
    /* One record per line at most; one cool-down per end, and per start left open. */
    if ((unsigned)n > lines || calls > (unsigned)n)
        fuzz_fail("%d records and %u cool-downs from %u lines", n, calls, lines);
    return 0;
}
