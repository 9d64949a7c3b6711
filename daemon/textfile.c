/* SPDX-License-Identifier: MIT */
/* textfile.c - reads a settings file safely from the event loop: opened non-blocking, regular files only, bounded. */
#include "textfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a path that is not a regular file is, for the error message. */
static const char *textfile_kind(mode_t mode)
{
    static const struct {
        mode_t type;
        const char *name;
    } kinds[] = {
        { S_IFIFO, "a FIFO" },
        { S_IFDIR, "a directory" },
        { S_IFCHR, "a character device" },
        { S_IFBLK, "a block device" },
        { S_IFSOCK, "a socket" },
    };

    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if ((mode & S_IFMT) == kinds[i].type)
            return kinds[i].name;
    return "not a file";
}

static void textfile_msg(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* err may be NULL when the caller wants only the code. */
static void textfile_msg(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

int textfile_read(const char *path, size_t max, char **text, size_t *len, char *err, size_t errlen)
{
    struct stat st;
    char *buf = NULL;
    size_t n = 0;
    int fd, rc;

    *text = NULL;
    *len = 0;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer (reloads run in
     * the event loop). O_NOCTTY: a terminal named by mistake stays no one's. */
    fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        rc = -errno;
        textfile_msg(err, errlen, "%s: %s", path, strerror(-rc));
        return rc;
    }
    if (fstat(fd, &st) < 0) {
        rc = -errno;
        textfile_msg(err, errlen, "%s: cannot stat: %s", path, strerror(-rc));
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = -EINVAL;
        textfile_msg(err, errlen, "%s: not a regular file (%s); refusing to read it", path,
                     textfile_kind(st.st_mode));
        goto fail;
    }
    if ((unsigned long long)st.st_size > max) {
        rc = -EFBIG;
        textfile_msg(err, errlen, "%s: %lld bytes, larger than %zu bytes; not a settings file", path,
                     (long long)st.st_size, max);
        goto fail;
    }
    buf = malloc(max + 2);
    if (!buf) {
        rc = -ENOMEM;
        textfile_msg(err, errlen, "%s: out of memory", path);
        goto fail;
    }
    /* One byte more than allowed, so a file that grew since fstat is caught. */
    while (n < max + 1) {
        ssize_t r = read(fd, buf + n, max + 1 - n);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = -errno;
            textfile_msg(err, errlen, "%s: read error: %s", path, strerror(-rc));
            goto fail;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (n > max) {
        rc = -EFBIG;
        textfile_msg(err, errlen, "%s: larger than %zu bytes; not a settings file", path, max);
        goto fail;
    }
    close(fd);
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
fail:
    free(buf);
    close(fd);
    return rc;
}
