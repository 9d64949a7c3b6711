/* SPDX-License-Identifier: MIT */
/* carecmd.c - the control protocol's care requests: check-ins, red flags, history, and when to see a professional. */
#include "carecmd.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "advice.h"
#include "clock.h"
#include "journal.h"
#include "knot/control.h"
#include "knotd.h"
#include "log.h"
#include "reply.h"
#include "request.h"

#define CARECMD_DAYS_DEFAULT 14
#define CARECMD_DAYS_MAX 365
#define CARECMD_REPLY_MAX (48 * 1024)   /* a history reply stays well inside CTL_OUT_MAX */

static json_object *carecmd_flag_array(unsigned flags)
{
    json_object *arr = json_object_new_array();

    for (unsigned bit = 1; bit & CARE_FLAGS_ALL; bit <<= 1)
        if (flags & bit)
            json_object_array_add(arr, json_object_new_string(care_flag_name(bit)));
    return arr;
}

/* "calves", and on a side one limb: "left calf" where the profile knows the
 * singular of the name's first word as an alias ("calf", "glute"), else
 * "calves (left)". Returns true when the words name one limb (singular). */
bool carecmd_lower(char *buf, size_t len, const struct profile_area *a, enum profile_side side)
{
    char one[PROFILE_NAME_LEN];
    size_t n = strcspn(a->name, "-");
    bool single = false;

    /* "calves" -> "calf", "quads" -> "quad" */
    if (n > 3 && strncmp(a->name + n - 3, "ves", 3) == 0)
        snprintf(one, sizeof(one), "%.*sf", (int)(n - 3), a->name);
    else if (n > 1 && a->name[n - 1] == 's' && a->name[n - 2] != 's')
        snprintf(one, sizeof(one), "%.*s", (int)(n - 1), a->name);
    else
        one[0] = '\0';
    for (unsigned i = 0; side != PROFILE_SIDE_NONE && one[0] && i < a->n_aliases && i < PROFILE_MAX_ALIASES; i++)
        single = single || strcmp(a->aliases[i], one) == 0;
    if (single)
        snprintf(buf, len, "%s %s", profile_side_name(side), one);
    else if (profile_side_name(side))
        snprintf(buf, len, "%s (%s)", a->title, profile_side_name(side));
    else
        snprintf(buf, len, "%s", a->title);
    for (size_t i = 0; buf[i]; i++)
        if (buf[i] >= 'A' && buf[i] <= 'Z')
            buf[i] = (char)(buf[i] - 'A' + 'a');
    return single;
}

/* " --side left" for a command line that names a side, else "". */
static const char *carecmd_side_arg(enum profile_side side)
{
    return side == PROFILE_SIDE_LEFT ? " --side left" : side == PROFILE_SIDE_RIGHT ? " --side right" : "";
}

json_object *carecmd_state(uid_t uid, const struct profile_area *a, enum profile_side side)
{
    struct care_state st;
    json_object *o;
    char advice[1024] = "", area[sizeof(a->title) + 8];
    time_t wall = time(NULL);
    bool single;

    care_check(&knotd.care, uid, a, side, clock_local_day(wall), clock_day_start_ms(wall, clock_boot_ms()), &st);
    if (!st.flags && !st.see_therapist && !st.pain_stop)
        return NULL;
    single = carecmd_lower(area, sizeof(area), a, side);

    o = json_object_new_object();
    json_object_object_add(o, "area", json_object_new_string(a->name));
    json_object_object_add(o, KNOT_K_SIDE, profile_side_name(side) ? json_object_new_string(profile_side_name(side))
                                                                   : NULL);
    json_object_object_add(o, "red_flags", carecmd_flag_array(st.flags));
    json_object_object_add(o, "pain_stop", json_object_new_boolean(st.pain_stop));
    json_object_object_add(o, "see_therapist", json_object_new_boolean(st.see_therapist));
    json_object_object_add(o, "treated_days", json_object_new_int((int)st.treated_days));
    json_object_object_add(o, "window_days", json_object_new_int(CARE_WINDOW_DAYS));
    json_object_object_add(o, "first_pain", st.first_pain < 0 ? NULL : json_object_new_int(st.first_pain));
    json_object_object_add(o, "last_pain", st.last_pain < 0 ? NULL : json_object_new_int(st.last_pain));
    if (st.flags) {
        char flags[128];
        size_t n;

        care_flag_names(st.flags, flags, sizeof(flags));
        n = (size_t)snprintf(advice, sizeof(advice), "Your %s: %s. ", area, flags);
        if (n < sizeof(advice))
            advice_red_flags(st.flags, advice + n, sizeof(advice) - n);
        n = strlen(advice);
        n += (size_t)snprintf(advice + n, sizeof(advice) - n, " The massager stays off your %s until you clear it "
                              "knowingly: knotctl checkin %s%s --clear.", area, a->name, carecmd_side_arg(side));
        /* The guide's red flags (numbness, a tear's swelling, bruising, weakness) are about that limb. */
        if (side != PROFILE_SIDE_NONE && n < sizeof(advice))
            snprintf(advice + n, sizeof(advice) - n, " This is about that limb: it does not block your %s side.",
                     side == PROFILE_SIDE_LEFT ? "right" : "left");
    } else if (st.pain_stop) {
        /* The guide: "back off immediately"; "sudden and severe: stop the self-massage and see a doctor". */
        snprintf(advice, sizeof(advice), "Your %s still hurt at the lowest level today: stop for today. If the pain "
                 "was sharp or sudden, or there is swelling, bruising or weakness, see a doctor. The massager stays "
                 "off your %s until tomorrow, or until you lift it knowingly: knotctl checkin %s%s --clear.", area,
                 area, a->name, carecmd_side_arg(side));
    } else {
        char pain[64];

        if (st.first_pain >= 0 && st.checkin_days >= 2)
            snprintf(pain, sizeof(pain), "pain %d, then %d", st.first_pain, st.last_pain);
        else
            snprintf(pain, sizeof(pain), "%s", st.checkin_days ? "no check-ins on two days to show it is better"
                                                                 : "no check-in to show it is better");
        snprintf(advice, sizeof(advice), "Your %s %s treated on %u of the last %d days, %s. %s", area,
                 single ? "was" : "were",
                 st.treated_days, CARE_WINDOW_DAYS, pain, advice_therapist);
    }
    json_object_object_add(o, KNOT_K_ADVICE, json_object_new_string(advice));
    return o;
}

bool carecmd_flagged(uid_t uid, const struct profile_area *a, enum profile_side side)
{
    struct care_state st;
    time_t wall = time(NULL);

    care_check(&knotd.care, uid, a, side, clock_local_day(wall), clock_day_start_ms(wall, clock_boot_ms()), &st);
    return st.flags != 0;
}

json_object *carecmd_refusal(uid_t uid, const struct profile_area *a, enum profile_side side)
{
    json_object *st = carecmd_state(uid, a, side), *flags = NULL, *o;
    bool flagged, stopped;

    flagged = st && json_object_object_get_ex(st, "red_flags", &flags) && json_object_array_length(flags) > 0;
    stopped = st && json_object_get_boolean(json_object_object_get(st, "pain_stop"));
    if (!flagged && !stopped) {
        json_object_put(st);
        return NULL;
    }
    /* A red flag first: it says whom to see; a pain stop only waits for tomorrow. */
    o = reply_error(flagged ? KNOT_E_RED_FLAG : KNOT_E_PAIN_STOP, "%s",
                    json_object_get_string(json_object_object_get(st, KNOT_K_ADVICE)));
    if (flagged)
        json_object_object_add(o, "red_flags", json_object_get(flags));
    json_object_put(st);
    return o;
}

/* checkin's red flags: an array of known names. 0, or -1 with *err. */
static int carecmd_flags(json_object *req, unsigned *flags, json_object **err)
{
    json_object *arr;

    *flags = 0;
    if (!json_object_object_get_ex(req, "flags", &arr))
        return 0;
    if (!json_object_is_type(arr, json_type_array)) {
        *err = reply_error(KNOT_E_BAD_REQUEST, "'flags' must be an array of strings");
        return -1;
    }
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        json_object *v = json_object_array_get_idx(arr, i);
        unsigned f = json_object_is_type(v, json_type_string) ? care_flag_of(json_object_get_string(v)) : 0;

        if (!f) {
            *err = reply_error(KNOT_E_BAD_REQUEST, "flags[%zu] is not one of numbness, tingling, weakness, "
                                  "swelling, bruising, sleep", i);
            return -1;
        }
        *flags |= f;
    }
    return 0;
}

/* A check-in's note: valid UTF-8 (request_string), no control character, at most CARE_NOTE_MAX bytes. */
static int carecmd_note(json_object *req, const char **note, json_object **err)
{
    char why[REQUEST_WHY_MAX];
    int rc = request_string(req, "note", note, why, sizeof(why));

    if (rc == REQUEST_WRONG) {
        *err = reply_error(KNOT_E_BAD_REQUEST, "%s", why);
        return -1;
    }
    if (rc == REQUEST_ABSENT)
        *note = "";
    if (strlen(*note) > CARE_NOTE_MAX) {
        *err = reply_error(KNOT_E_BAD_REQUEST, "'note' is %zu bytes long, the limit is %d", strlen(*note),
                              CARE_NOTE_MAX);
        return -1;
    }
    return 0;
}

json_object *carecmd_checkin(const struct ctl_peer *peer, json_object *req, const struct profile_area *a,
                             enum profile_side side)
{
    char why[JOURNAL_WHY_MAX];
    json_object *err = NULL, *o, *st;
    const char *note;
    unsigned flags;
    int64_t pain = -1;
    bool clear = false;
    int rc;

    if (request_bool(req, "clear", &clear, why, sizeof(why)) == REQUEST_WRONG)
        return reply_error(KNOT_E_BAD_REQUEST, "%s", why);
    rc = request_int(req, "pain", &pain, why, sizeof(why));
    if (rc == REQUEST_WRONG)
        return reply_error(KNOT_E_BAD_REQUEST, "%s", why);
    if (rc == REQUEST_ABSENT)
        pain = -1;   /* flags alone: no pain given */
    if (rc == REQUEST_PRESENT && (pain < 0 || pain > CARE_PAIN_MAX))
        return reply_error(KNOT_E_BAD_REQUEST, "pain %lld is not on the scale 0 (none) to 10 (the worst)",
                              (long long)pain);
    if (carecmd_flags(req, &flags, &err) < 0 || carecmd_note(req, &note, &err) < 0)
        return err;
    if (clear && (rc == REQUEST_PRESENT || flags || note[0]))
        return reply_error(KNOT_E_BAD_REQUEST, "a clear is a check-in of its own: no pain, flags or note with it");
    if (!clear && rc == REQUEST_ABSENT && !flags)
        return reply_error(KNOT_E_BAD_REQUEST, "checkin needs 'pain' (0-10) or 'flags', or 'clear'");
    /* On record first: a check-in the journal does not keep is not taken
     * (a red flag that a restart forgot would let the massager back on). */
    if (clear)
        rc = journal_cleared(peer->uid, a->name, side, why, sizeof(why));
    else
        rc = journal_checkin(peer->uid, a->name, side, (int)pain, flags, note, why, sizeof(why));
    if (rc < 0)
        return reply_error(KNOT_E_JOURNAL, "%s; the check-in is not taken", why);
    if (clear) {
        care_clear(&knotd.care, peer->uid, a, a->name, side, clock_local_day(time(NULL)));
        log_info("uid %u cleared the red flags and any pain stop of %s%s%s", (unsigned)peer->uid, a->name,
                 side ? " " : "", side ? profile_side_name(side) : "");
    } else if (!care_checkin(&knotd.care, peer->uid, a->name, side, clock_local_day(time(NULL)), (int)pain, flags)) {
        /* On record, so a restart would block the area: block it now too. */
        return reply_error(KNOT_E_JOURNAL, "knotd holds red flags for %d areas already; this one is on record "
                              "and counts after a restart", CARE_MAX);
    }
    if (flags) {
        char names[128];

        care_flag_names(flags, names, sizeof(names));
        log_info("uid %u: red flag(s) on %s%s%s: %s; percussion there is blocked", (unsigned)peer->uid, a->name,
                 side ? " " : "", side ? profile_side_name(side) : "", names);
    }
    o = reply_ok();
    json_object_object_add(o, "area", json_object_new_string(a->name));
    json_object_object_add(o, KNOT_K_SIDE, profile_side_name(side) ? json_object_new_string(profile_side_name(side))
                                                                   : NULL);
    json_object_object_add(o, "cleared", json_object_new_boolean(clear));
    st = carecmd_state(peer->uid, a, side);
    json_object_object_add(o, "care", st ? st : NULL);
    return o;
}

/* What a history request collects: the person's records of the last days. */
struct carecmd_history {
    uid_t uid;
    const struct profile_area *area;   /* NULL: every area */
    enum profile_side side;            /* NONE: both sides; else that side and the records of none */
    time_t since;
    json_object *sessions, *checkins;
};

static void carecmd_history_cb(const struct journal_rec *r, void *ctx)
{
    struct carecmd_history *h = ctx;
    const struct profile_area *a;
    json_object *o;

    /* A red flag restated at a rotation is not something the person did then. */
    if (r->uid != h->uid || r->time < h->since || r->carried)
        return;
    /* An area renamed since keeps its history: the name it has now. */
    a = profile_find(knotd.profiles, r->area);
    if ((h->area && !profile_area_is(h->area, r->area)) || !profile_side_covers(r->side, h->side))
        return;
    /* A start the massager refused (the motor never moved, nothing ran) is no session. */
    if (strcmp(r->record, "end") == 0 && !r->ran_ms && !r->peak)
        return;
    o = json_object_new_object();
    json_object_object_add(o, "time", json_object_new_int64((int64_t)r->time));
    json_object_object_add(o, "area", json_object_new_string(a ? a->name : r->area));
    json_object_object_add(o, KNOT_K_SIDE, profile_side_name(r->side) ?
                           json_object_new_string(profile_side_name(r->side)) : NULL);
    if (strcmp(r->record, "checkin") == 0 || strcmp(r->record, "clear") == 0) {
        json_object_object_add(o, "clear", json_object_new_boolean(strcmp(r->record, "clear") == 0));
        json_object_object_add(o, "pain", r->pain < 0 ? NULL : json_object_new_int(r->pain));
        json_object_object_add(o, "flags", carecmd_flag_array(r->flags));
        json_object_object_add(o, "note", json_object_new_string(r->note));
        json_object_array_add(h->checkins, o);
        return;
    }
    json_object_object_add(o, "device", json_object_new_string(r->serial));
    json_object_object_add(o, "ran_s", json_object_new_int64((int64_t)(r->ran_ms / 1000u)));
    json_object_object_add(o, "peak", json_object_new_int((int)r->peak));
    json_object_object_add(o, "target", json_object_new_int((int)r->target));
    json_object_object_add(o, "ouches", json_object_new_int((int)r->ouches));
    /* A start no end followed: running now, or knotd died (counted as run in full). */
    json_object_object_add(o, "end", json_object_new_string(r->open ? "" : r->end));
    json_object_array_add(h->sessions, o);
}

static size_t carecmd_size(json_object *o)
{
    size_t n;

    json_object_to_json_string_length(o, KNOT_JSON_LINE_FLAGS, &n);   /* as ctl will send it */
    return n + 1;
}

/* Oldest entries go until the reply fits: returns the time of the oldest kept, 0 if nothing went. */
static time_t carecmd_trim(json_object *a, json_object *b, size_t budget)
{
    size_t total = carecmd_size(a) + carecmd_size(b);
    time_t cut = 0;

    while (total > budget && (json_object_array_length(a) || json_object_array_length(b))) {
        json_object *x = json_object_array_length(a) ? json_object_array_get_idx(a, 0) : NULL;
        json_object *y = json_object_array_length(b) ? json_object_array_get_idx(b, 0) : NULL;
        int64_t tx = x ? json_object_get_int64(json_object_object_get(x, "time")) : INT64_MAX;
        int64_t ty = y ? json_object_get_int64(json_object_object_get(y, "time")) : INT64_MAX;
        json_object *arr = tx <= ty ? a : b;

        total -= carecmd_size(json_object_array_get_idx(arr, 0));   /* the element and its comma */
        json_object_array_del_idx(arr, 0, 1);
        cut = (time_t)(tx <= ty ? tx : ty) + 1;
    }
    return cut;
}

json_object *carecmd_history(const struct ctl_peer *peer, json_object *req)
{
    struct carecmd_history h = { .uid = peer->uid };
    char why[JOURNAL_WHY_MAX];
    const char *area_name = NULL, *side_name = NULL;
    json_object *o, *advice;
    int64_t days = CARECMD_DAYS_DEFAULT;
    time_t cut;
    int rc;

    rc = request_string(req, KNOT_K_AREA, &area_name, why, sizeof(why));
    if (rc == REQUEST_WRONG)
        return reply_error(KNOT_E_BAD_REQUEST, "%s", why);
    if (rc == REQUEST_PRESENT && !(h.area = profile_find(knotd.profiles, area_name)))
        return reply_unknown_area(knotd.profiles, area_name);
    rc = request_string(req, KNOT_K_SIDE, &side_name, why, sizeof(why));
    if (rc == REQUEST_WRONG)
        return reply_error(KNOT_E_BAD_REQUEST, "%s", why);
    if (rc == REQUEST_PRESENT && profile_side_of(side_name, &h.side) < 0)
        return reply_error(KNOT_E_BAD_REQUEST, "'side' must be \"left\" or \"right\"");
    rc = request_int(req, "days", &days, why, sizeof(why));
    if (rc == REQUEST_WRONG)
        return reply_error(KNOT_E_BAD_REQUEST, "%s", why);
    if (rc == REQUEST_ABSENT)
        days = CARECMD_DAYS_DEFAULT;
    if (days < 1 || days > CARECMD_DAYS_MAX)
        return reply_error(KNOT_E_BAD_REQUEST, "days %lld: 1 to %d", (long long)days, CARECMD_DAYS_MAX);
    /* Whole local days: today and the days-1 before it. */
    {
        time_t now = time(NULL);
        struct tm tm;

        localtime_r(&now, &tm);
        tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
        tm.tm_mday -= (int)days - 1;
        tm.tm_isdst = -1;
        h.since = mktime(&tm);
    }
    h.sessions = json_object_new_array();
    h.checkins = json_object_new_array();
    /* A regular file of bounded size (rotation) that nobody can make wait. */
    if (journal_replay(carecmd_history_cb, &h, why, sizeof(why)) < 0) {
        json_object_put(h.sessions);
        json_object_put(h.checkins);
        return reply_error(KNOT_E_JOURNAL, "%s", why);
    }
    cut = carecmd_trim(h.sessions, h.checkins, CARECMD_REPLY_MAX);
    o = reply_ok();
    json_object_object_add(o, "days", json_object_new_int((int)days));
    json_object_object_add(o, "since", json_object_new_int64((int64_t)(cut > h.since ? cut : h.since)));
    json_object_object_add(o, "truncated", json_object_new_boolean(cut != 0));
    json_object_object_add(o, "sessions", h.sessions);
    json_object_object_add(o, "checkins", h.checkins);
    advice = carecmd_advice_list(peer->uid, h.area, h.side);
    json_object_object_add(o, "care", advice);
    return o;
}

json_object *carecmd_advice_list(uid_t uid, const struct profile_area *only, enum profile_side only_side)
{
    json_object *arr = json_object_new_array();

    for (unsigned i = 0; i < knotd.profiles->n; i++) {
        const struct profile_area *a = &knotd.profiles->areas[i];
        json_object *st;

        if (only && only != a)
            continue;
        /* An area with sides: each side says its own. */
        for (unsigned side = a->sides ? PROFILE_SIDE_LEFT : PROFILE_SIDE_NONE;
             side <= (a->sides ? PROFILE_SIDE_RIGHT : PROFILE_SIDE_NONE); side++)
            if ((!only_side || side == only_side) && (st = carecmd_state(uid, a, (enum profile_side)side)))
                json_object_array_add(arr, st);
    }
    return arr;
}
