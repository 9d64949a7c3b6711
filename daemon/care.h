/* SPDX-License-Identifier: MIT */
/* care.h - the care record: check-ins, red flags and when to see a professional, per person and area (pure, days as arguments). */
#ifndef KNOT_CARE_H
#define KNOT_CARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "profile.h"

/*
 * The guide's last part: self-care is not always enough. Two rules, per
 * person (uid) and body area, from the check-ins and sessions knotd records:
 *
 *   - Red flags. A check-in that reports numbness, tingling, weakness,
 *     swelling, bruising, or pain that disrupts sleep blocks percussion on
 *     that area until the person clears it knowingly (a "clear" check-in).
 *
 *   - A pain stop. A session that ended on pain at the lowest level (a
 *     second ouch at level 1: the guide's "back off immediately" did not
 *     help) closes that area for the person until the next local day. A
 *     clear lifts it, as it lifts red flags: knowingly, and recorded.
 *
 *   - Treated often, no better. The window is the CARE_WINDOW_DAYS local days
 *     ending today (today and the 9 before). A day counts as treated when the
 *     motor ran on the area that day (any session, however short). When more
 *     than CARE_TREATED_DAYS of the window's days were treated (8, 9 or 10)
 *     and the check-ins do not show an improvement, knotd recommends a
 *     physical therapist. An improvement is shown when the window holds
 *     check-ins on at least two different days and the pain of the last one
 *     is lower than the pain of the first one (the first and last check-in
 *     of the window, by time); anything else (no check-in, one day of them,
 *     the same or more pain) is no improvement. Like with like: only
 *     check-ins without a red flag count here (a red flag reports something
 *     else than the knot's pain).
 *
 * Sides: on an area with sides every rule is per side (the guide's red
 * flags - numbness, a tear's swelling, bruising and weakness - are about
 * that limb), so a red flag on the left calf does not block the right one.
 * An entry of no side (an older journal's, or a check-in on an area without
 * sides) counts for both sides, never for neither; clearing it for one side
 * leaves it in force on the other.
 *
 * Days are local day numbers (days since the epoch in local time), passed in.
 * An entry whose newest day is later than today (the wall clock went back)
 * has its window end on that day: what it holds still counts.
 */

#define CARE_MAX 128              /* (person, area) entries kept; the least useful makes room */
#define CARE_ANYONE ((uid_t)-1)   /* a record of no known person counts for everyone (fail closed) */
#define CARE_WINDOW_DAYS 10
#define CARE_TREATED_DAYS 7       /* more than this many treated days of the window */
#define CARE_PAIN_MAX 10
#define CARE_NOTE_MAX 200         /* bytes of a check-in's note */

/* Red flags a check-in may report (bits). */
enum care_flag {
    CARE_NUMBNESS = 1 << 0,
    CARE_TINGLING = 1 << 1,
    CARE_WEAKNESS = 1 << 2,
    CARE_SWELLING = 1 << 3,
    CARE_BRUISING = 1 << 4,
    CARE_SLEEP = 1 << 5,          /* the pain disrupts sleep (or daily activities) */
    CARE_FLAGS_ALL = (1 << 6) - 1,
};

struct care_entry {
    uid_t uid;
    char area[PROFILE_NAME_LEN];  /* the area's name when the entry was made (aliases match later) */
    enum profile_side side;       /* NONE: no side, or one not recorded: counts for both */
    unsigned flags;               /* red flags reported and not cleared */
    bool pain_stop;               /* a session ended on pain at pain_ms, not cleared since */
    int64_t pain_ms;              /* boot clock (may lie before this boot), as rest's dose */
    int64_t day;                  /* the newest day the arrays below describe (index 0) */
    uint16_t treated;             /* bit i: the motor ran on the area on day - i */
    int8_t first_pain[16], last_pain[16];   /* per day (index i = day - i): -1 = no check-in */
};

struct care_book {
    struct care_entry e[CARE_MAX];
    unsigned n;
};

/* Where a person's area stands today. */
struct care_state {
    unsigned flags;               /* red flags that block percussion; 0 = none */
    bool pain_stop;               /* a session ended on pain today: closed until tomorrow */
    unsigned treated_days;        /* of the window */
    unsigned checkin_days;        /* days of the window with a check-in */
    int first_pain, last_pain;    /* the window's first and last check-in; -1 = none */
    bool see_therapist;           /* the "treated often, no better" rule holds */
};

void care_init(struct care_book *b);
/* A check-in of uid on area on local day `day`: pain 0..10 (or -1: not
 * given) and red flags (CARE_* bits, added to those not cleared). false
 * when it cannot be kept: every entry holds red flags (CARE_MAX of them). */
bool care_checkin(struct care_book *b, uid_t uid, const char *area, enum profile_side side, int64_t day, int pain,
                  unsigned flags);
/* A session of uid on area ended on pain at at_ms (the boot clock, on local
 * day `day`): the area is closed for uid until the next local midnight (or a
 * clear), wherever a wall-clock step puts midnight. false when it cannot be
 * kept (as care_checkin). */
bool care_pain_stop(struct care_book *b, uid_t uid, const char *area, enum profile_side side, int64_t day,
                    int64_t at_ms);
/* The person cleared the area's red flags, and a pain stop, knowingly. */
/* Every entry of uid for that area and side is cleared: the one named area, and with
 * a (may be NULL) every one recorded under a's name or an alias (an area
 * renamed since keeps its old entries; a clear must reach them too). An
 * entry of no side stays in force on the other side. */
void care_clear(struct care_book *b, uid_t uid, const struct profile_area *a, const char *area,
                enum profile_side side, int64_t day);
/* The motor ran on the area for uid on local day `day`. */
void care_treated(struct care_book *b, uid_t uid, const char *area, enum profile_side side, int64_t day);
/* The state of uid's area a on local day `today`, whose midnight lies at
 * day_ms on the boot clock (clock_day_start_ms: a pain stop after it holds). Records of CARE_ANYONE
 * (no uid known) count for everyone's red flags. */
void care_check(const struct care_book *b, uid_t uid, const struct profile_area *a, enum profile_side side,
                int64_t today, int64_t day_ms, struct care_state *out);
/* The names of flags, comma separated ("numbness, swelling"), into buf. */
void care_flag_names(unsigned flags, char *buf, size_t len);
/* The name of one flag bit ("numbness"), or NULL. */
const char *care_flag_name(unsigned flag);
/* A flag by name: its bit, or 0 for an unknown name. */
unsigned care_flag_of(const char *name);

#endif
