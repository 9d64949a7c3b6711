/* SPDX-License-Identifier: MIT */
/* scene.h - the scene commands a test gives a virtual massager (plug, fault, press, ...), one table for knot-sim and knot-gadget. */
#ifndef KNOT_SIM_SCENE_H
#define KNOT_SIM_SCENE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a front end does for each command, on its device dev: 0 or a
 * negative errno (-EALREADY, -ENODEV, -ENOTSUP say themselves). A NULL
 * member is a command that front end cannot carry out; why_not says why. */
struct scene_ops {
    int (*plug)(void *dev);
    int (*unplug)(void *dev, unsigned late_ms);          /* late_ms 0: the removal heard at once */
    int (*fault)(void *dev, uint16_t bit, bool at_raise);
    int (*clear)(void *dev);
    int (*press)(void *dev, unsigned force_dn);
    int (*battery)(void *dev, unsigned pct);
    int (*fail_next)(void *dev, unsigned n);
    int (*hang)(void *dev, bool hang);
    int (*monitor)(void *dev, unsigned period_ms);        /* another program reading status; 0: none */
    void (*describe)(void *dev, char *buf, size_t len);
    const char *why_not;                                  /* for a NULL member */
    bool late_unplug;                                     /* takes "unplug late MS" */
};

/* Carry out words[0..n) (the command and its arguments; the device is
 * chosen already) on dev; the one-line reply ("ok ...", "err ...") in out. */
void scene_run(const struct scene_ops *ops, void *dev, char **words, size_t n, char *out, size_t outlen);

#endif
