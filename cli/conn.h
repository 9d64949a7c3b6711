/* SPDX-License-Identifier: MIT */
/* conn.h - knotctl's connection to knotd: connect, send one JSON request line, read reply and event lines. */
#ifndef KNOTCTL_CONN_H
#define KNOTCTL_CONN_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define CONN_REPLY_TIMEOUT_MS 5000        /* a wedged knotd must not hang knotctl */
#define CONN_LINE_MAX (1024 * 1024)       /* longest reply or event line accepted */

struct conn {
    int fd;
    const char *path;
    char *buf;      /* received bytes; lines handed out point into it */
    size_t len;     /* bytes in buf */
    size_t cap;
    size_t used;    /* bytes at the front already handed out as lines */
};

/* The functions returning int return a knotctl exit code (0 = fine) and have
 * printed "knotctl: ..." to stderr when it is not 0. */
int conn_open(struct conn *c, const char *path);
void conn_close(struct conn *c);

/* {"cmd": cmd} plus "device" when device is not NULL. */
json_object *conn_request_new(const char *cmd, const char *device);
int conn_send(struct conn *c, json_object *req);

/* deadline for conn_read_line from now */
void conn_deadline(struct timespec *ts, int ms);
/* Next line, without its newline, valid until the next call: 1; 0 when knotd
 * closed the connection; -ETIMEDOUT, -EMSGSIZE, -EINTR (only if interruptible
 * and a signal sig.c catches arrived) or another -errno. deadline NULL waits for ever. */
int conn_read_line(struct conn *c, const struct timespec *deadline, bool interruptible, char **line);
/* conn_read_line() with no deadline, interruptible, that also watches the fd
 * also: CONN_ALSO, with *events its poll() revents, when it has something
 * before a whole line is there (the line is not lost: it comes next time). */
#define CONN_ALSO 2
int conn_read_line_or(struct conn *c, int also, short *events, char **line);
/* The exit code and message for a conn_read_line() result <= 0. */
int conn_read_fail(struct conn *c, int rc);

/* A line as a JSON object, or NULL when it is not one. */
json_object *conn_parse(const char *line);
/* The next reply line (event lines are skipped), within CONN_REPLY_TIMEOUT_MS.
 * *reply must be put by the caller; *raw (if raw) freed. */
int conn_reply(struct conn *c, json_object **reply, char **raw);
/* conn_send() then conn_reply(); req is consumed. */
int conn_request(struct conn *c, json_object *req, json_object **reply, char **raw);
/* 0 for {"ok":true}; otherwise knotd's message (unless quiet) and its exit
 * code. A refusal worded for the person (conn_for_person) goes to stdout as
 * it is; any other to stderr after "knotctl: ". */
int conn_check(json_object *reply, bool quiet);
/* A refusal knotd words for the person: the massager does not belong there,
 * rest, the day's dose, a fault and what to do about it, a red flag from a
 * check-in (whom to see, how to clear it). */
bool conn_for_person(json_object *reply);
/* One request on its own connection: connect, send (req is consumed), read
 * the reply, print it raw when json, check it. On 0, *reply holds it for the
 * caller to put; otherwise *reply is NULL. */
int conn_call(const char *path, bool json, json_object *req, json_object **reply);
/* Best effort, for what only adds to an answer already given: one request on
 * its own connection (req is consumed); the reply when it is {"ok":true},
 * else NULL, with nothing printed for a refusal. The caller puts it. */
json_object *conn_fetch(const char *path, json_object *req);

#endif
