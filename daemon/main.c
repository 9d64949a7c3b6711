/* SPDX-License-Identifier: MIT */
/* main.c - knotd: options, start-up, signals (via the loop), reload and orderly shutdown. */
#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <limits.h>
#include <systemd/sd-id128.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "commands.h"
#include "config.h"
#include "ctl.h"
#include "idle.h"
#include "journal.h"
#include "knot/control.h"
#include "knot/files.h"
#include "knot/proto.h"
#include "knotd.h"
#include "log.h"
#include "massager.h"
#include "notify.h"
#include "notifymsg.h"
#include "profile.h"
#include "timeline.h"
#include "usb.h"
#include "view.h"


struct knotd knotd;

#define MAIN_IDLE_LOOK_MS 1000   /* how often the idle exit looks: its granularity */

static struct idle main_idle;
static char main_boot[TIMELINE_BOOT_LEN];   /* this boot's id: SD_ID128_STRING_MAX is 33 */
static struct event *main_idle_ev;

static void main_usage(FILE *f)
{
    fprintf(f,
        "Usage: knotd [OPTION...]\n"
        "Drive USB percussion massagers safely: lowest speed first, gentle ramp,\n"
        "per-area limits, automatic stop. Controlled with knotctl(1).\n\n"
        "  -c, --config FILE   settings file (default %s if it exists, else the package's %s)\n"
        "      --check-config  validate the settings and profiles, then exit\n"
        "  -v, --verbose       log debug messages\n"
        "  -h, --help          show this help\n"
        "  -V, --version       show the version\n",
        KNOT_CONFDIR "/knotd.conf", KNOT_PKGDATADIR "/knotd.conf");
}

/* Settings and profiles together: both valid, or neither is taken. Returns
 * CONFIG_ABSENT when there was no settings file and the defaults apply. */
static const char *main_config_given;   /* -c FILE */

/* -c FILE, or the knotd.conf that applies now: the admin's, else the
 * package's (looked up again at every reload: a local copy made since wins). */
static const char *main_config_path(void)
{
    static char found[CONFIG_PATH_LEN + 16];

    if (main_config_given)
        return main_config_given;
    return knot_file(KNOT_CONFDIR, KNOT_PKGDATADIR, "knotd.conf", found, sizeof(found));
}

/* The settings file knotd runs on, as the version reply names it: a copy
 * taken when a load succeeds (main_config_path's buffer is reused by the
 * next lookup, and a rejected reload must not change what knotd says). */
static void main_config_keep(const char *path)
{
    static char kept[CONFIG_PATH_LEN + 16 + PATH_MAX];
    char whole[PATH_MAX];

    /* A relative -c FILE is knotd's own cwd's: a client elsewhere (doctor)
     * needs the whole path to find it. */
    if (path[0] != '/' && realpath(path, whole))
        path = whole;
    snprintf(kept, sizeof(kept), "%s", path);
    knotd.config_path = kept;
}

static int main_load(const char *path, struct config *cfg, struct profile *prof)
{
    char err[512];
    int rc, absent;

    config_defaults(cfg);
    rc = config_load(path, cfg, err, sizeof(err));
    if (rc < 0) {
        log_error("%s", err);
        return rc;
    }
    absent = rc == CONFIG_ABSENT;
    if (absent)
        log_info("%s", err); /* the one line that says so */
    rc = profile_load(cfg->profiles, prof, err, sizeof(err));
    if (rc < 0) {
        log_error("%s", err);
        return rc;
    }
    return absent ? CONFIG_ABSENT : 0;
}

/* The reloaded profiles, applied to running sessions where stricter: a lower
 * maximum or a shorter time at once, a removed or closed area stops
 * (session_reload); anything looser waits for the next session. */
static void main_reload_sessions(void)
{
    for (struct massager *m = massager_first(); m; m = m->next) {
        const struct profile_area *a;
        struct profile_area capped;

        massager_catch_up(m);
        if (!session_running(&m->sess))
            continue;
        a = profile_find(knotd.profiles, m->sess.area.name);
        /* A lower dose_min counts too: the session may run only what is left
         * of the new day's dose (rest.c; this session's time is not yet charged). */
        if (a && a->gun_allowed) {
            uint64_t boot = clock_boot_ms();
            struct rest_state rs;

            rest_check(&knotd.rest, m->uid, a, m->side, boot, clock_day_start_ms(time(NULL), boot), &rs);
            if (rs.dose_used_ms + (uint64_t)a->session_s * 1000u > rs.dose_ms) {
                capped = *a;
                capped.session_s = rs.dose_ms > rs.dose_used_ms ? (unsigned)((rs.dose_ms - rs.dose_used_ms) / 1000u)
                                                                : 0;
                a = &capped;
            }
        }
        if (session_reload(&m->sess, a, clock_now_ms()) == SESSION_GONE) {
            log_warning("%s: the %s session stops: the reloaded profiles remove the area, close it to the massager "
                        "or leave nothing of today's dose", m->serial, m->sess.area.name);
            massager_stop(m, SESSION_END_PROFILE);
            continue;
        }
        log_info("%s: the %s session runs on under the reloaded profile: level %u, target %u of max %u, %u s left",
                 m->serial, m->sess.area.name, session_level(&m->sess), m->sess.target, m->sess.max_level,
                 session_left_s(&m->sess, clock_now_ms()));
        massager_run(m);
    }
}

/* A red flag or a pain stop on an area the new profiles no longer know (a
 * rename without the old name kept as an alias, a removal) would silently
 * stop holding: such profiles are rejected, with what to do. Returns how many. */
static unsigned main_reload_orphans(const struct profile *prof, const char *path)
{
    int64_t today_ms = clock_day_start_ms(time(NULL), clock_boot_ms());
    unsigned n = 0;

    for (unsigned i = 0; i < knotd.care.n; i++) {
        const struct care_entry *e = &knotd.care.e[i];
        bool stopped_today = e->pain_stop && e->pain_ms >= today_ms;   /* as care_check() reads it */

        if ((e->flags || stopped_today) && !profile_find(prof, e->area)) {
            log_error("%s: no area is named '%s' or has it as an alias, but uid %u has a %s there: keep '%s' in "
                      "the renamed area's aliases (or clear it first)", path, e->area, (unsigned)e->uid,
                      e->flags ? "red flag" : "stop for today", e->area);
            n++;
        }
    }
    return n;
}

/* After a journal rotation: every red flag still in force, restated in the
 * new file, so that the next rotation cannot drop it (journal_on_rotate). */
static void main_carry_flags(void *ctx)
{
    char why[JOURNAL_WHY_MAX];

    (void)ctx;
    for (unsigned i = 0; i < knotd.care.n; i++) {
        const struct care_entry *e = &knotd.care.e[i];

        if (e->flags && journal_carry(e->uid, e->area, e->side, e->flags, why, sizeof(why)) < 0)
            log_error("%s: uid %u's red flag on %s is not carried into the new journal file; it holds while knotd "
                      "runs", why, (unsigned)e->uid, e->area);
    }
}

static void main_reload(void)
{
    struct config cfg;
    struct profile *prof = malloc(sizeof(*prof));
    const char *path;
    int loaded;

    notify_reloading();
    path = main_config_path();

    if (!prof || (loaded = main_load(path, &cfg, prof)) < 0 || main_reload_orphans(prof, cfg.profiles) > 0) {
        log_error("reload rejected; the previous settings and profiles stay in force");
        free(prof);
        notify_ready();
        return;
    }
    main_config_keep(path);
    knotd.config_absent = loaded == CONFIG_ABSENT;
    if (strcmp(cfg.socket, knotd.cfg.socket) || cfg.n_ids != knotd.cfg.n_ids ||
        memcmp(cfg.ids, knotd.cfg.ids, sizeof(cfg.ids[0]) * cfg.n_ids))
        log_warning("socket and usb ids changes take effect at the next restart");
    /* Running sessions hold their own copy of their area: swapping is safe. */
    free(knotd.profiles);
    knotd.profiles = prof;
    main_reload_sessions();
    snprintf(cfg.socket, sizeof(cfg.socket), "%s", knotd.cfg.socket);
    memcpy(cfg.ids, knotd.cfg.ids, sizeof(cfg.ids));
    cfg.n_ids = knotd.cfg.n_ids;
    knotd.cfg = cfg;
    log_set_level((enum log_level)cfg.log_level);
    ctl_set_max_clients(cfg.max_clients);
    idle_set_limit(&main_idle, cfg.idle_exit_s);
    journal_set_path(cfg.journal);
    journal_make_dir();
    {
        char why[JOURNAL_WHY_MAX];
        journal_usable(why, sizeof(why));   /* a new path is checked now, not at the next start */
    }
    log_info("reloaded %s and %s (%u areas)", knotd.config_path, cfg.profiles, prof->n);
    notify_ready();
}

/* poll(2), not epoll: epoll refuses fds of regular files, which is what usbfs
 * nodes are under emulation (umockdev), and knotd watches a handful of fds. */
static struct event_base *main_event_base(void)
{
    struct event_config *ec = event_config_new();
    struct event_base *base;

    if (!ec)
        return NULL;
    event_config_avoid_method(ec, "epoll");
    base = event_base_new_with_config(ec);
    event_config_free(ec);
    return base;
}

/* The replay's view of now: both clocks, once, and what it found. */
struct main_replay {
    struct timeline_now now;
    int64_t day_ms;        /* today's local midnight on the boot clock */
    unsigned restored;     /* rests still due */
    unsigned ahead;        /* records from the future: the wall clock went back */
    int64_t ahead_s;       /* the furthest of them */
    int64_t moved_s;       /* the largest wall-clock step since a record of this boot */
};

/* The care record: check-ins, clears, pain stops, and the days each area was treated. */
static void main_restore_care(const struct journal_rec *r, int64_t day, int64_t at_ms)
{
    uid_t uid = r->uid == JOURNAL_ANYONE ? CARE_ANYONE : r->uid;

    if (strcmp(r->record, "checkin") == 0)
        care_checkin(&knotd.care, uid, r->area, r->side, day, r->pain, r->flags);
    else if (strcmp(r->record, "clear") == 0)
        care_clear(&knotd.care, uid, profile_find(knotd.profiles, r->area), r->area, r->side, day);
    else {
        if (r->ran_ms > 0)
            care_treated(&knotd.care, uid, r->area, r->side, day);
        if (strcmp(r->end, KNOT_END_PAIN) == 0)
            care_pain_stop(&knotd.care, uid, r->area, r->side, day, at_ms);
    }
}

static int64_t main_abs(int64_t v)
{
    return v < 0 ? -v : v;
}

/* What the journal remembers holds again, each record placed on this boot's
 * clock (timeline.h): a rest still due (never longer than any area could
 * owe), today's running time toward each area's dose, and the care record's
 * days as the wall clock reads them now. A record without a time counts as
 * written now. */
static void main_restore_cb(const struct journal_rec *r, void *ctx)
{
    struct main_replay *rp = ctx;
    const uint64_t longest_ms = ((uint64_t)PROFILE_SESSION_MAX_S + PROFILE_COOLDOWN_MAX_S) * 1000u;
    const struct timeline_mark mark = { r->time ? r->time : rp->now.wall, r->boot, r->boot_ms };
    enum timeline_clock how;
    int64_t moved, at = timeline_at_ms(&rp->now, &mark, &how, &moved);
    time_t when = rp->now.wall - (time_t)(((int64_t)rp->now.boot_ms - at) / 1000);
    uint64_t left;

    if (how == TIMELINE_FUTURE && moved >= TIMELINE_BEHIND_S) {
        rp->ahead++;
        rp->ahead_s = moved > rp->ahead_s ? moved : rp->ahead_s;
    } else if (how == TIMELINE_BOOT && main_abs(moved) > main_abs(rp->moved_s)) {
        rp->moved_s = moved;
    }
    main_restore_care(r, clock_local_day(when), at);
    if (strcmp(r->record, "start") && strcmp(r->record, "end"))
        return;
    left = timeline_rest_left_ms(&rp->now, &mark, r->until, longest_ms);
    if (left)
        rp->restored++;
    rest_restore(&knotd.rest, r->uid == JOURNAL_ANYONE ? REST_ANYONE : r->uid, r->area, r->side,
                 left ? rp->now.boot_ms + left : 0, r->ran_ms, at, rp->day_ms);
}

/* The journal read back into rest and care; what the clocks did is logged. */
static void main_replay_journal(void)
{
    struct main_replay rp = { .now = { time(NULL), clock_boot_ms(), main_boot } };
    char why[JOURNAL_WHY_MAX];
    int n;

    rp.day_ms = clock_day_start_ms(rp.now.wall, rp.now.boot_ms);
    n = journal_replay(main_restore_cb, &rp, why, sizeof(why));
    /* knotd still starts and serves: only new sessions wait for a journal that works. */
    if (n < 0)
        log_error("%s; no cool-downs restored", why);
    else if (rp.restored)
        log_info("%u rest(s) still pending from the journal", rp.restored);
    if (rp.ahead)
        log_warning("the clock went back: %u journal record(s) lie in the future, the furthest by %lld s; "
                    "they count as written before this boot began, or now if they name no boot",
                    rp.ahead, (long long)rp.ahead_s);
    if (main_abs(rp.moved_s) >= TIMELINE_BEHIND_S)
        log_info("the wall clock moved %+lld s since records of this boot were written; their rest and dose "
                 "are measured on the boot clock", (long long)rp.moved_s);
    journal_usable(why, sizeof(why));   /* logs it if new sessions are refused */
}

/* This boot's id, for the journal's records (timeline.h); "" if the kernel does not say. */
static void main_read_boot(void)
{
    sd_id128_t id;
    int rc = sd_id128_get_boot(&id);

    if (rc < 0) {
        log_warning("cannot read the boot id (%s): a restart reads rest from the wall clock alone", strerror(-rc));
        main_boot[0] = '\0';
    } else {
        sd_id128_to_string(id, main_boot);
    }
    journal_set_boot(main_boot);
}

/* STATUS= for `systemctl status`: after every change a massager reports,
 * and each second of a running session (main_status). */
static void main_update_status(void)
{
    char line[NOTIFYMSG_STATUS_MAX];

    view_status_line(massager_first(), clock_now_ms(), line, sizeof(line));
    notify_status(line);
}

/* Nothing holds knotd (no massager, no client, nothing for systemd) for
 * idle_exit_s: the loop ends and knotd exits 0. Only with systemd's socket:
 * then a connection, or the udev rule at the next plug-in, starts it again. */
static void main_idle_cb(evutil_socket_t fd, short what, void *arg)
{
    struct idle_hold h = { massager_held(), ctl_count(), notify_pending() };

    (void)fd;
    (void)what;
    (void)arg;
    if (!idle_due(&main_idle, &h, clock_now_ms()))
        return;
    log_info("idle for %u s (no massager, no client): exiting; the socket or a plug-in starts knotd again",
             main_idle.limit_s);
    event_base_loopbreak(knotd.base);
}

static int main_idle_start(void)
{
    struct timeval tv = { MAIN_IDLE_LOOK_MS / 1000, (MAIN_IDLE_LOOK_MS % 1000) * 1000 };

    idle_init(&main_idle, knotd.cfg.idle_exit_s);
    if (!ctl_activated())
        return 0;   /* run by hand: nothing would start it again */
    main_idle_ev = event_new(knotd.base, -1, EV_PERSIST, main_idle_cb, NULL);
    if (!main_idle_ev || evtimer_add(main_idle_ev, &tv) < 0)
        return -1;
    return 0;
}

/* What massager.c reports: journal and control socket, nothing else. */
static void main_added(struct massager *m)
{
    ctl_broadcast(view_device_event(KNOT_ACT_ADDED, m));
    main_update_status();
}

static void main_removed(struct massager *m)
{
    ctl_broadcast(view_device_event(KNOT_ACT_REMOVED, m));
    main_update_status();   /* m is out of the list already */
}

/* The area's own profile, as loaded now, sets its rest: the session's copy
 * may be cut to the day's dose. */
static const struct profile_area *main_area_of(const struct session *s)
{
    const struct profile_area *a = profile_find(knotd.profiles, s->area.name);

    return a ? a : &s->area;
}

static void main_ended(struct massager *m)
{
    uint64_t owed = rest_owed_ms(main_area_of(&m->sess), m->sess.ran_ms), now = clock_now_ms();
    uint64_t boot = clock_boot_ms();

    rest_charge(&knotd.rest, m->uid, main_area_of(&m->sess), m->side, m->sess.ran_ms, boot,
                clock_day_start_ms(time(NULL), boot));
    if (m->sess.ran_ms > 0)
        care_treated(&knotd.care, m->uid, main_area_of(&m->sess)->name, m->side, clock_local_day(time(NULL)));
    /* "Stop for today", as the session's end said: the area (on its side) is closed until tomorrow. */
    if (m->sess.end == SESSION_END_PAIN)
        care_pain_stop(&knotd.care, m->uid, main_area_of(&m->sess)->name, m->side, clock_local_day(time(NULL)),
                       (int64_t)boot);
    journal_ended(m->serial, m->uid, m->side, &m->sess, (unsigned)((owed + 999u) / 1000u));
    if (m->announced)   /* a refused start was never announced: nothing ends */
        ctl_broadcast(view_session_event(KNOT_ACT_ENDED, m, now));
    main_update_status();
}

static void main_status(struct massager *m)
{
    ctl_broadcast(view_status_event(m, clock_now_ms()));
    main_update_status();
}

static void main_warning(struct massager *m, const char *message)
{
    ctl_broadcast(view_warning_event(m, message));
}

static void main_signal_cb(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    (void)arg;
    if (sig == SIGHUP) {
        main_reload();
        return;
    }
    log_info("%s: turning every motor off and exiting", strsignal((int)sig));
    event_base_loopbreak(knotd.base);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "check-config", no_argument, NULL, 'C' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { 0 },
    };
    static const struct usb_ops ops = { massager_arrived, massager_left };
    static const struct massager_ops mops = { main_added, main_removed, main_ended, main_status, main_warning,
                                              commands_begun };
    struct event *sigs[3];
    const int signums[3] = { SIGTERM, SIGINT, SIGHUP };
    bool check = false, verbose = false;
    int c, rc = 1, loaded = 0;

    knotd.config_path = NULL;
    while ((c = getopt_long(argc, argv, "c:vhV", opts, NULL)) != -1) {
        switch (c) {
        case 'c': main_config_given = optarg; break;
        case 'C': check = true; break;
        case 'v': verbose = true; break;
        case 'h': main_usage(stdout); return 0;
        case 'V':
            printf("knotd %s (USB protocol %d.%d, control protocol %d)\n", KNOT_VERSION, KNOT_PROTO_MAJOR,
                   KNOT_PROTO_MINOR, KNOT_CONTROL_VERSION);
            return 0;
        default: main_usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "knotd: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    log_init();
    knotd.profiles = malloc(sizeof(*knotd.profiles));
    main_config_keep(main_config_path());
    if (!knotd.profiles || (loaded = main_load(knotd.config_path, &knotd.cfg, knotd.profiles)) < 0) {
        free(knotd.profiles);
        return 1;
    }
    knotd.config_absent = loaded == CONFIG_ABSENT;
    if (check) {
        if (loaded == CONFIG_ABSENT)
            printf("built-in settings; %s: ok (%u areas)\n", knotd.cfg.profiles, knotd.profiles->n);
        else
            printf("%s: ok; %s: ok (%u areas)\n", knotd.config_path, knotd.cfg.profiles, knotd.profiles->n);
        free(knotd.profiles);
        return 0;
    }
    log_set_level(verbose ? LOG_L_DEBUG : (enum log_level)knotd.cfg.log_level);
    journal_set_path(knotd.cfg.journal);
    journal_make_dir();
    journal_on_rotate(main_carry_flags, NULL);
    main_read_boot();
    main_replay_journal();
    signal(SIGPIPE, SIG_IGN);

    knotd.base = main_event_base();
    if (!knotd.base) {
        log_error("cannot create the event loop");
        goto out;
    }
    notify_init(knotd.base);
    for (int i = 0; i < 3; i++) {
        sigs[i] = evsignal_new(knotd.base, signums[i], main_signal_cb, NULL);
        evsignal_add(sigs[i], NULL);
    }
    if (ctl_init(&knotd.cfg) < 0)
        goto out_sigs;
    ctl_on_close(commands_client_closed);
    ctl_on_request(commands_handle);
    if (main_idle_start() < 0) {
        log_error("cannot create the idle timer");
        goto out_ctl;
    }
    massager_init(knotd.base, &mops);
    if (usb_init(knotd.base, &knotd.cfg, &ops) < 0)
        goto out_ctl;
    notify_watchdog_start(knotd.base);
    log_info("knotd %s ready on %s (%u body areas)", KNOT_VERSION, knotd.cfg.socket, knotd.profiles->n);
    notify_ready();
    main_update_status();

    event_base_dispatch(knotd.base);

    notify_stopping();
    usb_stop_hotplug();
    massager_shutdown_all();
    ctl_drain(500);
    rc = 0;
    notify_watchdog_stop();
    usb_exit();
out_ctl:
    if (main_idle_ev)
        event_free(main_idle_ev);
    ctl_exit();
out_sigs:
    for (int i = 0; i < 3; i++)
        event_free(sigs[i]);
    notify_exit();
    event_base_free(knotd.base);
out:
    free(knotd.profiles);
    libevent_global_shutdown();
    return rc;
}
