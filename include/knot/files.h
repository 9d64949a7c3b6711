/* SPDX-License-Identifier: MIT */
/* files.h - where knotd's files are: the package's defaults in KNOT_PKGDATADIR, and the admin's own in KNOT_CONFDIR, which win. */
#ifndef KNOT_FILES_H
#define KNOT_FILES_H

#include <stdio.h>
#include <sys/stat.h>

/* The Makefile passes both from PREFIX, DATADIR and SYSCONFDIR (and
 * rebuilds what uses them when they change); a build without it (the fuzz
 * tree) gets Debian's. */
#ifndef KNOT_PKGDATADIR
#define KNOT_PKGDATADIR "/usr/share/knotd"
#endif
#ifndef KNOT_CONFDIR
#define KNOT_CONFDIR "/etc/knotd"
#endif

/* The file called name that applies, in buf: confdir/name when the admin
 * put one there (whatever it holds: a broken local file is an error, never
 * silently skipped), else pkgdir/name, the package's, so that an upgrade's
 * fixes reach every system that did not change it. */
static inline const char *knot_file(const char *confdir, const char *pkgdir, const char *name, char *buf,
                                    size_t len)
{
    struct stat st;

    snprintf(buf, len, "%s/%s", confdir, name);
    if (lstat(buf, &st) == 0)
        return buf;
    snprintf(buf, len, "%s/%s", pkgdir, name);
    return buf;
}

#endif
