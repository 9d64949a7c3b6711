/* journal.c - appends one JSON line per finished session to the journal file (O_APPEND, one write). */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static char journal_path[256];
static int journal_failing;

void journal_set_path(const char *path)
{
    snprintf(journal_path, sizeof(journal_path), "%s", path);
}

void journal_record(const char *serial, const struct session *s, uint64_t now_ms)
{
    json_object *o = json_object_new_object();
    const char *text;
    char line[2048];
    int fd, n;
    ssize_t w;

    (void)now_ms;
    json_object_object_add(o, "time", json_object_new_int64((int64_t)time(NULL)));
    json_object_object_add(o, "device", json_object_new_string(serial));
    json_object_object_add(o, "area", json_object_new_string(s->area.name));
    json_object_object_add(o, "duration_s", json_object_new_int((int)((s->end_ms - s->start_ms) / 1000)));
    json_object_object_add(o, "target", json_object_new_int((int)s->target));
    json_object_object_add(o, "ouches", json_object_new_int((int)s->ouches));
    json_object_object_add(o, "end", json_object_new_string(session_end_name(s->end)));
    text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    n = snprintf(line, sizeof(line), "%s\n", text);
    json_object_put(o);
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

int journal_replay(journal_fn fn, void *ctx)
{
    FILE *f;
    char line[2048];
    long size = 0, start;
    int n = 0, lineno = 0;

    if (!journal_path[0])
        return 0;
    f = fopen(journal_path, "re");
    if (!f)
        return errno == ENOENT ? 0 : -errno;
    /* Only the tail matters: cool-downs last hours at most. */
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > JOURNAL_REPLAY_BYTES) {
        start = size - JOURNAL_REPLAY_BYTES;
        fseek(f, start, SEEK_SET);
        if (!fgets(line, sizeof(line), f)) /* the partial first line */
            line[0] = '\0';
    } else {
        rewind(f);
    }
    while (fgets(line, sizeof(line), f)) {
        json_object *o = json_tokener_parse(line), *v;
        const char *serial = NULL, *area = NULL;
        int64_t when = -1;

        lineno++;
        if (o && json_object_object_get_ex(o, "device", &v) && json_object_is_type(v, json_type_string))
            serial = json_object_get_string(v);
        if (o && json_object_object_get_ex(o, "area", &v) && json_object_is_type(v, json_type_string))
            area = json_object_get_string(v);
        if (o && json_object_object_get_ex(o, "time", &v) && json_object_is_type(v, json_type_int))
            when = json_object_get_int64(v);
        if (serial && area && when >= 0) {
            fn(serial, area, (time_t)when, ctx);
            n++;
        } else {
            log_warning("%s:%d%s: not a session record; skipped", journal_path, lineno,
                        size > JOURNAL_REPLAY_BYTES ? " (of the replayed tail)" : "");
        }
        json_object_put(o);
    }
    fclose(f);
    return n;
}
