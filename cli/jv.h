/* SPDX-License-Identifier: MIT */
/* jv.h - typed reads of knotd's JSON members with defaults, so a missing or odd member never crashes knotctl. */
#ifndef KNOTCTL_JV_H
#define KNOTCTL_JV_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

const char *jv_str(json_object *o, const char *key, const char *def);
long long jv_int(json_object *o, const char *key, long long def);
double jv_num(json_object *o, const char *key, double def);
bool jv_bool(json_object *o, const char *key, bool def);
json_object *jv_obj(json_object *o, const char *key);   /* NULL unless an object */
json_object *jv_arr(json_object *o, const char *key);   /* NULL unless an array */
/* The strings of an array joined with sep ("" when there are none). */
void jv_join(json_object *arr, const char *sep, char *buf, size_t len);

#endif
