/* SPDX-License-Identifier: MIT */
/* fail.h - how knotctl says it cannot do what was asked: a line on stderr for a person, a JSON error on stdout under --json. */
#ifndef KNOTCTL_FAIL_H
#define KNOTCTL_FAIL_H

#include <stdbool.h>

/* knotctl's own error codes under --json (knotd's are relayed as knotd wrote
 * them); knotctl(1) lists them. */
#define FAIL_USAGE "usage"                   /* the command line: exit 2 */
#define FAIL_NOT_CONNECTED "not-connected"   /* knotd not reachable: exit 3 */
#define FAIL_PERMISSION "permission"         /* the socket refused this user: exit 4 */
#define FAIL_PROTOCOL "protocol"             /* knotd's reply was not one: exit 5 */
#define FAIL_UNKNOWN_ROUTINE "unknown-routine"   /* knotctl routine NAME: knotd has none of that name: exit 1 */

/* --json was given: from now on a failure is {"ok":false,"code":...,"message":...,"from":"knotctl"} on stdout. */
void fail_json(bool on);
bool fail_is_json(void);
/* Say that knotctl cannot do it: "knotctl: MESSAGE" on stderr, or the JSON
 * error line on stdout; code is one of the above or a knotd error code. */
__attribute__((format(printf, 2, 3)))
void fail(const char *code, const char *fmt, ...);

#endif
