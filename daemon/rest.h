/* SPDX-License-Identifier: MIT */
/* rest.h - what each person's muscles still need: rest after a session and the day's dose, per person and area (pure, time as an argument). */
#ifndef KNOT_REST_H
#define KNOT_REST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "profile.h"

/*
 * Rest belongs to the person's muscle, not to the massager: a book keyed by
 * (uid, area), whichever massager ran the session. Two rules, both from the
 * guide's "consistency beats intensity":
 *
 *   - after a session, the area rests in proportion to what it got: nothing
 *     for a session that ended within its first trial (stopping to reposition
 *     costs nothing), else cooldown_s x min(1, (ran - trial) / (session - trial)),
 *     where ran is the time the motor ran; a full session owes the full
 *     cool-down;
 *   - each area has a daily dose (dose_min of its profile): the motor's
 *     running time on it per person and local day. A start needs at least a
 *     trial's worth of it left, and a session never runs past what is left.
 *
 * On an area with sides (a pair of limbs) both rules are per side: the
 * left calf's rest never holds back the right calf. An entry of no side
 * (an older journal's) counts for both sides, never for neither.
 *
 * Times: everything on the boot clock (CLOCK_BOOTTIME in milliseconds: it
 * counts a suspend and no wall-clock step moves it), passed in. The day is
 * passed as the boot-clock time of today's local midnight (day_ms, signed:
 * it may lie before this boot began): running time counts toward today's
 * dose when it was charged at or after it. A wall clock set back or forward
 * moves midnight, never what was charged: a dose used a minute ago counts
 * whatever the clock did, and a new one begins when the clock passes
 * midnight (timeline.h).
 */

#define REST_MAX 128                /* (person, area) entries kept; the oldest idle one makes room */
#define REST_ANYONE ((uid_t)-1)     /* an entry of no known person counts for everyone (fail closed) */

#define REST_DOSE_SLOTS 8           /* charges kept per entry; the two oldest merge, at the later time */

/* Running time charged at one time (boot clock; may lie before this boot). */
struct rest_dose {
    int64_t at_ms;
    uint64_t ran_ms;                /* 0: an empty slot */
};

struct rest_entry {
    uid_t uid;
    char area[PROFILE_NAME_LEN];    /* the area's name when the entry was made (aliases match later) */
    enum profile_side side;         /* NONE: no side, or one not recorded: counts for both */
    uint64_t until_ms;              /* rest until (boot clock); 0 = none */
    /* Each charge at its own time: a clock set back across midnight moves
     * midnight back over all of them, and each counts again (found by a
     * review: one total forgot the charges before the last midnight). */
    struct rest_dose dose[REST_DOSE_SLOTS];
};

struct rest_book {
    struct rest_entry e[REST_MAX];
    unsigned n;
};

/* What a person's area may have now. */
struct rest_state {
    uint64_t rest_left_ms;          /* 0 = not resting */
    uint64_t dose_used_ms, dose_ms; /* today's */
    uint64_t allowed_ms;            /* the longest session that may start now: 0 = none */
};

enum rest_verdict {
    REST_OK,                        /* may start; a session is capped at allowed_ms */
    REST_RESTING,                   /* rest_left_ms more rest first */
    REST_DOSE,                      /* today's dose is used up (less than a trial left) */
};

void rest_init(struct rest_book *b);
/* Where uid's area a (on side; NONE for an area without sides) stands at
 * now_ms, today having begun at day_ms. */
enum rest_verdict rest_check(const struct rest_book *b, uid_t uid, const struct profile_area *a,
                             enum profile_side side, uint64_t now_ms, int64_t day_ms, struct rest_state *out);
/* Whether a start must wait for the guide's warm-up: by rs (rest_check's),
 * nothing of the area ran today, and the person has not said it is warm. */
bool rest_wants_warm_up(const struct rest_state *rs, bool warmed_up);
/* The rest a session owes: ran_ms the motor ran in it, in the area a as it ran. */
uint64_t rest_owed_ms(const struct profile_area *a, uint64_t ran_ms);
/* A session of uid on a (on side) ended at now_ms, today having begun at
 * day_ms, the motor having run ran_ms: its rest is charged (never shortening
 * one already due) and its running time added to today's dose. */
void rest_charge(struct rest_book *b, uid_t uid, const struct profile_area *a, enum profile_side side,
                 uint64_t ran_ms, uint64_t now_ms, int64_t day_ms);
/* Restored from the journal: rest until until_ms, and ran_ms charged at
 * at_ms (either may be 0; timeline_at_ms places a record), today having
 * begun at day_ms: a charge before it is not today's. In any order. Names
 * are matched later by aliases too. */
void rest_restore(struct rest_book *b, uid_t uid, const char *area, enum profile_side side, uint64_t until_ms,
                  uint64_t ran_ms, int64_t at_ms, int64_t day_ms);

#endif
