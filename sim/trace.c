/* trace.c - writes the device-side event log, one timestamped line per event. */
#include "trace.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static FILE *trace_file;
static pthread_mutex_t trace_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t trace_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t trace_now_ms(void)
{
    return trace_now_ns() / 1000000u;
}

int trace_open(const char *path)
{
    FILE *f = fopen(path, "ae");
    if (!f)
        return -errno;
    trace_file = f;
    return 0;
}

void trace_close(void)
{
    pthread_mutex_lock(&trace_lock);
    if (trace_file)
        fclose(trace_file);
    trace_file = NULL;
    pthread_mutex_unlock(&trace_lock);
}

void trace_event(const char *fmt, ...)
{
    va_list ap;

    pthread_mutex_lock(&trace_lock);
    if (trace_file) {
        /* Timestamp taken under the lock so lines are in time order. */
        fprintf(trace_file, "%llu ", (unsigned long long)trace_now_ns());
        va_start(ap, fmt);
        vfprintf(trace_file, fmt, ap);
        va_end(ap);
        fputc('\n', trace_file);
        fflush(trace_file);
    }
    pthread_mutex_unlock(&trace_lock);
}
