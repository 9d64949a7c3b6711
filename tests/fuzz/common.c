/* SPDX-License-Identifier: MIT */
/* common.c - helpers of the libFuzzer harnesses: input stream, memfd files, failing with a message. */
#include "common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

unsigned fuzz_u8(struct fuzz_in *in)
{
    if (in->n == 0)
        return 0;
    in->n--;
    return *in->p++;
}

unsigned fuzz_u16(struct fuzz_in *in)
{
    unsigned lo = fuzz_u8(in);

    return lo | fuzz_u8(in) << 8;
}

size_t fuzz_bytes(struct fuzz_in *in, uint8_t *dst, size_t n)
{
    size_t k = n < in->n ? n : in->n;

    memcpy(dst, in->p, k);
    memset(dst + k, 0, n - k);
    in->p += k;
    in->n -= k;
    return k;
}

int fuzz_memfd(const char *name, char *path, size_t pathlen)
{
    int fd = memfd_create(name, MFD_CLOEXEC);

    if (fd < 0) {
        perror("memfd_create");
        exit(2);
    }
    snprintf(path, pathlen, "/proc/self/fd/%d", fd);
    return fd;
}

void fuzz_memfd_fill(int fd, const uint8_t *data, size_t size)
{
    /* Truncate first: a shorter input must not keep the tail of the last. */
    if (ftruncate(fd, 0) < 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size)) {
        perror("memfd write");
        exit(2);
    }
}

void fuzz_fail(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "fuzz invariant broken: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}
