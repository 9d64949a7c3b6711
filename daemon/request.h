/* request.h - control requests as pure logic (no I/O): the one-line JSON parser, typed members, client text quoted safely. */
#ifndef KNOT_REQUEST_H
#define KNOT_REQUEST_H

#include <json-c/json.h>
#include <stddef.h>

#define REQUEST_WHY_MAX 320     /* room for any reason request_parse() gives */

/* One request line (len bytes, no newline; need not be NUL-terminated):
 * the request object (caller owns), or NULL with why saying what is wrong. */
json_object *request_parse(const char *line, size_t len, char *why, size_t whylen);

#endif
