/* SPDX-License-Identifier: MIT */
/* fuzz_config.c - libFuzzer harness: knotd.conf as loaded by config_load() (daemon/config.c), read from a memfd. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "config.h"
#include "idle.h"
#include "log.h"

static int fd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fd = fuzz_memfd("knotd.conf", path, sizeof(path));
    return 0;
}

/* A string member is terminated inside its array. */
static void check_str(const char *s, size_t cap, const char *what)
{
    if (!memchr(s, '\0', cap))
        fuzz_fail("%s is not terminated", what);
}

/* What an accepted file may leave in the settings: every value within its limits. */
static void check_config(const struct config *c)
{
    check_str(c->socket, sizeof(c->socket), "socket");
    check_str(c->socket_group, sizeof(c->socket_group), "socket_group");
    check_str(c->profiles, sizeof(c->profiles), "profiles");
    check_str(c->journal, sizeof(c->journal), "journal");
    if (c->socket[0] != '/' || c->profiles[0] != '/' || c->journal[0] != '/')
        fuzz_fail("a path is not absolute: '%s' '%s' '%s'", c->socket, c->profiles, c->journal);
    if (!c->socket_group[0])
        fuzz_fail("socket_group is empty");
    if (c->socket_mode > 0777)
        fuzz_fail("socket_mode %o", c->socket_mode);
    if (c->log_level != LOG_L_ERROR && c->log_level != LOG_L_WARNING && c->log_level != LOG_L_INFO &&
        c->log_level != LOG_L_DEBUG)
        fuzz_fail("log_level %d", c->log_level);
    if (c->max_clients < 1 || c->max_clients > 1024)
        fuzz_fail("max_clients %u", c->max_clients);
    if (c->idle_exit_s > IDLE_EXIT_MAX_S)
        fuzz_fail("idle_exit_s %u", c->idle_exit_s);
    if (c->n_ids < 1 || c->n_ids > CONFIG_MAX_IDS)
        fuzz_fail("%u ids", c->n_ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct config c;
    char err[512];
    int rc;

    fuzz_memfd_fill(fd, data, size);
    config_defaults(&c);
    memset(err, 0, sizeof(err));
    rc = config_load(path, &c, err, sizeof(err));
    if (rc == 0) {
        check_config(&c);
    } else if (rc == -EINVAL) {
        /* "FILE:LINE: what": the file named, a line that exists. */
        size_t plen = strlen(path), lines = 1;
        long line;
        char *end;

        for (size_t i = 0; i < size; i++)
            lines += data[i] == '\n';

        if (strncmp(err, path, plen) != 0 || err[plen] != ':')
            fuzz_fail("error does not name the file: %s", err);
        line = strtol(err + plen + 1, &end, 10);
        if (end == err + plen + 1 || *end != ':' || line < 1 || (size_t)line > lines)
            fuzz_fail("error names no line of the file: %s", err);
    } else {
        /* A memfd always exists and is small: absent, too big or unreadable cannot be. */
        fuzz_fail("config_load returned %d: %s", rc, err);
    }
    return 0;
}
