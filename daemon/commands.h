/* SPDX-License-Identifier: MIT */
/* commands.h - the control protocol's requests: dispatch, device selection, replies. */
#ifndef KNOT_COMMANDS_H
#define KNOT_COMMANDS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "ctl.h"

/* Handle one request object; returns the reply (caller owns), or NULL when
 * it comes later through ctl_reply() (a start waits for the device's first
 * look). *subscribe is set when the connection should receive events from now on. */
json_object *commands_handle(const struct ctl_peer *peer, json_object *req, bool *subscribe);
/* Connection `client` closed (ctl_on_close): the sessions it followed stop, end "disconnected". */
void commands_client_closed(uint64_t client);
/* massager_ops.begun: the start that waited for m's first look is answered. */
struct massager;
void commands_begun(struct massager *m);

#endif
