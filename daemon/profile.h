/* SPDX-License-Identifier: MIT */
/* profile.h - body-area profiles: loading with libconfig and validation against hard limits (no device I/O). */
#ifndef KNOT_PROFILE_H
#define KNOT_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "knot/proto.h"

#define PROFILE_MAX_AREAS 32
#define PROFILE_MAX_ALIASES 8
#define PROFILE_NAME_LEN 32

/* Hard limits no profile may cross. A profile breaking one is rejected with
 * "file:line: ..." and never clamped silently. */
#define PROFILE_TRIAL_MIN_S 10      /* the guide: lowest speed for 10-20 s first */
#define PROFILE_TRIAL_MAX_S 20
#define PROFILE_START_LEVEL 1       /* always the lowest speed first */
#define PROFILE_STEP_MIN_S 5        /* a gentle ramp: at most one level per 5 s */
#define PROFILE_SESSION_MAX_S 300   /* no area is worked longer than 5 min at a time */
#define PROFILE_COOLDOWN_MAX_S 86400
#define PROFILE_FORCE_MAX_DN 400    /* 40 N: above that the device itself stalls */
#define PROFILE_DOSE_MIN_MIN 1      /* dose_min: minutes of running a day on one area */
#define PROFILE_DOSE_MAX_MIN 30
#define PROFILE_DOSE_DEFAULT_MIN 10 /* conservative: two full sessions of most areas */
#define PROFILE_MAX_ROUTINES 16
#define PROFILE_MAX_STEPS 16

/* Where on an area with sides (a pair of limbs: "sides = true"). NONE on an
 * area without sides; as a record's side, NONE counts for both sides. */
enum profile_side {
    PROFILE_SIDE_NONE = 0,
    PROFILE_SIDE_LEFT = 1,
    PROFILE_SIDE_RIGHT = 2,
};

struct profile_area {
    char name[PROFILE_NAME_LEN];                          /* canonical, lower case: "upper-back" */
    char aliases[PROFILE_MAX_ALIASES][PROFILE_NAME_LEN];
    unsigned n_aliases;
    char title[48];                                       /* "Upper back" */
    char tool[64];                                        /* the guide's recommended tool */
    char action[256];                                     /* the guide's quick action */
    char aftercare[256];                                  /* stretch after the session; may be "" */
    bool gun_allowed;                                     /* false: refused (neck) */
    bool sides;                                           /* a pair (calves): every session takes a side */
    unsigned start_level;                                 /* == PROFILE_START_LEVEL */
    unsigned trial_s;
    unsigned default_level;                               /* target when start names none */
    unsigned max_level;                                   /* 1..KNOT_MAX_LEVELS; device max applies if lower */
    unsigned step_s;
    unsigned session_s;
    unsigned cooldown_s;
    unsigned force_max_dn;                                /* hold and warn above this force */
    unsigned dose_min;                                    /* running minutes a day per person (rest.c) */
    unsigned line;                                        /* where the entry starts in its file */
};

/* One step of a routine: a full session of an area (on a side where it has
 * them), maybe shorter or lower than the area allows, never more. */
struct profile_step {
    char area[PROFILE_NAME_LEN];                          /* the area's canonical name */
    enum profile_side side;                               /* NONE exactly when the area has no sides */
    unsigned session_s;                                   /* 0: the area's; else trial_s..the area's session_s */
    unsigned level;                                       /* 0: the area's default; else 1..the area's max_level */
    unsigned line;
};

/* A routine a person follows ("after a run"): ordered steps, run by the
 * client one session at a time (docs/CONTROL.md, "Routines"). */
struct profile_routine {
    char name[PROFILE_NAME_LEN];
    char title[48];
    struct profile_step steps[PROFILE_MAX_STEPS];
    unsigned n;
    unsigned line;
};

struct profile {
    struct profile_area areas[PROFILE_MAX_AREAS];
    unsigned n;
    struct profile_routine routines[PROFILE_MAX_ROUTINES];
    unsigned n_routines;
};

/* Load and validate. On error returns a negative errno code and writes
 * "FILE:LINE: what is wrong" (or "FILE: ..." when no line applies) to err. */
int profile_load(const char *path, struct profile *out, char *err, size_t errlen);
/* Same from a string; name stands for the file in messages. */
int profile_parse(const char *text, const char *name, struct profile *out, char *err, size_t errlen);

/* Case-insensitive; '-', '_' and ' ' are equivalent and may be omitted
 * ("Upper Back", "upper_back", "upperback"); aliases match too. */
const struct profile_area *profile_find(const struct profile *p, const char *name);
/* Whether name is a's name or one of its aliases, by profile_find's rules. */
bool profile_area_is(const struct profile_area *a, const char *name);
/* "calves, forearms, glutes, ..." (canonical names, file order) */
void profile_names(const struct profile *p, char *buf, size_t len);
/* A routine by name (as profile_find matches areas), or NULL. */
const struct profile_routine *profile_routine_find(const struct profile *p, const char *name);

/* "left", "right", or NULL for PROFILE_SIDE_NONE (or no side at all). */
const char *profile_side_name(enum profile_side side);
/* "left" or "right" (any case): 0 with *out set; -1 for anything else. */
int profile_side_of(const char *name, enum profile_side *out);
/* Whether a record made on side rec counts for side want: a record of no
 * side counts for both, and on an area without sides (want NONE) every
 * record counts. Never for neither. */
static inline bool profile_side_covers(enum profile_side rec, enum profile_side want)
{
    return rec == PROFILE_SIDE_NONE || want == PROFILE_SIDE_NONE || rec == want;
}

#endif
