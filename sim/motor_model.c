/* SPDX-License-Identifier: MIT */
/* motor_model.c - the model motor: duty kept, readings taken from device.c's own model of speed, current and heat. */
#include "motor_model.h"

#include "knot/proto.h"

static int motor_model_set_duty(struct motor *m, unsigned permille, uint64_t now_ms)
{
    (void)now_ms;
    /* The core already moved its model with the level: nothing else turns. */
    m->duty = permille > MOTOR_DUTY_MAX ? MOTOR_DUTY_MAX : permille;
    return 0;
}

static int motor_model_read(struct motor *m, struct motor_reading *r, uint64_t now_ms)
{
    const struct kdev *core = m->ctx;
    struct knot_status st;

    (void)now_ms;
    kdev_status(core, &st);
    r->ppm = knot_le16(st.ppm);
    r->current_ma = knot_le16(st.current_ma);
    r->temp_dc = (int16_t)knot_le16((uint16_t)st.temp_dc);
    return 0;
}

static void motor_model_close(struct motor *m)
{
    m->duty = 0;
}

static const struct motor_ops motor_model_ops = {
    .name = "model",
    .set_duty = motor_model_set_duty,
    .read = motor_model_read,
    .close = motor_model_close,
};

void motor_model_open(struct motor *m, const struct kdev *core)
{
    m->ops = &motor_model_ops;
    m->ctx = (void *)core;
    m->duty = 0;
}
