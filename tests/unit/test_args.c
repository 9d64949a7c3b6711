/* SPDX-License-Identifier: MIT */
/* test_args.c - knotctl's checks of command-line values before anything is sent: whole numbers in a range, a check-in's note as knotd will take it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../cli/args.h"

static void test_whole(void **state)
{
    static const char *const bad[] = { "", "-", "11", "-1", "6.5", " 6", "6 ", "+6", "0x6", "6x", "1e1",
                                       "99999999999999999999" };
    long long v = 42;

    (void)state;
    assert_true(args_whole("0", 0, 10, &v) && v == 0);
    assert_true(args_whole("10", 0, 10, &v) && v == 10);
    assert_true(args_whole("007", 0, 10, &v) && v == 7);   /* a person's leading zeros are still seven */
    assert_true(args_whole("-3", -5, 5, &v) && v == -3);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        v = 42;
        assert_false(args_whole(bad[i], 0, 10, &v));
        assert_int_equal(v, 42);   /* untouched */
    }
}

static void test_note(void **state)
{
    static const struct {
        const char *note, *why;   /* why NULL: taken */
    } cases[] = {
        { "", NULL },
        { "stiff after the run, \"worse\" uphill", NULL },
        { "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x92\xaa", NULL },                 /* 2, 3 and 4 bytes */
        { "a\nb", "holds a control character at byte 2 (U+000A)" },
        { "\tx", "holds a control character at byte 1 (U+0009)" },
        { "x\x7f", "holds a control character at byte 2 (U+007F)" },
        { "x\xc2\x85", "holds a control character at byte 2 (U+0085)" },     /* C1: NEL */
        { "caf\xe9", "is not UTF-8 at byte 4 (0xe9)" },                          /* Latin-1 */
        { "\xc0\xaf", "is not UTF-8 at byte 1 (0xc0)" },                         /* overlong */
        { "\xed\xa0\x80", "is not UTF-8 at byte 1 (0xed)" },                     /* a surrogate */
        { "\xf4\x90\x80\x80", "is not UTF-8 at byte 1 (0xf4)" },                 /* past U+10FFFF */
        { "ab\x80", "is not UTF-8 at byte 3 (0x80)" },                           /* a stray continuation */
        { "\xe2\x9c", "is not UTF-8 at byte 1 (0xe2)" },                         /* cut short */
    };
    char why[128], note[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        why[0] = '\0';
        assert_int_equal(args_note(cases[i].note, 200, why, sizeof(why)), cases[i].why == NULL);
        if (cases[i].why)
            assert_string_equal(why, cases[i].why);
    }
    /* The limit is in bytes, as knotd counts them: 200 taken, 201 not. */
    memset(note, 'x', 200);
    note[200] = '\0';
    assert_true(args_note(note, 200, why, sizeof(why)));
    note[200] = 'x';
    note[201] = '\0';
    assert_false(args_note(note, 200, why, sizeof(why)));
    assert_string_equal(why, "is 201 bytes long, at most 200");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole),
        cmocka_unit_test(test_note),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
