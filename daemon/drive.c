/* SPDX-License-Identifier: MIT */
/* drive.c - one massager's device control as pure logic: attach, heartbeat, what to send, what an observation means. */
#include "drive.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "advice.h"

/* Attach steps, in order. */
enum { DRIVE_A_INFO, DRIVE_A_WAIT, DRIVE_A_OFF, DRIVE_A_STATUS };

/* The texts are not proved (make prove assumes this contract): vsnprintf
 * writes at most sizeof(d->why) bytes of d->why, and nothing else. */
/*@ requires \valid(d);
    assigns d->why[0 .. sizeof(d->why) - 1]; */
static void drive_say(struct drive *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void drive_say(struct drive *d, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(d->why, sizeof(d->why), fmt, ap);
    va_end(ap);
}

/* Little-endian fields, by sums rather than shifts so that the proof reads them. */
/*@ requires \valid_read(b + (0 .. 1));
    assigns \nothing;
    ensures \result == b[0] + 256 * b[1]; */
static unsigned drive_le16(const uint8_t *b)
{
    return b[0] + 256u * b[1];
}

/*@ requires \valid_read(b + (0 .. 3));
    assigns \nothing;
    ensures \result == b[0] + 256 * b[1] + 65536 * b[2] + 16777216 * b[3]; */
static uint32_t drive_le32(const uint8_t *b)
{
    return b[0] + 256u * b[1] + 65536u * b[2] + 16777216u * b[3];
}

/* ---- blocks ---- */

/* Why an info block is refused (drive_info_read), worded by drive_info_why. */
enum drive_info_fault {
    DRIVE_INFO_OK,
    DRIVE_INFO_SHORT,        /* shorter than a 1.0 block */
    DRIVE_INFO_PROTOCOL,     /* another major version */
    DRIVE_INFO_LEVELS,       /* not 1..KNOT_MAX_LEVELS */
    DRIVE_INFO_WATCHDOG,     /* outside the range the fail-to-off argument needs */
    DRIVE_INFO_SERIAL_BYTE,  /* a byte of the serial that is not printable ASCII (at bad) */
    DRIVE_INFO_NO_SERIAL,
    DRIVE_INFO_SHORT_1_1,    /* 1.1 or later in a 1.0 block */
    DRIVE_INFO_LOOSE,        /* an envelope looser than protocol 1.1 allows */
    DRIVE_INFO_STRICT,       /* a ceiling or rest knotd would run into */
};

/*@ // An info block knotd accepts (drive_info_read()): the serial, up to
  // its first NUL, is printable ASCII.
  predicate drive_info_ok(struct drive_info *in) =
    in->proto_major == KNOT_PROTO_MAJOR && 1 <= in->levels <= KNOT_MAX_LEVELS
    && KNOT_WATCHDOG_MS_MIN <= in->watchdog_ms <= KNOT_WATCHDOG_MS_MAX
    && in->serial[0] != 0 && in->serial[KNOT_SERIAL_LEN] == 0
    && (\forall integer k; 0 <= k < KNOT_SERIAL_LEN && (\forall integer j; 0 <= j <= k ==> in->serial[j] != 0)
          ==> ' ' < in->serial[k] <= '~')
    && (in->proto_minor >= 1 ==>
          in->trial_ms >= KNOT_TRIAL_MS && in->rise_gap_ms >= KNOT_RISE_GAP_MS
          && DRIVE_CEILING_MIN_S <= in->ceiling_s <= KNOT_CEILING_S && KNOT_REST_S <= in->rest_s <= DRIVE_REST_MAX_S);
*/

/* A stranger's bytes (make prove): read within len only; the fields as the
 * device sent them; DRIVE_INFO_OK only for a block knotd accepts. *bad: the
 * serial's offending byte. */
/*@ requires \valid_read(buf + (0 .. len - 1)) && \valid(out) && \valid(bad);
    requires \separated(buf + (0 .. len - 1), out, bad) && \separated(out, bad);
    assigns *out, *bad;
    ensures DRIVE_INFO_OK <= \result <= DRIVE_INFO_STRICT;
    ensures \result == DRIVE_INFO_OK ==> len >= KNOT_INFO_SIZE_1_0 && drive_info_ok(out)
      && out->proto_minor == buf[1] && out->levels == buf[4] && out->watchdog_ms == buf[6] + 256 * buf[7];
    ensures \result == DRIVE_INFO_OK && out->proto_minor >= 1 ==> len >= KNOT_INFO_SIZE; */
static enum drive_info_fault drive_info_read(const uint8_t *buf, size_t len, struct drive_info *out, unsigned *bad)
{
    *out = (struct drive_info){ 0 };
    *bad = 0;
    if (len < KNOT_INFO_SIZE_1_0)
        return DRIVE_INFO_SHORT;
    out->proto_major = buf[0];
    out->proto_minor = buf[1];
    out->fw = drive_le16(buf + 2);
    out->levels = buf[4];
    out->watchdog_ms = drive_le16(buf + 6);
    /*@ loop invariant 0 <= i <= KNOT_MAX_LEVELS;
        loop assigns i, out->ppm[0 .. KNOT_MAX_LEVELS - 1];
        loop variant KNOT_MAX_LEVELS - i; */
    for (unsigned i = 0; i < KNOT_MAX_LEVELS; i++)
        out->ppm[i] = drive_le16(buf + 8 + 2 * i);
    /* Byte by byte (not memcpy), so that the proof follows the copy. */
    /*@ loop invariant 0 <= i <= KNOT_SERIAL_LEN;
        loop assigns i, out->serial[0 .. KNOT_SERIAL_LEN - 1];
        loop variant KNOT_SERIAL_LEN - i; */
    for (unsigned i = 0; i < KNOT_SERIAL_LEN; i++)
        out->serial[i] = (char)buf[24 + i];
    out->serial[KNOT_SERIAL_LEN] = '\0';
    if (out->proto_major != KNOT_PROTO_MAJOR)
        return DRIVE_INFO_PROTOCOL;
    if (out->levels < 1 || out->levels > KNOT_MAX_LEVELS)
        return DRIVE_INFO_LEVELS;
    /* The whole fail-to-off argument rests on the device's dead-man timer. */
    if (out->watchdog_ms < KNOT_WATCHDOG_MS_MIN || out->watchdog_ms > KNOT_WATCHDOG_MS_MAX)
        return DRIVE_INFO_WATCHDOG;
    /*@ loop invariant 0 <= i <= KNOT_SERIAL_LEN;
        loop invariant \forall integer k; 0 <= k < i ==> out->serial[k] != 0 && ' ' < out->serial[k] <= '~';
        loop assigns i;
        loop variant KNOT_SERIAL_LEN - i; */
    for (size_t i = 0; i < KNOT_SERIAL_LEN && out->serial[i]; i++) {
        if (out->serial[i] <= ' ' || out->serial[i] > '~') {
            *bad = (unsigned char)out->serial[i];
            return DRIVE_INFO_SERIAL_BYTE;
        }
    }
    if (!out->serial[0])
        return DRIVE_INFO_NO_SERIAL;
    if (out->proto_minor == 0)
        return DRIVE_INFO_OK;
    if (len < KNOT_INFO_SIZE)
        return DRIVE_INFO_SHORT_1_1;
    out->trial_ms = drive_le16(buf + 40);
    out->rise_gap_ms = drive_le16(buf + 42);
    out->ceiling_s = drive_le16(buf + 44);
    out->rest_s = drive_le16(buf + 46);
    if (out->trial_ms < KNOT_TRIAL_MS || out->rise_gap_ms < KNOT_RISE_GAP_MS || out->ceiling_s > KNOT_CEILING_S ||
        out->rest_s < KNOT_REST_S)
        return DRIVE_INFO_LOOSE;
    if (out->ceiling_s < DRIVE_CEILING_MIN_S || out->rest_s > DRIVE_REST_MAX_S)
        return DRIVE_INFO_STRICT;
    return DRIVE_INFO_OK;
}

/* Why an info block was refused, in words (not proved: snprintf). */
static void drive_info_why(enum drive_info_fault f, const struct drive_info *in, size_t len, unsigned bad, char *why,
                           size_t whylen)
{
    switch (f) {
    case DRIVE_INFO_OK:
        break;
    case DRIVE_INFO_SHORT:
        snprintf(why, whylen, "its info block is %zu bytes, at least %d expected", len, KNOT_INFO_SIZE_1_0);
        break;
    case DRIVE_INFO_PROTOCOL:
        snprintf(why, whylen, "it speaks protocol %u.%u; knotd speaks %d.x", in->proto_major, in->proto_minor,
                 KNOT_PROTO_MAJOR);
        break;
    case DRIVE_INFO_LEVELS:
        snprintf(why, whylen, "it reports %u levels (1..%d allowed)", in->levels, KNOT_MAX_LEVELS);
        break;
    case DRIVE_INFO_WATCHDOG:
        snprintf(why, whylen, "it reports a %u ms watchdog (%d..%d ms required)", in->watchdog_ms,
                 KNOT_WATCHDOG_MS_MIN, KNOT_WATCHDOG_MS_MAX);
        break;
    case DRIVE_INFO_SERIAL_BYTE:
        snprintf(why, whylen, "its serial number has a byte 0x%02x that is not printable ASCII", bad);
        break;
    case DRIVE_INFO_NO_SERIAL:
        snprintf(why, whylen, "it has no serial number (knotd keeps rest and cool-downs per serial)");
        break;
    case DRIVE_INFO_SHORT_1_1:
        snprintf(why, whylen, "it speaks protocol 1.%u but its info block is %zu bytes, %d expected",
                 in->proto_minor, len, KNOT_INFO_SIZE);
        break;
    case DRIVE_INFO_LOOSE:
        snprintf(why, whylen, "its envelope (trial %u ms, gap %u ms, ceiling %u s, rest %u s) is looser than "
                 "protocol 1.1 allows", in->trial_ms, in->rise_gap_ms, in->ceiling_s, in->rest_s);
        break;
    case DRIVE_INFO_STRICT:
        snprintf(why, whylen, "its ceiling (%u s, rest %u s) is stricter than knotd's own (%u s, rest %u s): "
                 "knotd would run into it", in->ceiling_s, in->rest_s, SESSION_CEILING_MS / 1000u,
                 SESSION_REST_MS / 1000u);
        break;
    }
}

int drive_decode_info(const uint8_t *buf, size_t len, struct drive_info *out, char *why, size_t whylen)
{
    unsigned bad;
    enum drive_info_fault f = drive_info_read(buf, len, out, &bad);

    if (f == DRIVE_INFO_OK)
        return 0;
    drive_info_why(f, out, len, bad, why, whylen);
    return -1;
}

/* A stranger's bytes (make prove): read within len only; the level, the
 * faults and the force as the device sent them, and a 1.1 rise window. */
/*@ requires \valid_read(buf + (0 .. len - 1)) && \valid(out) && \separated(buf + (0 .. len - 1), out);
    assigns *out;
    ensures \result == 0 || \result == -1;
    ensures \result == 0 ==> len >= KNOT_STATUS_SIZE_1_0 && out->level == buf[2]
      && out->faults == buf[12] + 256 * buf[13] && out->force_dn == buf[10] + 256 * buf[11];
    ensures \result == 0 ==> (out->ext != 0 <==> proto_minor >= 1);
    ensures \result == 0 && proto_minor >= 1 ==> len >= KNOT_STATUS_SIZE
      && out->rise_wait_ms == buf[24] + 256 * buf[25]; */
int drive_decode_status(const uint8_t *buf, size_t len, unsigned proto_minor, struct drive_status *out)
{
    *out = (struct drive_status){ 0 };
    if (len < (proto_minor >= 1 ? KNOT_STATUS_SIZE : KNOT_STATUS_SIZE_1_0))
        return -1;
    out->seq = drive_le16(buf);
    out->level = buf[2];
    out->last_stop = buf[3];
    out->ppm = drive_le16(buf + 4);
    out->current_ma = drive_le16(buf + 6);
    out->temp_dc = (int16_t)drive_le16(buf + 8);
    out->force_dn = drive_le16(buf + 10);
    out->faults = drive_le16(buf + 12);
    out->battery = buf[14];
    out->ext = proto_minor >= 1;
    if (!out->ext)
        return 0;
    out->uptime_ms = drive_le32(buf + 16);
    out->run_ms = drive_le32(buf + 20);
    out->rise_wait_ms = drive_le16(buf + 24);
    out->refusal = buf[26];
    out->refused_level = buf[27];
    out->refusals = drive_le16(buf + 28);
    out->rest_left_s = drive_le16(buf + 30);
    return 0;
}

void drive_cmd_setup(struct drive_cmd c, uint8_t setup[8])
{
    unsigned len = c.op == DRIVE_OP_INFO ? KNOT_INFO_SIZE : c.op == DRIVE_OP_STATUS ? KNOT_STATUS_SIZE : 0;
    bool out = c.op == DRIVE_OP_LEVEL || c.op == DRIVE_OP_CLEAR;

    setup[0] = out ? KNOT_RT_OUT : KNOT_RT_IN;
    setup[1] = c.op == DRIVE_OP_LEVEL ? KNOT_REQ_SET_LEVEL : c.op == DRIVE_OP_CLEAR ? KNOT_REQ_CLEAR_FAULT :
               c.op == DRIVE_OP_INFO ? KNOT_REQ_GET_INFO : KNOT_REQ_GET_STATUS;
    /* knotd drives the motor: its status poll is the heartbeat (1.2; older devices ignore wValue). */
    unsigned value = c.op == DRIVE_OP_LEVEL ? c.level : c.op == DRIVE_OP_STATUS ? KNOT_STATUS_HEARTBEAT : 0;

    setup[2] = (uint8_t)(value & 0xff);
    setup[3] = (uint8_t)(value >> 8);
    setup[4] = KNOT_USB_INTERFACE;
    setup[5] = 0;
    setup[6] = (uint8_t)(len & 0xff);
    setup[7] = (uint8_t)(len >> 8);
}

/* ---- state ---- */

/* The level the device is known to have: possible holds that level's one
 * bit. (possible only ever holds bits 0..KNOT_MAX_LEVELS, or all 16 bits for
 * "anything", so one bit is always a level.) Spelled out case by case so
 * that the proof need not reason about shifts. */
_Static_assert(KNOT_MAX_LEVELS == 8, "drive_level names each level's bit");
/*@ requires \valid_read(d);
    assigns \nothing;
    ensures \result == drive_level_l(d); */
int drive_level(const struct drive *d)
{
    switch (d->possible) {
    case 1u << 0: return 0;
    case 1u << 1: return 1;
    case 1u << 2: return 2;
    case 1u << 3: return 3;
    case 1u << 4: return 4;
    case 1u << 5: return 5;
    case 1u << 6: return 6;
    case 1u << 7: return 7;
    case 1u << 8: return 8;
    default: break;
    }
    return -1;
}

/*@ requires \valid_read(d);
    assigns \nothing;
    ensures \result <==> drive_level_l(d) >= 0; */
static bool drive_known(const struct drive *d)
{
    return drive_level(d) >= 0;
}

/* Case by case, like drive_level(), so that the proof reads each level's
 * bit. A level above 8 breaks the contract; should a caller ever pass one,
 * the level is not known, so only off goes out next. */
/*@ requires \valid(d) && level <= KNOT_MAX_LEVELS;
    assigns d->possible;
    ensures d->possible == (1 << level) && drive_level_l(d) == level; */
static void drive_set_level(struct drive *d, unsigned level)
{
    switch (level) {
    case 0: d->possible = 1u << 0; break;
    case 1: d->possible = 1u << 1; break;
    case 2: d->possible = 1u << 2; break;
    case 3: d->possible = 1u << 3; break;
    case 4: d->possible = 1u << 4; break;
    case 5: d->possible = 1u << 5; break;
    case 6: d->possible = 1u << 6; break;
    case 7: d->possible = 1u << 7; break;
    case 8: d->possible = 1u << 8; break;
    default: d->possible = 0xffff; break;
    }
}

void drive_init(struct drive *d, struct session *s, uint64_t now_ms)
{
    memset(d, 0, sizeof(*d));
    d->phase = DRIVE_ATTACH;
    d->attach_step = DRIVE_A_INFO;
    d->sess = s;
    d->period_ms = KNOT_HEARTBEAT_MS;
    d->off_ms = now_ms;
}

void drive_accept(struct drive *d, struct session_dev *rest)
{
    if (d->phase == DRIVE_ATTACH && d->attach_step == DRIVE_A_WAIT) {
        d->rest = rest;
        d->attach_step = DRIVE_A_OFF;
    }
}

void drive_reject(struct drive *d, const char *why)
{
    d->phase = DRIVE_DEAD;
    drive_say(d, "%s", why);
}

/* Someone asked how the massager is: readings at most DRIVE_LOOK_MS old
 * until DRIVE_WATCH_MS from now (make prove). */
/*@ requires \valid(d) && now_ms <= SESSION_TIME_MAX;
    assigns d->watched_until_ms, d->asked_ms;
    ensures d->watched_until_ms == now_ms + DRIVE_WATCH_MS && d->asked_ms == now_ms; */
void drive_watch(struct drive *d, uint64_t now_ms)
{
    d->watched_until_ms = now_ms + DRIVE_WATCH_MS;
    d->asked_ms = now_ms;
}

/* When the next idle look is due while watched; UINT64_MAX when none is. */
/*@ requires \valid_read(d) && drive_ok(d) && now_ms <= SESSION_TIME_MAX;
    assigns \nothing;
    ensures \result == UINT64_MAX || \result >= now_ms; */
static uint64_t drive_look_ms(const struct drive *d, uint64_t now_ms)
{
    uint64_t at;

    if (d->phase != DRIVE_READY || now_ms >= d->watched_until_ms)
        return UINT64_MAX;
    at = d->st_valid ? d->st_ms + DRIVE_LOOK_MS : now_ms;
    /* Asked after the readings had aged: a look now, not at the period. */
    if (d->st_valid && d->asked_ms > d->st_ms + DRIVE_FRESH_MS && d->asked_ms < at)
        at = d->asked_ms;
    if (at < now_ms)
        at = now_ms;
    return at > d->retry_ms ? at : d->retry_ms;
}

/*@ requires \valid_read(d) && drive_ok(d);
    assigns \nothing;
    ensures \result ==> d->phase == DRIVE_READY; */
bool drive_active(const struct drive *d, uint64_t now_ms)
{
    /* Spinning down counts too (bounded), so the status ends on the real 0 ppm. */
    bool spinning = d->st_valid && d->st.ppm > 0 && now_ms - d->off_ms < DRIVE_SPINDOWN_MS;

    return d->phase == DRIVE_READY &&
           (session_running(d->sess) || !drive_known(d) || drive_level(d) != 0 || spinning);
}

/* The observation knotd may act on: a status whose request went out less than
 * half a watchdog ago, after the last level change, showing the level knotd
 * believes and no fault. Half the watchdog leaves the other half for the
 * next request to arrive before the device could have stopped by itself. */
/*@ requires \valid_read(d) && drive_ok(d) && now_ms <= SESSION_TIME_MAX;
    assigns \nothing;
    ensures \result <==> drive_fresh_p(d, now_ms); */
static bool drive_fresh(const struct drive *d, uint64_t now_ms)
{
    int have = drive_level(d);

    return d->st_valid && !d->refused && have >= 0 && d->st.faults == 0 && d->st.level == (unsigned)have &&
           d->st_ms >= d->change_ms && now_ms >= d->st_ms && now_ms - d->st_ms < d->info.watchdog_ms / 2u;
}

/* Ends the running session, if one runs. */
/*@ requires \valid(d) && drive_owned(d) && now_ms <= SESSION_TIME_MAX;
    assigns DRIVE_SESSION_STATE;
    ensures session_ok(d->sess) && !session_on(d->sess); */
static void drive_stop(struct drive *d, enum session_end why, uint64_t now_ms)
{
    if (session_running(d->sess))
        session_stop(d->sess, d->rest, why, now_ms);
}

/* ---- what to send ---- */

/* A rise is asked for: with a 1.1 device, not before its rise window opens
 * (the status says when). Returns true if the rise may go now. */
/*@ requires \valid(d) && drive_ok(d) && now_ms <= SESSION_TIME_MAX;
    assigns d->leans, d->lean_level, d->hold_ms;
    ensures \result <==> drive_rise_open_p(d, now_ms); */
static bool drive_rise_open(struct drive *d, unsigned want, uint64_t now_ms)
{
    uint64_t open;

    if (!d->st.ext)
        return true;
    open = d->st.rise_wait_ms == KNOT_RISE_WAIT_NEVER ? UINT64_MAX : d->st_done_ms + d->st.rise_wait_ms;
    if (now_ms >= open)
        return true;
    /* A knotd that leans on the envelope is a bug: count it once per rise. */
    if ((open == UINT64_MAX || open - now_ms > DRIVE_SKEW_MS) && d->lean_level != want) {
        d->leans++;
        d->lean_level = want;
    }
    d->hold_ms = open;
    return false;
}

/* During the attach: GET_INFO, then (once accepted) off, then a look. */
/*@ requires \valid_read(d);
    assigns \nothing;
    ensures \result.op == DRIVE_OP_NONE || \result.op == DRIVE_OP_INFO || \result.op == DRIVE_OP_STATUS
            || (\result.op == DRIVE_OP_LEVEL && \result.level == 0); */
static struct drive_cmd drive_next_attach(const struct drive *d)
{
    struct drive_cmd c = { DRIVE_OP_NONE, 0 };   /* waiting for drive_accept() */

    switch (d->attach_step) {
    case DRIVE_A_INFO:
        c.op = DRIVE_OP_INFO;
        break;
    case DRIVE_A_OFF:
        /* Whatever state it powered up in, the motor starts off under knotd. */
        c.op = DRIVE_OP_LEVEL;
        break;
    case DRIVE_A_STATUS:
        c.op = DRIVE_OP_STATUS;
        break;
    default:
        break;
    }
    return c;
}

/* The session wants level want > 0 and the device is known at another level
 * (have), or not known: a look first unless the last one is fresh, and a
 * rise waits for the device's window. DRIVE_OP_NONE: a rise is held. */
/*@ requires \valid(d) && drive_ok(d) && now_ms <= SESSION_TIME_MAX;
    requires 0 < want <= KNOT_MAX_LEVELS && have == drive_level_l(d) && have != want;
    assigns d->leans, d->lean_level, d->hold_ms;
    ensures \result.op == DRIVE_OP_LEVEL || \result.op == DRIVE_OP_STATUS || \result.op == DRIVE_OP_NONE;
    ensures \result.op == DRIVE_OP_LEVEL ==> \result.level == want && drive_fresh_p(d, now_ms);
    ensures \result.op == DRIVE_OP_LEVEL && want > d->st.level ==> drive_rise_open_p(d, now_ms); */
static struct drive_cmd drive_next_level(struct drive *d, unsigned want, int have, uint64_t now_ms)
{
    struct drive_cmd c = { DRIVE_OP_STATUS, 0 };

    if (!drive_fresh(d, now_ms))
        return c;
    if ((int)want < have || drive_rise_open(d, want, now_ms)) {
        c.op = DRIVE_OP_LEVEL;
        c.level = want;
    } else {
        c.op = DRIVE_OP_NONE;   /* holding a rise for the device's window: the heartbeat goes on */
    }
    return c;
}

/* The controller's theorem (make prove; docs/PROOFS.md): a level above 0 goes
 * out only from a ready device, on a fresh look that shows the motor at the
 * level knotd believes and no fault, and it is the session's level, within
 * the session's and the area's maximum; a rise only once a 1.1 device's
 * window is open. Off and reads need none of that. */
/*@ requires \valid(d) && drive_ok(d) && now_ms <= SESSION_TIME_MAX;
    assigns d->hold_ms, d->off_first, d->leans, d->lean_level;
    ensures \old(d->busy) || \old(d->phase) == DRIVE_DEAD ==> \result.op == DRIVE_OP_NONE;
    ensures \result.op == DRIVE_OP_LEVEL ==> \result.level <= KNOT_MAX_LEVELS;
    ensures \result.op == DRIVE_OP_LEVEL && \result.level > 0 ==>
      d->phase == DRIVE_READY && drive_fresh_p(d, now_ms) && d->sess != \null
      && \result.level == session_cmd(d->sess) && \result.level <= d->sess->max_level
      && d->sess->max_level <= d->sess->area.max_level && d->off_first == 0;
    ensures \result.op == DRIVE_OP_LEVEL && \result.level > d->st.level ==> drive_rise_open_p(d, now_ms);
    ensures \result.op == DRIVE_OP_CLEAR ==> d->phase == DRIVE_READY && d->sess != \null && session_on(d->sess); */
struct drive_cmd drive_next(struct drive *d, uint64_t now_ms)
{
    struct drive_cmd none = { DRIVE_OP_NONE, 0 };
    struct drive_cmd status = { DRIVE_OP_STATUS, 0 };
    unsigned want;
    int have;

    if (d->busy || d->phase == DRIVE_DEAD)
        return none;
    if (d->phase == DRIVE_ATTACH)
        return drive_next_attach(d);
    d->hold_ms = 0;
    want = session_level(d->sess);
    have = drive_level(d);
    if (have == 0)
        d->off_first = false;
    /* Off is always safe: sent blind, retried blind, never held back by the
     * failure back-off; and a session begins from off, so that a stop is
     * carried out even if a start follows before it could go out. */
    if ((want == 0 || d->off_first) && have != 0)
        return (struct drive_cmd){ DRIVE_OP_LEVEL, 0 };
    if (now_ms < d->retry_ms)
        return none;
    if (d->clear_due && session_running(d->sess))
        return (struct drive_cmd){ DRIVE_OP_CLEAR, 0 };
    if (want > 0 && have != (int)want) {
        struct drive_cmd c = drive_next_level(d, want, have, now_ms);

        if (c.op != DRIVE_OP_NONE)
            return c;
    }
    if (drive_active(d, now_ms) ? now_ms >= d->next_poll_ms : now_ms >= drive_look_ms(d, now_ms))
        return status;
    return none;
}

/*@ requires \valid(d);
    assigns d->busy, d->cmd, d->sent_ms, d->next_poll_ms;
    ensures d->busy && d->cmd == c && d->sent_ms == now_ms; */
void drive_sent(struct drive *d, struct drive_cmd c, uint64_t now_ms)
{
    d->busy = true;
    d->cmd = c;
    d->sent_ms = now_ms;
    if (c.op == DRIVE_OP_STATUS)
        d->next_poll_ms = now_ms + d->period_ms;
}

/* ---- what an answer means ---- */

static unsigned drive_attach_done(struct drive *d, enum drive_result r, const uint8_t *data, size_t len,
                                  uint64_t now_ms)
{
    char why[160];

    if (r != DRIVE_OK) {
        drive_reject(d, r == DRIVE_TIMEOUT ? "no answer" : r == DRIVE_STALL ? "it refused a request" :
                                                                            "transfer failed");
        return DRIVE_N_DEAD;
    }
    switch (d->attach_step) {
    case DRIVE_A_INFO:
        if (drive_decode_info(data, len, &d->info, why, sizeof(why)) < 0) {
            drive_reject(d, why);
            return DRIVE_N_DEAD;
        }
        d->period_ms = d->info.watchdog_ms / 5u < KNOT_HEARTBEAT_MS ? d->info.watchdog_ms / 5u : KNOT_HEARTBEAT_MS;
        d->attach_step = DRIVE_A_WAIT;
        return DRIVE_N_INFO;
    case DRIVE_A_OFF:
        drive_set_level(d, 0);
        d->change_ms = d->sent_ms;
        d->off_ms = now_ms;
        d->attach_step = DRIVE_A_STATUS;
        return 0;
    default:
        if (drive_decode_status(data, len, d->info.proto_minor, &d->st) < 0) {
            drive_reject(d, "short status block");
            return DRIVE_N_DEAD;
        }
        d->st_valid = true;
        d->st_ms = d->sent_ms;
        d->st_done_ms = now_ms;
        d->fed_ms = d->sent_ms;
        if (d->st.level <= KNOT_MAX_LEVELS)
            drive_set_level(d, d->st.level);
        else
            d->possible = 0xffff;   /* nonsense (1u << level would overflow): not known, so off goes out */
        d->phase = DRIVE_READY;
        if (d->info.proto_minor == 0) {
            drive_say(d, "protocol 1.0: the massager enforces no envelope of its own; only knotd's limits hold");
            return DRIVE_N_ATTACHED | DRIVE_N_STATUS | DRIVE_N_WARN;
        }
        return DRIVE_N_ATTACHED | DRIVE_N_STATUS;
    }
}

/* A request failed: its outcome is unknown, and so may be the level. No
 * look is fresh after it (make prove), and the third failure in a row ends
 * the session. */
/*@ requires \valid(d) && drive_owned(d) && now_ms <= SESSION_TIME_MAX;
    assigns d->fails, d->failing_since_ms, d->st_valid, d->retry_ms, d->possible, d->unanswered,
            d->why[0 .. sizeof(d->why) - 1], DRIVE_SESSION_STATE;
    ensures d->st_valid == 0;
    ensures session_ok(d->sess);
    ensures d->fails >= DRIVE_MAX_FAILS ==> !session_on(d->sess); */
static unsigned drive_failed(struct drive *d, enum drive_result r, uint64_t now_ms)
{
    unsigned notes = 0;

    if (d->fails++ == 0)
        d->failing_since_ms = now_ms;
    d->st_valid = false;
    d->retry_ms = now_ms + d->period_ms;   /* the next heartbeat retries, not this instant */
    if (d->cmd.op == DRIVE_OP_LEVEL)
        d->possible |= (uint16_t)(1u << d->cmd.level);   /* it may have taken effect, or not */
    else if (d->cmd.op == DRIVE_OP_CLEAR)
        ;   /* changes no level; clear_due stays, so it is tried again */
    else if (r == DRIVE_TIMEOUT || r == DRIVE_ERROR)
        d->unanswered++;
    drive_say(d, "%s failed (%u in a row): %s", d->cmd.op == DRIVE_OP_LEVEL ? "set level" :
              d->cmd.op == DRIVE_OP_CLEAR ? "clear fault" : "poll status", d->fails,
              r == DRIVE_TIMEOUT ? "timed out" : r == DRIVE_STALL ? "stalled" : "transfer error");
    notes |= DRIVE_N_WARN;
    if (d->fails >= DRIVE_MAX_FAILS && session_running(d->sess)) {
        drive_stop(d, SESSION_END_LOST, now_ms);
        drive_say(d, "lost contact (%u failed requests); the session ends, and the device's watchdog stops the "
                  "motor within %u ms", d->fails, d->info.watchdog_ms);
    }
    if (!session_running(d->sess) && now_ms - d->failing_since_ms > 4u * d->info.watchdog_ms)
        drive_set_level(d, 0);   /* no answer for four dead-man times: it has stopped itself */
    return notes;
}

/* A reset device forgets everything: a smaller uptime (1.1), or a seq that
 * did not move by what knotd's own reads explain, or a motor found off with
 * no recorded stop after it ran. prev is the last status of this attach. */
/*@ requires \valid_read(d) && \valid_read(prev) && \valid_read(st);
    requires prev->seq <= 0xffff && st->seq <= 0xffff;
    assigns \nothing;
    ensures \result <==> drive_reset_p(d, prev, st); */
static bool drive_was_reset(const struct drive *d, const struct drive_status *prev, const struct drive_status *st)
{
    unsigned delta;

    if (d->ran && st->level == 0 && st->last_stop == KNOT_STOP_NONE)
        return true;
    if (st->ext && prev->ext)
        return st->uptime_ms < prev->uptime_ms && !(prev->uptime_ms > 0xC0000000u && st->uptime_ms < 0x40000000u);
    /* seq is 16 bits: how far it moved, modulo 2^16. */
    delta = st->seq >= prev->seq ? st->seq - prev->seq : st->seq + 0x10000u - prev->seq;
    return delta == 0 || delta - 1u > d->unanswered;
}

/* The motor went through off since the last look, unseen by knotd: its
 * watchdog fired while contact was lost, then a late SET_LEVEL started it
 * again from off. The session's trial no longer describes that motor.
 * prev is the last look; only a motor seen running then and now, with no
 * off acknowledged since, can have done it. The evidence: a new last_stop;
 * with 1.1, a run_ms that grew less than the time between the two looks
 * (each read lies between its request and its answer); with 1.0, which has
 * no run_ms, a silence longer than the watchdog (it may have fired). */
/*@ requires \valid_read(d) && \valid_read(prev) && \valid_read(st);
    requires d->sent_ms <= SESSION_TIME_MAX;
    assigns \nothing;
    ensures \result != \null <==> drive_unseen_p(d, prev, st, d->unfed); */
static const char *drive_restarted_unseen(const struct drive *d, const struct drive_status *prev,
                                          const struct drive_status *st)
{
    static const char stopped[] = "it stopped by itself and a late request started it again";
    uint64_t between;

    if (prev->level == 0 || st->level == 0 || d->off_ms >= d->st_done_ms)
        return NULL;
    if (st->last_stop != prev->last_stop)
        return stopped;
    if (st->ext && prev->ext) {
        between = d->sent_ms > d->st_done_ms ? d->sent_ms - d->st_done_ms : 0;
        return (uint64_t)st->run_ms + DRIVE_SKEW_MS < (uint64_t)prev->run_ms + between ? stopped : NULL;
    }
    if (d->unfed)
        return "it went unanswered longer than its watchdog: it may have stopped and started again";
    return NULL;
}

/* An answer: the device was fed no earlier than its request went out, and
 * may have gone unfed since the last answer's request until now. A silence
 * within a tenth of the watchdog of it counts: the device stops the motor at
 * the watchdog itself, not after it; knotd's whole milliseconds may read a
 * gap up to 1 ms short; and a device's clock may run a little fast. */
/*@ requires \valid(d);
    assigns d->unfed, d->fed_ms;
    ensures d->fed_ms == d->sent_ms;
    ensures \old(d->fed_ms) <= now_ms <= SESSION_TIME_MAX ==>
      (d->unfed != 0 <==> (\old(d->unfed) != 0 || \old(drive_unfed_p(d, now_ms)))); */
static void drive_fed(struct drive *d, uint64_t now_ms)
{
    if (now_ms - d->fed_ms + d->info.watchdog_ms / 10u >= d->info.watchdog_ms)
        d->unfed = true;
    d->fed_ms = d->sent_ms;
}

/*@ assigns \nothing; */
static const char *drive_stop_name(unsigned last_stop)
{
    switch (last_stop) {
    case KNOT_STOP_WATCHDOG: return "its watchdog fired";
    case KNOT_STOP_CEILING: return "its running ceiling was reached";
    case KNOT_STOP_FAULT: return "a fault latched";
    case KNOT_STOP_HOST: return "a host stopped it";
    default: return "it was reset";
    }
}

/* A level the device shows that knotd can explain: what it commanded, or
 * what an unanswered SET_LEVEL asked for. (A known level is one bit of
 * possible: the test against that bit, said so that the proof reads it.) */
/*@ requires \valid_read(d);
    assigns \nothing;
    ensures \result <==> drive_explained_p(d, level); */
static bool drive_explained(const struct drive *d, unsigned level)
{
    int have = drive_level(d);

    if (level > KNOT_MAX_LEVELS)
        return false;
    if (have >= 0)
        return (unsigned)have == level;
    return (d->possible & (1u << level)) != 0;
}

/* The first look of a new session decides it: no fault, it goes ahead; a
 * fault whose cause is gone is cleared first (once); else it ends at once,
 * as a fault that never ran, with what to do. */
/*@ requires \valid(d) && drive_owned(d) && \valid_read(st) && \separated(st, d) && now_ms <= SESSION_TIME_MAX;
    assigns d->begin_pending, d->clear_due, d->remedy[0 .. sizeof(d->remedy) - 1], d->why[0 .. sizeof(d->why) - 1],
            DRIVE_SESSION_STATE;
    ensures session_ok(d->sess);
    ensures st->faults != 0 ==> d->clear_due != 0 || !session_on(d->sess);
    ensures d->clear_due != \old(d->clear_due) ==>
      d->clear_due != 0 && \old(d->clear_tried) == 0 && advice_clearable_v(st->faults, st->temp_dc, st->battery, st->force_dn); */
static unsigned drive_begin_look(struct drive *d, const struct drive_status *st, uint64_t now_ms)
{
    struct advice_readings r = { st->faults, st->temp_dc, st->battery, st->force_dn };

    if (!st->faults) {
        d->begin_pending = false;
        return DRIVE_N_BEGUN;
    }
    if (!d->clear_tried && advice_clearable(&r)) {
        d->clear_due = true;
        return 0;
    }
    advice_fault(&r, d->remedy, sizeof(d->remedy));
    d->begin_pending = false;
    drive_stop(d, SESSION_END_FAULT, now_ms);
    drive_say(d, "start refused: fault 0x%x latched: %s", st->faults, d->remedy);
    return DRIVE_N_BEGUN | DRIVE_N_WARN;
}

/* What a status can say that knotd must never drive on. */
enum drive_doubt {
    DRIVE_DOUBT_NONE,
    DRIVE_DOUBT_RESET,         /* the device was reset */
    DRIVE_DOUBT_UNSEEN,        /* it went through off unseen and was started again */
    DRIVE_DOUBT_UNEXPLAINED,   /* it shows a level knotd cannot explain */
};

/* A status answered at now_ms is the look: contact is whole again. Not
 * proved (make prove assumes this contract): after the copy of the status
 * (a struct assignment), the solvers time out on showing that the session,
 * a separate object, is untouched. Each line is a plain store. */
/*@ requires \valid(d) && drive_ok(d) && \valid_read(st) && \separated(st, d);
    requires now_ms <= SESSION_TIME_MAX && d->sent_ms <= now_ms;
    requires st->level <= 255 && st->rise_wait_ms <= 0xffff;
    assigns d->unfed, d->fails, d->retry_ms, d->unanswered, DRIVE_LOOK_STATE, d->st_valid, d->st_ms, d->st_done_ms;
    ensures drive_ok(d);
    ensures d->st_valid != 0 && d->st.level == st->level && d->st.faults == st->faults
      && d->st.seq == st->seq && d->st.rise_wait_ms == st->rise_wait_ms
      && d->st_ms == d->sent_ms && d->st_done_ms == now_ms && d->fails == 0 && d->unfed == 0; */
static void drive_keep(struct drive *d, const struct drive_status *st, uint64_t now_ms)
{
    d->unfed = false;
    d->fails = 0;
    d->retry_ms = 0;
    d->unanswered = 0;
    d->st = *st;
    d->st_valid = true;
    d->st_ms = d->sent_ms;
    d->st_done_ms = now_ms;
}

/* The look is recorded, and what it says is judged against the last one:
 * the doubt, if any (*unseen: the restart's evidence, in words). */
/*@ requires \valid(d) && drive_ok(d) && \valid_read(st) && \valid(unseen);
    requires \separated(st, d) && \separated(unseen, d) && \separated(unseen, st);
    requires now_ms <= SESSION_TIME_MAX && d->sent_ms <= now_ms && d->fed_ms <= now_ms;
    requires st->level <= 255 && st->rise_wait_ms <= 0xffff && st->seq <= 0xffff && d->st.seq <= 0xffff;
    assigns d->unfed, d->fed_ms, d->fails, d->retry_ms, d->unanswered, DRIVE_LOOK_STATE, d->st_valid, d->st_ms, d->st_done_ms,
            *unseen;
    ensures drive_ok(d);
    ensures d->st_valid != 0 && d->st.level == st->level && d->st.faults == st->faults
      && d->st.seq == st->seq && d->st.rise_wait_ms == st->rise_wait_ms
      && d->st_ms == d->sent_ms && d->st_done_ms == now_ms && d->fails == 0;
    ensures \result == DRIVE_DOUBT_NONE || \result == DRIVE_DOUBT_RESET || \result == DRIVE_DOUBT_UNSEEN
      || \result == DRIVE_DOUBT_UNEXPLAINED;
    ensures \old(drive_reset_p(d, &d->st, st)) ==> \result != DRIVE_DOUBT_NONE;
    ensures \old(drive_unseen_p(d, &d->st, st, d->unfed)) ==> \result != DRIVE_DOUBT_NONE;
    ensures \old(drive_unfed_p(d, now_ms) && drive_unseen_p(d, &d->st, st, 1)) ==> \result != DRIVE_DOUBT_NONE;
    ensures !drive_explained_p(d, st->level) ==> \result != DRIVE_DOUBT_NONE;
    ensures \result == DRIVE_DOUBT_UNSEEN ==> *unseen != \null; */
static enum drive_doubt drive_look(struct drive *d, const struct drive_status *st, uint64_t now_ms,
                                   const char **unseen)
{
    bool reset = drive_was_reset(d, &d->st, st);
    bool explained = drive_explained(d, st->level);
    const char *restart;

    drive_fed(d, now_ms);
    restart = reset ? NULL : drive_restarted_unseen(d, &d->st, st);
    drive_keep(d, st, now_ms);
    *unseen = restart;
    if (reset)
        return DRIVE_DOUBT_RESET;
    if (restart)
        return DRIVE_DOUBT_UNSEEN;
    return explained ? DRIVE_DOUBT_NONE : DRIVE_DOUBT_UNEXPLAINED;
}

/* Never drive such a motor back up: the session ends, and the level is what
 * the device shows (not known if nonsense), so off is next. */
/*@ requires \valid(d) && drive_owned(d) && \valid_read(st) && \separated(st, d) && \separated(st, d->sess);
    requires d->rest == \null || \separated(st, d->rest);
    requires now_ms <= SESSION_TIME_MAX && doubt != DRIVE_DOUBT_NONE && (doubt == DRIVE_DOUBT_UNSEEN ==> unseen != \null);
    assigns d->possible, d->change_ms, d->why[0 .. sizeof(d->why) - 1], DRIVE_SESSION_STATE;
    ensures session_ok(d->sess) && !session_on(d->sess) && d->change_ms == now_ms;
    ensures drive_level_l(d) == -1 || drive_level_l(d) == st->level; */
static void drive_doubted(struct drive *d, enum drive_doubt doubt, const char *unseen, const struct drive_status *st,
                          bool was_running, uint64_t now_ms)
{
    const char *ending = was_running ? "; ending the session" : "";

    if (doubt == DRIVE_DOUBT_RESET)
        drive_say(d, "the massager was reset%s", ending);
    else if (doubt == DRIVE_DOUBT_UNSEEN)
        drive_say(d, "the massager runs, but %s%s", unseen, ending);
    else if (st->level == 0)
        drive_say(d, "the massager stopped by itself (%s)%s", drive_stop_name(st->last_stop), ending);
    else
        drive_say(d, "the massager shows level %u, which knotd did not command%s", st->level, ending);
    /* Here, not in session_tick: a fault being cleared is hidden from the
     * session there, and such a motor is never driven on. */
    drive_stop(d, st->faults ? SESSION_END_FAULT : SESSION_END_LOST, now_ms);
    if (st->level <= KNOT_MAX_LEVELS)
        drive_set_level(d, st->level);
    else
        d->possible = 0xffff;   /* nonsense: not known, so only off is ever sent */
    d->change_ms = now_ms;
}

/* An unanswered SET_LEVEL is resolved by what the device shows. It may have
 * taken effect as late as this answer (a slow device handles requests in
 * order): the trial and the next step count from now. */
/*@ requires \valid(d) && drive_owned(d) && drive_ok(d) && \valid_read(st) && \separated(st, d) && \separated(st, d->sess);
    requires now_ms <= SESSION_TIME_MAX && st->level <= KNOT_MAX_LEVELS;
    assigns d->possible, d->change_ms, d->sess->applied, d->sess->peak, d->sess->step_ms, d->sess->phase_ms;
    ensures session_ok(d->sess) && drive_level_l(d) == st->level && d->change_ms == now_ms;
    ensures d->sess->phase == \old(d->sess->phase); */
static void drive_resolve(struct drive *d, const struct drive_status *st, uint64_t now_ms)
{
    drive_set_level(d, st->level);
    d->change_ms = now_ms;
    if (st->level > 0 && st->level == session_level(d->sess) && !d->off_first)
        session_level_applied(d->sess, st->level, now_ms);
}

/* A SET_LEVEL above 0 was refused: with a fault it was a race with the last
 * poll; without one, a knotd bug, and the session ends. */
/*@ requires \valid(d) && drive_owned(d) && \valid_read(st) && \separated(st, d) && \separated(st, d->sess);
    requires d->rest == \null || \separated(st, d->rest);
    requires now_ms <= SESSION_TIME_MAX;
    assigns d->refused, d->why[0 .. sizeof(d->why) - 1], DRIVE_SESSION_STATE;
    ensures session_ok(d->sess) && d->refused == 0;
    ensures \old(d->refused) != 0 && st->faults == 0 ==> !session_on(d->sess);
    ensures !\old(session_on(d->sess)) ==> !session_on(d->sess);
    ensures \old(d->refused) == 0 ==> \result == 0 && (session_on(d->sess) <==> \old(session_on(d->sess))); */
static unsigned drive_refusal_seen(struct drive *d, const struct drive_status *st, uint64_t now_ms)
{
    if (!d->refused)
        return 0;
    d->refused = false;
    if (st->faults || !session_running(d->sess))
        return 0;
    drive_stop(d, SESSION_END_REFUSED, now_ms);
    drive_say(d, "knotd bug: the massager refused level %u (reason %u); ending the session", st->refused_level,
              st->refusal);
    return DRIVE_N_WARN;
}

/* The session hears of the look: the first one of a session decides it;
 * then its faults (unless being cleared) and its force. */
/*@ requires \valid(d) && drive_owned(d) && \valid_read(st) && \separated(st, d) && \separated(st, d->sess);
    requires d->rest == \null || \separated(st, d->rest);
    requires now_ms <= SESSION_TIME_MAX && st->faults <= 0xffff;
    assigns d->begin_pending, d->clear_due, d->remedy[0 .. sizeof(d->remedy) - 1], d->why[0 .. sizeof(d->why) - 1],
            DRIVE_SESSION_STATE;
    ensures session_ok(d->sess);
    ensures !\old(session_on(d->sess)) ==> !session_on(d->sess) && d->clear_due == \old(d->clear_due);
    ensures st->faults != 0 ==> d->clear_due != 0 || !session_on(d->sess);
    ensures d->clear_due != \old(d->clear_due) ==>
      d->clear_due != 0 && advice_clearable_v(st->faults, st->temp_dc, st->battery, st->force_dn); */
static unsigned drive_tell_session(struct drive *d, const struct drive_status *st, uint64_t now_ms)
{
    struct session_input in;
    unsigned notes = 0;

    if (!session_running(d->sess))
        return 0;
    if (d->begin_pending)
        notes |= drive_begin_look(d, st, now_ms);
    if (!session_running(d->sess))
        return notes;
    in.force_dn = (uint16_t)st->force_dn;
    in.faults = d->clear_due ? 0 : (uint16_t)st->faults;   /* being cleared: not the session's end yet */
    session_tick(d->sess, d->rest, &in, now_ms);
    if (!session_running(d->sess) && st->faults) {
        drive_say(d, "device fault 0x%x; motor off", st->faults);
        notes |= DRIVE_N_WARN;
    }
    return notes;
}

/* What a status means. This contract is stated but NOT proved (make prove
 * leaves drive_observe out): the solvers time out on carrying the facts
 * across its calls. Its parts are proved (drive_look, drive_doubted,
 * drive_resolve, drive_refusal_seen, drive_tell_session), drive_look on
 * the assumed contract of drive_keep; putting them together here is
 * argued, and tested, not proved.
 * The look is recorded and knotd's belief
 * is the level it shows, or not known. A level knotd cannot explain, a
 * reset, a restart it did not see, a refusal that no fault explains, or a
 * fault that is not being cleared ends the session; a fault is cleared only
 * when its cause is gone. */
/*@ requires \valid(d) && drive_owned(d) && drive_ok(d) && \valid_read(st);
    requires \separated(st, d) && \separated(st, d->sess) && (d->rest == \null || \separated(st, d->rest));
    requires now_ms <= SESSION_TIME_MAX && d->sent_ms <= now_ms && d->fed_ms <= now_ms;
    requires st->level <= 255 && st->rise_wait_ms <= 0xffff && st->seq <= 0xffff && st->faults <= 0xffff;
    requires d->st.seq <= 0xffff;
    assigns d->unfed, d->fed_ms, d->fails, d->retry_ms, d->unanswered, DRIVE_LOOK_STATE, d->st_valid, d->st_ms, d->st_done_ms,
            d->possible, d->change_ms, d->refused, d->begin_pending, d->clear_due,
            d->remedy[0 .. sizeof(d->remedy) - 1], d->why[0 .. sizeof(d->why) - 1], DRIVE_SESSION_STATE;
    ensures session_ok(d->sess) && d->refused == 0;
    ensures drive_level_l(d) == -1 || drive_level_l(d) == st->level;
    ensures !\old(drive_explained_p(d, st->level)) ==> !session_on(d->sess);
    ensures \old(drive_reset_p(d, &d->st, st)) ==> !session_on(d->sess);
    ensures \old(drive_unseen_p(d, &d->st, st, d->unfed)) ==> !session_on(d->sess);
    ensures \old(drive_unfed_p(d, now_ms) && drive_unseen_p(d, &d->st, st, 1)) ==> !session_on(d->sess);
    ensures \old(d->refused) != 0 && st->faults == 0 ==> !session_on(d->sess);
    ensures st->faults != 0 ==> d->clear_due != 0 || !session_on(d->sess);
    ensures d->clear_due != 0 ==>
      \old(d->clear_due) != 0 || advice_clearable_v(st->faults, st->temp_dc, st->battery, st->force_dn); */
static unsigned drive_observe(struct drive *d, const struct drive_status *st, uint64_t now_ms)
{
    bool was_running = session_running(d->sess);
    const char *unseen;
    enum drive_doubt doubt = drive_look(d, st, now_ms, &unseen);
    unsigned notes = DRIVE_N_STATUS;

    if (doubt != DRIVE_DOUBT_NONE) {
        drive_doubted(d, doubt, unseen, st, was_running, now_ms);
        notes |= DRIVE_N_WARN;
    } else if (!drive_known(d)) {
        drive_resolve(d, st, now_ms);
    }
    notes |= drive_refusal_seen(d, st, now_ms);
    return notes | drive_tell_session(d, st, now_ms);
}

/* A SET_LEVEL ended. Refused or failed, no look is fresh after it until the
 * next status (make prove); taken, the level is known and changed when its
 * request went out, so only a status requested since is fresh. */
/*@ requires \valid(d) && drive_owned(d) && now_ms <= SESSION_TIME_MAX;
    assigns d->fails, d->failing_since_ms, d->st_valid, d->retry_ms, d->possible, d->unanswered, d->refused,
            d->unfed, d->fed_ms, d->change_ms, d->off_ms, d->ran, d->why[0 .. sizeof(d->why) - 1], DRIVE_SESSION_STATE;
    ensures r == DRIVE_STALL && d->cmd.level > 0 ==> d->refused != 0 && d->st_valid == 0;
    ensures r != DRIVE_OK ==> d->st_valid == 0;
    ensures r == DRIVE_OK ==> d->possible == (1 << d->cmd.level) && d->change_ms == d->sent_ms;
    ensures session_ok(d->sess); */
static unsigned drive_level_done(struct drive *d, enum drive_result r, uint64_t now_ms)
{
    unsigned level = d->cmd.level;

    if (r == DRIVE_STALL && level > 0) {
        /* Refused: the level is what it was. With a fault it was a race with
         * the last poll; otherwise a knotd bug. The next status tells. */
        d->fails = 0;
        d->refused = true;
        d->st_valid = false;
        drive_say(d, "the massager refused level %u", level);
        return DRIVE_N_WARN;
    }
    if (r != DRIVE_OK)
        return drive_failed(d, r, now_ms);   /* a stalled off is no protocol answer: retried blind */
    d->fails = 0;
    d->retry_ms = 0;
    drive_fed(d, now_ms);
    drive_set_level(d, level);
    d->change_ms = d->sent_ms;
    if (level == 0)
        d->off_ms = now_ms;
    else if (session_running(d->sess))
        d->ran = true;
    /* A level from before the session began is no part of it: the motor is
     * about to go off (off_first), and its trial must not count from this. */
    if (!d->off_first)
        session_level_applied(d->sess, level, now_ms);
    return DRIVE_N_LEVEL;
}

/* A CLEAR_FAULT was answered: cleared, or some cause remains. Either way
 * the next look tells, and none is fresh before it. */
/*@ requires \valid(d);
    assigns d->clear_due, d->clear_tried, d->st_valid, d->fails;
    ensures d->st_valid == 0 && d->clear_due == 0 && d->clear_tried != 0; */
static unsigned drive_clear_done(struct drive *d)
{
    d->clear_due = false;
    d->clear_tried = true;
    d->st_valid = false;
    d->fails = 0;
    return 0;
}

unsigned drive_done(struct drive *d, enum drive_result r, const uint8_t *data, size_t len, uint64_t now_ms)
{
    struct drive_status st;

    if (!d->busy)
        return 0;
    d->busy = false;
    if (d->phase == DRIVE_DEAD)
        return 0;
    if (d->phase == DRIVE_ATTACH)
        return drive_attach_done(d, r == DRIVE_GONE ? DRIVE_ERROR : r, data, len, now_ms);
    if (r == DRIVE_GONE) {
        /* The kernel says it is gone: an unplug, whatever comes first of
         * the removal event and more failures. Nothing more is sent. */
        d->phase = DRIVE_DEAD;
        drive_say(d, "the massager is gone (unplugged)%s",
                  session_running(d->sess) ? "; ending the session" : "");
        drive_stop(d, SESSION_END_UNPLUG, now_ms);
        return DRIVE_N_WARN;
    }
    if (d->cmd.op == DRIVE_OP_LEVEL)
        return drive_level_done(d, r, now_ms);
    if (d->cmd.op == DRIVE_OP_CLEAR && (r == DRIVE_OK || r == DRIVE_STALL))
        return drive_clear_done(d);
    if (r != DRIVE_OK)
        return drive_failed(d, r, now_ms);
    if (drive_decode_status(data, len, d->info.proto_minor, &st) < 0) {
        unsigned notes = drive_failed(d, DRIVE_ERROR, now_ms);

        drive_say(d, "poll status failed (%u in a row): short reply of %zu bytes", d->fails, len);
        return notes;
    }
    return drive_observe(d, &st, now_ms);
}

void drive_tick(struct drive *d, uint64_t now_ms)
{
    if (session_running(d->sess))
        session_tick(d->sess, d->rest, NULL, now_ms);
}

uint64_t drive_wake_ms(const struct drive *d, uint64_t now_ms)
{
    uint64_t t = session_next_ms(d->sess);

    if (d->phase != DRIVE_READY)
        return UINT64_MAX;
    /* With a request in flight its answer comes first: a poll that is due
     * cannot go out before it, and waking for it would only spin. */
    if (!d->busy && drive_active(d, now_ms)) {
        uint64_t poll = d->next_poll_ms > d->retry_ms ? d->next_poll_ms : d->retry_ms;

        t = poll < t ? poll : t;
    } else if (!d->busy) {
        uint64_t look = drive_look_ms(d, now_ms);

        t = look < t ? look : t;
    }
    if (!d->busy && d->hold_ms && d->hold_ms < t)
        t = d->hold_ms;
    return t;
}

/* A session begins: with a look at the device, and from off unless the
 * motor is known to be off (make prove). */
/*@ requires \valid(d) && drive_owned(d) && now_ms <= SESSION_TIME_MAX;
    assigns d->off_first, d->st_valid, d->begin_pending, d->clear_due, d->clear_tried, d->remedy[0], d->ran,
            d->fails, d->lean_level, d->refused, DRIVE_SESSION_STATE;
    ensures session_ok(d->sess);
    ensures d->phase == DRIVE_DEAD ==> !session_on(d->sess);
    ensures d->phase != DRIVE_DEAD ==> d->st_valid == 0 && d->begin_pending != 0 && d->refused == 0
      && d->clear_due == 0 && d->clear_tried == 0 && (d->off_first != 0 <==> drive_level_l(d) != 0); */
void drive_begin(struct drive *d, uint64_t now_ms)
{
    if (d->phase == DRIVE_DEAD) {
        drive_stop(d, SESSION_END_UNPLUG, now_ms);   /* gone, its removal not yet heard: it never begins */
        return;
    }
    d->off_first = drive_level(d) != 0;
    /* Every session begins with a look: while idle nothing is polled, and a
     * fault may have latched since the last status, however recent. */
    d->st_valid = false;
    d->begin_pending = true;
    d->clear_due = false;
    d->clear_tried = false;
    d->remedy[0] = '\0';
    d->ran = false;
    d->fails = 0;
    d->lean_level = 0;
    d->refused = false;   /* a refusal of the last session, never looked at: no part of this one */
    /* A device stricter than the profile sets the pace, so knotd never asks
     * for a rise it would refuse. */
    session_floors(d->sess, d->info.trial_ms, d->info.rise_gap_ms);
}

/*@ requires \valid(d) && drive_owned(d) && now_ms <= SESSION_TIME_MAX;
    assigns DRIVE_SESSION_STATE;
    ensures session_ok(d->sess) && !session_on(d->sess); */
void drive_end(struct drive *d, enum session_end why, uint64_t now_ms)
{
    drive_stop(d, why, now_ms);
}

/* Shutdown: the session ends and every motor is commanded off (make prove). */
/*@ requires \valid(d) && drive_owned(d) && now_ms <= SESSION_TIME_MAX;
    assigns DRIVE_SESSION_STATE;
    ensures session_ok(d->sess) && !session_on(d->sess);
    ensures \result.op == DRIVE_OP_LEVEL && \result.level == 0; */
struct drive_cmd drive_shutdown(struct drive *d, uint64_t now_ms)
{
    drive_end(d, SESSION_END_SHUTDOWN, now_ms);
    return (struct drive_cmd){ DRIVE_OP_LEVEL, 0 };
}
