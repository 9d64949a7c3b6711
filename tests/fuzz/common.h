/* SPDX-License-Identifier: MIT */
/* common.h - what the libFuzzer harnesses share: the input read as a stream, a memfd standing in for a file, loud failure. */
#ifndef KNOT_FUZZ_COMMON_H
#define KNOT_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* libFuzzer's entry points (no header declares them). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The fuzz input consumed front to back; an exhausted input reads as zeros,
 * so every harness ends on its own once the bytes run out. */
struct fuzz_in {
    const uint8_t *p;
    size_t n;
};

unsigned fuzz_u8(struct fuzz_in *in);
unsigned fuzz_u16(struct fuzz_in *in);   /* little-endian */
/* Copies up to n bytes to dst and zero-fills the rest; returns how many came from the input. */
size_t fuzz_bytes(struct fuzz_in *in, uint8_t *dst, size_t n);

/* A memfd for the modules that only read files: path is /proc/self/fd/N,
 * which opens as a regular file. Exits if there is none. */
int fuzz_memfd(const char *name, char *path, size_t pathlen);
/* Replace the memfd's contents with data. */
void fuzz_memfd_fill(int fd, const uint8_t *data, size_t size);

/* An invariant is broken: say which and abort, so libFuzzer keeps the input. */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
