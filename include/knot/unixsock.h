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

/* A non-blocking, close-on-exec socket bound to path (not yet listening):
 * its fd, or a negative errno. A socket left at path by a crashed run is
 * replaced; anything else there (a file, a directory) is not touched, and
 * bind fails with EADDRINUSE. */
static inline int knot_unix_bind(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct stat st;
    int fd, e;

    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        e = -errno;
        close(fd);
        return e;
    }
    return fd;
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
