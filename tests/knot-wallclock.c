/* SPDX-License-Identifier: MIT */
/* knot-wallclock.c - an LD_PRELOAD shim for the scenario tests: the wall clock moved by the offset in a file, every other clock untouched. */
/*
 * KNOT_WALLCLOCK_FILE names a file holding one signed number of seconds; the
 * wall clock (time(2), gettimeofday(2), CLOCK_REALTIME*) of every process
 * under the shim is the real one plus that offset, read again at most every
 * 100 ms (a test steps the clock by rewriting the file). CLOCK_MONOTONIC,
 * CLOCK_BOOTTIME and every timer are left alone.
 *
 * Why not libfaketime (Debian's faketime 0.9.10): even with
 * FAKETIME_DONT_FAKE_MONOTONIC it shifts absolute CLOCK_MONOTONIC timerfd
 * deadlines by the offset (libusb's transfers fail once the offset exceeds
 * the uptime), its stat faking deadlocks against umockdev's preload at
 * start-up, and Python's time.sleep fails under it with EINVAL.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define WALLCLOCK_REREAD_NS 100000000LL

static long long wallclock_offset_s;
static long long wallclock_read_at_ns = -WALLCLOCK_REREAD_NS;

/* The kernel's own clocks, without going through any other preload. */
static int wallclock_raw(clockid_t id, struct timespec *ts)
{
    return (int)syscall(SYS_clock_gettime, id, ts);
}

/* The offset from the file, re-read at most every WALLCLOCK_REREAD_NS. A file
 * that cannot be read keeps the last offset. */
static long long wallclock_offset(void)
{
    const char *path = getenv("KNOT_WALLCLOCK_FILE");
    struct timespec mono;
    long long now_ns;
    char buf[32];
    ssize_t n;
    int fd;

    if (!path || wallclock_raw(CLOCK_MONOTONIC, &mono) < 0)
        return 0;
    now_ns = (long long)mono.tv_sec * 1000000000LL + mono.tv_nsec;
    if (now_ns - wallclock_read_at_ns < WALLCLOCK_REREAD_NS)
        return wallclock_offset_s;
    wallclock_read_at_ns = now_ns;
    fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return wallclock_offset_s;
    n = (ssize_t)syscall(SYS_read, fd, buf, sizeof(buf) - 1);
    syscall(SYS_close, fd);
    if (n > 0) {
        buf[n] = '\0';
        wallclock_offset_s = strtoll(buf, NULL, 10);
    }
    return wallclock_offset_s;
}

static int wallclock_is_wall(clockid_t id)
{
    return id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE;
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
    int rc = wallclock_raw(id, ts);

    if (rc == 0 && wallclock_is_wall(id))
        ts->tv_sec += (time_t)wallclock_offset();
    return rc;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
    struct timespec ts;

    (void)tz;
    if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
        return -1;
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = ts.tv_nsec / 1000;
    return 0;
}

time_t time(time_t *t)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
        return (time_t)-1;
    if (t)
        *t = ts.tv_sec;
    return ts.tv_sec;
}
