/* SPDX-License-Identifier: MIT */
/* test_device.c - cmocka unit tests of the virtual massager's firmware core, on a fake clock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "device.h"

#define T0 1000u          /* fake clock origin: not 0, so absolute/relative mix-ups show */
#define KDEV_STALL_CLEAR_DN_TEST 100u   /* PROTOCOL.md: a stall clears below 10.0 N */
#define MAX_EVENTS 64

struct event {
    enum kdev_event ev;
    unsigned arg;
    enum kdev_cause cause;
};

/* A request the device refused, as its trace reported it. */
struct refusal {
    uint8_t request_type, request;
    unsigned value;
    enum kdev_why why;
};

struct fix {
    struct kdev dev;
    uint64_t now;
    struct event ev[MAX_EVENTS];
    size_t nev;
    struct refusal refused[MAX_EVENTS];
    size_t nrefused;
    size_t overflow;
};

/* Decoded GET_STATUS answer, host byte order, read at the documented offsets. */
struct st {
    int rc;
    unsigned seq, level, last_stop, ppm, current_ma, force_dn, faults, battery_pct, reserved;
    int temp_dc;
};

/* Refusals go to their own list, so that the event lists of the tests stay
 * about what the motor did. */
static void record(void *ctx, const struct kdev_note *n)
{
    struct fix *f = ctx;

    if (n->ev == KDEV_EV_REFUSED) {
        if (f->nrefused == MAX_EVENTS) {
            f->overflow++;
            return;
        }
        f->refused[f->nrefused].request_type = n->request_type;
        f->refused[f->nrefused].request = n->request;
        f->refused[f->nrefused].value = n->arg;
        f->refused[f->nrefused].why = n->why;
        f->nrefused++;
        return;
    }
    if (f->nev == MAX_EVENTS) {
        f->overflow++;
        return;
    }
    f->ev[f->nev].ev = n->ev;
    f->ev[f->nev].arg = n->arg;
    f->ev[f->nev].cause = n->cause;
    f->nev++;
}

/* The last refusal was of this request, for this reason. */
static void assert_refused(const struct fix *f, uint8_t request, unsigned value, enum kdev_why why)
{
    assert_true(f->nrefused > 0);
    assert_int_equal(f->refused[f->nrefused - 1].request, request);
    assert_int_equal(f->refused[f->nrefused - 1].value, value);
    assert_int_equal(f->refused[f->nrefused - 1].why, why);
}

static void init_dev(struct fix *f, uint8_t levels, uint16_t watchdog_ms, const char *serial)
{
    struct kdev_config cfg;

    memset(&cfg, 0, sizeof(cfg));
    cfg.levels = levels;
    cfg.watchdog_ms = watchdog_ms;
    cfg.fw_version = 0x0102;
    memcpy(cfg.serial, serial, strnlen(serial, KNOT_SERIAL_LEN));   /* cfg is zeroed: terminated */
    f->nev = 0;
    f->nrefused = 0;
    f->overflow = 0;
    f->now = T0;
    kdev_init(&f->dev, &cfg, record, f, f->now);
}

/* For tests of the motor model, faults and blocks: the envelope is not their
 * subject, and a 1.0 device has none, so they may jump between levels. */
static void no_envelope(struct fix *f)
{
    f->dev.cfg.proto_1_0 = true;
}

static int setup(void **state)
{
    static struct fix fixture;

    memset(&fixture, 0, sizeof(fixture));
    init_dev(&fixture, 8, 0, "KN0001");
    *state = &fixture;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;

    assert_int_equal(f->overflow, 0);
    return 0;
}

static int ctl(struct fix *f, uint8_t rt, uint8_t req, uint16_t wvalue, uint16_t windex, uint16_t wlength,
               uint8_t *buf, size_t cap)
{
    uint8_t s[8] = {
        rt, req,
        (uint8_t)(wvalue & 0xff), (uint8_t)(wvalue >> 8),
        (uint8_t)(windex & 0xff), (uint8_t)(windex >> 8),
        (uint8_t)(wlength & 0xff), (uint8_t)(wlength >> 8),
    };

    return kdev_control(&f->dev, s, buf, cap, f->now);
}

static int set_level(struct fix *f, unsigned level)
{
    return ctl(f, KNOT_RT_OUT, KNOT_REQ_SET_LEVEL, (uint16_t)level, KNOT_USB_INTERFACE, 0, NULL, 0);
}

static int clear_fault(struct fix *f)
{
    return ctl(f, KNOT_RT_OUT, KNOT_REQ_CLEAR_FAULT, 0, KNOT_USB_INTERFACE, 0, NULL, 0);
}

static unsigned le16_at(const uint8_t *b, size_t off)
{
    return (unsigned)(b[off] | b[off + 1] << 8);
}

static unsigned long le32_at(const uint8_t *b, size_t off)
{
    return (unsigned long)b[off] | (unsigned long)b[off + 1] << 8 | (unsigned long)b[off + 2] << 16 |
           (unsigned long)b[off + 3] << 24;
}

static struct st decode_status(const uint8_t *b)
{
    struct st s;

    memset(&s, 0, sizeof(s));
    s.seq = le16_at(b, 0);
    s.level = b[2];
    s.last_stop = b[3];
    s.ppm = le16_at(b, 4);
    s.current_ma = le16_at(b, 6);
    s.temp_dc = (int16_t)le16_at(b, 8);
    s.force_dn = le16_at(b, 10);
    s.faults = le16_at(b, 12);
    s.battery_pct = b[14];
    s.reserved = b[15];
    return s;
}

static struct st status_with(struct fix *f, uint16_t wvalue)
{
    uint8_t b[KNOT_STATUS_SIZE];
    int rc;
    struct st s;

    memset(b, 0xaa, sizeof(b));
    rc = ctl(f, KNOT_RT_IN, KNOT_REQ_GET_STATUS, wvalue, KNOT_USB_INTERFACE, KNOT_STATUS_SIZE, b, sizeof(b));
    s = decode_status(b);
    s.rc = rc;
    return s;
}

/* The driving host's poll: its heartbeat (1.2). */
static struct st get_status(struct fix *f)
{
    return status_with(f, KNOT_STATUS_HEARTBEAT);
}

/* A monitor's read (wValue 0): it feeds no watchdog on a 1.2 device. */
static struct st read_status(struct fix *f)
{
    return status_with(f, 0);
}

/* The snapshot without side effects: no seq bump, no watchdog feed. */
static struct st peek(struct fix *f)
{
    struct knot_status ks;

    kdev_status(&f->dev, &ks);
    return decode_status((const uint8_t *)&ks);
}

static void advance(struct fix *f, uint64_t ms)
{
    f->now += ms;
    kdev_tick(&f->dev, f->now);
}

/* The host while running: GET_STATUS every 50 ms, ticking in between like the front end. */
static void poll_for(struct fix *f, uint64_t ms)
{
    uint64_t end = f->now + ms;

    while (f->now < end) {
        advance(f, 10);
        if ((f->now - T0) % KNOT_HEARTBEAT_MS == 0)
            assert_int_equal(get_status(f).rc, f->dev.cfg.proto_1_0 ? KNOT_STATUS_SIZE_1_0 : KNOT_STATUS_SIZE);
    }
}

static void assert_event(const struct fix *f, size_t i, enum kdev_event ev, unsigned arg, enum kdev_cause cause)
{
    assert_true(i < f->nev);
    assert_int_equal(f->ev[i].ev, ev);
    assert_int_equal(f->ev[i].arg, arg);
    assert_int_equal(f->ev[i].cause, cause);
}

/* ---- blocks ---- */

static void test_info_roundtrip(void **state)
{
    struct fix *f = *state;
    uint8_t b[64];
    struct knot_info info;
    unsigned i;

    memset(b, 0xaa, sizeof(b));
    assert_int_equal(ctl(f, KNOT_RT_IN, KNOT_REQ_GET_INFO, 0, 0, KNOT_INFO_SIZE, b, sizeof(b)), KNOT_INFO_SIZE);
    assert_int_equal(b[KNOT_INFO_SIZE], 0xaa);   /* nothing written past the block */
    memcpy(&info, b, sizeof(info));
    assert_int_equal(info.proto_major, KNOT_PROTO_MAJOR);
    assert_int_equal(info.proto_minor, KNOT_PROTO_MINOR);
    assert_int_equal(knot_le16(info.fw_version), 0x0102);
    assert_int_equal(info.levels, 8);
    assert_int_equal(info.reserved, 0);
    assert_int_equal(knot_le16(info.watchdog_ms), KNOT_WATCHDOG_MS_DEFAULT);
    for (i = 0; i < 8; i++)
        assert_int_equal(knot_le16(info.ppm[i]), 1800 + 200 * i);
    assert_memory_equal(info.serial, "KN0001\0\0\0\0\0\0\0\0\0\0", KNOT_SERIAL_LEN);

    /* the documented byte offsets */
    assert_int_equal(b[0], 1);
    assert_int_equal(le16_at(b, 2), 0x0102);
    assert_int_equal(b[4], 8);
    assert_int_equal(le16_at(b, 6), 250);
    assert_int_equal(le16_at(b, 8), 1800);
    assert_int_equal(le16_at(b, 22), 3200);
    assert_memory_equal(b + 24, "KN0001", 6);

    /* the same bytes as the local snapshot */
    kdev_info(&f->dev, &info);
    assert_memory_equal(&info, b, KNOT_INFO_SIZE);

    /* short reads are truncated like USB does, a longer wLength gets the block */
    memset(b, 0xaa, sizeof(b));
    assert_int_equal(ctl(f, KNOT_RT_IN, KNOT_REQ_GET_INFO, 0, 0, 4, b, sizeof(b)), 4);
    assert_int_equal(b[0], KNOT_PROTO_MAJOR);
    assert_int_equal(b[4], 0xaa);
    assert_int_equal(ctl(f, KNOT_RT_IN, KNOT_REQ_GET_INFO, 0, 0, 64, b, sizeof(b)), KNOT_INFO_SIZE);
    assert_int_equal(ctl(f, KNOT_RT_IN, KNOT_REQ_GET_INFO, 0, 0, 0, b, sizeof(b)), KDEV_STALL);
    assert_int_equal(f->nev, 0);
}

static void test_info_levels_and_clamps(void **state)
{
    struct fix *f = *state;
    struct knot_info info;
    unsigned i;

    init_dev(f, 3, 0, "A");
    kdev_info(&f->dev, &info);
    assert_int_equal(info.levels, 3);
    assert_int_equal(knot_le16(info.ppm[0]), 1800);
    assert_int_equal(knot_le16(info.ppm[1]), 2500);
    assert_int_equal(knot_le16(info.ppm[2]), 3200);
    for (i = 3; i < KNOT_MAX_LEVELS; i++)
        assert_int_equal(info.ppm[i], 0);

    init_dev(f, 4, 0, "A");   /* linear, rounded to the nearest ppm */
    kdev_info(&f->dev, &info);
    assert_int_equal(knot_le16(info.ppm[0]), 1800);
    assert_int_equal(knot_le16(info.ppm[1]), 2267);
    assert_int_equal(knot_le16(info.ppm[2]), 2733);
    assert_int_equal(knot_le16(info.ppm[3]), 3200);
    assert_int_equal(info.ppm[4], 0);

    init_dev(f, 0, 0, "A");   /* clamped up to 1 level at 1800 */
    kdev_info(&f->dev, &info);
    assert_int_equal(info.levels, 1);
    assert_int_equal(knot_le16(info.ppm[0]), 1800);
    assert_int_equal(info.ppm[1], 0);

    init_dev(f, 12, 0, "A");  /* clamped down to the table size */
    kdev_info(&f->dev, &info);
    assert_int_equal(info.levels, KNOT_MAX_LEVELS);
    assert_int_equal(knot_le16(info.ppm[KNOT_MAX_LEVELS - 1]), 3200);

    /* a full 16-character serial fills the field without a terminator */
    init_dev(f, 8, 0, "0123456789ABCDEF");
    kdev_info(&f->dev, &info);
    assert_memory_equal(info.serial, "0123456789ABCDEF", KNOT_SERIAL_LEN);
}

static void test_status_roundtrip_seq(void **state)
{
    struct fix *f = *state;
    uint8_t b[KNOT_STATUS_SIZE];
    struct knot_status ks;
    struct st s;

    s = get_status(f);
    assert_int_equal(s.rc, KNOT_STATUS_SIZE);
    assert_int_equal(s.seq, 1);
    assert_int_equal(s.level, 0);
    assert_int_equal(s.last_stop, KNOT_STOP_NONE);
    assert_int_equal(s.ppm, 0);
    assert_int_equal(s.current_ma, 0);
    assert_int_equal(s.temp_dc, 250);
    assert_int_equal(s.force_dn, 0);
    assert_int_equal(s.faults, 0);
    assert_int_equal(s.battery_pct, 100);
    assert_int_equal(s.reserved, 0);
    assert_int_equal(get_status(f).seq, 2);
    assert_int_equal(get_status(f).seq, 3);

    /* the local snapshot does not bump seq */
    assert_int_equal(peek(f).seq, 3);
    assert_int_equal(peek(f).seq, 3);

    /* a stalled read (wLength 0) does not count either */
    assert_int_equal(ctl(f, KNOT_RT_IN, KNOT_REQ_GET_STATUS, 0, 0, 0, b, sizeof(b)), KDEV_STALL);

    assert_int_equal(set_level(f, 1), 0);
    kdev_press(&f->dev, 123, f->now);
    advance(f, 100);
    assert_int_equal(ctl(f, KNOT_RT_IN, KNOT_REQ_GET_STATUS, 0, 0, KNOT_STATUS_SIZE, b, sizeof(b)),
                     KNOT_STATUS_SIZE);
    s = decode_status(b);
    assert_int_equal(s.seq, 4);
    assert_int_equal(s.level, 1);
    assert_int_equal(s.force_dn, 123);
    assert_true(s.ppm > 0);
    assert_int_equal(s.current_ma, 300 + 250 * 1 + 4 * 123);
    /* 1.1: running 100 ms since the start from off, uptime from power-up */
    assert_int_equal(le32_at(b, 16), 100);
    assert_int_equal(le32_at(b, 20), 100);

    /* the wire bytes equal the snapshot, field by field through knot_le16 */
    kdev_status(&f->dev, &ks);
    assert_memory_equal(&ks, b, KNOT_STATUS_SIZE);
    assert_int_equal(knot_le16(ks.seq), 4);
    assert_int_equal(knot_le16(ks.force_dn), 123);
    assert_int_equal((int16_t)knot_le16((uint16_t)ks.temp_dc), s.temp_dc);

    /* truncated read: only wLength bytes, still counts as answered */
    memset(b, 0xaa, sizeof(b));
    assert_int_equal(ctl(f, KNOT_RT_IN, KNOT_REQ_GET_STATUS, 0, 0, 2, b, sizeof(b)), 2);
    assert_int_equal(le16_at(b, 0), 5);
    assert_int_equal(b[2], 0xaa);
}

static void test_seq_wraps(void **state)
{
    struct fix *f = *state;
    unsigned i;

    for (i = 0; i < 65535; i++)
        (void)get_status(f);
    assert_int_equal(peek(f).seq, 65535);
    assert_int_equal(get_status(f).seq, 0);
    assert_int_equal(get_status(f).seq, 1);
}

/* ---- requests ---- */

static void test_set_level_bounds(void **state)
{
    struct fix *f = *state;
    unsigned lvl;

    init_dev(f, 4, 0, "A");
    no_envelope(f);   /* the range is the subject: a 1.0 device checks only that */
    for (lvl = 0; lvl <= 4; lvl++) {
        assert_int_equal(set_level(f, lvl), 0);
        assert_int_equal(f->dev.level, lvl);
    }
    assert_int_equal(f->nev, 4);   /* 0 -> 0 is no change */
    for (lvl = 1; lvl <= 4; lvl++)
        assert_event(f, lvl - 1, KDEV_EV_LEVEL, lvl, KDEV_BY_HOST);

    assert_int_equal(set_level(f, 5), KDEV_STALL);
    assert_refused(f, KNOT_REQ_SET_LEVEL, 5, KDEV_WHY_RANGE);
    assert_int_equal(get_status(f).level, 4);
    assert_int_equal(set_level(f, 0xffff), KDEV_STALL);
    assert_refused(f, KNOT_REQ_SET_LEVEL, 0xffff, KDEV_WHY_RANGE);
    assert_int_equal(set_level(f, 0x100 | 1), KDEV_STALL);   /* no truncation to 8 bits */
    assert_refused(f, KNOT_REQ_SET_LEVEL, 0x101, KDEV_WHY_RANGE);
    assert_int_equal(f->nrefused, 3);
    assert_int_equal(get_status(f).level, 4);

    /* same level again: nothing happens */
    assert_int_equal(set_level(f, 4), 0);
    assert_int_equal(f->nev, 4);

    /* SET_LEVEL carries no data */
    assert_int_equal(ctl(f, KNOT_RT_OUT, KNOT_REQ_SET_LEVEL, 1, 0, 1, (uint8_t[]){ 0 }, 1), KDEV_STALL);
    assert_refused(f, KNOT_REQ_SET_LEVEL, 1, KDEV_WHY_BAD_REQUEST);
    assert_int_equal(f->dev.level, 4);

    assert_int_equal(set_level(f, 0), 0);
    assert_event(f, 4, KDEV_EV_LEVEL, 0, KDEV_BY_HOST);
    assert_int_equal(get_status(f).last_stop, KNOT_STOP_HOST);
    assert_int_equal(f->nev, 5);
}

static void test_bad_requests_stall(void **state)
{
    struct fix *f = *state;
    uint8_t b[64];

    assert_int_equal(set_level(f, 1), 0);
    f->nev = 0;

    /* wrong interface */
    assert_int_equal(ctl(f, KNOT_RT_OUT, KNOT_REQ_SET_LEVEL, 2, 1, 0, NULL, 0), KDEV_STALL);
    assert_int_equal(ctl(f, KNOT_RT_OUT, KNOT_REQ_SET_LEVEL, 2, 0x100, 0, NULL, 0), KDEV_STALL);
    assert_int_equal(ctl(f, KNOT_RT_IN, KNOT_REQ_GET_STATUS, 0, 1, KNOT_STATUS_SIZE, b, sizeof(b)), KDEV_STALL);
    /* unknown vendor requests */
    assert_int_equal(ctl(f, KNOT_RT_OUT, 0x00, 0, 0, 0, NULL, 0), KDEV_STALL);
    assert_int_equal(ctl(f, KNOT_RT_OUT, 0x7f, 0, 0, 0, NULL, 0), KDEV_STALL);
    assert_int_equal(ctl(f, KNOT_RT_IN, 0x06, 0, 0, 8, b, sizeof(b)), KDEV_STALL);
    /* wrong direction */
    assert_int_equal(ctl(f, KNOT_RT_IN, KNOT_REQ_SET_LEVEL, 2, 0, 8, b, sizeof(b)), KDEV_STALL);
    assert_int_equal(ctl(f, KNOT_RT_IN, KNOT_REQ_CLEAR_FAULT, 0, 0, 8, b, sizeof(b)), KDEV_STALL);
    assert_int_equal(ctl(f, KNOT_RT_IN, KNOT_REQ_IDENTIFY, 100, 0, 8, b, sizeof(b)), KDEV_STALL);
    assert_int_equal(ctl(f, KNOT_RT_OUT, KNOT_REQ_GET_STATUS, 0, 0, 0, NULL, 0), KDEV_STALL);
    assert_int_equal(ctl(f, KNOT_RT_OUT, KNOT_REQ_GET_INFO, 0, 0, 0, NULL, 0), KDEV_STALL);
    /* other types and recipients */
    assert_int_equal(ctl(f, 0x40, KNOT_REQ_SET_LEVEL, 2, 0, 0, NULL, 0), KDEV_STALL);   /* vendor, device */
    assert_int_equal(ctl(f, 0x21, KNOT_REQ_SET_LEVEL, 2, 0, 0, NULL, 0), KDEV_STALL);   /* class */
    assert_int_equal(ctl(f, 0xc0, KNOT_REQ_GET_STATUS, 0, 0, 16, b, sizeof(b)), KDEV_STALL);
    /* standard requests other than string descriptors belong to the front end */
    assert_int_equal(ctl(f, 0x80, 6, 0x0100, 0, 18, b, sizeof(b)), KDEV_STALL);   /* device */
    assert_int_equal(ctl(f, 0x80, 6, 0x0200, 0, 9, b, sizeof(b)), KDEV_STALL);    /* configuration */
    assert_int_equal(ctl(f, 0x00, 9, 1, 0, 0, NULL, 0), KDEV_STALL);               /* SET_CONFIGURATION */
    assert_int_equal(ctl(f, 0x80, 0, 0, 0, 2, b, sizeof(b)), KDEV_STALL);          /* GET_STATUS (std) */

    assert_int_equal(f->dev.level, 1);
    assert_int_equal(f->dev.seq, 0);
    assert_int_equal(f->nev, 0);
    /* every one of them is reported, as a bad request */
    assert_int_equal(f->nrefused, 18);
    for (size_t i = 0; i < f->nrefused; i++)
        assert_int_equal(f->refused[i].why, KDEV_WHY_BAD_REQUEST);
    assert_int_equal(f->refused[0].request, KNOT_REQ_SET_LEVEL);
    assert_int_equal(f->refused[0].value, 2);
    assert_int_equal(f->refused[17].request_type, 0x80);
}

static void test_identify_leaves_motor(void **state)
{
    struct fix *f = *state;

    no_envelope(f);

    assert_int_equal(ctl(f, KNOT_RT_OUT, KNOT_REQ_IDENTIFY, 1500, 0, 0, NULL, 0), 0);
    assert_int_equal(f->nev, 1);
    assert_event(f, 0, KDEV_EV_IDENTIFY, 1500, KDEV_BY_HOST);
    assert_false(kdev_busy(&f->dev));
    advance(f, 500);
    assert_int_equal(peek(f).level, 0);
    assert_int_equal(peek(f).ppm, 0);

    assert_int_equal(set_level(f, 2), 0);
    poll_for(f, 200);
    assert_int_equal(ctl(f, KNOT_RT_OUT, KNOT_REQ_IDENTIFY, 200, 0, 0, NULL, 0), 0);
    assert_int_equal(f->nev, 3);
    assert_event(f, 1, KDEV_EV_LEVEL, 2, KDEV_BY_HOST);
    assert_event(f, 2, KDEV_EV_IDENTIFY, 200, KDEV_BY_HOST);
    assert_int_equal(get_status(f).level, 2);
    assert_int_equal(ctl(f, KNOT_RT_OUT, KNOT_REQ_IDENTIFY, 0, 0, 2, (uint8_t[]){ 0, 0 }, 2), KDEV_STALL);
}

/* ---- watchdog ---- */

static void test_watchdog_exact(void **state)
{
    struct fix *f = *state;

    assert_int_equal(set_level(f, 1), 0);
    advance(f, KNOT_WATCHDOG_MS_DEFAULT - 1);
    assert_int_equal(f->dev.level, 1);
    assert_int_equal(f->nev, 1);
    advance(f, 1);
    assert_int_equal(f->dev.level, 0);
    assert_int_equal(f->nev, 2);
    assert_event(f, 1, KDEV_EV_LEVEL, 0, KDEV_BY_WATCHDOG);
    assert_int_equal(get_status(f).last_stop, KNOT_STOP_WATCHDOG);
}

static void test_watchdog_fires_in_long_tick(void **state)
{
    struct fix *f = *state;

    no_envelope(f);

    /* one late tick far past the deadline still stops by watchdog, once */
    assert_int_equal(set_level(f, 3), 0);
    advance(f, 10000);
    assert_int_equal(f->nev, 2);
    assert_event(f, 1, KDEV_EV_LEVEL, 0, KDEV_BY_WATCHDOG);
    assert_int_equal(peek(f).last_stop, KNOT_STOP_WATCHDOG);
    assert_int_equal(peek(f).ppm, 0);   /* spun down meanwhile */
}

static void test_watchdog_fires_before_feed(void **state)
{
    struct fix *f = *state;
    struct st s;

    /* a request 1 ms early feeds it ... */
    assert_int_equal(set_level(f, 1), 0);
    f->now += KNOT_WATCHDOG_MS_DEFAULT - 1;
    assert_int_equal(get_status(f).level, 1);
    /* ... one arriving at the deadline, without a tick in between, comes too late */
    f->now += KNOT_WATCHDOG_MS_DEFAULT;
    s = get_status(f);
    assert_int_equal(s.level, 0);
    assert_int_equal(s.last_stop, KNOT_STOP_WATCHDOG);
    assert_event(f, 1, KDEV_EV_LEVEL, 0, KDEV_BY_WATCHDOG);

    /* 1.2: only the driving host feeds it. A refused SET_LEVEL, a standard
     * request, a monitor's status read, IDENTIFY and GET_INFO feed nothing. */
    assert_int_equal(set_level(f, 1), 0);
    f->now += 50;
    assert_int_equal(set_level(f, 99), KDEV_STALL);
    f->now += 50;
    assert_int_equal(ctl(f, 0x80, 6, 0x0300, 0, 4, (uint8_t[4]){ 0 }, 4), 4);
    f->now += 50;
    assert_int_equal(read_status(f).level, 1);
    f->now += 50;
    assert_int_equal(ctl(f, KNOT_RT_OUT, KNOT_REQ_IDENTIFY, 100, KNOT_USB_INTERFACE, 0, NULL, 0), 0);
    f->now += 49;
    assert_int_equal(ctl(f, KNOT_RT_IN, KNOT_REQ_GET_INFO, 0, KNOT_USB_INTERFACE, KNOT_INFO_SIZE,
                         (uint8_t[KNOT_INFO_SIZE]){ 0 }, KNOT_INFO_SIZE), KNOT_INFO_SIZE);
    f->now += 1;
    kdev_tick(&f->dev, f->now);
    assert_int_equal(f->dev.level, 0);
    assert_event(f, f->nev - 1, KDEV_EV_LEVEL, 0, KDEV_BY_WATCHDOG);
}

/* Seen with a raw reader written from PROTOCOL.md: host A set the level and was
 * killed, process B only read status every 50 ms, and a 1.1 motor ran on. On
 * 1.2 only the heartbeat (and a taken SET_LEVEL) feeds the watchdog; a 1.1
 * device (emulated) still feeds on anything, as its protocol says. */
static void test_a_monitor_never_keeps_a_dead_hosts_motor_running(void **state)
{
    struct fix *f = *state;
    unsigned i;

    assert_int_equal(set_level(f, 1), 0);
    for (i = 0; i < 20; i++) {   /* a second of a monitor polling every 50 ms */
        f->now += 50;
        read_status(f);
    }
    assert_int_equal(f->dev.level, 0);
    assert_int_equal(peek(f).last_stop, KNOT_STOP_WATCHDOG);
    /* The heartbeat keeps it running. */
    assert_int_equal(set_level(f, 1), 0);
    for (i = 0; i < 20; i++) {
        f->now += 50;
        get_status(f);
    }
    assert_int_equal(f->dev.level, 1);
    /* A 1.1 device: the monitor keeps it running (knotd warns of it at attach). */
    init_dev(f, 8, 0, "KN0001");
    f->dev.cfg.proto_1_1 = true;
    assert_int_equal(set_level(f, 1), 0);
    for (i = 0; i < 20; i++) {
        f->now += 50;
        read_status(f);
    }
    assert_int_equal(f->dev.level, 1);
}

static void test_watchdog_idle(void **state)
{
    struct fix *f = *state;

    advance(f, 10 * 60 * 1000);
    assert_int_equal(f->nev, 0);
    assert_int_equal(peek(f).last_stop, KNOT_STOP_NONE);

    /* after a host stop it stays quiet as well */
    assert_int_equal(set_level(f, 1), 0);
    assert_int_equal(set_level(f, 0), 0);
    advance(f, 10 * 60 * 1000);
    assert_int_equal(f->nev, 2);
    assert_int_equal(peek(f).last_stop, KNOT_STOP_HOST);
}

static void test_polls_keep_running(void **state)
{
    struct fix *f = *state;
    unsigned i;

    no_envelope(f);

    assert_int_equal(set_level(f, 5), 0);
    poll_for(f, 10000);
    assert_int_equal(f->nev, 1);
    assert_int_equal(peek(f).level, 5);
    assert_int_equal(peek(f).ppm, 2600);
    assert_int_equal(peek(f).seq, 10000 / KNOT_HEARTBEAT_MS);

    /* even 249 ms gaps are enough, a 250 ms gap is not */
    for (i = 0; i < 20; i++) {
        advance(f, KNOT_WATCHDOG_MS_DEFAULT - 1);
        assert_int_equal(get_status(f).level, 5);
    }
    advance(f, KNOT_WATCHDOG_MS_DEFAULT);
    assert_int_equal(get_status(f).level, 0);
    assert_int_equal(f->nev, 2);
}

static void test_custom_watchdog(void **state)
{
    struct fix *f = *state;
    struct knot_info info;

    init_dev(f, 8, 100, "A");
    kdev_info(&f->dev, &info);
    assert_int_equal(knot_le16(info.watchdog_ms), 100);

    assert_int_equal(set_level(f, 1), 0);
    advance(f, 60);
    assert_int_equal(get_status(f).level, 1);   /* fed at T0+60 */
    advance(f, 99);
    assert_int_equal(f->dev.level, 1);
    advance(f, 1);
    assert_int_equal(f->dev.level, 0);
    assert_event(f, 1, KDEV_EV_LEVEL, 0, KDEV_BY_WATCHDOG);
}

/* ---- faults ---- */

static void test_overheat_fault(void **state)
{
    struct fix *f = *state;
    struct st s;

    no_envelope(f);

    assert_int_equal(set_level(f, 3), 0);
    poll_for(f, 500);
    kdev_inject_fault(&f->dev, KNOT_FAULT_OVERTEMP, f->now);
    assert_int_equal(f->nev, 3);
    assert_event(f, 1, KDEV_EV_FAULT, KNOT_FAULT_OVERTEMP, KDEV_BY_FAULT);
    assert_event(f, 2, KDEV_EV_LEVEL, 0, KDEV_BY_FAULT);
    s = get_status(f);
    assert_int_equal(s.level, 0);
    assert_int_equal(s.last_stop, KNOT_STOP_FAULT);
    assert_int_equal(s.faults, KNOT_FAULT_OVERTEMP);
    assert_true(s.temp_dc >= KNOT_TEMP_TRIP_DC - 1);

    /* latched: no second event, no restart, stop is still allowed */
    kdev_inject_fault(&f->dev, KNOT_FAULT_OVERTEMP, f->now);
    assert_int_equal(f->nev, 3);
    assert_int_equal(set_level(f, 1), KDEV_STALL);
    assert_refused(f, KNOT_REQ_SET_LEVEL, 1, KDEV_WHY_FAULT);
    assert_int_equal(set_level(f, 0), 0);
    assert_int_equal(f->dev.level, 0);

    /* still hot: the clear is refused and the latch stays */
    assert_int_equal(clear_fault(f), KDEV_STALL);
    assert_refused(f, KNOT_REQ_CLEAR_FAULT, 0, KDEV_WHY_CAUSE_REMAINS);
    assert_int_equal(get_status(f).faults, KNOT_FAULT_OVERTEMP);
    advance(f, 10 * 1000);
    assert_int_equal(clear_fault(f), KDEV_STALL);
    assert_int_equal(f->nev, 3);

    /* a few fake minutes later it has cooled below 45.0 C */
    advance(f, 3 * 60 * 1000);
    s = get_status(f);
    assert_true(s.temp_dc < KNOT_TEMP_CLEAR_DC);
    assert_int_equal(clear_fault(f), 0);
    assert_int_equal(f->nev, 4);
    assert_event(f, 3, KDEV_EV_CLEAR, KNOT_FAULT_OVERTEMP, KDEV_BY_HOST);
    assert_int_equal(get_status(f).faults, 0);
    assert_int_equal(set_level(f, 1), 0);
    assert_event(f, 4, KDEV_EV_LEVEL, 1, KDEV_BY_HOST);

    /* CLEAR_FAULT without faults is a successful no-op */
    assert_int_equal(clear_fault(f), 0);
    assert_int_equal(f->nev, 5);
}

static void test_overheat_while_idle(void **state)
{
    struct fix *f = *state;

    kdev_inject_fault(&f->dev, KNOT_FAULT_OVERTEMP, f->now);
    assert_int_equal(f->nev, 1);   /* no level event: nothing to stop */
    assert_event(f, 0, KDEV_EV_FAULT, KNOT_FAULT_OVERTEMP, KDEV_BY_FAULT);
    assert_int_equal(peek(f).last_stop, KNOT_STOP_NONE);
    assert_int_equal(peek(f).faults, KNOT_FAULT_OVERTEMP);
    assert_int_equal(set_level(f, 1), KDEV_STALL);
}

static void test_injected_stall_and_clear_faults(void **state)
{
    struct fix *f = *state;
    struct st s;

    no_envelope(f);

    assert_int_equal(set_level(f, 2), 0);
    poll_for(f, 100);
    kdev_inject_fault(&f->dev, KNOT_FAULT_STALL, f->now);
    assert_event(f, 1, KDEV_EV_FAULT, KNOT_FAULT_STALL, KDEV_BY_FAULT);
    assert_event(f, 2, KDEV_EV_LEVEL, 0, KDEV_BY_FAULT);
    assert_int_equal(clear_fault(f), KDEV_STALL);   /* still blocked */
    advance(f, 60 * 1000);
    assert_int_equal(clear_fault(f), KDEV_STALL);
    assert_int_equal(f->nev, 3);

    kdev_clear_faults(&f->dev, f->now);
    assert_int_equal(f->nev, 4);
    assert_event(f, 3, KDEV_EV_CLEAR, KNOT_FAULT_STALL, KDEV_BY_SCENE);
    assert_int_equal(get_status(f).faults, 0);
    assert_int_equal(set_level(f, 2), 0);
    poll_for(f, 100);
    assert_int_equal(peek(f).faults, 0);   /* the forced stall is gone, not just unlatched */
    assert_int_equal(peek(f).level, 2);
    assert_int_equal(set_level(f, 0), 0);

    /* all three at once; the front-end clear removes every cause */
    kdev_inject_fault(&f->dev, KNOT_FAULT_ALL, f->now);
    s = get_status(f);
    assert_int_equal(s.faults, KNOT_FAULT_ALL);
    assert_int_equal(s.battery_pct, 3);
    assert_int_equal(f->nev, 6 + 3);
    assert_int_equal(clear_fault(f), KDEV_STALL);
    kdev_clear_faults(&f->dev, f->now);
    assert_event(f, 9, KDEV_EV_CLEAR, KNOT_FAULT_ALL, KDEV_BY_SCENE);
    s = get_status(f);
    assert_int_equal(s.faults, 0);
    assert_int_equal(s.temp_dc, 400);
    assert_int_equal(s.battery_pct, 50);
    /* nothing latched: the front-end clear emits nothing */
    kdev_clear_faults(&f->dev, f->now);
    assert_int_equal(f->nev, 10);
    assert_int_equal(clear_fault(f), 0);
}

static void test_clear_fault_partial(void **state)
{
    struct fix *f = *state;

    /* a stall whose cause is gone clears, the hot motor stays latched */
    kdev_press(&f->dev, 500, f->now);
    assert_int_equal(set_level(f, 1), 0);   /* accepted, then trips at once */
    kdev_inject_fault(&f->dev, KNOT_FAULT_OVERTEMP, f->now);
    assert_int_equal(peek(f).faults, KNOT_FAULT_STALL | KNOT_FAULT_OVERTEMP);
    kdev_press(&f->dev, 0, f->now);
    f->nev = 0;
    assert_int_equal(clear_fault(f), KDEV_STALL);
    assert_int_equal(f->nev, 1);
    assert_event(f, 0, KDEV_EV_CLEAR, KNOT_FAULT_STALL, KDEV_BY_HOST);
    assert_int_equal(get_status(f).faults, KNOT_FAULT_OVERTEMP);
}

static void test_stall_by_force(void **state)
{
    struct fix *f = *state;
    struct st s;

    /* pressing an idle head is no fault */
    kdev_press(&f->dev, 600, f->now);
    advance(f, 1000);
    assert_int_equal(peek(f).faults, 0);
    kdev_press(&f->dev, 0, f->now);

    assert_int_equal(set_level(f, 1), 0);
    poll_for(f, 500);
    kdev_press(&f->dev, 100, f->now);   /* 10 N: 400 mA more */
    assert_int_equal(get_status(f).current_ma, 300 + 250 + 400);
    kdev_press(&f->dev, 449, f->now);
    poll_for(f, 500);
    assert_int_equal(f->nev, 1);
    kdev_press(&f->dev, 450, f->now);
    assert_int_equal(f->nev, 3);
    assert_event(f, 1, KDEV_EV_FAULT, KNOT_FAULT_STALL, KDEV_BY_FAULT);
    assert_event(f, 2, KDEV_EV_LEVEL, 0, KDEV_BY_FAULT);
    s = get_status(f);
    assert_int_equal(s.faults, KNOT_FAULT_STALL);
    assert_int_equal(s.last_stop, KNOT_STOP_FAULT);
    assert_int_equal(s.force_dn, 450);

    /* still pressed: clearing would only stall again at once, so it is refused
     * (a host could otherwise loop on clear and restart) */
    assert_int_equal(clear_fault(f), KDEV_STALL);
    assert_refused(f, KNOT_REQ_CLEAR_FAULT, 0, KDEV_WHY_CAUSE_REMAINS);
    kdev_press(&f->dev, KDEV_STALL_CLEAR_DN_TEST, f->now);   /* 10 N: still too much */
    assert_int_equal(clear_fault(f), KDEV_STALL);
    assert_int_equal(f->nev, 3);
    /* the head is freed (below 10 N): the clear is taken, and a restart runs */
    kdev_press(&f->dev, KDEV_STALL_CLEAR_DN_TEST - 1, f->now);
    assert_int_equal(clear_fault(f), 0);
    assert_event(f, 3, KDEV_EV_CLEAR, KNOT_FAULT_STALL, KDEV_BY_HOST);
    assert_int_equal(set_level(f, 1), 0);
    assert_int_equal(f->nev, 5);
    assert_event(f, 4, KDEV_EV_LEVEL, 1, KDEV_BY_HOST);
    assert_int_equal(get_status(f).faults, 0);
}

static void test_low_battery(void **state)
{
    struct fix *f = *state;
    unsigned ms = 0;
    struct st s;

    no_envelope(f);

    /* below the trip while idle: no fault until the motor is asked to run */
    kdev_set_battery(&f->dev, 4, f->now);
    advance(f, 1000);
    assert_int_equal(peek(f).faults, 0);
    assert_int_equal(peek(f).battery_pct, 4);
    assert_int_equal(set_level(f, 1), 0);
    assert_int_equal(f->nev, 3);
    assert_event(f, 1, KDEV_EV_FAULT, KNOT_FAULT_LOW_BATTERY, KDEV_BY_FAULT);
    assert_event(f, 2, KDEV_EV_LEVEL, 0, KDEV_BY_FAULT);
    kdev_set_battery(&f->dev, 9, f->now);
    assert_int_equal(clear_fault(f), KDEV_STALL);   /* hysteresis: 10 % needed */
    kdev_set_battery(&f->dev, 10, f->now);
    assert_int_equal(clear_fault(f), 0);

    /* draining through the trip while running: 6 % -> 4 % is 1 % of charge */
    kdev_set_battery(&f->dev, 6, f->now);
    assert_int_equal(set_level(f, 8), 0);
    f->nev = 0;
    while (f->nev == 0 && ms < 300 * 1000) {
        poll_for(f, 50);
        ms += 50;
    }
    assert_event(f, 0, KDEV_EV_FAULT, KNOT_FAULT_LOW_BATTERY, KDEV_BY_FAULT);
    assert_event(f, 1, KDEV_EV_LEVEL, 0, KDEV_BY_FAULT);
    /* 1 % of 2500 mAh at 2.3 A is 39.1 s */
    assert_in_range(ms, 38500, 40000);
    s = get_status(f);
    assert_int_equal(s.battery_pct, KNOT_BATTERY_TRIP_PCT - 1);
    assert_int_equal(s.last_stop, KNOT_STOP_FAULT);

    /* injection and the clamp of set_battery */
    kdev_set_battery(&f->dev, 250, f->now);
    assert_int_equal(peek(f).battery_pct, 100);
    kdev_inject_fault(&f->dev, KNOT_FAULT_LOW_BATTERY, f->now);
    assert_int_equal(peek(f).battery_pct, 3);
    assert_int_equal(peek(f).faults, KNOT_FAULT_LOW_BATTERY);
}

/* ---- motor model ---- */

static void test_spin_up_and_down(void **state)
{
    struct fix *f = *state;
    unsigned prev = 0, t;
    struct st s;

    no_envelope(f);

    assert_int_equal(set_level(f, 8), 0);
    s = get_status(f);
    assert_int_equal(s.ppm, 0);
    assert_int_equal(s.current_ma, 0);
    assert_true(kdev_busy(&f->dev));
    for (t = 10; t <= 400; t += 10) {
        advance(f, 10);
        if (t % 50 == 0)
            (void)get_status(f);
        assert_true(peek(f).ppm >= prev);
        prev = peek(f).ppm;
        if (t == 100)
            assert_in_range(prev, 900, 1200);   /* linear: a third of the way */
    }
    assert_int_equal(peek(f).ppm, 3200);
    assert_int_equal(peek(f).current_ma, 300 + 250 * 8);

    assert_int_equal(set_level(f, 0), 0);
    assert_true(peek(f).ppm > 0);   /* coasts */
    assert_true(kdev_busy(&f->dev));
    advance(f, 150);
    assert_in_range(peek(f).ppm, 1, 3199);
    advance(f, 250);
    assert_int_equal(peek(f).ppm, 0);
    assert_int_equal(peek(f).current_ma, 0);
    assert_false(kdev_busy(&f->dev));

    /* level to level moves at the same rate */
    assert_int_equal(set_level(f, 1), 0);
    poll_for(f, 400);
    assert_int_equal(peek(f).ppm, 1800);
    assert_int_equal(set_level(f, 8), 0);
    poll_for(f, 100);
    assert_in_range(peek(f).ppm, 2700, 3000);
    poll_for(f, 100);
    assert_int_equal(peek(f).ppm, 3200);
}

static void test_temperature(void **state)
{
    struct fix *f = *state;
    struct st s;
    int hot;

    no_envelope(f);

    assert_int_equal(set_level(f, 8), 0);
    poll_for(f, 60 * 1000);
    s = get_status(f);
    /* 2.3 A heats at 0.115 C/s against 50 s Newton cooling: about 29.0 C after a minute */
    assert_in_range(s.temp_dc, 289, 291);
    assert_in_range(s.battery_pct, 97, 99);
    hot = s.temp_dc;

    assert_int_equal(set_level(f, 0), 0);
    advance(f, 30 * 1000);
    s = get_status(f);
    assert_true(s.temp_dc < hot);
    assert_true(s.temp_dc > 250);
    advance(f, 30 * 60 * 1000);
    assert_int_equal(get_status(f).temp_dc, 250);
    assert_int_equal(f->dev.temp_mdc, 250000);   /* settles exactly on ambient, no creeping */
    assert_false(kdev_busy(&f->dev));
}

/* ---- descriptors, names, odd inputs ---- */

static void test_string_descriptors(void **state)
{
    struct fix *f = *state;
    static const char product[] = "Knot Percussion Massager (virtual)";
    uint8_t b[256];
    size_t i;

    init_dev(f, 8, 0, "KN-42");
    memset(b, 0xaa, sizeof(b));
    assert_int_equal(ctl(f, 0x80, 6, 0x0300, 0, 255, b, sizeof(b)), 4);
    assert_memory_equal(b, ((uint8_t[]){ 4, 3, 0x09, 0x04 }), 4);

    assert_int_equal(ctl(f, 0x80, 6, 0x0300 | KDEV_STR_SERIAL, 0x0409, 255, b, sizeof(b)), 12);
    assert_memory_equal(b, ((uint8_t[]){ 12, 3, 'K', 0, 'N', 0, '-', 0, '4', 0, '2', 0 }), 12);
    assert_int_equal(b[12], 0xaa);

    assert_int_equal(ctl(f, 0x80, 6, 0x0300 | KDEV_STR_MANUFACTURER, 0x0409, 255, b, sizeof(b)), 2 + 2 * 12);
    assert_memory_equal(b, ((uint8_t[]){ 26, 3, 'k', 0, 'n', 0, 'o', 0, 't', 0, ' ', 0 }), 12);

    assert_int_equal(ctl(f, 0x80, 6, 0x0300 | KDEV_STR_PRODUCT, 0x0409, 255, b, sizeof(b)),
                     2 + 2 * (int)(sizeof(product) - 1));
    for (i = 0; i < sizeof(product) - 1; i++) {
        assert_int_equal(b[2 + 2 * i], product[i]);
        assert_int_equal(b[3 + 2 * i], 0);
    }

    /* truncated to wLength, header unchanged (how hosts learn the length) */
    memset(b, 0xaa, sizeof(b));
    assert_int_equal(ctl(f, 0x80, 6, 0x0300 | KDEV_STR_SERIAL, 0x0409, 2, b, sizeof(b)), 2);
    assert_memory_equal(b, ((uint8_t[]){ 12, 3, 0xaa }), 3);
    assert_int_equal(ctl(f, 0x80, 6, 0x0300 | KDEV_STR_SERIAL, 0x0409, 5, b, sizeof(b)), 5);
    assert_int_equal(b[4], 'N');
    assert_int_equal(b[5], 0xaa);
    /* and to the caller's buffer */
    assert_int_equal(ctl(f, 0x80, 6, 0x0300 | KDEV_STR_PRODUCT, 0x0409, 255, b, 8), 8);

    /* no such string */
    assert_int_equal(ctl(f, 0x80, 6, 0x0304, 0x0409, 255, b, sizeof(b)), KDEV_STALL);
    assert_int_equal(ctl(f, 0x80, 6, 0x03ee, 0x0409, 255, b, sizeof(b)), KDEV_STALL);
    assert_int_equal(f->nev, 0);
}

static void test_unplug(void **state)
{
    struct fix *f = *state;

    no_envelope(f);

    assert_int_equal(set_level(f, 4), 0);
    poll_for(f, 200);
    kdev_unplug(&f->dev, f->now);
    assert_int_equal(f->nev, 2);
    assert_event(f, 1, KDEV_EV_LEVEL, 0, KDEV_BY_UNPLUG);
    assert_int_equal(peek(f).level, 0);
    assert_int_equal(peek(f).last_stop, KNOT_STOP_NONE);   /* power loss is no recorded stop */
    kdev_unplug(&f->dev, f->now);
    assert_int_equal(f->nev, 2);
}

static void test_clock_backwards(void **state)
{
    struct fix *f = *state;

    no_envelope(f);
    assert_int_equal(set_level(f, 8), 0);
    poll_for(f, 200);
    kdev_tick(&f->dev, f->now - 100);
    assert_int_equal(f->dev.last_tick_ms, f->now);
    assert_int_equal(f->dev.level, 8);
    assert_int_equal(f->nev, 1);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(kdev_cause_name(KDEV_BY_HOST), "host");
    assert_string_equal(kdev_cause_name(KDEV_BY_WATCHDOG), "watchdog");
    assert_string_equal(kdev_cause_name(KDEV_BY_FAULT), "fault");
    assert_string_equal(kdev_cause_name(KDEV_BY_UNPLUG), "unplug");
    assert_string_equal(kdev_cause_name(KDEV_BY_CEILING), "ceiling");
    assert_string_equal(kdev_cause_name(KDEV_BY_SCENE), "scene");
    assert_string_equal(kdev_fault_name(KNOT_FAULT_STALL), "stall");
    assert_string_equal(kdev_fault_name(KNOT_FAULT_OVERTEMP), "overheat");
    assert_string_equal(kdev_fault_name(KNOT_FAULT_LOW_BATTERY), "low-battery");
    assert_string_equal(kdev_fault_name(0), "unknown");
    assert_string_equal(kdev_fault_name(KNOT_FAULT_STALL | KNOT_FAULT_OVERTEMP), "unknown");
    assert_string_equal(kdev_fault_name(1u << 7), "unknown");
    assert_string_equal(kdev_why_name(KDEV_WHY_BAD_REQUEST), "bad-request");
    assert_string_equal(kdev_why_name(KDEV_WHY_RANGE), "range");
    assert_string_equal(kdev_why_name(KDEV_WHY_FAULT), "fault");
    assert_string_equal(kdev_why_name(KDEV_WHY_FROM_OFF), "from-off");
    assert_string_equal(kdev_why_name(KDEV_WHY_TRIAL), "trial");
    assert_string_equal(kdev_why_name(KDEV_WHY_STEP), "step");
    assert_string_equal(kdev_why_name(KDEV_WHY_TOO_SOON), "too-soon");
    assert_string_equal(kdev_why_name(KDEV_WHY_RESTING), "resting");
    assert_string_equal(kdev_why_name(KDEV_WHY_CAUSE_REMAINS), "cause-remains");
}

static void test_null_trace(void **state)
{
    struct fix *f = *state;
    struct kdev_config cfg;

    memset(&cfg, 0, sizeof(cfg));
    cfg.levels = 2;
    kdev_init(&f->dev, &cfg, NULL, NULL, f->now);
    assert_int_equal(set_level(f, 1), 0);
    kdev_inject_fault(&f->dev, KNOT_FAULT_STALL, f->now);
    assert_int_equal(f->dev.level, 0);
    assert_int_equal(f->nev, 0);
}

/* ---- the envelope (1.1) ---- */

static unsigned rise_wait(struct fix *f)
{
    uint8_t b[KNOT_STATUS_SIZE];

    assert_int_equal(ctl(f, KNOT_RT_IN, KNOT_REQ_GET_STATUS, 0, 0, KNOT_STATUS_SIZE, b, sizeof(b)), KNOT_STATUS_SIZE);
    return le16_at(b, 24);
}

static void test_envelope_from_off(void **state)
{
    struct fix *f = *state;

    for (unsigned lvl = 2; lvl <= 8; lvl++) {
        assert_int_equal(set_level(f, lvl), KDEV_STALL);
        assert_refused(f, KNOT_REQ_SET_LEVEL, lvl, KDEV_WHY_FROM_OFF);
    }
    assert_int_equal(f->dev.level, 0);
    assert_int_equal(f->nev, 0);
    assert_int_equal(rise_wait(f), 0);   /* level 1 is accepted at once */
    assert_int_equal(set_level(f, 1), 0);
    assert_event(f, 0, KDEV_EV_LEVEL, 1, KDEV_BY_HOST);
}

static void test_envelope_trial(void **state)
{
    struct fix *f = *state;

    assert_int_equal(set_level(f, 1), 0);
    poll_for(f, 1000);
    assert_int_equal(set_level(f, 2), KDEV_STALL);   /* a raw client's "2 one second after 1" */
    assert_refused(f, KNOT_REQ_SET_LEVEL, 2, KDEV_WHY_TRIAL);
    assert_int_equal(rise_wait(f), KNOT_TRIAL_MS - 1000);
    poll_for(f, KNOT_TRIAL_MS - 1000 - 50);
    assert_int_equal(set_level(f, 2), KDEV_STALL);
    assert_int_equal(rise_wait(f), 50);
    poll_for(f, 40);
    advance(f, 9);                                     /* 9999 ms of running */
    assert_int_equal(set_level(f, 2), KDEV_STALL);
    assert_refused(f, KNOT_REQ_SET_LEVEL, 2, KDEV_WHY_TRIAL);
    advance(f, 1);                                     /* exactly 10 s */
    assert_int_equal(rise_wait(f), 0);
    assert_int_equal(set_level(f, 2), 0);
    assert_int_equal(f->dev.level, 2);
    assert_int_equal(f->nrefused, 3);
    /* the trial counts from the start from off, not from each level: 3 after the gap */
    assert_int_equal(rise_wait(f), KNOT_RISE_GAP_MS);
}

static void test_envelope_step_gap_and_lowering(void **state)
{
    struct fix *f = *state;

    assert_int_equal(set_level(f, 1), 0);
    poll_for(f, KNOT_TRIAL_MS);
    assert_int_equal(set_level(f, 3), KDEV_STALL);   /* two levels at once */
    assert_refused(f, KNOT_REQ_SET_LEVEL, 3, KDEV_WHY_STEP);
    assert_int_equal(set_level(f, 2), 0);
    poll_for(f, KNOT_RISE_GAP_MS - 50);
    assert_int_equal(set_level(f, 3), KDEV_STALL);
    assert_refused(f, KNOT_REQ_SET_LEVEL, 3, KDEV_WHY_TOO_SOON);
    poll_for(f, 50);
    assert_int_equal(set_level(f, 3), 0);
    /* lowering is never refused, and counts as a change: the next rise waits the gap */
    assert_int_equal(set_level(f, 1), 0);
    assert_int_equal(set_level(f, 2), KDEV_STALL);
    assert_refused(f, KNOT_REQ_SET_LEVEL, 2, KDEV_WHY_TOO_SOON);
    assert_int_equal(rise_wait(f), KNOT_RISE_GAP_MS);
    poll_for(f, KNOT_RISE_GAP_MS);
    assert_int_equal(set_level(f, 2), 0);
    assert_int_equal(set_level(f, 0), 0);
    /* at the top there is nothing to rise to */
    assert_int_equal(f->dev.level, 0);
}

static void test_envelope_restart_after_watchdog(void **state)
{
    struct fix *f = *state;

    assert_int_equal(set_level(f, 1), 0);
    poll_for(f, KNOT_TRIAL_MS);
    assert_int_equal(set_level(f, 2), 0);
    advance(f, KNOT_WATCHDOG_MS_DEFAULT);            /* the host stalls */
    assert_int_equal(f->dev.level, 0);
    /* the bug of the 0.6 s stall: 0 -> 2 straight from off is refused */
    assert_int_equal(set_level(f, 2), KDEV_STALL);
    assert_refused(f, KNOT_REQ_SET_LEVEL, 2, KDEV_WHY_FROM_OFF);
    assert_int_equal(set_level(f, 1), 0);
    poll_for(f, 5000);
    assert_int_equal(set_level(f, 2), KDEV_STALL);   /* a new trial after a start from off */
    assert_refused(f, KNOT_REQ_SET_LEVEL, 2, KDEV_WHY_TRIAL);
    assert_int_equal(f->dev.level, 1);
}

static void test_envelope_ceiling_and_rest(void **state)
{
    struct fix *f = *state;
    struct knot_status ks;
    unsigned ceiling_ms = KNOT_CEILING_S * 1000u, rest_ms = KNOT_REST_S * 1000u;

    /* a rest of rest_s clears the account: two long runs do not add up */
    assert_int_equal(set_level(f, 1), 0);
    poll_for(f, ceiling_ms - 1000);
    assert_int_equal(set_level(f, 0), 0);
    advance(f, rest_ms);
    assert_int_equal(set_level(f, 1), 0);
    poll_for(f, ceiling_ms - 1000);
    assert_int_equal(f->dev.level, 1);
    assert_int_equal(set_level(f, 0), 0);
    /* a shorter rest does not */
    advance(f, rest_ms - 1000);
    assert_int_equal(set_level(f, 1), 0);
    poll_for(f, 990);
    assert_int_equal(f->dev.level, 1);
    poll_for(f, 10);
    assert_int_equal(f->dev.level, 0);
    assert_event(f, f->nev - 1, KDEV_EV_LEVEL, 0, KDEV_BY_CEILING);
    assert_int_equal(get_status(f).last_stop, KNOT_STOP_CEILING);
    /* resting: no start until rest_s of off */
    assert_int_equal(set_level(f, 1), KDEV_STALL);
    assert_refused(f, KNOT_REQ_SET_LEVEL, 1, KDEV_WHY_RESTING);
    assert_int_equal(rise_wait(f), KNOT_RISE_WAIT_NEVER);
    advance(f, rest_ms - 1500);
    kdev_status(&f->dev, &ks);
    assert_int_equal(knot_le16(ks.rest_left_s), 2);   /* 1.5 s rounded up */
    advance(f, 1500);
    kdev_status(&f->dev, &ks);
    assert_int_equal(knot_le16(ks.rest_left_s), 0);
    assert_int_equal(set_level(f, 1), 0);
}

static void test_envelope_refusal_in_status(void **state)
{
    struct fix *f = *state;
    uint8_t b[KNOT_STATUS_SIZE];

    memset(b, 0xaa, sizeof(b));
    assert_int_equal(ctl(f, KNOT_RT_IN, KNOT_REQ_GET_STATUS, 0, 0, KNOT_STATUS_SIZE, b, sizeof(b)), KNOT_STATUS_SIZE);
    assert_int_equal(b[26], KNOT_REFUSAL_NONE);
    assert_int_equal(le16_at(b, 28), 0);
    assert_int_equal(set_level(f, 5), KDEV_STALL);
    assert_int_equal(set_level(f, 9), KDEV_STALL);
    assert_int_equal(ctl(f, KNOT_RT_IN, KNOT_REQ_GET_STATUS, 0, 0, KNOT_STATUS_SIZE, b, sizeof(b)), KNOT_STATUS_SIZE);
    assert_int_equal(b[26], KNOT_REFUSAL_RANGE);
    assert_int_equal(b[27], 9);
    assert_int_equal(le16_at(b, 28), 2);
    assert_int_equal(le32_at(b, 20), 0);   /* not running */
    /* a bad request is no SET_LEVEL refusal: the block is unchanged */
    assert_int_equal(ctl(f, KNOT_RT_OUT, 0x7f, 0, 0, 0, NULL, 0), KDEV_STALL);
    assert_int_equal(ctl(f, KNOT_RT_IN, KNOT_REQ_GET_STATUS, 0, 0, KNOT_STATUS_SIZE, b, sizeof(b)), KNOT_STATUS_SIZE);
    assert_int_equal(le16_at(b, 28), 2);
    assert_int_equal(b[26], KNOT_REFUSAL_RANGE);
}

static void test_info_envelope_and_1_0(void **state)
{
    struct fix *f = *state;
    struct kdev_config cfg;
    uint8_t b[64];

    memset(b, 0xaa, sizeof(b));
    assert_int_equal(ctl(f, KNOT_RT_IN, KNOT_REQ_GET_INFO, 0, 0, sizeof(b), b, sizeof(b)), KNOT_INFO_SIZE);
    assert_int_equal(b[1], 2);
    assert_int_equal(le16_at(b, 40), KNOT_TRIAL_MS);
    assert_int_equal(le16_at(b, 42), KNOT_RISE_GAP_MS);
    assert_int_equal(le16_at(b, 44), KNOT_CEILING_S);
    assert_int_equal(le16_at(b, 46), KNOT_REST_S);

    /* a firmware may be stricter than the floors, never looser */
    memset(&cfg, 0, sizeof(cfg));
    cfg.levels = 3;
    cfg.trial_ms = 15000;
    cfg.rise_gap_ms = 100;
    cfg.ceiling_s = 9999;
    cfg.rest_s = 10;
    kdev_init(&f->dev, &cfg, record, f, f->now);
    assert_int_equal(ctl(f, KNOT_RT_IN, KNOT_REQ_GET_INFO, 0, 0, sizeof(b), b, sizeof(b)), KNOT_INFO_SIZE);
    assert_int_equal(le16_at(b, 40), 15000);
    assert_int_equal(le16_at(b, 42), KNOT_RISE_GAP_MS);
    assert_int_equal(le16_at(b, 44), KNOT_CEILING_S);
    assert_int_equal(le16_at(b, 46), KNOT_REST_S);

    /* a 1.0 device: the 1.0 blocks and no envelope */
    cfg.proto_1_0 = true;
    kdev_init(&f->dev, &cfg, record, f, f->now);
    memset(b, 0xaa, sizeof(b));
    assert_int_equal(ctl(f, KNOT_RT_IN, KNOT_REQ_GET_INFO, 0, 0, sizeof(b), b, sizeof(b)), KNOT_INFO_SIZE_1_0);
    assert_int_equal(b[1], 0);
    assert_int_equal(b[KNOT_INFO_SIZE_1_0], 0xaa);
    assert_int_equal(ctl(f, KNOT_RT_IN, KNOT_REQ_GET_STATUS, 0, 0, sizeof(b), b, sizeof(b)), KNOT_STATUS_SIZE_1_0);
    assert_int_equal(set_level(f, 3), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_info_roundtrip),
        T(test_info_levels_and_clamps),
        T(test_status_roundtrip_seq),
        T(test_seq_wraps),
        T(test_set_level_bounds),
        T(test_bad_requests_stall),
        T(test_identify_leaves_motor),
        T(test_watchdog_exact),
        T(test_watchdog_fires_in_long_tick),
        T(test_watchdog_fires_before_feed),
        T(test_a_monitor_never_keeps_a_dead_hosts_motor_running),
        T(test_watchdog_idle),
        T(test_polls_keep_running),
        T(test_custom_watchdog),
        T(test_overheat_fault),
        T(test_overheat_while_idle),
        T(test_injected_stall_and_clear_faults),
        T(test_clear_fault_partial),
        T(test_stall_by_force),
        T(test_low_battery),
        T(test_spin_up_and_down),
        T(test_temperature),
        T(test_string_descriptors),
        T(test_unplug),
        T(test_clock_backwards),
        T(test_names),
        T(test_null_trace),
        T(test_envelope_from_off),
        T(test_envelope_trial),
        T(test_envelope_step_gap_and_lowering),
        T(test_envelope_restart_after_watchdog),
        T(test_envelope_ceiling_and_rest),
        T(test_envelope_refusal_in_status),
        T(test_info_envelope_and_1_0),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
