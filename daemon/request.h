/* SPDX-License-Identifier: MIT */
/* request.h - control requests as pure logic (no I/O): the one-line JSON parser, typed members, client text quoted safely. */
#ifndef KNOT_REQUEST_H
#define KNOT_REQUEST_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REQUEST_WHY_MAX 320     /* room for any reason request_parse() gives */

/* One request line (len bytes, no newline; need not be NUL-terminated):
 * the request object (caller owns), or NULL with why saying what is wrong. */
json_object *request_parse(const char *line, size_t len, char *why, size_t whylen);

/* What a request has under a member name. */
enum request_member { REQUEST_WRONG = -1, REQUEST_ABSENT = 0, REQUEST_PRESENT = 1 };

/* A string member knotd reads (cmd, area, device): absent; present (*out
 * points into req); or wrong, why saying how: not a string (null too: null
 * is a value, not an absence), a NUL inside (json_object_get_string would
 * cut it there), not UTF-8, or a control character (no name holds one). */
enum request_member request_string(json_object *req, const char *key, const char **out, char *why, size_t whylen);
/* A boolean member: absent; present (*out); or wrong: not true or false (null too). */
enum request_member request_bool(json_object *req, const char *key, bool *out, char *why, size_t whylen);
/* An integer member: absent; present (*out); or wrong: not an integer
 * (null, a fraction, a string...), or beyond 64 bits (json-c's unsigned). */
enum request_member request_int(json_object *req, const char *key, int64_t *out, char *why, size_t whylen);

/* Client text (len bytes, any bytes) for a message, in buf: NUL-terminated
 * and valid UTF-8 whatever s holds. At most max_chars characters, whole
 * ones, then "..." if s had more or buf had no room. A byte that is not
 * UTF-8 and a C0 control character or DEL show as \xNN, a C1 control as
 * \u0085, a backslash as \\: nothing the client sent reaches the message raw
 * unless it is a printable character. Returns buf (untouched if buflen is 0). */
const char *request_quote(char *buf, size_t buflen, const char *s, size_t len, size_t max_chars);
#define REQUEST_QUOTE_CHARS 40                            /* what a message shows of a name */
#define REQUEST_QUOTE_MAX (REQUEST_QUOTE_CHARS * 6 + 4)   /* "\u0085" per character, "...", NUL */


#endif
