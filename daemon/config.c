/* SPDX-License-Identifier: MIT */
/* config.c - reads knotd.conf with inih; every unknown key or bad value is an error naming file:line. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <ini.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "idle.h"
#include "knot/control.h"
#include "knot/files.h"
#include "knot/num.h"
#include "knot/proto.h"
#include "log.h"
#include "textfile.h"

struct config_parse {
    struct config *c;
    const char *text;  /* the whole file, read by textfile_read() */
    size_t len, pos;
    int line;          /* line inih is handling: our reader counts them */
    int why_line;      /* line of the first error the reader or the handler found */
    char why[200];
    int seen[16];      /* config_fields[i] was set on line seen[i] (0: not yet) */
};

/* Record the first error; the reader and the handler both report here. */
static void config_why(struct config_parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void config_why(struct config_parse *p, const char *fmt, ...)
{
    va_list ap;

    if (p->why[0])
        return;
    va_start(ap, fmt);
    vsnprintf(p->why, sizeof(p->why), fmt, ap);
    va_end(ap);
    p->why_line = p->line;
}

/* Hands inih one whole line per call, so that line numbers are exact and
 * inih never splits a long line into two (the tail of a long comment was
 * parsed as a setting). Comment and blank lines reach inih empty, so their
 * length does not matter. Returns NULL at the end or after an error. */
static char *config_reader(char *buf, int size, void *user)
{
    struct config_parse *p = user;
    const char *line, *nl;
    size_t n, lead;

    if (p->why[0] || p->pos >= p->len || size < 2)
        return NULL;
    line = p->text + p->pos;
    nl = memchr(line, '\n', p->len - p->pos);
    n = nl ? (size_t)(nl - line) : p->len - p->pos;
    p->pos += n + (nl != NULL);
    p->line++;
    if (n > 0 && line[n - 1] == '\r')
        n--; /* CRLF */
    /* inih would stop at a NUL ("kn\0ot" read as "kn"); other control
     * characters are as invisible to whoever reads the file. */
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)line[i];

        if (ch == '\0') {
            config_why(p, "contains a NUL byte (column %zu)", i + 1);
            return NULL;
        }
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
            config_why(p, "contains the control character 0x%02x (column %zu)", ch, i + 1);
            return NULL;
        }
    }
    lead = 0;
    while (lead < n && (line[lead] == ' ' || line[lead] == '\t'))
        lead++;
    if (lead == n || line[lead] == '#' || line[lead] == ';') {
        buf[0] = '\0';
        return buf;
    }
    /* inih's multi-line mode would append it to the value above: an indented
     * "socket_group = root" became part of the socket's path. */
    if (lead > 0) {
        config_why(p, "indented line: a key or [section] must start at the beginning of its line "
                      "(there are no continuation lines)");
        return NULL;
    }
    /* inih cuts a value at " ;" but not at " #": neither may follow a value. */
    for (size_t i = 1; i < n; i++) {
        if ((line[i] == '#' || line[i] == ';') && (line[i - 1] == ' ' || line[i - 1] == '\t')) {
            config_why(p, "comment at the end of a line (column %zu): comments go on lines of their own", i + 1);
            return NULL;
        }
    }
    /* inih ignores whatever follows the first ']'. */
    if (line[0] == '[') {
        const char *end = memchr(line, ']', n);

        for (const char *q = end ? end + 1 : line + n; q < line + n; q++) {
            if (*q != ' ' && *q != '\t') {
                config_why(p, "text after the section header: a [section] stands alone on its line");
                return NULL;
            }
        }
    }
    if (n >= (size_t)size) {
        config_why(p, "line is %zu characters long; a setting line may have at most %d", n, size - 1);
        return NULL;
    }
    memcpy(buf, line, n);
    buf[n] = '\0';
    return buf;
}

static int config_copy(char *dst, size_t cap, const char *value, struct config_parse *p, const char *key)
{
    if (!*value) {
        config_why(p, "%s must not be empty", key);
        return 0;
    }
    if (strlen(value) >= cap) {
        config_why(p, "%s is longer than %zu characters", key, cap - 1);
        return 0;
    }
    strcpy(dst, value);
    return 1;
}

/* knotd's working directory is whatever started it: a relative path would
 * name a different file under systemd than in a shell. */
static int config_path(char *dst, size_t cap, const char *value, struct config_parse *p, const char *key)
{
    if (*value && *value != '/') {
        config_why(p, "%s '%.60s' is a relative path; it must start with /", key, value);
        return 0;
    }
    return config_copy(dst, cap, value, p, key);
}

/* A group that does not exist left the socket to root alone, with only a
 * warning at start; it is an error here, where the line is known. */
static int config_group(char *dst, size_t cap, const char *value, struct config_parse *p, const char *key)
{
    const struct group *g;

    if (!config_copy(dst, cap, value, p, key))
        return 0;
    errno = 0;
    g = getgrnam(value);
    if (g)
        return 1;
    /* getgrnam(3): these mean "no such group" rather than a failed look-up. */
    if (errno == 0 || errno == ENOENT || errno == ESRCH || errno == EBADF || errno == EPERM)
        config_why(p, "%s '%.40s' is not a group on this system", key, value);
    else
        config_why(p, "%s '%.40s': cannot look the group up: %s", key, value, strerror(errno));
    return 0;
}

/* "1209:4b4e, 1209:4b4f" */
static int config_ids(const char *value, struct config_parse *p)
{
    char buf[256];
    char *save = NULL;
    unsigned n = 0;

    if (strlen(value) >= sizeof(buf)) {
        config_why(p, "ids is too long");
        return 0;
    }
    strcpy(buf, value);
    for (char *tok = strtok_r(buf, " ,\t", &save); tok; tok = strtok_r(NULL, " ,\t", &save)) {
        char *colon = strchr(tok, ':');
        char shown[48];
        unsigned vid, pid;

        snprintf(shown, sizeof(shown), "%s", tok);
        if (n == CONFIG_MAX_IDS) {
            config_why(p, "ids lists more than %d devices", CONFIG_MAX_IDS);
            return 0;
        }
        if (!colon || colon - tok != 4 || strlen(colon + 1) != 4)
            goto bad;
        *colon = '\0';
        if (!knot_uint(tok, 16, 0, 0xffff, &vid) || !knot_uint(colon + 1, 16, 0, 0xffff, &pid))
            goto bad;
        p->c->ids[n].vid = (uint16_t)vid;
        p->c->ids[n].pid = (uint16_t)pid;
        n++;
        continue;
bad:
        config_why(p, "ids: '%s' is not VID:PID (four hex digits each, e.g. 1209:4b4e)", shown);
        return 0;
    }
    if (n == 0) {
        config_why(p, "ids must name at least one VID:PID");
        return 0;
    }
    p->c->n_ids = n;
    return 1;
}

/* How a setting's value is read into its member of struct config. */
enum config_type {
    CONFIG_T_PATH,      /* an absolute path that fits the member */
    CONFIG_T_GROUP,     /* a group that exists */
    CONFIG_T_UINT,      /* a number in base, from min to max */
    CONFIG_T_LOG,       /* error, warning, info, debug */
    CONFIG_T_IDS,       /* VID:PID, ... */
};

/* Every setting knotd.conf may hold: the one list of section, key, type and
 * range, so an unknown key is an error and every range is said the same way
 * (hostap's ssid_fields[]). knotd.conf(5) documents the same table. */
static const struct config_field {
    const char *section, *key;
    enum config_type type;
    size_t offset, size;
    int base;
    unsigned min, max;
    const char *what;   /* a CONFIG_T_UINT's kind of number; its range is added from min and max */
} config_fields[] = {
#define CONFIG_MEMBER(m) .offset = offsetof(struct config, m), .size = sizeof(((struct config *)0)->m)
    { "daemon", "socket", CONFIG_T_PATH, CONFIG_MEMBER(socket), 0, 0, 0, NULL },
    { "daemon", "socket_group", CONFIG_T_GROUP, CONFIG_MEMBER(socket_group), 0, 0, 0, NULL },
    { "daemon", "socket_mode", CONFIG_T_UINT, CONFIG_MEMBER(socket_mode), 8, 0, 0777, "an octal mode like 0660" },
    { "daemon", "profiles", CONFIG_T_PATH, CONFIG_MEMBER(profiles), 0, 0, 0, NULL },
    { "daemon", "journal", CONFIG_T_PATH, CONFIG_MEMBER(journal), 0, 0, 0, NULL },
    { "daemon", "log_level", CONFIG_T_LOG, CONFIG_MEMBER(log_level), 0, 0, 0, NULL },
    { "daemon", "max_clients", CONFIG_T_UINT, CONFIG_MEMBER(max_clients), 10, 1, 1024, "a number" },
    { "daemon", "idle_exit_s", CONFIG_T_UINT, CONFIG_MEMBER(idle_exit_s), 10, 0, IDLE_EXIT_MAX_S,
      "a number of seconds (0: never)" },
    { "usb", "ids", CONFIG_T_IDS, CONFIG_MEMBER(ids), 0, 0, 0, NULL },
#undef CONFIG_MEMBER
};

#define CONFIG_FIELDS (sizeof(config_fields) / sizeof(config_fields[0]))
_Static_assert(CONFIG_FIELDS <= sizeof(((struct config_parse *)0)->seen) / sizeof(int), "config_parse.seen is too short");

static int config_set(struct config_parse *p, const struct config_field *f, const char *value)
{
    char *member = (char *)p->c + f->offset;
    unsigned u;
    int l;

    switch (f->type) {
    case CONFIG_T_PATH:
        return config_path(member, f->size, value, p, f->key);
    case CONFIG_T_GROUP:
        return config_group(member, f->size, value, p, f->key);
    case CONFIG_T_UINT:
        if (!knot_uint(value, f->base, f->min, f->max, &u)) {
            if (f->base == 8)
                config_why(p, "%s '%.20s' is not %s (at most %04o)", f->key, value, f->what, f->max);
            else
                config_why(p, "%s '%.20s' is not %s, from %u to %u", f->key, value, f->what, f->min, f->max);
            return 0;
        }
        *(unsigned *)member = u;
        return 1;
    case CONFIG_T_LOG:
        l = log_parse_level(value);
        if (l < 0) {
            config_why(p, "%s '%.20s' is not one of error, warning, info, debug", f->key, value);
            return 0;
        }
        *(int *)member = l;
        return 1;
    case CONFIG_T_IDS:
        return config_ids(value, p);
    }
    return 0;
}

static int config_handler(void *user, const char *section, const char *key, const char *value)
{
    struct config_parse *p = user;
    bool known_section = false;

    if (p->why[0])
        return 1; /* the file is rejected already; keep the first error */
    if (!key)
        return 1; /* new-section call, only in some inih builds */
    for (size_t i = 0; i < CONFIG_FIELDS; i++) {
        if (strcmp(section, config_fields[i].section) != 0)
            continue;
        known_section = true;
        if (strcmp(key, config_fields[i].key) != 0)
            continue;
        /* Given twice, the last would win without a word: which one did the admin mean? */
        if (p->seen[i]) {
            config_why(p, "%s is set twice (first on line %d)", key, p->seen[i]);
            return 0;
        }
        p->seen[i] = p->line;
        return config_set(p, &config_fields[i], value);
    }
    if (!known_section)
        config_why(p, "unknown section [%.40s] (known: [daemon], [usb])", section);
    else
        config_why(p, "unknown key '%.40s' in [%s]", key, section);
    return 0;
}

void config_defaults(struct config *c)
{
    config_defaults_in(c, KNOT_CONFDIR, KNOT_PKGDATADIR);
}

void config_defaults_in(struct config *c, const char *confdir, const char *pkgdir)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->socket, sizeof(c->socket), "%s", KNOT_SOCKET_DEFAULT);
    snprintf(c->socket_group, sizeof(c->socket_group), "knot");
    c->socket_mode = 0660;
    knot_file(confdir, pkgdir, "profiles.conf", c->profiles, sizeof(c->profiles));
    snprintf(c->journal, sizeof(c->journal), "/var/lib/knotd/journal");
    c->log_level = LOG_L_INFO;
    c->max_clients = 64;
    c->idle_exit_s = 60;
    c->ids[0].vid = KNOT_USB_VID;
    c->ids[0].pid = KNOT_USB_PID;
    c->n_ids = 1;
}

int config_load(const char *path, struct config *c, char *err, size_t errlen)
{
    struct config_parse p = { .c = c };
    char *text;
    int line, rc;

    rc = textfile_read(path, CONFIG_FILE_MAX, &text, &p.len, err, errlen);
    if (rc == -ENOENT) {
        struct stat st;

        /* A symbolic link to nothing is the admin's file gone wrong, not no file. */
        if (lstat(path, &st) == 0) {
            snprintf(err, errlen, "%s: a symbolic link to nothing (%s)", path, strerror(ENOENT));
            return -ENOENT;
        }
        snprintf(err, errlen, "%s: not found; running on the built-in defaults", path);
        return CONFIG_ABSENT;
    }
    if (rc < 0)
        return rc;
    p.text = text;
    line = ini_parse_stream(config_reader, &p, config_handler, &p);
    free(text);
    if (line < 0) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -ENOMEM;
    }
    /* The first bad line wins: ours (reader or handler) or inih's syntax error. */
    if (p.why[0] && (line == 0 || p.why_line <= line)) {
        snprintf(err, errlen, "%s:%d: %s", path, p.why_line, p.why);
        return -EINVAL;
    }
    if (line != 0) {
        snprintf(err, errlen, "%s:%d: syntax error (expected [section] or key = value)", path, line);
        return -EINVAL;
    }
    return 0;
}
