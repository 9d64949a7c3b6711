/* proto.h - the knot massager USB wire protocol, shared by knotd and the device (version 1.0). */
#ifndef KNOT_PROTO_H
#define KNOT_PROTO_H

#include <stdint.h>

/*
 * Single source of truth for the USB protocol documented in docs/PROTOCOL.md.
 * Everything on the wire is little-endian and of fixed size. The structs are
 * packed so that firmware may use them directly; a big-endian reader must use
 * the knot_le16()/knot_put_le16() helpers below (knotd always does).
 */

#define KNOT_PROTO_MAJOR 1   /* incompatible changes */
#define KNOT_PROTO_MINOR 0   /* compatible additions */

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
    KNOT_REQ_GET_STATUS = 0x02,  /* IN,  wLength = KNOT_STATUS_SIZE; the heartbeat */
    KNOT_REQ_SET_LEVEL = 0x03,   /* OUT, wValue = level (0 = off), no data */
    KNOT_REQ_CLEAR_FAULT = 0x04, /* OUT, no data */
    KNOT_REQ_IDENTIFY = 0x05,    /* OUT, wValue = milliseconds to blink the LED */
};

#define KNOT_MAX_LEVELS 8          /* info.ppm[] has room for this many */
#define KNOT_SERIAL_LEN 16         /* NUL-padded ASCII, not necessarily terminated */
#define KNOT_WATCHDOG_MS_DEFAULT 250
#define KNOT_HEARTBEAT_MS 50       /* the host's status poll period while running */

/* Latched fault bits (status.faults). Any fault stops the motor; SET_LEVEL
 * with a level above 0 is stalled until CLEAR_FAULT succeeds. */
enum knot_fault {
    KNOT_FAULT_STALL = 1u << 0,      /* motor blocked: no percussion despite drive */
    KNOT_FAULT_OVERTEMP = 1u << 1,   /* motor above KNOT_TEMP_TRIP_DC */
    KNOT_FAULT_LOW_BATTERY = 1u << 2,/* battery below KNOT_BATTERY_TRIP_PCT */
};
#define KNOT_FAULT_ALL (KNOT_FAULT_STALL | KNOT_FAULT_OVERTEMP | KNOT_FAULT_LOW_BATTERY)

#define KNOT_TEMP_TRIP_DC 600        /* 60.0 degrees C */
#define KNOT_TEMP_CLEAR_DC 450       /* CLEAR_FAULT accepted below 45.0 degrees C */
#define KNOT_BATTERY_TRIP_PCT 5

/* Why the motor last went to 0 (status.last_stop). */
enum knot_stop {
    KNOT_STOP_NONE = 0,      /* has not run since power-up */
    KNOT_STOP_HOST = 1,      /* SET_LEVEL 0 */
    KNOT_STOP_WATCHDOG = 2,  /* host silent for watchdog_ms while running */
    KNOT_STOP_FAULT = 3,     /* a fault latched */
};

/* GET_INFO reply: constant for the life of the device. */
struct knot_info {
    uint8_t proto_major;                /* KNOT_PROTO_MAJOR */
    uint8_t proto_minor;                /* KNOT_PROTO_MINOR */
    uint16_t fw_version;                /* major << 8 | minor */
    uint8_t levels;                     /* N: levels 1..N exist, 1 <= N <= KNOT_MAX_LEVELS */
    uint8_t reserved;                   /* 0 */
    uint16_t watchdog_ms;               /* motor off after this much host silence */
    uint16_t ppm[KNOT_MAX_LEVELS];      /* percussions per minute of level i+1; 0 past N */
    char serial[KNOT_SERIAL_LEN];       /* same as the iSerialNumber string */
} __attribute__((packed));

/* GET_STATUS reply: a snapshot; reading it feeds the watchdog. */
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
} __attribute__((packed));

#define KNOT_INFO_SIZE 40
#define KNOT_STATUS_SIZE 16
_Static_assert(sizeof(struct knot_info) == KNOT_INFO_SIZE, "info block is 40 bytes on the wire");
_Static_assert(sizeof(struct knot_status) == KNOT_STATUS_SIZE, "status block is 16 bytes on the wire");

/* Little-endian field access independent of host byte order. */
static inline uint16_t knot_le16(uint16_t wire)
{
    const uint8_t *b = (const uint8_t *)&wire;
    return (uint16_t)(b[0] | (b[1] << 8));
}

static inline uint16_t knot_put_le16(uint16_t host)
{
    uint16_t wire;
    uint8_t *b = (uint8_t *)&wire;
    b[0] = (uint8_t)(host & 0xff);
    b[1] = (uint8_t)(host >> 8);
    return wire;
}

#endif /* KNOT_PROTO_H */
