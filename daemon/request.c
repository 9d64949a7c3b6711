/* SPDX-License-Identifier: MIT */
/* request.c - control requests as pure logic (no I/O): the strict one-line JSON parser, typed members, client text quoted safely. */
#include "request.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knot/control.h"
#include "utf8.h"

/* json-c's own default depth: both parsers refuse the same nesting. */
#define REQUEST_DEPTH 32

const char *request_quote(char *buf, size_t buflen, const char *s, size_t len, size_t max_chars)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t used = 0, i = 0, shown = 0;

    if (!buf || buflen == 0)
        return buf;
    buf[0] = '\0';
    if (!s)
        return buf;
    while (i < len) {
        char one[8];
        uint32_t cp;
        bool partial;
        size_t k = utf8_char(p + i, len - i, &cp, &partial), olen;

        if (k == 0) {
            k = 1;
            snprintf(one, sizeof(one), "\\x%02x", p[i]);
        } else if (cp < 0x20 || cp == 0x7f) {
            snprintf(one, sizeof(one), "\\x%02x", (unsigned)cp);
        } else if (cp >= 0x80 && cp < 0xa0) {
            snprintf(one, sizeof(one), "\\u%04x", (unsigned)cp);
        } else if (cp == '\\') {
            snprintf(one, sizeof(one), "\\\\");
        } else {
            memcpy(one, p + i, k);
            one[k] = '\0';
        }
        olen = strlen(one);
        /* Room for this one, and for "..." unless it is the last. */
        if (shown == max_chars || used + olen + (i + k < len ? 3 : 0) + 1 > buflen)
            break;
        memcpy(buf + used, one, olen);
        used += olen;
        i += k;
        shown++;
    }
    if (i < len && used + 4 <= buflen) {
        memcpy(buf + used, "...", 3);
        used += 3;
    }
    buf[used] = '\0';
    return buf;
}

/*
 * json-c 0.16 in strict mode (JSON_TOKENER_STRICT) refuses trailing commas,
 * single quotes, comments, unquoted names, bad escapes, leading zeros, hex,
 * "True", text after the value. It still takes NaN, Infinity and -Infinity,
 * "1.", a value that is not an object, raw control characters in strings,
 * duplicate names (the last one wins), "\u0000" (and cuts names there),
 * integers beyond 64 bits (clamped), unpaired surrogate escapes (made
 * U+FFFD) and, even with JSON_TOKENER_VALIDATE_UTF8, overlong and surrogate
 * UTF-8. So the line is first walked here, byte by byte, against RFC 8259
 * and knotd's own rules; json-c then builds the object from a line both
 * agree on.
 */
struct request_name {
    uint16_t off, len;      /* in names[] */
};

/* Why the walk refused a line, one value per message: the walk records it
 * and request_say() words it once the walk is over, so the proved scanner
 * prints nothing (Frama-C's WP takes no call to a variadic function). */
enum request_error {
    REQUEST_E_NONE,
    REQUEST_E_EMPTY,            /* nothing but white space */
    REQUEST_E_ENDS,             /* the line ends where word was expected */
    REQUEST_E_COMMENT,
    REQUEST_E_QUOTE,            /* single quotes */
    REQUEST_E_NAN,              /* word: "NaN" or "Infinity" */
    REQUEST_E_UNEXPECTED,       /* code: the byte found; word: what was expected */
    REQUEST_E_UNTERMINATED,     /* a string still open at the end */
    REQUEST_E_ESCAPE,           /* code: the byte after the backslash */
    REQUEST_E_HEX4,
    REQUEST_E_NUL,              /* \u0000 */
    REQUEST_E_SURROGATE,        /* code: the unpaired surrogate */
    REQUEST_E_CONTROL,          /* code: a raw control character */
    REQUEST_E_UTF8,             /* code: the first byte that is not UTF-8 */
    REQUEST_E_DUPLICATE,        /* word: the name in names[], code bytes long */
    REQUEST_E_MEMBERS,
    REQUEST_E_MINUS,            /* no digit after '-' */
    REQUEST_E_ZERO,             /* a leading zero */
    REQUEST_E_POINT,            /* no digit after '.' */
    REQUEST_E_EXPONENT,         /* no digit in the exponent */
    REQUEST_E_INT64,
    REQUEST_E_DOUBLE,
    REQUEST_E_DEPTH,
    REQUEST_E_COMMA_OBJECT,     /* a trailing comma before '}' */
    REQUEST_E_COMMA_ARRAY,      /* a trailing comma before ']' */
    REQUEST_E_AFTER,            /* text after the object */
    REQUEST_E_NOT_OBJECT,       /* word: what the value is instead */
};

struct request_refusal {
    enum request_error error;
    size_t col;                 /* the column the message names, from 1 */
    unsigned code;              /* a byte, a \u escape's code unit, a length */
    const char *word;           /* a string literal, or a name in names[] */
};

struct request_scan {
    const unsigned char *s;
    size_t len, pos;
    unsigned depth;
    struct request_refusal err;
    /* The member names of the objects open now, decoded, to find one that
     * comes twice. A decoded name is never longer than its text, and every
     * member takes at least 4 bytes ("":0), so a line's worth is enough. */
    char names[KNOT_CONTROL_LINE_MAX];
    size_t names_used;
    struct request_name name[KNOT_CONTROL_LINE_MAX / 4 + 1];
    size_t n_names;
    char num[KNOT_CONTROL_LINE_MAX + 1];    /* a number's text, for strtod */
};

/*@ // What the scanner keeps (make prove; docs/PROOFS.md): the line is
    // readable, apart from the scanner and no longer than a control line,
    // the position within it, the decoded names within names[], each name
    // recorded for the open objects within names[], the nesting bounded.
  predicate request_scan_ok(struct request_scan *sc) =
    \valid(sc) && sc->len <= KNOT_CONTROL_LINE_MAX && sc->pos <= sc->len
    && \valid_read(sc->s + (0 .. sc->len - 1)) && \separated(sc->s + (0 .. sc->len - 1), sc)
    && sc->names_used <= KNOT_CONTROL_LINE_MAX && sc->depth <= REQUEST_DEPTH
    && sc->n_names <= KNOT_CONTROL_LINE_MAX / 4 + 1
    && (\forall integer i; 0 <= i < sc->n_names ==> sc->name[i].off + sc->name[i].len <= KNOT_CONTROL_LINE_MAX);
*/

/* For the contracts' assigns clauses (Frama-C preprocesses them: -pp-annot):
 * the refusal, field by field (the solvers then see at once that no other
 * field moves), and all that the walk may change: the scanner but the line. */
#define REQUEST_REFUSAL sc->err.error, sc->err.col, sc->err.code, sc->err.word
#define REQUEST_SCAN_STATE                                                                                          \
    sc->pos, sc->depth, REQUEST_REFUSAL, sc->names[0 .. KNOT_CONTROL_LINE_MAX - 1], sc->names_used,                 \
        sc->name[0 .. KNOT_CONTROL_LINE_MAX / 4], sc->n_names, sc->num[0 .. KNOT_CONTROL_LINE_MAX]

static void request_why(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void request_vwhy(char *why, size_t whylen, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

static void request_vwhy(char *why, size_t whylen, const char *fmt, va_list ap)
{
    if (!why || !whylen)
        return;
    vsnprintf(why, whylen, fmt, ap);
    /* A small buffer may cut a quoted name inside a character. */
    utf8_scrub(why);
}

static void request_why(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    request_vwhy(why, whylen, fmt, ap);
    va_end(ap);
}

/* The walk refuses the line: why, and the column the message names. */
/*@ requires request_scan_ok(sc);
    assigns sc->err.error, sc->err.col;
    ensures request_scan_ok(sc) && sc->err.error == e && !\result; */
static bool request_fail(struct request_scan *sc, enum request_error e, size_t col)
{
    sc->err.error = e;
    sc->err.col = col;
    return false;
}

/* The same, with the byte or code unit and the word the message shows. */
/*@ requires request_scan_ok(sc);
    assigns REQUEST_REFUSAL;
    ensures request_scan_ok(sc) && sc->err.error == e && !\result; */
static bool request_fail_with(struct request_scan *sc, enum request_error e, size_t col, unsigned code,
                              const char *word)
{
    sc->err.code = code;
    sc->err.word = word;
    return request_fail(sc, e, col);
}

/* Columns count bytes from 1, like the config files' messages. */
/*@ requires request_scan_ok(sc);
    assigns \nothing;
    ensures \result == sc->pos + 1; */
static size_t request_col(const struct request_scan *sc)
{
    return sc->pos + 1;
}

/* A byte as a message shows it: 'x' when printable ASCII, else its value. */
static const char *request_byte_name(unsigned char c, char *buf, size_t len)
{
    if (c > 0x20 && c < 0x7f)
        snprintf(buf, len, "'%c'", c);
    else if (c == ' ')
        snprintf(buf, len, "a space");
    else
        snprintf(buf, len, "byte 0x%02x", c);
    return buf;
}

/*@ requires request_scan_ok(sc);
    assigns \nothing;
    ensures \result ==> sc->pos < sc->len; */
static bool request_is_digit(const struct request_scan *sc)
{
    return sc->pos < sc->len && sc->s[sc->pos] >= '0' && sc->s[sc->pos] <= '9';
}

/* Whether the text at the position starts with word (n bytes): compared
 * byte by byte, within the line. request_at() takes a literal. */
/*@ requires request_scan_ok(sc) && \valid_read(word + (0 .. n - 1)) && n <= 16;
    assigns \nothing;
    ensures \result ==> sc->len - sc->pos >= n; */
static bool request_at_n(const struct request_scan *sc, const char *word, size_t n)
{
    if (sc->len - sc->pos < n)
        return false;
    /*@ loop invariant 0 <= i <= n;
        loop assigns i;
        loop variant n - i; */
    for (size_t i = 0; i < n; i++)
        if (sc->s[sc->pos + i] != (unsigned char)word[i])
            return false;
    return true;
}
#define request_at(sc, lit) request_at_n((sc), (lit), sizeof(lit) - 1)

/*@ requires request_scan_ok(sc);
    assigns sc->pos;
    ensures request_scan_ok(sc) && sc->pos >= \old(sc->pos); */
static void request_ws(struct request_scan *sc)
{
    /*@ loop invariant \at(sc->pos, Pre) <= sc->pos <= sc->len;
        loop assigns sc->pos;
        loop variant sc->len - sc->pos; */
    while (sc->pos < sc->len && (sc->s[sc->pos] == ' ' || sc->s[sc->pos] == '\t' || sc->s[sc->pos] == '\r' ||
                                 sc->s[sc->pos] == '\n'))
        sc->pos++;
}

/* Something other than what JSON allows here: name the usual suspects. */
/*@ requires request_scan_ok(sc);
    assigns REQUEST_REFUSAL;
    ensures request_scan_ok(sc) && !\result; */
static bool request_unexpected(struct request_scan *sc, const char *expected)
{
    if (sc->pos >= sc->len)
        return request_fail_with(sc, REQUEST_E_ENDS, request_col(sc), 0, expected);
    if (request_at(sc, "#") || request_at(sc, "//") || request_at(sc, "/*"))
        return request_fail(sc, REQUEST_E_COMMENT, request_col(sc));
    if (request_at(sc, "'"))
        return request_fail(sc, REQUEST_E_QUOTE, request_col(sc));
    if (request_at(sc, "NaN") || request_at(sc, "Infinity") || request_at(sc, "-Infinity"))
        return request_fail_with(sc, REQUEST_E_NAN, request_col(sc), 0, request_at(sc, "NaN") ? "NaN" : "Infinity");
    return request_fail_with(sc, REQUEST_E_UNEXPECTED, request_col(sc), sc->s[sc->pos], expected);
}

static bool request_value(struct request_scan *sc);

/*@ requires request_scan_ok(sc) && \valid(out) && \separated(out, sc);
    assigns sc->pos, *out;
    ensures request_scan_ok(sc) && sc->pos >= \old(sc->pos);
    ensures \result ==> *out <= 0xffff; */
static bool request_hex4(struct request_scan *sc, unsigned *out)
{
    unsigned v = 0;

    if (sc->len - sc->pos < 4)
        return false;
    /*@ loop invariant 0 <= i <= 4;
        loop invariant (i == 0 ==> v == 0) && (i == 1 ==> v < 16) && (i == 2 ==> v < 256)
                       && (i == 3 ==> v < 4096) && (i == 4 ==> v < 65536);
        loop assigns i, v;
        loop variant 4 - i; */
    for (int i = 0; i < 4; i++) {
        unsigned char c = sc->s[sc->pos + (size_t)i];
        unsigned digit;

        if (c >= '0' && c <= '9')
            digit = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            digit = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            digit = (unsigned)(c - 'A' + 10);
        else
            return false;
        v = v * 16u + digit;
    }
    sc->pos += 4;
    *out = v;
    return true;
}

/* A decoded byte of a member name; *name says whether this string is one.
 * Never past names[]. */
/*@ requires request_scan_ok(sc) && n <= 4 && \valid_read(bytes + (0 .. n - 1));
    requires \separated(bytes + (0 .. n - 1), sc->names + (0 .. KNOT_CONTROL_LINE_MAX - 1));
    assigns sc->names[0 .. KNOT_CONTROL_LINE_MAX - 1], sc->names_used;
    ensures request_scan_ok(sc) && sc->names_used >= \old(sc->names_used); */
static void request_emit(struct request_scan *sc, bool name, const unsigned char *bytes, size_t n)
{
    if (name && sc->names_used + n <= sizeof(sc->names)) {
        /*@ loop invariant 0 <= i <= n;
            loop assigns i, sc->names[0 .. KNOT_CONTROL_LINE_MAX - 1];
            loop variant n - i; */
        for (size_t i = 0; i < n; i++)
            sc->names[sc->names_used + i] = (char)bytes[i];
        sc->names_used += n;
    }
}

/*@ requires request_scan_ok(sc);
    assigns sc->names[0 .. KNOT_CONTROL_LINE_MAX - 1], sc->names_used;
    ensures request_scan_ok(sc) && sc->names_used >= \old(sc->names_used); */
static void request_emit_cp(struct request_scan *sc, bool name, uint32_t cp)
{
    unsigned char u[4];
    size_t n;

    if (cp < 0x80) {
        u[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (unsigned char)(0xc0 | cp >> 6);
        u[1] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (unsigned char)(0xe0 | cp >> 12);
        u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
        u[2] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (unsigned char)(0xf0 | cp >> 18);
        u[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
        u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
        u[3] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    request_emit(sc, name, u, n);
}

/*@ requires request_scan_ok(sc);
    assigns sc->err.error, sc->err.col;
    ensures request_scan_ok(sc) && !\result; */
static bool request_unterminated(struct request_scan *sc, size_t start)
{
    return request_fail(sc, REQUEST_E_UNTERMINATED, start + 1);
}

/* A \u escape, after its "\u": four hex digits, or a surrogate pair of
 * them, for one character (col: the escape's column). */
/*@ requires request_scan_ok(sc);
    assigns sc->pos, REQUEST_REFUSAL, sc->names[0 .. KNOT_CONTROL_LINE_MAX - 1], sc->names_used;
    ensures request_scan_ok(sc) && sc->pos >= \old(sc->pos) && sc->names_used >= \old(sc->names_used); */
static bool request_unicode(struct request_scan *sc, size_t col, bool name)
{
    unsigned cp, lo;

    if (!request_hex4(sc, &cp))
        return request_fail(sc, REQUEST_E_HEX4, request_col(sc));
    /* knotd's strings are C strings: a NUL would cut a name short (json-c
     * cuts member names there itself), so no string may hold one. */
    if (cp == 0)
        return request_fail(sc, REQUEST_E_NUL, col);
    /* A high surrogate and a low one escape one character past U+FFFF;
     * either one alone is no character (json-c would make it U+FFFD). */
    if (cp >= 0xd800 && cp <= 0xdbff && request_at(sc, "\\u")) {
        size_t at = sc->pos;
        sc->pos += 2;
        if (request_hex4(sc, &lo) && lo >= 0xdc00 && lo <= 0xdfff)
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        else
            sc->pos = at;
    }
    if (cp >= 0xd800 && cp <= 0xdfff)
        return request_fail_with(sc, REQUEST_E_SURROGATE, col, cp, NULL);
    request_emit_cp(sc, name, cp);
    return true;
}

/* One escape, from its backslash, in the string that starts at start. */
/*@ requires request_scan_ok(sc) && sc->pos < sc->len;
    assigns sc->pos, REQUEST_REFUSAL, sc->names[0 .. KNOT_CONTROL_LINE_MAX - 1], sc->names_used;
    ensures request_scan_ok(sc) && sc->pos >= \old(sc->pos) && sc->names_used >= \old(sc->names_used);
    ensures \result ==> sc->pos > \old(sc->pos); */
static bool request_escape(struct request_scan *sc, size_t start, bool name)
{
    /* The short escapes, and the byte each one means (on the stack: a
     * proof then needs no hypothesis that sc is apart from them). */
    const unsigned char plain[] = "\"\\/bfnrt", meant[] = "\"\\/\b\f\n\r\t";
    unsigned char c;
    size_t col = request_col(sc), i;

    sc->pos++;
    if (sc->pos >= sc->len)
        return request_unterminated(sc, start);
    c = sc->s[sc->pos];
    if (c == 'u') {
        sc->pos++;
        return request_unicode(sc, col, name);
    }
    /*@ loop invariant 0 <= i <= 8;
        loop assigns i;
        loop variant 8 - i; */
    for (i = 0; i < sizeof(plain) - 1 && plain[i] != c; i++)
        continue;
    if (i == sizeof(plain) - 1)
        return request_fail_with(sc, REQUEST_E_ESCAPE, request_col(sc), c, NULL);
    c = meant[i];
    request_emit(sc, name, &c, 1);
    sc->pos++;
    return true;
}

/* A string, from its opening quote; a member name is decoded into names[]. */
/*@ requires request_scan_ok(sc) && sc->pos < sc->len;
    assigns sc->pos, REQUEST_REFUSAL, sc->names[0 .. KNOT_CONTROL_LINE_MAX - 1], sc->names_used;
    ensures request_scan_ok(sc) && sc->pos > \old(sc->pos) && sc->names_used >= \old(sc->names_used); */
static bool request_string_token(struct request_scan *sc, bool name)
{
    size_t start = sc->pos++;

    /*@ loop invariant request_scan_ok(sc) && start == \at(sc->pos, Pre) && start < sc->pos;
        loop invariant sc->names_used >= \at(sc->names_used, Pre);
        loop assigns sc->pos, REQUEST_REFUSAL, sc->names[0 .. KNOT_CONTROL_LINE_MAX - 1], sc->names_used;
        loop variant sc->len - sc->pos; */
    for (;;) {
        unsigned char c;

        if (sc->pos >= sc->len)
            return request_unterminated(sc, start);
        c = sc->s[sc->pos];
        if (c == '"') {
            sc->pos++;
            return true;
        }
        if (c < 0x20)
            return request_fail_with(sc, REQUEST_E_CONTROL, request_col(sc), c, NULL);
        if (c == '\\') {
            if (!request_escape(sc, start, name))
                return false;
            continue;
        }
        if (c >= 0x80) {
            uint32_t cp;
            bool partial;
            size_t k = utf8_char(sc->s + sc->pos, sc->len - sc->pos, &cp, &partial);
            if (!k)
                return request_fail_with(sc, REQUEST_E_UTF8, request_col(sc), c, NULL);
            request_emit(sc, name, sc->s + sc->pos, k);
            sc->pos += k;
            continue;
        }
        request_emit(sc, name, &c, 1);
        sc->pos++;
    }
}

/* Whether names[] holds the same n bytes at a and at b. */
/*@ requires \valid_read(names + (0 .. KNOT_CONTROL_LINE_MAX - 1));
    requires a + n <= KNOT_CONTROL_LINE_MAX && b + n <= KNOT_CONTROL_LINE_MAX;
    assigns \nothing; */
static bool request_same(const char *names, size_t a, size_t b, size_t n)
{
    /*@ loop invariant 0 <= i <= n;
        loop assigns i;
        loop variant n - i; */
    for (size_t i = 0; i < n; i++)
        if (names[a + i] != names[b + i])
            return false;
    return true;
}

/* The member name just decoded (from off) against the others of its object (from first). */
/*@ requires request_scan_ok(sc) && first <= sc->n_names && off <= sc->names_used;
    assigns REQUEST_REFUSAL, sc->name[0 .. KNOT_CONTROL_LINE_MAX / 4], sc->n_names;
    ensures request_scan_ok(sc) && sc->n_names >= \old(sc->n_names); */
static bool request_name_once(struct request_scan *sc, size_t first, size_t off, size_t col)
{
    size_t len = sc->names_used - off;

    /*@ loop invariant first <= i <= sc->n_names;
        loop assigns i;
        loop variant sc->n_names - i; */
    for (size_t i = first; i < sc->n_names; i++) {
        if (sc->name[i].len == len && request_same(sc->names, sc->name[i].off, off, len)) {
            return request_fail_with(sc, REQUEST_E_DUPLICATE, col, (unsigned)len, sc->names + off);
        }
    }
    if (sc->n_names >= sizeof(sc->name) / sizeof(sc->name[0]))
        return request_fail(sc, REQUEST_E_MEMBERS, col);
    sc->name[sc->n_names].off = (uint16_t)off;
    sc->name[sc->n_names].len = (uint16_t)len;
    sc->n_names++;
    return true;
}

/* An integer's digits (no sign, no leading zero) against the magnitude of
 * INT64_MAX or, negative, of INT64_MIN: compared as text, so any length works. */
/*@ requires \valid_read(digits + (0 .. n - 1));
    assigns \nothing; */
static bool request_int64_fits(const unsigned char *digits, size_t n, bool negative)
{
    static const unsigned char max[] = "9223372036854775807", min[] = "9223372036854775808";
    const unsigned char *limit = negative ? min : max;

    if (n != 19)
        return n < 19;
    /*@ loop invariant 0 <= i <= 19;
        loop assigns i;
        loop variant 19 - i; */
    for (size_t i = 0; i < 19; i++)
        if (digits[i] != limit[i])
            return digits[i] < limit[i];
    return true;
}

/* The digits at the position, skipped. */
/*@ requires request_scan_ok(sc);
    assigns sc->pos;
    ensures request_scan_ok(sc) && sc->pos >= \old(sc->pos); */
static void request_digits(struct request_scan *sc)
{
    /*@ loop invariant \at(sc->pos, Pre) <= sc->pos <= sc->len;
        loop assigns sc->pos;
        loop variant sc->len - sc->pos; */
    while (request_is_digit(sc))
        sc->pos++;
}

/* A number's text (n bytes of the line from start) as a C string, for
 * strtod: copied byte by byte (WP follows no memcpy from bytes to chars). */
/*@ requires request_scan_ok(sc) && start + n <= sc->len;
    assigns sc->num[0 .. KNOT_CONTROL_LINE_MAX];
    assigns \result \from sc;
    ensures request_scan_ok(sc) && \result == &sc->num[0] && sc->num[n] == '\0'; */
static const char *request_number_text(struct request_scan *sc, size_t start, size_t n)
{
    /*@ loop invariant 0 <= i <= n;
        loop assigns i, sc->num[0 .. KNOT_CONTROL_LINE_MAX - 1];
        loop variant n - i; */
    for (size_t i = 0; i < n; i++)
        sc->num[i] = (char)sc->s[start + i];
    sc->num[n] = '\0';
    return sc->num;
}

/* Whether a number's text (a C string) is within a double's range (strtod). */
/*@ requires valid_read_string(text);
    assigns \nothing; */
static bool request_finite(const char *text)
{
    double d = strtod(text, NULL);

    return !isinf(d);
}

/* A number read to its end (from start, its digits from digits): json-c
 * clamps an integer beyond 64 bits (or keeps it unsigned, which no reader
 * here expects), so an id would not come back as sent and a level would be
 * some other number; a double out of range would be infinite, and JSON has
 * no Infinity. A number too small for a double is 0, as JSON readers take it. */
/*@ requires request_scan_ok(sc) && start <= digits <= sc->pos;
    assigns REQUEST_REFUSAL, sc->num[0 .. KNOT_CONTROL_LINE_MAX];
    ensures request_scan_ok(sc); */
static bool request_number_fits(struct request_scan *sc, size_t start, size_t digits, bool negative, bool integer)
{
    if (integer) {
        if (!request_int64_fits(sc->s + digits, sc->pos - digits, negative))
            return request_fail(sc, REQUEST_E_INT64, start + 1);
        return true;
    }
    if (!request_finite(request_number_text(sc, start, sc->pos - start)))
        return request_fail(sc, REQUEST_E_DOUBLE, start + 1);
    return true;
}

/* A number's fraction and exponent, if any, after its integer part. */
/*@ requires request_scan_ok(sc) && start <= digits <= sc->pos;
    assigns sc->pos, REQUEST_REFUSAL, sc->num[0 .. KNOT_CONTROL_LINE_MAX];
    ensures request_scan_ok(sc) && sc->pos >= \old(sc->pos); */
static bool request_number_tail(struct request_scan *sc, size_t start, size_t digits, bool negative)
{
    bool integer = true;

    if (sc->pos < sc->len && sc->s[sc->pos] == '.') {
        integer = false;
        sc->pos++;
        if (!request_is_digit(sc))
            return request_fail(sc, REQUEST_E_POINT, request_col(sc));
        request_digits(sc);
    }
    if (sc->pos < sc->len && (sc->s[sc->pos] == 'e' || sc->s[sc->pos] == 'E')) {
        integer = false;
        sc->pos++;
        if (sc->pos < sc->len && (sc->s[sc->pos] == '+' || sc->s[sc->pos] == '-'))
            sc->pos++;
        if (!request_is_digit(sc))
            return request_fail(sc, REQUEST_E_EXPONENT, request_col(sc));
        request_digits(sc);
    }
    return request_number_fits(sc, start, digits, negative, integer);
}

/* A number, from its '-' or first digit. */
/*@ requires request_scan_ok(sc) && sc->pos < sc->len;
    requires sc->s[sc->pos] == '-' || '0' <= sc->s[sc->pos] <= '9';
    assigns sc->pos, REQUEST_REFUSAL, sc->num[0 .. KNOT_CONTROL_LINE_MAX];
    ensures request_scan_ok(sc) && sc->pos >= \old(sc->pos); */
static bool request_number(struct request_scan *sc)
{
    size_t start = sc->pos, digits;
    bool negative = false;

    if (sc->s[sc->pos] == '-') {
        if (request_at(sc, "-Infinity"))
            return request_unexpected(sc, "a value");
        negative = true;
        sc->pos++;
        if (!request_is_digit(sc))
            return request_fail(sc, REQUEST_E_MINUS, request_col(sc));
    }
    digits = sc->pos;
    if (sc->s[sc->pos] == '0') {
        sc->pos++;
        if (request_is_digit(sc))
            return request_fail(sc, REQUEST_E_ZERO, request_col(sc) - 1);
    } else {
        request_digits(sc);
    }
    return request_number_tail(sc, start, digits, negative);
}

/*@ requires request_scan_ok(sc) && \valid_read(word + (0 .. n - 1)) && n <= 16;
    assigns sc->pos, REQUEST_REFUSAL;
    ensures request_scan_ok(sc) && sc->pos >= \old(sc->pos); */
static bool request_literal_n(struct request_scan *sc, const char *word, size_t n)
{
    if (!request_at_n(sc, word, n))
        return request_unexpected(sc, "a value");
    sc->pos += n;
    return true;
}
#define request_literal(sc, lit) request_literal_n((sc), (lit), sizeof(lit) - 1)

/* One level deeper, from its '{' or '[': never past REQUEST_DEPTH. */
/*@ requires request_scan_ok(sc) && sc->pos < sc->len;
    assigns sc->pos, sc->depth, REQUEST_REFUSAL;
    ensures request_scan_ok(sc) && sc->pos >= \old(sc->pos);
    ensures \result ==> sc->depth == \old(sc->depth) + 1; */
static bool request_nest(struct request_scan *sc)
{
    if (sc->depth >= REQUEST_DEPTH)
        return request_fail(sc, REQUEST_E_DEPTH, request_col(sc));
    sc->depth++;
    sc->pos++;
    request_ws(sc);
    return true;
}

/* The object's names are forgotten when it closes: the same name may come
 * again in a sibling object. */
/*@ requires request_scan_ok(sc) && sc->pos < sc->len && sc->depth >= 1;
    requires first <= sc->n_names && names_used <= KNOT_CONTROL_LINE_MAX;
    assigns sc->pos, sc->depth, sc->n_names, sc->names_used;
    ensures request_scan_ok(sc) && sc->pos == \old(sc->pos) + 1 && sc->depth == \old(sc->depth) - 1;
    ensures sc->n_names == first && \result; */
static bool request_close(struct request_scan *sc, size_t first, size_t names_used)
{
    sc->pos++;
    sc->depth--;
    sc->n_names = first;
    sc->names_used = names_used;
    return true;
}

/* One member of an object, after the '{' or a ',' (comma: where that ','
 * is), with the white space around it (first: the object's first name in
 * name[]). A '}' instead follows a trailing comma: "{}" is no member. */
/*@ requires request_scan_ok(sc) && first <= sc->n_names;
    assigns REQUEST_SCAN_STATE;
    ensures request_scan_ok(sc);
    ensures sc->pos >= \old(sc->pos) && sc->n_names >= \old(sc->n_names);
    ensures \result ==> sc->depth == \old(sc->depth); */
static bool request_member(struct request_scan *sc, size_t first, size_t comma)
{
    size_t col, off;

    request_ws(sc);
    if (sc->pos >= sc->len || sc->s[sc->pos] != '"') {
        if (sc->pos < sc->len && sc->s[sc->pos] == '}')
            return request_fail(sc, REQUEST_E_COMMA_OBJECT, comma + 1);
        return request_unexpected(sc, "a member name in double quotes");
    }
    col = request_col(sc);
    off = sc->names_used;
    if (!request_string_token(sc, true) || !request_name_once(sc, first, off, col))
        return false;
    request_ws(sc);
    if (sc->pos >= sc->len || sc->s[sc->pos] != ':')
        return request_unexpected(sc, "':' after the member name");
    sc->pos++;
    if (!request_value(sc))
        return false;
    request_ws(sc);
    return true;
}

/* An object, from its '{'. */
/*@ requires request_scan_ok(sc) && sc->pos < sc->len;
    assigns REQUEST_SCAN_STATE;
    ensures request_scan_ok(sc);
    ensures sc->pos >= \old(sc->pos);
    ensures sc->n_names >= \old(sc->n_names);
    ensures \result ==> sc->depth == \old(sc->depth); */
static bool request_object(struct request_scan *sc)
{
    size_t comma = 0, first = sc->n_names, names_used = sc->names_used;

    if (!request_nest(sc))
        return false;
    if (sc->pos < sc->len && sc->s[sc->pos] == '}')
        return request_close(sc, first, names_used);
    /*@ loop invariant request_scan_ok(sc) && sc->pos >= \at(sc->pos, Pre);
        loop invariant sc->depth == \at(sc->depth, Pre) + 1 && first <= sc->n_names;
        loop assigns comma, REQUEST_SCAN_STATE;
        loop variant sc->len - sc->pos; */
    for (;;) {
        if (!request_member(sc, first, comma))
            return false;
        if (sc->pos < sc->len && sc->s[sc->pos] == ',') {
            comma = sc->pos++;
            continue;
        }
        if (sc->pos < sc->len && sc->s[sc->pos] == '}')
            return request_close(sc, first, names_used);
        return request_unexpected(sc, "',' or '}'");
    }
}

/* One element of an array, after the '[' or a ',' (comma: where that ','
 * is, 0 after the '['), with the white space around it. */
/*@ requires request_scan_ok(sc);
    assigns REQUEST_SCAN_STATE;
    ensures request_scan_ok(sc);
    ensures sc->pos >= \old(sc->pos) && sc->n_names >= \old(sc->n_names);
    ensures \result ==> sc->depth == \old(sc->depth); */
static bool request_element(struct request_scan *sc, size_t comma)
{
    request_ws(sc);
    if (comma && sc->pos < sc->len && sc->s[sc->pos] == ']')
        return request_fail(sc, REQUEST_E_COMMA_ARRAY, comma + 1);
    if (!request_value(sc))
        return false;
    request_ws(sc);
    return true;
}

/* An array, from its '['. */
/*@ requires request_scan_ok(sc) && sc->pos < sc->len;
    assigns REQUEST_SCAN_STATE;
    ensures request_scan_ok(sc);
    ensures sc->pos >= \old(sc->pos);
    ensures sc->n_names >= \old(sc->n_names);
    ensures \result ==> sc->depth == \old(sc->depth); */
static bool request_array(struct request_scan *sc)
{
    /* No names of its own: its close puts back what it found. */
    size_t comma = 0, first = sc->n_names, names_used = sc->names_used;

    if (!request_nest(sc))
        return false;
    if (sc->pos < sc->len && sc->s[sc->pos] == ']')
        return request_close(sc, first, names_used);
    /*@ loop invariant request_scan_ok(sc) && sc->pos >= \at(sc->pos, Pre);
        loop invariant sc->depth == \at(sc->depth, Pre) + 1 && first <= sc->n_names;
        loop assigns comma, REQUEST_SCAN_STATE;
        loop variant sc->len - sc->pos; */
    for (;;) {
        if (!request_element(sc, comma))
            return false;
        if (sc->pos < sc->len && sc->s[sc->pos] == ',') {
            comma = sc->pos++;
            continue;
        }
        if (sc->pos < sc->len && sc->s[sc->pos] == ']')
            return request_close(sc, first, names_used);
        return request_unexpected(sc, "',' or ']'");
    }
}

/* A value, after white space. */
/*@ requires request_scan_ok(sc);
    assigns REQUEST_SCAN_STATE;
    ensures request_scan_ok(sc);
    ensures sc->pos >= \old(sc->pos);
    ensures sc->n_names >= \old(sc->n_names);
    ensures \result ==> sc->depth == \old(sc->depth); */
static bool request_value(struct request_scan *sc)
{
    request_ws(sc);
    if (sc->pos < sc->len) {
        switch (sc->s[sc->pos]) {
        case '{':
            return request_object(sc);
        case '[':
            return request_array(sc);
        case '"':
            return request_string_token(sc, false);
        case 't':
            return request_literal(sc, "true");
        case 'f':
            return request_literal(sc, "false");
        case 'n':
            return request_literal(sc, "null");
        case '-': case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
            return request_number(sc);
        default:
            break;
        }
    }
    return request_unexpected(sc, "a value");
}

/* What a top-level value that is not an object is, for the message. */
/*@ assigns \result \from first; */
static const char *request_kind(unsigned char first)
{
    switch (first) {
    case '[':
        return "an array";
    case '"':
        return "a string";
    case 't': case 'f':
        return "a boolean";
    case 'n':
        return "null";
    default:
        return "a number";
    }
}

/* The whole line, walked: one strict JSON object and nothing else. */
/*@ requires request_scan_ok(sc);
    assigns REQUEST_SCAN_STATE;
    ensures request_scan_ok(sc) && sc->pos >= \old(sc->pos); */
static bool request_walk(struct request_scan *sc)
{
    unsigned char first;

    request_ws(sc);
    if (sc->pos == sc->len)
        return request_fail(sc, REQUEST_E_EMPTY, 0);
    first = sc->s[sc->pos];
    if (!request_value(sc))
        return false;
    request_ws(sc);
    if (sc->pos < sc->len) {
        if (request_at(sc, "#") || request_at(sc, "//") || request_at(sc, "/*"))
            return request_unexpected(sc, "the end of the line");
        return request_fail(sc, REQUEST_E_AFTER, request_col(sc));
    }
    if (first != '{')
        return request_fail_with(sc, REQUEST_E_NOT_OBJECT, 0, 0, request_kind(first));
    return true;
}

/* The walk's refusal in words, once the walk is over. A switch rather than
 * a table of formats: the compiler checks each format against its
 * arguments (-Wformat=2). */
static void request_say(const struct request_scan *sc, char *why, size_t whylen)
{
    const struct request_refusal *e = &sc->err;
    char b[16], q[REQUEST_QUOTE_MAX];

    switch (e->error) {
    case REQUEST_E_NONE:
        break;
    case REQUEST_E_EMPTY:
        request_why(why, whylen, "empty request (one JSON object per line)");
        break;
    case REQUEST_E_ENDS:
        request_why(why, whylen, "not strict JSON: the line ends inside the object (column %zu: %s expected)", e->col,
                    e->word);
        break;
    case REQUEST_E_COMMENT:
        request_why(why, whylen, "not strict JSON: a comment at column %zu (JSON has no comments)", e->col);
        break;
    case REQUEST_E_QUOTE:
        request_why(why, whylen, "not strict JSON: single quotes at column %zu (JSON strings take double quotes)",
                    e->col);
        break;
    case REQUEST_E_NAN:
        request_why(why, whylen, "not strict JSON: %s at column %zu (JSON numbers have no NaN or Infinity)", e->word,
                    e->col);
        break;
    case REQUEST_E_UNEXPECTED:
        request_why(why, whylen, "not strict JSON: unexpected %s at column %zu (%s expected)",
                    request_byte_name((unsigned char)e->code, b, sizeof(b)), e->col, e->word);
        break;
    case REQUEST_E_UNTERMINATED:
        request_why(why, whylen, "not strict JSON: the line ends inside the string that starts at column %zu", e->col);
        break;
    case REQUEST_E_ESCAPE:
        request_why(why, whylen, "not strict JSON: invalid escape '\\' then %s at column %zu",
                    request_byte_name((unsigned char)e->code, b, sizeof(b)), e->col);
        break;
    case REQUEST_E_HEX4:
        request_why(why, whylen, "not strict JSON: \\u needs four hex digits (column %zu)", e->col);
        break;
    case REQUEST_E_NUL:
        request_why(why, whylen, "a string holds U+0000 (\\u0000) at column %zu: knotd takes no NUL characters", e->col);
        break;
    case REQUEST_E_SURROGATE:
        request_why(why, whylen, "not strict JSON: unpaired surrogate \\u%04x at column %zu", e->code, e->col);
        break;
    case REQUEST_E_CONTROL:
        request_why(why, whylen, "not strict JSON: control character 0x%02x in a string at column %zu "
                    "(write it as \\u%04x)", e->code, e->col, e->code);
        break;
    case REQUEST_E_UTF8:
        request_why(why, whylen, "not UTF-8: byte 0x%02x at column %zu (requests are UTF-8)", e->code, e->col);
        break;
    case REQUEST_E_DUPLICATE:
        request_why(why, whylen, "duplicate member '%s' at column %zu (each name once)",
                    request_quote(q, sizeof(q), e->word, e->code, REQUEST_QUOTE_CHARS), e->col);
        break;
    case REQUEST_E_MEMBERS:
        request_why(why, whylen, "too many members (column %zu)", e->col);
        break;
    case REQUEST_E_MINUS:
        request_why(why, whylen, "not strict JSON: a digit expected after '-' at column %zu", e->col);
        break;
    case REQUEST_E_ZERO:
        request_why(why, whylen, "not strict JSON: a leading zero in a number at column %zu", e->col);
        break;
    case REQUEST_E_POINT:
        request_why(why, whylen, "not strict JSON: a digit expected after '.' at column %zu", e->col);
        break;
    case REQUEST_E_EXPONENT:
        request_why(why, whylen, "not strict JSON: a digit expected in the exponent at column %zu", e->col);
        break;
    case REQUEST_E_INT64:
        request_why(why, whylen, "the integer at column %zu is beyond 64 bits "
                    "(-9223372036854775808 to 9223372036854775807)", e->col);
        break;
    case REQUEST_E_DOUBLE:
        request_why(why, whylen, "the number at column %zu is too large (beyond a double's range)", e->col);
        break;
    case REQUEST_E_DEPTH:
        request_why(why, whylen, "nested deeper than %d levels (column %zu)", REQUEST_DEPTH, e->col);
        break;
    case REQUEST_E_COMMA_OBJECT:
        request_why(why, whylen, "not strict JSON: a trailing comma at column %zu (before '}')", e->col);
        break;
    case REQUEST_E_COMMA_ARRAY:
        request_why(why, whylen, "not strict JSON: a trailing comma at column %zu (before ']')", e->col);
        break;
    case REQUEST_E_AFTER:
        request_why(why, whylen, "not strict JSON: text after the object at column %zu", e->col);
        break;
    case REQUEST_E_NOT_OBJECT:
        request_why(why, whylen, "a request is a JSON object, not %s", e->word);
        break;
    }
}

json_object *request_parse(const char *line, size_t len, char *why, size_t whylen)
{
    struct request_scan *sc;
    json_tokener *tok;
    json_object *req = NULL;
    size_t end;
    bool ok;

    if (why && whylen)
        why[0] = '\0';
    if (!line) {
        request_why(why, whylen, "no request");
        return NULL;
    }
    /* ctl.c never passes more; a fuzzer may. json-c takes an int length. */
    if (len > KNOT_CONTROL_LINE_MAX) {
        request_why(why, whylen, "request longer than %d bytes", KNOT_CONTROL_LINE_MAX);
        return NULL;
    }
    sc = malloc(sizeof(*sc));
    if (!sc) {
        request_why(why, whylen, "out of memory");
        return NULL;
    }
    sc->s = (const unsigned char *)line;
    sc->len = len;
    sc->pos = 0;
    sc->depth = 0;
    sc->err.error = REQUEST_E_NONE;
    sc->names_used = 0;
    sc->n_names = 0;
    ok = request_walk(sc);
    if (!ok) {
        request_say(sc, why, whylen);
    } else {
        tok = json_tokener_new_ex(REQUEST_DEPTH);
        if (!tok) {
            request_why(why, whylen, "out of memory");
        } else {
            json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
            req = json_tokener_parse_ex(tok, line, (int)len);
            end = json_tokener_get_parse_end(tok);
            if (!req || json_tokener_get_error(tok) != json_tokener_success || end != len ||
                !json_object_is_type(req, json_type_object)) {
                /* The walk took it: the two parsers disagree. Refused all the same. */
                request_why(why, whylen, "json-c refused the request: %s (column %zu)",
                            json_tokener_error_desc(json_tokener_get_error(tok)), end + 1);
                json_object_put(req);
                req = NULL;
            }
            json_tokener_free(tok);
        }
    }
    free(sc);
    return req;
}

static const char *request_type_name(json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null:
        return "null";
    case json_type_boolean:
        return "a boolean";
    case json_type_double:
        return "a number with a fraction or an exponent";
    case json_type_int:
        return "an integer";
    case json_type_object:
        return "an object";
    case json_type_array:
        return "an array";
    case json_type_string:
        return "a string";
    }
    return "of no JSON type";
}

enum request_member request_string(json_object *req, const char *key, const char **out, char *why, size_t whylen)
{
    json_object *v;
    const unsigned char *p;
    size_t len, i, k;
    uint32_t cp;
    bool partial;

    *out = NULL;
    if (!json_object_object_get_ex(req, key, &v))
        return REQUEST_ABSENT;
    /* json-c gives a member set to null as v == NULL, of type null. */
    if (!json_object_is_type(v, json_type_string)) {
        request_why(why, whylen, "'%s' must be a string, not %s", key, request_type_name(v));
        return REQUEST_WRONG;
    }
    p = (const unsigned char *)json_object_get_string(v);
    len = (size_t)json_object_get_string_len(v);
    if (strlen((const char *)p) != len) {
        request_why(why, whylen, "'%s' holds a NUL character (U+0000) after %zu bytes", key,
                    strlen((const char *)p));
        return REQUEST_WRONG;
    }
    for (i = 0; i < len; i += k) {
        k = utf8_char(p + i, len - i, &cp, &partial);
        if (!k) {
            request_why(why, whylen, "'%s' is not UTF-8 (byte 0x%02x after %zu bytes)", key, p[i], i);
            return REQUEST_WRONG;
        }
        if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
            request_why(why, whylen, "'%s' holds the control character U+%04X", key, (unsigned)cp);
            return REQUEST_WRONG;
        }
    }
    *out = (const char *)p;
    return REQUEST_PRESENT;
}

enum request_member request_bool(json_object *req, const char *key, bool *out, char *why, size_t whylen)
{
    json_object *v;

    *out = false;
    if (!json_object_object_get_ex(req, key, &v))
        return REQUEST_ABSENT;
    if (!json_object_is_type(v, json_type_boolean)) {
        request_why(why, whylen, "'%s' must be true or false, not %s", key, request_type_name(v));
        return REQUEST_WRONG;
    }
    *out = json_object_get_boolean(v);
    return REQUEST_PRESENT;
}

enum request_member request_int(json_object *req, const char *key, int64_t *out, char *why, size_t whylen)
{
    json_object *v;

    *out = 0;
    if (!json_object_object_get_ex(req, key, &v))
        return REQUEST_ABSENT;
    if (!json_object_is_type(v, json_type_int)) {
        request_why(why, whylen, "'%s' must be an integer, not %s", key, request_type_name(v));
        return REQUEST_WRONG;
    }
    /* Past INT64_MAX json-c keeps an unsigned value and get_int64 clamps it. */
    if (json_object_get_int64(v) == INT64_MAX && json_object_get_uint64(v) != (uint64_t)INT64_MAX) {
        request_why(why, whylen, "'%s' is beyond 64 bits (-9223372036854775808 to 9223372036854775807)", key);
        return REQUEST_WRONG;
    }
    *out = json_object_get_int64(v);
    return REQUEST_PRESENT;
}
