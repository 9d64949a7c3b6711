/* SPDX-License-Identifier: MIT */
/* words.c - the small pieces knotctl's sentences are built from: a tool with its article, a title inside a sentence, times as a person says them. */
#include "words.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void words_lower(char *buf, size_t len, const char *text)
{
    size_t i;

    if (len == 0)
        return;
    for (i = 0; text[i] && i + 1 < len; i++)
        buf[i] = text[i] >= 'A' && text[i] <= 'Z' ? (char)(text[i] - 'A' + 'a') : text[i];
    buf[i] = '\0';
}

/* Tools a sentence names without "a": they say whose or which already. */
static const char *const words_own_article[] = { "your ", "the ", "a ", "an ", "my " };

/* The code point of the UTF-8 sequence at s (its length in *n), or -1. */
static long words_code_point(const unsigned char *s, size_t *n)
{
    if (s[0] < 0x80) {
        *n = 1;
        return s[0];
    }
    if ((s[0] & 0xe0) == 0xc0 && (s[1] & 0xc0) == 0x80) {
        *n = 2;
        return ((long)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
    }
    if ((s[0] & 0xf0) == 0xe0 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80) {
        *n = 3;
        return ((long)(s[0] & 0x0f) << 12) | ((long)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
    }
    if ((s[0] & 0xf8) == 0xf0 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80) {
        *n = 4;
        return ((long)(s[0] & 0x07) << 18) | ((long)(s[1] & 0x3f) << 12) | ((long)(s[2] & 0x3f) << 6) |
               (s[3] & 0x3f);
    }
    *n = 1;
    return -1;
}

/* Characters that reorder or hide what a terminal shows. */
static bool words_unsafe(long cp)
{
    return (cp >= 0x200b && cp <= 0x200f) ||   /* zero-width space/joiners, LRM, RLM */
           (cp >= 0x2028 && cp <= 0x202e) ||   /* line/paragraph separators, embeddings, overrides */
           (cp >= 0x2060 && cp <= 0x2069) ||   /* word joiner, invisible operators, isolates */
           cp == 0x061c || cp == 0xfeff ||     /* Arabic letter mark, zero-width no-break space */
           cp == 0x00ad || cp == 0x180e ||     /* soft hyphen, Mongolian vowel separator */
           (cp >= 0xe0000 && cp <= 0xe007f);   /* tag characters: invisible */
}

void words_safe(char *buf, size_t len, const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t used = 0, n;

    if (!len)
        return;
    while (*s) {
        long cp = words_code_point(s, &n);
        int w;

        if (cp >= 0 && words_unsafe(cp)) {
            w = snprintf(buf + used, len - used, "<U+%04lX>", (unsigned long)cp);
        } else if (used + n < len) {
            memcpy(buf + used, s, n);
            w = (int)n;
        } else {
            break;   /* no room for the whole character */
        }
        if (w < 0 || used + (size_t)w >= len)
            break;
        used += (size_t)w;
        s += n;
    }
    buf[used < len ? used : len - 1] = '\0';
}

/* Levenshtein distance of a and b, both at most 63 bytes (longer: far). */
static unsigned words_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned row[64], prev, cur;

    if (la > 63 || lb > 63)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        row[j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++) {
        prev = row[0];
        row[0] = (unsigned)i;
        for (size_t j = 1; j <= lb; j++) {
            cur = row[j];
            row[j] = prev + (a[i - 1] != b[j - 1]);
            if (row[j - 1] + 1 < row[j])
                row[j] = row[j - 1] + 1;
            if (cur + 1 < row[j])
                row[j] = cur + 1;
            prev = cur;
        }
    }
    return row[lb];
}

void words_wrap(char *text, unsigned width)
{
    char *blank = NULL;     /* the last blank of this line: where it breaks */
    unsigned col = 0, upto_blank = 0;

    for (char *p = text; *p; p++) {
        if (*p == '\n') {
            col = 0;
            blank = NULL;
            continue;
        }
        if (((unsigned char)*p & 0xc0) == 0x80)
            continue;   /* a UTF-8 continuation byte: the same column */
        col++;
        if (*p == ' ') {
            blank = p;
            upto_blank = col;
        }
        if (col > width && blank && blank != p) {
            *blank = '\n';
            col -= upto_blank;
            blank = NULL;
        }
    }
}

const char *words_nearest(const char *word, const char *const *candidates, size_t n)
{
    const char *best = NULL;
    unsigned best_d = 3;

    /* A word cut short names what it begins ("stat": status). */
    for (size_t i = 0; i < n && word[0]; i++)
        if (strncmp(candidates[i], word, strlen(word)) == 0 && (!best || strlen(candidates[i]) < strlen(best)))
            best = candidates[i];
    if (best)
        return best;
    for (size_t i = 0; i < n; i++) {
        unsigned d = words_distance(word, candidates[i]);

        if (d < best_d && 2 * d < strlen(word)) {
            best = candidates[i];
            best_d = d;
        }
    }
    return best;
}

void words_tool(char *buf, size_t len, const char *tool)
{
    char low[128];
    const char *article = "a ";

    words_lower(low, sizeof(low), tool);
    for (size_t i = 0; i < sizeof(words_own_article) / sizeof(words_own_article[0]); i++)
        if (strncmp(low, words_own_article[i], strlen(words_own_article[i])) == 0)
            article = "";
    if (article[0] && low[0] && strchr("aeiou", low[0]))
        article = "an ";
    snprintf(buf, len, "%s%s", article, low);
}

void words_clause(char *buf, size_t len, const char *text)
{
    snprintf(buf, len, "%s", text);
    /* Only a capital followed by a small letter is a sentence's capital. */
    if (len > 1 && buf[0] >= 'A' && buf[0] <= 'Z' && buf[1] >= 'a' && buf[1] <= 'z')
        buf[0] = (char)(buf[0] - 'A' + 'a');
}

void words_seconds(char *buf, size_t len, long long s)
{
    if (s >= 3600 && s % 3600 == 0)
        snprintf(buf, len, "%lld h", s / 3600);
    else if (s >= 60 && s % 60 == 0)
        snprintf(buf, len, "%lld min", s / 60);
    else
        snprintf(buf, len, "%lld s", s);
}

void words_dose(char *buf, size_t len, long long used_s, long long dose_s, bool short_form)
{
    char used[32];

    if (used_s < 0)
        used_s = 0;
    /* Whole minutes as minutes; a part of one as m:ss, never rounded away. */
    if (used_s % 60 == 0)
        snprintf(used, sizeof(used), "%lld", used_s / 60);
    else
        snprintf(used, sizeof(used), "%lld:%02lld", used_s / 60, used_s % 60);
    snprintf(buf, len, "%s%s%lld min", used, short_form ? "/" : " of ", dose_s / 60);
}

void words_clock(char *buf, size_t len, long long unix_time)
{
    time_t at = (time_t)unix_time, now = time(NULL);
    struct tm tm, today;

    if (!localtime_r(&at, &tm) || !localtime_r(&now, &today)) {
        snprintf(buf, len, "?");
        return;
    }
    if (tm.tm_year == today.tm_year && tm.tm_yday == today.tm_yday)
        strftime(buf, len, "%H:%M", &tm);
    else
        strftime(buf, len, "%a %H:%M", &tm);
}

void words_wait(char *buf, size_t len, long long s)
{
    long long min = (s + 59) / 60;

    if (s < 60)
        snprintf(buf, len, "%lld s", s < 0 ? 0 : s);
    else if (min < 60)
        snprintf(buf, len, "%lld min", min);
    else if (min % 60 == 0)
        snprintf(buf, len, "%lld h", min / 60);
    else
        snprintf(buf, len, "%lld h %lld min", min / 60, min % 60);
}

void words_ago(char *buf, size_t len, long long s)
{
    if (s < 0)
        snprintf(buf, len, "never");
    else if (s == 0)
        snprintf(buf, len, "just now");
    else if (s < 60)
        snprintf(buf, len, "%lld s ago", s);
    else if (s < 3600)
        snprintf(buf, len, "%lld min ago", s / 60);
    else
        snprintf(buf, len, "%lld h ago", s / 3600);
}

const char *words_does(const char *title)
{
    size_t n = strcspn(title, "(");   /* "Quads (front of thighs)": the words before the brackets */

    while (n > 0 && title[n - 1] == ' ')
        n--;
    /* A profile's titles are plurals ("Calves", "Glutes/Hips") or a singular ("Upper Back"). */
    return n > 0 && (title[n - 1] == 's' || title[n - 1] == 'S') ? "do" : "does";
}

const char *const words_flag_names[WORDS_FLAGS] = { "numbness", "tingling", "weakness", "swelling", "bruising", "sleep" };

/* Only "sleep" is not said as it is named: it is the pain that disrupts sleep. */
static const struct {
    const char *name, *said;
} words_flag_said[] = {
    { "sleep", "pain that disrupts your sleep" },
};

const char *words_flag(const char *name)
{
    for (size_t i = 0; i < sizeof(words_flag_said) / sizeof(words_flag_said[0]); i++)
        if (strcmp(name, words_flag_said[i].name) == 0)
            return words_flag_said[i].said;
    return name;
}
