/* SPDX-License-Identifier: MIT */
/* json.h - for make prove only: the json-c declarations daemon/request.c names, against Frama-C's own libc (json-c's real header pulls the system's). No proved function calls json-c. */
#ifndef KNOT_PROVE_JSON_H
#define KNOT_PROVE_JSON_H
#include <stddef.h>
#include <stdint.h>

typedef struct json_object json_object;
typedef struct json_tokener json_tokener;
typedef int json_bool;
enum json_type { json_type_null, json_type_boolean, json_type_double, json_type_int, json_type_object,
                 json_type_array, json_type_string };
enum json_tokener_error { json_tokener_success };
#define JSON_TOKENER_STRICT 0x01
#define JSON_TOKENER_VALIDATE_UTF8 0x10

json_tokener *json_tokener_new_ex(int depth);
void json_tokener_free(json_tokener *tok);
void json_tokener_set_flags(json_tokener *tok, int flags);
json_object *json_tokener_parse_ex(json_tokener *tok, const char *str, int len);
size_t json_tokener_get_parse_end(json_tokener *tok);
enum json_tokener_error json_tokener_get_error(json_tokener *tok);
const char *json_tokener_error_desc(enum json_tokener_error jerr);
int json_object_put(json_object *obj);
int json_object_is_type(const json_object *obj, enum json_type type);
enum json_type json_object_get_type(const json_object *obj);
json_bool json_object_object_get_ex(const json_object *obj, const char *key, json_object **value);
json_bool json_object_get_boolean(const json_object *obj);
int32_t json_object_get_int(const json_object *obj);
uint64_t json_object_get_uint64(const json_object *obj);
const char *json_object_get_string(json_object *obj);
int json_object_get_string_len(const json_object *obj);
#endif
