/* SPDX-License-Identifier: MIT */
/* fuzz_device.c - libFuzzer harness: the virtual massager's firmware core (sim/device.c) under fuzz SETUP packets, data and time; docs/PROTOCOL.md §8 and §9 checked after every call. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "device.h"

/*
 * The input: a few bytes of device configuration, then one op byte each
 * followed by what that op reads.
 *
 *   op % 16   0..7 a control request (SETUP, then the size of the data buffer)
 *             8 wait 0..255 ms   9 wait 0..65 s   10 kdev_tick
 *             11 press   12 battery   13 inject a fault   14 clear faults
 *             15 unplug, then power up again
 *
 * The rules are checked against what the device says of itself (its info
 * block) and what its trace shows, from the outside: levels only within
 * 1..N; a rise only by an accepted SET_LEVEL with no fault latched; with
 * protocol 1.1, from off only to 1, one level per rise, no rise above 1
 * before trial_ms of running nor sooner than rise_gap_ms after a change, no
 * more than ceiling_s of running unless rest_s off cleared it; a stalled
 * request leaves the level as it was; the motor never runs watchdog_ms after
 * the last request that may feed it (1.2: a taken SET_LEVEL or the
 * heartbeat; before, any); a fault means off.
 */

struct model {
    struct kdev *d;
    unsigned levels, watchdog_ms;
    bool envelope;
    bool heartbeat_only;            /* 1.2: only the heartbeat and a taken SET_LEVEL feed the watchdog */
    uint64_t trial_ms, gap_ms, ceiling_ms, rest_ms;
    unsigned level;                 /* as the trace reported it */
    uint64_t start, change, off;    /* trace times: start from off, any change, the last stop */
    uint64_t run;                   /* running time of the finished runs since the account was cleared */
    uint64_t host;                  /* the last request that may feed the watchdog */
    bool in_set;                    /* a SET_LEVEL is being handled */
    unsigned set_value;
};

static struct model m;

/* KNOT_FUZZ_TRACE=1: each request and level change on stderr, to read what a found input does. */
static bool verbose;

#define say(...) (verbose ? fprintf(stderr, __VA_ARGS__) : 0)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    verbose = getenv("KNOT_FUZZ_TRACE") != NULL;
    return 0;
}

static void trace(void *ctx, const struct kdev_note *n)
{
    struct model *mm = ctx;
    uint64_t t = mm->d->last_tick_ms;
    unsigned prev = mm->level, next = n->arg;

    say("%llu: event %d arg %u cause %s why %s\n", (unsigned long long)t, n->ev, n->arg, kdev_cause_name(n->cause),
        n->ev == KDEV_EV_REFUSED ? kdev_why_name(n->why) : "-");
    if (n->ev != KDEV_EV_LEVEL)
        return;
    if (next > mm->levels)
        fuzz_fail("level %u of a %u-level device", next, mm->levels);
    if (prev > 0)
        mm->run += t - mm->change;
    if (prev == 0 && next > 0 && t - mm->off >= mm->rest_ms)
        mm->run = 0;   /* rested long enough: the running account starts over */
    if (next > prev) {
        if (n->cause != KDEV_BY_HOST || !mm->in_set || next != mm->set_value)
            fuzz_fail("a rise %u -> %u that no accepted SET_LEVEL asked for", prev, next);
        if (mm->d->faults)
            fuzz_fail("a rise %u -> %u with faults 0x%x latched", prev, next, mm->d->faults);
        if (mm->envelope) {
            if (prev == 0 && next != 1)
                fuzz_fail("from off to %u", next);
            if (next != prev + 1)
                fuzz_fail("two levels up at once: %u -> %u", prev, next);
            if (prev > 0 && t - mm->start < mm->trial_ms)
                fuzz_fail("rise to %u %llu ms into the trial of %llu ms", next,
                          (unsigned long long)(t - mm->start), (unsigned long long)mm->trial_ms);
            if (prev > 0 && t - mm->change < mm->gap_ms)
                fuzz_fail("rise to %u %llu ms after the last change (gap %llu ms)", next,
                          (unsigned long long)(t - mm->change), (unsigned long long)mm->gap_ms);
            if (prev == 0 && mm->run >= mm->ceiling_ms)
                fuzz_fail("a start after %llu ms of running without the rest", (unsigned long long)mm->run);
        }
    }
    if (prev == 0 && next > 0)
        mm->start = t;
    if (next == 0)
        mm->off = t;
    mm->change = t;
    mm->level = next;
}

static void power_up(struct kdev *d, const struct kdev_config *cfg, uint64_t now)
{
    struct knot_info info;

    memset(&m, 0, sizeof(m));
    m.d = d;
    kdev_init(d, cfg, trace, &m, now);
    /* The device is held to what it says of itself, which may be no looser than the protocol. */
    kdev_info(d, &info);
    m.levels = info.levels;
    m.watchdog_ms = knot_le16(info.watchdog_ms);
    m.envelope = info.proto_minor >= 1;
    m.heartbeat_only = info.proto_minor >= 2;
    m.trial_ms = knot_le16(info.trial_ms);
    m.gap_ms = knot_le16(info.rise_gap_ms);
    m.ceiling_ms = knot_le16(info.ceiling_s) * 1000ull;
    m.rest_ms = knot_le16(info.rest_s) * 1000ull;
    if (m.levels < 1 || m.levels > KNOT_MAX_LEVELS || m.watchdog_ms == 0)
        fuzz_fail("info block: %u levels, %u ms watchdog", m.levels, m.watchdog_ms);
    if (m.envelope && (m.trial_ms < KNOT_TRIAL_MS || m.gap_ms < KNOT_RISE_GAP_MS ||
                       m.ceiling_ms > KNOT_CEILING_S * 1000ull || m.ceiling_ms == 0 ||
                       m.rest_ms < KNOT_REST_S * 1000ull))
        fuzz_fail("an envelope looser than the protocol's floors");
    m.off = m.host = now;
}

static void config(struct kdev_config *cfg, struct fuzz_in *in)
{
    unsigned flags = fuzz_u8(in), wd = fuzz_u8(in);

    memset(cfg, 0, sizeof(*cfg));
    cfg->levels = (uint8_t)fuzz_u8(in);
    cfg->watchdog_ms = (uint16_t)(wd ? KNOT_WATCHDOG_MS_MIN + 4 * wd : 0);
    cfg->fw_version = 0x0101;
    memcpy(cfg->serial, "FUZZDEV1", 8);
    cfg->proto_1_0 = flags & 1;
    cfg->proto_1_1 = (flags & 0x80) != 0;
    if (flags & 2)
        cfg->trial_ms = (uint16_t)fuzz_u16(in);
    if (flags & 4)
        cfg->rise_gap_ms = (uint16_t)fuzz_u16(in);
    if (flags & 8)
        cfg->ceiling_s = (uint16_t)fuzz_u16(in);
    if (flags & 16)
        cfg->rest_s = (uint16_t)fuzz_u16(in);
}

/* A SETUP packet: mostly the protocol's own requests, sometimes any 8 bytes. */
static void setup_packet(uint8_t s[8], struct fuzz_in *in)
{
    unsigned mode = fuzz_u8(in), wlength = 0;

    if (mode & 0x80) {
        fuzz_bytes(in, s, 8);
        return;
    }
    memset(s, 0, 8);
    switch (mode % 8) {
    case 0:
        s[0] = KNOT_RT_IN, s[1] = KNOT_REQ_GET_INFO, wlength = KNOT_INFO_SIZE;
        break;
    case 1:
        s[0] = KNOT_RT_IN, s[1] = KNOT_REQ_GET_STATUS, wlength = KNOT_STATUS_SIZE;
        break;
    case 5:
        s[0] = KNOT_RT_OUT, s[1] = KNOT_REQ_CLEAR_FAULT;
        break;
    case 6:
        s[0] = KNOT_RT_OUT, s[1] = KNOT_REQ_IDENTIFY, s[2] = (uint8_t)fuzz_u8(in);
        break;
    case 7:   /* a string descriptor */
        s[0] = 0x80, s[1] = 0x06, s[2] = (uint8_t)(fuzz_u8(in) % 5), s[3] = 0x03, s[4] = 0x09, s[5] = 0x04;
        wlength = 255;
        break;
    default:
        s[0] = KNOT_RT_OUT, s[1] = KNOT_REQ_SET_LEVEL, s[2] = (uint8_t)(fuzz_u8(in) % (KNOT_MAX_LEVELS + 3));
        break;
    }
    if (mode & 0x40)
        wlength = fuzz_u8(in);
    s[6] = (uint8_t)wlength;
    s[7] = (uint8_t)(wlength >> 8);
}

static void control(struct kdev *d, struct fuzz_in *in, uint64_t now)
{
    uint8_t s[8];
    unsigned capmode, wvalue, wlength;
    size_t cap;
    uint8_t *data;
    struct kdev ticked;
    bool set_level;
    int rc;

    setup_packet(s, in);
    capmode = fuzz_u8(in);
    cap = capmode % 72;
    /* Exactly cap bytes, so that ASan sees a byte written past them; the
     * protocol has no OUT data, so what they hold does not matter. */
    data = capmode == 0xff ? NULL : malloc(cap ? cap : 1);
    if (data)
        memset(data, 0xaa, cap);
    wvalue = (unsigned)(s[2] | s[3] << 8);
    wlength = (unsigned)(s[6] | s[7] << 8);
    /* What the level is once the request's own tick is done: a stall must leave it so. */
    ticked = *d;
    ticked.trace = NULL;
    kdev_tick(&ticked, now);

    set_level = s[0] == KNOT_RT_OUT && s[1] == KNOT_REQ_SET_LEVEL;
    m.in_set = set_level;
    m.set_value = wvalue;
    rc = kdev_control(d, s, data, data ? cap : 0, now);
    /* 1.2: a monitor's read, a refused SET_LEVEL or any other request never feeds the watchdog. */
    if (!m.heartbeat_only || (set_level && rc == 0) ||
        (s[0] == KNOT_RT_IN && s[1] == KNOT_REQ_GET_STATUS && wvalue == KNOT_STATUS_HEARTBEAT &&
         (unsigned)(s[4] | s[5] << 8) == KNOT_USB_INTERFACE && wlength > 0))
        m.host = now;
    m.in_set = false;
    say("%llu: request %02x %02x value %u length %u into %zu: %d, level %u\n", (unsigned long long)now, s[0], s[1],
        wvalue, wlength, cap, rc, d->level);

    if (rc == KDEV_STALL) {
        if (d->level != ticked.level)
            fuzz_fail("a stalled request (%02x %02x %u) moved the level %u -> %u", s[0], s[1], wvalue,
                      ticked.level, d->level);
    } else if (rc < 0 || (s[0] & 0x80 && ((size_t)rc > cap || (unsigned)rc > wlength)) || (!(s[0] & 0x80) && rc)) {
        fuzz_fail("request %02x %02x: %d bytes for wLength %u into %zu", s[0], s[1], rc, wlength, cap);
    } else if (set_level) {
        if (d->level != wvalue && !(d->level == 0 && d->faults))
            fuzz_fail("SET_LEVEL %u accepted, level %u", wvalue, d->level);
    } else if (s[0] == KNOT_RT_IN && s[1] == KNOT_REQ_GET_STATUS && rc >= 3 && data[2] != d->level) {
        fuzz_fail("status shows level %u, the device has %u", data[2], d->level);
    }
    if (!set_level && d->level > ticked.level)
        fuzz_fail("request %02x %02x raised the level", s[0], s[1]);
    free(data);
}

/* After every op: the state the last call left. */
static void check(const struct kdev *d)
{
    uint64_t t = d->last_tick_ms;

    if (d->level != m.level)
        fuzz_fail("level %u, but the trace said %u", d->level, m.level);
    if (d->level > m.levels)
        fuzz_fail("level %u of %u", d->level, m.levels);
    if (d->faults && d->level)
        fuzz_fail("running at %u with faults 0x%x", d->level, d->faults);
    if (d->level && t - m.host >= m.watchdog_ms)
        fuzz_fail("running %llu ms after the last request (watchdog %u ms)", (unsigned long long)(t - m.host),
                  m.watchdog_ms);
    if (m.envelope && m.run + (d->level ? t - m.change : 0) > m.ceiling_ms)
        fuzz_fail("%llu ms of running, ceiling %llu ms", (unsigned long long)(m.run + t - m.change),
                  (unsigned long long)m.ceiling_ms);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct kdev d;
    struct fuzz_in in = { data, size };
    struct kdev_config cfg;
    uint64_t now;
    unsigned steps = 0;

    config(&cfg, &in);
    now = 1000 + fuzz_u16(&in);
    power_up(&d, &cfg, now);
    while (in.n > 0 && steps++ < 4096) {
        unsigned op = fuzz_u8(&in) % 16;

        switch (op) {
        case 8:
            now += fuzz_u8(&in);
            break;
        case 9:
            now += fuzz_u16(&in);
            break;
        case 10:
            kdev_tick(&d, now);
            break;
        case 11:
            kdev_press(&d, (uint16_t)fuzz_u16(&in), now);
            break;
        case 12:
            kdev_set_battery(&d, fuzz_u8(&in), now);
            break;
        case 13:
            kdev_inject_fault(&d, (uint16_t)(fuzz_u8(&in) & KNOT_FAULT_ALL), now);
            break;
        case 14:
            kdev_clear_faults(&d, now);
            break;
        case 15:
            kdev_unplug(&d, now);
            if (d.level)
                fuzz_fail("unplugged and still running");
            power_up(&d, &cfg, now);
            break;
        default:
            control(&d, &in, now);
            break;
        }
        check(&d);
    }
    return 0;
}
