/* SPDX-License-Identifier: MIT */
/* side.h - the two sides of paired areas: left and right as a person types them, and a place said as a person says it ("left calf"). */
#ifndef KNOTCTL_SIDE_H
#define KNOTCTL_SIDE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "knot/control.h"

/* "left" or "right" (static) for a word that names a side, in any case; NULL otherwise. */
const char *side_word(const char *word);
/* The side a command's words name, taken out of them: "left calf",
 * "calves left 2", "left calves" (one word or two) leave argv as "calf" /
 * "calves 2" and *side "left". *side may hold --side's value already (as
 * side_word() gives it); the words must not name the other one. NULL, or
 * why the words do not do (a sentence after "knotctl: "). */
const char *side_args(char **argv, int *argc, const char **side, char *why, size_t len);
/* The one of a pair, from the area's own names: "calf" for calves (alias
 * "calf"), "shoulder", "quad", "glute" for glutes-hips; "" when its aliases
 * hold no such word (then a place is said with the title). */
void side_one(char *buf, size_t len, json_object *area);
/* Where a session runs, inside a sentence: "left calf"; "calves (left)"
 * when side_one() has none; the title lowered without a side ("upper back"). */
void side_place(char *buf, size_t len, json_object *area, const char *side);
/* A label: "Calves (left)", or the title alone for no side. */
void side_label(char *buf, size_t len, const char *title, const char *side);
/* Whether knotd says the area has sides ("sides" not empty). */
bool side_has(json_object *area);
/* Where the area stands today for that side: by_side's entry (an area
 * with sides), else "today"; NULL when knotd says neither. */
json_object *side_today(json_object *area, const char *side);

#endif
