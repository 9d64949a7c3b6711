/* trace.h - the virtual massager's device-side event log (the truth safety tests check). */
#ifndef KNOT_SIM_TRACE_H
#define KNOT_SIM_TRACE_H

#include <stdint.h>

int trace_open(const char *path);
void trace_close(void);
/* One line: "<CLOCK_MONOTONIC ns> <printf text>\n", flushed at once. Thread-safe. */
void trace_event(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t trace_now_ms(void);

#endif
