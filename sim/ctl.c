/* SPDX-License-Identifier: MIT */
/* ctl.c - knot-sim's control socket: scripted scenes and fault injection for tests. */
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "knot/num.h"
#include "knot/unixsock.h"
#include "scene.h"

#define CTL_LINE_MAX 512

struct ctl_client {
    int fd;
    guint watch;
    char buf[CTL_LINE_MAX];
    size_t len;
    bool overflow;   /* discarding the rest of an over-long line */
};

static int ctl_fd = -1;
static guint ctl_watch;
static char *ctl_path;
static struct usbfs_dev **ctl_devs;
static size_t ctl_ndevs;
static GList *ctl_clients;



static struct usbfs_dev *ctl_find(const char *sel)
{
    unsigned idx;

    if (knot_uint(sel, 10, 0, (unsigned)ctl_ndevs, &idx))
        return idx >= 1 ? ctl_devs[idx - 1] : NULL;
    for (size_t i = 0; i < ctl_ndevs; i++)
        if (strcmp(usbfs_serial(ctl_devs[i]), sel) == 0)
            return ctl_devs[i];
    return NULL;
}

/* knot-sim's side of the scene commands: usbfs, one emulated node each. */
static int ctl_plug(void *d) { return usbfs_plug(d); }
static int ctl_unplug(void *d, unsigned late_ms) { return usbfs_unplug_late(d, late_ms); }
static int ctl_fault(void *d, uint16_t bit, bool at_raise)
{
    return at_raise ? usbfs_fault_at_raise(d, bit) : usbfs_fault(d, bit);
}
static int ctl_clear(void *d) { return usbfs_clear(d); }
static int ctl_press(void *d, unsigned dn) { return usbfs_press(d, dn); }
static int ctl_battery(void *d, unsigned pct) { return usbfs_battery(d, pct); }
static int ctl_fail_next(void *d, unsigned n) { return usbfs_fail_next(d, n); }
static int ctl_hang(void *d, bool hang) { return usbfs_hang(d, hang); }
static int ctl_monitor(void *d, unsigned ms) { return usbfs_monitor(d, ms); }
static void ctl_describe(void *d, char *buf, size_t len) { usbfs_describe(d, buf, len); }

static const struct scene_ops ctl_scene = {
    .plug = ctl_plug, .unplug = ctl_unplug, .fault = ctl_fault, .clear = ctl_clear, .press = ctl_press,
    .battery = ctl_battery, .fail_next = ctl_fail_next, .hang = ctl_hang, .monitor = ctl_monitor,
    .describe = ctl_describe,
    .late_unplug = true,
};

void ctl_execute(const char *line, char *out, size_t outlen)
{
    char *copy = g_strdup(line);
    char *words[4] = { 0 };
    size_t n = 0;
    struct usbfs_dev *d = ctl_ndevs ? ctl_devs[0] : NULL;
    char *save = NULL;

    for (char *w = strtok_r(copy, " \t\r", &save); w; w = strtok_r(NULL, " \t\r", &save)) {
        if (n == G_N_ELEMENTS(words)) {
            snprintf(out, outlen, "err too many words");
            goto done;
        }
        words[n++] = w;
    }
    if (n > 0 && words[0][0] == '@') {
        d = ctl_find(words[0] + 1);
        if (!d) {
            snprintf(out, outlen, "err no device '%.32s' (use @1..@%zu or a serial)", words[0] + 1, ctl_ndevs);
            goto done;
        }
        memmove(words, words + 1, sizeof(words) - sizeof(words[0]));
        n--;
    }
    if (n == 0) {
        snprintf(out, outlen, "err empty command");
        goto done;
    }
    scene_run(&ctl_scene, d, words, n, out, outlen);
done:
    g_free(copy);
}

static void ctl_client_free(struct ctl_client *c)
{
    ctl_clients = g_list_remove(ctl_clients, c);
    if (c->watch)
        g_source_remove(c->watch);
    close(c->fd);
    g_free(c);
}

static void ctl_send(struct ctl_client *c, const char *reply)
{
    char line[CTL_LINE_MAX + 2];
    int n = snprintf(line, sizeof(line), "%s\n", reply);

    /* Replies are short and the peer is a test script; a peer that cannot take
     * one line is gone or broken, so a failed write just drops it later. */
    if (send(c->fd, line, (size_t)n, MSG_NOSIGNAL) < 0)
        return;
}

static gboolean ctl_client_cb(gint fd, GIOCondition cond, gpointer user)
{
    struct ctl_client *c = user;
    char chunk[256];
    ssize_t r;

    (void)cond;
    r = read(fd, chunk, sizeof(chunk));
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return G_SOURCE_CONTINUE;
    if (r <= 0) {
        c->watch = 0;
        ctl_client_free(c);
        return G_SOURCE_REMOVE;
    }
    for (ssize_t i = 0; i < r; i++) {
        char ch = chunk[i];
        if (ch == '\n') {
            char reply[CTL_LINE_MAX];
            if (c->overflow) {
                ctl_send(c, "err line too long");
            } else {
                c->buf[c->len] = '\0';
                if (memchr(c->buf, '\0', c->len))
                    snprintf(reply, sizeof(reply), "err NUL byte in command");
                else
                    ctl_execute(c->buf, reply, sizeof(reply));
                ctl_send(c, reply);
            }
            c->len = 0;
            c->overflow = false;
        } else if (c->len + 1 >= sizeof(c->buf)) {
            c->overflow = true;
        } else if (!c->overflow) {
            c->buf[c->len++] = ch;
        }
    }
    return G_SOURCE_CONTINUE;
}

static gboolean ctl_accept_cb(gint fd, GIOCondition cond, gpointer user)
{
    struct ctl_client *c;
    int cfd;

    (void)cond;
    (void)user;
    cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (cfd < 0)
        return G_SOURCE_CONTINUE;
    c = g_new0(struct ctl_client, 1);
    c->fd = cfd;
    c->watch = g_unix_fd_add(cfd, G_IO_IN | G_IO_HUP | G_IO_ERR, ctl_client_cb, c);
    ctl_clients = g_list_prepend(ctl_clients, c);
    return G_SOURCE_CONTINUE;
}

int ctl_listen(const char *path, struct usbfs_dev **devs, size_t ndevs)
{
    int fd = knot_unix_listen(path, 16);

    if (fd < 0)
        return fd;
    ctl_fd = fd;
    ctl_path = g_strdup(path);
    ctl_devs = devs;
    ctl_ndevs = ndevs;
    ctl_watch = g_unix_fd_add(fd, G_IO_IN, ctl_accept_cb, NULL);
    return 0;
}

void ctl_close(void)
{
    while (ctl_clients)
        ctl_client_free(ctl_clients->data);
    if (ctl_watch)
        g_source_remove(ctl_watch);
    ctl_watch = 0;
    if (ctl_fd >= 0) {
        close(ctl_fd);
        unlink(ctl_path);
    }
    ctl_fd = -1;
    g_free(ctl_path);
    ctl_path = NULL;
}
