/* SPDX-License-Identifier: MIT */
/* log.h - leveled logging to stderr, with syslog priority prefixes when systemd's journal reads it; never blocking on a pipe or socket. */
#ifndef KNOT_LOG_H
#define KNOT_LOG_H

enum log_level { LOG_L_ERROR = 3, LOG_L_WARNING = 4, LOG_L_INFO = 6, LOG_L_DEBUG = 7 };

/* Once, first: a pipe or socket on stderr is made non-blocking; a line it
 * cannot take is dropped and counted, and the next line that goes out is
 * preceded by "N log lines dropped". */
void log_init(void);
void log_set_level(enum log_level l);
/* "error", "warning", "info", "debug" -> level; -1 if unknown. */
int log_parse_level(const char *s);
void log_msg(enum log_level l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_L_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_L_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_L_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_L_DEBUG, __VA_ARGS__)

#endif
