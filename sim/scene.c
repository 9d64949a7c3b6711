/* SPDX-License-Identifier: MIT */
/* scene.c - parses and carries out a scene command by a table, for both virtual massagers. */
#include "scene.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "knot/num.h"
#include "knot/proto.h"

/* Whether ops has the member at offset op (every member there is a function pointer). */
static bool scene_has(const struct scene_ops *ops, size_t op)
{
    void (*fn)(void);

    memcpy(&fn, (const char *)ops + op, sizeof(fn));
    return fn != NULL;
}

struct scene_call {
    const struct scene_ops *ops;
    void *dev;
    char **words;
    size_t n;
    char *out;
    size_t outlen;
};

static void scene_reply(const struct scene_call *c, int rc, const char *what)
{
    if (rc == 0)
        snprintf(c->out, c->outlen, "ok");
    else if (rc == -EALREADY)
        snprintf(c->out, c->outlen, "err already %s", what);
    else if (rc == -ENODEV)
        snprintf(c->out, c->outlen, "err device is unplugged");
    else if (rc == -ENOTSUP)
        snprintf(c->out, c->outlen, "err %s needs knot-gadget's own gadget (not --ffs)", what);
    else
        snprintf(c->out, c->outlen, "err %s failed: %s", what, strerror(-rc));
}

static void scene_plug(const struct scene_call *c)
{
    scene_reply(c, c->ops->plug(c->dev), "plugged");
}

/* "unplug" or "unplug late MS": the removal event MS ms after the plug is gone. */
static void scene_unplug(const struct scene_call *c)
{
    unsigned ms = 0;

    if (c->n == 3 && c->ops->late_unplug && strcmp(c->words[1], "late") == 0) {
        if (!knot_uint(c->words[2], 10, 1, 10000, &ms)) {
            snprintf(c->out, c->outlen, "err 'unplug late' takes 1..10000 ms");
            return;
        }
    } else if (c->n != 1) {
        snprintf(c->out, c->outlen, "err 'unplug' takes %s", c->ops->late_unplug ? "no argument, or 'late MS'"
                                                                                  : "0 argument(s)");
        return;
    }
    scene_reply(c, c->ops->unplug(c->dev, ms), "unplugged");
}

static void scene_fault(const struct scene_call *c)
{
    uint16_t bit = c->n >= 2 ? knot_fault_bit(c->words[1]) : 0;

    if (c->n != 2 && !(c->n == 3 && strcmp(c->words[2], "at-raise") == 0))
        snprintf(c->out, c->outlen, "err 'fault' takes a fault name and optionally 'at-raise'");
    else if (!bit)
        snprintf(c->out, c->outlen, "err unknown fault '%.32s' (%s, %s, %s)", c->words[1], knot_fault_names[0].name,
                 knot_fault_names[1].name, knot_fault_names[2].name);
    else
        scene_reply(c, c->ops->fault(c->dev, bit, c->n == 3), "fault");
}

static void scene_clear(const struct scene_call *c)
{
    scene_reply(c, c->ops->clear(c->dev), "clear");
}

static void scene_press(const struct scene_call *c)
{
    unsigned dn;

    if (!knot_tenths(c->words[1], 10000, &dn))
        snprintf(c->out, c->outlen, "err press takes newtons 0..1000, not '%.32s'", c->words[1]);
    else
        scene_reply(c, c->ops->press(c->dev, dn), "press");
}

static void scene_battery(const struct scene_call *c)
{
    unsigned pct;

    if (!knot_uint(c->words[1], 10, 0, 100, &pct))
        snprintf(c->out, c->outlen, "err battery takes a percentage 0..100, not '%.32s'", c->words[1]);
    else
        scene_reply(c, c->ops->battery(c->dev, pct), "battery");
}

static void scene_error(const struct scene_call *c)
{
    unsigned count;

    if (!knot_uint(c->words[1], 10, 0, 1000000, &count))
        snprintf(c->out, c->outlen, "err error takes a count 0..1000000, not '%.32s'", c->words[1]);
    else
        scene_reply(c, c->ops->fail_next(c->dev, count), "error");
}

static void scene_hang(const struct scene_call *c)
{
    scene_reply(c, c->ops->hang(c->dev, c->words[0][0] == 'h'), c->words[0]);
}

static void scene_monitor(const struct scene_call *c)
{
    unsigned ms;

    if (!knot_uint(c->words[1], 10, 0, 60000, &ms) || (ms > 0 && ms < 10))
        snprintf(c->out, c->outlen, "err monitor takes a period in ms, 10..60000 (0: stop), not '%.32s'",
                 c->words[1]);
    else
        scene_reply(c, c->ops->monitor(c->dev, ms), "monitor");
}

static void scene_status(const struct scene_call *c)
{
    char state[320];

    c->ops->describe(c->dev, state, sizeof(state));
    snprintf(c->out, c->outlen, "ok %s", state);
}

/* args: how many words follow the command; -1 = the command checks them.
 * op: the scene_ops member it needs (offset), so a front end without it
 * answers why_not. docs/SIM.md lists the same commands. */
static const struct scene_cmd {
    const char *name;
    int args;
    size_t op;
    void (*fn)(const struct scene_call *c);
} scene_cmds[] = {
    { "plug", 0, offsetof(struct scene_ops, plug), scene_plug },
    { "unplug", -1, offsetof(struct scene_ops, unplug), scene_unplug },
    { "fault", -1, offsetof(struct scene_ops, fault), scene_fault },
    { "clear", 0, offsetof(struct scene_ops, clear), scene_clear },
    { "press", 1, offsetof(struct scene_ops, press), scene_press },
    { "battery", 1, offsetof(struct scene_ops, battery), scene_battery },
    { "error", 1, offsetof(struct scene_ops, fail_next), scene_error },
    { "hang", 0, offsetof(struct scene_ops, hang), scene_hang },
    { "unhang", 0, offsetof(struct scene_ops, hang), scene_hang },
    { "monitor", 1, offsetof(struct scene_ops, monitor), scene_monitor },
    { "status", 0, offsetof(struct scene_ops, describe), scene_status },
};

#define SCENE_CMDS (sizeof(scene_cmds) / sizeof(scene_cmds[0]))

void scene_run(const struct scene_ops *ops, void *dev, char **words, size_t n, char *out, size_t outlen)
{
    struct scene_call c = { .ops = ops, .dev = dev, .words = words, .n = n, .out = out, .outlen = outlen };
    const struct scene_cmd *cmd = NULL;

    for (size_t i = 0; n > 0 && i < SCENE_CMDS; i++)
        if (strcmp(words[0], scene_cmds[i].name) == 0)
            cmd = &scene_cmds[i];
    if (!cmd) {
        size_t k = (size_t)snprintf(out, outlen, "err unknown command '%.32s' (", n ? words[0] : "");

        for (size_t i = 0; i < SCENE_CMDS && k < outlen; i++)
            if (scene_has(ops, scene_cmds[i].op))
                k += (size_t)snprintf(out + k, outlen - k, "%s%s", k && out[k - 1] != '(' ? ", " : "",
                                      scene_cmds[i].name);
        if (k < outlen)
            snprintf(out + k, outlen - k, ")");
        return;
    }
    if (!scene_has(ops, cmd->op)) {
        snprintf(out, outlen, "err '%s' %s", cmd->name, ops->why_not ? ops->why_not : "is not supported here");
        return;
    }
    if (cmd->args >= 0 && n != (size_t)cmd->args + 1) {
        snprintf(out, outlen, "err '%s' takes %d argument(s)", cmd->name, cmd->args);
        return;
    }
    cmd->fn(&c);
}
