/* SPDX-License-Identifier: MIT */
/* test_notifymsg.c - systemd notifications as pure logic: NOTIFY_SOCKET addresses, and pending state coalesced into one datagram. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "notifymsg.h"

static const char *test_format(const struct notifymsg *q, bool watchdog)
{
    static char buf[NOTIFYMSG_MAX];
    size_t n = notifymsg_format(q, watchdog, buf, sizeof(buf));

    assert_int_equal(n, strlen(buf));
    return buf;
}

static void test_path_address(void **state)
{
    struct sockaddr_un sa;
    socklen_t len;
    (void)state;
    assert_int_equal(notifymsg_address("/run/systemd/notify", &sa, &len), 0);
    assert_int_equal(sa.sun_family, AF_UNIX);
    assert_string_equal(sa.sun_path, "/run/systemd/notify");
    assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + strlen("/run/systemd/notify") + 1);
}

static void test_abstract_address(void **state)
{
    struct sockaddr_un sa;
    socklen_t len;
    (void)state;
    assert_int_equal(notifymsg_address("@knot/notify", &sa, &len), 0);
    assert_int_equal(sa.sun_path[0], '\0');
    assert_memory_equal(sa.sun_path + 1, "knot/notify", strlen("knot/notify"));
    /* No trailing NUL: an abstract name is all the bytes the length covers. */
    assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + 1 + strlen("knot/notify"));
}

/* c followed by 'x' up to n characters in all. */
static const char *test_name(char c, size_t n)
{
    static char buf[256];

    memset(buf, 'x', n);
    buf[0] = c;
    buf[n] = '\0';
    return buf;
}

static void test_bad_addresses(void **state)
{
    struct sockaddr_un sa;
    socklen_t len;
    const size_t room = sizeof(sa.sun_path);
    (void)state;
    assert_int_equal(notifymsg_address("", &sa, &len), -EINVAL);
    assert_int_equal(notifymsg_address("@", &sa, &len), -EINVAL);
    assert_int_equal(notifymsg_address("/", &sa, &len), -EINVAL);
    assert_int_equal(notifymsg_address("run/notify", &sa, &len), -EINVAL);
    assert_int_equal(notifymsg_address("vsock:2:1234", &sa, &len), -EINVAL);
    assert_int_equal(notifymsg_address(NULL, &sa, &len), -EINVAL);
    /* A path must fit with its NUL; an abstract name may use every byte. */
    assert_int_equal(notifymsg_address(test_name('/', room), &sa, &len), -ENAMETOOLONG);
    assert_int_equal(notifymsg_address(test_name('/', room - 1), &sa, &len), 0);
    assert_int_equal(len, sizeof(sa));
    assert_int_equal(notifymsg_address(test_name('@', room + 1), &sa, &len), -ENAMETOOLONG);
    assert_int_equal(notifymsg_address(test_name('@', room), &sa, &len), 0);
    assert_int_equal(len, sizeof(sa));
}

static void test_nothing_pending(void **state)
{
    struct notifymsg q = { 0 };
    char buf[NOTIFYMSG_MAX];
    (void)state;
    assert_false(notifymsg_pending(&q));
    assert_int_equal(notifymsg_format(&q, false, buf, sizeof(buf)), 0);
    assert_string_equal(test_format(&q, true), "WATCHDOG=1");
    /* Too small a buffer is refused whole, never a datagram cut short. */
    assert_int_equal(notifymsg_format(&q, true, buf, 16), 0);
}

static void test_latest_state_wins(void **state)
{
    struct notifymsg q = { 0 };
    (void)state;
    notifymsg_state(&q, NOTIFYMSG_READY);
    notifymsg_status(&q, "Waiting for massagers");
    assert_true(notifymsg_pending(&q));
    assert_string_equal(test_format(&q, false), "READY=1\nSTATUS=Waiting for massagers");
    /* Still pending (the queue was full): a reload comes and goes. */
    notifymsg_state(&q, NOTIFYMSG_RELOADING);
    assert_string_equal(test_format(&q, false), "RELOADING=1\nSTATUS=Waiting for massagers");
    notifymsg_state(&q, NOTIFYMSG_READY);
    notifymsg_status(&q, "Reloaded");
    assert_string_equal(test_format(&q, false), "READY=1\nSTATUS=Reloaded");
    /* A ping carries what is pending: a state never waits behind pings. */
    assert_string_equal(test_format(&q, true), "READY=1\nSTATUS=Reloaded\nWATCHDOG=1");
    notifymsg_state(&q, NOTIFYMSG_STOPPING);
    assert_string_equal(test_format(&q, true), "STOPPING=1\nSTATUS=Reloaded\nWATCHDOG=1");
    notifymsg_sent(&q);
    assert_false(notifymsg_pending(&q));
    assert_string_equal(test_format(&q, true), "WATCHDOG=1");
}

static void test_state_alone_and_status_alone(void **state)
{
    struct notifymsg q = { 0 };
    (void)state;
    notifymsg_state(&q, NOTIFYMSG_STOPPING);
    assert_string_equal(test_format(&q, false), "STOPPING=1");
    assert_string_equal(test_format(&q, true), "STOPPING=1\nWATCHDOG=1");
    notifymsg_sent(&q);
    notifymsg_status(&q, "two\nlines");
    assert_string_equal(test_format(&q, false), "STATUS=two lines");
    assert_string_equal(test_format(&q, true), "STATUS=two lines\nWATCHDOG=1");
}

static void test_long_status_is_cut(void **state)
{
    struct notifymsg q = { 0 };
    char text[NOTIFYMSG_STATUS_MAX * 2];
    const char *msg;
    (void)state;
    memset(text, 's', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    notifymsg_state(&q, NOTIFYMSG_RELOADING);
    notifymsg_status(&q, text);
    msg = test_format(&q, true);
    assert_int_equal(strlen(msg), strlen("RELOADING=1\nSTATUS=") + NOTIFYMSG_STATUS_MAX - 1 + strlen("\nWATCHDOG=1"));
    assert_non_null(strstr(msg, "\nWATCHDOG=1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_address),
        cmocka_unit_test(test_abstract_address),
        cmocka_unit_test(test_bad_addresses),
        cmocka_unit_test(test_nothing_pending),
        cmocka_unit_test(test_latest_state_wins),
        cmocka_unit_test(test_state_alone_and_status_alone),
        cmocka_unit_test(test_long_status_is_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
