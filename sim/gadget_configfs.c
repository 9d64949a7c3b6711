/* SPDX-License-Identifier: MIT */
/* gadget_configfs.c - creates, binds, unbinds and removes knot-gadget's configfs gadget and mounts its FunctionFS. */
#include "gadget_configfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define GCFS_ROOT "/sys/kernel/config/usb_gadget"
#define GCFS_RUN "/run/knot-gadget"

/* Write one configfs attribute: DIR/REL = value. */
static int gcfs_write(const struct gcfs *c, const char *rel, const char *value)
{
    char path[512];
    size_t n = strlen(value);
    ssize_t w;
    int fd;

    snprintf(path, sizeof(path), "%s/%s", c->dir, rel);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    w = write(fd, value, n);
    if (w < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    close(fd);
    return (size_t)w == n ? 0 : -EIO;
}

static int gcfs_writef(const struct gcfs *c, const char *rel, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int gcfs_writef(const struct gcfs *c, const char *rel, const char *fmt, ...)
{
    char value[128];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(value, sizeof(value), fmt, ap);
    va_end(ap);
    return gcfs_write(c, rel, value);
}

static int gcfs_mkdir(const struct gcfs *c, const char *rel)
{
    char path[512];

    snprintf(path, sizeof(path), "%s/%s", c->dir, rel);
    return mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

/* The first UDC the kernel has, as /sys/class/udc lists it. */
static int gcfs_first_udc(char *out, size_t len)
{
    DIR *d = opendir("/sys/class/udc");
    struct dirent *e;
    int rc = -ENODEV;

    if (!d)
        return -errno;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || strlen(e->d_name) >= len)
            continue;
        memcpy(out, e->d_name, strlen(e->d_name) + 1);
        rc = 0;
        break;
    }
    closedir(d);
    return rc;
}

int gcfs_create(struct gcfs *c, const struct gcfs_params *p, char *err, size_t errlen)
{
    char link[512], target[512];
    struct stat st;
    int rc;

    memset(c, 0, sizeof(*c));
    if (p->udc) {
        snprintf(c->udc, sizeof(c->udc), "%s", p->udc);
    } else if ((rc = gcfs_first_udc(c->udc, sizeof(c->udc))) < 0) {
        snprintf(err, errlen, "no USB device controller in /sys/class/udc (%s): load its driver "
                 "(a board's, e.g. dwc2, or dummy_hcd to test)", strerror(-rc));
        return rc;
    }
    if (stat(GCFS_ROOT, &st) < 0) {
        rc = -errno;
        snprintf(err, errlen, "%s: %s (modprobe libcomposite usb_f_fs; mount -t configfs none /sys/kernel/config)",
                 GCFS_ROOT, strerror(-rc));
        return rc;
    }
    snprintf(c->dir, sizeof(c->dir), "%s/%s", GCFS_ROOT, p->name);
    if (mkdir(c->dir, 0755) < 0) {
        rc = -errno;
        snprintf(err, errlen, "%s: %s%s", c->dir, strerror(-rc),
                 rc == -EEXIST ? " (another knot-gadget runs, or one that died left it: see docs/GADGET.md)" : "");
        c->dir[0] = '\0';
        return rc;
    }
    if ((rc = gcfs_writef(c, "idVendor", "0x%04x", p->vid)) < 0 ||
        (rc = gcfs_writef(c, "idProduct", "0x%04x", p->pid)) < 0 ||
        (rc = gcfs_writef(c, "bcdDevice", "0x%04x", p->bcd_device)) < 0 ||
        (rc = gcfs_write(c, "bcdUSB", "0x0200")) < 0 ||
        /* Defined per interface (PROTOCOL.md section 2). */
        (rc = gcfs_write(c, "bDeviceClass", "0x00")) < 0 ||
        (rc = gcfs_mkdir(c, "strings/0x409")) < 0 ||
        /* Set first, so the composite layer numbers them 1, 2, 3 as the protocol says. */
        (rc = gcfs_write(c, "strings/0x409/manufacturer", p->manufacturer)) < 0 ||
        (rc = gcfs_write(c, "strings/0x409/product", p->product)) < 0 ||
        (rc = gcfs_write(c, "strings/0x409/serialnumber", p->serial)) < 0 ||
        (rc = gcfs_mkdir(c, "configs/c.1")) < 0 ||
        (rc = gcfs_write(c, "configs/c.1/bmAttributes", "0x80")) < 0 ||
        (rc = gcfs_write(c, "configs/c.1/MaxPower", "500")) < 0) {
        snprintf(err, errlen, "cannot set up %s: %s", c->dir, strerror(-rc));
        gcfs_remove(c);
        return rc;
    }
    snprintf(target, sizeof(target), "%s/functions/ffs.%s", c->dir, p->name);
    snprintf(link, sizeof(link), "%s/configs/c.1/ffs.%s", c->dir, p->name);
    if (mkdir(target, 0755) < 0 || symlink(target, link) < 0) {
        rc = -errno;
        snprintf(err, errlen, "cannot add the FunctionFS function %s: %s (modprobe usb_f_fs)", target, strerror(-rc));
        gcfs_remove(c);
        return rc;
    }
    if (mkdir(GCFS_RUN, 0755) < 0 && errno != EEXIST) {
        rc = -errno;
        snprintf(err, errlen, "%s: %s", GCFS_RUN, strerror(-rc));
        gcfs_remove(c);
        return rc;
    }
    snprintf(c->mnt, sizeof(c->mnt), "%s/%s", GCFS_RUN, p->name);
    if ((mkdir(c->mnt, 0700) < 0 && errno != EEXIST) || mount(p->name, c->mnt, "functionfs", 0, NULL) < 0) {
        rc = -errno;
        snprintf(err, errlen, "cannot mount FunctionFS %s on %s: %s", p->name, c->mnt, strerror(-rc));
        rmdir(c->mnt);
        c->mnt[0] = '\0';
        gcfs_remove(c);
        return rc;
    }
    return 0;
}

int gcfs_bind(struct gcfs *c)
{
    int rc;

    if (c->bound)
        return -EALREADY;
    rc = gcfs_write(c, "UDC", c->udc);
    if (rc == 0)
        c->bound = true;
    return rc;
}

int gcfs_unbind(struct gcfs *c)
{
    int rc;

    if (!c->bound)
        return -EALREADY;
    rc = gcfs_write(c, "UDC", "\n");
    if (rc == 0)
        c->bound = false;
    return rc;
}

void gcfs_remove(struct gcfs *c)
{
    char path[512];

    if (!c->dir[0])
        return;
    /* Each step undoes one of gcfs_create's, in reverse; one not done fails harmlessly. */
    if (c->bound)
        gcfs_unbind(c);
    if (c->mnt[0]) {
        umount2(c->mnt, 0);
        rmdir(c->mnt);
        c->mnt[0] = '\0';
    }
    snprintf(path, sizeof(path), "%s/configs/c.1", c->dir);
    {
        DIR *d = opendir(path);
        struct dirent *e;
        char link[800];

        while (d && (e = readdir(d))) {
            if (strncmp(e->d_name, "ffs.", 4) == 0) {
                snprintf(link, sizeof(link), "%s/%s", path, e->d_name);
                unlink(link);
            }
        }
        if (d)
            closedir(d);
    }
    rmdir(path);
    snprintf(path, sizeof(path), "%s/strings/0x409", c->dir);
    rmdir(path);
    {
        DIR *d;
        struct dirent *e;
        char fn[800];

        snprintf(path, sizeof(path), "%s/functions", c->dir);
        d = opendir(path);
        while (d && (e = readdir(d))) {
            if (e->d_name[0] != '.') {
                snprintf(fn, sizeof(fn), "%s/%s", path, e->d_name);
                rmdir(fn);
            }
        }
        if (d)
            closedir(d);
    }
    rmdir(c->dir);
    c->dir[0] = '\0';
}
