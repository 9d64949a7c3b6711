/* SPDX-License-Identifier: MIT */
/* unixsock.h - a Unix stream socket bound to a path, the one way knotd, knot-sim and knot-gadget make theirs. */
#ifndef KNOT_UNIXSOCK_H
#define KNOT_UNIXSOCK_H

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Whether something listens on the socket at sa: 1 (*pid its process, from
 * SO_PEERCRED; 0 when a full backlog kept the probe out), else 0. Never
 * blocks: a non-blocking connect to a Unix socket answers at once. */
static inline int knot_unix_live(const struct sockaddr_un *sa, pid_t *pid)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), live = 0;

    *pid = 0;
    if (fd < 0)
        return 0;
    if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0) {
        live = 1;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
            *pid = cred.pid;
    } else if (errno == EAGAIN) {
        live = 1;   /* listening, its backlog full */
    }
    close(fd);
    return live;
}

/* A non-blocking, close-on-exec socket bound to path (not yet listening):
 * its fd, or a negative errno. A socket left at path by a crashed run is
 * replaced; one something still listens on is not (-EBUSY, *live_pid its
 * process or 0): one server per path. Anything else there (a file, a
 * directory) is not touched, and bind fails with EADDRINUSE. live_pid may
 * be NULL. */
static inline int knot_unix_bind_owned(const char *path, pid_t *live_pid)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct stat st;
    pid_t pid;
    int fd, e;

    if (live_pid)
        *live_pid = 0;
    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
        if (knot_unix_live(&sa, &pid)) {
            if (live_pid)
                *live_pid = pid;
            return -EBUSY;
        }
        unlink(path);
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        e = -errno;
        close(fd);
        return e;
    }
    return fd;
}

static inline int knot_unix_bind(const char *path)
{
    return knot_unix_bind_owned(path, NULL);
}

/* knot_unix_bind() and listening with backlog: the listening fd, or a negative errno. */
static inline int knot_unix_listen(const char *path, int backlog)
{
    int fd = knot_unix_bind(path), e;

    if (fd < 0)
        return fd;
    if (listen(fd, backlog) < 0) {
        e = -errno;
        close(fd);
        return e;
    }
    return fd;
}

#endif
