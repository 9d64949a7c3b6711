/* SPDX-License-Identifier: MIT */
/* motor_model.h - the motor of device.c's model behind the motor interface: what knot-sim and the VM test drive. */
#ifndef KNOT_SIM_MOTOR_MODEL_H
#define KNOT_SIM_MOTOR_MODEL_H

#include "device.h"
#include "motor.h"

/* The model lives in the core (it integrates speed, current and heat with the
 * level): this motor reads it back, and keeps the duty it was given. */
void motor_model_open(struct motor *m, const struct kdev *core);

#endif
