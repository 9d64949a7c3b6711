/* SPDX-License-Identifier: MIT */
/* fuzz_profile.c - libFuzzer harness: body-area profiles through profile_parse() and profile_load() (daemon/profile.c); an accepted profile keeps every hard limit. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "profile.h"

static int fd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fd = fuzz_memfd("profiles.conf", path, sizeof(path));
    return 0;
}

/* [a-z0-9-], not starting or ending with '-', terminated in its field. */
static void check_name(const char *s, const char *what)
{
    size_t n = strnlen(s, PROFILE_NAME_LEN);

    if (n == 0 || n == PROFILE_NAME_LEN || s[0] == '-' || s[n - 1] == '-')
        fuzz_fail("%s '%.*s' is empty, unterminated or starts or ends with '-'", what, (int)n, s);
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            fuzz_fail("%s '%s' has the byte 0x%02x", what, s, (unsigned char)s[i]);
}

static void check_text(const char *s, size_t cap, int required, const char *what)
{
    size_t n = strnlen(s, cap);

    if (n == cap || (required && n == 0))
        fuzz_fail("%s is unterminated or missing", what);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            fuzz_fail("%s has the control character 0x%02x", what, (unsigned char)s[i]);
}

/* The hard limits of profile.h, restated: an area that breaks one is never accepted. */
static void check_area(const struct profile *p, unsigned i)
{
    const struct profile_area *a = &p->areas[i];

    check_name(a->name, "name");
    if (a->n_aliases > PROFILE_MAX_ALIASES)
        fuzz_fail("%s: %u aliases", a->name, a->n_aliases);
    for (unsigned j = 0; j < a->n_aliases; j++) {
        check_name(a->aliases[j], "alias");
        if (profile_find(p, a->aliases[j]) != a)
            fuzz_fail("%s: alias %s finds another area", a->name, a->aliases[j]);
    }
    if (profile_find(p, a->name) != a)
        fuzz_fail("%s: its name finds another area", a->name);
    check_text(a->title, sizeof(a->title), 1, "title");
    check_text(a->tool, sizeof(a->tool), 1, "tool");
    check_text(a->action, sizeof(a->action), 1, "action");
    check_text(a->aftercare, sizeof(a->aftercare), 0, "aftercare");
    if (!a->gun_allowed)
        return;
    if (a->start_level != PROFILE_START_LEVEL || a->trial_s < PROFILE_TRIAL_MIN_S || a->trial_s > PROFILE_TRIAL_MAX_S ||
        a->max_level < 1 || a->max_level > KNOT_MAX_LEVELS || a->default_level < 1 ||
        a->default_level > a->max_level || a->step_s < PROFILE_STEP_MIN_S || a->session_s < a->trial_s ||
        a->session_s > PROFILE_SESSION_MAX_S || a->cooldown_s > PROFILE_COOLDOWN_MAX_S || a->force_max_dn < 1 ||
        a->force_max_dn > PROFILE_FORCE_MAX_DN)
        fuzz_fail("%s breaks a hard limit: start %u trial %u default %u max %u step %u session %u cooldown %u "
                  "force %u", a->name, a->start_level, a->trial_s, a->default_level, a->max_level, a->step_s,
                  a->session_s, a->cooldown_s, a->force_max_dn);
}

/* Field by field: the bytes after a name's NUL are whatever the parser's buffer held. */
static int same_area(const struct profile_area *a, const struct profile_area *b)
{
    if (strcmp(a->name, b->name) || a->n_aliases != b->n_aliases || strcmp(a->title, b->title) ||
        strcmp(a->tool, b->tool) || strcmp(a->action, b->action) || strcmp(a->aftercare, b->aftercare) ||
        a->gun_allowed != b->gun_allowed || a->start_level != b->start_level || a->trial_s != b->trial_s ||
        a->default_level != b->default_level || a->max_level != b->max_level || a->step_s != b->step_s ||
        a->session_s != b->session_s || a->cooldown_s != b->cooldown_s || a->force_max_dn != b->force_max_dn ||
        a->line != b->line)
        return 0;
    for (unsigned j = 0; j < a->n_aliases; j++)
        if (strcmp(a->aliases[j], b->aliases[j]))
            return 0;
    return 1;
}

static int same_profile(const struct profile *a, const struct profile *b)
{
    if (a->n != b->n)
        return 0;
    for (unsigned i = 0; i < a->n; i++)
        if (!same_area(&a->areas[i], &b->areas[i]))
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct profile parsed, loaded, before;
    char err_parse[512], err_load[512];
    char *text = malloc(size + 1);
    int rc_parse, rc_load;

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    /* A failed parse must leave *out as it was (a bad reload keeps the old profile). */
    memset(&before, 0xa5, sizeof(before));
    memcpy(&parsed, &before, sizeof(parsed));
    rc_parse = profile_parse(text, path, &parsed, err_parse, sizeof(err_parse));
    if (rc_parse == 0) {
        if (parsed.n < 1 || parsed.n > PROFILE_MAX_AREAS)
            fuzz_fail("%u areas", parsed.n);
        for (unsigned i = 0; i < parsed.n; i++)
            check_area(&parsed, i);
    } else {
        if (rc_parse != -EINVAL)
            fuzz_fail("profile_parse returned %d", rc_parse);
        if (!err_parse[0])
            fuzz_fail("profile_parse failed without saying why");
        if (memcmp(&parsed, &before, sizeof(parsed)) != 0)
            fuzz_fail("a failed profile_parse changed its output");
    }

    /* The file path: the same verdict, unless a NUL byte makes it refuse the file. */
    fuzz_memfd_fill(fd, data, size);
    memset(&loaded, 0xa5, sizeof(loaded));
    rc_load = profile_load(path, &loaded, err_load, sizeof(err_load));
    if (strlen(text) != size) {
        if (rc_load != -EINVAL || !strstr(err_load, "contains a NUL byte"))
            fuzz_fail("a file with a NUL byte: profile_load returned %d: %s", rc_load, err_load);
    } else if (rc_load != rc_parse || (rc_load == 0 && !same_profile(&loaded, &parsed)) ||
               (rc_load != 0 && strcmp(err_load, err_parse) != 0)) {
        fuzz_fail("profile_load and profile_parse disagree: %d '%s' / %d '%s'", rc_load, err_load, rc_parse,
                  err_parse);
    }
    free(text);
    return 0;
}
