/* SPDX-License-Identifier: MIT */
/* utf8.c - UTF-8 as RFC 3629 has it: decoding one character, validating and scrubbing texts (pure). */
#include "utf8.h"

#include <string.h>

/* The UTF-8 character at p (n > 0 bytes left): its length and code point,
 * or 0 when the bytes are not one; *partial then tells whether they are
 * the start of one that the end of the text cut. */
size_t utf8_char(const unsigned char *p, size_t n, uint32_t *cp, bool *partial)
{
    unsigned char c = p[0], lo = 0x80, hi = 0xbf;
    size_t need, i;
    uint32_t v;

    *partial = false;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    /* Table 3-7 of the Unicode standard: the second byte's range is what
     * rules out overlong forms, surrogates and code points past U+10FFFF. */
    if (c >= 0xc2 && c <= 0xdf) {
        need = 1;
        v = c & 0x1fu;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 2;
        v = c & 0x0fu;
        lo = c == 0xe0 ? 0xa0 : 0x80;
        hi = c == 0xed ? 0x9f : 0xbf;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3;
        v = c & 0x07u;
        lo = c == 0xf0 ? 0x90 : 0x80;
        hi = c == 0xf4 ? 0x8f : 0xbf;
    } else {
        return 0;
    }
    /*@ loop invariant 1 <= i <= need + 1 && i <= n;
        loop assigns i, v, lo, hi;
        loop variant need + 1 - i; */
    for (i = 1; i <= need; i++) {
        if (i >= n) {
            *partial = true;
            return 0;
        }
        if (p[i] < lo || p[i] > hi)
            return 0;
        v = v << 6 | (p[i] & 0x3fu);
        lo = 0x80;
        hi = 0xbf;
    }
    *cp = v;
    return need + 1;
}

size_t utf8_span(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, k;
    uint32_t cp;
    bool partial;

    while (i < len) {
        k = utf8_char(p + i, len - i, &cp, &partial);
        if (!k)
            break;
        i += k;
    }
    return i;
}

bool utf8_valid(const char *s, size_t len)
{
    return utf8_span(s, len) == len;
}

void utf8_scrub(char *s)
{
    unsigned char *p = (unsigned char *)s;
    size_t n = strlen(s), i = 0, k;
    uint32_t cp;
    bool partial;

    while (i < n) {
        k = utf8_char(p + i, n - i, &cp, &partial);
        if (k) {
            i += k;
        } else if (partial) {
            p[i] = '\0';
            return;
        } else {
            p[i++] = '?';
        }
    }
}

