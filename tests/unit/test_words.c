/* SPDX-License-Identifier: MIT */
/* test_words.c - knotctl's small pieces of English: tools with their article, clauses, times and doses as a person reads them, a title's verb, red flags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "../../cli/words.h"

static char buf[128];

static void test_tool(void **state)
{
    static const struct {
        const char *tool, *said;
    } cases[] = {
        { "Foam Roller", "a foam roller" },
        { "Tennis/Lacrosse Ball", "a tennis/lacrosse ball" },
        { "Massage Ball", "a massage ball" },
        { "Foam Roller/Ball", "a foam roller/ball" },
        { "Your Fingers", "your fingers" },
        { "Your Thumbs or Knuckles", "your thumbs or knuckles" },
        { "Elastic Band", "an elastic band" },
        { "The Wall", "the wall" },
        { "", "a " },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        words_tool(buf, sizeof(buf), cases[i].tool);
        assert_string_equal(buf, cases[i].said);
    }
    words_tool(buf, 8, "Foam Roller");   /* cut, never past the buffer */
    assert_string_equal(buf, "a foam ");
}

static void test_lower_and_clause(void **state)
{
    (void)state;
    words_lower(buf, sizeof(buf), "Quads (front of thighs)");
    assert_string_equal(buf, "quads (front of thighs)");
    words_clause(buf, sizeof(buf), "Sit with the roller under your calf.");
    assert_string_equal(buf, "sit with the roller under your calf.");
    /* Not a sentence's capital: left alone. */
    words_clause(buf, sizeof(buf), "I press and hold.");
    assert_string_equal(buf, "I press and hold.");
    words_clause(buf, sizeof(buf), "NSAIDs first.");
    assert_string_equal(buf, "NSAIDs first.");
    words_clause(buf, sizeof(buf), "");
    assert_string_equal(buf, "");
}

static void test_durations(void **state)
{
    (void)state;
    words_seconds(buf, sizeof(buf), 15);
    assert_string_equal(buf, "15 s");
    words_seconds(buf, sizeof(buf), 90);
    assert_string_equal(buf, "90 s");
    words_seconds(buf, sizeof(buf), 1200);
    assert_string_equal(buf, "20 min");
    words_seconds(buf, sizeof(buf), 3600);
    assert_string_equal(buf, "1 h");
    words_wait(buf, sizeof(buf), 40);
    assert_string_equal(buf, "40 s");
    words_wait(buf, sizeof(buf), 60 * 13 + 1);   /* a person counts the minute begun */
    assert_string_equal(buf, "14 min");
    words_wait(buf, sizeof(buf), 3600 + 5 * 60);
    assert_string_equal(buf, "1 h 5 min");
    words_wait(buf, sizeof(buf), 7200);
    assert_string_equal(buf, "2 h");
}

static void test_dose(void **state)
{
    (void)state;
    words_dose(buf, sizeof(buf), 180, 600, true);
    assert_string_equal(buf, "3/10 min");
    words_dose(buf, sizeof(buf), 90, 600, true);
    assert_string_equal(buf, "1:30/10 min");   /* a part of a minute is not rounded away */
    words_dose(buf, sizeof(buf), 5, 600, false);
    assert_string_equal(buf, "0:05 of 10 min");
    words_dose(buf, sizeof(buf), 0, 60, false);
    assert_string_equal(buf, "0 of 1 min");
}

static void test_ago(void **state)
{
    (void)state;
    words_ago(buf, sizeof(buf), -1);
    assert_string_equal(buf, "never");
    words_ago(buf, sizeof(buf), 0);
    assert_string_equal(buf, "just now");
    words_ago(buf, sizeof(buf), 12);
    assert_string_equal(buf, "12 s ago");
    words_ago(buf, sizeof(buf), 150);
    assert_string_equal(buf, "2 min ago");
    words_ago(buf, sizeof(buf), 3 * 3600 + 10);
    assert_string_equal(buf, "3 h ago");
}

static void test_clock(void **state)
{
    time_t now = time(NULL), later = now + 2 * 86400;
    struct tm tm;
    char want[32];

    (void)state;
    setenv("TZ", "UTC", 1);
    tzset();
    gmtime_r(&now, &tm);
    strftime(want, sizeof(want), "%H:%M", &tm);
    words_clock(buf, sizeof(buf), (long long)now);
    assert_string_equal(buf, want);
    /* Not today: the day too, or "until 09:00" would read as this morning. */
    gmtime_r(&later, &tm);
    strftime(want, sizeof(want), "%a %H:%M", &tm);
    words_clock(buf, sizeof(buf), (long long)later);
    assert_string_equal(buf, want);
}

static void test_does(void **state)
{
    static const struct {
        const char *title, *verb;
    } cases[] = {
        { "calves", "do" },
        { "glutes/hips", "do" },
        { "quads (front of thighs)", "do" },   /* the words before the brackets */
        { "Forearms", "do" },
        { "upper back", "does" },
        { "neck", "does" },
        { "neck (side)", "does" },
        { "", "does" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_string_equal(words_does(cases[i].title), cases[i].verb);
}

static void test_flags(void **state)
{
    (void)state;
    assert_string_equal(words_flag("sleep"), "pain that disrupts your sleep");
    assert_string_equal(words_flag("tingling"), "tingling");
    assert_string_equal(words_flag("cramps"), "cramps");   /* a newer knotd's flag, said as named */
    /* knotd's names, in knotd's order (docs/CONTROL.md): they are the options too. */
    assert_string_equal(words_flag_names[0], "numbness");
    assert_string_equal(words_flag_names[WORDS_FLAGS - 1], "sleep");
}

/* "did you mean ...?": near enough, and only then. */
static void test_nearest(void **state)
{
    static const char *const cmds[] = { "version", "devices", "status", "areas", "start", "stop", "history" };
    static const char *const areas[] = { "neck", "calves", "calf", "upper-back", "lower-back" };

    (void)state;
    assert_string_equal(words_nearest("stat", cmds, 7), "status");   /* cut short: what it begins */
    assert_string_equal(words_nearest("staus", cmds, 7), "status");
    assert_string_equal(words_nearest("calvs", areas, 5), "calves");
    assert_string_equal(words_nearest("uper-back", areas, 5), "upper-back");
    assert_null(words_nearest("fly", cmds, 7));
    assert_null(words_nearest("xy", areas, 5));
}

/* Seen: notes with bidi overrides and zero-width characters printed raw, so
 * a terminal showed reordered text. Each becomes a visible <U+XXXX>. */
static void test_wrap_breaks_between_words(void **state)
{
    static const struct {
        unsigned width;
        const char *text, *wrapped;
    } cases[] = {
        { 10, "short", "short" },
        { 10, "exactly 10", "exactly 10" },
        { 10, "never stop here", "never stop\nhere" },
        { 10, "one two three four", "one two\nthree four" },
        { 5, "unbreakable word", "unbreakable\nword" },
        { 10, "a\nbb cc dd ee ff", "a\nbb cc dd\nee ff" },
        /* Columns, not bytes: the em dash is one column. */
        { 12, "rest \xe2\x80\x94 ready at 10:42", "rest \xe2\x80\x94 ready\nat 10:42" },
        { 4, "ab cd ef", "ab\ncd\nef" },
        { 80, "", "" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(buf, sizeof(buf), "%s", cases[i].text);
        words_wrap(buf, cases[i].width);
        assert_string_equal(buf, cases[i].wrapped);
    }
    /* Every line of a long sentence within the width; nothing but blanks became breaks. */
    char text[256] = "Numbness, tingling or weakness along with the pain: see a doctor or a physical therapist "
                     "before the massager goes there again.";
    size_t blanks = 0, breaks = 0, len = strlen(text);

    for (size_t i = 0; i < len; i++)
        blanks += text[i] == ' ';
    words_wrap(text, 30);
    assert_int_equal(strlen(text), len);
    for (char *line = text, *end; *line; line = end + 1) {
        end = strchr(line, '\n');
        if (!end)
            end = line + strlen(line);
        assert_true(end - line <= 30);
        if (!*end)
            break;
        breaks++;
        assert_true(end - line > 20);   /* greedy: a line is cut only where the next word would pass the width */
    }
    for (size_t i = 0; i < len; i++)
        blanks -= text[i] == ' ';
    assert_int_equal(blanks, breaks);
}

static void test_safe_neutralizes_what_reorders_or_hides(void **state)
{
    (void)state;
    words_safe(buf, sizeof(buf), "sore \xe2\x80\xae" "evoba\xe2\x80\xac" " after the run");
    assert_string_equal(buf, "sore <U+202E>evoba<U+202C> after the run");
    words_safe(buf, sizeof(buf), "a\xe2\x81\xa6" "b\xe2\x81\xa9" "c\xe2\x80\x8b" "d\xe2\x80\xa8" "e\xef\xbb\xbf");
    assert_string_equal(buf, "a<U+2066>b<U+2069>c<U+200B>d<U+2028>e<U+FEFF>");
    words_safe(buf, sizeof(buf), "x\xc2\xad" "y\xf3\xa0\x80\x81" "z");      /* soft hyphen, a tag character */
    assert_string_equal(buf, "x<U+00AD>y<U+E0001>z");
    words_safe(buf, sizeof(buf), "Wade \xc3\xa9t\xc3\xa9 \xe2\x9c\x93");   /* ordinary UTF-8 as it is */
    assert_string_equal(buf, "Wade \xc3\xa9t\xc3\xa9 \xe2\x9c\x93");
    words_safe(buf, 8, "abc\xe2\x80\xae" "xyz");                      /* cut before a marker that does not fit */
    assert_string_equal(buf, "abc");
    words_safe(buf, 5, "ab\xc3\xa9\xc3\xa9");                      /* never half a character */
    assert_string_equal(buf, "ab\xc3\xa9");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nearest),
        cmocka_unit_test(test_wrap_breaks_between_words),
        cmocka_unit_test(test_safe_neutralizes_what_reorders_or_hides),
        cmocka_unit_test(test_tool),
        cmocka_unit_test(test_lower_and_clause),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_dose),
        cmocka_unit_test(test_ago),
        cmocka_unit_test(test_clock),
        cmocka_unit_test(test_does),
        cmocka_unit_test(test_flags),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
