/* SPDX-License-Identifier: MIT */
/* test_sig.c - cmocka unit tests of knotctl's signal flag: a signal that came while blocked counts before the next start is sent. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../cli/sig.h"

/* Found by a review: a SIGTERM that came while knotctl waited for a reply
 * (the signals blocked, not in ppoll()) stayed pending, and a routine's next
 * step was started before the loop noticed it. */
static void test_a_pending_signal_is_seen(void **state)
{
    sigset_t pending;

    (void)state;
    sig_install();
    assert_false(sig_interrupted());
    assert_int_equal(sig_caught(), 0);
    assert_int_equal(raise(SIGTERM), 0);   /* blocked: pending, the handler does not run */
    assert_int_equal(sigpending(&pending), 0);
    assert_true(sigismember(&pending, SIGTERM));
    assert_true(sig_interrupted());
    assert_int_equal(sig_caught(), SIGTERM);
    /* Taken, not left to kill the process later; the first one stays the one said. */
    assert_int_equal(sigpending(&pending), 0);
    assert_false(sigismember(&pending, SIGTERM));
    assert_int_equal(raise(SIGHUP), 0);
    assert_true(sig_interrupted());
    assert_int_equal(sig_caught(), SIGTERM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_pending_signal_is_seen),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
