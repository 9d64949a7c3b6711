/* SPDX-License-Identifier: MIT */
/* utf8.h - UTF-8 as RFC 3629 has it: one character, a valid span, a scrubbed text (pure; shared by requests, replies and profiles). */
#ifndef KNOT_UTF8_H
#define KNOT_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The UTF-8 character at p (n > 0 bytes left): its length and code point,
 * or 0 when the bytes are not one; *partial then tells whether they are the
 * start of one that the end of the text cut. */
/*@ requires n > 0 && \valid_read(p + (0 .. n - 1)) && \valid(cp) && \valid(partial);
    requires \separated(cp, partial);
    assigns *cp, *partial;
    ensures \result <= n && \result <= 4; */
size_t utf8_char(const unsigned char *p, size_t n, uint32_t *cp, bool *partial);
/* How many bytes at the start of s (len bytes) are valid UTF-8. */
size_t utf8_span(const char *s, size_t len);
/* Whether s holds only UTF-8 (no overlong form, no surrogate, nothing past
 * U+10FFFF); a NUL byte is U+0000. */
bool utf8_valid(const char *s, size_t len);
/* Make a NUL-terminated text valid UTF-8 in place: a character cut at the
 * end (by a bounded print) is dropped, any other stray byte becomes '?'. */
void utf8_scrub(char *s);

#endif
