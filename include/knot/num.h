/* SPDX-License-Identifier: MIT */
/* num.h - whole numbers and tenths read from text the one way every knotd program does: digits only, in a range. */
#ifndef KNOT_NUM_H
#define KNOT_NUM_H

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* s is a number in base 8, 10 or 16 (hex digits without "0x"), from lo to hi:
 * *out and true. Anything else is false: empty, a sign, a space (strtoul
 * alone takes " 6", "+6" and "-6" as a huge number), a stray character,
 * out of range. */
static inline bool knot_uint(const char *s, int base, unsigned lo, unsigned hi, unsigned *out)
{
    const char *digits = base == 16 ? "0123456789abcdefABCDEF" : base == 8 ? "01234567" : "0123456789";
    unsigned long v;
    char *end;

    if (!s || !s[0] || strspn(s, digits) != strlen(s))
        return false;
    errno = 0;
    v = strtoul(s, &end, base);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = (unsigned)v;
    return true;
}

/* "12" or "12.5" (one decimal at most), at most max_tenths/10: in tenths. */
static inline bool knot_tenths(const char *s, unsigned max_tenths, unsigned *out)
{
    const char *dot = s ? strchr(s, '.') : NULL;
    unsigned whole, tenth = 0;
    char head[12];
    size_t n;

    if (!s)
        return false;
    n = dot ? (size_t)(dot - s) : strlen(s);
    if (n == 0 || n >= sizeof(head))
        return false;
    memcpy(head, s, n);
    head[n] = '\0';
    if (!knot_uint(head, 10, 0, max_tenths / 10, &whole))
        return false;
    if (dot && !(dot[1] >= '0' && dot[1] <= '9' && dot[2] == '\0'))
        return false;
    if (dot)
        tenth = (unsigned)(dot[1] - '0');
    if (whole * 10 + tenth > max_tenths)
        return false;
    *out = whole * 10 + tenth;
    return true;
}

#endif
