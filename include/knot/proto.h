/* SPDX-License-Identifier: MIT */
/* proto.h - the knot massager USB wire protocol, shared by knotd and the device (version 1.1). */
#ifndef KNOT_PROTO_H
#define KNOT_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Single source of truth for the USB protocol documented in docs/PROTOCOL.md.
 * Everything on the wire is little-endian and of fixed size. The structs are
 * packed so that firmware may use them directly; a big-endian reader must use
 * the knot_le16()/knot_put_le16() helpers below (knotd always does).
 */

#define KNOT_PROTO_MAJOR 1   /* incompatible changes */
#define KNOT_PROTO_MINOR 2   /* compatible additions; 1.1 added the device's own envelope, 1.2 the heartbeat */

/* Default IDs (pid.codes open-source VID). knotd takes the IDs it accepts
 * from its configuration; these are the defaults there and in the udev rule. */
#define KNOT_USB_VID 0x1209
#define KNOT_USB_PID 0x4b4e

#define KNOT_USB_CLASS 0xff  /* vendor-specific interface */
#define KNOT_USB_SUBCLASS 0x4b
#define KNOT_USB_IFPROTO 0x01
#define KNOT_USB_INTERFACE 0

/* bmRequestType for the vendor requests: vendor type, interface recipient. */
#define KNOT_RT_OUT 0x41  /* host to device */
#define KNOT_RT_IN  0xc1  /* device to host */

enum knot_request {
    KNOT_REQ_GET_INFO = 0x01,    /* IN,  wLength = KNOT_INFO_SIZE */
    KNOT_REQ_GET_STATUS = 0x02,  /* IN,  wLength = KNOT_STATUS_SIZE; wValue = KNOT_STATUS_HEARTBEAT from the driving host */
    KNOT_REQ_SET_LEVEL = 0x03,   /* OUT, wValue = level (0 = off), no data */
    KNOT_REQ_CLEAR_FAULT = 0x04, /* OUT, no data */
    KNOT_REQ_IDENTIFY = 0x05,    /* OUT, wValue = milliseconds to blink the LED */
};

#define KNOT_MAX_LEVELS 8          /* info.ppm[] has room for this many */
#define KNOT_SERIAL_LEN 16         /* NUL-padded ASCII, not necessarily terminated */
#define KNOT_WATCHDOG_MS_DEFAULT 250
#define KNOT_WATCHDOG_MS_MIN 100   /* a host refuses a device outside this range */
#define KNOT_WATCHDOG_MS_MAX 1000
#define KNOT_HEARTBEAT_MS 50       /* the host's status poll period while running (at most watchdog_ms / 5) */
/* 1.2: GET_STATUS with this wValue is the driving host's heartbeat and feeds
 * the watchdog; with any other (a monitor's read: 0) it is a read and feeds
 * nothing. SET_LEVEL feeds it too; no other request does. A 1.0 or 1.1
 * device ignores wValue here and feeds on every request. */
#define KNOT_STATUS_HEARTBEAT 0x4b4e
#define KNOT_HOST_TIMEOUT_MS 200   /* the host gives up on a request after this long */

/*
 * The envelope (1.1): what the firmware refuses by itself, whatever the host
 * asks, so that neither a host bug nor a raw USB program can skip the guide's
 * rule. These are the floors of a conforming device; the info block says
 * which ones this device enforces (never looser than these).
 */
#define KNOT_TRIAL_MS 10000        /* the guide: lowest speed for at least 10 s after a start from off */
#define KNOT_RISE_GAP_MS 4000      /* between a level change and the next rise: below every profile's 5 s step */
#define KNOT_CEILING_S 720         /* running time before the device forces a rest (host: 600 s) */
#define KNOT_REST_S 100            /* off this long clears the running account (host: 120 s) */

/* Why a SET_LEVEL was refused (1.1: status.refusal). Lowering and off are never refused. */
enum knot_refusal {
    KNOT_REFUSAL_NONE = 0,      /* nothing refused since power-up */
    KNOT_REFUSAL_RANGE = 1,     /* above the device's levels */
    KNOT_REFUSAL_FAULT = 2,     /* a fault is latched: CLEAR_FAULT first */
    KNOT_REFUSAL_FROM_OFF = 3,  /* from off, only level 1 */
    KNOT_REFUSAL_TRIAL = 4,     /* above 1 before trial_ms of running since the start from off */
    KNOT_REFUSAL_STEP = 5,      /* more than one level above the current one */
    KNOT_REFUSAL_TOO_SOON = 6,  /* a rise sooner than rise_gap_ms after the last level change */
    KNOT_REFUSAL_RESTING = 7,   /* the running ceiling was reached: resting for rest_s */
};

/* Latched fault bits (status.faults). Any fault stops the motor; SET_LEVEL
 * with a level above 0 is stalled until CLEAR_FAULT succeeds. */
enum knot_fault {
    KNOT_FAULT_STALL = 1u << 0,      /* motor blocked: no percussion despite drive */
    KNOT_FAULT_OVERTEMP = 1u << 1,   /* motor above KNOT_TEMP_TRIP_DC */
    KNOT_FAULT_LOW_BATTERY = 1u << 2,/* battery below KNOT_BATTERY_TRIP_PCT */
};
#define KNOT_FAULT_ALL (KNOT_FAULT_STALL | KNOT_FAULT_OVERTEMP | KNOT_FAULT_LOW_BATTERY)

/* Each fault bit's name, one spelling for the device trace, knot-sim's scene
 * commands, knotd's "faults" arrays and knotctl (docs/PROTOCOL.md). */
#define KNOT_FAULT_NAME_STALL "stall"
#define KNOT_FAULT_NAME_OVERTEMP "overheat"
#define KNOT_FAULT_NAME_LOW_BATTERY "low-battery"

static const struct knot_fault_name {
    uint16_t bit;
    const char *name;
} knot_fault_names[] = {
    { KNOT_FAULT_STALL, KNOT_FAULT_NAME_STALL },
    { KNOT_FAULT_OVERTEMP, KNOT_FAULT_NAME_OVERTEMP },
    { KNOT_FAULT_LOW_BATTERY, KNOT_FAULT_NAME_LOW_BATTERY },
};
#define KNOT_FAULT_NAMES (sizeof(knot_fault_names) / sizeof(knot_fault_names[0]))

/* The name of one fault bit, or NULL for a bit of no known fault. */
static inline const char *knot_fault_name(uint16_t bit)
{
    for (size_t i = 0; i < KNOT_FAULT_NAMES; i++)
        if (knot_fault_names[i].bit == bit)
            return knot_fault_names[i].name;
    return NULL;
}

/* The bit of a fault named name, or 0 for no known fault. */
static inline uint16_t knot_fault_bit(const char *name)
{
    for (size_t i = 0; i < KNOT_FAULT_NAMES; i++)
        if (strcmp(knot_fault_names[i].name, name) == 0)
            return knot_fault_names[i].bit;
    return 0;
}

#define KNOT_TEMP_TRIP_DC 600        /* 60.0 degrees C */
#define KNOT_TEMP_CLEAR_DC 450       /* CLEAR_FAULT accepted below 45.0 degrees C */
#define KNOT_BATTERY_TRIP_PCT 5

/* Why the motor last went to 0 (status.last_stop). */
enum knot_stop {
    KNOT_STOP_NONE = 0,      /* has not run since power-up */
    KNOT_STOP_HOST = 1,      /* SET_LEVEL 0 */
    KNOT_STOP_WATCHDOG = 2,  /* host silent for watchdog_ms while running */
    KNOT_STOP_FAULT = 3,     /* a fault latched */
    KNOT_STOP_CEILING = 4,   /* 1.1: the running ceiling was reached */
};

/* GET_INFO reply: constant for the life of the device. A 1.0 device sends
 * the first KNOT_INFO_SIZE_1_0 bytes only. */
struct knot_info {
    uint8_t proto_major;                /* KNOT_PROTO_MAJOR */
    uint8_t proto_minor;                /* KNOT_PROTO_MINOR */
    uint16_t fw_version;                /* major << 8 | minor */
    uint8_t levels;                     /* N: levels 1..N exist, 1 <= N <= KNOT_MAX_LEVELS */
    uint8_t reserved;                   /* 0 */
    uint16_t watchdog_ms;               /* motor off after this much host silence */
    uint16_t ppm[KNOT_MAX_LEVELS];      /* percussions per minute of level i+1; 0 past N */
    char serial[KNOT_SERIAL_LEN];       /* same as the iSerialNumber string */
    /* 1.1: the envelope this device enforces */
    uint16_t trial_ms;                  /* >= KNOT_TRIAL_MS */
    uint16_t rise_gap_ms;               /* >= KNOT_RISE_GAP_MS */
    uint16_t ceiling_s;                 /* running seconds before a forced rest */
    uint16_t rest_s;                    /* rest that clears the running account */
} __attribute__((packed));

/* GET_STATUS reply: a snapshot; reading it feeds the watchdog. A 1.0 device
 * sends the first KNOT_STATUS_SIZE_1_0 bytes only. */
struct knot_status {
    uint16_t seq;          /* +1 for every GET_STATUS answered, wraps */
    uint8_t level;         /* commanded level, 0 = off */
    uint8_t last_stop;     /* enum knot_stop */
    uint16_t ppm;          /* measured percussions per minute */
    uint16_t current_ma;   /* motor current, milliamperes */
    int16_t temp_dc;       /* motor temperature, tenths of a degree C */
    uint16_t force_dn;     /* force applied to the head, tenths of a newton */
    uint16_t faults;       /* latched enum knot_fault bits */
    uint8_t battery_pct;   /* 0..100 */
    uint8_t reserved;      /* 0 */
    /* 1.1 */
    uint32_t uptime_ms;    /* since power-up; wraps after 49.7 days: a smaller value means a reset */
    uint32_t run_ms;       /* running since the motor last started from off; 0 while off */
    uint16_t rise_wait_ms; /* until a SET_LEVEL level+1 would be accepted; 0 = now, 0xffff = not now */
    uint8_t refusal;       /* enum knot_refusal of the last refused SET_LEVEL */
    uint8_t refused_level; /* the level it asked for */
    uint16_t refusals;     /* refused SET_LEVELs since power-up, wraps */
    uint16_t rest_left_s;  /* while resting after the ceiling: seconds until rises are accepted; else 0 */
} __attribute__((packed));

#define KNOT_RISE_WAIT_NEVER 0xffff

#define KNOT_INFO_SIZE_1_0 40
#define KNOT_STATUS_SIZE_1_0 16
#define KNOT_INFO_SIZE 48
#define KNOT_STATUS_SIZE 32
_Static_assert(sizeof(struct knot_info) == KNOT_INFO_SIZE, "info block is 48 bytes on the wire");
_Static_assert(sizeof(struct knot_status) == KNOT_STATUS_SIZE, "status block is 32 bytes on the wire");

/* Little-endian field access independent of host byte order. */
/*@ assigns \nothing; */
static inline uint16_t knot_le16(uint16_t wire)
{
    const uint8_t *b = (const uint8_t *)&wire;
    return (uint16_t)(b[0] | (b[1] << 8));
}

/*@ assigns \nothing; */
static inline uint16_t knot_put_le16(uint16_t host)
{
    uint16_t wire;
    uint8_t *b = (uint8_t *)&wire;
    b[0] = (uint8_t)(host & 0xff);
    b[1] = (uint8_t)(host >> 8);
    return wire;
}

/*@ assigns \nothing; */
static inline uint32_t knot_le32(uint32_t wire)
{
    const uint8_t *b = (const uint8_t *)&wire;
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/*@ assigns \nothing; */
static inline uint32_t knot_put_le32(uint32_t host)
{
    uint32_t wire;
    uint8_t *b = (uint8_t *)&wire;
    b[0] = (uint8_t)(host & 0xff);
    b[1] = (uint8_t)(host >> 8);
    b[2] = (uint8_t)(host >> 16);
    b[3] = (uint8_t)(host >> 24);
    return wire;
}

#endif /* KNOT_PROTO_H */
