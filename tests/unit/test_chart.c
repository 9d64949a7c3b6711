/* SPDX-License-Identifier: MIT */
/* test_chart.c - history's chart arithmetic: the columns days fall in for 1 to 365 days, a bar's height at its edges, pain glyphs, date numbers across months, leap days and years. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../cli/chart.h"

static void test_layout(void **state)
{
    struct chart_layout l;

    (void)state;
    chart_layout(14, &l);   /* a date above every day */
    assert_int_equal(l.width, 3);
    assert_int_equal(l.cols, 14);
    assert_int_equal(l.per_col, 1);
    assert_int_equal(chart_col(&l, 0), 0);
    assert_int_equal(chart_col(&l, 13), 13);
    chart_layout(CHART_WIDE_DAYS + 1, &l);
    assert_int_equal(l.width, 1);
    assert_int_equal(l.cols, CHART_WIDE_DAYS + 1);
    chart_layout(CHART_COLS_MAX, &l);
    assert_int_equal(l.per_col, 1);
    assert_int_equal(l.cols, CHART_COLS_MAX);
    chart_layout(CHART_COLS_MAX + 1, &l);   /* two days a column, the oldest alone */
    assert_int_equal(l.per_col, 2);
    assert_int_equal(l.cols, 32);
    assert_int_equal(l.pad, 1);
    assert_int_equal(chart_col(&l, 0), 0);
    assert_int_equal(chart_col(&l, 1), 1);
    assert_int_equal(chart_col(&l, 62), 31);
    chart_layout(365, &l);
    assert_int_equal(l.per_col, 6);
    assert_int_equal(l.cols, 61);
    /* Every width of 1 to 365 days: at most the columns there are room for, today in the last, each day in one. */
    for (int days = 1; days <= 365; days++) {
        chart_layout(days, &l);
        assert_true(l.cols <= CHART_COLS_MAX && 11 + l.cols * l.width <= 80);   /* after the row labels */
        assert_int_equal(chart_col(&l, days - 1), l.cols - 1);
        assert_int_equal(chart_col_last_day(&l, l.cols - 1), days - 1);
        assert_true(l.pad >= 0 && l.pad < l.per_col);
        for (int d = 1; d < days; d++)
            assert_true(chart_col(&l, d) - chart_col(&l, d - 1) <= 1);
        for (int c = 0; c < l.cols; c++)
            assert_int_equal(chart_col(&l, chart_col_last_day(&l, c)), c);
    }
}

static void test_height(void **state)
{
    (void)state;
    assert_int_equal(chart_height(0, 600), 0);
    assert_int_equal(chart_height(-5, 600), 0);
    assert_int_equal(chart_height(5, 0), 0);
    assert_int_equal(chart_height(1, 600), 1);     /* a second still shows */
    assert_int_equal(chart_height(75, 600), 1);
    assert_int_equal(chart_height(76, 600), 2);
    assert_int_equal(chart_height(300, 600), 4);
    assert_int_equal(chart_height(599, 600), CHART_LEVELS);
    assert_int_equal(chart_height(600, 600), CHART_LEVELS);
    assert_int_equal(chart_height(900, 600), CHART_LEVELS);
    assert_int_equal(chart_height(60, 200), 3);    /* 2.4 eighths, rounded up */
}

static void test_pain(void **state)
{
    (void)state;
    assert_int_equal(chart_pain(0), '0');
    assert_int_equal(chart_pain(9), '9');
    assert_int_equal(chart_pain(10), 'X');
    assert_int_equal(chart_pain(-1), '?');
}

static void test_serial(void **state)
{
    (void)state;
    assert_int_equal(chart_serial(1970, 1, 1), 0);
    assert_int_equal(chart_serial(1969, 12, 31), -1);
    assert_int_equal(chart_serial(2000, 3, 1) - chart_serial(2000, 2, 28), 2);   /* 2000 is a leap year */
    assert_int_equal(chart_serial(1900, 3, 1) - chart_serial(1900, 2, 28), 1);   /* 1900 is not */
    assert_int_equal(chart_serial(2026, 12, 1) - chart_serial(2026, 11, 30), 1);
    assert_int_equal(chart_serial(2027, 1, 1) - chart_serial(2026, 12, 31), 1);
    assert_int_equal(chart_serial(2027, 1, 1) - chart_serial(2026, 1, 1), 365);
    assert_int_equal(chart_serial(2029, 1, 1) - chart_serial(2028, 1, 1), 366);
    assert_int_equal(chart_serial(2026, 11, 30), 20787);   /* date -d 2026-11-30 +%s / 86400 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_height),
        cmocka_unit_test(test_pain),
        cmocka_unit_test(test_serial),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
