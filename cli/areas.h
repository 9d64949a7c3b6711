/* SPDX-License-Identifier: MIT */
/* areas.h - `knotctl areas [AREA]`: the body areas as a table, one area's whole advice, and that advice in place of a refused start. */
#ifndef KNOTCTL_AREAS_H
#define KNOTCTL_AREAS_H

#include <json-c/json.h>
#include <stddef.h>

#include "knotctl.h"

/* name NULL: the table; else that area's whole advice. Returns the exit code. */
int areas_run(const struct knotctl_opts *o, const char *name);
/* A start refused because the massager does not belong on the area (the
 * refusal, code not-allowed): the guide's tool and action there and the
 * area's stretch, said as advice (knotd's own words when its area list
 * cannot be had). Returns the refusal's exit code. */
int areas_elsewhere(const struct knotctl_opts *o, const char *name, json_object *refusal);
/* The area an `areas` reply calls name (or one of its aliases), or NULL. */
json_object *areas_find(json_object *reply, const char *name);

#endif
