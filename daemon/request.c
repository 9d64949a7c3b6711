/* request.c - control requests as pure logic (no I/O): the one-line JSON parser, typed members, client text quoted safely. */
#include "request.h"

#include <stdio.h>

json_object *request_parse(const char *line, size_t len, char *why, size_t whylen)
{
    json_tokener *tok = json_tokener_new();
    json_object *req;

    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
        len--;
    req = json_tokener_parse_ex(tok, line, (int)len);
    /* A whole line must be exactly one JSON value. */
    if (!req || json_tokener_get_error(tok) != json_tokener_success || json_tokener_get_parse_end(tok) != len) {
        json_object_put(req);
        req = NULL;
        snprintf(why, whylen, "request is not a JSON object on one line");
    } else if (!json_object_is_type(req, json_type_object)) {
        json_object_put(req);
        req = NULL;
        snprintf(why, whylen, "request must be a JSON object");
    }
    json_tokener_free(tok);
    return req;
}
