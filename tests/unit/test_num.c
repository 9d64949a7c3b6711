/* SPDX-License-Identifier: MIT */
/* test_num.c - knot/num.h: whole numbers and tenths as knotd.conf, knot-sim's options and its scene commands read them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "knot/num.h"

static void test_uint(void **state)
{
    static const char *const bad[] = { "", "-", "-6", "+6", " 6", "6 ", "6.0", "6x", "0x6", "1e1", "11",
                                       "99999999999999999999999" };
    unsigned v = 42;

    (void)state;
    assert_true(knot_uint("0", 10, 0, 10, &v) && v == 0);
    assert_true(knot_uint("10", 10, 0, 10, &v) && v == 10);
    assert_true(knot_uint("007", 10, 0, 10, &v) && v == 7);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        v = 42;
        assert_false(knot_uint(bad[i], 10, 0, 10, &v));
        assert_int_equal(v, 42);   /* untouched */
    }
    assert_false(knot_uint("4", 10, 5, 10, &v));
    assert_false(knot_uint(NULL, 10, 0, 10, &v));
}

static void test_bases(void **state)
{
    unsigned v = 0;

    (void)state;
    assert_true(knot_uint("4b4e", 16, 0, 0xffff, &v) && v == 0x4b4e);
    assert_true(knot_uint("4B4E", 16, 0, 0xffff, &v) && v == 0x4b4e);
    assert_false(knot_uint("0x4b4e", 16, 0, 0xffff, &v));   /* knotd.conf's ids have no 0x */
    assert_false(knot_uint("10000", 16, 0, 0xffff, &v));
    assert_true(knot_uint("0660", 8, 0, 0777, &v) && v == 0660);
    assert_false(knot_uint("0680", 8, 0, 0777, &v));
    assert_false(knot_uint("1777", 8, 0, 0777, &v));
}

static void test_tenths(void **state)
{
    static const char *const bad[] = { "", ".", "5.", ".5", "12.55", "-1", "+1", " 1", "1e2", "1.5x", "100.1", "101",
                                       "1,5" };
    unsigned v = 42;

    (void)state;
    assert_true(knot_tenths("0", 1000, &v) && v == 0);
    assert_true(knot_tenths("12", 1000, &v) && v == 120);
    assert_true(knot_tenths("12.5", 1000, &v) && v == 125);
    assert_true(knot_tenths("100.0", 1000, &v) && v == 1000);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        v = 42;
        assert_false(knot_tenths(bad[i], 1000, &v));
        assert_int_equal(v, 42);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uint),
        cmocka_unit_test(test_bases),
        cmocka_unit_test(test_tenths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
