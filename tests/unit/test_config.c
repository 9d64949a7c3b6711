/* SPDX-License-Identifier: MIT */
/* test_config.c - knotd.conf parsing: defaults, every key, and errors that name file:line. */
#include <errno.h>
#include <grp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "log.h"

/* Directories no host has: the defaults never depend on this machine's /etc. */
#define TEST_CONFDIR "/nonexistent-etc/knotd"
#define TEST_PKGDIR "/nonexistent-share/knotd"

static char test_path[64];

/* Write len bytes of text to a temporary file and parse it over the defaults. */
static int test_parse_n(const char *text, size_t len, struct config *c, char *err, size_t errlen)
{
    int fd;

    snprintf(test_path, sizeof(test_path), "/tmp/knotd-test-XXXXXX");
    fd = mkstemp(test_path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    config_defaults_in(c, TEST_CONFDIR, TEST_PKGDIR);
    err[0] = '\0';
    fd = config_load(test_path, c, err, errlen);
    unlink(test_path);
    return fd;
}

static int test_parse(const char *text, struct config *c, char *err, size_t errlen)
{
    return test_parse_n(text, strlen(text), c, err, errlen);
}

static void test_defaults(void **state)
{
    struct config c;
    (void)state;
    config_defaults_in(&c, TEST_CONFDIR, TEST_PKGDIR);
    assert_string_equal(c.socket, "/run/knotd/knotd.sock");
    assert_string_equal(c.socket_group, "knot");
    assert_int_equal(c.socket_mode, 0660);
    assert_string_equal(c.profiles, TEST_PKGDIR "/profiles.conf");
    assert_string_equal(c.journal, "/var/lib/knotd/journal");
    assert_int_equal(c.idle_exit_s, 60);
    assert_int_equal(c.n_ids, 1);
    assert_int_equal(c.ids[0].vid, 0x1209);
    assert_int_equal(c.ids[0].pid, 0x4b4e);
}

/* The name of gid 0, whatever this host calls it: the one group that surely exists. */
static const char *test_group0(void)
{
    static char name[64];
    const struct group *g = getgrgid(0);

    if (!g || strlen(g->gr_name) >= sizeof(name))
        skip();
    snprintf(name, sizeof(name), "%s", g->gr_name);
    return name;
}

static void test_every_key(void **state)
{
    struct config c;
    char err[256], text[512];
    const char *group = test_group0();
    (void)state;
    snprintf(text, sizeof(text), "; comment\n[daemon]\nsocket = /tmp/s\nsocket_group = %s\nsocket_mode = 0600\n"
             "profiles = /tmp/p\njournal = /tmp/j\nlog_level = debug\nmax_clients = 8\n"
             "idle_exit_s = 0\n[usb]\nids = 1209:4b4e, 1209:0001 abcd:EF01\n", group);
    if (test_parse(text, &c, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_string_equal(c.socket, "/tmp/s");
    assert_string_equal(c.socket_group, group);
    assert_int_equal(c.socket_mode, 0600);
    assert_string_equal(c.profiles, "/tmp/p");
    assert_string_equal(c.journal, "/tmp/j");
    assert_int_equal(c.log_level, LOG_L_DEBUG);
    assert_int_equal(c.max_clients, 8);
    assert_int_equal(c.idle_exit_s, 0);
    assert_int_equal(c.n_ids, 3);
    assert_int_equal(c.ids[2].vid, 0xabcd);
    assert_int_equal(c.ids[2].pid, 0xef01);
}

/* Each bad input: rejected, and the message names file:line and the problem. */
static void test_errors_name_line(void **state)
{
    static const struct {
        const char *text;
        int line;
        const char *what;
    } cases[] = {
        { "[daemon]\ncolour = blue\n", 2, "unknown key 'colour' in [daemon]" },
        { "[daemon]\n\n[gui]\nx = 1\n", 4, "unknown section [gui]" },
        { "[daemon]\nsocket_mode = 999\n", 2, "socket_mode '999' is not an octal mode" },
        { "[daemon]\nlog_level = loud\n", 2, "log_level 'loud' is not one of" },
        { "[daemon]\nmax_clients = 0\n", 2, "max_clients '0' is not a number, from 1 to 1024" },
        { "[daemon]\nidle_exit_s = 86401\n", 2, "idle_exit_s '86401' is not a number of seconds (0: never), from 0 to 86400" },
        { "[daemon]\nidle_exit_s = -1\n", 2, "idle_exit_s '-1' is not a number of seconds" },
        { "[daemon]\nsocket =\n", 2, "socket must not be empty" },
        { "[usb]\nids = 12:34\n", 2, "ids: '12:34' is not VID:PID" },
        { "[usb]\nids = ,\n", 2, "ids must name at least one VID:PID" },
        { "[daemon]\nthis line has no equals sign\n", 2, "syntax error" },
        { "[daemon]\nsocket = /a\nbogus = 1\nalso = 2\n", 3, "unknown key 'bogus'" },
        /* inih would take an indented line as more of the value above. */
        { "[daemon]\nsocket = /tmp/x.sock\n    socket_group = root\n", 3, "indented line" },
        { "[daemon]\nsocket = /tmp/x.sock\n\tlog_level = debug\n", 3, "indented line" },
        { "[daemon]\nsocket = /tmp/x.sock\n  [usb]\nids = 1209:4b4e\n", 3, "indented line" },
        { "  [daemon]\nsocket = /tmp/x.sock\n", 1, "indented line" },
        /* inih cut "root ; the admins" to "root"; "root # the admins" stayed whole. */
        { "[daemon]\nsocket_group = root ; the admins\n", 2, "comment at the end of a line (column 21)" },
        { "[daemon]\nsocket_group = root # the admins\n", 2, "comment at the end of a line (column 21)" },
        { "[daemon]\nsocket = /tmp/x.sock\t# the socket\n", 2, "comment at the end of a line (column 22)" },
        { "[daemon]\nsocket ;x = /tmp/x.sock\n", 2, "comment at the end of a line (column 8)" },
        { "[daemon]\nsocket = ;/tmp/x.sock\n", 2, "comment at the end of a line (column 10)" },
        { "[usb] ; the massagers\nids = 1209:4b4e\n", 1, "comment at the end of a line (column 7)" },
        { "[daemon]\n[usb] ids = 1209:4b4e\n", 2, "text after the section header" },
        { "[daemon]\n[usb]x]\n", 2, "text after the section header" },
        /* knotd's working directory is nobody's business: paths are absolute. */
        { "[daemon]\nsocket = knotd.sock\n", 2, "socket 'knotd.sock' is a relative path; it must start with /" },
        { "[daemon]\n\nprofiles = profiles.conf\n", 3, "profiles 'profiles.conf' is a relative path" },
        { "[daemon]\njournal = ./journal\n", 2, "journal './journal' is a relative path" },
        { "[daemon]\njournal = ~/journal\n", 2, "journal '~/journal' is a relative path" },
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct config c;
        char err[256], where[96];
        assert_int_not_equal(test_parse(cases[i].text, &c, err, sizeof(err)), 0);
        snprintf(where, sizeof(where), "%s:%d: ", test_path, cases[i].line);
        if (strncmp(err, where, strlen(where)) != 0 || !strstr(err, cases[i].what))
            fail_msg("case %zu: got \"%s\", want \"%s%s...\"", i, err, where, cases[i].what);
    }
}

/* Text of len bytes: prefix, then fill up to len, then suffix. */
static const char *test_filled(const char *prefix, char fill, size_t len, const char *suffix)
{
    static char buf[4096];
    size_t n = strlen(prefix);

    assert_true(len >= n && len + strlen(suffix) < sizeof(buf));
    memcpy(buf, prefix, n);
    memset(buf + n, fill, len - n);
    strcpy(buf + len, suffix);
    return buf;
}

/* inih reads at most 199 bytes at a time: a longer comment's tail was parsed
 * as a setting and every later line number was off by one. */
static void test_long_lines(void **state)
{
    struct config c;
    char err[256], want[160];
    const char *text;
    (void)state;
    /* A comment of any length is a comment, whatever its tail says. */
    text = test_filled("[daemon]\n# ", 'x', 250, " profiles = /nonexistent/evil.conf\n");
    assert_int_equal(test_parse(text, &c, err, sizeof(err)), 0);
    assert_string_equal(c.profiles, TEST_PKGDIR "/profiles.conf");
    text = test_filled("[daemon]\n; ", 'y', 3000, "\nsocket_mode = 0600\n");
    assert_int_equal(test_parse(text, &c, err, sizeof(err)), 0);
    assert_int_equal(c.socket_mode, 0600);
    /* ...and the lines after it keep their numbers. */
    text = test_filled("[daemon]\n#", 'x', 300, "\n\ncolour = blue\n");
    assert_int_equal(test_parse(text, &c, err, sizeof(err)), -EINVAL);
    snprintf(want, sizeof(want), "%s:4: unknown key 'colour' in [daemon]", test_path);
    assert_string_equal(err, want);
    /* A setting line fits inih's buffer or is refused, never split. */
    text = test_filled("[daemon]\nprofiles = /", 'p', 9 + 199, "\n");
    assert_int_equal(test_parse(text, &c, err, sizeof(err)), 0);
    assert_int_equal(strlen(c.profiles), 199 - strlen("profiles = "));
    text = test_filled("[daemon]\nprofiles = /", 'p', 9 + 200, "\n");
    assert_int_equal(test_parse(text, &c, err, sizeof(err)), -EINVAL);
    snprintf(want, sizeof(want), "%s:2: line is 200 characters long; a setting line may have at most 199", test_path);
    assert_string_equal(err, want);
}

/* A NUL cut the line short ("kn\0ot" was taken as "kn"); other control
 * characters are as invisible. Both are refused wherever they are. */
static void test_control_bytes(void **state)
{
#define T(s) s, sizeof(s) - 1
    static const struct {
        const char *text;
        size_t len;
        int line;
        const char *what;
    } cases[] = {
        { T("[daemon]\nsocket_group = kn\0ot\n"), 2, "contains a NUL byte (column 18)" },
        { T("[daemon]\n# a comment\0 too\n"), 2, "contains a NUL byte (column 12)" },
        { T("\0[daemon]\n"), 1, "contains a NUL byte (column 1)" },
        { T("[daemon]\n\nsocket = /tmp/a\001b\n"), 3, "contains the control character 0x01 (column 16)" },
        { T("[daemon]\nlog_level = debug\177\n"), 2, "contains the control character 0x7f (column 18)" },
        { T("[daemon]\nsocket = /tmp/a\rb\n"), 2, "contains the control character 0x0d (column 16)" },
        { T("[daemon]\nsocket = /tmp/a\033[2J\n"), 2, "contains the control character 0x1b (column 16)" },
    };
#undef T
    struct config c;
    char err[256], where[96];
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(test_parse_n(cases[i].text, cases[i].len, &c, err, sizeof(err)), -EINVAL);
        snprintf(where, sizeof(where), "%s:%d: ", test_path, cases[i].line);
        if (strncmp(err, where, strlen(where)) != 0 || !strstr(err, cases[i].what))
            fail_msg("case %zu: got \"%s\", want \"%s%s...\"", i, err, where, cases[i].what);
    }
    /* CRLF line ends and tabs are fine. */
    assert_int_equal(test_parse("[daemon]\r\nsocket_mode\t=\t0600\r\nmax_clients = 9\r\n", &c, err, sizeof(err)), 0);
    assert_int_equal(c.socket_mode, 0600);
    assert_int_equal(c.max_clients, 9);
}

/* '#' and ';' inside a value (no blank before them) are part of it. */
static void test_hash_in_value(void **state)
{
    struct config c;
    char err[256];
    (void)state;
    assert_int_equal(test_parse("[daemon]\nsocket = /tmp/a#b;c\njournal = /tmp/j;1\n[usb]  \n", &c, err, sizeof(err)), 0);
    assert_string_equal(c.socket, "/tmp/a#b;c");
    assert_string_equal(c.journal, "/tmp/j;1");
}

/* A group that does not exist failed only at run time, with a warning and
 * a socket no one could control. */
static void test_unknown_group(void **state)
{
    struct config c;
    char err[256], text[160], want[200];
    (void)state;
    /* Long and random enough that no host has it. */
    snprintf(text, sizeof(text), "[daemon]\nsocket = /tmp/s\nsocket_group = nosuchgroup-q7v2x9wk-%ld\n", (long)getpid());
    assert_int_equal(test_parse(text, &c, err, sizeof(err)), -EINVAL);
    snprintf(want, sizeof(want), "%s:3: socket_group 'nosuchgroup-q7v2x9wk-%ld' is not a group on this system",
             test_path, (long)getpid());
    assert_string_equal(err, want);
}

/* Blank lines and comments may be indented; they carry no value. */
static void test_indented_comments(void **state)
{
    struct config c;
    char err[256];
    (void)state;
    assert_int_equal(test_parse("[daemon]\nsocket = /tmp/x.sock\n    # the socket above\n  \t \n\t; more\n"
                                "socket_mode = 0600\n", &c, err, sizeof(err)), 0);
    assert_string_equal(c.socket, "/tmp/x.sock");
    assert_int_equal(c.socket_mode, 0600);
}

/* The package's profiles.conf until the admin puts one in the configuration
 * directory: then that one, whatever it holds (it is never skipped). */
static void test_the_admins_profiles_win(void **state)
{
    char etc[] = "/tmp/knotd-etc-XXXXXX", share[] = "/tmp/knotd-share-XXXXXX", want[64], mine[64];
    struct config c;
    FILE *f;
    (void)state;
    assert_non_null(mkdtemp(etc));
    assert_non_null(mkdtemp(share));
    snprintf(want, sizeof(want), "%s/profiles.conf", share);
    config_defaults_in(&c, etc, share);
    assert_string_equal(c.profiles, want);   /* the package's, even before it is installed */
    snprintf(mine, sizeof(mine), "%s/profiles.conf", etc);
    assert_non_null(f = fopen(mine, "w"));
    fclose(f);                                /* empty: still the admin's */
    config_defaults_in(&c, etc, share);
    assert_string_equal(c.profiles, mine);
    unlink(mine);
    config_defaults_in(&c, etc, share);
    assert_string_equal(c.profiles, want);
    rmdir(etc);
    rmdir(share);
}

/* A key given twice is an error naming both lines; a section may come back. */
static void test_a_key_given_twice(void **state)
{
    struct config c;
    char err[256];
    (void)state;
    assert_int_equal(test_parse("[daemon]\nmax_clients = 5\nlog_level = info\nmax_clients = 7\n", &c, err,
                                sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, ":4: max_clients is set twice (first on line 2)"));
    assert_int_equal(test_parse("[daemon]\nlog_level = debug\n[usb]\nids = 1209:4b4e\n[daemon]\nlog_level = error\n",
                                &c, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, ":6: log_level is set twice (first on line 2)"));
    assert_int_equal(test_parse("[daemon]\nlog_level = debug\n[usb]\nids = 1209:4b4e\n[daemon]\nmax_clients = 3\n",
                                &c, err, sizeof(err)), 0);
    assert_int_equal(c.max_clients, 3);
}

/* A symbolic link to nothing is an error, never "no file, the defaults". */
static void test_a_dangling_link_is_no_missing_file(void **state)
{
    char dir[] = "/tmp/knotd-link-XXXXXX", link[64], err[256];
    struct config c;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(link, sizeof(link), "%s/knotd.conf", dir);
    assert_int_equal(symlink("/nonexistent/knotd.conf", link), 0);
    config_defaults_in(&c, TEST_CONFDIR, TEST_PKGDIR);
    assert_int_equal(config_load(link, &c, err, sizeof(err)), -ENOENT);
    assert_non_null(strstr(err, "a symbolic link to nothing"));
    unlink(link);
    rmdir(dir);
}

/* Every key has a default, so a missing file is no reason to refuse to run. */
static void test_missing_file(void **state)
{
    struct config c, defaults;
    char err[256];
    (void)state;
    config_defaults(&defaults);
    config_defaults(&c);
    assert_int_equal(config_load("/nonexistent/knotd.conf", &c, err, sizeof(err)), CONFIG_ABSENT);
    assert_string_equal(err, "/nonexistent/knotd.conf: not found; running on the built-in defaults");
    assert_memory_equal(&c, &defaults, sizeof(c));
    /* Any other reason the file cannot be read stays an error. */
    assert_int_equal(config_load("/dev/null/knotd.conf", &c, err, sizeof(err)), -ENOTDIR);
    assert_string_equal(err, "/dev/null/knotd.conf: Not a directory");
}

/* A FIFO, a directory or a device must be refused at once: a reload runs in
 * the event loop, and a blocked open would stop every motor's polling. */
static void test_not_a_regular_file(void **state)
{
    static const struct {
        const char *path;
        const char *what;
    } cases[] = {
        { NULL, "not a regular file (a FIFO)" },
        { "/tmp", "not a regular file (a directory)" },
        { "/dev/null", "not a regular file (a character device)" },
    };
    char fifo[64], want[128];
    (void)state;
    snprintf(fifo, sizeof(fifo), "/tmp/knotd-fifo-%ld", (long)getpid());
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    alarm(5); /* a blocking open fails the test instead of hanging it */
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *path = cases[i].path ? cases[i].path : fifo;
        struct config c;
        char err[256];

        config_defaults(&c);
        err[0] = '\0';
        assert_int_equal(config_load(path, &c, err, sizeof(err)), -EINVAL);
        snprintf(want, sizeof(want), "%s: %s", path, cases[i].what);
        if (strncmp(err, want, strlen(want)) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s...\"", i, err, want);
    }
    alarm(0);
    unlink(fifo);
}

/* The size is bounded before anything is parsed. */
static void test_too_large(void **state)
{
    static char big[CONFIG_FILE_MAX + 2];
    struct config c;
    char err[256];
    (void)state;
    memset(big, '\n', sizeof(big) - 1);
    assert_int_equal(test_parse(big, &c, err, sizeof(err)), -EFBIG);
    assert_non_null(strstr(err, "larger than 65536 bytes"));
    big[CONFIG_FILE_MAX] = '\0'; /* exactly at the limit: blank lines, fine */
    assert_int_equal(test_parse(big, &c, err, sizeof(err)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_the_admins_profiles_win),
        cmocka_unit_test(test_a_key_given_twice),
        cmocka_unit_test(test_a_dangling_link_is_no_missing_file),
        cmocka_unit_test(test_every_key),
        cmocka_unit_test(test_errors_name_line),
        cmocka_unit_test(test_long_lines),
        cmocka_unit_test(test_indented_comments),
        cmocka_unit_test(test_control_bytes),
        cmocka_unit_test(test_hash_in_value),
        cmocka_unit_test(test_unknown_group),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_not_a_regular_file),
        cmocka_unit_test(test_too_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
