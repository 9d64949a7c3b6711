/* SPDX-License-Identifier: MIT */
/* args.c - command-line values checked before anything is sent: a whole number in a range, a note knotd will take. */
#include "args.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool args_whole(const char *text, long long min, long long max, long long *out)
{
    const char *digits = text[0] == '-' ? text + 1 : text;
    char *end;
    long long v;

    /* strtoll alone would take " 6", "+6" and "0x6". */
    if (!digits[0] || strspn(digits, "0123456789") != strlen(digits))
        return false;
    errno = 0;
    v = strtoll(text, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* The UTF-8 character at s (n bytes left): its length, with *cp; 0 when it
 * is not one (a stray continuation byte, an overlong form, a surrogate,
 * past U+10FFFF, cut short). */
static size_t args_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
    static const struct {
        unsigned char mask, lead;
        size_t len;
        uint32_t min;   /* below it: an overlong form */
    } forms[] = {
        { 0x80, 0x00, 1, 0 }, { 0xe0, 0xc0, 2, 0x80 }, { 0xf0, 0xe0, 3, 0x800 }, { 0xf8, 0xf0, 4, 0x10000 },
    };

    for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
        uint32_t c;

        if ((s[0] & forms[f].mask) != forms[f].lead)
            continue;
        if (n < forms[f].len)
            return 0;
        c = s[0] & (unsigned char)~forms[f].mask;
        for (size_t i = 1; i < forms[f].len; i++) {
            if ((s[i] & 0xc0) != 0x80)
                return 0;
            c = c << 6 | (s[i] & 0x3f);
        }
        if (c < forms[f].min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
            return 0;
        *cp = c;
        return forms[f].len;
    }
    return 0;
}

bool args_note(const char *note, size_t max, char *why, size_t len)
{
    const unsigned char *s = (const unsigned char *)note;
    size_t n = strlen(note);

    if (n > max) {
        snprintf(why, len, "is %zu bytes long, at most %zu", n, max);
        return false;
    }
    for (size_t i = 0, k; i < n; i += k) {
        uint32_t cp = 0;

        k = args_utf8(s + i, n - i, &cp);
        if (!k) {
            snprintf(why, len, "is not UTF-8 at byte %zu (0x%02x)", i + 1, s[i]);
            return false;
        }
        if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
            snprintf(why, len, "holds a control character at byte %zu (U+%04X)", i + 1, (unsigned)cp);
            return false;
        }
    }
    return true;
}
