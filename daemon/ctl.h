/* SPDX-License-Identifier: MIT */
/* ctl.h - knotd's control socket: connections, line framing, limits, subscribers. */
#ifndef KNOT_CTL_H
#define KNOT_CTL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"

#define CTL_OUT_MAX (64 * 1024)   /* a client's unsent output beyond this: dropped */

struct ctl_peer {
    uid_t uid;
    gid_t gid;
    pid_t pid;
    bool may_control;   /* root or a member of the socket group */
    bool stop_only;     /* admitted past the person's share: stop, ouch, down and reads only (admit.c) */
    uint64_t id;        /* the connection: never 0, never reused while knotd runs */
};

int ctl_init(const struct config *cfg);
/* Stop accepting and reading; give clients up to timeout_ms to take what is
 * queued for them (the last events: sessions ended by the shutdown). */
void ctl_drain(unsigned timeout_ms);
void ctl_exit(void);
void ctl_set_max_clients(unsigned n);
/* Control connections open now. */
unsigned ctl_count(void);
/* The socket came from systemd (socket activation): a connection while
 * knotd is gone starts it again, so it may exit when idle. */
bool ctl_activated(void);
/* fn hears of every connection that closed (EOF, an error, or dropped by
 * knotd), by its peer id, from the event loop once the close is done: never
 * from inside a broadcast or a request. Not while draining or exiting. */
void ctl_on_close(void (*fn)(uint64_t client));
/* A request, parsed: fn returns the reply (ctl sends and frees it), or NULL
 * when the reply comes later through ctl_reply(). It sets *subscribe when
 * the connection is to receive events from now on. Set by knotd's owner of
 * the commands (main.c), so that ctl never calls up into them itself. */
typedef json_object *ctl_request_fn(const struct ctl_peer *peer, json_object *req, bool *subscribe);
void ctl_on_request(ctl_request_fn *fn);
/* The reply to a request whose handler returned none yet (a start waits for
 * the massager's first look): sent to that client if it is still there, and
 * then what it sent meanwhile is read. Takes ownership of reply. */
void ctl_reply(uint64_t client, json_object *reply);
/* Send an event line to every subscriber; takes ownership of ev (NULL is ignored). */
void ctl_broadcast(json_object *ev);

#endif
