/* SPDX-License-Identifier: MIT */
/* advice.c - what knotd tells the person, in words: the guide's advice, and what to do about a fault. */
#include "advice.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "care.h"
#include "knot/proto.h"

/* The guide's words, nearly verbatim: "always start on the lowest speed ...",
 * "aim for that hurts-so-good feeling", "if you feel sharp or worsening pain,
 * back off immediately", "remember to breathe deeply". */
const char advice_with_gun[] =
    "With the massager: the lowest speed first, for 10-20 seconds, to see how the muscle responds; aim for "
    "\"hurts-so-good\", never sharp pain; breathe slowly and deeply.";
/* "apply a warm compress or hop in a hot shower for 15-20 minutes", "staying
 * well-hydrated". */
const char advice_warm_up[] =
    "warm the muscle up first (a warm compress or a hot shower, 15-20 minutes) and drink some water.";
/* "If you feel sharp or worsening pain, back off immediately"; "a sudden,
 * sharp pain ... swelling, bruising ... weakness ... stop the self-massage and
 * see a doctor". */
const char advice_sharp_pain[] =
    "Stop for today: the guide says to back off at sharp or worsening pain. If the pain was sudden and sharp, "
    "or there is swelling, bruising or weakness, that is an injury, not a knot: see a doctor.";

/* Its contract is on the declaration (advice.h). */
bool advice_clearable(const struct advice_readings *r)
{
    if ((r->faults & KNOT_FAULT_OVERTEMP) && r->temp_dc >= KNOT_TEMP_CLEAR_DC)
        return false;
    if ((r->faults & KNOT_FAULT_LOW_BATTERY) && r->battery < ADVICE_BATTERY_CLEAR_PCT)
        return false;
    if ((r->faults & KNOT_FAULT_STALL) && r->force_dn >= ADVICE_STALL_CLEAR_DN)
        return false;
    return true;
}

static void advice_add(char *buf, size_t len, size_t *n, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Append one sentence (a space between sentences); never past len. */
static void advice_add(char *buf, size_t len, size_t *n, const char *fmt, ...)
{
    va_list ap;
    int k;

    if (*n + 1 >= len)
        return;
    if (*n > 0)
        buf[(*n)++] = ' ';
    va_start(ap, fmt);
    k = vsnprintf(buf + *n, len - *n, fmt, ap);
    va_end(ap);
    if (k > 0)
        *n += (size_t)k < len - *n ? (size_t)k : len - *n - 1;
    buf[*n] = '\0';
}

void advice_fault(const struct advice_readings *r, char *buf, size_t len)
{
    size_t n = 0;

    if (len == 0)
        return;
    buf[0] = '\0';
    if (r->faults & KNOT_FAULT_OVERTEMP) {
        if (r->temp_dc >= KNOT_TEMP_CLEAR_DC)
            advice_add(buf, len, &n, "The massager is too hot (%.1f C): let it cool below 45 C, then start "
                       "again.", r->temp_dc / 10.0);
        else
            advice_add(buf, len, &n, "The massager has cooled (%.1f C): the next start clears the fault.",
                       r->temp_dc / 10.0);
    }
    if (r->faults & KNOT_FAULT_LOW_BATTERY) {
        if (r->battery < ADVICE_BATTERY_CLEAR_PCT)
            advice_add(buf, len, &n, "The massager's battery is low (%u %%): charge it to at least 10 %%, then "
                       "start again.", r->battery);
        else
            advice_add(buf, len, &n, "The massager's battery is charged enough (%u %%): the next start clears "
                       "the fault.", r->battery);
    }
    if (r->faults & KNOT_FAULT_STALL) {
        if (r->force_dn >= ADVICE_STALL_CLEAR_DN)
            advice_add(buf, len, &n, "The massager's head is blocked or pressed (%.1f N): lift the massager off "
                       "the muscle, then start again, pressing gently.", r->force_dn / 10.0);
        else
            advice_add(buf, len, &n, "The massager's head was blocked (pressed too hard): the next start clears it. "
                       "Press gently: a muscle pressed hard only guards.");
    }
    if (r->faults & ~(unsigned)KNOT_FAULT_ALL)
        advice_add(buf, len, &n, "The massager reports a fault knotd does not know (0x%04x): unplug it and plug "
                   "it in again.", r->faults & ~(unsigned)KNOT_FAULT_ALL);
}

/* "You feel any numbness, tingling, or weakness along with the pain"; "a
 * sudden, sharp pain ... immediate swelling, some pretty noticeable
 * bruising, and a clear weakness ... stop the self-massage and see a
 * doctor"; "the pain is so bad it's disrupting your daily activities or
 * ruining your sleep". */
void advice_red_flags(unsigned flags, char *buf, size_t len)
{
    size_t n = 0;

    if (len == 0)
        return;
    buf[0] = '\0';
    if (flags & (CARE_SWELLING | CARE_BRUISING))
        advice_add(buf, len, &n, "Swelling or bruising can mean an injury, not a knot: stop the self-massage and "
                   "see a doctor.");
    if (flags & (CARE_NUMBNESS | CARE_TINGLING | CARE_WEAKNESS))
        advice_add(buf, len, &n, "Numbness, tingling or weakness along with the pain: see a doctor or a physical "
                   "therapist before the massager goes there again.");
    if (flags & CARE_SLEEP)
        advice_add(buf, len, &n, "Pain that disrupts your daily activities or your sleep is a reason to see a "
                   "doctor or a physical therapist.");
}

/* "You've been trying to treat it yourself for over a week with zero
 * improvement"; "a physical therapist can give you a proper diagnosis and use
 * targeted techniques that are nearly impossible to do on your own". */
const char advice_therapist[] =
    "Treated for over a week without getting better: time to see a physical therapist, who can give a proper "
    "diagnosis and use techniques that are nearly impossible to do on your own.";
