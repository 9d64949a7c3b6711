/* SPDX-License-Identifier: MIT */
/* profile.c - loads body-area profiles with libconfig and rejects any profile that crosses a hard limit of profile.h. */
#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "profile.h"
#include "utf8.h"
#include "textfile.h"

/* A profile is a few kilobytes; anything much larger is not a profile. */
#define PROFILE_FILE_MAX (1024 * 1024)

/* Where the settings come from, for "FILE:LINE: ..." messages. */
struct profile_ctx {
    const char *name;   /* the file as named by the caller */
    char *err;
    size_t errlen;
};

/* One key of an area, in the order the limits are checked (a bound before
 * what it bounds: max_level before default_level, trial_s before session_s),
 * so that the first problem reported is the same on every run. */
enum profile_key {
    PROFILE_K_NAME,
    PROFILE_K_ALIASES,
    PROFILE_K_TITLE,
    PROFILE_K_TOOL,
    PROFILE_K_ACTION,
    PROFILE_K_AFTERCARE,
    PROFILE_K_GUN,
    PROFILE_K_START,
    PROFILE_K_TRIAL,
    PROFILE_K_MAX,
    PROFILE_K_DEFAULT,
    PROFILE_K_STEP,
    PROFILE_K_SESSION,
    PROFILE_K_COOLDOWN,
    PROFILE_K_FORCE,
    PROFILE_K_DOSE,
    PROFILE_K_SIDES,
    PROFILE_K_COUNT
};

enum profile_type {
    PROFILE_T_NAME,      /* the area's name: read first, it labels every message */
    PROFILE_T_ALIASES,
    PROFILE_T_TEXT,      /* a string for people: no control characters, UTF-8, fits its field */
    PROFILE_T_BOOL,
    PROFILE_T_INT,       /* an integer in min..max, stored as unsigned */
    PROFILE_T_FORCE,     /* newtons in 0.1 N steps, min..max decinewtons, stored as decinewtons */
};

enum {
    PROFILE_F_ALWAYS = 1 << 0,     /* required in every area: what to tell the person, even where the gun is refused */
    PROFILE_F_GUN = 1 << 1,        /* required when gun = true; with gun = false optional but still checked,
                                    * so flipping gun never unveils a bad number */
    PROFILE_F_NONEMPTY = 1 << 2,   /* a text that may not be "" */
};

/* Every key an area may hold, so that a misspelt key is reported instead of
 * silently ignored, with how it is read, checked and stored. A bound of
 * another key (lo_key, hi_key; -1 for none) replaces min or max, said with
 * why_bound, when that key is set: the cross-field rules. */
struct profile_field {
    const char *key;
    enum profile_type type;
    unsigned flags;
    size_t offset, size;           /* the member of struct profile_area; size: a text's buffer */
    long long min, max, dflt;      /* dflt: the value of an optional number left out */
    int lo_key, hi_key;
    const char *why, *why_bound;   /* the hard limit's reason, said with the range */
};

#define PROFILE_MEMBER(m) .offset = offsetof(struct profile_area, m), .size = sizeof(((struct profile_area *)0)->m)
#define PROFILE_TEXT(k, m, fl) \
    { .key = k, .type = PROFILE_T_TEXT, .flags = fl, PROFILE_MEMBER(m), .lo_key = -1, .hi_key = -1 }
#define PROFILE_INT(k, m, lo, hi, w) \
    { .key = k, .type = PROFILE_T_INT, .flags = PROFILE_F_GUN, PROFILE_MEMBER(m), .min = lo, .max = hi, \
      .lo_key = -1, .hi_key = -1, .why = w }

static const struct profile_field profile_fields[PROFILE_K_COUNT] = {
    [PROFILE_K_NAME] = { .key = "name", .type = PROFILE_T_NAME, .flags = PROFILE_F_ALWAYS, PROFILE_MEMBER(name),
                         .lo_key = -1, .hi_key = -1 },
    [PROFILE_K_ALIASES] = { .key = "aliases", .type = PROFILE_T_ALIASES, .lo_key = -1, .hi_key = -1 },
    [PROFILE_K_TITLE] = PROFILE_TEXT("title", title, PROFILE_F_ALWAYS | PROFILE_F_NONEMPTY),
    [PROFILE_K_TOOL] = PROFILE_TEXT("tool", tool, PROFILE_F_ALWAYS | PROFILE_F_NONEMPTY),
    [PROFILE_K_ACTION] = PROFILE_TEXT("action", action, PROFILE_F_ALWAYS | PROFILE_F_NONEMPTY),
    [PROFILE_K_AFTERCARE] = PROFILE_TEXT("aftercare", aftercare, 0),
    [PROFILE_K_GUN] = { .key = "gun", .type = PROFILE_T_BOOL, .flags = PROFILE_F_ALWAYS, PROFILE_MEMBER(gun_allowed),
                        .lo_key = -1, .hi_key = -1 },
    [PROFILE_K_START] = PROFILE_INT("start_level", start_level, PROFILE_START_LEVEL, PROFILE_START_LEVEL,
                                    "the guide: always start on the lowest speed"),
    [PROFILE_K_TRIAL] = PROFILE_INT("trial_s", trial_s, PROFILE_TRIAL_MIN_S, PROFILE_TRIAL_MAX_S,
                                    "the guide: lowest speed for 10-20 s first"),
    [PROFILE_K_MAX] = PROFILE_INT("max_level", max_level, 1, KNOT_MAX_LEVELS, "the device has at most 8 levels"),
    [PROFILE_K_DEFAULT] = { .key = "default_level", .type = PROFILE_T_INT, .flags = PROFILE_F_GUN,
                            PROFILE_MEMBER(default_level), .min = 1, .max = KNOT_MAX_LEVELS, .lo_key = -1,
                            .hi_key = PROFILE_K_MAX, .why = "the device has at most 8 levels",
                            .why_bound = "1..max_level" },
    /* The upper bound only keeps the number sane: a step longer than the
     * longest session would never happen. */
    [PROFILE_K_STEP] = PROFILE_INT("step_s", step_s, PROFILE_STEP_MIN_S, PROFILE_SESSION_MAX_S,
                                   "a gentle ramp: at most one level per 5 s"),
    [PROFILE_K_SESSION] = { .key = "session_s", .type = PROFILE_T_INT, .flags = PROFILE_F_GUN,
                            PROFILE_MEMBER(session_s), .min = PROFILE_TRIAL_MIN_S, .max = PROFILE_SESSION_MAX_S,
                            .lo_key = PROFILE_K_TRIAL, .hi_key = -1,
                            .why = "at least the trial, at most 5 min per area at a time",
                            .why_bound = "at least the trial, at most 5 min per area at a time" },
    [PROFILE_K_COOLDOWN] = PROFILE_INT("cooldown_s", cooldown_s, 0, PROFILE_COOLDOWN_MAX_S, "at most a day"),
    [PROFILE_K_FORCE] = { .key = "force_max_n", .type = PROFILE_T_FORCE, .flags = PROFILE_F_GUN,
                          PROFILE_MEMBER(force_max_dn), .min = 1, .max = PROFILE_FORCE_MAX_DN, .lo_key = -1,
                          .hi_key = -1, .why = "the device itself stalls" },
    [PROFILE_K_DOSE] = { .key = "dose_min", .type = PROFILE_T_INT, .flags = 0, PROFILE_MEMBER(dose_min),
                         .min = PROFILE_DOSE_MIN_MIN, .max = PROFILE_DOSE_MAX_MIN, .dflt = PROFILE_DOSE_DEFAULT_MIN,
                         .lo_key = -1, .hi_key = -1, .why = "minutes a day on one area: consistency beats intensity" },
    [PROFILE_K_SIDES] = { .key = "sides", .type = PROFILE_T_BOOL, .flags = 0, PROFILE_MEMBER(sides),
                          .lo_key = -1, .hi_key = -1 },
};

static void profile_vmsg(const struct profile_ctx *c, const config_setting_t *where, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static void profile_msg(const struct profile_ctx *c, const config_setting_t *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void profile_line_msg(const struct profile_ctx *c, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void profile_vformat(const struct profile_ctx *c, const char *file, unsigned line, const char *fmt,
                            va_list ap) __attribute__((format(printf, 4, 0)));

/* "FILE:LINE: text", or "FILE: text" when line is 0. */
static void profile_vformat(const struct profile_ctx *c, const char *file, unsigned line, const char *fmt, va_list ap)
{
    int n;

    if (!c->err || c->errlen == 0)
        return;
    if (line > 0)
        n = snprintf(c->err, c->errlen, "%s:%u: ", file, line);
    else
        n = snprintf(c->err, c->errlen, "%s: ", file);
    if (n < 0 || (size_t)n >= c->errlen)
        return;
    vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
}

/* At a setting, or "FILE: text" without one to point at. Every setting is
 * from the one file: @include is refused. */
static void profile_vmsg(const struct profile_ctx *c, const config_setting_t *where, const char *fmt, va_list ap)
{
    profile_vformat(c, c->name, where ? config_setting_source_line(where) : 0, fmt, ap);
}

static void profile_msg(const struct profile_ctx *c, const config_setting_t *where, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    profile_vmsg(c, where, fmt, ap);
    va_end(ap);
}

/* At a line of the raw text, before libconfig has seen it. */
static void profile_line_msg(const struct profile_ctx *c, unsigned line, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    profile_vformat(c, c->name, line, fmt, ap);
    va_end(ap);
}

/* What to call a libconfig type in a "must be ..." message. */
static const char *profile_type_name(int type)
{
    switch (type) {
    case CONFIG_TYPE_GROUP: return "a group { ... }";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64: return "an integer";
    case CONFIG_TYPE_FLOAT: return "a float";
    case CONFIG_TYPE_STRING: return "a string";
    case CONFIG_TYPE_BOOL: return "a boolean";
    case CONFIG_TYPE_ARRAY: return "an array [ ... ]";
    case CONFIG_TYPE_LIST: return "a list ( ... )";
    default: return "nothing";
    }
}

static char profile_lower(char ch)
{
    return (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
}

static int profile_is_sep(char ch)
{
    return ch == '-' || ch == '_' || ch == ' ';
}

/* The lookup key: lower case, separators dropped. Both uniqueness and
 * profile_find use it, so whatever profile_find accepts is unambiguous.
 * Returns -1 when the key would not fit (then it matches nothing). */
static int profile_key_of(const char *in, char out[PROFILE_NAME_LEN])
{
    size_t n = 0;

    for (; *in; in++) {
        if (profile_is_sep(*in))
            continue;
        if (n + 1 >= PROFILE_NAME_LEN)
            return -1;
        out[n++] = profile_lower(*in);
    }
    out[n] = '\0';
    return 0;
}

/* Names and aliases: [a-z0-9-] after lower-casing, starting and ending with
 * a letter or digit, so that they are safe in a line protocol, a file name
 * and a shell, and never normalise to an empty key. Writes the lower-case
 * form to out; returns NULL or what is wrong. */
static const char *profile_check_name(const char *in, char out[PROFILE_NAME_LEN])
{
    size_t len = strlen(in), i;

    if (len == 0)
        return "is empty";
    if (len >= PROFILE_NAME_LEN)
        return "is too long (the limit is 31 characters)";
    for (i = 0; i < len; i++) {
        char ch = profile_lower(in[i]);

        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'))
            return "may only contain a-z, 0-9 and '-'";
        out[i] = ch;
    }
    out[len] = '\0';
    if (out[0] == '-' || out[len - 1] == '-')
        return "must start and end with a letter or digit";
    return NULL;
}

/* A text setting: a string without control characters (texts travel in a
 * line protocol to clients) that fits its field. */
static int profile_get_text(const struct profile_ctx *c, const char *label, const config_setting_t *s,
                            char *dst, size_t dstlen, int required)
{
    const char *key = config_setting_name(s), *v;
    size_t len, i;

    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        profile_msg(c, s, "%s: %s must be a string, not %s", label, key,
                    profile_type_name(config_setting_type(s)));
        return -EINVAL;
    }
    v = config_setting_get_string(s);
    len = strlen(v);
    if (required && len == 0) {
        profile_msg(c, s, "%s: %s is empty", label, key);
        return -EINVAL;
    }
    if (len >= dstlen) {
        profile_msg(c, s, "%s: %s is %zu characters long, the limit is %zu", label, key, len, dstlen - 1);
        return -EINVAL;
    }
    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)v[i];

        if (ch < 0x20 || ch == 0x7f) {
            profile_msg(c, s, "%s: %s contains a control character (offset %zu)", label, key, i);
            return -EINVAL;
        }
    }
    /* Texts travel to clients as JSON: a file saved as Latin-1 is refused
     * here, with where, rather than shown with '?' for every accent. */
    if (!utf8_valid(v, len)) {
        profile_msg(c, s, "%s: %s is not UTF-8 (byte 0x%02x at offset %zu; save the file as UTF-8)", label, key,
                    (unsigned char)v[utf8_span(v, len)], utf8_span(v, len));
        return -EINVAL;
    }
    memcpy(dst, v, len + 1);
    return 0;
}

static int profile_get_int(const struct profile_ctx *c, const char *label, const config_setting_t *s, long long *out)
{
    int type = config_setting_type(s);

    if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64) {
        profile_msg(c, s, "%s: %s must be an integer, not %s", label, config_setting_name(s),
                    profile_type_name(type));
        return -EINVAL;
    }
    /* Exact: profile_scan() let no literal through that libconfig would wrap. */
    *out = type == CONFIG_TYPE_INT ? config_setting_get_int(s) : config_setting_get_int64(s);
    return 0;
}

/* Range check of one integer setting; why is the hard limit's reason. */
static int profile_range(const struct profile_ctx *c, const char *label, const config_setting_t *s, long long v,
                         long long lo, long long hi, const char *why)
{
    if (v >= lo && v <= hi)
        return 0;
    if (lo == hi)
        profile_msg(c, s, "%s: %s = %lld must be %lld (%s)", label, config_setting_name(s), v, lo, why);
    else
        profile_msg(c, s, "%s: %s = %lld is outside %lld..%lld (%s)", label, config_setting_name(s), v, lo, hi, why);
    return -EINVAL;
}

/* Which earlier name or alias (of this or an earlier area) has this key. */
static const struct profile_area *profile_key_owner(const struct profile *p, unsigned upto, const char *key)
{
    char k[PROFILE_NAME_LEN];
    unsigned i, j;

    for (i = 0; i <= upto && i < PROFILE_MAX_AREAS; i++) {
        const struct profile_area *a = &p->areas[i];

        if (a->name[0] && profile_key_of(a->name, k) == 0 && strcmp(k, key) == 0)
            return a;
        for (j = 0; j < a->n_aliases; j++)
            if (profile_key_of(a->aliases[j], k) == 0 && strcmp(k, key) == 0)
                return a;
    }
    return NULL;
}

/* A name or an alias (what) of area idx, in lower: valid, and nobody's yet
 * (no earlier area's name or alias, nor this one's). 0, or -EINVAL, said. */
static int profile_claim(const struct profile_ctx *c, const config_setting_t *s, const struct profile *p,
                         unsigned idx, const char *label, const char *what, char lower[PROFILE_NAME_LEN])
{
    char key[PROFILE_NAME_LEN];
    const char *bad = profile_check_name(config_setting_get_string(s), lower);
    const struct profile_area *owner;

    if (bad) {
        profile_msg(c, s, "%s: %s \"%s\" %s", label, what, config_setting_get_string(s), bad);
        return -EINVAL;
    }
    profile_key_of(lower, key);
    owner = profile_key_owner(p, idx, key);
    if (owner) {
        profile_msg(c, s, "%s: %s \"%s\" is already used by %s (line %u)", label, what, lower, owner->name,
                    owner->line);
        return -EINVAL;
    }
    return 0;
}

static int profile_aliases(const struct profile_ctx *c, const char *label, const config_setting_t *s,
                           struct profile *p, unsigned idx)
{
    struct profile_area *a = &p->areas[idx];
    int type = config_setting_type(s), n, i;

    if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST) {
        profile_msg(c, s, "%s: aliases must be an array of strings [\"a\", \"b\"], not %s", label,
                    profile_type_name(type));
        return -EINVAL;
    }
    n = config_setting_length(s);
    if (n > PROFILE_MAX_ALIASES) {
        profile_msg(c, s, "%s: too many aliases (%d, the limit is %d)", label, n, PROFILE_MAX_ALIASES);
        return -EINVAL;
    }
    for (i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        char lower[PROFILE_NAME_LEN];

        if (config_setting_type(e) != CONFIG_TYPE_STRING) {
            profile_msg(c, e, "%s: aliases must be an array of strings, element %d is %s", label, i + 1,
                        profile_type_name(config_setting_type(e)));
            return -EINVAL;
        }
        if (profile_claim(c, e, p, idx, label, "alias", lower))
            return -EINVAL;
        memcpy(a->aliases[a->n_aliases++], lower, sizeof(lower));
    }
    return 0;
}

/* The area's name, read before anything else: it labels every later message. */
static int profile_area_name(const struct profile_ctx *c, const config_setting_t *s, struct profile *p, unsigned idx,
                             const char *label)
{
    struct profile_area *a = &p->areas[idx];
    char lower[PROFILE_NAME_LEN];

    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        profile_msg(c, s, "%s: name must be a string, not %s", label, profile_type_name(config_setting_type(s)));
        return -EINVAL;
    }
    if (profile_claim(c, s, p, idx, label, "name", lower))
        return -EINVAL;
    memcpy(a->name, lower, sizeof(lower));
    return 0;
}

/* A force in newtons (an integer or a float), in the device's 0.1 N steps, as decinewtons. */
static int profile_get_force(const struct profile_ctx *c, const char *label, const config_setting_t *s,
                             const struct profile_field *f, long long *out)
{
    int type = config_setting_type(s), rc;
    double nw, frac;
    long long dn;

    if (type != CONFIG_TYPE_FLOAT && type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64) {
        profile_msg(c, s, "%s: %s must be a number of newtons, not %s", label, f->key, profile_type_name(type));
        return -EINVAL;
    }
    if (type == CONFIG_TYPE_FLOAT) {
        nw = config_setting_get_float(s);
    } else {
        long long iv;

        rc = profile_get_int(c, label, s, &iv);
        if (rc)
            return rc;
        nw = (double)iv;
    }
    /* Written so that NaN fails too. */
    if (!(nw > (double)f->min / 10.0 - 1e-5 && nw <= (double)f->max / 10.0)) {
        profile_msg(c, s, "%s: %s = %g is outside %.1f..%.1f N (above %.0f N %s)", label, f->key, nw,
                    (double)f->min / 10.0, (double)f->max / 10.0, (double)f->max / 10.0, f->why);
        return -EINVAL;
    }
    dn = (long long)(nw * 10.0 + 0.5);
    frac = nw * 10.0 - (double)dn;
    if (frac > 1e-6 || frac < -1e-6) {
        profile_msg(c, s, "%s: %s = %g is finer than the device's 0.1 N", label, f->key, nw);
        return -EINVAL;
    }
    *out = dn;
    return 0;
}

/* Read one setting as its field says: texts and the flag into the area,
 * numbers into *v (range-checked once every key is known). */
static int profile_read(const struct profile_ctx *c, const char *label, const struct profile_field *f,
                        const config_setting_t *s, struct profile *p, unsigned idx, long long *v)
{
    char *member = (char *)&p->areas[idx] + f->offset;

    switch (f->type) {
    case PROFILE_T_NAME:
        return 0;   /* read first, by profile_area_name */
    case PROFILE_T_ALIASES:
        return profile_aliases(c, label, s, p, idx);
    case PROFILE_T_TEXT:
        return profile_get_text(c, label, s, member, f->size, (f->flags & PROFILE_F_NONEMPTY) != 0);
    case PROFILE_T_BOOL:
        if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
            profile_msg(c, s, "%s: %s must be a boolean (true or false), not %s", label, f->key,
                        profile_type_name(config_setting_type(s)));
            return -EINVAL;
        }
        *(bool *)member = config_setting_get_bool(s) != 0;
        return 0;
    case PROFILE_T_INT:
        return profile_get_int(c, label, s, v);
    case PROFILE_T_FORCE:
        return profile_get_force(c, label, s, f, v);
    }
    return -EINVAL;
}

/* An unknown key: which keys an area knows, from the table. */
static void profile_unknown_key(const struct profile_ctx *c, const config_setting_t *s, const char *label,
                                const char *key)
{
    char known[256];
    size_t n = 0;

    known[0] = '\0';
    for (int k = 0; k < PROFILE_K_COUNT && n < sizeof(known); k++)
        n += (size_t)snprintf(known + n, sizeof(known) - n, "%s%s", k ? ", " : "", profile_fields[k].key);
    profile_msg(c, s, "%s: unknown setting \"%s\" (a typo? an area knows %s)", label, key ? key : "?", known);
}

/* One area group, by the table: the name, then every setting's type (and
 * unknown keys), then what is missing, then the limits in table order. */
static int profile_area_parse(const struct profile_ctx *c, const config_setting_t *g, struct profile *p, unsigned idx)
{
    struct profile_area *a = &p->areas[idx];
    const config_setting_t *set[PROFILE_K_COUNT] = { 0 };
    long long v[PROFILE_K_COUNT] = { 0 };
    char label[PROFILE_NAME_LEN + 16];
    unsigned i, n;
    int rc, k;

    memset(a, 0, sizeof(*a));
    a->line = config_setting_source_line(g);
    snprintf(label, sizeof(label), "area #%u", idx + 1);
    if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
        profile_msg(c, g, "%s must be a group { name = ...; ... }, not %s", label,
                    profile_type_name(config_setting_type(g)));
        return -EINVAL;
    }
    set[PROFILE_K_NAME] = config_setting_get_member(g, "name");
    if (!set[PROFILE_K_NAME]) {
        profile_msg(c, g, "%s: missing name", label);
        return -EINVAL;
    }
    rc = profile_area_name(c, set[PROFILE_K_NAME], p, idx, label);
    if (rc)
        return rc;
    snprintf(label, sizeof(label), "%s", a->name);

    n = (unsigned)config_setting_length(g);
    for (i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(g, i);
        const char *key = config_setting_name(s);

        for (k = 0; k < PROFILE_K_COUNT; k++)
            if (key && strcmp(key, profile_fields[k].key) == 0)
                break;
        if (k == PROFILE_K_COUNT) {
            profile_unknown_key(c, s, label, key);
            return -EINVAL;
        }
        set[k] = s;
        rc = profile_read(c, label, &profile_fields[k], s, p, idx, &v[k]);
        if (rc)
            return rc;
    }

    for (k = 0; k < PROFILE_K_COUNT; k++) {
        const struct profile_field *f = &profile_fields[k];

        if (set[k])
            continue;
        if (f->flags & PROFILE_F_ALWAYS) {
            profile_msg(c, g, "%s: missing %s", label, f->key);
            return -EINVAL;
        }
        if ((f->flags & PROFILE_F_GUN) && a->gun_allowed) {
            profile_msg(c, g, "%s: missing %s (required when gun = true)", label, f->key);
            return -EINVAL;
        }
    }

    for (k = 0; k < PROFILE_K_COUNT; k++) {
        const struct profile_field *f = &profile_fields[k];
        bool lo_bound = f->lo_key >= 0 && set[f->lo_key], hi_bound = f->hi_key >= 0 && set[f->hi_key];

        if (f->type != PROFILE_T_INT || !set[k])
            continue;
        if (profile_range(c, label, set[k], v[k], lo_bound ? v[f->lo_key] : f->min,
                          hi_bound ? v[f->hi_key] : f->max, lo_bound || hi_bound ? f->why_bound : f->why))
            return -EINVAL;
    }

    /* The numbers, checked: left out, an optional one takes its default (a
     * number of an area without the gun is then 0, never used). */
    for (k = 0; k < PROFILE_K_COUNT; k++) {
        const struct profile_field *f = &profile_fields[k];

        if (f->type == PROFILE_T_INT || f->type == PROFILE_T_FORCE)
            *(unsigned *)((char *)a + f->offset) = (unsigned)(set[k] ? v[k] : f->dflt);
    }
    return 0;
}

/* Every key a routine's step may hold. */
static const char *const profile_step_keys[] = { "area", "side", "session_s", "level" };

/* One step of a routine: an area of this file (the gun allowed), its side
 * exactly when it has sides, and a time and a level within the area's. */
static int profile_step_parse(const struct profile_ctx *c, const config_setting_t *g, const struct profile *p,
                              const char *label, struct profile_step *st)
{
    const config_setting_t *s;
    const struct profile_area *a;
    long long v;
    unsigned n = (unsigned)config_setting_length(g);

    memset(st, 0, sizeof(*st));
    st->line = config_setting_source_line(g);
    if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
        profile_msg(c, g, "%s must be a group { area = ...; side = ...; }, not %s", label,
                    profile_type_name(config_setting_type(g)));
        return -EINVAL;
    }
    for (unsigned i = 0; i < n; i++) {
        const char *key = config_setting_name(config_setting_get_elem(g, i));
        size_t k;

        for (k = 0; k < sizeof(profile_step_keys) / sizeof(profile_step_keys[0]); k++)
            if (key && strcmp(key, profile_step_keys[k]) == 0)
                break;
        if (k == sizeof(profile_step_keys) / sizeof(profile_step_keys[0])) {
            profile_msg(c, config_setting_get_elem(g, i), "%s: unknown setting \"%s\" (a typo? a step knows area, "
                        "side, session_s, level)", label, key ? key : "?");
            return -EINVAL;
        }
    }
    s = config_setting_get_member(g, "area");
    if (!s || config_setting_type(s) != CONFIG_TYPE_STRING) {
        profile_msg(c, s ? s : g, "%s: %s", label, s ? "area must be a string" : "missing area");
        return -EINVAL;
    }
    a = profile_find(p, config_setting_get_string(s));
    if (!a) {
        char names[512];

        profile_names(p, names, sizeof(names));
        profile_msg(c, s, "%s: unknown area \"%.40s\" (known: %s)", label, config_setting_get_string(s), names);
        return -EINVAL;
    }
    if (!a->gun_allowed) {
        profile_msg(c, s, "%s: %s has gun = false: the massager does not belong there (%s)", label, a->name,
                    a->tool);
        return -EINVAL;
    }
    snprintf(st->area, sizeof(st->area), "%s", a->name);
    s = config_setting_get_member(g, "side");
    if (s && (config_setting_type(s) != CONFIG_TYPE_STRING ||
              profile_side_of(config_setting_get_string(s), &st->side) < 0)) {
        profile_msg(c, s, "%s: side must be \"left\" or \"right\"", label);
        return -EINVAL;
    }
    if (a->sides && !s) {
        profile_msg(c, g, "%s: %s has sides: missing side = \"left\" or \"right\"", label, a->name);
        return -EINVAL;
    }
    if (!a->sides && s) {
        profile_msg(c, s, "%s: %s has no sides (no sides = true in its area)", label, a->name);
        return -EINVAL;
    }
    if ((s = config_setting_get_member(g, "session_s"))) {
        if (profile_get_int(c, label, s, &v) ||
            profile_range(c, label, s, v, a->trial_s, a->session_s, "at least the area's trial, at most its "
                          "session_s"))
            return -EINVAL;
        st->session_s = (unsigned)v;
    }
    if ((s = config_setting_get_member(g, "level"))) {
        if (profile_get_int(c, label, s, &v) || profile_range(c, label, s, v, 1, a->max_level, "at most the "
                                                              "area's max_level"))
            return -EINVAL;
        st->level = (unsigned)v;
    }
    return 0;
}

/* One routine: a name (unique among routines), a title, and 1..16 steps. */
static int profile_routine_parse(const struct profile_ctx *c, const config_setting_t *g, struct profile *p,
                                 unsigned idx)
{
    struct profile_routine *r = &p->routines[idx];
    const config_setting_t *s, *steps;
    char label[PROFILE_NAME_LEN + 32];
    const char *bad;
    unsigned n;

    memset(r, 0, sizeof(*r));
    r->line = config_setting_source_line(g);
    snprintf(label, sizeof(label), "routine #%u", idx + 1);
    if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
        profile_msg(c, g, "%s must be a group { name = ...; title = ...; steps = ( ... ); }, not %s", label,
                    profile_type_name(config_setting_type(g)));
        return -EINVAL;
    }
    n = (unsigned)config_setting_length(g);
    for (unsigned i = 0; i < n; i++) {
        const char *key = config_setting_name(config_setting_get_elem(g, i));

        if (!key || (strcmp(key, "name") && strcmp(key, "title") && strcmp(key, "steps"))) {
            profile_msg(c, config_setting_get_elem(g, i), "%s: unknown setting \"%s\" (a typo? a routine knows "
                        "name, title, steps)", label, key ? key : "?");
            return -EINVAL;
        }
    }
    s = config_setting_get_member(g, "name");
    if (!s || config_setting_type(s) != CONFIG_TYPE_STRING) {
        profile_msg(c, s ? s : g, "%s: %s", label, s ? "name must be a string" : "missing name");
        return -EINVAL;
    }
    if ((bad = profile_check_name(config_setting_get_string(s), r->name))) {
        profile_msg(c, s, "%s: name \"%.40s\" %s", label, config_setting_get_string(s), bad);
        return -EINVAL;
    }
    for (unsigned i = 0; i < idx; i++)
        if (strcmp(p->routines[i].name, r->name) == 0) {
            profile_msg(c, s, "%s: name \"%s\" is taken by the routine at line %u", label, r->name,
                        p->routines[i].line);
            return -EINVAL;
        }
    snprintf(label, sizeof(label), "routine %s", r->name);
    s = config_setting_get_member(g, "title");
    if (!s) {
        profile_msg(c, g, "%s: missing title", label);
        return -EINVAL;
    }
    if (profile_get_text(c, label, s, r->title, sizeof(r->title), 1))
        return -EINVAL;
    steps = config_setting_get_member(g, "steps");
    if (!steps) {
        profile_msg(c, g, "%s: missing steps = ( { area = ...; }, ... )", label);
        return -EINVAL;
    }
    if (config_setting_type(steps) != CONFIG_TYPE_LIST) {
        profile_msg(c, steps, "%s: steps must be a list ( { ... }, { ... } ), not %s", label,
                    profile_type_name(config_setting_type(steps)));
        return -EINVAL;
    }
    n = (unsigned)config_setting_length(steps);
    if (n == 0) {
        profile_msg(c, steps, "%s: steps is empty; a routine needs at least one step", label);
        return -EINVAL;
    }
    if (n > PROFILE_MAX_STEPS) {
        profile_msg(c, config_setting_get_elem(steps, PROFILE_MAX_STEPS), "%s: too many steps (%u, the limit is %d)",
                    label, n, PROFILE_MAX_STEPS);
        return -EINVAL;
    }
    for (unsigned i = 0; i < n; i++) {
        char step[sizeof(label) + 16];

        snprintf(step, sizeof(step), "%s, step %u", label, i + 1);
        if (profile_step_parse(c, config_setting_get_elem(steps, i), p, step, &r->steps[i]))
            return -EINVAL;
    }
    r->n = n;
    return 0;
}

/* routines = ( { ... }, ... ): checked against the areas above (so after them). */
static int profile_routines_parse(const struct profile_ctx *c, const config_setting_t *list, struct profile *p)
{
    unsigned n = (unsigned)config_setting_length(list);

    if (config_setting_type(list) != CONFIG_TYPE_LIST) {
        profile_msg(c, list, "routines must be a list ( { ... }, { ... } ), not %s",
                    profile_type_name(config_setting_type(list)));
        return -EINVAL;
    }
    for (unsigned i = 0; i < n; i++) {
        if (i >= PROFILE_MAX_ROUTINES) {
            profile_msg(c, config_setting_get_elem(list, i), "too many routines (%u, the limit is %d)", n,
                        PROFILE_MAX_ROUTINES);
            return -EINVAL;
        }
        if (profile_routine_parse(c, config_setting_get_elem(list, i), p, i))
            return -EINVAL;
        p->n_routines = i + 1;
    }
    return 0;
}

static int profile_from_config(const struct profile_ctx *c, const config_t *cfg, struct profile *p)
{
    const config_setting_t *root = config_root_setting(cfg), *areas = NULL, *routines = NULL;
    unsigned i, n;
    int rc;

    n = (unsigned)config_setting_length(root);
    for (i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(root, i);
        const char *key = config_setting_name(s);

        if (key && strcmp(key, "areas") == 0) {
            areas = s;
            continue;
        }
        if (key && strcmp(key, "routines") == 0) {
            routines = s;
            continue;
        }
        profile_msg(c, s, "unknown top-level setting \"%s\" (a typo? only areas = ( ... ) and routines = ( ... ) "
                    "belong here)", key ? key : "?");
        return -EINVAL;
    }
    if (!areas) {
        profile_msg(c, NULL, "no areas = ( { name = ...; ... }, ... ) list");
        return -EINVAL;
    }
    if (config_setting_type(areas) != CONFIG_TYPE_LIST) {
        profile_msg(c, areas, "areas must be a list ( { ... }, { ... } ), not %s",
                    profile_type_name(config_setting_type(areas)));
        return -EINVAL;
    }
    n = (unsigned)config_setting_length(areas);
    if (n == 0) {
        profile_msg(c, areas, "areas is empty; at least one area is needed");
        return -EINVAL;
    }
    for (i = 0; i < n; i++) {
        const config_setting_t *g = config_setting_get_elem(areas, i);

        if (i >= PROFILE_MAX_AREAS) {
            profile_msg(c, g, "too many areas (%u, the limit is %d)", n, PROFILE_MAX_AREAS);
            return -EINVAL;
        }
        p->n = i;       /* areas before this one are complete: duplicates search them */
        rc = profile_area_parse(c, g, p, i);
        if (rc)
            return rc;
    }
    p->n = n;
    return routines ? profile_routines_parse(c, routines, p) : 0;
}

/*
 * libconfig 1.5 wraps integers modulo 2^32 ("max_level = 4294967299" reads
 * as 3), wherever the number is written: on the key's line or the next, with
 * a comment beside it, or in an @include'd file. What it parsed can no longer
 * tell, so the raw text is scanned first, token by token with libconfig's own
 * rules (strings, the three kinds of comment, names, and the longest-match
 * number forms of its scanner), and any integer literal beyond 32 bits is
 * refused. Every literal libconfig then sees is exact, and the limits of each
 * key apply to what was written. @include is refused here as well: the
 * included file would escape this scan, and libconfig opens it with a
 * blocking fopen() (a FIFO would stop the event loop).
 */
#define PROFILE_INT_MAX 2147483647LL

static int profile_is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static int profile_is_xdigit(char ch)
{
    return profile_is_digit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static int profile_is_alpha(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* libconfig's names: [A-Za-z*][-A-Za-z0-9_*]* (digits inside are no number). */
static int profile_is_name_char(char ch)
{
    return profile_is_alpha(ch) || profile_is_digit(ch) || ch == '-' || ch == '_' || ch == '*';
}

static size_t profile_span(const char *s, int (*is)(char))
{
    size_t n = 0;

    while (s[n] && is(s[n]))
        n++;
    return n;
}

/* [eE][-+]?[0-9]+ */
static size_t profile_exponent_len(const char *s)
{
    size_t k, d;

    if (*s != 'e' && *s != 'E')
        return 0;
    k = (s[1] == '-' || s[1] == '+') ? 2 : 1;
    d = profile_span(s + k, profile_is_digit);
    return d ? k + d : 0;
}

/* L or LL after an integer makes it 64-bit. */
static size_t profile_suffix_len(const char *s)
{
    return s[0] == 'L' ? 1 + (s[1] == 'L') : 0;
}

/* The length of the number token libconfig takes at s (flex: the longest of
 * integer, integer64, hex, hex64 and float), or 0. *digits and *base say
 * where the integer's digits are; *digits is NULL for a float. */
static size_t profile_number_len(const char *s, const char **digits, int *base)
{
    size_t sign = (s[0] == '-' || s[0] == '+'), d, len, best = 0;

    *digits = NULL;
    d = profile_span(s + sign, profile_is_digit);
    if (d) {                                            /* [-+]?[0-9]+(L(L)?)? */
        best = sign + d + profile_suffix_len(s + sign + d);
        *digits = s;
        *base = 10;
    }
    if (!sign && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) { /* 0[Xx][0-9A-Fa-f]+(L(L)?)? */
        size_t h = profile_span(s + 2, profile_is_xdigit);

        if (h && 2 + h + profile_suffix_len(s + 2 + h) > best) {
            best = 2 + h + profile_suffix_len(s + 2 + h);
            *digits = s + 2;
            *base = 16;
        }
    }
    len = sign + d;                                     /* [-+]?[0-9]*\.[0-9]*(exp)? | [-+]?[0-9]+exp */
    if (s[len] == '.') {
        len++;
        len += profile_span(s + len, profile_is_digit);
        len += profile_exponent_len(s + len);
    } else {
        len = d ? len + profile_exponent_len(s + len) : 0;
    }
    if (len > best && len > sign + d) {
        best = len;
        *digits = NULL;
    }
    return best;
}

/* Does the integer whose digits start at s stay within 32 bits? */
static int profile_fits(const char *s, int base)
{
    long long v = 0;

    for (; base == 16 ? profile_is_xdigit(*s) : profile_is_digit(*s); s++) {
        int dv = profile_is_digit(*s) ? *s - '0' : (*s | 0x20) - 'a' + 10;

        v = v * base + dv;
        if (v > PROFILE_INT_MAX)
            return 0;
    }
    return 1;
}

/* Whether a string may stand after the token prev ('s' a string, else the
 * punctuation character; 0 at the start) in the innermost bracket `in` ('{'
 * or 0 for a group, '(' a list, '[' an array). libconfig 1.5 leaks a string
 * token that is itself the syntax error (where a setting name belongs), so
 * such a file is refused here, before libconfig sees it. */
static bool profile_string_fits(char prev, char in)
{
    return prev == '=' || prev == ':' || prev == 's' || prev == '(' || prev == '[' ||
           (prev == ',' && (in == '(' || in == '['));
}

static int profile_scan(const struct profile_ctx *c, const char *text)
{
    const char *p = text, *key = NULL;
    unsigned line = 1;
    int keylen = 0;
    char prev = 0, nest[64];
    size_t depth = 0;

    while (*p) {
        if (*p == '\n') {
            line++;
            p++;
        } else if (*p == '"') {
            if (!profile_string_fits(prev, depth && depth <= sizeof(nest) ? nest[depth - 1] : 0)) {
                profile_line_msg(c, line, "a string where a setting's name belongs (a name, then = and the value)");
                return -EINVAL;
            }
            prev = 's';
            /* A backslash takes the next byte with it: \" does not end the string. */
            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1])
                    p++;
                if (*p == '\n')
                    line++;
            }
            if (*p)
                p++;
        } else if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
            while (*p && *p != '\n')
                p++;
        } else if (p[0] == '/' && p[1] == '*') {
            for (p += 2; *p && !(p[0] == '*' && p[1] == '/'); p++)
                if (*p == '\n')
                    line++;
            if (*p)
                p += 2;
        } else if (*p == '@') {
            if (strncmp(p + 1, "include", 7) == 0) {
                profile_line_msg(c, line, "@include is not supported: every area belongs in this one file");
                return -EINVAL;
            }
            p++;
        } else if (profile_is_alpha(*p) || *p == '*') {
            const char *q = p + profile_span(p, profile_is_name_char), *r = q;

            while (*r == ' ' || *r == '\t' || *r == '\r' || *r == '\n' || *r == '\f')
                r++;
            if (*r == '=' || *r == ':') {
                key = p;
                keylen = q - p > 40 ? 40 : (int)(q - p);
            }
            prev = 'n';
            p = q;
        } else if (profile_is_digit(*p) || *p == '.' ||
                   ((*p == '-' || *p == '+') && (profile_is_digit(p[1]) || p[1] == '.'))) {
            const char *digits;
            int base = 10;
            size_t len = profile_number_len(p, &digits, &base);

            prev = '1';
            if (len == 0) {
                p++;
                continue;
            }
            if (digits && !profile_fits(digits + (base == 10 && (*digits == '-' || *digits == '+')), base)) {
                int shown = len > 32 ? 32 : (int)len;

                profile_line_msg(c, line, "%.*s%s%.*s%s is too large a number; no profile setting goes beyond "
                                 "+/-2147483647", keylen, key ? key : "", key ? " = " : "", shown, p,
                                 len > 32 ? "..." : "");
                return -EINVAL;
            }
            p += len;
        } else {
            if (*p == '{' || *p == '(' || *p == '[') {
                if (depth < sizeof(nest))
                    nest[depth] = *p;
                depth++;
            } else if ((*p == '}' || *p == ')' || *p == ']') && depth > 0) {
                depth--;
            }
            if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\f')
                prev = *p;
            p++;
        }
    }
    return 0;
}

/* *out is written only on success, so a failed reload keeps the old profile. */
int profile_parse(const char *text, const char *name, struct profile *out, char *err, size_t errlen)
{
    struct profile_ctx c = { name ? name : "<string>", err, errlen };
    struct profile *tmp;
    config_t cfg;
    int rc;

    if (err && errlen)
        err[0] = '\0';
    if (!text || !out) {
        profile_msg(&c, NULL, "no text to parse");
        return -EINVAL;
    }
    rc = profile_scan(&c, text);
    if (rc)
        return rc;
    tmp = calloc(1, sizeof(*tmp));
    if (!tmp) {
        profile_msg(&c, NULL, "out of memory");
        return -ENOMEM;
    }
    config_init(&cfg);
    if (config_read_string(&cfg, text) != CONFIG_TRUE) {
        const char *file = config_error_file(&cfg) ? config_error_file(&cfg) : c.name;
        const char *what = config_error_text(&cfg) ? config_error_text(&cfg) : "cannot be parsed";

        if (err && errlen) {
            if (config_error_line(&cfg) > 0)
                snprintf(err, errlen, "%s:%d: %s", file, config_error_line(&cfg), what);
            else
                snprintf(err, errlen, "%s: %s", file, what);
        }
        rc = -EINVAL;
    } else {
        rc = profile_from_config(&c, &cfg, tmp);
        if (rc == 0)
            memcpy(out, tmp, sizeof(*out));
    }
    config_destroy(&cfg);
    free(tmp);
    return rc;
}

/* The file is read here rather than by config_read_file() so that a missing
 * or unreadable file gets its real errno, a FIFO or device is refused without
 * blocking the event loop, and the size is bounded. */
int profile_load(const char *path, struct profile *out, char *err, size_t errlen)
{
    struct profile_ctx c = { path ? path : "<null>", err, errlen };
    char *text;
    size_t len;
    int rc;

    if (err && errlen)
        err[0] = '\0';
    if (!path || !out) {
        profile_msg(&c, NULL, "no file to load");
        return -EINVAL;
    }
    rc = textfile_read(path, PROFILE_FILE_MAX, &text, &len, err, errlen);
    if (rc < 0)
        return rc;
    if (strlen(text) != len) {
        const char *nul = text + strlen(text), *bol = text;
        unsigned line = 1;

        for (const char *q = text; q < nul; q++) {
            if (*q == '\n') {
                line++;
                bol = q + 1;
            }
        }
        rc = -EINVAL;
        profile_line_msg(&c, line, "contains a NUL byte (column %zu); not a text file", (size_t)(nul - bol) + 1);
    } else {
        rc = profile_parse(text, path, out, err, errlen);
    }
    free(text);
    return rc;
}

bool profile_area_is(const struct profile_area *a, const char *name)
{
    char want[PROFILE_NAME_LEN], k[PROFILE_NAME_LEN];

    if (!a || !name || profile_key_of(name, want) != 0 || want[0] == '\0')
        return false;
    if (profile_key_of(a->name, k) == 0 && strcmp(k, want) == 0)
        return true;
    for (unsigned j = 0; j < a->n_aliases && j < PROFILE_MAX_ALIASES; j++)
        if (profile_key_of(a->aliases[j], k) == 0 && strcmp(k, want) == 0)
            return true;
    return false;
}

const struct profile_area *profile_find(const struct profile *p, const char *name)
{
    if (!p)
        return NULL;
    for (unsigned i = 0; i < p->n && i < PROFILE_MAX_AREAS; i++)
        if (profile_area_is(&p->areas[i], name))
            return &p->areas[i];
    return NULL;
}

/* Whole names only: a list cut inside a name would name an area that does
 * not exist. What does not fit is shown as "...". */
void profile_names(const struct profile *p, char *buf, size_t len)
{
    size_t used = 0;
    unsigned i;

    if (!buf || len == 0)
        return;
    buf[0] = '\0';
    if (!p)
        return;
    for (i = 0; i < p->n && i < PROFILE_MAX_AREAS; i++) {
        const char *sep = i ? ", " : "";
        size_t need = strlen(sep) + strlen(p->areas[i].name);

        if (used + need >= len) {
            /* Room for "..." (with its separator) or nothing more. */
            if (used + strlen(sep) + 3 < len)
                snprintf(buf + used, len - used, "%s...", sep);
            return;
        }
        used += (size_t)snprintf(buf + used, len - used, "%s%s", sep, p->areas[i].name);
    }
}

const struct profile_routine *profile_routine_find(const struct profile *p, const char *name)
{
    char want[PROFILE_NAME_LEN], k[PROFILE_NAME_LEN];

    if (!p || !name || profile_key_of(name, want) != 0 || want[0] == '\0')
        return NULL;
    for (unsigned i = 0; i < p->n_routines && i < PROFILE_MAX_ROUTINES; i++)
        if (profile_key_of(p->routines[i].name, k) == 0 && strcmp(k, want) == 0)
            return &p->routines[i];
    return NULL;
}

static const char *const profile_side_names[] = {
    [PROFILE_SIDE_LEFT] = "left",
    [PROFILE_SIDE_RIGHT] = "right",
};

const char *profile_side_name(enum profile_side side)
{
    return side == PROFILE_SIDE_LEFT || side == PROFILE_SIDE_RIGHT ? profile_side_names[side] : NULL;
}

int profile_side_of(const char *name, enum profile_side *out)
{
    for (unsigned i = PROFILE_SIDE_LEFT; name && i <= PROFILE_SIDE_RIGHT; i++)
        if (strcasecmp(name, profile_side_names[i]) == 0) {
            *out = (enum profile_side)i;
            return 0;
        }
    return -1;
}
