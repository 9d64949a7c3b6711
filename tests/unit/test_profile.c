/* SPDX-License-Identifier: MIT */
/* test_profile.c - cmocka unit tests of profile loading, hard-limit validation, look-up and listing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "profile.h"

/*
 * The error tests start from one valid two-area text and change exactly one
 * thing, so that each failure can only come from the rule under test. The
 * first area is "calves" (its "{" on line 3), one key per line from line 4 on, in the order of
 * base_keys[] below; the line of key i is therefore 4 + i.
 */
struct kv {
    const char *key;
    const char *val;
};

static const struct kv base_keys[] = {
    { "name", "\"calves\"" },
    { "aliases", "[\"calf\"]" },
    { "title", "\"Calves\"" },
    { "tool", "\"Foam Roller\"" },
    { "action", "\"Sit with the roller under your calf.\"" },
    { "gun", "true" },
    { "start_level", "1" },
    { "trial_s", "15" },
    { "default_level", "2" },
    { "max_level", "3" },
    { "step_s", "10" },
    { "session_s", "120" },
    { "cooldown_s", "600" },
    { "force_max_n", "25.0" },
    { "aftercare", "\"Calf stretch.\"" },
};
#define N_BASE (sizeof(base_keys) / sizeof(base_keys[0]))
#define FIRST_KEY_LINE 4
/* The second area ("neck") starts on this line. */
#define NECK_LINE (FIRST_KEY_LINE + (int)N_BASE + 2)

static char text[16384];
static struct profile prof;
static char err[512];

static int key_line(const char *key)
{
    size_t i;

    for (i = 0; i < N_BASE; i++)
        if (strcmp(base_keys[i].key, key) == 0)
            return FIRST_KEY_LINE + (int)i;
    return FIRST_KEY_LINE + (int)N_BASE;       /* an added key goes last */
}

/* The base text with key set to val (val NULL: key left out; a key not in
 * the base is added as the area's last line, or as an empty line when left
 * out so that line numbers never shift). extra goes after the neck area. */
static const char *build(const char *key, const char *val, const char *extra)
{
    size_t i, n = 0;
    int found = 0;

    n += (size_t)snprintf(text + n, sizeof(text) - n, "# test profile\nareas = (\n  {\n");
    for (i = 0; i < N_BASE; i++) {
        const char *v = base_keys[i].val;

        if (key && strcmp(key, base_keys[i].key) == 0) {
            v = val;
            found = 1;
        }
        if (v)
            n += (size_t)snprintf(text + n, sizeof(text) - n, "    %s = %s;\n", base_keys[i].key, v);
        else
            n += (size_t)snprintf(text + n, sizeof(text) - n, "\n");
    }
    if (key && !found && val)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "    %s = %s;\n", key, val);
    else
        n += (size_t)snprintf(text + n, sizeof(text) - n, "\n");
    n += (size_t)snprintf(text + n, sizeof(text) - n,
                          "  },\n"
                          "  {\n"
                          "    name = \"neck\"; title = \"Neck\"; tool = \"Your Fingers\";\n"
                          "    action = \"Use your opposite hand.\"; gun = false;\n"
                          "  }%s\n"
                          ");\n", extra ? extra : "");
    assert_true(n < sizeof(text));
    return text;
}

/* Parse must fail with -EINVAL, err must start with exactly prefix and
 * contain phrase, and the output must be left alone. */
static void expect_error(const char *src, const char *prefix, const char *phrase)
{
    static struct profile before;
    int rc;

    memset(&prof, 0x5a, sizeof(prof));
    memcpy(&before, &prof, sizeof(prof));
    rc = profile_parse(src, "t.conf", &prof, err, sizeof(err));
    if (rc != -EINVAL || strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, phrase))
        print_error("rc %d, err \"%s\"; want prefix \"%s\" and \"%s\"\n", rc, err, prefix, phrase);
    assert_int_equal(rc, -EINVAL);
    assert_memory_equal(err, prefix, strlen(prefix));
    assert_non_null(strstr(err, phrase));
    assert_memory_equal(&prof, &before, sizeof(prof));
}

static void expect_key_error(const char *key, const char *val, const char *phrase)
{
    char prefix[64];

    snprintf(prefix, sizeof(prefix), "t.conf:%d: calves: ", key_line(key));
    expect_error(build(key, val, NULL), prefix, phrase);
}

static const char *shipped_path(void)
{
    const char *p = getenv("KNOT_PROFILES");

    return p && *p ? p : "config/profiles.conf";
}

static void test_base_is_valid(void **state)
{
    (void)state;
    assert_int_equal(profile_parse(build(NULL, NULL, NULL), "t.conf", &prof, err, sizeof(err)), 0);
    assert_string_equal(err, "");
    assert_int_equal(prof.n, 2);
    assert_string_equal(prof.areas[0].name, "calves");
    assert_int_equal(prof.areas[0].line, 3);
    assert_int_equal(prof.areas[0].force_max_dn, 250);
    assert_int_equal(prof.areas[0].n_aliases, 1);
    assert_string_equal(prof.areas[0].aliases[0], "calf");
    assert_int_equal(prof.areas[1].line, NECK_LINE);
    assert_false(prof.areas[1].gun_allowed);
}

static void test_shipped(void **state)
{
    static const char *const gun_areas[] = {
        "shoulders", "upper-back", "lower-back", "glutes-hips", "calves", "quads", "hamstrings",
    };
    const struct profile_area *a;
    size_t i;

    (void)state;
    if (profile_load(shipped_path(), &prof, err, sizeof(err)) != 0)
        print_error("%s\n", err);
    assert_int_equal(profile_load(shipped_path(), &prof, err, sizeof(err)), 0);
    assert_int_equal(prof.n, 9);

    a = profile_find(&prof, "neck");
    assert_non_null(a);
    assert_false(a->gun_allowed);
    assert_string_equal(a->tool, "Your Fingers");
    assert_string_equal(a->action, "Use your opposite hand to apply gentle, sustained pressure for 30 seconds.");
    assert_non_null(strstr(a->aftercare, "Upper trapezius stretch"));

    /* The guide: "like your neck or forearms, your own thumbs or knuckles". */
    a = profile_find(&prof, "forearm");
    assert_non_null(a);
    assert_false(a->gun_allowed);
    assert_string_equal(a->tool, "Your Thumbs or Knuckles");
    assert_string_equal(a->action, "Press and hold, or use slow, deliberate strokes that move along the muscle's "
                                   "grain. Always make sure the area you're working on is supported so the "
                                   "surrounding muscles can stay relaxed.");
    assert_non_null(strstr(a->aftercare, "Forearm stretch"));

    for (i = 0; i < sizeof(gun_areas) / sizeof(gun_areas[0]); i++) {
        a = profile_find(&prof, gun_areas[i]);
        assert_non_null(a);
        assert_true(a->gun_allowed);
        assert_int_equal(a->start_level, PROFILE_START_LEVEL);
        assert_int_equal(a->trial_s, 15);
        assert_int_equal(a->default_level, 2);
        assert_int_equal(a->step_s, 10);
        assert_in_range(a->session_s, 60, 120);
        assert_in_range(a->cooldown_s, 600, 1800);
        assert_in_range(a->force_max_dn, 200, 300);
        assert_true(a->aftercare[0] != '\0');
        assert_in_range(a->dose_min, 5, 10);   /* conservative: at most the default */
    }
    assert_int_equal(profile_find(&prof, "lower-back")->max_level, 2);
    assert_int_equal(profile_find(&prof, "lower-back")->dose_min, 5);
    assert_int_equal(profile_find(&prof, "glutes")->max_level, 4);
    assert_int_equal(profile_find(&prof, "calves")->max_level, 3);
    assert_int_equal(profile_find(&prof, "glutes")->session_s, 120);
    assert_int_equal(profile_find(&prof, "quads")->session_s, 120);
    assert_int_equal(profile_find(&prof, "lower-back")->session_s, 60);

    /* The guide's table, where it has the area. */
    assert_string_equal(profile_find(&prof, "shoulders")->tool, "Tennis/Lacrosse Ball");
    assert_string_equal(profile_find(&prof, "upper back")->tool, "Foam Roller");
    assert_string_equal(profile_find(&prof, "lower back")->tool, "Massage Ball");
    assert_string_equal(profile_find(&prof, "hips")->tool, "Foam Roller/Ball");
    assert_string_equal(profile_find(&prof, "calf")->action,
                        "Sit with the roller under your calf and use your hands to support your weight.");
    assert_non_null(strstr(profile_find(&prof, "shoulders")->aftercare, "Doorway pec stretch"));
    assert_non_null(strstr(profile_find(&prof, "upper-back")->aftercare, "child's pose"));
    assert_non_null(strstr(profile_find(&prof, "lower-back")->aftercare, "Child's pose"));
    assert_non_null(strstr(profile_find(&prof, "glutes")->aftercare, "Child's pose"));
    assert_non_null(strstr(profile_find(&prof, "calves")->aftercare, "at least 30 seconds"));
    assert_non_null(strstr(profile_find(&prof, "thighs")->aftercare, "no bouncing"));
    assert_string_equal(profile_find(&prof, "quadriceps")->name, "quads");
    assert_string_equal(profile_find(&prof, "glute")->name, "glutes-hips");
    assert_string_equal(profile_find(&prof, "hip")->name, "glutes-hips");

    /* Pairs take a side; the spine and the neck do not. */
    assert_true(profile_find(&prof, "calves")->sides && profile_find(&prof, "shoulders")->sides);
    assert_true(profile_find(&prof, "quads")->sides && profile_find(&prof, "hamstrings")->sides);
    assert_false(profile_find(&prof, "upper-back")->sides || profile_find(&prof, "lower-back")->sides);
    assert_false(profile_find(&prof, "neck")->sides);
    /* The guide's runner and desk worker. */
    assert_int_equal(prof.n_routines, 2);
    assert_int_equal(profile_routine_find(&prof, "runner")->n, 6);
    assert_string_equal(profile_routine_find(&prof, "runner")->steps[1].area, "calves");
    assert_int_equal(profile_routine_find(&prof, "runner")->steps[1].side, PROFILE_SIDE_RIGHT);
    assert_int_equal(profile_routine_find(&prof, "desk")->n, 3);
    assert_string_equal(profile_routine_find(&prof, "desk")->steps[0].area, "upper-back");
}

/* The base with calves in pairs, and a routines list after the areas: each
 * step on a line of its own from *first_line on. */
static const char *with_routines(const char *sides, const char *steps, int *first_line)
{
    static char buf[sizeof(text) + 2048];
    int lines = 0;

    snprintf(buf, sizeof(buf), "%s", build("sides", sides, NULL));
    for (const char *p = buf; *p; p++)
        lines += *p == '\n';
    *first_line = lines + 4;
    /* The last step's comma, if any, goes: libconfig takes none before ')'. */
    snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "routines = (\n  { name = \"r\"; title = \"R\";\n"
             "    steps = (\n%.*s\n    );\n  }\n);\n",
             (int)(strlen(steps) - (strlen(steps) >= 2 && strcmp(steps + strlen(steps) - 2, ",\n") == 0 ? 2 :
                                    strlen(steps) ? 1 : 0)), steps);
    return buf;
}

static void expect_routine_error(const char *sides, const char *steps, int line_off, const char *phrase)
{
    char prefix[64];
    int first;
    const char *src = with_routines(sides, steps, &first);

    snprintf(prefix, sizeof(prefix), "t.conf:%d: ", first + line_off);
    expect_error(src, prefix, phrase);
}

static void test_sides_and_routines(void **state)
{
    int first;

    (void)state;
    assert_int_equal(profile_parse(with_routines("true", "      { area = \"calf\"; side = \"left\"; },\n"
                                                 "      { area = \"calves\"; side = \"Right\"; session_s = 30; "
                                                 "level = 2; }\n", &first), "t.conf", &prof, err, sizeof(err)), 0);
    assert_string_equal(err, "");
    assert_true(prof.areas[0].sides);
    assert_false(prof.areas[1].sides);
    assert_int_equal(prof.n_routines, 1);
    assert_ptr_equal(profile_routine_find(&prof, "R"), &prof.routines[0]);
    assert_null(profile_routine_find(&prof, "runner"));
    assert_int_equal(prof.routines[0].n, 2);
    assert_string_equal(prof.routines[0].steps[0].area, "calves");   /* the canonical name, not the alias */
    assert_int_equal(prof.routines[0].steps[0].side, PROFILE_SIDE_LEFT);
    assert_int_equal(prof.routines[0].steps[0].session_s, 0);
    assert_int_equal(prof.routines[0].steps[1].side, PROFILE_SIDE_RIGHT);
    assert_int_equal(prof.routines[0].steps[1].session_s, 30);
    assert_int_equal(prof.routines[0].steps[1].level, 2);
    assert_int_equal(prof.routines[0].steps[1].line, first + 1);

    /* Each step that breaks a rule names its line and what is wrong. */
    expect_routine_error("true", "      { area = \"calves\"; side = \"left\"; },\n      { area = \"knees\"; },\n", 1,
                         "routine r, step 2: unknown area \"knees\" (known: calves, neck)");
    expect_routine_error("true", "      { area = \"neck\"; },\n", 0, "neck has gun = false");
    expect_routine_error("true", "      { area = \"calves\"; side = \"left\"; level = 4; },\n", 0,
                         "routine r, step 1: level");
    expect_routine_error("true", "      { area = \"calves\"; side = \"left\"; session_s = 121; },\n", 0,
                         "at least the area's trial, at most its session_s");
    expect_routine_error("true", "      { area = \"calves\"; side = \"left\"; session_s = 14; },\n", 0,
                         "session_s");
    expect_routine_error("true", "      { area = \"calves\"; },\n", 0, "calves has sides: missing side");
    expect_routine_error("false", "      { area = \"calves\"; side = \"left\"; },\n", 0, "calves has no sides");
    expect_routine_error("true", "      { area = \"calves\"; side = \"middle\"; },\n", 0,
                         "side must be \"left\" or \"right\"");
    expect_routine_error("true", "      { area = \"calves\"; side = \"left\"; speed = 9; },\n", 0,
                         "unknown setting \"speed\"");
    expect_routine_error("true", "", -1, "routine r: steps is empty");
    expect_error("areas = ( { name = \"calves\"; title = \"C\"; tool = \"T\"; action = \"A\"; gun = false; } );\n"
                 "routines = (\n { name = \"a\"; title = \"A\"; steps = ( { area = \"x\"; } ); },\n"
                 " { name = \"a\"; title = \"A\"; steps = (); }\n);\n",
                 "t.conf:3: routine a, step 1: unknown area", "\"x\"");
    expect_error("areas = ( { name = \"calves\"; title = \"C\"; tool = \"T\"; action = \"A\"; gun = true; "
                 "start_level = 1; trial_s = 10; default_level = 1; max_level = 1; step_s = 5; session_s = 20; "
                 "cooldown_s = 0; force_max_n = 20.0; } );\n"
                 "routines = (\n { name = \"a\"; title = \"A\"; steps = ( { area = \"calves\"; } ); },\n"
                 " { name = \"A\"; title = \"A\"; steps = ( { area = \"calves\"; } ); }\n);\n",
                 "t.conf:4: routine #2: name \"a\" is taken by the routine at line 3", "");
    expect_error("areas = ( { name = \"neck\"; title = \"N\"; tool = \"T\"; action = \"A\"; gun = false; } );\n"
                 "routines = 3;\n", "t.conf:2: routines must be a list", "");
    assert_string_equal(profile_side_name(PROFILE_SIDE_LEFT), "left");
    assert_null(profile_side_name(PROFILE_SIDE_NONE));
    assert_true(profile_side_covers(PROFILE_SIDE_NONE, PROFILE_SIDE_LEFT));
    assert_true(profile_side_covers(PROFILE_SIDE_RIGHT, PROFILE_SIDE_NONE));
    assert_false(profile_side_covers(PROFILE_SIDE_RIGHT, PROFILE_SIDE_LEFT));
}

static void test_load_missing_file(void **state)
{
    (void)state;
    assert_int_equal(profile_load("/nonexistent/profiles.conf", &prof, err, sizeof(err)), -ENOENT);
    assert_string_equal(err, "/nonexistent/profiles.conf: No such file or directory");
}

/* Reloads run in the event loop: a FIFO must be refused, not waited on. */
static void test_load_not_a_regular_file(void **state)
{
    char fifo[64], want[128];

    (void)state;
    snprintf(fifo, sizeof(fifo), "/tmp/knotd-pfifo-%ld", (long)getpid());
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    alarm(5); /* a blocking open fails the test instead of hanging it */
    assert_int_equal(profile_load(fifo, &prof, err, sizeof(err)), -EINVAL);
    alarm(0);
    unlink(fifo);
    snprintf(want, sizeof(want), "%s: not a regular file (a FIFO)", fifo);
    assert_memory_equal(err, want, strlen(want));
    assert_int_equal(profile_load("/tmp", &prof, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "/tmp: not a regular file (a directory)"));
}

/* libconfig would stop reading at a NUL: the rest of the file would be lost unseen. */
static void test_load_nul_byte(void **state)
{
    static const char src[] = "areas = (\n  { name = \"a\";\n    title = \"A\0\"; } );\n";
    char path[64], want[128];
    FILE *f;

    (void)state;
    snprintf(path, sizeof(path), "/tmp/knotd-nul-%ld.conf", (long)getpid());
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(src, 1, sizeof(src) - 1, f), sizeof(src) - 1);
    fclose(f);
    assert_int_equal(profile_load(path, &prof, err, sizeof(err)), -EINVAL);
    unlink(path);
    snprintf(want, sizeof(want), "%s:3: contains a NUL byte (column 15); not a text file", path);
    assert_string_equal(err, want);
}

static void test_limit_trial(void **state)
{
    (void)state;
    expect_key_error("trial_s", "9", "trial_s = 9 is outside 10..20 (the guide: lowest speed for 10-20 s first)");
    expect_key_error("trial_s", "21", "trial_s = 21 is outside 10..20");
    expect_key_error("trial_s", "-15", "trial_s = -15 is outside 10..20");
}

static void test_limit_start_level(void **state)
{
    (void)state;
    expect_key_error("start_level", "2", "start_level = 2 must be 1 (the guide: always start on the lowest speed)");
    expect_key_error("start_level", "0", "start_level = 0 must be 1");
}

static void test_limit_levels(void **state)
{
    (void)state;
    expect_key_error("max_level", "9", "max_level = 9 is outside 1..8");
    expect_key_error("max_level", "0", "max_level = 0 is outside 1..8");
    expect_key_error("default_level", "4", "default_level = 4 is outside 1..3 (1..max_level)");
    expect_key_error("default_level", "0", "default_level = 0 is outside 1..3");
}

static void test_limit_step(void **state)
{
    (void)state;
    expect_key_error("step_s", "4", "step_s = 4 is outside 5..300 (a gentle ramp: at most one level per 5 s)");
}

static void test_limit_session(void **state)
{
    (void)state;
    expect_key_error("session_s", "301", "session_s = 301 is outside 15..300");
    expect_key_error("session_s", "14", "session_s = 14 is outside 15..300 (at least the trial");
}

static void test_limit_cooldown(void **state)
{
    (void)state;
    expect_key_error("cooldown_s", "86401", "cooldown_s = 86401 is outside 0..86400");
    expect_key_error("cooldown_s", "-1", "cooldown_s = -1 is outside 0..86400");
}

static void test_text_not_utf8(void **state)
{
    (void)state;
    expect_key_error("title", "\"Calves \xe9t\xe9\"", "title is not UTF-8 (byte 0xe9 at offset 7; save the file");
    expect_key_error("action", "\"Roll \xc3(\"", "action is not UTF-8 (byte 0xc3 at offset 5");
    expect_key_error("aftercare", "\"\xed\xa0\x80\"", "aftercare is not UTF-8 (byte 0xed at offset 0");
    /* UTF-8 is fine */
    assert_int_equal(profile_parse(build("title", "\"Calves \xc3\xa9t\xc3\xa9\"", NULL), "t.conf", &prof, err,
                                   sizeof(err)), 0);
}

static void test_limit_dose(void **state)
{
    (void)state;
    expect_key_error("dose_min", "0", "dose_min = 0 is outside 1..30 (minutes a day on one area");
    expect_key_error("dose_min", "31", "dose_min = 31 is outside 1..30");
    expect_key_error("dose_min", "2.5", "dose_min must be an integer");
    /* optional, with a conservative default */
    assert_int_equal(profile_parse(build(NULL, NULL, NULL), "t.conf", &prof, err, sizeof(err)), 0);
    assert_int_equal(prof.areas[0].dose_min, PROFILE_DOSE_DEFAULT_MIN);
    assert_int_equal(profile_parse(build("dose_min", "20", NULL), "t.conf", &prof, err, sizeof(err)), 0);
    assert_int_equal(prof.areas[0].dose_min, 20);
}

static void test_limit_force(void **state)
{
    (void)state;
    expect_key_error("force_max_n", "0", "force_max_n = 0 is outside 0.1..40.0 N");
    expect_key_error("force_max_n", "0.0", "force_max_n = 0 is outside 0.1..40.0 N");
    expect_key_error("force_max_n", "40.1", "force_max_n = 40.1 is outside 0.1..40.0 N");
    expect_key_error("force_max_n", "25.05", "finer than the device's 0.1 N");
    expect_key_error("force_max_n", "\"25\"", "force_max_n must be a number of newtons, not a string");
    /* Integers and the extremes are fine. */
    assert_int_equal(profile_parse(build("force_max_n", "40", NULL), "t.conf", &prof, err, sizeof(err)), 0);
    assert_int_equal(prof.areas[0].force_max_dn, 400);
    assert_int_equal(profile_parse(build("force_max_n", "0.1", NULL), "t.conf", &prof, err, sizeof(err)), 0);
    assert_int_equal(prof.areas[0].force_max_dn, 1);
}

/* The error for a number that libconfig 1.5 would wrap modulo 2^32. */
static void expect_too_large(const char *src, int line, const char *key_eq_value)
{
    char prefix[32], phrase[96];

    snprintf(prefix, sizeof(prefix), "t.conf:%d: ", line);
    snprintf(phrase, sizeof(phrase), "%s is too large a number", key_eq_value);
    expect_error(src, prefix, phrase);
}

static void test_wrapped_integer(void **state)
{
    static const struct {
        const char *key, *val;
        int line;               /* where the number is */
        const char *shown;
    } cases[] = {
        /* libconfig 1.5 reads each of these as a small number. */
        { "trial_s", "4294967311", 11, "trial_s = 4294967311" },          /* 15 */
        { "trial_s", "-4294967281", 11, "trial_s = -4294967281" },        /* 15 */
        { "max_level", "0x100000003", 13, "max_level = 0x100000003" },    /* 3 */
        { "max_level", "2147483648", 13, "max_level = 2147483648" },      /* INT_MIN */
        { "max_level", "4294967299L", 13, "max_level = 4294967299L" },
        { "max_level", "0x100000003L", 13, "max_level = 0x100000003L" },
        /* The value on the next line: the old re-read of the key's line found nothing. */
        { "max_level", "\n4294967299", 14, "max_level = 4294967299" },
        { "max_level", "\n\n  4294967299", 15, "max_level = 4294967299" },
        /* A comment on the same line repeating a small value fooled the re-read. */
        { "cooldown_s", "4294967296 /* cooldown_s = 0 */", 16, "cooldown_s = 4294967296" },
        { "cooldown_s", "/* cooldown_s = 0 */ 4294967296", 16, "cooldown_s = 4294967296" },
        { "step_s", "99999999999999999999999999", 14, "step_s = 99999999999999999999999999" },
        { "aliases", "[\"calf\", 4294967296]", 5, "aliases = 4294967296" },
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_too_large(build(cases[i].key, cases[i].val, NULL), cases[i].line, cases[i].shown);
    /* Where a string ends, as libconfig sees it: \\ ends one, \" does not. */
    expect_too_large("areas = ( { title = \"a\\\\\"; trial_s = 4294967311; } );\n", 1, "trial_s = 4294967311");
    expect_too_large("areas = ( { title = \"a\\\nb\"; trial_s = 4294967311; } );\n", 2, "trial_s = 4294967311");
    expect_too_large("areas = ( { title = \"a\"; // 1\n trial_s = 4294967311; } );\n", 2, "trial_s = 4294967311");
    expect_too_large("areas = ( { title = \"a\"; /* 1 */ trial_s=+4294967311; } );\n", 1, "trial_s = +4294967311");
    /* The issue's own line. */
    expect_too_large("areas = ( { name = \"a\"; title = \"A\"; tool = \"T\"; action = \"A\"; gun = false;\n"
                     "  cooldown_s = 4294967296; /* cooldown_s = 0 */\n} );\n", 2, "cooldown_s = 4294967296");
    /* A very long number is shown cut. */
    expect_error(build("step_s", "123456789012345678901234567890123456789012345678901234567890", NULL), "t.conf:14: ",
                 "step_s = 12345678901234567890123456789012... is too large a number");
    /* At the edge of 32 bits the value is exact, and the area's limit decides. */
    expect_key_error("cooldown_s", "2147483647", "cooldown_s = 2147483647 is outside 0..86400");
    expect_key_error("cooldown_s", "-2147483647", "cooldown_s = -2147483647 is outside 0..86400");
    expect_key_error("cooldown_s", "0x7fffffff", "cooldown_s = 2147483647 is outside 0..86400");
    assert_int_equal(profile_parse(build("trial_s", "0xf", NULL), "t.conf", &prof, err, sizeof(err)), 0);
    assert_int_equal(prof.areas[0].trial_s, 15);
    assert_int_equal(profile_parse(build("cooldown_s", "86400L", NULL), "t.conf", &prof, err, sizeof(err)), 0);
    assert_int_equal(prof.areas[0].cooldown_s, 86400);
    /* Numbers in strings and comments, and floats, are not integers. */
    assert_int_equal(profile_parse("areas = ( { name = \"a\"; title = \"trial_s = 3 or 4294967296\"; trial_s = 15;\n"
                                   "  tool = \"T\\\" 4294967296\"; # 4294967296\n"
                                   "  action = \"A\"; gun = true; start_level = 1; default_level = 1; // 4294967296\n"
                                   "  /* 4294967296\n 4294967296 */ max_level = 1; step_s = 5; session_s = 15;\n"
                                   "  cooldown_s = 0; force_max_n = 1; } );\n",
                                   "t.conf", &prof, err, sizeof(err)), 0);
    assert_int_equal(prof.areas[0].trial_s, 15);
    assert_int_equal(prof.areas[0].force_max_dn, 10);
    assert_string_equal(prof.areas[0].tool, "T\" 4294967296");
    expect_key_error("force_max_n", "4294967296.0", "force_max_n = 4.29497e+09 is outside 0.1..40.0 N");
    expect_key_error("force_max_n", "1e10", "force_max_n = 1e+10 is outside 0.1..40.0 N");
}

/* An @include'd file escaped every check of the text; libconfig would also
 * open it with a blocking fopen(), a FIFO included, the event loop stuck. */
static void test_include_refused(void **state)
{
    char inc[64], top[64], src[256], want[96];
    FILE *f;

    (void)state;
    expect_error("@include \"/etc/knotd/more.conf\"\n", "t.conf:1: ", "@include is not supported");
    expect_error(build(NULL, NULL, "\n  @include \"x.conf\"\n"), "t.conf:25: ", "@include is not supported");
    /* The issue's case: a wrapped number in the included file. */
    snprintf(inc, sizeof(inc), "/tmp/knotd-inc-%ld.conf", (long)getpid());
    snprintf(top, sizeof(top), "/tmp/knotd-top-%ld.conf", (long)getpid());
    f = fopen(inc, "w");
    assert_non_null(f);
    fputs(build("trial_s", "4294967311", NULL), f);
    fclose(f);
    snprintf(src, sizeof(src), "# all areas live elsewhere\n  @include \"%s\"\n", inc);
    f = fopen(top, "w");
    assert_non_null(f);
    fputs(src, f);
    fclose(f);
    assert_int_equal(profile_load(top, &prof, err, sizeof(err)), -EINVAL);
    unlink(inc);
    unlink(top);
    snprintf(want, sizeof(want), "%s:2: @include is not supported", top);
    if (strncmp(err, want, strlen(want)) != 0)
        fail_msg("got \"%s\", want \"%s...\"", err, want);
    /* In a string or a comment it is only text. */
    assert_int_equal(profile_parse(build("title", "\"@include \\\"x\\\"\"", "\n# @include \"x\"\n"), "t.conf", &prof, err,
                                   sizeof(err)), 0);
    assert_string_equal(prof.areas[0].title, "@include \"x\"");
}

static void test_unknown_key(void **state)
{
    (void)state;
    expect_key_error("trail_s", "15", "unknown setting \"trail_s\" (a typo?");
    expect_error("areas = ( { name = \"x\"; title = \"X\"; tool = \"T\"; action = \"A\"; gun = false; } );\n"
                 "area = ( );\n", "t.conf:2: ", "unknown top-level setting \"area\"");
}

static void test_duplicates(void **state)
{
    (void)state;
    /* A third area opens on line NECK_LINE+4: its name is on +5, aliases on +6. */
    char prefix[64];

    snprintf(prefix, sizeof(prefix), "t.conf:%d: area #3: ", NECK_LINE + 5);
    expect_error(build(NULL, NULL, ",\n  {\n    name = \"\";\n  }"), prefix, "name \"\" is empty");
    expect_error(build(NULL, NULL, ",\n  {\n    name = \"Calves\"; title = \"C\"; tool = \"T\"; action = \"A\";\n"
                       "    gun = false;\n  }"),
                 prefix, "name \"calves\" is already used by calves (line 3)");
    snprintf(prefix, sizeof(prefix), "t.conf:%d: shins: ", NECK_LINE + 6);
    expect_error(build(NULL, NULL, ",\n  {\n    name = \"shins\";\n    aliases = [\"shin\", \"Calf\"];\n  }"),
                 prefix, "alias \"calf\" is already used by calves (line 3)");
    /* Separators do not make a name different: "neck" vs "ne-ck". */
    snprintf(prefix, sizeof(prefix), "t.conf:%d: shins: ", NECK_LINE + 6);
    expect_error(build(NULL, NULL, ",\n  {\n    name = \"shins\";\n    aliases = [\"ne-ck\"];\n  }"),
                 prefix, "alias \"ne-ck\" is already used by neck");
    /* An alias equal to its own name. */
    expect_key_error("aliases", "[\"CALVES\"]", "alias \"calves\" is already used by calves (line 3)");
    expect_key_error("aliases", "[\"calf\", \"calf\"]", "alias \"calf\" is already used by calves");
}

static void test_missing(void **state)
{
    char prefix[64];

    (void)state;
    snprintf(prefix, sizeof(prefix), "t.conf:3: calves: ");
    expect_error(build("action", NULL, NULL), prefix, "missing action");
    expect_error(build("title", NULL, NULL), prefix, "missing title");
    expect_error(build("tool", NULL, NULL), prefix, "missing tool");
    expect_error(build("gun", NULL, NULL), prefix, "missing gun");
    expect_error(build("trial_s", NULL, NULL), prefix, "missing trial_s (required when gun = true)");
    expect_error(build("force_max_n", NULL, NULL), prefix, "missing force_max_n");
    expect_error(build("name", NULL, NULL), "t.conf:3: area #1: ", "missing name");
    expect_key_error("action", "\"\"", "action is empty");
    /* aftercare and aliases are optional. */
    assert_int_equal(profile_parse(build("aftercare", NULL, NULL), "t.conf", &prof, err, sizeof(err)), 0);
    assert_int_equal(profile_parse(build("aliases", NULL, NULL), "t.conf", &prof, err, sizeof(err)), 0);
    assert_int_equal(prof.areas[0].n_aliases, 0);
}

static void test_wrong_types(void **state)
{
    (void)state;
    expect_key_error("trial_s", "\"15\"", "trial_s must be an integer, not a string");
    expect_key_error("trial_s", "15.0", "trial_s must be an integer, not a float");
    expect_key_error("gun", "1", "gun must be a boolean (true or false), not an integer");
    expect_key_error("title", "42", "title must be a string, not an integer");
    expect_key_error("aliases", "\"calf\"", "aliases must be an array of strings");
    expect_key_error("aliases", "[1, 2]", "aliases must be an array of strings, element 1 is an integer");
    expect_error("areas = { name = \"x\"; };\n", "t.conf:1: ", "areas must be a list");
    expect_error("areas = ( 5 );\n", "t.conf:1: ", "area #1 must be a group");
}

static void test_wrong_name_type(void **state)
{
    (void)state;
    expect_error(build("name", "5", NULL), "t.conf:4: area #1: ", "name must be a string, not an integer");
    expect_error(build("name", "\"upper back\"", NULL), "t.conf:4: area #1: ",
                 "name \"upper back\" may only contain a-z, 0-9 and '-'");
    expect_error(build("name", "\"-calves\"", NULL), "t.conf:4: area #1: ", "must start and end with a letter");
    expect_key_error("aliases", "[\"calf_x\"]", "alias \"calf_x\" may only contain");
}

static void test_syntax_error(void **state)
{
    (void)state;
    expect_error(build("trial_s", "15 15", NULL), "t.conf:11: ", "syntax error");
    expect_error("areas = (\n  {\n    gun = yes;\n  }\n);\n", "t.conf:3: ", "syntax error");
    expect_error("areas = ( { name = \"a\"; name = \"b\"; } );\n", "t.conf:1: ", "duplicate setting name");
}

/* Found by fuzz_profile: libconfig 1.5 leaks a string token that is itself
 * the syntax error. Such a file is refused before libconfig reads it (this
 * test leaks under valgrind and ASan if it is not); strings where values go
 * still parse. */
static void test_a_string_where_a_name_belongs(void **state)
{
    static const char *const bad[] = {
        "\"x\"",
        "\"\"\x9c\xa2",
        "areas = ( );\n\"y\"",
        "a \"x\"",
        "areas = ( { name = \"a\", \"b\" } );",
        "areas = ( { t = [ \"a\" ]; } ) \"c\"",
    };
    static const char good[] = "x = [ \"a\", \"b\" ]; y = ( \"c\" \"d\", \"e\" ); z : \"f\";\n";

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_error(bad[i], "t.conf:", "a string where a setting's name belongs");
    expect_error("\n\n\"x\"", "t.conf:3: ", "a string where");
    /* Past the scan: libconfig reads it (and finds no areas in it). */
    expect_error(good, "t.conf:1: ", "unknown top-level setting \"x\"");
}

static void test_counts_and_lengths(void **state)
{
    static char big[40000];
    size_t n = 0;
    int i;

    (void)state;
    expect_error("", "t.conf: ", "no areas");
    expect_error("areas = ( );\n", "t.conf:1: ", "areas is empty; at least one area is needed");

    n += (size_t)snprintf(big + n, sizeof(big) - n, "areas = (\n");
    for (i = 0; i < PROFILE_MAX_AREAS + 1; i++)
        n += (size_t)snprintf(big + n, sizeof(big) - n,
                              "%s{ name = \"a%d\"; title = \"A\"; tool = \"T\"; action = \"X\"; gun = false; }\n",
                              i ? "," : "", i);
    snprintf(big + n, sizeof(big) - n, ");\n");
    expect_error(big, "t.conf:34: ", "too many areas (33, the limit is 32)");

    expect_key_error("aliases", "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\"]",
                     "too many aliases (9, the limit is 8)");
    expect_key_error("title", "\"0123456789012345678901234567890123456789012345678\"",
                     "title is 49 characters long, the limit is 47");
    expect_error(build("name", "\"abcdefghijabcdefghijabcdefghijab\"", NULL), "t.conf:4: area #1: ",
                 "is too long (the limit is 31 characters)");
    expect_key_error("aliases", "[\"abcdefghijabcdefghijabcdefghijab\"]", "is too long");
    expect_key_error("action", "\"two\\nlines\"", "action contains a control character");

    /* Exactly at the limits is fine. */
    n = 0;
    n += (size_t)snprintf(big + n, sizeof(big) - n, "areas = (\n");
    for (i = 0; i < PROFILE_MAX_AREAS; i++)
        n += (size_t)snprintf(big + n, sizeof(big) - n,
                              "%s{ name = \"a%d\"; title = \"A\"; tool = \"T\"; action = \"X\"; gun = false; }\n",
                              i ? "," : "", i);
    snprintf(big + n, sizeof(big) - n, ");\n");
    assert_int_equal(profile_parse(big, "t.conf", &prof, err, sizeof(err)), 0);
    assert_int_equal(prof.n, PROFILE_MAX_AREAS);
    assert_int_equal(profile_parse(build("aliases", "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\"]", NULL),
                                   "t.conf", &prof, err, sizeof(err)), 0);
    assert_int_equal(prof.areas[0].n_aliases, 8);
    assert_int_equal(profile_parse(build("title", "\"01234567890123456789012345678901234567890123456\"", NULL),
                                   "t.conf", &prof, err, sizeof(err)), 0);
}

static void test_gun_false(void **state)
{
    (void)state;
    /* Only name, title, tool, action and gun are needed... */
    assert_int_equal(profile_parse("areas = ( { name = \"neck\"; title = \"Neck\"; tool = \"Your Fingers\";\n"
                                   "  action = \"Press.\"; gun = false; } );\n",
                                   "t.conf", &prof, err, sizeof(err)), 0);
    assert_int_equal(prof.n, 1);
    assert_false(prof.areas[0].gun_allowed);
    /* ...but a number that is there is still checked. */
    expect_error("areas = ( { name = \"neck\"; title = \"Neck\"; tool = \"Your Fingers\";\n"
                 "  action = \"Press.\"; gun = false;\n  trial_s = 30; } );\n",
                 "t.conf:3: neck: ", "trial_s = 30 is outside 10..20");
}

static void test_error_buffer(void **state)
{
    char small[12];

    (void)state;
    memset(small, 'x', sizeof(small));
    assert_int_equal(profile_parse(build("trial_s", "9", NULL), "t.conf", &prof, small, sizeof(small)), -EINVAL);
    assert_string_equal(small, "t.conf:11: ");
    assert_int_equal(profile_parse(build("trial_s", "9", NULL), "t.conf", &prof, NULL, 0), -EINVAL);
    assert_int_equal(profile_parse(NULL, "t.conf", &prof, err, sizeof(err)), -EINVAL);
}

static void test_find(void **state)
{
    static const char *const upper[] = {
        "upper-back", "Upper Back", "upper back", "Upper-Back", "upperback", "UPPER_BACK", "up per-back-",
        "mid back", "Shoulder_Blades",
    };
    size_t i;

    (void)state;
    assert_int_equal(profile_load(shipped_path(), &prof, err, sizeof(err)), 0);
    for (i = 0; i < sizeof(upper) / sizeof(upper[0]); i++) {
        const struct profile_area *a = profile_find(&prof, upper[i]);

        if (!a)
            print_error("\"%s\" not found\n", upper[i]);
        assert_non_null(a);
        assert_string_equal(a->name, "upper-back");
    }
    assert_string_equal(profile_find(&prof, "CALF")->name, "calves");
    assert_string_equal(profile_find(&prof, "Glutes")->name, "glutes-hips");
    assert_string_equal(profile_find(&prof, "glutes hips")->name, "glutes-hips");
    assert_string_equal(profile_find(&prof, "Neck")->name, "neck");
    assert_null(profile_find(&prof, "elbow"));
    assert_null(profile_find(&prof, "calve"));
    assert_null(profile_find(&prof, ""));
    assert_null(profile_find(&prof, "- _"));
    assert_null(profile_find(&prof, NULL));
    assert_null(profile_find(NULL, "calves"));
    assert_null(profile_find(&prof, "calvescalvescalvescalvescalvescalvescalves"));
}

static void test_names(void **state)
{
    char buf[256], small[24];

    (void)state;
    assert_int_equal(profile_load(shipped_path(), &prof, err, sizeof(err)), 0);
    profile_names(&prof, buf, sizeof(buf));
    assert_string_equal(buf, "neck, shoulders, upper-back, lower-back, glutes-hips, calves, quads, hamstrings, "
                             "forearms");
    /* Whole names only, the rest as "...". */
    memset(small, 'x', sizeof(small));
    profile_names(&prof, small, sizeof(small));
    assert_string_equal(small, "neck, shoulders, ...");
    profile_names(&prof, small, 5);
    assert_string_equal(small, "neck");
    profile_names(&prof, small, 4);
    assert_string_equal(small, "...");
    profile_names(&prof, small, 3);
    assert_string_equal(small, "");
    small[0] = 'x';
    profile_names(&prof, small, 0);
    assert_int_equal(small[0], 'x');
    profile_names(&prof, small, 1);
    assert_string_equal(small, "");
    profile_names(NULL, small, sizeof(small));
    assert_string_equal(small, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_is_valid),
        cmocka_unit_test(test_shipped),
        cmocka_unit_test(test_sides_and_routines),
        cmocka_unit_test(test_load_missing_file),
        cmocka_unit_test(test_load_not_a_regular_file),
        cmocka_unit_test(test_load_nul_byte),
        cmocka_unit_test(test_limit_trial),
        cmocka_unit_test(test_limit_start_level),
        cmocka_unit_test(test_limit_levels),
        cmocka_unit_test(test_limit_step),
        cmocka_unit_test(test_limit_session),
        cmocka_unit_test(test_limit_cooldown),
        cmocka_unit_test(test_limit_dose),
        cmocka_unit_test(test_text_not_utf8),
        cmocka_unit_test(test_limit_force),
        cmocka_unit_test(test_wrapped_integer),
        cmocka_unit_test(test_include_refused),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_missing),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_wrong_name_type),
        cmocka_unit_test(test_syntax_error),
        cmocka_unit_test(test_a_string_where_a_name_belongs),
        cmocka_unit_test(test_counts_and_lengths),
        cmocka_unit_test(test_gun_false),
        cmocka_unit_test(test_error_buffer),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
