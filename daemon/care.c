/* SPDX-License-Identifier: MIT */
/* care.c - the care record: check-ins, red flags and the "treated often, no better" rule, per person and area (pure, days as arguments). */
#include "care.h"

#include <stdio.h>
#include <string.h>

#define CARE_DAYS 16   /* days an entry remembers: the window and some slack */

static const char *const care_names[] = { "numbness", "tingling", "weakness", "swelling", "bruising", "sleep" };

void care_init(struct care_book *b)
{
    memset(b, 0, sizeof(*b));
}

static void care_blank_days(struct care_entry *e, unsigned from, unsigned to)
{
    for (unsigned i = from; i < to && i < CARE_DAYS; i++)
        e->first_pain[i] = e->last_pain[i] = -1;
}

/* Index 0 becomes `day` (a later day moves the arrays; an earlier one does not). */
static void care_roll(struct care_entry *e, int64_t day)
{
    int64_t d = day - e->day;

    if (d <= 0)
        return;
    if (d >= CARE_DAYS) {
        e->treated = 0;
        care_blank_days(e, 0, CARE_DAYS);
    } else {
        e->treated = (uint16_t)(e->treated << d);
        memmove(e->first_pain + d, e->first_pain, (size_t)(CARE_DAYS - d));
        memmove(e->last_pain + d, e->last_pain, (size_t)(CARE_DAYS - d));
        care_blank_days(e, 0, (unsigned)d);
    }
    e->day = day;
}

static struct care_entry *care_entry(struct care_book *b, uid_t uid, const char *area, enum profile_side side,
                                     int64_t day)
{
    struct care_entry *e = NULL;

    for (unsigned i = 0; i < b->n; i++)
        if (b->e[i].uid == uid && b->e[i].side == side && strcmp(b->e[i].area, area) == 0)
            e = &b->e[i];
    if (!e) {
        if (b->n < CARE_MAX) {
            e = &b->e[b->n++];
        } else {
            /* Full: an entry without red flags and with the oldest news goes
             * (red flags are never forgotten while another entry can go). */
            for (unsigned i = 0; i < b->n; i++)
                if (!b->e[i].flags && !b->e[i].pain_stop && (!e || b->e[i].day < e->day))
                    e = &b->e[i];
            if (!e)
                return NULL;
        }
        memset(e, 0, sizeof(*e));
        e->uid = uid;
        e->side = side;
        snprintf(e->area, sizeof(e->area), "%s", area);
        e->day = day;
        care_blank_days(e, 0, CARE_DAYS);
    }
    care_roll(e, day);
    return e;
}

/* The index of `day` in e's arrays, or -1 when it is too old to matter. */
static int care_index(const struct care_entry *e, int64_t day)
{
    int64_t i = e->day - day;

    return i >= 0 && i < CARE_DAYS ? (int)i : -1;
}

bool care_checkin(struct care_book *b, uid_t uid, const char *area, enum profile_side side, int64_t day, int pain,
                  unsigned flags)
{
    struct care_entry *e = care_entry(b, uid, area, side, day);
    int i;

    if (!e)
        return false;
    e->flags |= flags & CARE_FLAGS_ALL;
    i = care_index(e, day);
    /* Like with like: a check-in with a red flag reports something else than
     * the knot's pain (numbness, swelling, ...), so its pain is no measure of
     * improvement; it stays in the history, and the flag blocks the area. */
    if (i < 0 || pain < 0 || pain > CARE_PAIN_MAX || (flags & CARE_FLAGS_ALL))
        return true;
    if (e->first_pain[i] < 0)
        e->first_pain[i] = (int8_t)pain;
    e->last_pain[i] = (int8_t)pain;
    return true;
}

bool care_pain_stop(struct care_book *b, uid_t uid, const char *area, enum profile_side side, int64_t day,
                    int64_t at_ms)
{
    struct care_entry *e = care_entry(b, uid, area, side, day);

    if (!e)
        return false;
    /* The newest stop on the boot clock wins: no wall-clock step reorders them. */
    if (!e->pain_stop || at_ms > e->pain_ms)
        e->pain_ms = at_ms;
    e->pain_stop = true;
    return true;
}

/* Clears e for side. An entry of no side holds for both: cleared for one
 * side, what it holds moves to the other side's entry first; when that
 * entry cannot be had (the book is full of red flags), nothing is cleared
 * (fail closed: a flag may block too much, never too little). */
static void care_clear_entry(struct care_book *b, struct care_entry *e, enum profile_side side, int64_t day)
{
    if (e->side == PROFILE_SIDE_NONE && side != PROFILE_SIDE_NONE && (e->flags || e->pain_stop)) {
        enum profile_side other = side == PROFILE_SIDE_LEFT ? PROFILE_SIDE_RIGHT : PROFILE_SIDE_LEFT;
        size_t at = (size_t)(e - b->e);
        char area[PROFILE_NAME_LEN];
        struct care_entry *o;

        memcpy(area, e->area, sizeof(area));
        o = care_entry(b, e->uid, area, other, day);
        if (!o)
            return;
        e = &b->e[at];   /* still there: care_entry only evicts an entry without flags or stop */
        o->flags |= e->flags;
        if (e->pain_stop && (!o->pain_stop || e->pain_ms > o->pain_ms))
            o->pain_ms = e->pain_ms;
        o->pain_stop = o->pain_stop || e->pain_stop;
    }
    e->flags = 0;
    e->pain_stop = false;
}

void care_clear(struct care_book *b, uid_t uid, const struct profile_area *a, const char *area,
                enum profile_side side, int64_t day)
{
    struct care_entry *e = care_entry(b, uid, area, side, day);

    if (e)
        care_clear_entry(b, e, side, day);
    for (unsigned i = 0; i < b->n; i++)
        if (b->e[i].uid == uid && profile_side_covers(b->e[i].side, side) &&
            (a ? profile_area_is(a, b->e[i].area) : strcmp(b->e[i].area, area) == 0))
            care_clear_entry(b, &b->e[i], side, day);
}

void care_treated(struct care_book *b, uid_t uid, const char *area, enum profile_side side, int64_t day)
{
    struct care_entry *e = care_entry(b, uid, area, side, day);
    int i;

    if (e && (i = care_index(e, day)) >= 0)
        e->treated |= (uint16_t)(1u << i);
}

void care_check(const struct care_book *b, uid_t uid, const struct profile_area *a, enum profile_side side,
                int64_t today, int64_t day_ms, struct care_state *out)
{
    /* Days as bits from the window's first day (today - 9) on: an area
     * recorded under two names, or a side's entry and one of no side, count
     * a day once (found by a review: 4 days counted as 8). An entry of a day
     * after today (the clock went back) reaches up to 54 days ahead. */
    const int64_t base = today - (CARE_WINDOW_DAYS - 1);
    uint64_t treated = 0, checked = 0;
    int64_t first_day = INT64_MAX, last_day = INT64_MIN;

    memset(out, 0, sizeof(*out));
    out->first_pain = out->last_pain = -1;
    for (unsigned k = 0; k < b->n; k++) {
        const struct care_entry *e = &b->e[k];
        /* An entry of a later day than today (the clock went back) ends its window on its own day. */
        int64_t end = e->day > today ? e->day : today, oldest = end - (CARE_WINDOW_DAYS - 1);

        if (!profile_side_covers(e->side, side) || !profile_area_is(a, e->area))
            continue;
        if (e->uid == CARE_ANYONE)
            out->flags |= e->flags;   /* fail closed: a red flag of nobody known holds for all */
        if (e->uid != uid)
            continue;
        out->flags |= e->flags;
        /* Since today's midnight on the boot clock: a wall-clock step moves
         * midnight, never the stop. */
        if (e->pain_stop && e->pain_ms >= day_ms)
            out->pain_stop = true;
        for (int64_t day = oldest; day <= end; day++) {
            int i = care_index(e, day);
            uint64_t bit = day - base >= 0 && day - base < 64 ? (uint64_t)1 << (day - base) : 0;

            if (i < 0)
                continue;
            if (e->treated & (1u << i))
                treated |= bit;
            if (e->first_pain[i] < 0)
                continue;
            checked |= bit;
            if (day < first_day) {
                first_day = day;
                out->first_pain = e->first_pain[i];
            }
            if (day > last_day) {
                last_day = day;
                out->last_pain = e->last_pain[i];
            }
        }
    }
    out->treated_days = (unsigned)__builtin_popcountll(treated);
    out->checkin_days = (unsigned)__builtin_popcountll(checked);
    out->see_therapist = out->treated_days > CARE_TREATED_DAYS &&
                         !(out->checkin_days >= 2 && out->last_pain < out->first_pain);
}

const char *care_flag_name(unsigned flag)
{
    for (unsigned i = 0; i < sizeof(care_names) / sizeof(care_names[0]); i++)
        if (flag == 1u << i)
            return care_names[i];
    return NULL;
}

unsigned care_flag_of(const char *name)
{
    for (unsigned i = 0; i < sizeof(care_names) / sizeof(care_names[0]); i++)
        if (strcmp(name, care_names[i]) == 0)
            return 1u << i;
    return 0;
}

void care_flag_names(unsigned flags, char *buf, size_t len)
{
    size_t n = 0;

    if (len == 0)
        return;
    buf[0] = '\0';
    for (unsigned i = 0; i < sizeof(care_names) / sizeof(care_names[0]); i++) {
        int k;

        if (!(flags & (1u << i)))
            continue;
        k = snprintf(buf + n, len - n, "%s%s", n ? ", " : "", care_names[i]);
        if (k < 0 || (size_t)k >= len - n) {
            buf[n] = '\0';   /* cut between names, never inside one */
            return;
        }
        n += (size_t)k;
    }
}
