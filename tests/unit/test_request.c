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

/* UTF-8 as RFC 3629 has it, checked here on its own terms: decode, then
 * refuse overlong forms, surrogates and anything past U+10FFFF. */
static int test_utf8_ok(const char *text)
{
    const unsigned char *p = (const unsigned char *)text;

    while (*p) {
        unsigned n = *p < 0x80 ? 0 : *p >= 0xc0 && *p < 0xe0 ? 1 : *p >= 0xe0 && *p < 0xf0 ? 2 : *p >= 0xf0 && *p < 0xf8 ? 3 : 9;
        unsigned long cp = n == 0 ? *p : n == 1 ? *p & 0x1fu : n == 2 ? *p & 0x0fu : *p & 0x07u;
        static const unsigned long least[] = { 0, 0x80, 0x800, 0x10000 };

        if (n == 9)
            return 0;
        for (unsigned i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (p[i] & 0x3fu);
        }
        if (cp < least[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        p += n + 1;
    }
    return 1;
}

/* A reason fit for a reply: non-empty, valid UTF-8, no control character. */
static void test_why_ok(const char *why)
{
    assert_true(why[0] != '\0');
    assert_true(test_utf8_ok(why));
    for (const char *p = why; *p; p++)
        assert_false((unsigned char)*p < 0x20 || *p == 0x7f);
}

struct test_bad {
    struct test_line in;
    const char *why;            /* a part of the reason it must give */
};

static unsigned test_bad_inputs;    /* how many bad inputs the tests tried, reported at the end */

/* Each is refused with a reason that says what was wrong. */
static void test_refuses(const struct test_bad *bad, size_t n)
{
    char why[REQUEST_WHY_MAX];

    for (size_t i = 0; i < n; i++) {
        json_object *o = test_parse(bad[i].in, why, sizeof(why));
        if (o)
            fail_msg("took #%zu %.*s: %s", i, (int)bad[i].in.len, bad[i].in.s,
                     json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        if (!strstr(why, bad[i].why))
            fail_msg("#%zu %.*s: reason \"%s\" does not say \"%s\"", i, (int)bad[i].in.len, bad[i].in.s, why,
                     bad[i].why);
        test_why_ok(why);
        test_bad_inputs++;
    }
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

/* What json-c 0.16's strict mode refuses by itself. */
static void test_refuses_what_json_c_strict_refuses(void **state)
{
    static const struct test_bad bad[] = {
        { L("{\"cmd\":\"version\",}"), "trailing comma at column 17 (before '}')" },
        { L("{\"id\":[1,2,]}"), "trailing comma at column 11 (before ']')" },
        { L("{\"id\":[,]}"), "unexpected ','" },
        { L("{,}"), "unexpected ','" },
        { L("{\"a\":1,,\"b\":2}"), "unexpected ','" },
        { L("{'cmd':'version'}"), "single quotes at column 2" },
        { L("{\"cmd\":'version'}"), "single quotes at column 8" },
        { L("{\"cmd\":\"version\"/* c */}"), "comment at column 17" },
        { L("{\"cmd\":\"version\"}// c"), "comment at column 18" },
        { L("{\"cmd\":\"version\"}/* c */"), "comment at column 18" },
        { L("{\"cmd\":\"version\"}# c"), "comment at column 18" },
        { L("# c\r"), "comment at column 1" },
        { L("{ // c\r\"cmd\":\"version\"}"), "comment at column 3" },
        { L("{\"id\":nan}"), "unexpected 'n'" },
        { L("{\"id\":inf}"), "unexpected 'i'" },
        { L("{\"id\":01}"), "leading zero in a number at column 7" },
        { L("{\"id\":-01}"), "leading zero" },
        { L("{\"id\":00}"), "leading zero" },
        { L("{\"id\":+1}"), "unexpected '+'" },
        { L("{\"id\":.5}"), "unexpected '.' at column 7" },
        { L("{\"id\":0x10}"), "unexpected 'x' at column 8 (',' or '}' expected)" },
        { L("{\"id\":-}"), "digit expected after '-'" },
        { L("{\"id\":--1}"), "digit expected after '-'" },
        { L("{\"id\":1e}"), "digit expected in the exponent" },
        { L("{\"id\":1e+}"), "digit expected in the exponent" },
        { L("{\"id\":1.5.5}"), "unexpected '.'" },
        { L("{\"id\":True}"), "unexpected 'T'" },
        { L("{\"id\":TRUE}"), "unexpected 'T'" },
        { L("{\"id\":nul}"), "unexpected 'n'" },
        { L("{\"id\":tru}"), "unexpected 't'" },
        { L("{\"id\":undefined}"), "unexpected 'u'" },
        { L("{cmd:\"version\"}"), "unexpected 'c' at column 2 (a member name in double quotes expected)" },
        { L("{\"cmd\" \"version\"}"), "':' after the member name expected" },
        { L("{\"cmd\"=\"version\"}"), "unexpected '='" },
        { L("{\"cmd\":\"version\" \"id\":1}"), "',' or '}' expected" },
        { L("{\"id\":[1 2]}"), "',' or ']' expected" },
        { L("{\"cmd\":\"vers\\x69on\"}"), "invalid escape '\\' then 'x' at column 14" },
        { L("{\"cmd\":\"\\'\"}"), "invalid escape" },
        { L("{\"cmd\":\"\\U0041\"}"), "invalid escape" },
        { L("{\"cmd\":\"\\u00g1\"}"), "four hex digits" },
        { L("{\"cmd\":\"\\u12\"}"), "four hex digits" },
        { L("{\"cmd\":\"version\"} {\"cmd\":\"stop\"}"), "text after the object at column 19" },
        { L("{\"cmd\":\"version\"}}"), "text after the object" },
        { L("{\"cmd\":\"version\"}x"), "text after the object" },
        { L("\xef\xbb\xbf{\"cmd\":\"version\"}"), "unexpected byte 0xef at column 1" },
        { L("\v{\"cmd\":\"version\"}"), "unexpected byte 0x0b" },
        { L("\f{\"cmd\":\"version\"}"), "unexpected byte 0x0c" },
        { L("{\"cmd\":\"version\"}\f"), "text after the object" },
        { L("{\"cmd\":\"version\""), "line ends inside the object (column 17: ',' or '}' expected)" },
        { L("{\"cmd\":\"version"), "line ends inside the string that starts at column 8" },
        { L("{\"cmd\":\"version\\"), "line ends inside the string" },
        { L("{\"cmd\":\"version\\\""), "line ends inside the string" },
        { L("{\"cmd\":"), "line ends inside the object" },
        { L("{\"cmd\""), "line ends inside the object" },
        { L("{"), "line ends inside the object" },
        { L("{\"id\":[1,"), "line ends inside the object" },
        { L("{\"id\":" "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[" "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]" "}"),
          "nested deeper than 32 levels (column 38)" },
        { L("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["), "nested deeper" },
        { L(""), "empty request" },
        { L(" \t\r "), "empty request" },
    };
    (void)state;
    test_refuses(bad, TEST_N(bad));
}

/* What json-c 0.16's strict mode lets through, and knotd refuses. */
static void test_refuses_what_json_c_strict_lets_through(void **state)
{
    static const struct test_bad bad[] = {
        { L("{\"cmd\":\"version\",\"id\":NaN}"), "NaN at column 23" },
        { L("{\"cmd\":\"version\",\"id\":Infinity}"), "Infinity at column 23" },
        { L("{\"cmd\":\"version\",\"id\":-Infinity}"), "Infinity at column 23" },
        { L("{\"id\":[NaN]}"), "NaN" },
        { L("NaN"), "NaN" },
        { L("{\"id\":1.}"), "digit expected after '.' at column 9" },
        { L("{\"id\":-1.e5}"), "digit expected after '.'" },
        { L("[{\"cmd\":\"version\"}]"), "a request is a JSON object, not an array" },
        { L("[]"), "not an array" },
        { L("\"version\""), "not a string" },
        { L("5"), "not a number" },
        { L("-1.5e3"), "not a number" },
        { L("true"), "not a boolean" },
        { L("false"), "not a boolean" },
        { L("null"), "not null" },
        { L("{\"cmd\":\"ver\tsion\"}"), "control character 0x09 in a string at column 12" },
        { L("{\"cmd\":\"version\",\"id\":\"a\x01\"}"), "control character 0x01" },
        { L("{\"cmd\":\"version\",\"id\":\"a\x1f\"}"), "control character 0x1f" },
        { L("{\"cmd\":\"version\",\"id\":\"\x1b[2J\"}"), "control character 0x1b" },
        { L("{\"cmd\":\"version\",\"id\":\"a\rb\"}"), "control character 0x0d" },
        { L("{\"cmd\":\"version\",\"id\":\"a\nb\"}"), "control character 0x0a" },
        { L("{\"c\tmd\":\"version\"}"), "control character 0x09" },
        { L("{\"cmd\":\"ver\0sion\"}"), "control character 0x00" },
        { L("{\"cmd\":\"version\"}\0"), "text after the object" },
        { L("\0{\"cmd\":\"version\"}"), "unexpected byte 0x00 at column 1" },
        { L("{\"cmd\":\"version\"\0}"), "unexpected byte 0x00" },
    };
    (void)state;
    test_refuses(bad, TEST_N(bad));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts_strict_json),
        cmocka_unit_test(test_refuses_what_json_c_strict_refuses),
        cmocka_unit_test(test_refuses_what_json_c_strict_lets_through),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);

    /* A comment line TAP ignores: the count of bad inputs tried, for the record. */
    printf("# %u bad inputs tried\n", test_bad_inputs);
    return failed;
}
