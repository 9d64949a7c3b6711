/* SPDX-License-Identifier: MIT */
/* test_journal.c - cmocka unit tests of the journal reader: records found whatever lies between them, in bounded memory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "care.h"
#include "journal.h"

struct seen {
    char serial[8][40], area[8][40], record[8][16];
    int pain[8];
    unsigned flags[8];
    time_t time[8];
    time_t until[8];
    uid_t uid[8];
    uint64_t ran_ms[8];
    bool carried[8];
    enum profile_side side[8];
    unsigned n;
};

static void collect(const struct journal_rec *r, void *ctx)
{
    struct seen *s = ctx;

    if (s->n < 8) {
        snprintf(s->serial[s->n], sizeof(s->serial[0]), "%s", r->serial);
        snprintf(s->area[s->n], sizeof(s->area[0]), "%s", r->area);
        s->until[s->n] = r->until;
        s->uid[s->n] = r->uid;
        s->ran_ms[s->n] = r->ran_ms;
        snprintf(s->record[s->n], sizeof(s->record[0]), "%s", r->record);
        s->pain[s->n] = r->pain;
        s->flags[s->n] = r->flags;
        s->time[s->n] = r->time;
        s->carried[s->n] = r->carried;
        s->side[s->n] = r->side;
    }
    s->n++;
}

/* A memory file holding text, then junk bytes of junk_len (0 = none), then tail. */
static int memfile(const char *text, size_t junk_len, char junk, const char *tail)
{
    int fd = memfd_create("journal", MFD_CLOEXEC);
    char buf[4096];

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    memset(buf, junk, sizeof(buf));
    for (size_t left = junk_len; left > 0;) {
        size_t n = left < sizeof(buf) ? left : sizeof(buf);

        assert_int_equal(write(fd, buf, n), (ssize_t)n);
        left -= n;
    }
    assert_int_equal(write(fd, tail, strlen(tail)), (ssize_t)strlen(tail));
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    return fd;
}

#define START(dev, area, until) \
    "{\"record\":\"start\",\"time\":1,\"device\":\"" dev "\",\"area\":\"" area "\",\"cooldown_until\":" #until "}\n"
#define END(dev, area, until) \
    "{\"record\":\"end\",\"time\":2,\"device\":\"" dev "\",\"area\":\"" area "\",\"cooldown_until\":" #until "}\n"

static void test_start_and_end(void **state)
{
    struct seen s = { 0 };
    int fd = memfile(START("A", "calves", 900) END("A", "calves", 700) START("A", "quads", 800), 0, 0, "");

    (void)state;
    assert_int_equal(journal_replay_fd(fd, "j", collect, &s), 3);
    close(fd);
    assert_int_equal(s.n, 2);
    /* the end replaces its start; the start without an end counts in full */
    assert_string_equal(s.area[0], "calves");
    assert_int_equal(s.until[0], 700);
    assert_string_equal(s.area[1], "quads");
    assert_int_equal(s.until[1], 800);
}

/* Left and right are two sessions: the end of one never closes the start of
 * the other, and a record without a side (or with one this version does
 * not know) has none: it counts for both sides. */
static void test_sides(void **state)
{
    struct seen s = { 0 };
    int fd = memfile("{\"record\":\"start\",\"time\":1,\"device\":\"A\",\"area\":\"calves\",\"side\":\"left\","
                     "\"cooldown_until\":900,\"session_s\":90}\n"
                     "{\"record\":\"start\",\"time\":2,\"device\":\"A\",\"area\":\"calves\",\"side\":\"right\","
                     "\"cooldown_until\":950,\"session_s\":90}\n"
                     "{\"record\":\"end\",\"time\":3,\"device\":\"A\",\"area\":\"calves\",\"side\":\"right\","
                     "\"cooldown_until\":300,\"ran_ms\":4000}\n"
                     "{\"record\":\"checkin\",\"time\":4,\"area\":\"calves\",\"side\":\"middle\",\"pain\":2}\n"
                     "{\"record\":\"clear\",\"time\":5,\"area\":\"calves\",\"side\":\"left\"}\n", 0, 0, "");

    (void)state;
    assert_int_equal(journal_replay_fd(fd, "j", collect, &s), 5);
    close(fd);
    assert_int_equal(s.n, 4);
    assert_string_equal(s.record[0], "end");
    assert_int_equal(s.side[0], PROFILE_SIDE_RIGHT);
    assert_int_equal(s.ran_ms[0], 4000);
    assert_int_equal(s.side[1], PROFILE_SIDE_NONE);   /* "middle": not a side this version knows */
    assert_string_equal(s.record[2], "clear");
    assert_int_equal(s.side[2], PROFILE_SIDE_LEFT);
    assert_string_equal(s.record[3], "start");        /* the left start is still open: run in full */
    assert_int_equal(s.side[3], PROFILE_SIDE_LEFT);
    assert_int_equal(s.ran_ms[3], 90000);
    assert_int_equal(s.until[3], 900);
}

/* Found by fuzz_journal: a record of another kind ("endtart") was taken for
 * an end and closed its start's full-length estimate. It is skipped. */
static void test_only_start_and_end_are_records(void **state)
{
    struct seen s = { 0 };
    int fd = memfile(START("A", "calves", 900)
                     "{\"record\":\"endtart\",\"time\":2,\"device\":\"A\",\"area\":\"calves\",\"cooldown_until\":1}\n",
                     0, 0, "");

    (void)state;
    assert_int_equal(journal_replay_fd(fd, "j", collect, &s), 1);
    close(fd);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.until[0], 900);   /* the start still counts in full */
}

/* The bug: a 10 MB line of junk after the last record hid every cool-down
 * (only the last 256 KiB were read). Now junk of any length is skipped. */
static void test_ten_megabytes_of_junk(void **state)
{
    struct seen s = { 0 };
    int fd = memfile(START("A", "calves", 900), 10u << 20, 'x', "\n" END("B", "neck", 5));

    (void)state;
    assert_int_equal(journal_replay_fd(fd, "j", collect, &s), 2);
    close(fd);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.serial[0], "B");
    assert_string_equal(s.serial[1], "A");
    assert_int_equal(s.until[1], 900);
}

static void test_junk_between_records(void **state)
{
    struct seen s = { 0 };
    int fd = memfile(START("A", "calves", 900)
                     "not json\n"
                     "{\"record\":\"start\"}\n"                      /* a record without its members */
                     "{\"record\":\"end\",\"device\":\"A\",\"area\":\"calves\",\"cooldown_until\":\"soon\"}\n"
                     "[1,2,3]\n"
                     "\r\n"
                     "\n", 100000, '\0', END("A", "calves", 600));   /* the NULs a power cut leaves */

    (void)state;
    assert_int_equal(journal_replay_fd(fd, "j", collect, &s), 2);
    close(fd);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.until[0], 600);
}

static void test_torn_last_record(void **state)
{
    struct seen s = { 0 };
    int fd = memfile(START("A", "calves", 900) "{\"record\":\"end\",\"device\":\"A\",\"ar", 0, 0, "");

    (void)state;
    assert_int_equal(journal_replay_fd(fd, "j", collect, &s), 1);
    close(fd);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.until[0], 900);   /* the torn end is no end: the start's full cool-down holds */

    /* a whole record that only lost its newline is still a record */
    memset(&s, 0, sizeof(s));
    fd = memfile(START("A", "calves", 900) "{\"record\":\"end\",\"time\":2,\"device\":\"A\",\"area\":\"calves\","
                 "\"cooldown_until\":400}", 0, 0, "");
    assert_int_equal(journal_replay_fd(fd, "j", collect, &s), 2);
    close(fd);
    assert_int_equal(s.until[0], 400);
}

/* Who ran it and for how long: a start counts as its whole planned length
 * until its end says otherwise; a record without a uid is anyone's. */
static void test_uid_and_running_time(void **state)
{
    struct seen s = { 0 };
    int fd = memfile("{\"record\":\"start\",\"time\":1,\"device\":\"A\",\"uid\":1000,\"area\":\"calves\","
                     "\"cooldown_until\":900,\"session_s\":90}\n"
                     "{\"record\":\"start\",\"time\":2,\"device\":\"A\",\"uid\":1000,\"area\":\"quads\","
                     "\"cooldown_until\":800,\"session_s\":120}\n"
                     "{\"record\":\"end\",\"time\":3,\"device\":\"A\",\"uid\":1000,\"area\":\"calves\","
                     "\"cooldown_until\":300,\"ran_ms\":42000}\n"
                     END("B", "neck", 5), 0, 0, "");

    (void)state;
    assert_int_equal(journal_replay_fd(fd, "j", collect, &s), 4);
    close(fd);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.uid[0], 1000);
    assert_int_equal(s.ran_ms[0], 42000);         /* the end */
    assert_int_equal(s.uid[1], JOURNAL_ANYONE);   /* no uid recorded */
    assert_string_equal(s.area[2], "quads");      /* the open start, last, in full */
    assert_int_equal(s.ran_ms[2], 120000);
    assert_int_equal(s.until[2], 800);
}

static void test_crlf_and_longest_line(void **state)
{
    struct seen s = { 0 };
    char line[JOURNAL_LINE_MAX + 64];
    const char *head = "{\"record\":\"end\",\"time\":2,\"device\":\"A\",\"area\":\"calves\",\"cooldown_until\":300,\"x\":\"";
    size_t n = strlen(head);
    int fd;

    (void)state;
    /* a record exactly JOURNAL_LINE_MAX bytes long is read; one byte more is not a record */
    memcpy(line, head, n);
    memset(line + n, 'y', JOURNAL_LINE_MAX - n - 2);
    memcpy(line + JOURNAL_LINE_MAX - 2, "\"}", 3);
    assert_int_equal(strlen(line), JOURNAL_LINE_MAX);
    fd = memfile("", 0, 0, line);
    assert_int_equal(journal_replay_fd(fd, "j", collect, &s), 1);
    close(fd);
    memset(line + n, 'y', JOURNAL_LINE_MAX - n - 1);
    memcpy(line + JOURNAL_LINE_MAX - 1, "\"}\n", 4);
    fd = memfile("", 0, 0, line);
    assert_int_equal(journal_replay_fd(fd, "j", collect, &s), 0);
    close(fd);
    fd = memfile("{\"record\":\"end\",\"time\":2,\"device\":\"A\",\"area\":\"q\",\"cooldown_until\":1}\r\n", 0, 0, "");
    assert_int_equal(journal_replay_fd(fd, "j", collect, &s), 1);
    close(fd);
}

/* Check-ins and clears come back in order, whoever wrote them; a flag of a
 * name knotd does not know is kept as a red flag (numbness), never dropped. */
static void test_check_ins(void **state)
{
    struct seen s = { 0 };
    int fd = memfile("{\"record\":\"checkin\",\"time\":5,\"uid\":1000,\"area\":\"calves\",\"pain\":6,"
                     "\"flags\":[\"tingling\",\"swelling\"],\"note\":\"after the run\"}\n"
                     "{\"record\":\"checkin\",\"time\":6,\"uid\":1000,\"area\":\"calves\",\"pain\":11,"
                     "\"flags\":[\"burning\"]}\n"
                     "{\"record\":\"clear\",\"time\":7,\"uid\":1000,\"area\":\"calves\"}\n"
                     "{\"record\":\"checkin\",\"uid\":1000,\"area\":\"calves\"}\n",   /* no time: not a record */
                     0, 0, "");

    (void)state;
    assert_int_equal(journal_replay_fd(fd, "j", collect, &s), 3);
    close(fd);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.record[0], "checkin");
    assert_int_equal(s.pain[0], 6);
    assert_int_equal(s.flags[0], CARE_TINGLING | CARE_SWELLING);
    assert_string_equal(s.serial[0], "");
    assert_int_equal(s.pain[1], -1);              /* out of range: not given */
    assert_int_equal(s.flags[1], CARE_NUMBNESS);  /* unknown name: still a red flag */
    assert_string_equal(s.record[2], "clear");
}

static char tmpdir[] = "/tmp/test_journal.XXXXXX";

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    fclose(f);
}

static size_t file_size(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 ? (size_t)st.st_size : 0;
}

/* A journal whose first record is older than JOURNAL_KEEP_DAYS becomes
 * PATH.1 at the next append; replay reads PATH.1, then PATH: a start in the
 * old file ends in the new one. */
static void test_rotation_keeps_ninety_days(void **state)
{
    char path[256], old[300], why[JOURNAL_WHY_MAX], text[1024];
    struct seen s = { 0 };
    time_t now = time(NULL), then = now - (time_t)(JOURNAL_KEEP_DAYS + 1) * 86400;

    (void)state;
    assert_non_null(mkdtemp(tmpdir));
    snprintf(path, sizeof(path), "%s/journal", tmpdir);
    snprintf(old, sizeof(old), "%s.1", path);
    snprintf(text, sizeof(text),
             "{\"record\":\"checkin\",\"time\":%lld,\"uid\":1,\"area\":\"calves\",\"pain\":5}\n"
             "{\"record\":\"start\",\"time\":%lld,\"device\":\"A\",\"uid\":1,\"area\":\"quads\","
             "\"cooldown_until\":%lld,\"session_s\":60}\n",
             (long long)then, (long long)now - 10, (long long)now + 600);
    write_file(path, text);
    journal_set_path(path);
    assert_int_equal(journal_replay(collect, &s, why, sizeof(why)), 2);   /* learns the first record's age */
    assert_int_equal(file_size(old), 0);
    assert_int_equal(journal_checkin(1, "calves", PROFILE_SIDE_NONE, 3, 0, "", why, sizeof(why)), 0);
    assert_true(file_size(old) == strlen(text));   /* the old file, whole */
    assert_true(file_size(path) > 0 && file_size(path) < strlen(text));
    memset(&s, 0, sizeof(s));
    assert_int_equal(journal_replay(collect, &s, why, sizeof(why)), 3);
    assert_string_equal(s.record[0], "checkin");
    assert_int_equal(s.pain[0], 5);
    assert_int_equal(s.pain[1], 3);
    assert_string_equal(s.record[2], "start");   /* still open, across the two files */
    /* The new file is young: the next append does not rotate again. */
    assert_int_equal(journal_cleared(1, "calves", PROFILE_SIDE_NONE, why, sizeof(why)), 0);
    assert_true(file_size(old) == strlen(text));
    unlink(path);
    unlink(old);
    rmdir(tmpdir);
    journal_set_path("");
}

/* The crash contract, swept: knotd killed at every byte of a record's
 * write leaves the file ending anywhere inside that record. Whatever the
 * offset, the next append (a red flag) is a record of its own, every record
 * acknowledged before is read back, and the torn one is either whole (all
 * its bytes were there) or gone. In the spirit of SQLite's and ALICE's
 * crash testing, on the file knotd really writes. */
static void test_a_crash_at_every_byte_of_a_record(void **state)
{
    char path[256], why[JOURNAL_WHY_MAX], before[2048], rec[1024];
    size_t base, len;
    FILE *f;

    (void)state;
    assert_non_null(mkdtemp(tmpdir));
    snprintf(path, sizeof(path), "%s/journal", tmpdir);
    /* What knotd writes: an acknowledged red flag, then the record a crash tears. */
    journal_set_path(path);
    assert_int_equal(journal_checkin(1, "calves", PROFILE_SIDE_NONE, 6, CARE_NUMBNESS, "", why, sizeof(why)), 0);
    base = file_size(path);
    assert_int_equal(journal_checkin(1, "quads", PROFILE_SIDE_NONE, 3, CARE_SWELLING, "after the run", why, sizeof(why)), 0);
    len = file_size(path) - base;
    f = fopen(path, "r");
    assert_non_null(f);
    assert_int_equal(fread(before, 1, base, f), base);
    assert_int_equal(fread(rec, 1, len, f), len);
    fclose(f);
    journal_set_path("");
    for (size_t k = 0; k <= len; k++) {
        struct seen s = { 0 };
        int fd = open(path, O_WRONLY | O_TRUNC | O_CREAT, 0600);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, before, base), (ssize_t)base);
        assert_int_equal(write(fd, rec, k), (ssize_t)k);
        close(fd);
        /* knotd starts again, and a red flag is checked in. */
        journal_set_path(path);
        assert_true(journal_usable(why, sizeof(why)));
        assert_int_equal(journal_checkin(1, "glutes-hips", PROFILE_SIDE_NONE, 7, CARE_WEAKNESS, "", why, sizeof(why)), 0);
        /* Whole only when every byte but perhaps the newline was there. */
        bool whole = k >= len - 1;

        assert_int_equal(journal_replay(collect, &s, why, sizeof(why)), whole ? 3 : 2);
        assert_string_equal(s.area[0], "calves");
        assert_int_equal(s.flags[0], CARE_NUMBNESS);
        if (whole) {
            assert_string_equal(s.area[1], "quads");
            assert_int_equal(s.flags[1], CARE_SWELLING);
        }
        assert_string_equal(s.area[whole ? 2 : 1], "glutes-hips");
        assert_int_equal(s.flags[whole ? 2 : 1], CARE_WEAKNESS);
        journal_set_path("");
    }
    unlink(path);
    rmdir(tmpdir);
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_journal.XXXXXX");
}

static void carry_numbness(void *ctx)
{
    char why[JOURNAL_WHY_MAX];

    (*(int *)ctx)++;
    assert_int_equal(journal_carry(1, "calves", PROFILE_SIDE_NONE, CARE_NUMBNESS, why, sizeof(why)), 0);
}

/* What is in force goes on in the new file at a rotation: the owner's hook
 * runs once, its record comes first in the new file, marked carried. */
static void test_rotation_carries_what_is_in_force(void **state)
{
    char path[256], old[300], why[JOURNAL_WHY_MAX], text[512];
    struct seen s = { 0 };
    time_t then = time(NULL) - (time_t)(JOURNAL_KEEP_DAYS + 1) * 86400;
    int calls = 0, fd;

    (void)state;
    assert_non_null(mkdtemp(tmpdir));
    snprintf(path, sizeof(path), "%s/journal", tmpdir);
    snprintf(old, sizeof(old), "%s.1", path);
    snprintf(text, sizeof(text), "{\"record\":\"checkin\",\"time\":%lld,\"uid\":1,\"area\":\"calves\","
             "\"flags\":[\"numbness\"]}\n", (long long)then);
    write_file(path, text);
    journal_set_path(path);
    journal_on_rotate(carry_numbness, &calls);
    assert_int_equal(journal_replay(collect, &s, why, sizeof(why)), 1);
    assert_int_equal(journal_checkin(1, "calves", PROFILE_SIDE_NONE, 2, 0, "", why, sizeof(why)), 0);
    assert_int_equal(calls, 1);
    assert_true(file_size(old) == strlen(text));
    memset(&s, 0, sizeof(s));
    fd = open(path, O_RDONLY);
    assert_int_equal(journal_replay_fd(fd, "j", collect, &s), 2);
    close(fd);
    assert_string_equal(s.record[0], "checkin");
    assert_true(s.carried[0] && !s.carried[1]);
    assert_int_equal(s.flags[0], CARE_NUMBNESS);
    assert_int_equal(s.pain[0], -1);
    assert_int_equal(s.pain[1], 2);
    journal_on_rotate(NULL, NULL);
    unlink(path);
    unlink(old);
    rmdir(tmpdir);
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_journal.XXXXXX");
    journal_set_path("");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_and_end),
        cmocka_unit_test(test_sides),
        cmocka_unit_test(test_a_crash_at_every_byte_of_a_record),
        cmocka_unit_test(test_rotation_carries_what_is_in_force),
        cmocka_unit_test(test_only_start_and_end_are_records),
        cmocka_unit_test(test_ten_megabytes_of_junk),
        cmocka_unit_test(test_junk_between_records),
        cmocka_unit_test(test_torn_last_record),
        cmocka_unit_test(test_uid_and_running_time),
        cmocka_unit_test(test_crlf_and_longest_line),
        cmocka_unit_test(test_check_ins),
        cmocka_unit_test(test_rotation_keeps_ninety_days),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
