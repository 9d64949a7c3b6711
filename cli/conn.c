/* SPDX-License-Identifier: MIT */
/* conn.c - the control socket client side: JSON lines over a Unix stream socket, with timeouts for replies. */
#include "conn.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fail.h"
#include "jv.h"
#include "term.h"
#include "knot/control.h"
#include "sig.h"

int conn_open(struct conn *c, const char *path)
{
    struct sockaddr_un sa;
    int e;

    memset(c, 0, sizeof(*c));
    c->fd = -1;
    c->path = path;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa.sun_path)) {
        fail(FAIL_USAGE, "socket path is longer than %zu bytes: %s", sizeof(sa.sun_path) - 1, path);
        return KNOTCTL_EXIT_USAGE;
    }
    memcpy(sa.sun_path, path, strlen(path));
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        fail(FAIL_NOT_CONNECTED, "socket: %s", strerror(errno));
        return KNOTCTL_EXIT_NOT_CONNECTED;
    }
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
        return 0;
    e = errno;
    close(c->fd);
    c->fd = -1;
    switch (e) {
    case ENOENT:
    case ENOTDIR:
    case ECONNREFUSED:   /* a stale socket file left by a knotd that is gone */
        fail(FAIL_NOT_CONNECTED, "knotd is not running (no socket at %s)", path);
        return KNOTCTL_EXIT_NOT_CONNECTED;
    case EACCES:
    case EPERM:
        fail(FAIL_PERMISSION, "permission denied on %s (are you in the 'knot' group?)", path);
        return KNOTCTL_EXIT_PERMISSION;
    default:
        fail(FAIL_NOT_CONNECTED, "cannot connect to %s: %s", path, strerror(e));
        return KNOTCTL_EXIT_NOT_CONNECTED;
    }
}

void conn_close(struct conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->buf);
    c->fd = -1;
    c->buf = NULL;
    c->len = c->cap = c->used = 0;
}

json_object *conn_request_new(const char *cmd, const char *device)
{
    json_object *req = json_object_new_object();

    json_object_object_add(req, KNOT_K_CMD, json_object_new_string(cmd));
    if (device)
        json_object_object_add(req, KNOT_K_DEVICE, json_object_new_string(device));
    return req;
}

int conn_send(struct conn *c, json_object *req)
{
    const char *text = json_object_to_json_string_ext(req, KNOT_JSON_LINE_FLAGS);
    size_t n = strlen(text), off = 0;
    char *line = malloc(n + 1);

    if (!line) {
        fail(FAIL_PROTOCOL, "out of memory");
        return KNOTCTL_EXIT_PROTOCOL;
    }
    memcpy(line, text, n);
    line[n++] = '\n';
    while (off < n) {
        /* MSG_NOSIGNAL: a vanished knotd is an error to report, not a SIGPIPE death. */
        ssize_t w = send(c->fd, line + off, n - off, MSG_NOSIGNAL);
        if (w < 0) {
            int e = errno;
            if (e == EINTR)
                continue;
            free(line);
            if (e == EPIPE || e == ECONNRESET) {
                fail(FAIL_NOT_CONNECTED, "knotd closed the connection");
                return KNOTCTL_EXIT_NOT_CONNECTED;
            }
            fail(FAIL_NOT_CONNECTED, "writing to %s: %s", c->path, strerror(e));
            return KNOTCTL_EXIT_NOT_CONNECTED;
        }
        off += (size_t)w;
    }
    free(line);
    return 0;
}

void conn_deadline(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Time left until deadline; false when it has passed. */
static bool conn_left(const struct timespec *deadline, struct timespec *left)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    left->tv_sec = deadline->tv_sec - now.tv_sec;
    left->tv_nsec = deadline->tv_nsec - now.tv_nsec;
    if (left->tv_nsec < 0) {
        left->tv_sec--;
        left->tv_nsec += 1000000000L;
    }
    return left->tv_sec >= 0 && (left->tv_sec > 0 || left->tv_nsec > 0);
}

/* conn_read_line(), and with also >= 0 CONN_ALSO as soon as that fd has
 * something (*events says what) and no whole line is buffered. */
static int conn_wait_line(struct conn *c, const struct timespec *deadline, bool interruptible, int also,
                          short *events, char **line)
{
    size_t scanned = 0;

    if (c->used) {
        memmove(c->buf, c->buf + c->used, c->len - c->used);
        c->len -= c->used;
        c->used = 0;
    }
    for (;;) {
        struct timespec left;
        struct pollfd pfd[2] = { { .fd = c->fd, .events = POLLIN }, { .fd = also, .events = POLLIN } };
        char *nl = c->len > scanned ? memchr(c->buf + scanned, '\n', c->len - scanned) : NULL;
        ssize_t n;
        int r;

        if (nl) {
            *nl = '\0';
            *line = c->buf;
            c->used = (size_t)(nl - c->buf) + 1;
            return 1;
        }
        scanned = c->len;
        if (c->len >= CONN_LINE_MAX)
            return -EMSGSIZE;
        if (c->cap - c->len < 4096) {
            size_t cap = c->cap ? c->cap * 2 : 16384;
            char *b = realloc(c->buf, cap);
            if (!b)
                return -ENOMEM;
            c->buf = b;
            c->cap = cap;
        }
        if (interruptible && sig_interrupted())
            return -EINTR;
        if (deadline && !conn_left(deadline, &left))
            return -ETIMEDOUT;
        /* The signals sig.c catches are blocked except inside an interruptible ppoll(). */
        r = ppoll(pfd, also >= 0 ? 2 : 1, deadline ? &left : NULL, interruptible ? sig_wait_mask() : NULL);
        if (r < 0) {
            if (errno == EINTR)
                continue;   /* the flag is checked at the top */
            return -errno;
        }
        if (r == 0)
            return -ETIMEDOUT;
        if (also >= 0 && pfd[1].revents) {
            *events = pfd[1].revents;
            return CONN_ALSO;
        }
        if (!pfd[0].revents)
            continue;
        /* Read only what fits below CONN_LINE_MAX; the rest waits. */
        n = read(c->fd, c->buf + c->len, c->cap - c->len);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            if (errno == ECONNRESET)
                return 0;
            return -errno;
        }
        if (n == 0)
            return 0;
        c->len += (size_t)n;
    }
}

int conn_read_line(struct conn *c, const struct timespec *deadline, bool interruptible, char **line)
{
    return conn_wait_line(c, deadline, interruptible, -1, NULL, line);
}

int conn_read_line_or(struct conn *c, int also, short *events, char **line)
{
    return conn_wait_line(c, NULL, true, also, events, line);
}

int conn_read_fail(struct conn *c, int rc)
{
    switch (rc) {
    case 0:
        fail(FAIL_NOT_CONNECTED, "knotd closed the connection");
        return KNOTCTL_EXIT_NOT_CONNECTED;
    case -ETIMEDOUT:
        fail(FAIL_PROTOCOL, "knotd did not reply within %d s", CONN_REPLY_TIMEOUT_MS / 1000);
        return KNOTCTL_EXIT_PROTOCOL;
    case -EMSGSIZE:
        fail(FAIL_PROTOCOL, "knotd sent a line longer than %d bytes", CONN_LINE_MAX);
        return KNOTCTL_EXIT_PROTOCOL;
    default:
        fail(FAIL_NOT_CONNECTED, "reading from %s: %s", c->path, strerror(-rc));
        return KNOTCTL_EXIT_NOT_CONNECTED;
    }
}

json_object *conn_parse(const char *line)
{
    size_t n = strlen(line);
    json_tokener *tok;
    json_object *o;

    while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
        n--;
    tok = json_tokener_new();
    if (!tok)
        return NULL;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    o = json_tokener_parse_ex(tok, line, (int)n);
    /* Strict and complete: a truncated or doubled line is not a reply. */
    if (o && (json_tokener_get_error(tok) != json_tokener_success || json_tokener_get_parse_end(tok) != n ||
              !json_object_is_type(o, json_type_object))) {
        json_object_put(o);
        o = NULL;
    }
    json_tokener_free(tok);
    return o;
}

int conn_reply(struct conn *c, json_object **reply, char **raw)
{
    struct timespec deadline;

    *reply = NULL;
    if (raw)
        *raw = NULL;
    /* One deadline for the reply, however many event lines come first. */
    conn_deadline(&deadline, CONN_REPLY_TIMEOUT_MS);
    for (;;) {
        char *line;
        json_object *o, *ok;
        int rc = conn_read_line(c, &deadline, false, &line);

        if (rc <= 0)
            return conn_read_fail(c, rc);
        o = conn_parse(line);
        if (!o) {
            fail(FAIL_PROTOCOL, "knotd's reply is not a JSON object: %.80s", line);
            return KNOTCTL_EXIT_PROTOCOL;
        }
        if (json_object_object_get_ex(o, KNOT_K_EVENT, NULL)) {
            json_object_put(o);
            continue;
        }
        if (!json_object_object_get_ex(o, KNOT_K_OK, &ok) || !json_object_is_type(ok, json_type_boolean)) {
            fail(FAIL_PROTOCOL, "knotd's reply has no \"ok\": %.80s", line);
            json_object_put(o);
            return KNOTCTL_EXIT_PROTOCOL;
        }
        if (raw && !(*raw = strdup(line))) {
            json_object_put(o);
            fail(FAIL_PROTOCOL, "out of memory");
            return KNOTCTL_EXIT_PROTOCOL;
        }
        *reply = o;
        return 0;
    }
}

int conn_request(struct conn *c, json_object *req, json_object **reply, char **raw)
{
    int rc = conn_send(c, req);

    json_object_put(req);
    if (rc) {
        *reply = NULL;
        if (raw)
            *raw = NULL;
        return rc;
    }
    return conn_reply(c, reply, raw);
}

/* Refusals knotd words for the person (why not, until when, what to do
 * meanwhile): they are the answer, not knotctl's error, and are printed as
 * they are on stdout. */
static const char *const conn_said_to_person[] = {
    KNOT_E_NOT_ALLOWED, KNOT_E_COOLDOWN, KNOT_E_DOSE, KNOT_E_FAULT, KNOT_E_RED_FLAG, KNOT_E_PAIN_STOP,
    KNOT_E_WARM_UP,
};

bool conn_for_person(json_object *reply)
{
    const char *code = jv_str(reply, KNOT_K_CODE, "");

    for (size_t i = 0; i < sizeof(conn_said_to_person) / sizeof(conn_said_to_person[0]); i++)
        if (strcmp(code, conn_said_to_person[i]) == 0)
            return true;
    return false;
}

int conn_check(json_object *reply, bool quiet)
{
    const char *code;

    if (jv_bool(reply, KNOT_K_OK, false))
        return 0;
    code = jv_str(reply, KNOT_K_CODE, "");
    /* knotd's message says it all; its code is for programs (--json), which get its reply as a line. */
    if (!quiet && fail_is_json())
        printf("%s\n", json_object_to_json_string_ext(reply, KNOT_JSON_LINE_FLAGS));
    else if (!quiet && conn_for_person(reply))
        term_line("%s", jv_str(reply, KNOT_K_MESSAGE, "knotd refused"));
    else if (!quiet)
        fprintf(stderr, "knotctl: %s\n", jv_str(reply, KNOT_K_MESSAGE, "knotd refused"));
    return strcmp(code, KNOT_E_PERMISSION) == 0 ? KNOTCTL_EXIT_PERMISSION : KNOTCTL_EXIT_REFUSED;
}

json_object *conn_fetch(const char *path, json_object *req)
{
    struct conn c;
    json_object *reply = NULL;

    if (conn_open(&c, path)) {
        json_object_put(req);
        return NULL;
    }
    if (conn_request(&c, req, &reply, NULL) != 0 || conn_check(reply, true) != 0) {
        json_object_put(reply);
        reply = NULL;
    }
    conn_close(&c);
    return reply;
}

int conn_call(const char *path, bool json, json_object *req, json_object **reply)
{
    struct conn c;
    char *raw = NULL;
    int rc = conn_open(&c, path);

    *reply = NULL;
    if (rc) {
        json_object_put(req);
        return rc;
    }
    rc = conn_request(&c, req, reply, &raw);
    conn_close(&c);
    if (rc == 0) {
        if (json)
            printf("%s\n", raw);
        rc = conn_check(*reply, json);
    }
    free(raw);
    if (rc != 0) {
        json_object_put(*reply);
        *reply = NULL;
    }
    return rc;
}
