/* SPDX-License-Identifier: MIT */
/* side.c - the two sides of paired areas: left and right taken from a command's words ("left calf", "calves left", --side), and a place said as a person says it. */
#include "side.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "jv.h"
#include "words.h"

/* The sides, as knotd names them. */
static const char *const side_names[] = { KNOT_SIDE_LEFT, KNOT_SIDE_RIGHT };

const char *side_word(const char *word)
{
    for (size_t i = 0; i < sizeof(side_names) / sizeof(side_names[0]); i++)
        if (strcasecmp(word, side_names[i]) == 0)
            return side_names[i];
    return NULL;
}

/* A side at the front of one word, "left calf" or "left-calf" (quoted, or
 * typed with a dash as an area of two words is): the side, the rest in *rest. */
static const char *side_prefix(const char *word, const char **rest)
{
    for (size_t i = 0; i < sizeof(side_names) / sizeof(side_names[0]); i++) {
        size_t n = strlen(side_names[i]);

        if (strncasecmp(word, side_names[i], n) == 0 && strchr(" -_", word[n]) && word[n] && word[n + 1]) {
            *rest = word + n + 1;
            return side_names[i];
        }
    }
    return NULL;
}

/* One more side named: it must be the one named before, if any. */
static bool side_agree(const char **side, const char *named)
{
    if (!named)
        return true;
    if (*side && strcmp(*side, named) != 0)
        return false;
    *side = named;
    return true;
}

const char *side_args(char **argv, int *argc, const char **side, char *why, size_t len)
{
    const char *named, *rest = NULL;

    if (*argc < 1)
        return NULL;
    named = side_word(argv[0]);
    if (named) {
        if (*argc < 2 || side_word(argv[1])) {
            snprintf(why, len, "'%s' names a side; the area comes with it, as in '%s calf'", argv[0], named);
            return why;
        }
        /* "left calf": the side first, as said. */
        memmove(argv, argv + 1, (size_t)(*argc - 1) * sizeof(*argv));
        (*argc)--;
    } else if ((named = side_prefix(argv[0], &rest)) != NULL) {
        argv[0] = (char *)rest;
    }
    if (!side_agree(side, named)) {
        snprintf(why, len, "two sides named, left and right: say one");
        return why;
    }
    /* "calves left": the side after the area. */
    if (*argc >= 2 && (named = side_word(argv[1])) != NULL) {
        if (!side_agree(side, named)) {
            snprintf(why, len, "two sides named, left and right: say one");
            return why;
        }
        memmove(argv + 1, argv + 2, (size_t)(*argc - 2) * sizeof(*argv));
        (*argc)--;
    }
    return NULL;
}

/* "calves" -> "calf", "quads" -> "quad": the plurals of a profile's names. */
static void side_singular(char *buf, size_t len, const char *word, size_t n)
{
    if (n > 3 && strncmp(word + n - 3, "ves", 3) == 0)
        snprintf(buf, len, "%.*sf", (int)(n - 3), word);
    else if (n > 1 && word[n - 1] == 's' && word[n - 2] != 's')
        snprintf(buf, len, "%.*s", (int)(n - 1), word);
    else
        snprintf(buf, len, "%.*s", (int)n, word);
}

void side_one(char *buf, size_t len, json_object *area)
{
    const char *name = jv_str(area, "name", "");
    json_object *aliases = jv_arr(area, "aliases");
    char one[64];

    if (len)
        buf[0] = '\0';
    /* The name's first word ("glutes" of "glutes-hips"), one of it: said only when knotd knows it by that name too. */
    side_singular(one, sizeof(one), name, strcspn(name, "-"));
    for (size_t i = 0; one[0] && aliases && i < json_object_array_length(aliases); i++) {
        const char *a = json_object_get_string(json_object_array_get_idx(aliases, i));

        if (a && strcasecmp(a, one) == 0) {
            words_lower(buf, len, a);
            return;
        }
    }
}

void side_place(char *buf, size_t len, json_object *area, const char *side)
{
    char one[64], title[64];

    words_lower(title, sizeof(title), jv_str(area, "title", jv_str(area, "name", "?")));
    side_one(one, sizeof(one), area);
    if (!side || !side[0])
        snprintf(buf, len, "%s", title);
    else if (one[0])
        snprintf(buf, len, "%s %s", side, one);
    else
        snprintf(buf, len, "%s (%s)", title, side);
}

void side_label(char *buf, size_t len, const char *title, const char *side)
{
    if (side && side[0])
        snprintf(buf, len, "%s (%s)", title, side);
    else
        snprintf(buf, len, "%s", title);
}

bool side_has(json_object *area)
{
    json_object *sides = jv_arr(area, "sides");

    return sides && json_object_array_length(sides) > 0;
}

json_object *side_today(json_object *area, const char *side)
{
    json_object *by_side = jv_obj(area, "by_side");

    if (by_side && side)
        return jv_obj(by_side, side);
    return jv_obj(area, "today");
}
