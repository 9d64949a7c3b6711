/* SPDX-License-Identifier: MIT */
/* rest.c - per person and area: rest in proportion to what the muscle got, and the day's dose (pure, time as an argument). */
#include "rest.h"

#include <stdio.h>
#include <string.h>

void rest_init(struct rest_book *b)
{
    memset(b, 0, sizeof(*b));
}

/* The entry of uid whose area is a (its name or an alias: rest follows the
 * area whatever it is called now) on exactly that side; NULL if none. */
static struct rest_entry *rest_find(const struct rest_book *b, uid_t uid, const struct profile_area *a,
                                    enum profile_side side)
{
    for (unsigned i = 0; i < b->n; i++)
        if (b->e[i].uid == uid && b->e[i].side == side && profile_area_is(a, b->e[i].area))
            return (struct rest_entry *)&b->e[i];
    return NULL;
}

static struct rest_entry *rest_find_name(struct rest_book *b, uid_t uid, const char *area, enum profile_side side)
{
    for (unsigned i = 0; i < b->n; i++)
        if (b->e[i].uid == uid && b->e[i].side == side && strcmp(b->e[i].area, area) == 0)
            return &b->e[i];
    return NULL;
}

/* The entry's running time that counts today: charged at or after day_ms. */
static uint64_t rest_today_ms(const struct rest_entry *e, int64_t day_ms)
{
    uint64_t sum = 0;

    for (unsigned i = 0; i < REST_DOSE_SLOTS; i++)
        if (e->dose[i].ran_ms && e->dose[i].at_ms >= day_ms)
            sum += e->dose[i].ran_ms;
    return sum;
}

/* A new entry; when the book is full, the one that matters least goes: an
 * entry neither resting nor counting today's dose, else the soonest rest. */
static struct rest_entry *rest_add(struct rest_book *b, uid_t uid, const char *area, enum profile_side side,
                                   uint64_t now_ms, int64_t day_ms)
{
    struct rest_entry *e = NULL;

    if (b->n < REST_MAX) {
        e = &b->e[b->n++];
    } else {
        for (unsigned i = 0; i < b->n && !e; i++)
            if (b->e[i].until_ms <= now_ms && rest_today_ms(&b->e[i], day_ms) == 0)
                e = &b->e[i];
        for (unsigned i = 0; i < b->n && !e; i++)
            if (b->e[i].until_ms <= now_ms)
                e = &b->e[i];
        if (!e) {
            e = &b->e[0];
            for (unsigned i = 1; i < b->n; i++)
                if (b->e[i].until_ms < e->until_ms)
                    e = &b->e[i];
        }
    }
    memset(e, 0, sizeof(*e));
    e->uid = uid;
    e->side = side;
    snprintf(e->area, sizeof(e->area), "%s", area);
    return e;
}

static uint64_t rest_dose_ms(const struct profile_area *a)
{
    return (uint64_t)(a->dose_min ? a->dose_min : PROFILE_DOSE_DEFAULT_MIN) * 60000u;
}


enum rest_verdict rest_check(const struct rest_book *b, uid_t uid, const struct profile_area *a,
                             enum profile_side side, uint64_t now_ms, int64_t day_ms, struct rest_state *out)
{
    uint64_t trial_ms = (uint64_t)a->trial_s * 1000u;

    memset(out, 0, sizeof(*out));
    out->dose_ms = rest_dose_ms(a);
    /* Every entry of the area counts: one per name it was ever recorded
     * under, and on this side, or of no side (counts for both). */
    for (unsigned i = 0; i < b->n; i++) {
        const struct rest_entry *e = &b->e[i];

        if ((e->uid != uid && e->uid != REST_ANYONE) || !profile_side_covers(e->side, side) ||
            !profile_area_is(a, e->area))
            continue;
        if (e->until_ms > now_ms && e->until_ms - now_ms > out->rest_left_ms)
            out->rest_left_ms = e->until_ms - now_ms;
        out->dose_used_ms += rest_today_ms(e, day_ms);
    }
    if (out->rest_left_ms)
        return REST_RESTING;
    if (out->dose_used_ms + trial_ms > out->dose_ms)
        return REST_DOSE;
    out->allowed_ms = out->dose_ms - out->dose_used_ms;
    return REST_OK;
}

uint64_t rest_owed_ms(const struct profile_area *a, uint64_t ran_ms)
{
    uint64_t trial_ms = (uint64_t)a->trial_s * 1000u, session_ms = (uint64_t)a->session_s * 1000u;
    uint64_t cool_ms = (uint64_t)a->cooldown_s * 1000u;

    if (ran_ms <= trial_ms)
        return 0;   /* never past the first trial: repositioning costs nothing */
    if (session_ms <= trial_ms || ran_ms >= session_ms)
        return cool_ms;
    /* 128-bit-free: cool_ms (< 2^27) times a span (< 2^19 ms) fits in 64 bits */
    return cool_ms * (ran_ms - trial_ms) / (session_ms - trial_ms);
}

/* ran_ms charged at at_ms into a slot of its own. A charge two days before
 * today's midnight can count for no day a clock step could bring back
 * (short of a step of days, which counts everything): its slot is reused
 * first. Full: the two oldest merge, at the later time (it counts for as
 * long as the later one: never less). */
static void rest_dose(struct rest_entry *e, uint64_t ran_ms, int64_t at_ms, int64_t day_ms)
{
    const int64_t stale_ms = day_ms - 2 * 86400000LL;
    unsigned free_i = REST_DOSE_SLOTS, a = REST_DOSE_SLOTS, b = REST_DOSE_SLOTS;

    if (!ran_ms || at_ms < stale_ms)
        return;
    for (unsigned i = 0; i < REST_DOSE_SLOTS; i++) {
        if (!e->dose[i].ran_ms || e->dose[i].at_ms < stale_ms) {
            free_i = i;
            break;
        }
        if (a == REST_DOSE_SLOTS || e->dose[i].at_ms < e->dose[a].at_ms) {
            b = a;
            a = i;
        } else if (b == REST_DOSE_SLOTS || e->dose[i].at_ms < e->dose[b].at_ms) {
            b = i;
        }
    }
    if (free_i == REST_DOSE_SLOTS) {
        e->dose[b].ran_ms += e->dose[a].ran_ms;   /* b is the later of the two oldest */
        free_i = a;
    }
    e->dose[free_i].at_ms = at_ms;
    e->dose[free_i].ran_ms = ran_ms;
}

void rest_charge(struct rest_book *b, uid_t uid, const struct profile_area *a, enum profile_side side,
                 uint64_t ran_ms, uint64_t now_ms, int64_t day_ms)
{
    struct rest_entry *e = rest_find(b, uid, a, side);
    uint64_t owed = rest_owed_ms(a, ran_ms);

    if (!e)
        e = rest_add(b, uid, a->name, side, now_ms, day_ms);
    rest_dose(e, ran_ms, (int64_t)now_ms, day_ms);
    if (owed && now_ms + owed > e->until_ms)
        e->until_ms = now_ms + owed;
}

void rest_restore(struct rest_book *b, uid_t uid, const char *area, enum profile_side side, uint64_t until_ms,
                  uint64_t ran_ms, int64_t at_ms, int64_t day_ms)
{
    struct rest_entry *e = rest_find_name(b, uid, area, side);

    if (!e)
        e = rest_add(b, uid, area, side, 0, day_ms);
    if (until_ms > e->until_ms)
        e->until_ms = until_ms;
    rest_dose(e, ran_ms, at_ms, day_ms);
}

bool rest_wants_warm_up(const struct rest_state *rs, bool warmed_up)
{
    return rs->dose_used_ms == 0 && !warmed_up;
}
