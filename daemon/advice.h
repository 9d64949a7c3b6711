/* SPDX-License-Identifier: MIT */
/* advice.h - what knotd tells the person, in words: the guide's advice, and what to do about a fault (no I/O). */
#ifndef KNOT_ADVICE_H
#define KNOT_ADVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "knot/proto.h"

/* The readings a fault's remedy depends on (from a status block). */
struct advice_readings {
    unsigned faults;     /* KNOT_FAULT_* bits */
    int temp_dc;         /* 0.1 degrees C */
    unsigned battery;    /* percent */
    unsigned force_dn;   /* 0.1 N */
};

#define ADVICE_STALL_CLEAR_DN 100   /* PROTOCOL.md §7.1: a stall clears below 10.0 N */
#define ADVICE_BATTERY_CLEAR_PCT 10

/*@
  // Every latched fault's cause is gone, as far as the readings tell
  // (advice_clearable(); make prove).
  predicate advice_clearable_v(integer faults, integer temp_dc, integer battery, integer force_dn) =
    !((faults & KNOT_FAULT_OVERTEMP) != 0 && temp_dc >= KNOT_TEMP_CLEAR_DC)
    && !((faults & KNOT_FAULT_LOW_BATTERY) != 0 && battery < ADVICE_BATTERY_CLEAR_PCT)
    && !((faults & KNOT_FAULT_STALL) != 0 && force_dn >= ADVICE_STALL_CLEAR_DN);
*/

/* Whether CLEAR_FAULT would clear every latched fault, as far as the readings
 * tell (docs/PROTOCOL.md §7.1: below 45.0 C, battery at 10 % or more, the
 * head freed below 10.0 N). */
/*@ requires \valid_read(r);
    assigns \nothing;
    ensures \result <==> advice_clearable_v(r->faults, r->temp_dc, r->battery, r->force_dn); */
bool advice_clearable(const struct advice_readings *r);
/* What is wrong and what to do, one sentence per latched fault; "" if none.
 * The text is not proved (make prove assumes this contract). */
/*@ requires \valid_read(r) && len > 0 && \valid(buf + (0 .. len - 1));
    assigns buf[0 .. len - 1]; */
void advice_fault(const struct advice_readings *r, char *buf, size_t len);

/* From the guide (../shared/reference/muscle-knots-guide.txt). */
extern const char advice_with_gun[];      /* how to use the massager on any area */
extern const char advice_warm_up[];       /* before the first session of the day */
extern const char advice_sharp_pain[];    /* a second ouch, or sharp or sudden pain */
/* "When should I see a doctor or physical therapist?": for each red flag a
 * check-in may report (CARE_* bits), what to do; one sentence per group. */
void advice_red_flags(unsigned flags, char *buf, size_t len);
extern const char advice_therapist[];     /* treated for over a week with no improvement */

#endif
