/* SPDX-License-Identifier: MIT */
/* test_jline.c - cmocka unit tests of the journal's line splitter (daemon/jline.c): lines, NUL runs, over-long and torn lines. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "jline.h"

/* What the splitter said, as text: [bytes] for a line, C for a line cut by
 * NULs, X for a line too long; then, after the end of the file, the same
 * for what finish said. */
static char said[5 * JLINE_MAX];   /* a file of 2 * JLINE_MAX newlines says "[]" for each */

static void say(struct jline *j, enum jline_event e)
{
    size_t n = strlen(said);

    switch (e) {
    case JLINE_NONE:
        break;
    case JLINE_LINE:
        assert_true(j->ready <= JLINE_MAX);
        assert_true(n + j->ready + 3 < sizeof(said));
        said[n++] = '[';
        memcpy(said + n, j->line, j->ready);
        n += j->ready;
        said[n++] = ']';
        said[n] = '\0';
        break;
    case JLINE_CUT:
        strcat(said, "C");
        break;
    case JLINE_LONG:
        strcat(said, "X");
        break;
    }
}

/* The bytes of a whole file through a fresh splitter. */
static const char *split(const char *bytes, size_t n)
{
    struct jline j;

    said[0] = '\0';
    jline_init(&j);
    for (size_t i = 0; i < n; i++)
        say(&j, jline_step(&j, bytes[i]));
    strcat(said, "|");
    say(&j, jline_finish(&j));
    /* Nothing is left after the end. */
    assert_int_equal(j.len, 0);
    assert_false(j.over);
    assert_int_equal(jline_finish(&j), JLINE_NONE);
    return said;
}

#define SPLIT(lit) split(lit, sizeof(lit) - 1)

static void test_lines(void **state)
{
    (void)state;
    assert_string_equal(SPLIT(""), "|");
    assert_string_equal(SPLIT("ab\n"), "[ab]|");
    /* An empty line is a line (journal.c counts it, takes nothing). */
    assert_string_equal(SPLIT("ab\n\ncd\n"), "[ab][][cd]|");
    assert_string_equal(SPLIT("\n\n"), "[][]|");
    /* A CR is a byte of the line: json-c takes it as white space. */
    assert_string_equal(SPLIT("{}\r\n"), "[{}\r]|");
}

static void test_nul_runs(void **state)
{
    (void)state;
    /* A run of NULs cuts the line before it once, and is no line itself. */
    assert_string_equal(SPLIT("ab\0\0\0cd\n"), "C[cd]|");
    /* NULs at the start of a line, or after a newline, cut nothing. */
    assert_string_equal(SPLIT("\0\0ab\n\0\0\ncd\n"), "[ab][][cd]|");
    /* A file that ends in NULs: nothing is left at its end. */
    assert_string_equal(SPLIT("ab\ncd\0\0"), "[ab]C|");
    assert_string_equal(SPLIT("ab\0cd"), "C|[cd]");
}

static void test_an_over_long_line(void **state)
{
    static char buf[JLINE_MAX + 64], want[JLINE_MAX + 64];

    (void)state;
    /* The longest line kept: JLINE_MAX bytes, all of them. */
    memset(buf, 'a', JLINE_MAX);
    memcpy(buf + JLINE_MAX, "\nb\n", 3);
    want[0] = '[';
    memset(want + 1, 'a', JLINE_MAX);
    memcpy(want + 1 + JLINE_MAX, "][b]|", 6);
    assert_string_equal(split(buf, JLINE_MAX + 3), want);
    /* One more byte: not a line; the next line is whole again. */
    memset(buf, 'a', JLINE_MAX + 1);
    memcpy(buf + JLINE_MAX + 1, "\nb\n", 3);
    assert_string_equal(split(buf, JLINE_MAX + 4), "X[b]|");
    /* Far longer, then cut by NULs: cut, not too long. */
    memset(buf, 'a', sizeof(buf));
    memcpy(buf + JLINE_MAX + 20, "\0\0b\n", 4);
    assert_string_equal(split(buf, JLINE_MAX + 24), "C[b]|");
}

static void test_a_torn_last_line(void **state)
{
    static char buf[JLINE_MAX + 8];

    (void)state;
    /* A last line without its newline is still a line... */
    assert_string_equal(SPLIT("ab\ncd"), "[ab]|[cd]");
    assert_string_equal(SPLIT("ab\nc"), "[ab]|[c]");
    /* ...but a newline at the end leaves nothing. */
    assert_string_equal(SPLIT("ab\ncd\n"), "[ab][cd]|");
    /* Too long and torn: too long. */
    buf[0] = '\n';
    memset(buf + 1, 'a', JLINE_MAX + 1);
    assert_string_equal(split(buf, JLINE_MAX + 2), "[]|X");
}

/* What the splitter must say, the simple way: the whole file at once. */
static void model(const char *bytes, size_t n, char *out)
{
    size_t start = 0;

    out[0] = '\0';
    for (size_t i = 0; i <= n; i++) {
        bool end = i == n;
        size_t len = i - start;

        if (!end && bytes[i] != '\0' && bytes[i] != '\n')
            continue;
        if (end)
            strcat(out, "|");
        if (end && len == 0)
            break;
        if (len > JLINE_MAX)
            strcat(out, !end && bytes[i] == '\0' ? "C" : "X");
        else if (!end && bytes[i] == '\0')
            strcat(out, len > 0 ? "C" : "");
        else {
            size_t k = strlen(out);

            out[k++] = '[';
            memcpy(out + k, bytes + start, len);
            out[k + len] = ']';
            out[k + len + 1] = '\0';
        }
        start = i + 1;
    }
}

static void test_random_files(void **state)
{
    static char buf[2 * JLINE_MAX], want[5 * JLINE_MAX];
    unsigned seed = 20240601;

    (void)state;
    for (int round = 0; round < 300; round++) {
        size_t n = 0;

        /* Runs of one byte: letters, newlines or NULs, some longer than a line. */
        while (n < 2 * JLINE_MAX) {
            const char kinds[] = "ab\n\0";
            char c = kinds[rand_r(&seed) % 4];
            size_t run = rand_r(&seed) % 8 == 0 ? JLINE_MAX - 2 + rand_r(&seed) % 5 : rand_r(&seed) % 6;

            for (size_t k = 0; k < run && n < 2 * JLINE_MAX; k++)
                buf[n++] = c;
        }
        n -= rand_r(&seed) % 3;   /* sometimes torn */
        model(buf, n, want);
        assert_string_equal(split(buf, n), want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_nul_runs),
        cmocka_unit_test(test_an_over_long_line),
        cmocka_unit_test(test_a_torn_last_line),
        cmocka_unit_test(test_random_files),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
