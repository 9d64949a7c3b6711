/* SPDX-License-Identifier: MIT */
/* reply.c - the control protocol's reply objects, shared by every file that answers a request. */
#include "reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "knot/control.h"
#include "request.h"
#include "utf8.h"

json_object *reply_ok(void)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, KNOT_K_OK, json_object_new_boolean(1));
    return o;
}

json_object *reply_error(const char *code, const char *fmt, ...)
{
    json_object *o = json_object_new_object();
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* A long message is cut at a byte: never inside a character. */
    utf8_scrub(msg);
    json_object_object_add(o, KNOT_K_OK, json_object_new_boolean(0));
    json_object_object_add(o, KNOT_K_CODE, json_object_new_string(code));
    json_object_object_add(o, KNOT_K_MESSAGE, json_object_new_string(msg));
    return o;
}

json_object *reply_unknown_area(const struct profile *p, const char *name)
{
    char names[512], q[REQUEST_QUOTE_MAX];

    profile_names(p, names, sizeof(names));
    return reply_error(KNOT_E_UNKNOWN_AREA, "unknown body area '%s'; known areas: %s",
                       request_quote(q, sizeof(q), name, strlen(name), REQUEST_QUOTE_CHARS), names);
}
