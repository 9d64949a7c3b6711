/* SPDX-License-Identifier: MIT */
/* motor.c - what every motor shares: the duty a level asks for. */
#include "motor.h"

unsigned motor_duty_for(unsigned level_ppm, unsigned top_ppm)
{
    if (top_ppm == 0 || level_ppm == 0)
        return 0;
    if (level_ppm >= top_ppm)
        return MOTOR_DUTY_MAX;
    return (unsigned)((unsigned long)level_ppm * MOTOR_DUTY_MAX / top_ppm);
}
