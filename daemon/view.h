/* SPDX-License-Identifier: MIT */
/* view.h - JSON views (json-c) of devices, sessions, areas and events, as docs/CONTROL.md defines them. */
#ifndef KNOT_VIEW_H
#define KNOT_VIEW_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "massager.h"
#include "profile.h"
#include "session.h"

json_object *view_device(const struct massager *m);
json_object *view_status(const struct massager *m, uint64_t now_ms);
json_object *view_session(const struct session *s, enum profile_side side, uint64_t now_ms);   /* null when idle */
json_object *view_area(const struct profile_area *a);
json_object *view_sides(const struct profile_area *a);   /* ["left", "right"], or [] */
json_object *view_device_event(const char *action, const struct massager *m);
json_object *view_status_event(const struct massager *m, uint64_t now_ms);
json_object *view_session_event(const char *action, const struct massager *m, uint64_t now_ms);
json_object *view_warning_event(const struct massager *m, const char *message);
/* One line for `systemctl status` (STATUS=): "no massager", "1 massager, idle",
 * "2 massagers; calves on KNOT1 at level 2, 1:10 left". Cut to len. */
void view_status_line(const struct massager *first, uint64_t now_ms, char *buf, size_t len);

#endif
