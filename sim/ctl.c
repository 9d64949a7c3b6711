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

static void ctl_reply_rc(int rc, const char *what, char *out, size_t outlen)
{
    if (rc == 0)
        snprintf(out, outlen, "ok");
    else if (rc == -EALREADY)
        snprintf(out, outlen, "err already %s", what);
    else if (rc == -ENODEV)
        snprintf(out, outlen, "err device is unplugged");
    else
        snprintf(out, outlen, "err %s failed: %s", what, strerror(-rc));
}

void ctl_execute(const char *line, char *out, size_t outlen)
{
    char *copy = g_strdup(line);
    char *words[4] = { 0 };
    size_t n = 0;
    struct usbfs_dev *d = ctl_ndevs ? ctl_devs[0] : NULL;
    unsigned v;
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
#define ARGS(k) if (n != (k) + 1) { snprintf(out, outlen, "err '%s' takes %d argument(s)", words[0], (k)); goto done; }
    if (!strcmp(words[0], "plug")) {
        ARGS(0);
        ctl_reply_rc(usbfs_plug(d), "plugged", out, outlen);
    } else if (!strcmp(words[0], "unplug")) {
        unsigned ms = 0;

        /* "unplug" or "unplug late MS": the removal event MS ms after the plug is gone. */
        if (n == 3 && !strcmp(words[1], "late")) {
            if (!knot_uint(words[2], 10, 1, 10000, &ms)) {
                snprintf(out, outlen, "err 'unplug late' takes 1..10000 ms");
                goto done;
            }
        } else {
            ARGS(0);
        }
        ctl_reply_rc(usbfs_unplug_late(d, ms), "unplugged", out, outlen);
    } else if (!strcmp(words[0], "fault")) {
        uint16_t bit = n >= 2 ? knot_fault_bit(words[1]) : 0;

        if (n != 2 && !(n == 3 && !strcmp(words[2], "at-raise"))) {
            snprintf(out, outlen, "err 'fault' takes a fault name and optionally 'at-raise'");
            goto done;
        }
        if (!bit)
            snprintf(out, outlen, "err unknown fault '%.32s' (stall, overheat, low-battery)", words[1]);
        else if (n == 3)
            ctl_reply_rc(usbfs_fault_at_raise(d, bit), "fault", out, outlen);
        else
            ctl_reply_rc(usbfs_fault(d, bit), "fault", out, outlen);
    } else if (!strcmp(words[0], "clear")) {
        ARGS(0);
        ctl_reply_rc(usbfs_clear(d), "clear", out, outlen);
    } else if (!strcmp(words[0], "press")) {
        ARGS(1);
        if (!knot_tenths(words[1], 10000, &v))
            snprintf(out, outlen, "err press takes newtons 0..1000, not '%.32s'", words[1]);
        else
            ctl_reply_rc(usbfs_press(d, v), "press", out, outlen);
    } else if (!strcmp(words[0], "battery")) {
        ARGS(1);
        if (!knot_uint(words[1], 10, 0, 100, &v))
            snprintf(out, outlen, "err battery takes a percentage 0..100, not '%.32s'", words[1]);
        else
            ctl_reply_rc(usbfs_battery(d, v), "battery", out, outlen);
    } else if (!strcmp(words[0], "error")) {
        ARGS(1);
        if (!knot_uint(words[1], 10, 0, 1000000, &v))
            snprintf(out, outlen, "err error takes a count 0..1000000, not '%.32s'", words[1]);
        else
            ctl_reply_rc(usbfs_fail_next(d, v), "error", out, outlen);
    } else if (!strcmp(words[0], "hang") || !strcmp(words[0], "unhang")) {
        ARGS(0);
        ctl_reply_rc(usbfs_hang(d, words[0][0] == 'h'), words[0], out, outlen);
    } else if (!strcmp(words[0], "status")) {
        char state[256];
        ARGS(0);
        usbfs_describe(d, state, sizeof(state));
        snprintf(out, outlen, "ok %s", state);
    } else {
        snprintf(out, outlen,
                 "err unknown command '%.32s' (plug, unplug, fault, clear, press, battery, error, hang, unhang, status)",
                 words[0]);
    }
#undef ARGS
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
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    unlink(path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
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
