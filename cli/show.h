/* SPDX-License-Identifier: MIT */
/* show.h - knotctl's human-readable text for knotd's replies and events. */
#ifndef KNOTCTL_SHOW_H
#define KNOTCTL_SHOW_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#define SHOW_MMSS_LEN 24   /* fits any long long as m:ss */
/* "m:ss" */
void show_mmss(char *buf, size_t len, long long seconds);

/* Whole replies to stdout. */
void show_version(json_object *reply);
void show_devices(json_object *reply);
void show_status(json_object *reply);
/* A care object's advice, one line: red flags (whom to see, how to clear
 * them) or treated often and no better (a physical therapist, with the
 * numbers). Nothing for null. */
void show_care(json_object *care);
/* An array of care objects (status, history): "Care advice:" and each
 * one's advice; nothing when it is empty. after: a blank line first. */
void show_care_list(json_object *care, bool after);
/* "The guide's tool for the calves is a foam roller: sit with ...": the
 * guide's other tool for the area, said as what it is. */
void show_guide_tool(json_object *area);
/* show_guide_tool(), then the advice for the massager itself (with_gun). */
void show_advice(json_object *area);
/* What the session will do: trial, ramp, maximum, length. asked: the ramp
 * waits for the person's go-ahead (and keys, not knotctl ouch, back off).
 * place: where, said first ("left calf"), or NULL. */
void show_plan(json_object *area, json_object *session, bool asked, const char *place);
/* One line for an up/down/ouch/go reply, without its newline; show_target() prints it. */
void show_target_text(char *buf, size_t len, const char *cmd, json_object *session, long long step_s);
void show_target(const char *cmd, json_object *session, long long step_s);
/* "stopped KNOTSIM1" for a stop reply. */
void show_stopped(json_object *reply);
/* "After-care: ..." for each session the stop reply stopped: those running
 * in a status reply taken just before it (NULL: nothing). */
void show_stopped_aftercare(json_object *stop_reply, json_object *status_before);

/* A status object's progress in one line, in one of three forms. */
enum show_form {
    SHOW_BAR,     /* TTY, one massager: "ramp   level 2 -> 3  2500 ppm  [####----]  3:12 left" */
    SHOW_LOG,     /* a line in a log: "ramp: level 2 -> 3, 2500 ppm, 3:12 left" */
    SHOW_SHORT,   /* TTY, several massagers side by side: "ramp 2->3 2500 ppm 3:12" */
    SHOW_NARROW,  /* TTY too narrow for the bar: the time left first, "3:12 ramp 2->3" */
};
void show_progress(char *buf, size_t len, json_object *status, enum show_form form);
/* Why a session ended, from its "end": "session complete", "stopped: ...".
 * faults is used for "fault" (may be NULL or ""). */
const char *show_end(const char *end, const char *faults, char *buf, size_t len);

#endif
