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

/* Whether s holds only UTF-8 as RFC 3629 has it (no overlong form, no
 * surrogate, nothing past U+10FFFF); a NUL byte is U+0000. */
bool request_utf8_valid(const char *s, size_t len);
/* How many bytes at the start of s (len bytes) are valid UTF-8. */
size_t request_utf8_span(const char *s, size_t len);
/* Make a NUL-terminated text valid UTF-8 in place: a character cut at the
 * end (by a bounded print) is dropped, any other stray byte becomes '?'. */
void request_utf8_scrub(char *s);

#endif
