/* SPDX-License-Identifier: MIT */
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

void trace_note(const char *s, const struct kdev_note *n)
{
    switch (n->ev) {
    case KDEV_EV_LEVEL:
        trace_event("level %u by=%s dev=%s", n->arg, kdev_cause_name(n->cause), s);
        break;
    case KDEV_EV_FAULT:
        trace_event("fault %s dev=%s", kdev_fault_name((uint16_t)n->arg), s);
        break;
    case KDEV_EV_CLEAR:
        trace_event("clear 0x%x by=%s dev=%s", n->arg, kdev_cause_name(n->cause), s);
        break;
    case KDEV_EV_IDENTIFY:
        trace_event("identify %u dev=%s", n->arg, s);
        break;
    case KDEV_EV_REFUSED:
        if (n->request_type == KNOT_RT_OUT && n->request == KNOT_REQ_SET_LEVEL)
            trace_event("refused level %u why=%s dev=%s", n->arg, kdev_why_name(n->why), s);
        else if (n->request_type == KNOT_RT_OUT && n->request == KNOT_REQ_CLEAR_FAULT)
            trace_event("refused clear why=%s dev=%s", kdev_why_name(n->why), s);
        else
            trace_event("refused request 0x%02x/0x%02x why=%s dev=%s", n->request_type, n->request,
                        kdev_why_name(n->why), s);
        break;
    }
}

void trace_request(const char *serial, const uint8_t *setup)
{
    static const char *const names[] = {
        [KNOT_REQ_GET_INFO] = "info", [KNOT_REQ_GET_STATUS] = "status", [KNOT_REQ_SET_LEVEL] = "level",
        [KNOT_REQ_CLEAR_FAULT] = "clear", [KNOT_REQ_IDENTIFY] = "identify",
    };
    unsigned rt = setup[0], req = setup[1], value = (unsigned)(setup[2] | setup[3] << 8);

    if ((rt == KNOT_RT_IN || rt == KNOT_RT_OUT) && req < sizeof(names) / sizeof(names[0]) && names[req])
        trace_event("req %s %u dev=%s", names[req], value, serial);
    else
        trace_event("req 0x%02x/0x%02x %u dev=%s", rt, req, value, serial);
}
