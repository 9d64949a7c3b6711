/* journal.c - appends session records to the journal (O_APPEND, one write each) and reads them back at start-up. */
#include "journal.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static char journal_path[256];
static int journal_failing;

void journal_set_path(const char *path)
{
    snprintf(journal_path, sizeof(journal_path), "%s", path);
}

static void journal_append(json_object *o)
{
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    char line[JOURNAL_LINE_MAX];
    int fd, n = snprintf(line, sizeof(line), "%s\n", text);
    ssize_t w;

    if (!journal_path[0] || n <= 0 || (size_t)n >= sizeof(line))
        return;
    /* One write() of a whole line with O_APPEND: records never interleave or tear. */
    fd = open(journal_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0 || (w = write(fd, line, (size_t)n)) != n) {
        if (!journal_failing++)
            log_warning("cannot append to journal %s: %s (sessions still run; records are lost until it works)",
                        journal_path, strerror(errno));
    } else if (journal_failing) {
        log_info("journal %s writable again", journal_path);
        journal_failing = 0;
    }
    if (fd >= 0)
        close(fd);
}

static json_object *journal_base(const char *record, const char *serial, const struct session *s, time_t now,
                                 time_t cooldown_until)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "record", json_object_new_string(record));
    json_object_object_add(o, "time", json_object_new_int64((int64_t)now));
    json_object_object_add(o, "device", json_object_new_string(serial));
    json_object_object_add(o, "area", json_object_new_string(s->area.name));
    json_object_object_add(o, "cooldown_until", json_object_new_int64((int64_t)cooldown_until));
    return o;
}

void journal_started(const char *serial, const struct session *s)
{
    time_t now = time(NULL);
    json_object *o = journal_base("start", serial, s, now,
                                  now + (time_t)s->area.session_s + (time_t)s->area.cooldown_s);

    json_object_object_add(o, "target", json_object_new_int((int)s->target));
    journal_append(o);
    json_object_put(o);
}

void journal_ended(const char *serial, const struct session *s)
{
    time_t now = time(NULL);
    json_object *o = journal_base("end", serial, s, now, now + (time_t)s->area.cooldown_s);

    json_object_object_add(o, "duration_s", json_object_new_int((int)((s->end_ms - s->start_ms) / 1000)));
    json_object_object_add(o, "target", json_object_new_int((int)s->target));
    json_object_object_add(o, "ouches", json_object_new_int((int)s->ouches));
    json_object_object_add(o, "end", json_object_new_string(session_end_name(s->end)));
    journal_append(o);
    json_object_put(o);
}

/* Starts not (yet) matched by an end: the sessions that may have been cut short by a crash. */
struct journal_open {
    char key[80];    /* "device\narea" */
    char serial[40], area[40];
    time_t until;
};

static const char *journal_str(json_object *o, const char *k)
{
    json_object *v;
    return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string) ? json_object_get_string(v)
                                                                                           : NULL;
}

/* One line: 1 a record (start or end), 0 not one. */
static int journal_parse(const char *buf, size_t len, json_object **out)
{
    json_tokener *tok;
    json_object *o, *v;

    while (len > 0 && buf[0] == '\0') {   /* a power cut can leave NULs before the next record */
        buf++;
        len--;
    }
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
    tok = json_tokener_new();
    o = json_tokener_parse_ex(tok, buf, (int)len);
    if (!o || json_tokener_get_parse_end(tok) != len || !json_object_is_type(o, json_type_object) ||
        !journal_str(o, "device") || !journal_str(o, "area") || !journal_str(o, "record") ||
        !json_object_object_get_ex(o, "cooldown_until", &v) || !json_object_is_type(v, json_type_int)) {
        json_tokener_free(tok);
        json_object_put(o);
        return 0;
    }
    json_tokener_free(tok);
    *out = o;
    return 1;
}

int journal_replay(journal_fn fn, void *ctx)
{
    struct journal_open open_starts[64];
    size_t n_open = 0, cap = 0;
    char *buf = NULL;
    ssize_t len;
    long size = 0;
    int n = 0, lineno = 0;
    bool tail;
    FILE *f;

    if (!journal_path[0])
        return 0;
    f = fopen(journal_path, "re");
    if (!f)
        return errno == ENOENT ? 0 : -errno;
    tail = fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > JOURNAL_REPLAY_BYTES;
    if (tail) {
        fseek(f, size - JOURNAL_REPLAY_BYTES, SEEK_SET);
        (void)!getline(&buf, &cap, f); /* skip the partial first line */
    } else {
        rewind(f);
    }
    while ((len = getline(&buf, &cap, f)) >= 0) {
        json_object *o;
        const char *serial, *area, *record;
        time_t until;
        char key[80];
        size_t i;

        lineno++;
        if (len > JOURNAL_LINE_MAX || !journal_parse(buf, (size_t)len, &o)) {
            log_warning("%s:%d%s: not a session record; skipped", journal_path, lineno, tail ? " (of its tail)" : "");
            continue;
        }
        serial = journal_str(o, "device");
        area = journal_str(o, "area");
        record = journal_str(o, "record");
        until = (time_t)json_object_get_int64(json_object_object_get(o, "cooldown_until"));
        snprintf(key, sizeof(key), "%.38s\n%.38s", serial, area);
        for (i = 0; i < n_open && strcmp(open_starts[i].key, key) != 0; i++)
            ;
        if (strcmp(record, "start") == 0) {
            if (i == n_open && n_open < sizeof(open_starts) / sizeof(open_starts[0]))
                n_open++;
            if (i < n_open) {
                snprintf(open_starts[i].key, sizeof(open_starts[i].key), "%s", key);
                snprintf(open_starts[i].serial, sizeof(open_starts[i].serial), "%s", serial);
                snprintf(open_starts[i].area, sizeof(open_starts[i].area), "%s", area);
                open_starts[i].until = until;
            }
        } else {
            /* The session's own end replaces its start's full-length estimate. */
            if (i < n_open)
                open_starts[i] = open_starts[--n_open];
            fn(serial, area, until, ctx);
        }
        n++;
        json_object_put(o);
    }
    for (size_t i = 0; i < n_open; i++)
        fn(open_starts[i].serial, open_starts[i].area, open_starts[i].until, ctx);
    free(buf);
    fclose(f);
    return n;
}
