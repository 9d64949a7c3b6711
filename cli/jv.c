/* SPDX-License-Identifier: MIT */
/* jv.c - member access for replies and events: the protocol lets knotd add members, so read only what is known. */
#include "jv.h"

#include <stdio.h>
#include <string.h>

static json_object *jv_get(json_object *o, const char *key)
{
    json_object *v = NULL;

    if (!o || !json_object_is_type(o, json_type_object))
        return NULL;
    if (!json_object_object_get_ex(o, key, &v))
        return NULL;
    return v;
}

const char *jv_str(json_object *o, const char *key, const char *def)
{
    json_object *v = jv_get(o, key);

    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : def;
}

long long jv_int(json_object *o, const char *key, long long def)
{
    json_object *v = jv_get(o, key);

    if (v && (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
        return (long long)json_object_get_int64(v);
    return def;
}

double jv_num(json_object *o, const char *key, double def)
{
    json_object *v = jv_get(o, key);

    if (v && (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
        return json_object_get_double(v);
    return def;
}

bool jv_bool(json_object *o, const char *key, bool def)
{
    json_object *v = jv_get(o, key);

    return v && json_object_is_type(v, json_type_boolean) ? json_object_get_boolean(v) : def;
}

json_object *jv_obj(json_object *o, const char *key)
{
    json_object *v = jv_get(o, key);

    return v && json_object_is_type(v, json_type_object) ? v : NULL;
}

json_object *jv_arr(json_object *o, const char *key)
{
    json_object *v = jv_get(o, key);

    return v && json_object_is_type(v, json_type_array) ? v : NULL;
}

void jv_join(json_object *arr, const char *sep, char *buf, size_t len)
{
    size_t used = 0, n = arr ? json_object_array_length(arr) : 0;

    if (len)
        buf[0] = '\0';
    for (size_t i = 0; i < n && used < len; i++) {
        json_object *v = json_object_array_get_idx(arr, i);
        int w;
        if (!json_object_is_type(v, json_type_string))
            continue;
        w = snprintf(buf + used, len - used, "%s%s", used ? sep : "", json_object_get_string(v));
        if (w < 0)
            break;
        used += (size_t)w;
    }
}
