/* SPDX-License-Identifier: MIT */
/* fuzz_request.c - libFuzzer harness: one control line through request_parse() (daemon/request.h). */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Exactly size bytes and no terminating NUL: a read past len is ASan's to see. */
    char *line = malloc(size ? size : 1);
    char why[256], small[8];
    json_object *req, *again;

    if (!line)
        return 0;
    memcpy(line, data, size);
    memset(why, 0x55, sizeof(why));
    req = request_parse(line, size, why, sizeof(why));
    if (!req) {
        if (!memchr(why, '\0', sizeof(why)) || !why[0])
            fuzz_fail("a refused request with no reason, or an unterminated one");
    } else if (!json_object_is_type(req, json_type_object)) {
        fuzz_fail("request_parse returned a JSON %s, not an object", json_type_to_name(json_object_get_type(req)));
    }
    /* A short reason buffer changes the text only, never the verdict. */
    memset(small, 0x55, sizeof(small));
    again = request_parse(line, size, small, sizeof(small));
    if ((again == NULL) != (req == NULL))
        fuzz_fail("request_parse decides differently with an 8-byte reason buffer");
    if (!again && !memchr(small, '\0', sizeof(small)))
        fuzz_fail("an 8-byte reason is not terminated");
    json_object_put(again);
    json_object_put(req);
    free(line);
    return 0;
}
