/* SPDX-License-Identifier: MIT */
/* reply.h - the control protocol's reply objects: {"ok":true} and errors with a code and a message. */
#ifndef KNOT_REPLY_H
#define KNOT_REPLY_H

#include <json-c/json.h>

#include "profile.h"

/* {"ok":true}, for the handler to add its members to. Caller owns it. */
json_object *reply_ok(void);
/* {"ok":false,"code":code,"message":...}: code is a KNOT_E_* of
 * knot/control.h; the message is printf-formatted, cut to 511 bytes at a
 * character boundary. Caller owns it. */
json_object *reply_error(const char *code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* KNOT_E_UNKNOWN_AREA for name (quoted as names a client sent are), with p's areas listed. */
json_object *reply_unknown_area(const struct profile *p, const char *name);

#endif
