/* SPDX-License-Identifier: MIT */
/* carecmd.h - the control protocol's care requests (checkin, history) and the care advice start and status carry. */
#ifndef KNOT_CARECMD_H
#define KNOT_CARECMD_H

#include <json-c/json.h>
#include <sys/types.h>

#include "ctl.h"
#include "profile.h"

/* Everywhere below, side is the side of an area with sides (NONE for an area without). */
/* checkin on area a (already looked up) and side: pain, red flags, a note, or a
 * clear; on record in the journal before it counts. The reply, or an error. */
json_object *carecmd_checkin(const struct ctl_peer *peer, json_object *req, const struct profile_area *a,
                             enum profile_side side);
/* history: the asking person's sessions and check-ins of the last `days`
 * (default 14), optionally of one area and side, and the care advice. */
json_object *carecmd_history(const struct ctl_peer *peer, json_object *req);
/* What the care record says about uid's area a: red flags, or the "treated
 * often, no better" rule, with the advice in words; NULL when nothing. */
json_object *carecmd_state(uid_t uid, const struct profile_area *a, enum profile_side side);
/* Whether uid's area a has a red flag now: the massager stays off it. */
bool carecmd_flagged(uid_t uid, const struct profile_area *a, enum profile_side side);
/* A start on a refused for red flags: the error reply, or NULL when none. */
json_object *carecmd_refusal(uid_t uid, const struct profile_area *a, enum profile_side side);
/* carecmd_state() of every area (and side) of uid that has something to say
 * (only: one area; only_side: one side, NONE: both). */
json_object *carecmd_advice_list(uid_t uid, const struct profile_area *only, enum profile_side only_side);
/* "calves", "left calf": an area (and side) as it reads inside a sentence;
 * true when that is one limb (singular: "was", not "were"). */
bool carecmd_lower(char *buf, size_t len, const struct profile_area *a, enum profile_side side);

#endif
