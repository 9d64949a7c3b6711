/* SPDX-License-Identifier: MIT */
/* device.c - the virtual massager's firmware core: control requests, motor model, watchdog, faults. */
#include "device.h"

#include <string.h>

/* Motor and pack constants of the model (not part of the protocol). */
#define KDEV_PPM_MIN 1800u
#define KDEV_PPM_MAX 3200u
#define KDEV_RAMP_PPM 3200u           /* speed change per KDEV_RAMP_MS ... */
#define KDEV_RAMP_MS 300u             /* ... so a full spin-up takes 300 ms */
#define KDEV_I_BASE_MA 300u
#define KDEV_I_LEVEL_MA 250u
#define KDEV_I_MA_PER_DN 4u           /* 40 mA per newton */
#define KDEV_STALL_FORCE_DN 450u      /* 45 N: the head cannot move */
#define KDEV_STALL_CLEAR_DN 100u      /* a stall clears once the head is freed below 10 N */
#define KDEV_AMBIENT_MDC 250000       /* 25.0 C */
#define KDEV_CLEARED_MDC 400000       /* 40.0 C after kdev_clear_faults */
/* Heat flow in 1e-5 milli-decidegrees per ms: heating 0.05 C/s per ampere is
 * 50 per mA, Newton cooling 0.02 C/s per degree above ambient is 2 per mdC. */
#define KDEV_HEAT_PER_MA 50
#define KDEV_COOL_PER_MDC 2
#define KDEV_CAPACITY_UAH 2500000u    /* 2500 mAh */
#define KDEV_UAH_MA_MS 3600u          /* mA*ms per uAh */
#define KDEV_BATTERY_CLEAR_PCT (KNOT_BATTERY_TRIP_PCT + 5) /* hysteresis: no trip/clear flapping */
#define KDEV_CLEARED_PCT 50u

/* Integration steps: fine while the motor moves, coarse while only cooling. */
#define KDEV_STEP_RUN_MS 10u
#define KDEV_STEP_COOL_MS 1000u

/* Standard request bits we need. */
#define USB_TYPE_MASK 0x60
#define USB_TYPE_STANDARD 0x00
#define USB_DIR_IN 0x80
#define USB_REQ_GET_DESCRIPTOR 0x06
#define USB_DT_STRING 0x03
#define USB_LANGID_EN_US 0x0409

#define KDEV_STR_MAX 64               /* characters of a string descriptor: 2 + 2 * 64 bytes fit its length byte */

static const char kdev_str_manufacturer[] = "knot project";
static const char kdev_str_product[] = "Knot Percussion Massager (virtual)";

/* The one call out of the core: the front end's trace. Its contract is an
 * assumption (docs/PROOFS.md): a trace callback records, it never changes the
 * device (sim/usbfs.c, sim/gadget.c and the tests' callbacks only record). */
/*@ requires \valid_read(d) && \valid_read(n);
    assigns \nothing; */
static void kdev_notify(const struct kdev *d, const struct kdev_note *n)
{
    if (d->trace)
        d->trace(d->trace_ctx, n);
}

/*@ requires \valid_read(d);
    assigns \nothing; */
static void kdev_emit(struct kdev *d, enum kdev_event ev, unsigned arg, enum kdev_cause cause)
{
    struct kdev_note n = { .ev = ev, .arg = arg, .cause = cause };

    kdev_notify(d, &n);
}

/* Stall the request being handled, and say why: a refusal the trace does not
 * show is a host bug nobody sees. A refused SET_LEVEL is also kept for the
 * status block. */
/*@ requires \valid(d);
    assigns d->refusal, d->refused_level, d->refusals;
    ensures \result == KDEV_STALL; */
static int kdev_refuse(struct kdev *d, enum kdev_why why)
{
    struct kdev_note n = {
        .ev = KDEV_EV_REFUSED, .arg = d->req_value, .request_type = d->req_type, .request = d->req, .why = why,
    };

    if (d->req_type == KNOT_RT_OUT && d->req == KNOT_REQ_SET_LEVEL && why < KDEV_WHY_BAD_REQUEST) {
        d->refusal = (uint8_t)why;
        d->refused_level = d->req_value > 0xff ? 0xff : (uint8_t)d->req_value;
        d->refusals++;
    }
    kdev_notify(d, &n);
    return KDEV_STALL;
}

/*@ requires \valid_read(d) && kdev_sane(d);
    assigns \nothing;
    ensures \result <= KDEV_PPM_MAX; */
static uint16_t kdev_level_ppm(const struct kdev *d, unsigned level)
{
    unsigned n = d->cfg.levels;

    if (level == 0 || level > n)
        return 0;
    if (n == 1)
        return KDEV_PPM_MIN;
    /* rounded to nearest so the table is symmetric for any N */
    return (uint16_t)(KDEV_PPM_MIN +
                      ((KDEV_PPM_MAX - KDEV_PPM_MIN) * (level - 1) + (n - 1) / 2) / (n - 1));
}

/*@ requires \valid_read(d) && kdev_sane(d);
    assigns \nothing;
    ensures \result <= KDEV_I_BASE_MA + KDEV_I_LEVEL_MA * KNOT_MAX_LEVELS + KDEV_I_MA_PER_DN * 65535; */
static uint32_t kdev_current_ma(const struct kdev *d)
{
    /* the driver draws only while the rotor turns, coasting included */
    if (d->ppm_milli == 0)
        return 0;
    return KDEV_I_BASE_MA + KDEV_I_LEVEL_MA * d->level + KDEV_I_MA_PER_DN * d->force_dn;
}

/*@ requires \valid_read(d);
    assigns \nothing; */
static unsigned kdev_battery_pct(const struct kdev *d)
{
    return (unsigned)((uint64_t)d->battery_uah * 100u / KDEV_CAPACITY_UAH);
}

/* Every level change goes through here, at d->last_tick_ms (the present). */
/*@ requires \valid(d) && kdev_sane(d);
    requires level <= d->cfg.levels && (level > 0 ==> d->faults == 0);
    assigns d->level, d->start_ms, d->change_ms, d->off_ms, d->last_stop;
    ensures kdev_sane(d) && d->level == level && (d->faults != 0 ==> d->level == 0);
    ensures level == \old(d->level) ==> d->start_ms == \old(d->start_ms) && d->change_ms == \old(d->change_ms);
    ensures level != \old(d->level) ==> d->change_ms == d->last_tick_ms;
    ensures \old(d->level) == 0 && level != 0 ==> d->start_ms == d->last_tick_ms;
    ensures \old(d->level) != 0 ==> d->start_ms == \old(d->start_ms); */
static void kdev_set_level(struct kdev *d, uint8_t level, enum kdev_cause cause)
{
    uint64_t now = d->last_tick_ms;

    if (level == d->level)
        return;
    if (d->level == 0)
        d->start_ms = now;
    d->level = level;
    d->change_ms = now;
    kdev_emit(d, KDEV_EV_LEVEL, level, cause);
    if (level != 0)
        return;
    d->off_ms = now;
    switch (cause) {
    case KDEV_BY_HOST:
        d->last_stop = KNOT_STOP_HOST;
        break;
    case KDEV_BY_WATCHDOG:
        d->last_stop = KNOT_STOP_WATCHDOG;
        break;
    case KDEV_BY_FAULT:
        d->last_stop = KNOT_STOP_FAULT;
        break;
    case KDEV_BY_CEILING:
        d->last_stop = KNOT_STOP_CEILING;
        break;
    case KDEV_BY_UNPLUG:
    case KDEV_BY_SCENE:
        /* power loss: nobody can read last_stop any more, re-plug resets the device */
        break;
    }
}

/*@ requires \valid_read(d);
    assigns \nothing;
    ensures \result <==> kdev_enveloped(d); */
static bool kdev_envelope(const struct kdev *d)
{
    return !d->cfg.proto_1_0;
}

/* 1.2: only the driving host feeds the watchdog (SET_LEVEL, the heartbeat);
 * before, every request did. */
/*@ requires \valid_read(d);
    assigns \nothing;
    ensures \result <==> kdev_heartbeat_only(d); */
static bool kdev_heartbeat_only(const struct kdev *d)
{
    return !d->cfg.proto_1_0 && !d->cfg.proto_1_1;
}

/*@ requires \valid(d) && kdev_ok(d);
    assigns d->last_host_ms;
    ensures kdev_ok(d) && d->last_host_ms == d->last_tick_ms; */
static void kdev_feed(struct kdev *d)
{
    d->last_host_ms = d->last_tick_ms;   /* == now_ms unless the clock went backwards */
}

/* Off for rest_s clears the running account, and with it a forced rest. */
/*@ requires \valid(d) && kdev_ok(d);
    assigns d->run_acc_ms, d->resting;
    ensures kdev_ok(d) && d->run_acc_ms <= \old(d->run_acc_ms); */
static void kdev_rest(struct kdev *d)
{
    if (d->level == 0 && d->run_acc_ms > 0 && d->last_tick_ms - d->off_ms >= (uint64_t)d->cfg.rest_s * 1000u) {
        d->run_acc_ms = 0;
        d->resting = false;
    }
}

/*@ requires \valid(d) && kdev_ok(d) && bit != 0;
    assigns d->faults, d->level, d->start_ms, d->change_ms, d->off_ms, d->last_stop;
    ensures kdev_ok(d) && d->level == 0 && d->start_ms == \old(d->start_ms);
    ensures \old(d->level) == 0 ==> d->change_ms == \old(d->change_ms); */
static void kdev_latch(struct kdev *d, uint16_t bit)
{
    if (d->faults & bit)
        return;   /* already latched: one event per latch */
    d->faults |= bit;
    kdev_emit(d, KDEV_EV_FAULT, bit, KDEV_BY_FAULT);
    kdev_set_level(d, 0, KDEV_BY_FAULT);
}

/* Evaluate the trip conditions against the current state. */
/*@ requires \valid(d) && kdev_ok(d);
    assigns d->faults, d->level, d->start_ms, d->change_ms, d->off_ms, d->last_stop;
    ensures kdev_ok(d) && (d->level == \old(d->level) || d->level == 0);
    ensures d->start_ms == \old(d->start_ms);
    ensures d->level == \old(d->level) ==> d->change_ms == \old(d->change_ms);
    ensures d->level != 0 ==> d->faults == \old(d->faults); */
static void kdev_check_faults(struct kdev *d)
{
    if (d->stall_forced || (d->level > 0 && d->force_dn >= KDEV_STALL_FORCE_DN))
        kdev_latch(d, KNOT_FAULT_STALL);
    if (d->temp_mdc >= KNOT_TEMP_TRIP_DC * 1000)
        kdev_latch(d, KNOT_FAULT_OVERTEMP);
    if (d->level > 0 && kdev_battery_pct(d) < KNOT_BATTERY_TRIP_PCT)
        kdev_latch(d, KNOT_FAULT_LOW_BATTERY);
}

/* Within the sensor's range: the model never leaves it (it cools toward 25 C
 * and trips at 60 C), and the bound is what the proofs of kdev_step use. */
/*@ assigns \nothing;
    ensures KDEV_TEMP_MIN_MDC <= \result <= KDEV_TEMP_MAX_MDC; */
static int32_t kdev_clamp_temp(int64_t mdc)
{
    if (mdc < KDEV_TEMP_MIN_MDC)
        return KDEV_TEMP_MIN_MDC;
    if (mdc > KDEV_TEMP_MAX_MDC)
        return KDEV_TEMP_MAX_MDC;
    return (int32_t)mdc;
}

/* Integrate the physics over dt milliseconds with the state held constant. */
/*@ requires \valid(d) && kdev_ok(d) && 1 <= dt <= KDEV_STEP_COOL_MS;
    requires d->last_tick_ms + dt <= KDEV_TIME_MAX;
    assigns d->ppm_milli, d->temp_mdc, d->heat_rem, d->run_acc_ms, d->drain_rem, d->battery_uah,
            d->faults, d->level, d->start_ms, d->change_ms, d->off_ms, d->last_stop, d->last_tick_ms;
    ensures kdev_ok(d) && d->last_tick_ms == \old(d->last_tick_ms) + dt;
    ensures d->run_acc_ms == \old(d->run_acc_ms) + (\old(d->level) > 0 ? dt : 0);
    ensures d->level == \old(d->level) || d->level == 0;
    ensures d->start_ms == \old(d->start_ms);
    ensures d->level == \old(d->level) ==> d->change_ms == \old(d->change_ms); */
static void kdev_step(struct kdev *d, uint32_t dt)
{
    uint32_t target = (uint32_t)kdev_level_ppm(d, d->level) * 1000u;
    uint32_t ramp = (uint32_t)((uint64_t)KDEV_RAMP_PPM * 1000u * dt / KDEV_RAMP_MS);
    /* current of the interval is taken at its start: the steps are short */
    uint32_t ma = kdev_current_ma(d);
    bool running = d->level > 0;   /* for the whole step: a fault found at its end stops the next */
    uint64_t acc;
    int64_t flow, q, r;

    if (d->ppm_milli < target)
        d->ppm_milli = (target - d->ppm_milli > ramp) ? d->ppm_milli + ramp : target;
    else if (d->ppm_milli > target)
        d->ppm_milli = (d->ppm_milli - target > ramp) ? d->ppm_milli - ramp : target;

    /* heating and cooling as one net flow; the remainder carries what a short
     * step would round away, and floor division settles exactly on ambient */
    flow = ((int64_t)KDEV_HEAT_PER_MA * ma - (int64_t)KDEV_COOL_PER_MDC * (d->temp_mdc - KDEV_AMBIENT_MDC)) * dt
           + d->heat_rem;
    q = flow / KDEV_HEAT_SCALE;
    r = flow % KDEV_HEAT_SCALE;
    if (r < 0) {
        q--;
        r += KDEV_HEAT_SCALE;
    }
    d->temp_mdc = kdev_clamp_temp(d->temp_mdc + q);
    d->heat_rem = (uint32_t)r;

    acc = (uint64_t)ma * dt + d->drain_rem;
    d->drain_rem = (uint16_t)(acc % KDEV_UAH_MA_MS);
    acc /= KDEV_UAH_MA_MS;
    d->battery_uah = acc >= d->battery_uah ? 0 : d->battery_uah - (uint32_t)acc;

    kdev_check_faults(d);   /* at the step's start, as the state was held */
    if (running)
        d->run_acc_ms += dt;
    d->last_tick_ms += dt;
}

/*@ requires \valid(d) && kdev_ok(d) && now_ms <= KDEV_TIME_MAX;
    assigns d->level, d->start_ms, d->change_ms, d->off_ms, d->last_stop, d->run_acc_ms, d->resting,
            d->ppm_milli, d->temp_mdc, d->heat_rem, d->battery_uah, d->drain_rem, d->faults, d->last_tick_ms;
    ensures kdev_ok(d);
    ensures d->last_tick_ms == \max(\old(d->last_tick_ms), now_ms);
    // Time never raises the motor, nor moves its start: only a host's SET_LEVEL does.
    ensures d->level == \old(d->level) || d->level == 0;
    ensures d->start_ms == \old(d->start_ms);
    ensures d->level == \old(d->level) ==> d->change_ms == \old(d->change_ms);
    // The dead man: running only while the host fed the watchdog within watchdog_ms.
    ensures d->level > 0 ==> d->last_tick_ms < d->last_host_ms + d->cfg.watchdog_ms;
    // The running ceiling: running only below it.
    ensures d->level > 0 && kdev_enveloped(d) ==> d->run_acc_ms < d->cfg.ceiling_s * 1000;
    ensures kdev_fed(d); */
void kdev_tick(struct kdev *d, uint64_t now_ms)
{
    uint64_t ceiling_ms = (uint64_t)d->cfg.ceiling_s * 1000u;

    /*@ loop invariant kdev_ok(d);
        loop invariant \at(d->last_tick_ms, Pre) <= d->last_tick_ms <= \max(\at(d->last_tick_ms, Pre), now_ms);
        loop invariant d->level == \at(d->level, Pre) || d->level == 0;
        loop invariant d->start_ms == \at(d->start_ms, Pre);
        loop invariant d->level == \at(d->level, Pre) ==> d->change_ms == \at(d->change_ms, Pre);
        loop assigns d->level, d->start_ms, d->change_ms, d->off_ms, d->last_stop, d->run_acc_ms, d->resting,
            d->ppm_milli, d->temp_mdc, d->heat_rem, d->battery_uah, d->drain_rem, d->faults, d->last_tick_ms; */
    for (;;) {
        uint64_t deadline = d->last_host_ms + d->cfg.watchdog_ms;
        uint64_t dt;

        /* dead man: checked at every step boundary, steps end on the deadline */
        if (d->level > 0 && d->last_tick_ms >= deadline)
            kdev_set_level(d, 0, KDEV_BY_WATCHDOG);
        /* the running ceiling: steps end on it too. Reached as the watchdog
         * fires or a fault latches, the motor is off already: the rest holds all the same. */
        if (kdev_envelope(d) && !d->resting && d->run_acc_ms >= ceiling_ms) {
            d->resting = true;
            kdev_set_level(d, 0, KDEV_BY_CEILING);
        }
        kdev_rest(d);

        if (now_ms <= d->last_tick_ms)
            break;   /* also covers a clock that went backwards */
        dt = now_ms - d->last_tick_ms;

        if (kdev_busy(d)) {
            if (dt > KDEV_STEP_RUN_MS)
                dt = KDEV_STEP_RUN_MS;
        } else if (d->temp_mdc != KDEV_AMBIENT_MDC) {
            if (dt > KDEV_STEP_COOL_MS)
                dt = KDEV_STEP_COOL_MS;
        } else {
            /* nothing moves: skip the rest of the interval in one go */
            d->last_tick_ms = now_ms;
            continue;
        }
        if (d->level > 0 && deadline > d->last_tick_ms && deadline - d->last_tick_ms < dt)
            dt = deadline - d->last_tick_ms;
        if (kdev_envelope(d) && d->level > 0 && ceiling_ms - d->run_acc_ms < dt)
            dt = ceiling_ms - d->run_acc_ms;

        kdev_step(d, (uint32_t)dt);
    }
}

/*@ requires \valid_read(d);
    assigns \nothing;
    ensures \result <==> d->level > 0 || d->ppm_milli > 0; */
bool kdev_busy(const struct kdev *d)
{
    return d->level > 0 || d->ppm_milli > 0;
}

/* kdev_init's second half, on a device given its settings: the settings
 * raised to the protocol's floors, the present set, and the state the
 * invariant speaks of set by name (the zeroing before covers the rest; the
 * provers do not see through a whole-struct copy, so this is proved apart). */
/*@ requires \valid(d) && now_ms <= KDEV_TIME_MAX;
    assigns d->cfg, d->last_stop, d->temp_mdc, d->battery_uah, d->power_ms, d->last_host_ms, d->last_tick_ms,
        d->off_ms, d->level, d->faults, d->resting, d->start_ms, d->change_ms, d->run_acc_ms, d->heat_rem;
    ensures kdev_ok(d) && d->level == 0 && d->faults == 0; */
static void kdev_settle(struct kdev *d, uint64_t now_ms)
{
    d->level = 0;
    d->faults = 0;
    d->resting = false;
    d->start_ms = d->change_ms = d->run_acc_ms = 0;
    d->heat_rem = 0;
    d->cfg.serial[KNOT_SERIAL_LEN] = '\0';   /* never trust the terminator */
    if (d->cfg.levels < 1)
        d->cfg.levels = 1;
    if (d->cfg.levels > KNOT_MAX_LEVELS)
        d->cfg.levels = KNOT_MAX_LEVELS;
    if (d->cfg.watchdog_ms == 0)
        d->cfg.watchdog_ms = KNOT_WATCHDOG_MS_DEFAULT;
    /* a firmware may be stricter than the protocol's floors, never looser */
    if (d->cfg.trial_ms < KNOT_TRIAL_MS)
        d->cfg.trial_ms = KNOT_TRIAL_MS;
    if (d->cfg.rise_gap_ms < KNOT_RISE_GAP_MS)
        d->cfg.rise_gap_ms = KNOT_RISE_GAP_MS;
    if (d->cfg.ceiling_s == 0 || d->cfg.ceiling_s > KNOT_CEILING_S)
        d->cfg.ceiling_s = KNOT_CEILING_S;
    if (d->cfg.rest_s < KNOT_REST_S)
        d->cfg.rest_s = KNOT_REST_S;
    d->last_stop = KNOT_STOP_NONE;
    d->temp_mdc = KDEV_AMBIENT_MDC;
    d->battery_uah = KDEV_CAPACITY_UAH;
    d->power_ms = now_ms;
    d->last_host_ms = now_ms;
    d->last_tick_ms = now_ms;
    d->off_ms = now_ms;
}

/*@ requires \valid(d) && \valid_read(cfg) && \separated(d, cfg) && now_ms <= KDEV_TIME_MAX;
    assigns *d;
    ensures kdev_ok(d) && d->level == 0 && d->faults == 0; */
void kdev_init(struct kdev *d, const struct kdev_config *cfg, kdev_trace_fn trace, void *ctx, uint64_t now_ms)
{
    *d = (struct kdev){ 0 };
    d->cfg = *cfg;
    d->trace = trace;
    d->trace_ctx = ctx;
    kdev_settle(d, now_ms);
}

/*@ requires \valid_read(d) && kdev_ok(d);
    assigns \nothing;
    ensures \result <= KNOT_RISE_WAIT_NEVER; */
unsigned kdev_rise_wait_ms(const struct kdev *d)
{
    uint64_t now = d->last_tick_ms, ready;

    if (d->faults || d->level >= d->cfg.levels || (kdev_envelope(d) && d->resting))
        return KNOT_RISE_WAIT_NEVER;
    if (!kdev_envelope(d) || d->level == 0)
        return 0;   /* from off, level 1 is accepted at once */
    ready = d->start_ms + d->cfg.trial_ms;
    if (d->change_ms + d->cfg.rise_gap_ms > ready)
        ready = d->change_ms + d->cfg.rise_gap_ms;
    if (ready <= now)
        return 0;
    return ready - now >= KNOT_RISE_WAIT_NEVER ? KNOT_RISE_WAIT_NEVER - 1 : (unsigned)(ready - now);
}

/*@ requires \valid_read(d) && kdev_ok(d) && \valid(st) && \separated(d, st);
    assigns *st; */
void kdev_status(const struct kdev *d, struct knot_status *st)
{
    uint32_t ma = kdev_current_ma(d);

    st->seq = knot_put_le16(d->seq);
    st->level = d->level;
    st->last_stop = d->last_stop;
    st->ppm = knot_put_le16((uint16_t)(d->ppm_milli / 1000u));
    st->current_ma = knot_put_le16(ma > 0xffff ? 0xffff : (uint16_t)ma);
    st->temp_dc = (int16_t)knot_put_le16((uint16_t)(int16_t)(d->temp_mdc / 1000));
    st->force_dn = knot_put_le16(d->force_dn);
    st->faults = knot_put_le16(d->faults);
    st->battery_pct = (uint8_t)kdev_battery_pct(d);
    st->reserved = 0;
    st->uptime_ms = knot_put_le32((uint32_t)(d->last_tick_ms - d->power_ms));
    st->run_ms = knot_put_le32(d->level > 0 ? (uint32_t)(d->last_tick_ms - d->start_ms) : 0);
    st->rise_wait_ms = knot_put_le16((uint16_t)kdev_rise_wait_ms(d));
    st->refusal = d->refusal;
    st->refused_level = d->refused_level;
    st->refusals = knot_put_le16(d->refusals);
    st->rest_left_s = 0;
    if (d->resting) {
        uint64_t left = (uint64_t)d->cfg.rest_s * 1000u - (d->last_tick_ms - d->off_ms);
        st->rest_left_s = knot_put_le16((uint16_t)((left + 999u) / 1000u));
    }
}

/*@ requires \valid_read(d) && kdev_ok(d) && \valid(info) && \separated(d, info);
    assigns *info; */
void kdev_info(const struct kdev *d, struct knot_info *info)
{
    unsigned i;

    *info = (struct knot_info){ 0 };   /* reserved bytes, ppm past N and serial padding are 0 (packed: no padding) */
    info->proto_major = KNOT_PROTO_MAJOR;
    info->proto_minor = d->cfg.proto_1_0 ? 0 : d->cfg.proto_1_1 ? 1 : KNOT_PROTO_MINOR;
    info->fw_version = knot_put_le16(d->cfg.fw_version);
    info->levels = d->cfg.levels;
    info->watchdog_ms = knot_put_le16(d->cfg.watchdog_ms);
    /*@ loop invariant 0 <= i <= d->cfg.levels;
        loop assigns i, info->ppm[0 .. KNOT_MAX_LEVELS - 1]; */
    for (i = 0; i < d->cfg.levels; i++)
        info->ppm[i] = knot_put_le16(kdev_level_ppm(d, i + 1));
    /*@ loop invariant 0 <= i <= KNOT_SERIAL_LEN;
        loop assigns i, info->serial[0 .. KNOT_SERIAL_LEN - 1]; */
    for (i = 0; i < KNOT_SERIAL_LEN && d->cfg.serial[i]; i++)
        info->serial[i] = d->cfg.serial[i];
    if (!kdev_envelope(d))
        return;
    info->trial_ms = knot_put_le16(d->cfg.trial_ms);
    info->rise_gap_ms = knot_put_le16(d->cfg.rise_gap_ms);
    info->ceiling_s = knot_put_le16(d->cfg.ceiling_s);
    info->rest_s = knot_put_le16(d->cfg.rest_s);
}

/* Copy an IN reply the way USB does: the host gets at most wLength bytes. */
/* A byte copy of a block: outside WP's typed memory model, so its contract is
 * assumed, not proved (docs/PROOFS.md); the tests and ASan check it. */
/*@ requires data == \null || \valid(data + (0 .. cap - 1));
    assigns data[0 .. cap - 1];
    ensures 0 <= \result <= wlength && \result <= cap && \result <= len; */
static int kdev_reply(const void *src, size_t len, uint16_t wlength, uint8_t *data, size_t cap)
{
    if (!data)
        return 0;
    if (len > wlength)
        len = wlength;
    if (len > cap)
        len = cap;
    memcpy(data, src, len);
    return (int)len;
}

/*@ requires \valid(d) && kdev_ok(d);
    requires data == \null || \valid(data + (0 .. cap - 1));
    requires \separated(d, data + (0 .. cap - 1));
    assigns d->refusal, d->refused_level, d->refusals, data[0 .. cap - 1];
    ensures kdev_ok(d); */
static int kdev_get_string(struct kdev *d, uint8_t index, uint16_t wlength, uint8_t *data, size_t cap)
{
    uint8_t desc[2 + 2 * KDEV_STR_MAX];
    const char *s;
    size_t n, len;

    switch (index) {
    case 0:
        desc[0] = 4;
        desc[1] = USB_DT_STRING;
        desc[2] = USB_LANGID_EN_US & 0xff;
        desc[3] = USB_LANGID_EN_US >> 8;
        return kdev_reply(desc, 4, wlength, data, cap);
    case KDEV_STR_MANUFACTURER:
        s = kdev_str_manufacturer;
        len = sizeof(kdev_str_manufacturer) - 1;
        break;
    case KDEV_STR_PRODUCT:
        s = kdev_str_product;
        len = sizeof(kdev_str_product) - 1;
        break;
    case KDEV_STR_SERIAL:
        s = d->cfg.serial;
        len = KNOT_SERIAL_LEN;   /* NUL-padded, not necessarily terminated */
        break;
    default:
        /* refused below: WP 25 mis-scopes a return in a switch's default */
        s = NULL;
        len = 0;
        break;
    }
    if (!s)
        return kdev_refuse(d, KDEV_WHY_BAD_REQUEST);
    /* our strings are ASCII, so UTF-16LE is the byte and a zero */
    /*@ loop invariant 0 <= n <= len && n <= KDEV_STR_MAX;
        loop assigns n, desc[2 .. 2 * KDEV_STR_MAX + 1]; */
    for (n = 0; n < len && n < KDEV_STR_MAX && s[n]; n++) {
        desc[2 + 2 * n] = (uint8_t)s[n];
        desc[3 + 2 * n] = 0;
    }
    desc[0] = (uint8_t)(2 + 2 * n);
    desc[1] = USB_DT_STRING;
    return kdev_reply(desc, desc[0], wlength, data, cap);
}

/*@ requires \valid(d) && kdev_ok(d);
    requires data == \null || \valid(data + (0 .. cap - 1));
    requires \separated(d, data + (0 .. cap - 1));
    assigns d->refusal, d->refused_level, d->refusals, data[0 .. cap - 1];
    ensures kdev_ok(d); */
static int kdev_standard(struct kdev *d, uint8_t rt, uint8_t req, uint16_t wvalue, uint16_t wlength,
                         uint8_t *data, size_t cap)
{
    /* device and configuration descriptors belong to the front end's USB stack */
    if (rt == USB_DIR_IN && req == USB_REQ_GET_DESCRIPTOR && (wvalue >> 8) == USB_DT_STRING)
        return kdev_get_string(d, (uint8_t)(wvalue & 0xff), wlength, data, cap);
    return kdev_refuse(d, KDEV_WHY_BAD_REQUEST);
}

/*@ requires \valid(d) && kdev_ok(d);
    requires data == \null || \valid(data + (0 .. cap - 1));
    requires \separated(d, data + (0 .. cap - 1));
    assigns d->last_host_ms, d->seq, d->refusal, d->refused_level, d->refusals, data[0 .. cap - 1];
    ensures kdev_ok(d);
    // A read feeds the watchdog only as the driving host's heartbeat.
    ensures d->last_host_ms != \old(d->last_host_ms) ==> req == KNOT_REQ_GET_STATUS && wvalue == KNOT_STATUS_HEARTBEAT;
    ensures \at(kdev_fed(d), Pre) ==> kdev_fed(d); */
static int kdev_vendor_in(struct kdev *d, uint8_t req, uint16_t wvalue, uint16_t wlength, uint8_t *data, size_t cap)
{
    struct knot_info info;
    struct knot_status st;

    if (wlength == 0)
        return kdev_refuse(d, KDEV_WHY_BAD_REQUEST);   /* an IN request without room for the answer is a host bug */
    switch (req) {
    case KNOT_REQ_GET_INFO:
        kdev_info(d, &info);
        return kdev_reply(&info, d->cfg.proto_1_0 ? KNOT_INFO_SIZE_1_0 : sizeof(info), wlength, data, cap);
    case KNOT_REQ_GET_STATUS:
        if (wvalue == KNOT_STATUS_HEARTBEAT)
            kdev_feed(d);   /* the driving host; a monitor's read (any other wValue) feeds nothing */
        d->seq++;   /* before filling: the first answer carries 1, 0 means never read */
        kdev_status(d, &st);
        return kdev_reply(&st, d->cfg.proto_1_0 ? KNOT_STATUS_SIZE_1_0 : sizeof(st), wlength, data, cap);
    }
    return kdev_refuse(d, KDEV_WHY_BAD_REQUEST);   /* after the switch: WP 25 mis-scopes a return in its default */
}

/*@ requires \valid(d) && kdev_ok(d);
    assigns d->faults, d->refusal, d->refused_level, d->refusals;
    ensures kdev_ok(d); */
static int kdev_clear_request(struct kdev *d)
{
    uint16_t gone = 0;

    if (!d->faults)
        return 0;   /* nothing latched: nothing to clear */
    /* a latch may go only once its cause has; the others stay and the request stalls */
    if ((d->faults & KNOT_FAULT_OVERTEMP) && d->temp_mdc < KNOT_TEMP_CLEAR_DC * 1000)
        gone |= KNOT_FAULT_OVERTEMP;
    if ((d->faults & KNOT_FAULT_LOW_BATTERY) && kdev_battery_pct(d) >= KDEV_BATTERY_CLEAR_PCT)
        gone |= KNOT_FAULT_LOW_BATTERY;
    /* a blocked head that is still pressed would stall again at once */
    if ((d->faults & KNOT_FAULT_STALL) && !d->stall_forced && d->force_dn < KDEV_STALL_CLEAR_DN)
        gone |= KNOT_FAULT_STALL;
    if (gone) {
        d->faults &= (uint16_t)~gone;
        kdev_emit(d, KDEV_EV_CLEAR, gone, KDEV_BY_HOST);
    }
    return d->faults ? kdev_refuse(d, KDEV_WHY_CAUSE_REMAINS) : 0;
}

/* The envelope: 0 when SET_LEVEL wvalue may go ahead, else why not. Lowering
 * and off are never refused; a 1.0 device checks only range and faults. */
/*@ requires \valid_read(d) && kdev_ok(d);
    assigns \nothing;
    ensures \result == 0 && wvalue > d->level ==> kdev_rise_ok(d, d->level, wvalue);
    ensures \result == 0 ==> wvalue <= d->cfg.levels; */
static enum kdev_why kdev_level_refusal(const struct kdev *d, uint16_t wvalue)
{
    uint64_t now = d->last_tick_ms;

    if (wvalue > d->cfg.levels)
        return KDEV_WHY_RANGE;
    if (wvalue <= d->level)
        return 0;
    if (d->faults)
        return KDEV_WHY_FAULT;   /* the host must CLEAR_FAULT first */
    if (!kdev_envelope(d))
        return 0;
    if (d->resting)
        return KDEV_WHY_RESTING;
    if (d->level == 0)
        return wvalue == 1 ? 0 : KDEV_WHY_FROM_OFF;
    if (wvalue > d->level + 1u)
        return KDEV_WHY_STEP;
    if (now - d->start_ms < d->cfg.trial_ms)
        return KDEV_WHY_TRIAL;
    if (now - d->change_ms < d->cfg.rise_gap_ms)
        return KDEV_WHY_TOO_SOON;
    return 0;
}

/*@ requires \valid(d) && kdev_ok(d);
    assigns d->level, d->start_ms, d->change_ms, d->off_ms, d->last_stop, d->faults, d->last_host_ms,
            d->refusal, d->refused_level, d->refusals;
    ensures kdev_ok(d);
    // A rise is what the envelope allows, judged in the state before it.
    ensures d->level > \old(d->level) ==> d->level == wvalue && \at(kdev_rise_ok(d, d->level, wvalue), Pre);
    // Only a SET_LEVEL the device took feeds the watchdog.
    ensures d->last_host_ms != \old(d->last_host_ms) ==> \result == 0;
    ensures d->last_host_ms == \old(d->last_host_ms) || d->last_host_ms == d->last_tick_ms;
    ensures d->level > \old(d->level) ==> d->last_host_ms == d->last_tick_ms;
    ensures \at(kdev_fed(d), Pre) ==> kdev_fed(d);
    ensures \old(d->level) > 0 ==> d->start_ms == \old(d->start_ms);
    ensures d->level > \old(d->level) && \old(d->level) == 0 ==> d->start_ms == d->last_tick_ms; */
static int kdev_set_level_request(struct kdev *d, uint16_t wvalue)
{
    enum kdev_why why = kdev_level_refusal(d, wvalue);

    if (why)
        return kdev_refuse(d, why);
    kdev_feed(d);   /* only a SET_LEVEL the device took: it is the driving host's */
    kdev_set_level(d, (uint8_t)wvalue, KDEV_BY_HOST);
    kdev_check_faults(d);   /* a pressed head or flat pack trips at once */
    return 0;
}

/*@ requires \valid(d) && kdev_ok(d);
    assigns d->level, d->start_ms, d->change_ms, d->off_ms, d->last_stop, d->faults, d->last_host_ms,
            d->refusal, d->refused_level, d->refusals;
    ensures kdev_ok(d);
    ensures d->level > \old(d->level) ==> req == KNOT_REQ_SET_LEVEL && d->level == wvalue
            && \at(kdev_rise_ok(d, d->level, wvalue), Pre);
    ensures d->last_host_ms != \old(d->last_host_ms) ==> req == KNOT_REQ_SET_LEVEL && \result == 0;
    ensures d->level != \old(d->level) ==> req == KNOT_REQ_SET_LEVEL || d->level == 0;
    ensures \at(kdev_fed(d), Pre) ==> kdev_fed(d);
    ensures \old(d->level) > 0 ==> d->start_ms == \old(d->start_ms);
    ensures d->level > \old(d->level) && \old(d->level) == 0 ==> d->start_ms == d->last_tick_ms; */
static int kdev_vendor_out(struct kdev *d, uint8_t req, uint16_t wvalue, uint16_t wlength)
{
    if (wlength != 0)
        return kdev_refuse(d, KDEV_WHY_BAD_REQUEST);   /* no OUT request carries data */
    switch (req) {
    case KNOT_REQ_SET_LEVEL:
        return kdev_set_level_request(d, wvalue);
    case KNOT_REQ_CLEAR_FAULT:
        return kdev_clear_request(d);
    case KNOT_REQ_IDENTIFY:
        kdev_emit(d, KDEV_EV_IDENTIFY, wvalue, KDEV_BY_HOST);
        return 0;
    }
    return kdev_refuse(d, KDEV_WHY_BAD_REQUEST);   /* after the switch: WP 25 mis-scopes a return in its default */
}

/* The request, to its handler (in the present, the watchdog already fed if it is to be). */
/*@ requires \valid(d) && kdev_ok(d) && kdev_fed(d);
    requires data == \null || \valid(data + (0 .. cap - 1));
    requires \separated(d, data + (0 .. cap - 1));
    assigns d->level, d->start_ms, d->change_ms, d->off_ms, d->last_stop, d->faults, d->last_host_ms, d->seq,
            d->refusal, d->refused_level, d->refusals, data[0 .. cap - 1];
    ensures kdev_ok(d) && kdev_fed(d);
    ensures d->level > \old(d->level) ==> rt == KNOT_RT_OUT && req == KNOT_REQ_SET_LEVEL && d->level == wvalue
            && \at(kdev_rise_ok(d, d->level, wvalue), Pre);
    ensures \old(d->level) > 0 ==> d->start_ms == \old(d->start_ms);
    ensures d->level > \old(d->level) && \old(d->level) == 0 ==> d->start_ms == d->last_tick_ms;
    ensures d->last_host_ms != \old(d->last_host_ms) ==>
            (rt == KNOT_RT_OUT && req == KNOT_REQ_SET_LEVEL && \result == 0)
            || (rt == KNOT_RT_IN && req == KNOT_REQ_GET_STATUS && wvalue == KNOT_STATUS_HEARTBEAT); */
static int kdev_request(struct kdev *d, uint8_t rt, uint8_t req, uint16_t wvalue, uint16_t windex, uint16_t wlength,
                        uint8_t *data, size_t cap)
{
    if ((rt & USB_TYPE_MASK) == USB_TYPE_STANDARD)
        return kdev_standard(d, rt, req, wvalue, wlength, data, cap);
    if (windex != KNOT_USB_INTERFACE)
        return kdev_refuse(d, KDEV_WHY_BAD_REQUEST);
    if (rt == KNOT_RT_IN)
        return kdev_vendor_in(d, req, wvalue, wlength, data, cap);
    if (rt == KNOT_RT_OUT)
        return kdev_vendor_out(d, req, wvalue, wlength);
    return kdev_refuse(d, KDEV_WHY_BAD_REQUEST);   /* class requests, other recipients */
}

/* A SETUP packet's 16-bit field: little-endian. */
/*@ requires \valid_read(b + (0 .. 1));
    assigns \nothing;
    ensures \result == b[0] + 256 * b[1]; */
static uint16_t kdev_le16(const uint8_t *b)
{
    return (uint16_t)(b[0] + 256u * b[1]);
}

/*@ requires \valid(d) && kdev_ok(d) && now_ms <= KDEV_TIME_MAX;
    requires \valid_read(setup + (0 .. 7));
    requires \separated(setup + (0 .. 7), d, data + (0 .. cap - 1));
    requires data == \null || \valid(data + (0 .. cap - 1));
    requires \separated(d, data + (0 .. cap - 1));
    assigns *d, data[0 .. cap - 1];
    ensures kdev_ok(d);
    ensures d->last_tick_ms == \max(\old(d->last_tick_ms), now_ms);
    // A rise is a SET_LEVEL the envelope allows: from off only level 1, else one level up once the
    // trial has run since the start and the rise gap since the last change; never with a fault latched.
    ensures d->level > \old(d->level) ==> \old(setup[0]) == KNOT_RT_OUT && \old(setup[1]) == KNOT_REQ_SET_LEVEL
        && d->level == \old(setup[2]) + 256 * \old(setup[3]);
    ensures d->level > \old(d->level) ==> d->level <= d->cfg.levels && d->faults == 0;
    ensures d->level > \old(d->level) && kdev_enveloped(d) ==> !d->resting;
    ensures d->level > \old(d->level) && kdev_enveloped(d) && \old(d->level) == 0 ==> d->level == 1;
    ensures d->level > \old(d->level) && kdev_enveloped(d) && \old(d->level) > 0 ==>
        d->level == \old(d->level) + 1 && d->last_tick_ms - \old(d->start_ms) >= d->cfg.trial_ms
        && d->last_tick_ms - \old(d->change_ms) >= d->cfg.rise_gap_ms;
    // The dead man holds across every request.
    ensures kdev_fed(d);
    // 1.2: what feeds the watchdog is the driving host's: a SET_LEVEL taken, or the heartbeat read.
    ensures kdev_heartbeat_only(d) && d->last_host_ms != \old(d->last_host_ms) ==>
        (\old(setup[0]) == KNOT_RT_OUT && \old(setup[1]) == KNOT_REQ_SET_LEVEL && \result == 0)
        || (\old(setup[0]) == KNOT_RT_IN && \old(setup[1]) == KNOT_REQ_GET_STATUS
            && \old(setup[2]) + 256 * \old(setup[3]) == KNOT_STATUS_HEARTBEAT); */
int kdev_control(struct kdev *d, const uint8_t setup[8], uint8_t *data, size_t cap, uint64_t now_ms)
{
    uint8_t rt = setup[0];
    uint8_t req = setup[1];
    uint16_t wvalue = kdev_le16(setup + 2);
    uint16_t windex = kdev_le16(setup + 4);
    uint16_t wlength = kdev_le16(setup + 6);

    /* an expired watchdog fires before this request can feed it */
    kdev_tick(d, now_ms);
    if (!kdev_heartbeat_only(d))
        kdev_feed(d);   /* 1.0, 1.1: every request handled feeds it */
    d->req_type = rt;
    d->req = req;
    d->req_value = wvalue;
    return kdev_request(d, rt, req, wvalue, windex, wlength, data, cap);
}

/*@ requires \valid(d) && kdev_ok(d) && now_ms <= KDEV_TIME_MAX;
    assigns *d;
    ensures kdev_ok(d);
    // Only a host's SET_LEVEL raises the motor: the world outside may only stop it.
    ensures d->level == \old(d->level) || d->level == 0; */
void kdev_inject_fault(struct kdev *d, uint16_t fault, uint64_t now_ms)
{
    kdev_tick(d, now_ms);
    if (fault & KNOT_FAULT_STALL) {
        d->stall_forced = true;
        kdev_latch(d, KNOT_FAULT_STALL);
    }
    if (fault & KNOT_FAULT_OVERTEMP) {
        if (d->temp_mdc < KNOT_TEMP_TRIP_DC * 1000)
            d->temp_mdc = KNOT_TEMP_TRIP_DC * 1000;
        kdev_latch(d, KNOT_FAULT_OVERTEMP);
    }
    if (fault & KNOT_FAULT_LOW_BATTERY) {
        d->battery_uah = KDEV_CAPACITY_UAH / 100u * 3u;
        kdev_latch(d, KNOT_FAULT_LOW_BATTERY);
    }
}

/*@ requires \valid(d) && kdev_ok(d) && now_ms <= KDEV_TIME_MAX;
    assigns *d;
    ensures kdev_ok(d);
    // Only a host's SET_LEVEL raises the motor: the world outside may only stop it.
    ensures d->level == \old(d->level) || d->level == 0; */
void kdev_press(struct kdev *d, uint16_t force_dn, uint64_t now_ms)
{
    kdev_tick(d, now_ms);
    d->force_dn = force_dn;
    kdev_check_faults(d);
}

/*@ requires \valid(d) && kdev_ok(d) && now_ms <= KDEV_TIME_MAX;
    assigns *d;
    ensures kdev_ok(d);
    // Only a host's SET_LEVEL raises the motor: the world outside may only stop it.
    ensures d->level == \old(d->level) || d->level == 0; */
void kdev_set_battery(struct kdev *d, unsigned pct, uint64_t now_ms)
{
    kdev_tick(d, now_ms);
    if (pct > 100)
        pct = 100;
    d->battery_uah = KDEV_CAPACITY_UAH / 100u * pct;
    d->drain_rem = 0;
    kdev_check_faults(d);
}

/*@ requires \valid(d) && kdev_ok(d) && now_ms <= KDEV_TIME_MAX;
    assigns *d;
    ensures kdev_ok(d) && d->level == 0; */
void kdev_unplug(struct kdev *d, uint64_t now_ms)
{
    kdev_tick(d, now_ms);
    kdev_set_level(d, 0, KDEV_BY_UNPLUG);
}

/*@ requires \valid(d) && kdev_ok(d) && now_ms <= KDEV_TIME_MAX;
    assigns *d;
    ensures kdev_ok(d);
    // Only a host's SET_LEVEL raises the motor: the world outside may only stop it.
    ensures d->level == \old(d->level) || d->level == 0; */
void kdev_clear_faults(struct kdev *d, uint64_t now_ms)
{
    uint16_t cleared;

    kdev_tick(d, now_ms);
    d->stall_forced = false;
    d->force_dn = 0;
    if (d->temp_mdc >= KNOT_TEMP_CLEAR_DC * 1000)
        d->temp_mdc = KDEV_CLEARED_MDC;
    if (kdev_battery_pct(d) < KDEV_BATTERY_CLEAR_PCT)
        d->battery_uah = KDEV_CAPACITY_UAH / 100u * KDEV_CLEARED_PCT;
    cleared = d->faults;
    d->faults = 0;
    if (cleared)
        kdev_emit(d, KDEV_EV_CLEAR, cleared, KDEV_BY_SCENE);
}

const char *kdev_cause_name(enum kdev_cause c)
{
    switch (c) {
    case KDEV_BY_HOST:
        return "host";
    case KDEV_BY_WATCHDOG:
        return "watchdog";
    case KDEV_BY_FAULT:
        return "fault";
    case KDEV_BY_UNPLUG:
        return "unplug";
    case KDEV_BY_CEILING:
        return "ceiling";
    case KDEV_BY_SCENE:
        return "scene";
    }
    return "unknown";
}

const char *kdev_why_name(enum kdev_why why)
{
    switch (why) {
    case KDEV_WHY_BAD_REQUEST:
        return "bad-request";
    case KDEV_WHY_RANGE:
        return "range";
    case KDEV_WHY_FAULT:
        return "fault";
    case KDEV_WHY_FROM_OFF:
        return "from-off";
    case KDEV_WHY_TRIAL:
        return "trial";
    case KDEV_WHY_STEP:
        return "step";
    case KDEV_WHY_TOO_SOON:
        return "too-soon";
    case KDEV_WHY_RESTING:
        return "resting";
    case KDEV_WHY_CAUSE_REMAINS:
        return "cause-remains";
    }
    return "unknown";
}

const char *kdev_fault_name(uint16_t fault)
{
    const char *name = knot_fault_name(fault);

    return name ? name : "unknown";
}
