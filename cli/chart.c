/* SPDX-License-Identifier: MIT */
/* chart.c - the arithmetic of history's per-day chart: which column a day falls in, a bar's height, a pain's glyph, a date's day number. */
#include "chart.h"

void chart_layout(int days, struct chart_layout *l)
{
    if (days < 1)
        days = 1;
    l->days = days;
    l->width = days <= CHART_WIDE_DAYS ? 3 : 1;
    l->per_col = (days + CHART_COLS_MAX - 1) / CHART_COLS_MAX;
    l->cols = (days + l->per_col - 1) / l->per_col;
    /* Today ends the last column: the oldest one is the short one. */
    l->pad = l->cols * l->per_col - days;
}

int chart_col(const struct chart_layout *l, int day)
{
    return (day + l->pad) / l->per_col;
}

int chart_col_last_day(const struct chart_layout *l, int col)
{
    return (col + 1) * l->per_col - 1 - l->pad;
}

int chart_height(long long value, long long max)
{
    long long h;

    if (value <= 0 || max <= 0)
        return 0;
    if (value >= max)
        return CHART_LEVELS;
    h = (value * CHART_LEVELS + max - 1) / max;
    return h < 1 ? 1 : (int)h;
}

char chart_pain(long long pain)
{
    if (pain < 0)
        return '?';
    return pain >= 10 ? 'X' : (char)('0' + pain);
}

/* Howard Hinnant's days_from_civil: the proleptic Gregorian calendar. */
long long chart_serial(long long year, int month, int mday)
{
    long long y = month <= 2 ? year - 1 : year;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + mday - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}
