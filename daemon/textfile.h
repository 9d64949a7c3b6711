/* SPDX-License-Identifier: MIT */
/* textfile.h - reads a whole settings file without ever blocking: regular files only, bounded in size. */
#ifndef KNOT_TEXTFILE_H
#define KNOT_TEXTFILE_H

#include <stddef.h>

/* Read path into a malloc'd buffer of *len bytes plus a terminating NUL (the
 * file may hold NULs of its own: callers check). A FIFO, directory, device
 * or socket is refused at once, as is a file larger than max bytes. On error:
 * negative errno, *text NULL, and "PATH: what is wrong" in err. */
int textfile_read(const char *path, size_t max, char **text, size_t *len, char *err, size_t errlen);

#endif
