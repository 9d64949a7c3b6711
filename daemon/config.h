/* SPDX-License-Identifier: MIT */
/* config.h - knotd.conf settings (INI, parsed with inih) and their validation. */
#ifndef KNOT_CONFIG_H
#define KNOT_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CONFIG_MAX_IDS 8
#define CONFIG_PATH_LEN 256
#define CONFIG_FILE_MAX 65536           /* a settings file is a few hundred bytes */

struct config_usb_id {
    uint16_t vid, pid;
};

struct config {
    char socket[108];                   /* sun_path size */
    char socket_group[64];
    unsigned socket_mode;
    char profiles[CONFIG_PATH_LEN];
    char journal[CONFIG_PATH_LEN];
    int log_level;
    unsigned max_clients;
    unsigned idle_exit_s;               /* 0: never; only under socket activation */
    struct config_usb_id ids[CONFIG_MAX_IDS];
    unsigned n_ids;
};

/* The built-in settings; profiles is the profiles.conf that applies
 * (knot_file(): the admin's in KNOT_CONFDIR, else the package's). */
void config_defaults(struct config *c);
/* The same with the two directories given (the tests' own). */
void config_defaults_in(struct config *c, const char *confdir, const char *pkgdir);
/* config_load() found no file: c keeps the defaults, err says so. */
#define CONFIG_ABSENT 1
/* Parse path over the defaults: 0, or CONFIG_ABSENT when the file does not
 * exist (every key has a default). On error: negative errno and
 * "FILE:LINE: what" (or "FILE: what") in err. */
int config_load(const char *path, struct config *c, char *err, size_t errlen);

#endif
