/* SPDX-License-Identifier: MIT */
/* test_side.c - knotctl's sides: left and right taken from a command's words in every order a person types them, and a place said as a person says it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "../../cli/side.h"


static char why[160];

static void test_word(void **state)
{
    (void)state;
    assert_string_equal(side_word("left"), "left");
    assert_string_equal(side_word("LEFT"), "left");
    assert_string_equal(side_word("Right"), "right");
    /* Only the whole word: an area may begin with the same letters. */
    assert_null(side_word("l"));
    assert_null(side_word("lefty"));
    assert_null(side_word("middle"));
    assert_null(side_word(""));
}

/* side_args on words, each case's words after it as they are left. */
struct args_case {
    const char *words[4];
    int argc;
    const char *preset;   /* --side's, or NULL */
    const char *left[4];  /* the words left */
    int left_argc;
    const char *side;     /* the side taken, or NULL */
    bool fails;
};

static void test_args(void **state)
{
    static const struct args_case cases[] = {
        { { "left", "calf" }, 2, NULL, { "calf" }, 1, "left", false },
        { { "Right", "calves", "2" }, 3, NULL, { "calves", "2" }, 2, "right", false },
        { { "calves", "right", "2" }, 3, NULL, { "calves", "2" }, 2, "right", false },
        { { "calves", "left" }, 2, NULL, { "calves" }, 1, "left", false },
        { { "left calf", "2" }, 2, NULL, { "calf", "2" }, 2, "left", false },
        { { "left-calf" }, 1, NULL, { "calf" }, 1, "left", false },
        { { "right_calves" }, 1, NULL, { "calves" }, 1, "right", false },
        { { "calves", "2" }, 2, NULL, { "calves", "2" }, 2, NULL, false },
        { { "calves" }, 1, "left", { "calves" }, 1, "left", false },
        /* the same side twice is one side */
        { { "left", "calf" }, 2, "left", { "calf" }, 1, "left", false },
        { { "left", "calf", "left" }, 3, NULL, { "calf" }, 1, "left", false },
        /* an area that only begins like a side, or a side with nothing after it, is an area */
        { { "leftover" }, 1, NULL, { "leftover" }, 1, NULL, false },
        { { "left-" }, 1, NULL, { "left-" }, 1, NULL, false },
        { { "upper-back" }, 1, NULL, { "upper-back" }, 1, NULL, false },
        { { 0 }, 0, NULL, { 0 }, 0, NULL, false },
        /* two sides, or a side with no area */
        { { "left", "calf" }, 2, "right", { 0 }, 0, NULL, true },
        { { "left", "calf", "right" }, 3, NULL, { 0 }, 0, NULL, true },
        { { "calves", "left" }, 2, "right", { 0 }, 0, NULL, true },
        { { "left" }, 1, NULL, { 0 }, 0, NULL, true },
        { { "left", "right", "calf" }, 3, NULL, { 0 }, 0, NULL, true },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct args_case *c = &cases[i];
        char *argv[4] = { 0 };
        int argc = c->argc;
        const char *side = c->preset, *err;

        for (int k = 0; k < c->argc; k++)
            argv[k] = (char *)c->words[k];
        err = side_args(argv, &argc, &side, why, sizeof(why));
        if (c->fails) {
            assert_non_null(err);
            assert_ptr_equal(err, why);
            continue;
        }
        assert_null(err);
        assert_int_equal(argc, c->left_argc);
        for (int k = 0; k < argc; k++)
            assert_string_equal(argv[k], c->left[k]);
        if (c->side)
            assert_string_equal(side, c->side);
        else
            assert_null(side);
    }
}

static json_object *area(const char *text)
{
    json_object *a = json_tokener_parse(text);

    assert_non_null(a);
    return a;
}

static void test_one_and_place(void **state)
{
    static const struct {
        const char *area, *one, *left, *none;
    } cases[] = {
        { "{\"name\":\"calves\",\"title\":\"Calves\",\"aliases\":[\"calf\"]}", "calf", "left calf", "calves" },
        { "{\"name\":\"shoulders\",\"title\":\"Shoulders\",\"aliases\":[\"shoulder\"]}", "shoulder", "left shoulder",
          "shoulders" },
        { "{\"name\":\"quads\",\"title\":\"Quads (front of thighs)\",\"aliases\":[\"thighs\",\"quadriceps\",\"quad\"]}",
          "quad", "left quad", "quads (front of thighs)" },
        { "{\"name\":\"glutes-hips\",\"title\":\"Glutes/Hips\",\"aliases\":[\"glutes\",\"hips\",\"glute\",\"hip\"]}",
          "glute", "left glute", "glutes/hips" },
        { "{\"name\":\"hamstrings\",\"title\":\"Hamstrings\",\"aliases\":[\"hamstring\",\"back-of-thighs\"]}",
          "hamstring", "left hamstring", "hamstrings" },
        /* No alias says the one of the pair: the title and the side. */
        { "{\"name\":\"calves\",\"title\":\"Calves\"}", "", "calves (left)", "calves" },
        { "{\"name\":\"biceps\",\"title\":\"Biceps\",\"aliases\":[\"arm\"]}", "", "biceps (left)", "biceps" },
        { "{\"name\":\"upper-back\",\"title\":\"Upper Back\",\"aliases\":[]}", "", "upper back (left)", "upper back" },
    };
    char buf[96];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_object *a = area(cases[i].area);

        side_one(buf, sizeof(buf), a);
        assert_string_equal(buf, cases[i].one);
        side_place(buf, sizeof(buf), a, "left");
        assert_string_equal(buf, cases[i].left);
        side_place(buf, sizeof(buf), a, NULL);
        assert_string_equal(buf, cases[i].none);
        side_place(buf, sizeof(buf), a, "");
        assert_string_equal(buf, cases[i].none);
        json_object_put(a);
    }
    /* No area at all (knotd's list could not be had) is no crash. */
    side_place(buf, sizeof(buf), NULL, "left");
    assert_string_equal(buf, "? (left)");
    /* Cut, never past the buffer. */
    {
        json_object *a = area("{\"name\":\"calves\",\"title\":\"Calves\",\"aliases\":[\"calf\"]}");

        side_place(buf, 6, a, "right");
        assert_string_equal(buf, "right");
        json_object_put(a);
    }
}

static void test_label_has_today(void **state)
{
    json_object *paired = area("{\"name\":\"calves\",\"sides\":[\"left\",\"right\"],\"by_side\":{"
                               "\"left\":{\"closed\":\"cooldown\"},\"right\":{\"closed\":null}}}");
    json_object *single = area("{\"name\":\"upper-back\",\"sides\":[],\"today\":{\"closed\":\"dose\"}}");
    json_object *old = area("{\"name\":\"calves\",\"today\":{\"closed\":null}}");   /* a knotd of protocol 2 */
    char buf[64];

    (void)state;
    side_label(buf, sizeof(buf), "Calves", "left");
    assert_string_equal(buf, "Calves (left)");
    side_label(buf, sizeof(buf), "Upper Back", NULL);
    assert_string_equal(buf, "Upper Back");
    side_label(buf, sizeof(buf), "Upper Back", "");
    assert_string_equal(buf, "Upper Back");

    assert_true(side_has(paired));
    assert_false(side_has(single));
    assert_false(side_has(old));
    assert_false(side_has(NULL));

    assert_string_equal(json_object_get_string(json_object_object_get(side_today(paired, "left"), "closed")),
                        "cooldown");
    assert_null(json_object_object_get(side_today(paired, "right"), "closed"));
    assert_null(side_today(paired, NULL));   /* each side stands on its own: no "today" */
    assert_non_null(side_today(single, NULL));
    assert_non_null(side_today(single, "left"));   /* no by_side: the area's own */
    assert_non_null(side_today(old, "left"));
    json_object_put(paired);
    json_object_put(single);
    json_object_put(old);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_word),
        cmocka_unit_test(test_args),
        cmocka_unit_test(test_one_and_place),
        cmocka_unit_test(test_label_has_today),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
