/* SPDX-License-Identifier: MIT */
/* ctl.c - the control socket server: accepts, frames JSON lines, enforces limits, fans out events. */
#include "ctl.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <grp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "admit.h"
#include "reply.h"
#include "knot/control.h"
#include "knot/unixsock.h"
#include "knotd.h"
#include "log.h"
#include "request.h"
#include "utf8.h"

#define CTL_CLOSE_TIMEOUT_S 5   /* a closing peer that will not read its last reply */

struct ctl_client {
    struct ctl_client *next;
    struct bufferevent *bev;
    struct ctl_peer peer;
    bool subscribed;
    bool closing;       /* flush the last reply, then close */
    bool waiting;       /* a reply comes later (ctl_reply): no further request is read meanwhile */
    bool eof;           /* the peer closed its side while a reply was still to come */
    bool resume;        /* its later reply went out: read what it sent meanwhile */
    bool dead;          /* closed (ctl_free): callbacks return at once; the loop frees it (ctl_gone_cb) */
};

static struct evconnlistener *ctl_listener;
static struct ctl_client *ctl_clients;
static unsigned ctl_n_clients, ctl_max_clients = 64;
static gid_t ctl_gid = (gid_t)-1;
static char ctl_path[108];
static bool ctl_draining;
static bool ctl_owns_path;
static bool ctl_passed;           /* the listening socket is systemd's (knotd.socket) */
static bool ctl_stopping;        /* draining or exiting: nothing is accepted or reported any more */
static uint64_t ctl_last_id;
static void (*ctl_closed_fn)(uint64_t client);
static ctl_request_fn *ctl_request;
/* Closed clients whose close is still to be reported: what the owner does
 * about it (a motor stopped, events sent) must not run inside a broadcast
 * that is walking the list, so it runs from the loop (ctl_gone_cb). */
static struct ctl_client *ctl_gone;
static struct event *ctl_gone_ev;
/* Clients whose later reply has gone: the requests they sent meanwhile are
 * read from the loop, never from inside the code that replied. */
static struct event *ctl_resume_ev;

void ctl_set_max_clients(unsigned n)
{
    ctl_max_clients = n;
}

unsigned ctl_count(void)
{
    return ctl_n_clients;
}

bool ctl_activated(void)
{
    return ctl_passed;
}

/* The one way a client goes, and the lifetime idiom massager.c follows too:
 * marked dead, out of the list, its socket closed now; its memory is freed
 * by the loop (ctl_gone_cb, or ctl_exit), after the callback that closed it
 * has returned, so that whatever still holds c can ask ctl_alive(). */
static void ctl_free(struct ctl_client *c)
{
    if (c->dead)
        return;
    c->dead = true;
    for (struct ctl_client **pp = &ctl_clients; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    bufferevent_free(c->bev);
    c->bev = NULL;
    ctl_n_clients--;
    c->next = ctl_gone;
    ctl_gone = c;
    if (ctl_gone_ev)
        event_active(ctl_gone_ev, EV_TIMEOUT, 0);
}

void ctl_on_close(void (*fn)(uint64_t client))
{
    ctl_closed_fn = fn;
}

void ctl_on_request(ctl_request_fn *fn)
{
    ctl_request = fn;
}

static void ctl_gone_cb(evutil_socket_t fd, short what, void *arg)
{
    struct ctl_client *c;

    (void)fd;
    (void)what;
    (void)arg;
    /* What the owner does may close more clients: they join the list and are taken here too. */
    while ((c = ctl_gone)) {
        ctl_gone = c->next;
        log_debug("client %llu closed", (unsigned long long)c->peer.id);
        if (ctl_closed_fn && !ctl_stopping)
            ctl_closed_fn(c->peer.id);
        free(c);
    }
}

/* Queue one line (text, without its newline); a client that lets its output
 * pile up is dropped, never waited for. Unless clean, each byte of text
 * that is not UTF-8 goes out as '?' (same length: JSON stays JSON). */
static bool ctl_send_text(struct ctl_client *c, const char *text, size_t len, bool clean)
{
    struct evbuffer *out = bufferevent_get_output(c->bev);
    size_t i = 0, n;

    if (evbuffer_get_length(out) + len + 1 > CTL_OUT_MAX) {
        log_warning("dropping client uid %u: it does not read its output", (unsigned)c->peer.uid);
        ctl_free(c);
        return false;
    }
    if (clean)
        evbuffer_add(out, text, len);
    while (!clean && i < len) {
        n = utf8_span(text + i, len - i);
        evbuffer_add(out, text + i, n);
        i += n;
        if (i < len) {
            evbuffer_add(out, "?", 1);
            i++;
        }
    }
    evbuffer_add(out, "\n", 1);
    return true;
}

/* A line for clients; *clean says whether it is valid UTF-8. Replies are
 * built so, but a text knotd takes as it is (profiles.conf is not checked
 * for UTF-8) must not reach a client raw. */
static const char *ctl_text(json_object *o, size_t *len, bool *clean)
{
    static bool said;
    const char *text = json_object_to_json_string_ext(o, KNOT_JSON_LINE_FLAGS);

    *len = strlen(text);
    *clean = utf8_valid(text, *len);
    if (!*clean && !said) {
        said = true;
        log_error("a line for clients is not valid UTF-8 (a profile text?): each stray byte is sent as '?' "
                  "(said once)");
    }
    return text;
}

static bool ctl_send(struct ctl_client *c, json_object *o)
{
    size_t len;
    bool clean;
    const char *text = ctl_text(o, &len, &clean);

    return ctl_send_text(c, text, len, clean);
}

void ctl_broadcast(json_object *ev)
{
    struct ctl_client *c, *next;
    const char *text;
    size_t len;
    bool clean;

    if (!ev)
        return;
    /* Serialized once, copied to each subscriber: a thousand subscribers cost
     * a thousand copies, not a thousand serializations. */
    text = ctl_text(ev, &len, &clean);
    for (c = ctl_clients; c; c = next) {
        next = c->next;
        if (c->subscribed && !c->closing)
            ctl_send_text(c, text, len, clean);
    }
    json_object_put(ev);
}

static void ctl_close_after_flush(struct ctl_client *c)
{
    struct timeval give_up = { CTL_CLOSE_TIMEOUT_S, 0 };

    c->closing = true;
    bufferevent_disable(c->bev, EV_READ);
    bufferevent_set_timeouts(c->bev, NULL, &give_up);
    if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
        ctl_free(c);
}

/* The one access rule: a client may be used while it is not dead. */
static bool ctl_alive(const struct ctl_client *c)
{
    return !c->dead;
}

static void ctl_handle_line(struct ctl_client *c, const char *line, size_t len)
{
    char why[REQUEST_WHY_MAX];
    json_object *req = request_parse(line, len, why, sizeof(why));
    json_object *reply;
    bool subscribe = false;

    /* A handler that returns no reply answers later (a start waits for the
     * massager's first look) through ctl_reply(), maybe before it returns:
     * meanwhile replies stay in request order, so nothing more is read. */
    c->waiting = true;
    if (!req)
        reply = reply_error(KNOT_E_BAD_REQUEST, "%s", why);
    else
        reply = ctl_request ? ctl_request(&c->peer, req, &subscribe) : reply_error(KNOT_E_UNKNOWN_COMMAND, "no commands");
    json_object_put(req);
    if (!reply) {
        /* Not read while waiting: a peer cannot pile up requests meanwhile. */
        if (ctl_alive(c) && c->waiting)
            bufferevent_disable(c->bev, EV_READ);
        return;
    }
    /* The request's own events (a start, a stop) may have dropped this very
     * client for not reading: then there is nobody to reply to. */
    if (ctl_alive(c))
        c->waiting = false;
    if (ctl_alive(c) && ctl_send(c, reply) && subscribe)
        c->subscribed = true;
    json_object_put(reply);
}

static void ctl_read_cb(struct bufferevent *bev, void *arg)
{
    struct ctl_client *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);

    while (!c->closing && !c->waiting) {
        size_t len;
        char *line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
        if (!line) {
            if (evbuffer_get_length(in) > KNOT_CONTROL_LINE_MAX)
                goto too_long;
            return;
        }
        if (len > KNOT_CONTROL_LINE_MAX) {
            free(line);
            goto too_long;
        }
        ctl_handle_line(c, line, len);
        free(line);
        /* ctl_handle_line may have dropped (freed) the client. */
        if (!ctl_alive(c))
            return;
    }
    return;

too_long: {
        json_object *e = reply_error(KNOT_E_TOO_LONG, "request longer than %d bytes; closing", KNOT_CONTROL_LINE_MAX);
        log_warning("client uid %u sent a line over %d bytes; disconnecting", (unsigned)c->peer.uid,
                    KNOT_CONTROL_LINE_MAX);
        evbuffer_drain(in, evbuffer_get_length(in));
        if (ctl_send(c, e))
            ctl_close_after_flush(c);
        json_object_put(e);
    }
}

static bool ctl_all_flushed(void)
{
    for (struct ctl_client *c = ctl_clients; c; c = c->next)
        if (evbuffer_get_length(bufferevent_get_output(c->bev)) > 0)
            return false;
    return true;
}

static void ctl_write_cb(struct bufferevent *bev, void *arg)
{
    struct ctl_client *c = arg;

    (void)bev;
    if (c->closing)
        ctl_free(c);
    if (ctl_draining && ctl_all_flushed())
        event_base_loopbreak(knotd.base);
}

/* The peer is done sending: its last request may lack a newline but is still
 * carried out; then the replies go out and the connection closes. Returns
 * false when nothing was left to carry out. */
static bool ctl_at_eof(struct ctl_client *c)
{
    struct evbuffer *in = bufferevent_get_input(c->bev);
    size_t left = evbuffer_get_length(in);
    char *line;

    if (c->closing || left == 0 || left > KNOT_CONTROL_LINE_MAX || !(line = malloc(left + 1)))
        return false;
    evbuffer_remove(in, line, left);
    line[left] = '\0';
    ctl_handle_line(c, line, left);
    free(line);
    if (!ctl_alive(c))
        return true;
    if (c->waiting)
        c->eof = true;   /* closes once its reply went out (ctl_reply) */
    else
        ctl_close_after_flush(c);
    return true;
}

static void ctl_event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct ctl_client *c = arg;

    (void)bev;
    /* `echo '{"cmd":"start",...}' | socat ...`: the peer is done sending but
     * still reads; a reply that is still to come is waited for, then close. */
    if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) && c->waiting) {
        c->eof = true;
        bufferevent_disable(c->bev, EV_READ);
        return;
    }
    /* `printf '{"cmd":"stop"}' | socat ...` */
    if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) && ctl_at_eof(c))
        return;
    ctl_free(c);
}

static struct ctl_client *ctl_find_id(uint64_t id)
{
    for (struct ctl_client *c = ctl_clients; c; c = c->next)
        if (c->peer.id == id)
            return c;
    return NULL;
}

void ctl_reply(uint64_t client, json_object *reply)
{
    struct ctl_client *c = ctl_find_id(client);

    if (!reply)
        return;
    if (c && c->waiting) {
        c->waiting = false;
        if (ctl_send(c, reply) && ctl_resume_ev) {
            c->resume = true;
            event_active(ctl_resume_ev, EV_TIMEOUT, 0);
        }
    }
    json_object_put(reply);
}

/* What the clients that got their later reply sent meanwhile is read now. */
static void ctl_resume_reading_cb(evutil_socket_t fd, short what, void *arg)
{
    struct ctl_client *c;

    (void)fd;
    (void)what;
    (void)arg;
    /* From the head each time: a request read here may drop other clients. */
    for (;;) {
        for (c = ctl_clients; c && !c->resume; c = c->next)
            ;
        if (!c)
            return;
        c->resume = false;
        if (c->waiting || c->closing)
            continue;
        ctl_read_cb(c->bev, c);
        if (!ctl_alive(c) || c->waiting || c->closing)
            continue;
        if (!c->eof)
            bufferevent_enable(c->bev, EV_READ);
        else if (!ctl_at_eof(c))
            ctl_close_after_flush(c);
    }
}

static bool ctl_peer_in_group(int fd, const struct ctl_peer *p)
{
    gid_t groups[256];
    socklen_t len = sizeof(groups);

    if (ctl_gid == (gid_t)-1)
        return false;
    if (p->gid == ctl_gid)
        return true;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
        return false;
    for (size_t i = 0; i < len / sizeof(gid_t); i++)
        if (groups[i] == ctl_gid)
            return true;
    return false;
}

static bool ctl_may_control(int fd)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);
    struct ctl_peer p;

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
        return false;
    p.gid = cred.gid;
    return cred.uid == 0 || cred.uid == geteuid() || ctl_peer_in_group(fd, &p);
}

/* accept() failing (EMFILE) would leave the connection pending and the loop
 * spinning: pause accepting for a second instead. */

static void ctl_resume_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    if (!ctl_stopping)
        evconnlistener_enable(ctl_listener);
}

static void ctl_error_cb(struct evconnlistener *l, void *arg)
{
    struct timeval pause = { 1, 0 };

    (void)arg;
    log_warning("cannot accept a connection: %s; pausing for a second", strerror(errno));
    evconnlistener_disable(l);
    event_base_once(knotd.base, -1, EV_TIMEOUT, ctl_resume_cb, NULL, &pause);
}

/* Admission (admit.c): true when the connection was refused, told why and
 * closed. The reply is best effort, non-blocking: a new connection's socket
 * buffer is empty. */
static bool ctl_refuse(int fd, const struct ucred *cred, bool *stop_only)
{
    struct admit_limits lim = { ctl_max_clients, ADMIT_RESERVED, admit_per_uid(ctl_max_clients) };
    struct admit_peer p = { ctl_n_clients, 0, false, cred->uid == 0 };
    enum admit_verdict v;
    char msg[256];
    int n;

    for (struct ctl_client *c = ctl_clients; c; c = c->next)
        p.held += c->peer.uid == cred->uid;
    /* Only asked when it matters: the group lookup reads the peer's groups. */
    p.may_control = (ctl_n_clients >= ctl_max_clients || p.held >= lim.per_uid) && ctl_may_control(fd);
    v = admit_check(&lim, &p);
    *stop_only = v == ADMIT_STOP_ONLY_OK;
    if (v == ADMIT_OK || v == ADMIT_STOP_ONLY_OK)
        return false;
    if (v == ADMIT_UID_FULL)
        n = snprintf(msg, sizeof(msg), "{\"ok\":false,\"code\":\"%s\",\"message\":\"uid %u holds %u connections, "
                     "the most one person may\"}\n", KNOT_E_TOO_MANY, (unsigned)cred->uid, p.held);
    else
        n = snprintf(msg, sizeof(msg), "{\"ok\":false,\"code\":\"%s\",\"message\":\"too many clients\"}\n",
                     KNOT_E_TOO_MANY);
    if (v == ADMIT_UID_FULL && p.held == lim.per_uid)   /* said once per flood, not per connection */
        log_warning("uid %u (pid %d) holds %u connections, its share: refusing more", (unsigned)cred->uid,
                    (int)cred->pid, p.held);
    if (n > 0 && send(fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        log_debug("could not tell a client it is one too many: %s", strerror(errno));
    close(fd);
    return true;
}

static void ctl_accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);
    struct ctl_client *c;
    bool stop_only;

    (void)l;
    (void)sa;
    (void)salen;
    (void)arg;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
        close(fd);
        return;
    }
    if (ctl_refuse(fd, &cred, &stop_only))
        return;
    c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        return;
    }
    c->peer.uid = cred.uid;
    c->peer.gid = cred.gid;
    c->peer.pid = cred.pid;
    c->peer.may_control = cred.uid == 0 || cred.uid == geteuid() || ctl_peer_in_group(fd, &c->peer);
    c->peer.stop_only = stop_only;
    c->peer.id = ++ctl_last_id;
    c->bev = bufferevent_socket_new(knotd.base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!c->bev) {
        free(c);
        close(fd);
        return;
    }
    bufferevent_setcb(c->bev, ctl_read_cb, ctl_write_cb, ctl_event_cb, c);
    bufferevent_enable(c->bev, EV_READ);
    c->next = ctl_clients;
    ctl_clients = c;
    ctl_n_clients++;
    log_debug("client %llu connected: uid %u pid %d%s", (unsigned long long)c->peer.id, (unsigned)cred.uid,
              (int)cred.pid, c->peer.may_control ? "" : " (read-only)");
}

/* Run by hand, there is no systemd to make /run/knotd: the socket's
 * directory is made here (0755, so the socket's group can reach it), one
 * level only. A parent that is missing too is said exactly. */
static int ctl_make_dir(const char *sock)
{
    char dir[108];
    char *slash;
    struct stat st;

    snprintf(dir, sizeof(dir), "%s", sock);
    slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;   /* a socket right under / */
    *slash = '\0';
    if (stat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return 0;
        log_error("cannot listen on %s: %s is not a directory", sock, dir);
        return -ENOTDIR;
    }
    if (errno != ENOENT) {
        log_error("cannot listen on %s: %s: %s", sock, dir, strerror(errno));
        return -errno;
    }
    if (mkdir(dir, 0755) < 0) {
        int e = errno;

        if (e == ENOENT)
            log_error("cannot listen on %s: its directory %s is missing, and so is the directory above it "
                      "(knotd makes only the last one)", sock, dir);
        else
            log_error("cannot listen on %s: cannot create its directory %s: %s", sock, dir, strerror(e));
        return -e;
    }
    /* The umask (systemd's UMask=0077, say) must not close it to the group. */
    if (chmod(dir, 0755) < 0)
        log_warning("cannot make %s 0755: %s", dir, strerror(errno));
    log_info("created %s for the control socket", dir);
    return 0;
}

static int ctl_bind(const struct config *cfg)
{
    pid_t other;
    int fd = knot_unix_bind_owned(cfg->socket, &other), e;

    /* One knotd per socket: a second would take the path, and every client
     * with it, from the one that drives the motor. */
    if (fd == -EBUSY && other > 0)
        log_error("another knotd (pid %ld) is serving %s: not starting a second one", (long)other, cfg->socket);
    else if (fd == -EBUSY)
        log_error("another process is serving %s (its queue is full): not starting a second knotd", cfg->socket);
    else if (fd < 0)
        log_error("cannot listen on %s: %s", cfg->socket, strerror(-fd));
    if (fd < 0)
        return fd;
    ctl_owns_path = true;
    if (ctl_gid != (gid_t)-1 && chown(cfg->socket, (uid_t)-1, ctl_gid) < 0)
        log_warning("cannot give %s to group %s: %s", cfg->socket, cfg->socket_group, strerror(errno));
    if (chmod(cfg->socket, cfg->socket_mode) < 0) {
        e = -errno;
        log_error("cannot listen on %s: chmod: %s", cfg->socket, strerror(-e));
        close(fd);
        return e;
    }
    return fd;
}

/* systemd's socket is the one knotd serves, whatever knotd.conf says:
 * socket, socket_group and socket_mode are then knotd.socket's. A path
 * that differs from knotd.conf's is said, since knotctl looks there. */
static void ctl_say_passed(int fd, const struct config *cfg)
{
    struct sockaddr_un sa;
    socklen_t len = sizeof(sa);

    memset(&sa, 0, sizeof(sa));
    if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0 || len <= offsetof(struct sockaddr_un, sun_path) ||
        !sa.sun_path[0]) {
        log_info("using the socket passed by systemd");
        return;
    }
    sa.sun_path[sizeof(sa.sun_path) - 1] = '\0';
    if (strcmp(sa.sun_path, cfg->socket))
        log_warning("using the socket passed by systemd, %s, not %s that knotd.conf names (knotctl looks there "
                    "unless told with --socket)", sa.sun_path, cfg->socket);
    else
        log_info("using the socket passed by systemd, %s", sa.sun_path);
}

int ctl_init(const struct config *cfg)
{
    struct group *g = getgrnam(cfg->socket_group);
    int fd, n;

    ctl_max_clients = cfg->max_clients;
    if (g)
        ctl_gid = g->gr_gid;
    else
        log_warning("group '%s' does not exist; only root may control knotd", cfg->socket_group);
    n = sd_listen_fds(1);
    if (n > 1) {
        log_error("socket activation passed %d sockets; knotd takes one", n);
        return -EINVAL;
    } else if (n == 1) {
        fd = SD_LISTEN_FDS_START;
        if (sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) <= 0) {
            log_error("socket activation passed something other than a listening Unix stream socket");
            return -EINVAL;
        }
        evutil_make_socket_nonblocking(fd);
        ctl_passed = true;
        ctl_say_passed(fd, cfg);
    } else {
        fd = ctl_make_dir(cfg->socket);
        if (fd < 0)
            return fd;   /* said already */
        fd = ctl_bind(cfg);
        if (fd < 0)
            return fd;   /* said already */
        snprintf(ctl_path, sizeof(ctl_path), "%s", cfg->socket);
    }
    ctl_listener = evconnlistener_new(knotd.base, ctl_accept_cb, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
                                      64, fd);
    if (!ctl_listener) {
        log_error("cannot listen on %s", cfg->socket);
        close(fd);
        return -EIO;
    }
    evconnlistener_set_error_cb(ctl_listener, ctl_error_cb);
    /* Without it a followed session would outlive its client: refuse to run. */
    ctl_gone_ev = event_new(knotd.base, -1, 0, ctl_gone_cb, NULL);
    ctl_resume_ev = event_new(knotd.base, -1, 0, ctl_resume_reading_cb, NULL);
    if (!ctl_gone_ev) {
        log_error("cannot create the event for closed clients");
        evconnlistener_free(ctl_listener);
        ctl_listener = NULL;
        if (ctl_owns_path)
            unlink(ctl_path);
        return -ENOMEM;
    }
    return 0;
}

void ctl_drain(unsigned timeout_ms)
{
    struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };

    ctl_stopping = true;
    if (ctl_listener)
        evconnlistener_disable(ctl_listener);
    for (struct ctl_client *c = ctl_clients; c; c = c->next)
        bufferevent_disable(c->bev, EV_READ);
    if (ctl_all_flushed())
        return;
    ctl_draining = true;
    event_base_loopexit(knotd.base, &tv);
    event_base_dispatch(knotd.base);
    ctl_draining = false;
}

void ctl_exit(void)
{
    struct ctl_client *c;

    ctl_stopping = true;
    while (ctl_clients)
        ctl_free(ctl_clients);
    while ((c = ctl_gone)) {
        ctl_gone = c->next;
        free(c);
    }
    if (ctl_gone_ev)
        event_free(ctl_gone_ev);
    if (ctl_resume_ev)
        event_free(ctl_resume_ev);
    ctl_resume_ev = NULL;
    ctl_gone_ev = NULL;
    if (ctl_listener)
        evconnlistener_free(ctl_listener);
    ctl_listener = NULL;
    if (ctl_owns_path)
        unlink(ctl_path);
}
