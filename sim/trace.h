/* SPDX-License-Identifier: MIT */
/* trace.h - the virtual massager's device-side event log (the truth safety tests check). */
#ifndef KNOT_SIM_TRACE_H
#define KNOT_SIM_TRACE_H

#include <stdint.h>

#include "device.h"

int trace_open(const char *path);
void trace_close(void);
/* One line: "<CLOCK_MONOTONIC ns> <printf text>\n", flushed at once. Thread-safe. */
void trace_event(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t trace_now_ms(void);
/* A firmware core's note as its trace line ("level 2 by=host dev=S",
 * "refused level 3 why=step dev=S", ...): one wording for knot-sim and
 * knot-gadget, docs/SIM.md's. */
void trace_note(const char *serial, const struct kdev_note *n);
/* --trace-requests: a control request as the device received it (setup: its 8 bytes). */
void trace_request(const char *serial, const uint8_t *setup);

#endif
