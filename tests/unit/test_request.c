/* test_request.c - control request lines as pure logic: what the strict parser takes, and what it refuses and why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "request.h"

#define TEST_N(a) (sizeof(a) / sizeof((a)[0]))

/* A line as bytes: a literal may hold NULs, so its length is its size. */
struct test_line {
    const char *s;
    size_t len;
};
#define L(lit) { (lit), sizeof(lit) - 1 }

static json_object *test_parse(struct test_line l, char *why, size_t whylen)
{
    why[0] = '\0';
    return request_parse(l.s, l.len, why, whylen);
}

/* Strict JSON, one object: every one is taken, and what json-c made of it is what was sent. */
static void test_accepts_strict_json(void **state)
{
    static const struct {
        struct test_line in;
        const char *out;        /* json-c's plain serialization of the result */
    } ok[] = {
        { L("{\"cmd\":\"version\"}"), "{\"cmd\":\"version\"}" },
        { L(" \t{ \"cmd\" : \"version\" }\r\t "), "{\"cmd\":\"version\"}" },
        { L("{}"), "{}" },
        { L("{\"cmd\":\"version\",\"id\":[1,-2,3.5,-0.25e-3,1E5,2e+2,0,-0,true,false,null,\"\",{},[]]}"),
          "{\"cmd\":\"version\",\"id\":[1,-2,3.5,-0.25e-3,1E5,2e+2,0,0,true,false,null,\"\",{},[]]}" },
        { L("{\"id\":{\"a\":{\"a\":{\"a\":1}}},\"a\":2}"), "{\"id\":{\"a\":{\"a\":{\"a\":1}}},\"a\":2}" },
        { L("{\"id\":-9223372036854775808}"), "{\"id\":-9223372036854775808}" },
        { L("{\"id\":9223372036854775807}"), "{\"id\":9223372036854775807}" },
        { L("{\"id\":1e308,\"x\":-1.7976931348623157e308}"), "{\"id\":1e308,\"x\":-1.7976931348623157e308}" },
        { L("{\"id\":1e-400}"), "{\"id\":1e-400}" },
        { L("{\"id\":\"caf\\u00e9 \\ud83d\\ude00 \xe2\x82\xac \xf4\x8f\xbf\xbf \xc2\x80\"}"),
          "{\"id\":\"caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x82\xac \xf4\x8f\xbf\xbf \xc2\x80\"}" },
        { L("{\"id\":\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0001 \\u001F \\u007f\"}"),
          "{\"id\":\"\\\" \\\\ / \\b \\f \\n \\r \\t \\u0001 \\u001f \x7f\"}" },
        { L("{\"id\":\"raw \x7f is not a control character in JSON\"}"),
          "{\"id\":\"raw \x7f is not a control character in JSON\"}" },
        { L("{\"\":1,\"a\":1,\"A\":1,\"a \":1,\"\\u00e9\":1,\"e\\u0301\":1}"),
          "{\"\":1,\"a\":1,\"A\":1,\"a \":1,\"\xc3\xa9\":1,\"e\xcc\x81\":1}" },
        { L("{\"a\":{\"b\":1},\"b\":{\"a\":1}}"), "{\"a\":{\"b\":1},\"b\":{\"a\":1}}" },
        { L("{\"a\":[{\"b\":1},{\"b\":2}]}"), "{\"a\":[{\"b\":1},{\"b\":2}]}" },
    };
    char why[REQUEST_WHY_MAX];
    (void)state;
    for (size_t i = 0; i < TEST_N(ok); i++) {
        json_object *o = test_parse(ok[i].in, why, sizeof(why));
        if (!o)
            fail_msg("refused #%zu %s: %s", i, ok[i].in.s, why);
        assert_true(json_object_is_type(o, json_type_object));
        assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
                            ok[i].out);
        json_object_put(o);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts_strict_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
