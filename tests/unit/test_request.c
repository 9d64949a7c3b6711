/* SPDX-License-Identifier: MIT */
/* test_request.c - control request lines as pure logic: what the strict parser takes, and what it refuses and why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "knot/control.h"
#include "request.h"
#include "utf8.h"


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
        /* However small the buffer, the reason is cut at a character and fits. */
        for (size_t len = 1; len < 48; len += 5) {
            char small[48];
            memset(small, 'Z', sizeof(small));
            assert_null(request_parse(bad[i].in.s, bad[i].in.len, small, len));
            assert_true(strlen(small) < len && test_utf8_ok(small));
            assert_int_equal(small[len], 'Z');
        }
        assert_null(request_parse(bad[i].in.s, bad[i].in.len, NULL, 0));
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
        /* 32 levels: the most both parsers take */
        { L("{\"id\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}"),
          "{\"id\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}" },
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

/* json-c keeps the last of two members with one name; knotd refuses the request. */
static void test_refuses_duplicate_members(void **state)
{
    static const struct test_bad bad[] = {
        { L("{\"cmd\":\"status\",\"cmd\":\"version\"}"), "duplicate member 'cmd' at column 17" },
        { L("{\"cmd\":\"version\",\"cmd\":\"version\"}"), "duplicate member 'cmd'" },
        { L("{\"cmd\":\"status\",\"c\\u006dd\":\"version\"}"), "duplicate member 'cmd'" },
        { L("{\"cmd\":\"status\",\"\\u0063\\u006D\\u0064\":\"version\"}"), "duplicate member 'cmd'" },
        { L("{\"a\":1,\"b\":2,\"a\":3}"), "duplicate member 'a' at column 14" },
        { L("{\"id\":{\"x\":1,\"x\":2},\"cmd\":\"version\"}"), "duplicate member 'x' at column 14" },
        { L("{\"id\":[{\"x\":1},{\"x\":1,\"x\":2}]}"), "duplicate member 'x'" },
        { L("{\"id\":{\"a\":{\"b\":1}},\"id\":2}"), "duplicate member 'id'" },
        { L("{\"\":1,\"\":2}"), "duplicate member ''" },
        { L("{\"\\u00e9\":1,\"\xc3\xa9\":2}"), "duplicate member '\xc3\xa9'" },
        { L("{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x80\":2}"), "duplicate member '\xf0\x9f\x98\x80'" },
        { L("{\"a\\/b\":1,\"a/b\":2}"), "duplicate member 'a/b'" },
        { L("{\"\\u0001\":1,\"\\u0001\":2}"), "duplicate member '\\x01'" },
        { L("{\"a\\\\b\":1,\"a\\\\b\":2}"), "duplicate member 'a\\\\b'" },
        { L("{\"a\\nb\":1,\"a\\u000ab\":2}"), "duplicate member 'a\\x0ab'" },
        { L("{\"level\":1,\"area\":\"calves\",\"cmd\":\"start\",\"level\":3}"), "duplicate member 'level'" },
        { L("{\"0123456789012345678901234567890123456789ABCDEF\":1,"
            "\"0123456789012345678901234567890123456789ABCDEF\":2}"),
          "duplicate member '0123456789012345678901234567890123456789...'" },
    };
    (void)state;
    test_refuses(bad, TEST_N(bad));
}

/* "\u0000" is JSON, but knotd's names are C strings: json-c would cut a
 * member name there, and a value is cut by whoever reads it as one. */
static void test_refuses_nul_characters(void **state)
{
    static const struct test_bad bad[] = {
        { L("{\"cmd\":\"version\\u0000junk\"}"), "U+0000 (\\u0000) at column 16" },
        { L("{\"cmd\\u0000x\":\"version\"}"), "U+0000 (\\u0000) at column 6" },
        { L("{\"cmd\":\"start\",\"area\":\"calves\\u0000neck\"}"), "U+0000" },
        { L("{\"cmd\":\"version\",\"id\":\"\\u0000\"}"), "U+0000" },
        { L("{\"cmd\":\"version\",\"id\":[\"a\\u0000\"]}"), "U+0000" },
        { L("{\"cmd\":\"version\",\"\\u0000\":1}"), "U+0000" },
        { L("{\"cmd\":\"stop\",\"device\":\"KNOTSIM1\\u0000\"}"), "U+0000" },
        { L("{\"cmd\":\"version\",\"id\":\"\\\\u0000 is text\"}\0"), "text after the object" },
        { L("{\"cmd\":\"ver\0sion\"}"), "control character 0x00" },
    };
    (void)state;
    test_refuses(bad, TEST_N(bad));
}

/* json-c clamps integers beyond 64 bits (or keeps them as unsigned, which
 * knotd does not read) and makes a double out of range infinite: refused. */
static void test_refuses_numbers_out_of_range(void **state)
{
    static char zeros[2][600];
    struct test_bad bad[] = {
        { L("{\"cmd\":\"start\",\"area\":\"calves\",\"level\":9223372036854775808}"), "integer at column 40 is beyond 64 bits" },
        { L("{\"cmd\":\"start\",\"area\":\"calves\",\"level\":-9223372036854775809}"), "beyond 64 bits" },
        { L("{\"cmd\":\"start\",\"area\":\"calves\",\"level\":99999999999999999999}"), "beyond 64 bits" },
        { L("{\"id\":18446744073709551615}"), "beyond 64 bits" },
        { L("{\"id\":18446744073709551616}"), "beyond 64 bits" },
        { L("{\"id\":-18446744073709551616}"), "beyond 64 bits" },
        { L("{\"id\":10000000000000000000}"), "beyond 64 bits" },
        { L("{\"id\":[1,2,9300000000000000000]}"), "integer at column 12 is beyond 64 bits" },
        { L("{\"id\":1e309}"), "number at column 7 is too large" },
        { L("{\"id\":-1e309}"), "too large" },
        { L("{\"id\":1e400}"), "too large" },
        { L("{\"id\":123456789e301}"), "too large" },
        { L("{\"id\":1.7976931348623159e308}"), "too large" },
        { L("{\"id\":1E99999999999999999999}"), "too large" },
        { { zeros[0], 0 }, "beyond 64 bits" },
        { { zeros[1], 0 }, "too large" },
    };
    size_t n;
    (void)state;
    n = (size_t)sprintf(zeros[0], "{\"id\":1");
    memset(zeros[0] + n, '0', 400);
    bad[14].in.len = n + 400 + (size_t)sprintf(zeros[0] + n + 400, "}");
    n = (size_t)sprintf(zeros[1], "{\"id\":1");
    memset(zeros[1] + n, '0', 400);
    bad[15].in.len = n + 400 + (size_t)sprintf(zeros[1] + n + 400, ".5}");
    test_refuses(bad, TEST_N(bad));
}

/* The edges that are in range are taken, and json-c holds them exactly. */
static void test_numbers_in_range(void **state)
{
    char why[REQUEST_WHY_MAX];
    json_object *o, *v;
    static const char line[] = "{\"a\":9223372036854775807,\"b\":-9223372036854775808,\"c\":-0,"
                               "\"d\":1.7976931348623157e308,\"e\":4.9e-324,\"f\":1e-400,"
                               "\"g\":0.000000000000000000000000000001}";
    (void)state;
    o = request_parse(line, sizeof(line) - 1, why, sizeof(why));
    if (!o)
        fail_msg("refused: %s", why);
    assert_true(json_object_object_get_ex(o, "a", &v) && json_object_is_type(v, json_type_int));
    assert_true(json_object_get_int64(v) == INT64_MAX);
    assert_true(json_object_object_get_ex(o, "b", &v) && json_object_get_int64(v) == INT64_MIN);
    assert_true(json_object_object_get_ex(o, "c", &v) && json_object_get_int64(v) == 0);
    assert_true(json_object_object_get_ex(o, "d", &v) && json_object_get_double(v) == 1.7976931348623157e308);
    assert_true(json_object_object_get_ex(o, "f", &v) && json_object_get_double(v) == 0.0);
    json_object_put(o);
}

/* RFC 8259 text is UTF-8. json-c, even with JSON_TOKENER_VALIDATE_UTF8,
 * takes overlong forms and encoded surrogates, and makes an unpaired
 * surrogate escape U+FFFD: knotd refuses them all, and names the byte. */
static void test_refuses_what_is_not_utf8(void **state)
{
    static const struct test_bad bad[] = {
        { L("{\"cmd\":\"\xff\"}"), "not UTF-8: byte 0xff at column 9" },
        { L("{\"cmd\":\"\xfe\"}"), "byte 0xfe" },
        { L("{\"cmd\":\"calves\xc3\"}"), "not UTF-8: byte 0xc3 at column 15" },
        { L("{\"cmd\":\"\xc3(\"}"), "byte 0xc3" },
        { L("{\"cmd\":\"\x80\"}"), "byte 0x80" },
        { L("{\"cmd\":\"\xbf\xbf\"}"), "byte 0xbf" },
        { L("{\"cmd\":\"\xc0\xaf\"}"), "byte 0xc0" },
        { L("{\"cmd\":\"\xc1\xbf\"}"), "byte 0xc1" },
        { L("{\"cmd\":\"\xe0\x80\xaf\"}"), "byte 0xe0" },
        { L("{\"cmd\":\"\xe0\x9f\xbf\"}"), "byte 0xe0" },
        { L("{\"cmd\":\"\xf0\x80\x80\xaf\"}"), "byte 0xf0" },
        { L("{\"cmd\":\"\xf0\x8f\xbf\xbf\"}"), "byte 0xf0" },
        { L("{\"cmd\":\"\xed\xa0\x80\"}"), "byte 0xed" },
        { L("{\"cmd\":\"\xed\xbf\xbf\"}"), "byte 0xed" },
        { L("{\"cmd\":\"\xf4\x90\x80\x80\"}"), "byte 0xf4" },
        { L("{\"cmd\":\"\xf5\x80\x80\x80\"}"), "byte 0xf5" },
        { L("{\"cmd\":\"\xf8\x88\x80\x80\x80\"}"), "byte 0xf8" },
        { L("{\"cmd\":\"\xe2\x82\"}"), "byte 0xe2" },
        { L("{\"cmd\":\"\xe2\x82"), "byte 0xe2" },
        { L("{\"cmd\":\"ok\",\"\xe9t\xe9\":1}"), "not UTF-8: byte 0xe9 at column 14" },
        { L("{\"cmd\":\"version\"}\xff"), "text after the object" },
        { L("{\xff}"), "unexpected byte 0xff at column 2" },
        { L("{\"cmd\":\"start\",\"area\":\"\\ud800\"}"), "unpaired surrogate \\ud800 at column 24" },
        { L("{\"cmd\":\"start\",\"area\":\"\\uDBFF\"}"), "unpaired surrogate \\udbff" },
        { L("{\"cmd\":\"start\",\"area\":\"\\udc00calves\"}"), "unpaired surrogate \\udc00" },
        { L("{\"cmd\":\"start\",\"area\":\"\\ud800\\u0041\"}"), "unpaired surrogate \\ud800" },
        { L("{\"cmd\":\"start\",\"area\":\"\\ud800x\"}"), "unpaired surrogate \\ud800" },
        { L("{\"cmd\":\"start\",\"area\":\"\\ud800\\ud800\"}"), "unpaired surrogate \\ud800" },
        { L("{\"cmd\":\"start\",\"area\":\"\\udc00\\ud800\"}"), "unpaired surrogate \\udc00" },
        { L("{\"cmd\":\"start\",\"area\":\"\\ud83d\\ude00\\ude00\"}"), "unpaired surrogate \\ude00 at column 36" },
        { L("{\"\\udfff\":1}"), "unpaired surrogate \\udfff" },
    };
    (void)state;
    test_refuses(bad, TEST_N(bad));
}

/* A line of up to KNOT_CONTROL_LINE_MAX bytes is read; a longer one (ctl.c
 * closes the connection before, a fuzzer may not) is refused, as is none. */
static void test_line_length(void **state)
{
    static char line[KNOT_CONTROL_LINE_MAX + 2];
    char why[REQUEST_WHY_MAX];
    json_object *o;
    (void)state;
    memset(line, ' ', sizeof(line));
    memcpy(line, "{\"cmd\":\"version\"}", 17);
    o = request_parse(line, KNOT_CONTROL_LINE_MAX, why, sizeof(why));
    if (!o)
        fail_msg("refused %d bytes: %s", KNOT_CONTROL_LINE_MAX, why);
    json_object_put(o);
    assert_null(request_parse(line, KNOT_CONTROL_LINE_MAX + 1, why, sizeof(why)));
    assert_string_equal(why, "request longer than 4096 bytes");
    assert_null(request_parse(NULL, 0, why, sizeof(why)));
    assert_string_equal(why, "no request");
    test_bad_inputs += 2;
}

/* A line of members "0", "1", ... "N" (hex) as long as a line may be, the
 * last one named "0" again when dup is set. */
static size_t test_members_line(char *line, bool dup, size_t *members)
{
    size_t n = 0;

    *members = 0;
    n += (size_t)sprintf(line + n, "{");
    while (n < KNOT_CONTROL_LINE_MAX - 16)
        n += (size_t)sprintf(line + n, "%s\"%zx\":0", *members ? "," : "", *members), (*members)++;
    if (dup)
        n += (size_t)sprintf(line + n, ",\"0\":1");
    n += (size_t)sprintf(line + n, "}");
    return n;
}

/* As many members as a line can hold: all different, taken; one name twice, refused. */
static void test_many_members(void **state)
{
    static char line[KNOT_CONTROL_LINE_MAX + 1];
    char why[REQUEST_WHY_MAX];
    json_object *o;
    size_t members, n = test_members_line(line, false, &members);
    (void)state;
    o = request_parse(line, n, why, sizeof(why));
    if (!o)
        fail_msg("refused %zu members: %s", members, why);
    assert_int_equal(json_object_object_length(o), members);
    json_object_put(o);
    n = test_members_line(line, true, &members);
    assert_true(n <= KNOT_CONTROL_LINE_MAX);
    o = request_parse(line, n, why, sizeof(why));
    if (o)
        fail_msg("took a line with member \"0\" twice");
    assert_non_null(strstr(why, "duplicate member '0'"));
    test_bad_inputs++;
}

/* A request with one member key of value v (taken), for the member readers. */
static json_object *test_with(const char *key, json_object *v)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, key, v);
    return o;
}

static void test_string_wrong(json_object *req, const char *key, const char *want)
{
    char why[REQUEST_WHY_MAX] = "";
    const char *out = "untouched";

    assert_int_equal(request_string(req, key, &out, why, sizeof(why)), REQUEST_WRONG);
    assert_null(out);
    if (!strstr(why, want))
        fail_msg("reason \"%s\" does not say \"%s\"", why, want);
    test_why_ok(why);
    json_object_put(req);
    test_bad_inputs++;
}

/* A string member is absent, present, or wrong: null is a value, not an absence. */
static void test_string_members(void **state)
{
    char why[REQUEST_WHY_MAX];
    const char *out;
    json_object *req;
    (void)state;
    req = test_with("area", json_object_new_string("calves"));
    assert_int_equal(request_string(req, "device", &out, why, sizeof(why)), REQUEST_ABSENT);
    assert_null(out);
    assert_int_equal(request_string(req, "area", &out, why, sizeof(why)), REQUEST_PRESENT);
    assert_string_equal(out, "calves");
    json_object_put(req);
    req = test_with("area", json_object_new_string("caf\xc3\xa9 \xf0\x9f\x98\x80 \xc2\xa0"));
    assert_int_equal(request_string(req, "area", &out, why, sizeof(why)), REQUEST_PRESENT);
    json_object_put(req);
    req = test_with("area", json_object_new_string(""));
    assert_int_equal(request_string(req, "area", &out, why, sizeof(why)), REQUEST_PRESENT);
    assert_string_equal(out, "");
    json_object_put(req);

    test_string_wrong(test_with("device", NULL), "device", "'device' must be a string, not null");
    test_string_wrong(test_with("device", json_object_new_int(5)), "device", "'device' must be a string, not an integer");
    test_string_wrong(test_with("device", json_object_new_double(1.5)), "device", "not a number with a fraction");
    test_string_wrong(test_with("device", json_object_new_boolean(1)), "device", "not a boolean");
    test_string_wrong(test_with("device", json_object_new_object()), "device", "not an object");
    test_string_wrong(test_with("device", json_object_new_array()), "device", "not an array");
    /* What json_object_get_string would cut short: refused, never truncated. */
    test_string_wrong(test_with("area", json_object_new_string_len("calves\0neck", 11)), "area",
                      "'area' holds a NUL character (U+0000) after 6 bytes");
    test_string_wrong(test_with("area", json_object_new_string_len("\0", 1)), "area", "NUL character");
    test_string_wrong(test_with("area", json_object_new_string("calves\xff")), "area", "'area' is not UTF-8 (byte 0xff");
    test_string_wrong(test_with("area", json_object_new_string("\xed\xa0\x80")), "area", "not UTF-8");
    /* Names never hold a control character; a message would have to show it. */
    test_string_wrong(test_with("area", json_object_new_string("cal\x01ves")), "area",
                      "'area' holds the control character U+0001");
    test_string_wrong(test_with("cmd", json_object_new_string("stop\n")), "cmd", "control character U+000A");
    test_string_wrong(test_with("cmd", json_object_new_string("versio\x7f")), "cmd", "control character U+007F");
    test_string_wrong(test_with("cmd", json_object_new_string("\xc2\x85")), "cmd", "control character U+0085");
    test_string_wrong(test_with("cmd", json_object_new_string("\xc2\x9f")), "cmd", "control character U+009F");
    /* Through the parser, as a client sends them. */
    req = test_parse((struct test_line)L("{\"cmd\":\"start\",\"area\":null}"), why, sizeof(why));
    assert_non_null(req);
    test_string_wrong(req, "area", "'area' must be a string, not null");
    req = test_parse((struct test_line)L("{\"cmd\":\"start\",\"area\":\"a\\u0001\"}"), why, sizeof(why));
    assert_non_null(req);
    test_string_wrong(req, "area", "control character U+0001");
}

static void test_int_wrong(json_object *req, const char *key, const char *want)
{
    char why[REQUEST_WHY_MAX] = "";
    int64_t out = 7;

    assert_int_equal(request_int(req, key, &out, why, sizeof(why)), REQUEST_WRONG);
    assert_true(out == 0);
    if (!strstr(why, want))
        fail_msg("reason \"%s\" does not say \"%s\"", why, want);
    test_why_ok(why);
    json_object_put(req);
    test_bad_inputs++;
}

static void test_int_members(void **state)
{
    char why[REQUEST_WHY_MAX];
    int64_t out;
    json_object *req;
    (void)state;
    req = test_with("level", json_object_new_int(2));
    assert_int_equal(request_int(req, "id", &out, why, sizeof(why)), REQUEST_ABSENT);
    assert_true(out == 0);
    assert_int_equal(request_int(req, "level", &out, why, sizeof(why)), REQUEST_PRESENT);
    assert_true(out == 2);
    json_object_put(req);
    req = test_with("level", json_object_new_int64(INT64_MIN));
    assert_int_equal(request_int(req, "level", &out, why, sizeof(why)), REQUEST_PRESENT);
    assert_true(out == INT64_MIN);
    json_object_put(req);
    req = test_with("level", json_object_new_int64(INT64_MAX));
    assert_int_equal(request_int(req, "level", &out, why, sizeof(why)), REQUEST_PRESENT);
    assert_true(out == INT64_MAX);
    json_object_put(req);
    test_int_wrong(test_with("level", NULL), "level", "'level' must be an integer, not null");
    test_int_wrong(test_with("level", json_object_new_double(2.0)), "level", "not a number with a fraction");
    test_int_wrong(test_with("level", json_object_new_string("2")), "level", "not a string");
    test_int_wrong(test_with("level", json_object_new_boolean(0)), "level", "not a boolean");
    /* json-c holds integers up to 2^64 - 1 as unsigned; json_object_get_int64 would say INT64_MAX. */
    test_int_wrong(test_with("level", json_object_new_uint64((uint64_t)INT64_MAX + 1)), "level",
                   "'level' is beyond 64 bits");
    test_int_wrong(test_with("level", json_object_new_uint64(UINT64_MAX)), "level", "beyond 64 bits");
}

static const char *test_quote(const char *s, size_t len, size_t max_chars)
{
    static char buf[REQUEST_QUOTE_MAX];

    request_quote(buf, sizeof(buf), s, len, max_chars);
    assert_true(test_utf8_ok(buf));
    return buf;
}
#define Q(lit, max) test_quote((lit), sizeof(lit) - 1, (max))

/* Client text in a message: whole characters, visible escapes, never raw bytes. */
static void test_quote_client_text(void **state)
{
    char want[256];
    (void)state;
    assert_string_equal(Q("calves", 40), "calves");
    assert_string_equal(Q("", 40), "");
    assert_string_equal(Q("calves", 6), "calves");
    assert_string_equal(Q("calves", 5), "calve...");
    assert_string_equal(Q("calves", 0), "...");
    /* Cut at characters, not bytes: 'a' then 2-, 3- and 4-byte characters. */
    strcpy(want, "a");
    for (int i = 0; i < 39; i++)
        strcat(want, "\xc3\xa4");
    strcat(want, "...");
    assert_string_equal(Q("a\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4"
                          "\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4"
                          "\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4"
                          "\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4", 40), want);
    assert_string_equal(Q("\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac", 2), "\xe2\x82\xac\xe2\x82\xac...");
    assert_string_equal(Q("S\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 2), "S\xf0\x9f\x98\x80...");
    assert_string_equal(Q("caf\xc3\xa9 \xf4\x8f\xbf\xbf", 40), "caf\xc3\xa9 \xf4\x8f\xbf\xbf");
    /* Bytes that are not UTF-8 show as \xNN, each one character. */
    assert_string_equal(Q("a\xff" "b", 40), "a\\xffb");
    assert_string_equal(Q("calves\xc3", 40), "calves\\xc3");
    assert_string_equal(Q("\xc3(", 40), "\\xc3(");
    assert_string_equal(Q("\xc0\xaf", 40), "\\xc0\\xaf");
    assert_string_equal(Q("\xe0\x80\xaf", 40), "\\xe0\\x80\\xaf");
    assert_string_equal(Q("\xed\xa0\x80", 40), "\\xed\\xa0\\x80");
    assert_string_equal(Q("\xf4\x90\x80\x80", 40), "\\xf4\\x90\\x80\\x80");
    assert_string_equal(Q("\xf8\x88\x80\x80\x80", 2), "\\xf8\\x88...");
    assert_string_equal(Q("\x80\xbf", 40), "\\x80\\xbf");
    assert_string_equal(Q("\xe2\x82", 40), "\\xe2\\x82");
    /* Control characters show escaped; a backslash is doubled, so no escape can be faked. */
    assert_string_equal(Q("a\nb\tc\x1b[2J", 40), "a\\x0ab\\x09c\\x1b[2J");
    assert_string_equal(Q("a\0b", 40), "a\\x00b");
    assert_string_equal(Q("\x7f", 40), "\\x7f");
    assert_string_equal(Q("\xc2\x85\xc2\x9f\xc2\xa0", 40), "\\u0085\\u009f\xc2\xa0");
    assert_string_equal(Q("back\\slash \\xff", 40), "back\\\\slash \\\\xff");
    assert_string_equal(Q("\xff\xff\xff", 2), "\\xff\\xff...");
    request_quote(want, sizeof(want), NULL, 5, 40);
    assert_string_equal(want, "");
}

/* Whatever the buffer, the quote fits, ends in a whole character and is valid UTF-8. */
static void test_quote_small_buffers(void **state)
{
    static const struct test_line texts[] = {
        L("a\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4"), L("\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"),
        L("\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"), L("\xff\xfe\xfd\xfc\xfb"), L("\x01\x02\xc2\x85\\\\"),
        L("plain ascii text"),
    };
    char buf[64];
    (void)state;
    for (size_t t = 0; t < TEST_N(texts); t++) {
        for (size_t len = 1; len <= sizeof(buf); len++) {
            memset(buf, 'Z', sizeof(buf));
            request_quote(buf, len, texts[t].s, texts[t].len, 40);
            assert_true(strlen(buf) < len);
            assert_true(test_utf8_ok(buf));
            for (size_t i = len; i < sizeof(buf); i++)
                assert_int_equal(buf[i], 'Z');
        }
    }
    /* A zero-length buffer is not written at all. */
    buf[0] = 'Z';
    request_quote(buf, 0, "x", 1, 40);
    assert_int_equal(buf[0], 'Z');
}

static const char *test_scrub(const char *s)
{
    static char buf[64];

    snprintf(buf, sizeof(buf), "%s", s);
    utf8_scrub(buf);
    assert_true(test_utf8_ok(buf));
    return buf;
}

/* A message cut by a bounded print loses the cut character; a stray byte becomes '?'. */
static void test_utf8_scrub(void **state)
{
    char buf[8];
    const char *euro = "\xe2\x82\xac";
    (void)state;
    assert_string_equal(test_scrub("calves"), "calves");
    assert_string_equal(test_scrub("caf\xc3\xa9 \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xf0\x9f\x98\x80");
    assert_string_equal(test_scrub("ab\xc3"), "ab");
    assert_string_equal(test_scrub("ab\xe2\x82"), "ab");
    assert_string_equal(test_scrub("ab\xf0\x9f\x98"), "ab");
    assert_string_equal(test_scrub("a\xff" "b"), "a?b");
    assert_string_equal(test_scrub("a\xc3x"), "a?x");
    assert_string_equal(test_scrub("\xed\xa0\x80"), "???");
    assert_string_equal(test_scrub("\xc0\xaf."), "??" ".");
    assert_string_equal(test_scrub("x\xe0\x80"), "x??");
    assert_string_equal(test_scrub("x\xf4\x90"), "x??");
    /* What snprintf leaves of "aaaaa" and a 3-byte character in 8 bytes. */
    memcpy(buf, "aaaaa", 5);
    memcpy(buf + 5, euro, 2);
    buf[7] = '\0';
    utf8_scrub(buf);
    assert_string_equal(buf, "aaaaa");
}

static void test_utf8_valid(void **state)
{
    static const struct test_line good[] = {
        L(""), L("ascii"), L("\xc2\x80"), L("\xdf\xbf"), L("\xe0\xa0\x80"), L("\xed\x9f\xbf"), L("\xee\x80\x80"),
        L("\xef\xbf\xbf"), L("\xf0\x90\x80\x80"), L("\xf4\x8f\xbf\xbf"), L("a\0b"),
    };
    static const struct test_line bad[] = {
        L("\x80"), L("\xbf"), L("\xc0\x80"), L("\xc1\xbf"), L("\xc2"), L("\xc2\x7f"), L("\xc2\xc0"), L("\xe0\x9f\xbf"),
        L("\xe0\xa0"), L("\xed\xa0\x80"), L("\xed\xbf\xbf"), L("\xf0\x8f\xbf\xbf"), L("\xf4\x90\x80\x80"),
        L("\xf5\x80\x80\x80"), L("\xf8\x88\x80\x80\x80"), L("\xfe"), L("\xff"), L("ok\xf0\x9f\x98"),
    };
    (void)state;
    for (size_t i = 0; i < TEST_N(good); i++)
        assert_true(utf8_valid(good[i].s, good[i].len));
    for (size_t i = 0; i < TEST_N(bad); i++)
        if (utf8_valid(bad[i].s, bad[i].len))
            fail_msg("#%zu taken as UTF-8", i);
    assert_int_equal(utf8_span("abc", 3), 3);
    assert_int_equal(utf8_span("ab\xff" "c", 4), 2);
    assert_int_equal(utf8_span("\xc3\xa9\xc3", 3), 2);
    assert_int_equal(utf8_span("\xed\xa0\x80", 3), 0);
    assert_int_equal(utf8_span("", 0), 0);
}

static uint64_t test_rng = 0x9e3779b97f4a7c15u;

static unsigned test_rand(unsigned n)
{
    /* xorshift64: the same sequence on every run, so a failure replays. */
    test_rng ^= test_rng << 13;
    test_rng ^= test_rng >> 7;
    test_rng ^= test_rng << 17;
    return (unsigned)(test_rng % n);
}

/* Random edits of good and bad lines: whatever comes, a reason fit for a
 * reply, or an object whose serialization (what knotd echoes as an id) is
 * itself taken, unchanged; and json-c never refuses what the walk took. */
static void test_random_lines(void **state)
{
    static const char *seeds[] = {
        "{\"cmd\":\"start\",\"area\":\"calves\",\"level\":2,\"device\":\"KNOTSIM1\",\"id\":[1,-2.5e3,\"x\",null]}",
        "{\"cmd\":\"version\",\"id\":{\"a\":\"caf\\u00e9 \\ud83d\\ude00\",\"b\":[true,false,{}],\"\xc3\xa9\":0}}",
        "{\"id\":9223372036854775807,\"x\":-0.0,\"y\":1e308,\"z\":\"\\\\\\\"\\/\\b\\f\\n\\r\\t\\u001f\"}",
    };
    static const char bytes[] = "{}[]\",:\\ 0123456789eE.-+tfnulx'/#*\x7f\x80\xbf\xc3\xa9\xed\xa0\xf0\x9f\xf4\x90\xff\t\r\n";
    char line[512], why[REQUEST_WHY_MAX], why2[REQUEST_WHY_MAX];
    unsigned taken = 0, refused = 0;
    (void)state;
    for (unsigned iter = 0; iter < 20000; iter++) {
        const char *seed = seeds[test_rand(TEST_N(seeds))];
        size_t len = strlen(seed), edits = 1 + test_rand(4);
        json_object *o, *again;

        memcpy(line, seed, len);
        for (size_t e = 0; e < edits && len > 0; e++) {
            size_t at = test_rand((unsigned)len);
            char b = bytes[test_rand(sizeof(bytes) - 1)];
            switch (test_rand(4)) {
            case 0:
                line[at] = b;
                break;
            case 1:
                if (len + 1 < sizeof(line)) {
                    memmove(line + at + 1, line + at, len - at);
                    line[at] = b;
                    len++;
                }
                break;
            case 2:
                memmove(line + at, line + at + 1, len - at - 1);
                len--;
                break;
            default:
                line[at] = (char)test_rand(256);
                break;
            }
        }
        o = request_parse(line, len, why, sizeof(why));
        if (!o) {
            test_why_ok(why);
            if (strstr(why, "json-c refused"))
                fail_msg("the two parsers disagree on %.*s: %s", (int)len, line, why);
            refused++;
            continue;
        }
        taken++;
        {
            const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
            again = request_parse(text, strlen(text), why2, sizeof(why2));
            if (!again)
                fail_msg("took %.*s but not its own serialization %s: %s", (int)len, line, text, why2);
            assert_string_equal(json_object_to_json_string_ext(again, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
                                json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
            json_object_put(again);
        }
        json_object_put(o);
    }
    /* Both sides were reached: the edits are neither all fatal nor all harmless. */
    assert_true(taken > 1000 && refused > 1000);
    printf("# random edits: %u taken, %u refused\n", taken, refused);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts_strict_json),
        cmocka_unit_test(test_refuses_what_json_c_strict_refuses),
        cmocka_unit_test(test_refuses_what_json_c_strict_lets_through),
        cmocka_unit_test(test_line_length),
        cmocka_unit_test(test_refuses_duplicate_members),
        cmocka_unit_test(test_many_members),
        cmocka_unit_test(test_refuses_nul_characters),
        cmocka_unit_test(test_refuses_numbers_out_of_range),
        cmocka_unit_test(test_numbers_in_range),
        cmocka_unit_test(test_refuses_what_is_not_utf8),
        cmocka_unit_test(test_string_members),
        cmocka_unit_test(test_int_members),
        cmocka_unit_test(test_quote_client_text),
        cmocka_unit_test(test_quote_small_buffers),
        cmocka_unit_test(test_utf8_scrub),
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_random_lines),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);

    /* A comment line TAP ignores: the count of bad inputs tried, for the record. */
    printf("# %u bad inputs tried by hand (random edits apart)\n", test_bad_inputs);
    return failed;
}
