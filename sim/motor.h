/* SPDX-License-Identifier: MIT */
/* motor.h - the massager's motor as knot-gadget drives it: one PWM duty out, tachometer, current and temperature in. */
#ifndef KNOT_SIM_MOTOR_H
#define KNOT_SIM_MOTOR_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The device core (device.c) decides the level; the front end turns every
 * change of it, whoever made it (host, watchdog, fault, unplug), into a duty
 * at once, and reports what the motor measures in the status block. An
 * implementation is a table of these functions; docs/GADGET.md says how to
 * write one for real hardware.
 *
 * Contract: set_duty and read never block for long (they run with the core
 * locked, on the path of the watchdog); set_duty(0) always works, also after
 * an error; close leaves the motor off.
 */

#define MOTOR_DUTY_MAX 1000u   /* permille */

struct motor_reading {
    uint16_t ppm;              /* tachometer: percussions per minute, 0 = standing still */
    uint16_t current_ma;
    int16_t temp_dc;           /* tenths of a degree Celsius */
};

struct motor;

struct motor_ops {
    const char *name;
    int (*set_duty)(struct motor *m, unsigned permille, uint64_t now_ms);   /* 0 or -errno */
    int (*read)(struct motor *m, struct motor_reading *r, uint64_t now_ms); /* 0 or -errno */
    void (*close)(struct motor *m);
};

struct motor {
    const struct motor_ops *ops;
    void *ctx;                 /* the implementation's */
    unsigned duty;             /* the last duty set, permille */
};

/* The duty for a level: its nominal speed (level_ppm, 0 for off) over the top
 * level's, so the top level runs at full duty and off is 0. */
unsigned motor_duty_for(unsigned level_ppm, unsigned top_ppm);

#endif
