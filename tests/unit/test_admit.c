/* SPDX-License-Identifier: MIT */
/* test_admit.c - cmocka unit tests of admission: a person's share, the reserve for stop, root; and a flood simulated connection by connection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "admit.h"

static const struct admit_limits limits = { 64, ADMIT_RESERVED, 16 };

static void test_share(void **state)
{
    (void)state;
    assert_int_equal(admit_per_uid(64), 16);
    assert_int_equal(admit_per_uid(8), ADMIT_PER_UID_MIN);
    assert_int_equal(admit_per_uid(0), ADMIT_PER_UID_MIN);
    assert_int_equal(admit_check(&limits, &(struct admit_peer){ 10, 15, true, false }), ADMIT_OK);
    /* Past the share: a member still gets a stop through, twice; a stranger nothing. */
    assert_int_equal(admit_check(&limits, &(struct admit_peer){ 10, 16, true, false }), ADMIT_STOP_ONLY_OK);
    assert_int_equal(admit_check(&limits, &(struct admit_peer){ 10, 17, true, false }), ADMIT_STOP_ONLY_OK);
    assert_int_equal(admit_check(&limits, &(struct admit_peer){ 10, 18, true, false }), ADMIT_UID_FULL);
    assert_int_equal(admit_check(&limits, &(struct admit_peer){ 10, 16, false, false }), ADMIT_UID_FULL);
    assert_int_equal(admit_check(&limits, &(struct admit_peer){ 10, 40, true, true }), ADMIT_OK);   /* root */
}

static void test_reserve(void **state)
{
    (void)state;
    /* Full: strangers out, a member with nothing open in, one with a view and a stop too, a third not. */
    assert_int_equal(admit_check(&limits, &(struct admit_peer){ 64, 0, false, false }), ADMIT_FULL);
    assert_int_equal(admit_check(&limits, &(struct admit_peer){ 64, 0, true, false }), ADMIT_OK);
    assert_int_equal(admit_check(&limits, &(struct admit_peer){ 65, 1, true, false }), ADMIT_OK);
    assert_int_equal(admit_check(&limits, &(struct admit_peer){ 66, 2, true, false }), ADMIT_FULL);
    assert_int_equal(admit_check(&limits, &(struct admit_peer){ 72, 0, true, true }), ADMIT_FULL);
    assert_int_equal(admit_check(&limits, &(struct admit_peer){ 70, 70, true, true }), ADMIT_OK);   /* root's reserve */
}

/* Flooders (four members and a stranger) take every slot they can,
 * connection by connection; then each of four other members still gets a
 * following view and a stop through. */
static void test_a_flood_leaves_a_stop_for_everyone_else(void **state)
{
    unsigned open = 0, held[9] = { 0 };

    (void)state;
    for (int round = 0; round < 100; round++) {
        for (unsigned uid = 0; uid < 5; uid++) {
            struct admit_peer p = { open, held[uid], uid < 4, false };

            if (admit_check(&limits, &p) == ADMIT_OK) {
                open++;
                held[uid]++;
            }
        }
    }
    assert_int_equal(open, 64);
    for (unsigned uid = 0; uid < 5; uid++)
        assert_true(held[uid] <= 16);
    for (unsigned uid = 5; uid < 9; uid++) {
        for (int k = 0; k < 2; k++) {
            struct admit_peer p = { open, held[uid], true, false };

            assert_int_equal(admit_check(&limits, &p), ADMIT_OK);
            open++;
            held[uid]++;
        }
    }
    /* The reserve is used up now: root's share is no share, but the total holds. */
    assert_int_equal(admit_check(&limits, &(struct admit_peer){ open, 0, true, true }), ADMIT_FULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_share),
        cmocka_unit_test(test_reserve),
        cmocka_unit_test(test_a_flood_leaves_a_stop_for_everyone_else),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
