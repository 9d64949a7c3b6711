/* SPDX-License-Identifier: MIT */
/* knotd.h - the daemon-wide state every module reads: settings, profiles, the event loop. */
#ifndef KNOT_KNOTD_H
#define KNOT_KNOTD_H

#include <event2/event.h>
#include <stdbool.h>

#include "care.h"
#include "config.h"
#include "profile.h"
#include "rest.h"

struct knotd {
    struct event_base *base;
    struct config cfg;
    struct profile *profiles;   /* replaced whole on reload; sessions keep their own copy */
    const char *config_path;
    bool config_absent;         /* no file at config_path: the built-in settings apply */
    struct rest_book rest;      /* every person's areas: rest and the day's dose */
    struct care_book care;      /* every person's areas: red flags, treated days, pain */
};

extern struct knotd knotd;

#endif
