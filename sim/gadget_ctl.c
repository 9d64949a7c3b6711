/* SPDX-License-Identifier: MIT */
/* gadget_ctl.c - knot-gadget's control socket: scene commands and fault injection on the gadget, in knot-sim's words. */
#include "gadget_ctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "device.h"
#include "knot/unixsock.h"
#include "scene.h"

#define GCTL_LINE_MAX 512

struct gctl_client {
    int fd;
    char buf[GCTL_LINE_MAX];
    size_t len;
    bool overflow;             /* discarding the rest of an over-long line */
};

static int gctl_fd = -1;
static char gctl_path[108];
static struct gctl_client gctl_clients[GCTL_MAX_CLIENTS];
static size_t gctl_nclients;



/* knot-gadget's side of the scene commands: its one gadget. */
static int gctl_plug(void *g) { return gadget_plug(g); }
static int gctl_unplug(void *g, unsigned late_ms) { (void)late_ms; return gadget_unplug(g); }
static int gctl_fault(void *g, uint16_t bit, bool at_raise) { return gadget_fault(g, bit, at_raise); }
static int gctl_clear(void *g) { return gadget_clear(g); }
static int gctl_press(void *g, unsigned dn) { return gadget_press(g, dn); }
static int gctl_battery(void *g, unsigned pct) { return gadget_battery(g, pct); }
static int gctl_hang(void *g, bool hang) { return gadget_hang(g, hang); }
static void gctl_describe(void *g, char *buf, size_t len) { gadget_describe(g, buf, len); }

/* No fail_next: knot-sim fails a URB with EPROTO; a device controller has no
 * such knob. No monitor: on a real USB stack the other reader is a real
 * program on the host (tests/vm does that). */
static const struct scene_ops gctl_scene = {
    .plug = gctl_plug, .unplug = gctl_unplug, .fault = gctl_fault, .clear = gctl_clear, .press = gctl_press,
    .battery = gctl_battery, .hang = gctl_hang, .describe = gctl_describe,
    .why_not = "needs knot-sim: a real USB stack cannot fail a transfer on demand, and its second reader is a "
               "real program on the host",
};

void gctl_execute(struct gadget *g, const char *line, char *out, size_t outlen)
{
    char copy[GCTL_LINE_MAX];
    char *words[4] = { 0 };
    char *save = NULL;
    size_t n = 0;

    snprintf(copy, sizeof(copy), "%s", line);
    for (char *w = strtok_r(copy, " \t\r", &save); w; w = strtok_r(NULL, " \t\r", &save)) {
        if (n == sizeof(words) / sizeof(words[0])) {
            snprintf(out, outlen, "err too many words");
            return;
        }
        words[n++] = w;
    }
    /* One massager: knot-sim's @1 and @SERIAL both name it. */
    if (n > 0 && words[0][0] == '@') {
        if (strcmp(words[0] + 1, "1") != 0 && strcmp(words[0] + 1, g->cfg.serial) != 0) {
            snprintf(out, outlen, "err no device '%.32s' (use @1 or %s)", words[0] + 1, g->cfg.serial);
            return;
        }
        memmove(words, words + 1, sizeof(words) - sizeof(words[0]));
        n--;
    }
    if (n == 0) {
        snprintf(out, outlen, "err empty command");
        return;
    }
    scene_run(&gctl_scene, g, words, n, out, outlen);
}

int gctl_listen(const char *path)
{
    int fd = knot_unix_listen(path, 8);

    if (fd < 0)
        return fd;
    gctl_fd = fd;
    snprintf(gctl_path, sizeof(gctl_path), "%s", path);
    return 0;
}

static void gctl_drop(size_t i)
{
    close(gctl_clients[i].fd);
    gctl_clients[i] = gctl_clients[--gctl_nclients];
}

void gctl_close(void)
{
    while (gctl_nclients)
        gctl_drop(0);
    if (gctl_fd >= 0) {
        close(gctl_fd);
        unlink(gctl_path);
    }
    gctl_fd = -1;
}

size_t gctl_pollfds(struct pollfd *fds, size_t max)
{
    size_t n = 0;

    if (gctl_fd < 0 || max == 0)
        return 0;
    fds[n++] = (struct pollfd){ .fd = gctl_fd, .events = POLLIN };
    for (size_t i = 0; i < gctl_nclients && n < max; i++)
        fds[n++] = (struct pollfd){ .fd = gctl_clients[i].fd, .events = POLLIN };
    return n;
}

static void gctl_send(int fd, const char *reply)
{
    char line[GCTL_LINE_MAX + 2];
    int n = snprintf(line, sizeof(line), "%s\n", reply);

    /* Replies are short and the peer is a test script: one that cannot take a
     * line is gone, and its next read fails and drops it. */
    if (send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        return;
}

/* Read what client i sent; false when it is gone. */
static bool gctl_read(struct gadget *g, struct gctl_client *c)
{
    char chunk[256];
    ssize_t r = recv(c->fd, chunk, sizeof(chunk), MSG_DONTWAIT);

    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return true;
    if (r <= 0)
        return false;
    for (ssize_t i = 0; i < r; i++) {
        char ch = chunk[i];
        if (ch == '\n') {
            char reply[GCTL_LINE_MAX];
            if (c->overflow) {
                snprintf(reply, sizeof(reply), "err line too long");
            } else {
                c->buf[c->len] = '\0';
                if (memchr(c->buf, '\0', c->len))
                    snprintf(reply, sizeof(reply), "err NUL byte in command");
                else
                    gctl_execute(g, c->buf, reply, sizeof(reply));
            }
            gctl_send(c->fd, reply);
            c->len = 0;
            c->overflow = false;
        } else if (c->len + 1 >= sizeof(c->buf)) {
            c->overflow = true;
        } else if (!c->overflow) {
            c->buf[c->len++] = ch;
        }
    }
    return true;
}

void gctl_serve(struct gadget *g, const struct pollfd *fds, size_t n)
{
    /* fds[1..] follow gctl_clients in order; drop from the end so indexes hold. */
    for (size_t k = n; k-- > 1;) {
        size_t i = k - 1;
        if (i < gctl_nclients && fds[k].revents && !gctl_read(g, &gctl_clients[i]))
            gctl_drop(i);
    }
    if (n > 0 && (fds[0].revents & POLLIN)) {
        int cfd = accept4(gctl_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (cfd >= 0 && gctl_nclients == GCTL_MAX_CLIENTS)
            close(cfd);
        else if (cfd >= 0)
            gctl_clients[gctl_nclients++] = (struct gctl_client){ .fd = cfd };
    }
}
