/* SPDX-License-Identifier: MIT */
/* chart.h - the arithmetic of history's per-day chart: which column a day falls in, a bar's height, a pain's glyph, a date's day number. */
#ifndef KNOTCTL_CHART_H
#define KNOTCTL_CHART_H

#define CHART_LEVELS 8      /* bar heights above nothing: ▁ to █ */
#define CHART_WIDE_DAYS 21  /* up to this many days, a day gets 3 columns (its date above it) */
#define CHART_COLS_MAX 62   /* at most this many columns of days: with the row labels, 80 in all */

/* How the days asked for fit across: per_col days a column (the oldest
 * column may hold fewer: pad days before the first are not asked for), cols
 * columns, each width terminal columns wide. */
struct chart_layout {
    int days, per_col, cols, width, pad;
};

/* days from 1 to 365. */
void chart_layout(int days, struct chart_layout *l);
/* The column of day (0 the oldest, days - 1 today). */
int chart_col(const struct chart_layout *l, int day);
/* The column's last day (0 the oldest). */
int chart_col_last_day(const struct chart_layout *l, int col);
/* A bar's height for value on a scale whose top is max: 0 for nothing (or
 * less), else 1 to CHART_LEVELS, rounded up: anything at all shows. */
int chart_height(long long value, long long max);
/* A pain's glyph: '0' to '9', 'X' for 10 (and more); '?' below 0. */
char chart_pain(long long pain);
/* A civil date (month 1-12) as days since 1970-01-01: the days between two
 * local dates, whatever the clock changes in between. */
long long chart_serial(long long year, int month, int mday);

#endif
