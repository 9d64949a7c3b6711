/* SPDX-License-Identifier: MIT */
/* advice.h - what knotd tells the person, in words: the guide's advice, and what to do about a fault (no I/O). */
#ifndef KNOT_ADVICE_H
#define KNOT_ADVICE_H

#include <stdbool.h>
#include <stddef.h>

/* The readings a fault's remedy depends on (from a status block). */
struct advice_readings {
    unsigned faults;     /* KNOT_FAULT_* bits */
    int temp_dc;         /* 0.1 degrees C */
    unsigned battery;    /* percent */
    unsigned force_dn;   /* 0.1 N */
};

/* Whether CLEAR_FAULT would clear every latched fault, as far as the readings
 * tell (docs/PROTOCOL.md §7.1: below 45.0 C, battery at 10 % or more, the
 * head freed below 10.0 N). */
bool advice_clearable(const struct advice_readings *r);
/* What is wrong and what to do, one sentence per latched fault; "" if none. */
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
