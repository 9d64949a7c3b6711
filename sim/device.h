/* SPDX-License-Identifier: MIT */
/* device.h - the virtual massager's firmware core: protocol, motor model, watchdog, faults (no I/O). */
#ifndef KNOT_SIM_DEVICE_H
#define KNOT_SIM_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "knot/proto.h"

/*
 * Written the way microcontroller firmware would be: no allocation, no
 * libc I/O, no clock reads. Time (monotonic milliseconds) is an argument to
 * every entry point. A front end (sim/usbfs.c under umockdev, sim/gadget.c on a real kernel's FunctionFS) feeds
 * it setup packets and ticks, and receives events through the trace callback.
 */

/* Who moved the motor or cleared a fault: the words of the trace's by= field. */
enum kdev_cause {
    KDEV_BY_HOST,
    KDEV_BY_WATCHDOG,
    KDEV_BY_FAULT,
    KDEV_BY_UNPLUG,
    KDEV_BY_CEILING,   /* the device's running ceiling */
    KDEV_BY_SCENE,     /* the world outside the firmware (kdev_clear_faults) */
};

enum kdev_event {
    KDEV_EV_LEVEL,   /* arg = new level, cause = why */
    KDEV_EV_FAULT,   /* arg = enum knot_fault bit that latched */
    KDEV_EV_CLEAR,   /* arg = faults cleared, cause = who cleared them */
    KDEV_EV_IDENTIFY,/* arg = milliseconds */
    KDEV_EV_REFUSED, /* a request stalled: request = bRequest, arg = wValue, why = enum kdev_why */
};

/* Why the device refused (stalled) a request: for SET_LEVEL the protocol's
 * enum knot_refusal (reported in the status block), else one of the others. */
enum kdev_why {
    KDEV_WHY_RANGE = KNOT_REFUSAL_RANGE,
    KDEV_WHY_FAULT = KNOT_REFUSAL_FAULT,
    KDEV_WHY_FROM_OFF = KNOT_REFUSAL_FROM_OFF,
    KDEV_WHY_TRIAL = KNOT_REFUSAL_TRIAL,
    KDEV_WHY_STEP = KNOT_REFUSAL_STEP,
    KDEV_WHY_TOO_SOON = KNOT_REFUSAL_TOO_SOON,
    KDEV_WHY_RESTING = KNOT_REFUSAL_RESTING,
    KDEV_WHY_BAD_REQUEST = 0x80,   /* not a request of the protocol, or malformed */
    KDEV_WHY_CAUSE_REMAINS,        /* CLEAR_FAULT while a fault's cause is still there */
};

/* One thing the device did, as its trace reports it. */
struct kdev_note {
    enum kdev_event ev;
    unsigned arg;
    enum kdev_cause cause;   /* KDEV_EV_LEVEL, KDEV_EV_CLEAR */
    uint8_t request_type;    /* KDEV_EV_REFUSED: bmRequestType and bRequest */
    uint8_t request;
    enum kdev_why why;       /* KDEV_EV_REFUSED */
};

typedef void (*kdev_trace_fn)(void *ctx, const struct kdev_note *n);

struct kdev_config {
    uint8_t levels;          /* 1..KNOT_MAX_LEVELS */
    uint16_t watchdog_ms;    /* 0 = KNOT_WATCHDOG_MS_DEFAULT */
    uint16_t fw_version;
    char serial[KNOT_SERIAL_LEN + 1];
    bool proto_1_0;          /* behave as a 1.0 device: no envelope, 1.0 block sizes (and as 1.1 below) */
    bool proto_1_1;          /* behave as a 1.1 device: every request feeds the watchdog */
    /* the envelope (1.1); 0 = the protocol's floor. A value below the floor is raised to it. */
    uint16_t trial_ms, rise_gap_ms, ceiling_s, rest_s;
};

struct kdev {
    struct kdev_config cfg;
    kdev_trace_fn trace;
    void *trace_ctx;

    uint8_t level;           /* commanded */
    uint8_t last_stop;       /* enum knot_stop */
    uint16_t faults;         /* latched */
    uint16_t seq;
    uint64_t power_ms;       /* power-up: uptime counts from here */

    /* the envelope's memory ("running" = a commanded level above 0) */
    uint64_t start_ms;       /* the last start from off */
    uint64_t change_ms;      /* the last level change */
    uint64_t off_ms;         /* when the motor last went to 0 */
    uint64_t run_acc_ms;     /* running time toward the ceiling; cleared by rest_s off */
    bool resting;            /* the ceiling was reached: no rise until rested */
    uint8_t refusal, refused_level;
    uint16_t refusals;
    uint64_t last_host_ms;   /* last request of any kind: feeds the watchdog */
    uint8_t req_type, req;   /* the request being handled: what a refusal reports */
    uint16_t req_value;
    uint64_t last_tick_ms;

    /* motor model, in milli-units to integrate without floats */
    uint32_t ppm_milli;      /* measured speed, follows the commanded one */
    int32_t temp_mdc;        /* milli-decidegrees C */
    uint32_t battery_uah;    /* remaining charge */
    uint16_t force_dn;       /* set from outside (press) */
    bool stall_forced;       /* fault injection */

    /* sub-unit leftovers carried between steps, so short steps don't round heat and drain away */
    uint32_t heat_rem;       /* net heat flow below one milli-decidegree, 1e-5 mdC units (< 100000) */
    uint16_t drain_rem;      /* mA*ms below one uAh (< 3600) */
};

/* Time beyond which the proofs assume nothing (2^62 ms: 146 million years of uptime). */
#define KDEV_TIME_MAX ((uint64_t)1 << 62)
/* The model's temperature stays within what its sensor reports: -40.0 to 200.0 C, in milli-decidegrees. */
#define KDEV_TEMP_MIN_MDC (-400000)
#define KDEV_TEMP_MAX_MDC 2000000
/* Heat flow below one milli-decidegree is carried in 1e-5 units. */
#define KDEV_HEAT_SCALE 100000

/*@
  // The 1.1 envelope is on (a 1.0 device checks only range and faults).
  predicate kdev_enveloped(struct kdev *d) = !d->cfg.proto_1_0;

  // What every entry point keeps (make prove; docs/PROOFS.md): the settings
  // as kdev_init leaves them, times never ahead of the present, a level in
  // range, and never a motor running with a fault latched.
  predicate kdev_sane(struct kdev *d) =
    1 <= d->cfg.levels <= KNOT_MAX_LEVELS && d->level <= d->cfg.levels
    && d->cfg.watchdog_ms >= 1
    && d->cfg.trial_ms >= KNOT_TRIAL_MS && d->cfg.rise_gap_ms >= KNOT_RISE_GAP_MS
    && 1 <= d->cfg.ceiling_s <= KNOT_CEILING_S && d->cfg.rest_s >= KNOT_REST_S
    && d->last_tick_ms <= KDEV_TIME_MAX
    && d->start_ms <= d->last_tick_ms && d->change_ms <= d->last_tick_ms
    && d->off_ms <= d->last_tick_ms && d->last_host_ms <= d->last_tick_ms
    && d->run_acc_ms <= d->last_tick_ms
    && KDEV_TEMP_MIN_MDC <= d->temp_mdc <= KDEV_TEMP_MAX_MDC && d->heat_rem < KDEV_HEAT_SCALE;
  // Never a motor running with a fault latched, nor while the device makes it rest.
  predicate kdev_ok(struct kdev *d) = kdev_sane(d) && (d->faults != 0 ==> d->level == 0)
    && (kdev_enveloped(d) && d->resting ==> d->level == 0);

  // 1.2: only the driving host feeds the watchdog.
  predicate kdev_heartbeat_only(struct kdev *d) = !d->cfg.proto_1_0 && !d->cfg.proto_1_1;

  // The dead man's rule: a running motor was fed within watchdog_ms.
  predicate kdev_fed(struct kdev *d) = d->level > 0 ==> d->last_tick_ms < d->last_host_ms + d->cfg.watchdog_ms;

  // The rule of a rise from level `from` to `to`, in the state d before it
  // (the guide's "lowest speed first" as the firmware enforces it).
  predicate kdev_rise_ok(struct kdev *d, integer from, integer to) =
    to <= d->cfg.levels && d->faults == 0
    && (kdev_enveloped(d) ==> !d->resting
        && (from == 0 ==> to == 1)
        && (from > 0 ==> to == from + 1
            && d->last_tick_ms - d->start_ms >= d->cfg.trial_ms
            && d->last_tick_ms - d->change_ms >= d->cfg.rise_gap_ms));
*/

/* Result of a control request, as a USB device would answer it. */
#define KDEV_STALL (-32)   /* -EPIPE: protocol stall, request rejected */

void kdev_init(struct kdev *d, const struct kdev_config *cfg, kdev_trace_fn trace, void *ctx, uint64_t now_ms);

/* A control transfer. setup is the 8-byte SETUP packet (little-endian);
 * for IN requests up to wLength bytes are written to data (capacity cap);
 * for OUT requests data holds wLength bytes. Returns bytes transferred (IN),
 * 0 (OUT) or KDEV_STALL. Standard GET_DESCRIPTOR for strings (langid, product,
 * manufacturer, serial) is answered here too, as firmware does. */
int kdev_control(struct kdev *d, const uint8_t setup[8], uint8_t *data, size_t cap, uint64_t now_ms);

/* Advance the motor model and the watchdog to now_ms. */
void kdev_tick(struct kdev *d, uint64_t now_ms);

/* True while something changes over time (motor running or spinning down):
 * the front end only needs to tick while this holds. */
bool kdev_busy(const struct kdev *d);

/* Fault injection and the world outside the firmware. */
void kdev_inject_fault(struct kdev *d, uint16_t fault, uint64_t now_ms);
void kdev_press(struct kdev *d, uint16_t force_dn, uint64_t now_ms);
void kdev_set_battery(struct kdev *d, unsigned pct, uint64_t now_ms);
/* Power lost (unplugged): motor off with cause unplug. */
void kdev_unplug(struct kdev *d, uint64_t now_ms);
/* The outside world removes every fault cause (head released: force 0,
 * motor cooled to 40.0 C if it was at 45.0 C or more, battery charged to 50 %
 * if it was below 10 %) and the latches are cleared: KDEV_EV_CLEAR with the
 * bits, cause KDEV_BY_SCENE. A host CLEAR_FAULT traces KDEV_EV_CLEAR with
 * cause KDEV_BY_HOST. */
void kdev_clear_faults(struct kdev *d, uint64_t now_ms);

/* Snapshot, as GET_STATUS would return it but without bumping seq or feeding the watchdog. */
void kdev_status(const struct kdev *d, struct knot_status *st);
void kdev_info(const struct kdev *d, struct knot_info *info);

/* String descriptor indexes used by the device descriptor. */
#define KDEV_STR_MANUFACTURER 1
#define KDEV_STR_PRODUCT 2
#define KDEV_STR_SERIAL 3

/* ms before SET_LEVEL level+1 would be accepted now (KNOT_RISE_WAIT_NEVER: not now). */
unsigned kdev_rise_wait_ms(const struct kdev *d);

const char *kdev_cause_name(enum kdev_cause c);
const char *kdev_fault_name(uint16_t fault);
const char *kdev_why_name(enum kdev_why why);

#endif
