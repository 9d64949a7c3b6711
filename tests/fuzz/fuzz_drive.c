/* SPDX-License-Identifier: MIT */
/* fuzz_drive.c - libFuzzer harness: the device controller (daemon/drive.c) answered by the fuzz input; it must never command a level above 0 without a fresh, matching look. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "drive.h"

/*
 * The input, after the decoders have had it whole as an info and a status
 * block, is a script: one op byte, then what that op reads.
 *
 *   op % 16   0..5 answer the request in flight: result % 4 (OK, STALL,
 *               TIMEOUT, ERROR), a delay of 0..255 ms, a byte below 0xc0
 *               making it OK after all, then the data stage's recipe
 *             6 wait 0..255 ms   7 wait 0..25.5 s   8 wait until drive_wake_ms()
 *             9 drive_tick       10 start (level)   11 up   12 down   13 ouch
 *             14 stop            15 unplug and plug in again
 *
 * After every op the owner's part is played: drive_next(), checked, and
 * drive_sent() for whatever it asks. The check is kept here, apart from
 * drive.c: a SET_LEVEL above 0 needs the last status answer to be for a
 * request sent less than watchdog_ms / 2 ago, after the last acknowledged
 * SET_LEVEL, with no failed request since, no fault, and the level the host
 * commanded (or one a SET_LEVEL of unknown outcome asked for, or off); and it
 * may only be the session's level, one above the level seen, 1 from off.
 */

/* What the harness knows, from the requests and answers alone. */
struct model {
    unsigned minor, levels, watchdog_ms;   /* from the info block answered */
    bool obs;                              /* a status answer stands, with nothing failed since */
    uint64_t obs_sent;
    unsigned obs_level, obs_faults;
    uint64_t ack_sent;                     /* the last SET_LEVEL answered OK: when sent, which level */
    unsigned ack_level;
    uint16_t unknown;                      /* levels of SET_LEVELs of unknown outcome since that */
    struct drive_cmd cmd;                  /* in flight */
    uint64_t sent;
    /* a plausible device, so that answers get past the first checks */
    unsigned dev_level, seq;
    uint64_t boot;
};

struct world {
    struct drive d;
    struct session s;
    struct session_dev rest;
    struct profile_area area;
    struct model m;
    uint64_t now;
};

/* KNOT_FUZZ_TRACE=1: each step on stderr, to read what a found input does. */
static bool verbose;

#define say(...) (verbose ? fprintf(stderr, __VA_ARGS__) : 0)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    verbose = getenv("KNOT_FUZZ_TRACE") != NULL;
    return 0;
}

static void put16(uint8_t *b, unsigned v)
{
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *b, uint32_t v)
{
    put16(b, v & 0xffff);
    put16(b + 2, v >> 16);
}

static unsigned get16(const uint8_t *b)
{
    return (unsigned)(b[0] | b[1] << 8);
}

/* The decoders alone, on the whole input. */
static void decode_raw(const uint8_t *data, size_t size)
{
    struct drive_info info;
    struct drive_status st;
    char why[160];

    if (drive_decode_info(data, size, &info, why, sizeof(why)) == 0) {
        if (info.levels < 1 || info.levels > KNOT_MAX_LEVELS || info.watchdog_ms < KNOT_WATCHDOG_MS_MIN ||
            info.watchdog_ms > KNOT_WATCHDOG_MS_MAX || !info.serial[0] || strlen(info.serial) > KNOT_SERIAL_LEN)
            fuzz_fail("an accepted info block: %u levels, %u ms watchdog, serial '%s'", info.levels,
                      info.watchdog_ms, info.serial);
        if (info.proto_minor > 0 && (info.trial_ms < KNOT_TRIAL_MS || info.rise_gap_ms < KNOT_RISE_GAP_MS ||
                                     info.ceiling_s > KNOT_CEILING_S || info.rest_s < KNOT_REST_S))
            fuzz_fail("an accepted 1.%u info block looser than the protocol", info.proto_minor);
    } else if (!why[0]) {
        fuzz_fail("an info block refused without a reason");
    }
    for (unsigned minor = 0; minor < 3; minor++) {
        int rc = drive_decode_status(data, size, minor, &st);

        if ((rc == 0) != (size >= (minor ? KNOT_STATUS_SIZE : KNOT_STATUS_SIZE_1_0)))
            fuzz_fail("a %zu-byte 1.%u status block decoded %d", size, minor, rc);
        if (rc == 0 && (st.level != data[2] || st.faults != get16(data + 12)))
            fuzz_fail("status level or faults decoded wrong");
    }
}

static size_t answer_info(struct fuzz_in *in, uint8_t *b)
{
    unsigned mode = fuzz_u8(in);

    if ((mode & 3) == 3) {
        size_t len = fuzz_u8(in) % (KNOT_INFO_SIZE + 8);

        fuzz_bytes(in, b, len);
        return len;
    }
    memset(b, 0, KNOT_INFO_SIZE);
    b[0] = KNOT_PROTO_MAJOR;
    b[1] = mode & 4 ? 0 : KNOT_PROTO_MINOR;
    put16(b + 2, 0x0100);
    b[4] = (uint8_t)(1 + fuzz_u8(in) % KNOT_MAX_LEVELS);
    put16(b + 6, mode & 8 ? KNOT_WATCHDOG_MS_MIN + fuzz_u8(in) * 4 : KNOT_WATCHDOG_MS_DEFAULT);
    for (unsigned i = 0; i < b[4]; i++)
        put16(b + 8 + 2 * i, 1800 + 200 * i);
    memcpy(b + 24, "FUZZ1", 5);
    put16(b + 40, mode & 16 ? KNOT_TRIAL_MS + fuzz_u16(in) % 20000 : KNOT_TRIAL_MS);
    put16(b + 42, mode & 32 ? KNOT_RISE_GAP_MS + fuzz_u16(in) % 20000 : KNOT_RISE_GAP_MS);
    put16(b + 44, KNOT_CEILING_S);
    put16(b + 46, KNOT_REST_S);
    return b[1] ? KNOT_INFO_SIZE : KNOT_INFO_SIZE_1_0;
}

/* A status of the plausible device, with what the mode bits change. */
static size_t answer_status(struct world *w, struct fuzz_in *in, uint8_t *b)
{
    struct model *m = &w->m;
    unsigned mode = fuzz_u8(in);
    size_t len = m->minor ? KNOT_STATUS_SIZE : KNOT_STATUS_SIZE_1_0;

    if (mode == 0xff) {
        len = fuzz_u8(in) % (KNOT_STATUS_SIZE + 8);
        fuzz_bytes(in, b, len);
        return len;
    }
    memset(b, 0, KNOT_STATUS_SIZE);
    m->seq += mode & 4 ? 1 + fuzz_u8(in) : 1;
    if (mode & 1)
        m->dev_level = fuzz_u8(in) % (KNOT_MAX_LEVELS + 3);
    if (mode & 8)
        m->boot = w->now - fuzz_u16(in);   /* a reset, or time that ran on */
    put16(b, m->seq & 0xffff);
    b[2] = (uint8_t)m->dev_level;
    b[3] = mode & 16 ? (uint8_t)(fuzz_u8(in) % 6) : m->dev_level ? KNOT_STOP_NONE : KNOT_STOP_HOST;
    put16(b + 4, m->dev_level ? 1800 : 0);
    put16(b + 8, 300);
    if (mode & 2)
        put16(b + 10, fuzz_u16(in));   /* force */
    if (mode & 32)
        put16(b + 12, fuzz_u8(in) & 0x0f);   /* faults */
    b[14] = 80;
    put32(b + 16, (uint32_t)(w->now - m->boot));
    put16(b + 24, mode & 64 ? fuzz_u16(in) : 0);
    if (mode & 128)
        len = fuzz_u8(in) % len;
    return len;
}

static void plug(struct world *w)
{
    memset(&w->m, 0, sizeof(w->m));
    w->m.boot = w->now;
    drive_init(&w->d, &w->s, w->now);
}

static void handle_notes(struct world *w, struct fuzz_in *in, unsigned notes)
{
    if (notes & DRIVE_N_INFO) {
        if (fuzz_u8(in) == 0xff)
            drive_reject(&w->d, "the owner refused the serial");
        else
            drive_accept(&w->d, &w->rest);
    }
}

/* The one rule, checked from the outside. */
static void check_level(struct world *w, struct drive_cmd c)
{
    const struct model *m = &w->m;
    unsigned n = c.level;

    if (c.op != DRIVE_OP_LEVEL || n == 0)
        return;
    if (!m->obs)
        fuzz_fail("SET_LEVEL %u without a standing status answer", n);
    if (w->now - m->obs_sent >= m->watchdog_ms / 2u)
        fuzz_fail("SET_LEVEL %u on a status sent %llu ms ago (watchdog %u ms)", n,
                  (unsigned long long)(w->now - m->obs_sent), m->watchdog_ms);
    if (m->obs_sent < m->ack_sent)
        fuzz_fail("SET_LEVEL %u on a status older than the last level change", n);
    if (m->obs_faults)
        fuzz_fail("SET_LEVEL %u with faults 0x%x showing", n, m->obs_faults);
    /* Off seen is off known (a stop by the device itself); any other level must be one knotd asked for. */
    if (m->obs_level != m->ack_level && m->obs_level != 0 &&
        !(m->obs_level <= KNOT_MAX_LEVELS && (m->unknown & (1u << m->obs_level))))
        fuzz_fail("SET_LEVEL %u on a status showing level %u, commanded %u", n, m->obs_level, m->ack_level);
    if (n > m->levels || n > m->obs_level + 1 || (m->obs_level == 0 && n != 1))
        fuzz_fail("SET_LEVEL %u from level %u of %u", n, m->obs_level, m->levels);
    if (!session_running(&w->s) || n != session_level(&w->s) || n > w->s.max_level)
        fuzz_fail("SET_LEVEL %u that the session (level %u, max %u) does not want", n, session_level(&w->s),
                  w->s.max_level);
}

/* The owner: send whatever the controller asks for now. */
static void run_host(struct world *w)
{
    struct drive_cmd c;

    if (w->d.busy)
        return;
    c = drive_next(&w->d, w->now);
    check_level(w, c);
    if (c.op == DRIVE_OP_NONE)
        return;
    say("%llu: send op %d level %u\n", (unsigned long long)w->now, c.op, c.level);
    drive_sent(&w->d, c, w->now);
    w->m.cmd = c;
    w->m.sent = w->now;
}

static void answer(struct world *w, struct fuzz_in *in)
{
    struct model *m = &w->m;
    enum drive_result r = (enum drive_result)(fuzz_u8(in) % 4);
    uint8_t b[KNOT_INFO_SIZE + 8];
    size_t len = 0;
    unsigned notes;

    if (!w->d.busy)
        return;
    w->now += fuzz_u8(in);
    /* Mostly answered: a script of failures only would never get far. */
    if (fuzz_u8(in) < 0xc0)
        r = DRIVE_OK;
    if (r == DRIVE_OK && m->cmd.op == DRIVE_OP_INFO) {
        len = answer_info(in, b);
        if (len >= KNOT_INFO_SIZE_1_0) {
            m->minor = b[1];
            m->levels = b[4];
            m->watchdog_ms = get16(b + 6);
        }
    } else if (r == DRIVE_OK && m->cmd.op == DRIVE_OP_STATUS) {
        len = answer_status(w, in, b);
        m->obs = len >= (m->minor ? KNOT_STATUS_SIZE : KNOT_STATUS_SIZE_1_0);
        m->obs_sent = m->sent;
        m->obs_level = b[2];
        m->obs_faults = get16(b + 12);
    } else if (m->cmd.op == DRIVE_OP_STATUS) {
        m->obs = false;
    } else if (m->cmd.op == DRIVE_OP_LEVEL) {
        if (r == DRIVE_OK) {
            m->ack_sent = m->sent;
            m->ack_level = m->cmd.level;
            m->unknown = 0;
            m->dev_level = m->cmd.level;
        } else {
            m->obs = false;
            if (r != DRIVE_STALL || m->cmd.level == 0)
                m->unknown |= (uint16_t)(1u << (m->cmd.level & 15));
            if (r == DRIVE_TIMEOUT && fuzz_u8(in) & 1)
                m->dev_level = m->cmd.level;   /* it arrived after all */
        }
    }
    notes = drive_done(&w->d, r, r == DRIVE_OK ? b : NULL, len, w->now);
    say("%llu: answer %d, %zu bytes%s: notes 0x%x level %d session %s level %u (%s)\n",
        (unsigned long long)w->now, r, len, m->cmd.op == DRIVE_OP_STATUS && len > 2 ? " (status)" : "", notes,
        drive_level(&w->d), session_phase_name(w->s.phase), session_level(&w->s), w->d.why);
    if (m->cmd.op == DRIVE_OP_STATUS && len > 13)
        say("    status seq %u level %u stop %u faults 0x%x\n", get16(b), b[2], b[3], get16(b + 12));
    handle_notes(w, in, notes);
}

static void client(struct world *w, unsigned op, struct fuzz_in *in)
{
    char why[256];

    if (w->d.phase != DRIVE_READY)
        return;
    drive_tick(&w->d, w->now);   /* commands.c catches up first */
    say("%llu: client op %u\n", (unsigned long long)w->now, op);
    switch (op) {
    case 10:
        if (session_start(&w->s, &w->rest, &w->area, w->d.info.levels, fuzz_u8(in) % (KNOT_MAX_LEVELS + 1), w->now,
                          why, sizeof(why)) == 0)
            drive_begin(&w->d, w->now);
        break;
    case 11:
        session_up(&w->s, w->now, why, sizeof(why));
        break;
    case 12:
        session_down(&w->s, w->now, why, sizeof(why));
        break;
    case 13:
        session_ouch(&w->s, w->now, why, sizeof(why));
        break;
    default:
        drive_end(&w->d, SESSION_END_STOPPED, w->now);
        break;
    }
}

static void setup_area(struct profile_area *a, struct fuzz_in *in)
{
    memset(a, 0, sizeof(*a));
    snprintf(a->name, sizeof(a->name), "calves");
    snprintf(a->title, sizeof(a->title), "Calves");
    a->gun_allowed = true;
    a->start_level = PROFILE_START_LEVEL;
    a->trial_s = PROFILE_TRIAL_MIN_S + fuzz_u8(in) % (PROFILE_TRIAL_MAX_S - PROFILE_TRIAL_MIN_S + 1);
    a->max_level = 1 + fuzz_u8(in) % KNOT_MAX_LEVELS;
    a->default_level = 1 + fuzz_u8(in) % a->max_level;
    a->step_s = PROFILE_STEP_MIN_S + fuzz_u8(in) % 8;
    a->session_s = PROFILE_SESSION_MAX_S;
    a->cooldown_s = 0;   /* so that a script can start again at once */
    a->force_max_dn = 250;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct world w;
    struct fuzz_in in = { data, size };
    unsigned steps = 0;

    decode_raw(data, size);

    memset(&w, 0, sizeof(w));
    w.now = 1000000;
    setup_area(&w.area, &in);
    session_init(&w.s);
    plug(&w);
    run_host(&w);
    while (in.n > 0 && steps++ < 4096) {
        unsigned op = fuzz_u8(&in) % 16;
        uint64_t wake;

        switch (op) {
        case 6:
            w.now += fuzz_u8(&in);
            break;
        case 7:
            w.now += fuzz_u8(&in) * 100u;
            break;
        case 8:
            wake = drive_wake_ms(&w.d, w.now);
            if (wake != UINT64_MAX && wake > w.now)
                w.now = wake;
            drive_tick(&w.d, w.now);
            break;
        case 9:
            drive_tick(&w.d, w.now);
            break;
        case 10: case 11: case 12: case 13: case 14:
            client(&w, op, &in);
            break;
        case 15:
            drive_end(&w.d, SESSION_END_UNPLUG, w.now);
            plug(&w);
            break;
        default:
            answer(&w, &in);
            break;
        }
        if (w.d.phase == DRIVE_DEAD) {
            /* The owner closes it; the next plug attaches afresh. */
            drive_end(&w.d, SESSION_END_UNPLUG, w.now);
            plug(&w);
        }
        run_host(&w);
    }
    return 0;
}
