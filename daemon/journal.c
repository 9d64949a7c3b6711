/* SPDX-License-Identifier: MIT */
/* journal.c - appends session and check-in records to the journal (O_APPEND, one write each, a regular file only, never waiting), rotates it, and reads it back. */
#include "journal.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "care.h"
#include "clock.h"
#include "jline.h"
#include "knot/control.h"
#include "log.h"

_Static_assert(JLINE_MAX == JOURNAL_LINE_MAX, "the journal's lines are split at its longest record");

static char journal_path[256];
static char journal_error[JOURNAL_WHY_MAX];   /* the last failure; "" while the journal works */
static bool journal_write_failed;             /* journal_error is from an append, not from opening */
static time_t journal_first;                  /* the time of the current file's first record; 0 = none known */
static char journal_boot[TIMELINE_BOOT_LEN];   /* this boot's id, named by every record written */
static time_t journal_latest;                 /* the newest record's time, read or written */
static journal_rotate_fn journal_rotated_fn;   /* the owner restates what is in force after a rotation */
static void *journal_rotated_ctx;

void journal_on_rotate(journal_rotate_fn fn, void *ctx)
{
    journal_rotated_fn = fn;
    journal_rotated_ctx = ctx;
}

void journal_set_boot(const char *boot)
{
    snprintf(journal_boot, sizeof(journal_boot), "%s", boot);
}

time_t journal_newest(void)
{
    return journal_latest;
}

static void journal_saw(time_t t)
{
    if (t > journal_latest)
        journal_latest = t;
}

void journal_set_path(const char *path)
{
    if (strcmp(journal_path, path) == 0)
        return;
    snprintf(journal_path, sizeof(journal_path), "%s", path);
    /* Another file: what went wrong with the old one says nothing about it. */
    journal_error[0] = '\0';
    journal_write_failed = false;
    journal_first = 0;
}

void journal_make_dir(void)
{
    char dir[sizeof(journal_path)];
    char *slash;
    struct stat st;

    snprintf(dir, sizeof(dir), "%s", journal_path);
    slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return;
    *slash = '\0';
    if (stat(dir, &st) == 0 || errno != ENOENT)
        return;   /* there (or not ours to make): opening the journal says what is wrong */
    if (mkdir(dir, 0750) == 0)
        log_info("created %s for the journal", dir);
    else if (errno == ENOENT)
        log_error("journal %s: its directory %s is missing, and so is the directory above it (knotd makes only "
                  "the last one)", journal_path, dir);
    else
        log_error("journal %s: cannot create its directory %s: %s", journal_path, dir, strerror(errno));
}

/* The rotated file: PATH.1. */
static void journal_old_path(char *buf, size_t len)
{
    snprintf(buf, len, "%s.1", journal_path);
}

/* Once the current file's first record is JOURNAL_KEEP_DAYS old, it becomes
 * PATH.1 (the previous PATH.1, all older than that, goes) and a new file
 * begins: the two together always hold at least the last 90 days, and at
 * most about 180. One rename: a crash leaves every record in one file or the
 * other. A rename that fails is logged, and the record goes to the old file. */
static void journal_rotate(time_t now)
{
    char old[sizeof(journal_path) + 2];

    if (!journal_first || now - journal_first < (time_t)JOURNAL_KEEP_DAYS * 86400)
        return;
    journal_old_path(old, sizeof(old));
    if (rename(journal_path, old) < 0) {
        log_warning("cannot rotate journal %s to %s: %s; it keeps growing", journal_path, old, strerror(errno));
        journal_first = now;   /* tried again in another 90 days, not at every record */
        return;
    }
    log_info("journal %s rotated to %s (records from the last %d days and more are kept)", journal_path, old,
             JOURNAL_KEEP_DAYS);
    journal_first = 0;
    /* The next rotation drops what was renamed now: red flags still in force
     * go on in the new file (the new file is young: this does not recurse). */
    if (journal_rotated_fn)
        journal_rotated_fn(journal_rotated_ctx);
}

const char *journal_get_path(void)
{
    return journal_path;
}

static const char *journal_kind(mode_t mode)
{
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    return "of an unknown kind";
}

static int journal_not_regular(mode_t mode, char *why, size_t len)
{
    snprintf(why, len, "journal %s is not a regular file (%s)", journal_path, journal_kind(mode));
    return -EINVAL;
}

/* The journal opened with flags (O_CREAT: created 0640 if missing), never
 * waiting: a FIFO in its place would block open() until a peer came, and
 * every later read or write for as long as the peer liked. Only a regular
 * file is used. An fd, or a negative errno code with why naming the journal. */
static int journal_open(int flags, char *why, size_t len)
{
    struct stat st;
    int fd, e;

    /* Looked at first: opening a FIFO or a device is an act of its own. */
    if (stat(journal_path, &st) == 0 && !S_ISREG(st.st_mode))
        return journal_not_regular(st.st_mode, why, len);
    /* O_NONBLOCK: what may have taken the file's place since cannot make us wait either. */
    fd = open(journal_path, flags | O_CLOEXEC | O_NONBLOCK, 0640);
    if (fd < 0) {
        e = errno;
        if ((e == ENXIO || e == EISDIR) && stat(journal_path, &st) == 0 && !S_ISREG(st.st_mode))
            return journal_not_regular(st.st_mode, why, len);
        snprintf(why, len, "cannot open journal %s: %s", journal_path, strerror(e));
        return -e;
    }
    if (fstat(fd, &st) < 0) {
        e = errno;
        snprintf(why, len, "cannot check journal %s: %s", journal_path, strerror(e));
        close(fd);
        return -e;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return journal_not_regular(st.st_mode, why, len);
    }
    return fd;
}

static int journal_parse(const char *buf, size_t len, json_object **out);

/* The file ends in the middle of a line (knotd killed mid-write, a short
 * write that could not be taken back): a whole record that lost only its
 * newline gets it; anything else is cut back to the last whole record,
 * said in the log. Then every append starts on a line of its own. 0, or -1
 * with why when the file cannot be mended (no record is appended then). */
static int journal_mend(int fd, char *why, size_t len)
{
    char tail[JOURNAL_LINE_MAX + 2];
    json_object *o = NULL;
    struct stat st;
    off_t keep;
    ssize_t n;
    size_t i;

    if (fstat(fd, &st) < 0 || st.st_size == 0)
        return 0;
    n = pread(fd, tail, st.st_size < (off_t)sizeof(tail) ? (size_t)st.st_size : sizeof(tail),
              st.st_size < (off_t)sizeof(tail) ? 0 : st.st_size - (off_t)sizeof(tail));
    if (n <= 0) {
        snprintf(why, len, "cannot read the end of journal %s: %s", journal_path, n < 0 ? strerror(errno) : "empty");
        return -1;
    }
    if (tail[n - 1] == '\n')
        return 0;
    for (i = (size_t)n; i > 0 && tail[i - 1] != '\n'; i--)
        ;
    /* A tail longer than any record is no record: it goes, back to the last newline (or all of it). */
    if (journal_parse(tail + i, (size_t)n - i, &o) == 1) {
        json_object_put(o);
        if (write(fd, "\n", 1) == 1) {
            log_warning("journal %s: its last record had lost its newline (knotd stopped mid-write): added",
                        journal_path);
            return 0;
        }
        snprintf(why, len, "cannot finish the last line of journal %s: %s", journal_path, strerror(errno));
        return -1;
    }
    keep = i > 0 || st.st_size <= (off_t)sizeof(tail) ? st.st_size - (off_t)((size_t)n - i) : 0;
    if (i == 0 && st.st_size > (off_t)sizeof(tail)) {
        /* No newline in the last 4 KiB: search further back for the last one. */
        off_t pos = st.st_size - (off_t)sizeof(tail);

        keep = 0;
        while (pos > 0 && !keep) {
            size_t k = pos < (off_t)sizeof(tail) ? (size_t)pos : sizeof(tail);

            /* A read that fails must not pass for "no newline at all": that would cut every record. */
            if (pread(fd, tail, k, pos - (off_t)k) != (ssize_t)k) {
                snprintf(why, len, "cannot read journal %s back to its last whole record: %s", journal_path,
                         strerror(errno ? errno : EIO));
                return -1;
            }
            for (i = k; i > 0 && !keep; i--)
                if (tail[i - 1] == '\n')
                    keep = pos - (off_t)k + (off_t)i;
            pos -= (off_t)k;
        }
    }
    if (ftruncate(fd, keep) < 0) {
        snprintf(why, len, "cannot cut the torn last line of journal %s: %s", journal_path, strerror(errno));
        return -1;
    }
    log_warning("journal %s: its last line was torn (%lld bytes without a newline: knotd stopped mid-write, or "
                "the disk filled); cut back to the last whole record", journal_path,
                (long long)(st.st_size - keep));
    return 0;
}

/* Logged when the journal stops working, or fails in a new way; not per record. */
static void journal_fail(const char *why, bool write_failed)
{
    if (strcmp(journal_error, why) != 0)
        log_error("%s; new sessions are refused until it can be written (running ones go on)", why);
    snprintf(journal_error, sizeof(journal_error), "%s", why);
    journal_write_failed = write_failed;
}

static void journal_works(void)
{
    if (journal_error[0])
        log_info("journal %s writable again; new sessions may start", journal_path);
    journal_error[0] = '\0';
    journal_write_failed = false;
}

bool journal_usable(char *why, size_t len)
{
    char buf[JOURNAL_WHY_MAX];
    int fd;

    if (!journal_path[0])
        return true;   /* no journal configured: nothing to keep */
    fd = journal_open(O_RDWR | O_APPEND | O_CREAT, buf, sizeof(buf));
    if (fd < 0 || journal_mend(fd, buf, sizeof(buf)) < 0) {
        if (fd >= 0)
            close(fd);
        journal_fail(buf, false);
        snprintf(why, len, "%s", buf);
        return false;
    }
    close(fd);
    /* The file opens, but only an append proves there is room again. */
    if (journal_write_failed) {
        snprintf(why, len, "%s", journal_error);
        return false;
    }
    journal_works();
    return true;
}

static int journal_append(json_object *o, char *why, size_t len)
{
    const char *text = json_object_to_json_string_ext(o, KNOT_JSON_LINE_FLAGS);
    char line[JOURNAL_LINE_MAX + 1];
    char buf[JOURNAL_WHY_MAX] = "";
    struct stat st;
    int fd, n;
    ssize_t w;

    if (!journal_path[0])
        return 0;
    journal_rotate(time(NULL));
    n = snprintf(line, sizeof(line), "%s\n", text);
    if (n <= 0 || (size_t)n >= sizeof(line)) {
        snprintf(why, len, "a record for journal %s would be longer than %d bytes", journal_path, JOURNAL_LINE_MAX);
        return -1;
    }
    /* O_RDWR: a torn end is read, then mended, before the record goes on. */
    fd = journal_open(O_RDWR | O_APPEND | O_CREAT, buf, sizeof(buf));
    if (fd >= 0 && journal_mend(fd, buf, sizeof(buf)) < 0) {
        close(fd);
        fd = -1;
    } else if (fd >= 0 && fstat(fd, &st) < 0) {
        snprintf(buf, sizeof(buf), "cannot check journal %s: %s", journal_path, strerror(errno));
        close(fd);
        fd = -1;
    }
    if (fd < 0) {
        journal_fail(buf, false);
        snprintf(why, len, "%s", buf);
        return -1;
    }
    if (!journal_first && st.st_size == 0)
        journal_first = time(NULL);   /* a new file begins with this record */
    /* One write() of a whole line with O_APPEND: records never interleave. */
    w = write(fd, line, (size_t)n);
    if (w < 0)
        snprintf(buf, sizeof(buf), "cannot append to journal %s: %s", journal_path, strerror(errno));
    else if (w != n)
        snprintf(buf, sizeof(buf), "cannot append to journal %s: only %zd of %d bytes written (disk full?)",
                 journal_path, w, n);
    /* On disk before the request that wrote it is answered (docs/JOURNAL.md). */
    else if (fdatasync(fd) < 0)
        snprintf(buf, sizeof(buf), "cannot write journal %s to disk: %s", journal_path, strerror(errno));
    else
        buf[0] = '\0';
    if (buf[0]) {
        /* A record that did not make it is never left in place: taken back
         * (or, if even that fails, mended at the next append). */
        if (w > 0 && ftruncate(fd, st.st_size) < 0)
            log_warning("journal %s: cannot take back a short write (%s); the next append cuts it", journal_path,
                        strerror(errno));
        close(fd);
        journal_fail(buf, true);
        snprintf(why, len, "%s", buf);
        return -1;
    }
    close(fd);
    journal_works();
    journal_saw(time(NULL));
    return 0;
}

/* Which boot wrote the record, and its boot clock then: the age a restart in
 * the same boot reads, whatever the wall clock does meanwhile. */
static void journal_add_boot(json_object *o)
{
    if (!journal_boot[0])
        return;
    json_object_object_add(o, "boot", json_object_new_string(journal_boot));
    json_object_object_add(o, "boot_ms", json_object_new_int64((int64_t)clock_boot_ms()));
}

/* The side of a record on an area with sides; none written for an area without. */
static void journal_add_side(json_object *o, enum profile_side side)
{
    if (profile_side_name(side))
        json_object_object_add(o, "side", json_object_new_string(profile_side_name(side)));
}

static json_object *journal_base(const char *record, const char *serial, uid_t uid, enum profile_side side,
                                 const struct session *s, time_t now, time_t cooldown_until)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "record", json_object_new_string(record));
    json_object_object_add(o, "time", json_object_new_int64((int64_t)now));
    json_object_object_add(o, "device", json_object_new_string(serial));
    json_object_object_add(o, "uid", json_object_new_int64((int64_t)uid));
    json_object_object_add(o, "area", json_object_new_string(s->area.name));
    journal_add_side(o, side);
    json_object_object_add(o, "cooldown_until", json_object_new_int64((int64_t)cooldown_until));
    journal_add_boot(o);
    return o;
}

int journal_started(const char *serial, uid_t uid, enum profile_side side, const struct session *s, char *why,
                    size_t len)
{
    time_t now = time(NULL);
    /* If knotd dies now, the session counts as run in full: its whole length
     * toward the day's dose, the full cool-down after it. */
    json_object *o = journal_base("start", serial, uid, side, s, now,
                                  now + (time_t)s->area.session_s + (time_t)s->area.cooldown_s);
    int rc;

    json_object_object_add(o, "session_s", json_object_new_int((int)s->area.session_s));
    json_object_object_add(o, "target", json_object_new_int((int)s->target));
    rc = journal_append(o, why, len);
    json_object_put(o);
    return rc;
}

void journal_ended(const char *serial, uid_t uid, enum profile_side side, const struct session *s, unsigned rest_s)
{
    time_t now = time(NULL);
    json_object *o = journal_base("end", serial, uid, side, s, now, now + (time_t)rest_s);
    char why[JOURNAL_WHY_MAX];

    json_object_object_add(o, "duration_s", json_object_new_int((int)((s->end_ms - s->start_ms) / 1000)));
    json_object_object_add(o, "ran_ms", json_object_new_int64((int64_t)s->ran_ms));
    json_object_object_add(o, "target", json_object_new_int((int)s->target));
    json_object_object_add(o, "peak", json_object_new_int((int)s->peak));
    json_object_object_add(o, "ouches", json_object_new_int((int)s->ouches));
    json_object_object_add(o, "end", json_object_new_string(session_end_name(s->end)));
    if (journal_append(o, why, sizeof(why)) < 0)
        log_warning("%s: the end of the %s session is not in the journal (its start record keeps the full cool-down)",
                    serial, s->area.name);
    json_object_put(o);
}

static json_object *journal_care_base(const char *record, uid_t uid, const char *area, enum profile_side side)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "record", json_object_new_string(record));
    json_object_object_add(o, "time", json_object_new_int64((int64_t)time(NULL)));
    json_object_object_add(o, "uid", json_object_new_int64((int64_t)uid));
    json_object_object_add(o, "area", json_object_new_string(area));
    journal_add_side(o, side);
    journal_add_boot(o);
    return o;
}

static int journal_checkin_as(uid_t uid, const char *area, enum profile_side side, int pain, unsigned flags,
                              const char *note, bool carried, char *why, size_t len)
{
    json_object *o = journal_care_base("checkin", uid, area, side), *names = json_object_new_array();
    int rc;

    if (carried)
        json_object_object_add(o, "carried", json_object_new_boolean(1));
    if (pain >= 0)
        json_object_object_add(o, "pain", json_object_new_int(pain));
    for (unsigned bit = 1; bit & CARE_FLAGS_ALL; bit <<= 1)
        if (flags & bit)
            json_object_array_add(names, json_object_new_string(care_flag_name(bit)));
    json_object_object_add(o, "flags", names);
    if (note && note[0])
        json_object_object_add(o, "note", json_object_new_string(note));
    rc = journal_append(o, why, len);
    json_object_put(o);
    return rc;
}

int journal_checkin(uid_t uid, const char *area, enum profile_side side, int pain, unsigned flags, const char *note,
                    char *why, size_t len)
{
    return journal_checkin_as(uid, area, side, pain, flags, note, false, why, len);
}

int journal_carry(uid_t uid, const char *area, enum profile_side side, unsigned flags, char *why, size_t len)
{
    return journal_checkin_as(uid, area, side, -1, flags, "", true, why, len);
}

int journal_cleared(uid_t uid, const char *area, enum profile_side side, char *why, size_t len)
{
    json_object *o = journal_care_base("clear", uid, area, side);
    int rc = journal_append(o, why, len);

    json_object_put(o);
    return rc;
}

/* Starts not (yet) matched by an end: the sessions that may have been cut short by a crash. */
struct journal_open {
    char key[96];    /* "device\narea\nside" */
    char serial[40], area[40];
    struct journal_rec rec;
};

static const char *journal_str(json_object *o, const char *k)
{
    json_object *v;
    return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string) ? json_object_get_string(v)
                                                                                           : NULL;
}

static int64_t journal_int(json_object *o, const char *k, int64_t dflt)
{
    json_object *v;
    return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_int) ? json_object_get_int64(v)
                                                                                        : dflt;
}

static int64_t journal_clamp(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* A check-in's red flags by name; a name knotd does not know counts as
 * numbness (fail closed: a flag is never lost to a spelling). */
static unsigned journal_flags(json_object *o)
{
    json_object *arr;
    unsigned flags = 0;

    if (!json_object_object_get_ex(o, "flags", &arr) || !json_object_is_type(arr, json_type_array))
        return 0;
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        json_object *v = json_object_array_get_idx(arr, i);
        unsigned f = json_object_is_type(v, json_type_string) ? care_flag_of(json_object_get_string(v)) : 0;

        flags |= f ? f : CARE_NUMBNESS;
    }
    return flags;
}

static bool journal_is_session(const char *record)
{
    return strcmp(record, "start") == 0 || strcmp(record, "end") == 0;
}

/* One line (without its newline): 1 a record, 0 not one. A session record
 * (start, end) names its device and rest; a care record (checkin, clear) its
 * time. Another kind is not a record: it must not close a start's
 * full-length estimate. */
static int journal_parse(const char *buf, size_t len, json_object **out)
{
    json_tokener *tok;
    json_object *o, *v;
    const char *record = NULL;
    bool ok;

    while (len > 0 && buf[len - 1] == '\r')
        len--;
    if (len == 0)
        return 0;
    tok = json_tokener_new();
    o = json_tokener_parse_ex(tok, buf, (int)len);
    ok = o && json_tokener_get_parse_end(tok) == len && json_object_is_type(o, json_type_object) &&
         journal_str(o, "area") && (record = journal_str(o, "record"));
    if (ok && journal_is_session(record))
        ok = journal_str(o, "device") && json_object_object_get_ex(o, "cooldown_until", &v) &&
             json_object_is_type(v, json_type_int);
    else if (ok)
        ok = (strcmp(record, "checkin") == 0 || strcmp(record, "clear") == 0) &&
             json_object_object_get_ex(o, "time", &v) && json_object_is_type(v, json_type_int);
    json_tokener_free(tok);
    if (!ok) {
        json_object_put(o);
        return 0;
    }
    *out = o;
    return 1;
}

/* The replay's state: starts waiting for their end, and what was skipped. */
struct journal_scan {
    struct journal_open open_starts[64];
    size_t n_open;
    int records, lineno, skipped;
    time_t first;    /* the first record's time in the file being read */
    const char *name;
    journal_fn fn;
    void *ctx;
};

static void journal_skip(struct journal_scan *sc, const char *what)
{
    /* The first few by file:line; then only a count, so junk cannot flood the log. */
    if (sc->skipped++ < 3)
        log_warning("%s:%d: %s; skipped", sc->name, sc->lineno, what);
}

static void journal_take(struct journal_scan *sc, const char *line, size_t len)
{
    struct journal_rec rec;
    json_object *o;
    char key[96];
    size_t i;
    int64_t v;

    if (!journal_parse(line, len, &o)) {
        journal_skip(sc, "not a session record");
        return;
    }
    memset(&rec, 0, sizeof(rec));
    rec.serial = journal_str(o, "device");
    rec.area = journal_str(o, "area");
    rec.record = journal_str(o, "record");
    /* Clamped: a forged or corrupt time must not overflow what is computed from it. */
    rec.until = (time_t)journal_clamp(journal_int(o, "cooldown_until", 0), 0, (int64_t)TIMELINE_TIME_MAX);
    rec.time = (time_t)journal_clamp(journal_int(o, "time", 0), 0, (int64_t)TIMELINE_TIME_MAX);
    journal_saw(rec.time);
    if (journal_str(o, "boot") && strlen(journal_str(o, "boot")) == TIMELINE_BOOT_LEN - 1 &&
        (v = journal_int(o, "boot_ms", -1)) >= 0) {
        memcpy(rec.boot, journal_str(o, "boot"), TIMELINE_BOOT_LEN);
        rec.boot_ms = (uint64_t)v;
    }
    v = journal_int(o, "uid", -1);
    rec.uid = v < 0 || v > (int64_t)UINT32_MAX - 1 ? JOURNAL_ANYONE : (uid_t)v;
    rec.end = journal_str(o, "end") ? journal_str(o, "end") : "";
    rec.note = journal_str(o, "note") ? journal_str(o, "note") : "";
    rec.peak = (unsigned)journal_clamp(journal_int(o, "peak", 0), 0, 255);
    rec.ouches = (unsigned)journal_clamp(journal_int(o, "ouches", 0), 0, 65535);
    rec.target = (unsigned)journal_clamp(journal_int(o, "target", 0), 0, 255);
    v = journal_int(o, "pain", -1);
    rec.pain = v < 0 || v > CARE_PAIN_MAX ? -1 : (int)v;
    rec.flags = journal_flags(o);
    /* No side, or one this version does not know: the record counts for both sides. */
    if (!journal_str(o, "side") || profile_side_of(journal_str(o, "side"), &rec.side) < 0)
        rec.side = PROFILE_SIDE_NONE;
    {
        json_object *c;

        rec.carried = json_object_object_get_ex(o, "carried", &c) && json_object_get_boolean(c);
    }
    if (!sc->first)
        sc->first = rec.time ? rec.time : 1;
    if (!journal_is_session(rec.record)) {
        rec.serial = "";
        sc->fn(&rec, sc->ctx);
        sc->records++;
        json_object_put(o);
        return;
    }
    v = strcmp(rec.record, "start") == 0 ? journal_int(o, "session_s", 0) * 1000 : journal_int(o, "ran_ms", 0);
    rec.ran_ms = v < 0 ? 0 : (uint64_t)v;
    /* Left and right are two sessions: one's end never closes the other's start. */
    snprintf(key, sizeof(key), "%.38s\n%.38s\n%u", rec.serial, rec.area, (unsigned)rec.side);
    for (i = 0; i < sc->n_open && strcmp(sc->open_starts[i].key, key) != 0; i++)
        ;
    if (strcmp(rec.record, "start") == 0) {
        if (i == sc->n_open && sc->n_open < sizeof(sc->open_starts) / sizeof(sc->open_starts[0]))
            sc->n_open++;
        if (i < sc->n_open) {
            struct journal_open *op = &sc->open_starts[i];

            snprintf(op->key, sizeof(op->key), "%s", key);
            snprintf(op->serial, sizeof(op->serial), "%s", rec.serial);
            snprintf(op->area, sizeof(op->area), "%s", rec.area);
            op->rec = rec;
            op->rec.serial = op->serial;
            op->rec.area = op->area;
            op->rec.record = "start";
            op->rec.end = "";
            op->rec.note = "";
            op->rec.open = true;
        }
    } else {
        /* The session's own end replaces its start's full-length estimate. */
        if (i < sc->n_open)
            sc->open_starts[i] = sc->open_starts[--sc->n_open];
        sc->fn(&rec, sc->ctx);
    }
    sc->records++;
    json_object_put(o);
}

/* Every line of fd into sc; -errno if reading fails. */
static int journal_scan_fd(struct journal_scan *sc, int fd, const char *name)
{
    char chunk[65536];
    struct jline jl;   /* one line's worth of memory */
    ssize_t n;

    sc->name = name;
    sc->lineno = 0;
    sc->first = 0;
    jline_init(&jl);
    /* The whole file, in chunks, with one line's worth of memory (jline.c):
     * records are found whatever lies between them (junk of any length, NULs
     * of a power cut), in time proportional to the file. */
    while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        for (ssize_t i = 0; i < n; i++) {
            switch (jline_step(&jl, chunk[i])) {
            case JLINE_NONE:
                break;
            case JLINE_CUT:
                /* A NUL ends what came before; it is no line of its own. */
                journal_skip(sc, "a record cut short by NUL bytes");
                break;
            case JLINE_LONG:
                sc->lineno++;
                journal_skip(sc, "a line longer than any record");
                break;
            case JLINE_LINE:
                sc->lineno++;
                if (jl.ready > 0)
                    journal_take(sc, jl.line, jl.ready);
                break;
            }
        }
    }
    /* A last line without its newline: a record torn by a crash or a full
     * disk. Taken only if it is whole anyway. */
    switch (jline_finish(&jl)) {
    case JLINE_LONG:
        sc->lineno++;
        journal_skip(sc, "a torn last line");
        break;
    case JLINE_LINE:
        sc->lineno++;
        journal_take(sc, jl.line, jl.ready);
        break;
    case JLINE_NONE:
    case JLINE_CUT:
        break;
    }
    return 0;
}

static void journal_scan_begin(struct journal_scan *sc, journal_fn fn, void *ctx)
{
    memset(sc, 0, sizeof(*sc));
    sc->fn = fn;
    sc->ctx = ctx;
}

static int journal_scan_end(struct journal_scan *sc, const char *name)
{
    if (sc->skipped > 3)
        log_warning("%s: %d lines in all were not records; skipped", name, sc->skipped);
    for (size_t i = 0; i < sc->n_open; i++)
        sc->fn(&sc->open_starts[i].rec, sc->ctx);
    return sc->records;
}

int journal_replay_fd(int fd, const char *name, journal_fn fn, void *ctx)
{
    static struct journal_scan sc;   /* a few KiB: kept off the stack */
    int rc;

    journal_scan_begin(&sc, fn, ctx);
    rc = journal_scan_fd(&sc, fd, name);
    return rc < 0 ? rc : journal_scan_end(&sc, name);
}

/* One file of the journal into sc: 0 (also when it does not exist), or a
 * negative errno code with why. */
static int journal_scan_path(struct journal_scan *sc, const char *path, char *why, size_t whylen)
{
    char keep[sizeof(journal_path)];
    int fd, rc;

    sc->first = 0;   /* what the file read last began with: none, if it does not exist */
    memcpy(keep, journal_path, sizeof(keep));
    snprintf(journal_path, sizeof(journal_path), "%s", path);
    fd = journal_open(O_RDONLY, why, whylen);
    memcpy(journal_path, keep, sizeof(keep));
    if (fd == -ENOENT)
        return 0;
    if (fd < 0)
        return fd;
    rc = journal_scan_fd(sc, fd, path);
    close(fd);
    if (rc < 0)
        snprintf(why, whylen, "cannot read journal %s: %s", path, strerror(-rc));
    return rc;
}

int journal_replay(journal_fn fn, void *ctx, char *why, size_t whylen)
{
    static struct journal_scan sc;
    char old[sizeof(journal_path) + 2], cur[sizeof(journal_path)];
    int rc;

    if (!journal_path[0])
        return 0;
    journal_scan_begin(&sc, fn, ctx);
    /* The rotated file first: a start in it may end in the current one. */
    journal_old_path(old, sizeof(old));
    snprintf(cur, sizeof(cur), "%s", journal_path);
    if ((rc = journal_scan_path(&sc, old, why, whylen)) < 0)
        return rc;
    if ((rc = journal_scan_path(&sc, cur, why, whylen)) < 0)
        return rc;
    journal_first = sc.first;
    return journal_scan_end(&sc, cur);
}
