/* SPDX-License-Identifier: MIT */
/* fail.c - how knotctl says it cannot do what was asked: text for a person, JSON for a program (--json). */
#include "fail.h"

#include <stdarg.h>
#include <stdio.h>

#include <json-c/json.h>

#include "knot/control.h"

static bool fail_as_json;

void fail_json(bool on)
{
    fail_as_json = on;
}

bool fail_is_json(void)
{
    return fail_as_json;
}

void fail(const char *code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    json_object *o;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    o = fail_as_json ? json_object_new_object() : NULL;
    if (!o) {
        fflush(stdout);   /* after what was said before it */
        fprintf(stderr, "knotctl: %s\n", msg);
        return;
    }
    json_object_object_add(o, KNOT_K_OK, json_object_new_boolean(0));
    json_object_object_add(o, KNOT_K_CODE, json_object_new_string(code));
    json_object_object_add(o, KNOT_K_MESSAGE, json_object_new_string(msg));
    /* knotd's errors are relayed as it wrote them; this one is knotctl's own. */
    json_object_object_add(o, "from", json_object_new_string("knotctl"));
    printf("%s\n", json_object_to_json_string_ext(o, KNOT_JSON_LINE_FLAGS));
    fflush(stdout);
    json_object_put(o);
}
