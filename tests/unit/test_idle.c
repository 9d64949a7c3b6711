/* SPDX-License-Identifier: MIT */
/* test_idle.c - when knotd exits because nothing needs it: the idle spell, what ends it, the limit, 0 = never. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "idle.h"

static const struct idle_hold test_nothing = { 0 };

static void test_exits_after_the_whole_limit(void **state)
{
    struct idle i;
    (void)state;
    idle_init(&i, 60);
    assert_false(idle_due(&i, &test_nothing, 1000));           /* the spell begins */
    assert_false(idle_due(&i, &test_nothing, 1000 + 59999));
    assert_true(idle_due(&i, &test_nothing, 1000 + 60000));
    assert_true(idle_due(&i, &test_nothing, 1000 + 90000));    /* and stays due */
}

static void test_the_spell_begins_at_the_first_look(void **state)
{
    struct idle i;
    (void)state;
    /* A knotd that started long after the clock's zero is not due at once. */
    idle_init(&i, 5);
    assert_false(idle_due(&i, &test_nothing, 10u * 3600u * 1000u));
    assert_false(idle_due(&i, &test_nothing, 10u * 3600u * 1000u + 4999));
    assert_true(idle_due(&i, &test_nothing, 10u * 3600u * 1000u + 5000));
}

static void test_anything_held_starts_anew(void **state)
{
    const struct idle_hold massager = { .massagers = 1 }, client = { .clients = 1 }, pending = { .pending = true };
    const struct idle_hold *holds[] = { &massager, &client, &pending };
    (void)state;
    for (size_t k = 0; k < sizeof(holds) / sizeof(holds[0]); k++) {
        struct idle i;

        idle_init(&i, 10);
        assert_false(idle_due(&i, &test_nothing, 0));
        assert_false(idle_due(&i, &test_nothing, 9000));
        assert_false(idle_due(&i, holds[k], 9500));            /* held: never due */
        assert_false(idle_due(&i, holds[k], 60000));
        /* Let go at 60 s: ten more seconds from the first look after it. */
        assert_false(idle_due(&i, &test_nothing, 61000));
        assert_false(idle_due(&i, &test_nothing, 70999));
        assert_true(idle_due(&i, &test_nothing, 71000));
    }
}

static void test_zero_is_never(void **state)
{
    struct idle i;
    (void)state;
    idle_init(&i, 0);
    assert_false(idle_due(&i, &test_nothing, 0));
    assert_false(idle_due(&i, &test_nothing, UINT64_MAX / 2));
}

static void test_a_new_limit_counts_the_spell_so_far(void **state)
{
    struct idle i;
    (void)state;
    idle_init(&i, 0);
    assert_false(idle_due(&i, &test_nothing, 1000));
    assert_false(idle_due(&i, &test_nothing, 30000));
    /* Reloaded with 20 s: idle since 1 s already, so due now. */
    idle_set_limit(&i, 20);
    assert_true(idle_due(&i, &test_nothing, 30000));
    /* And a longer one takes it back. */
    idle_set_limit(&i, 3600);
    assert_false(idle_due(&i, &test_nothing, 30000));
}

static void test_a_clock_that_goes_back_never_ends_it_early(void **state)
{
    struct idle i;
    (void)state;
    idle_init(&i, 10);
    assert_false(idle_due(&i, &test_nothing, 50000));
    assert_false(idle_due(&i, &test_nothing, 1000));           /* back: the spell restarts at 1 s */
    assert_false(idle_due(&i, &test_nothing, 10999));
    assert_true(idle_due(&i, &test_nothing, 11000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exits_after_the_whole_limit),
        cmocka_unit_test(test_the_spell_begins_at_the_first_look),
        cmocka_unit_test(test_anything_held_starts_anew),
        cmocka_unit_test(test_zero_is_never),
        cmocka_unit_test(test_a_new_limit_counts_the_spell_so_far),
        cmocka_unit_test(test_a_clock_that_goes_back_never_ends_it_early),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
