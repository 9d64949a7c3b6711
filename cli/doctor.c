/* SPDX-License-Identifier: MIT */
/* doctor.c - `knotctl doctor`: is knotd there, may I use it, is a massager visible, do the files load, can the journal be written; each with its fix. */
#include "doctor.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "jv.h"
#include "knot/control.h"
#include "knot/files.h"

extern char **environ;

#define DOCTOR_GROUP "knot"            /* knotd.conf's default socket_group */
#define DOCTOR_CHECK_MS 10000          /* knotd --check-config opens nothing that can block; this is a backstop */
#define DOCTOR_OUT_MAX 8192            /* of knotd --check-config's words: its first error is what counts */

struct doctor {
    const struct knotctl_opts *o;
    int problems;
    bool up;              /* knotd answered on the socket */
    bool have_sock;       /* st is the socket's */
    struct stat st;
    json_object *knotd;   /* knotd's version reply: the files it runs on, its group, its pid and unit */
};

/* "ok", "problem" or "skipped", then what was found; a problem's fix follows on a line of its own. */
__attribute__((format(printf, 3, 4)))
static void doctor_say(struct doctor *d, const char *kind, const char *fmt, ...)
{
    va_list ap;

    if (strcmp(kind, "problem") == 0)
        d->problems++;
    printf("%-8s ", kind);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

__attribute__((format(printf, 1, 2)))
static void doctor_fix(const char *fmt, ...)
{
    va_list ap;

    printf("         fix: ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

/* Is knotd there (or its socket, held by systemd until the first request
 * starts it)? Connects itself rather than through conn_open(), to tell the
 * reasons apart and say them once, here. */
static void doctor_socket(struct doctor *d)
{
    const char *path = d->o->socket;
    bool other = strcmp(path, KNOT_SOCKET_DEFAULT) != 0;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    json_object *version;
    int fd, e;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        doctor_say(d, "problem", "the socket path is longer than %zu bytes: %s", sizeof(sa.sun_path) - 1, path);
        doctor_fix("a shorter socket in knotd.conf, and the same with -s or $%s", KNOT_SOCKET_ENV);
        return;
    }
    if (stat(path, &d->st) < 0) {
        e = errno;
        if (e == ENOENT || e == ENOTDIR) {
            doctor_say(d, "problem", "knotd is not running, nor ready to start: no socket at %s", path);
            if (other)
                doctor_fix("is %s the socket knotd.conf names? Without -s and $%s knotctl uses %s", path,
                           KNOT_SOCKET_ENV, KNOT_SOCKET_DEFAULT);
            else
                doctor_fix("sudo systemctl enable --now knotd.socket (knotd then starts on the first request), "
                           "or plug a massager in");
        } else {
            doctor_say(d, "problem", "cannot reach %s: %s", path, strerror(e));
            doctor_fix("every directory above the socket must be searchable by you (knotd.service: "
                       "RuntimeDirectoryMode=0755)");
        }
        return;
    }
    d->have_sock = true;
    if (!S_ISSOCK(d->st.st_mode)) {
        doctor_say(d, "problem", "%s is not a socket", path);
        doctor_fix("sudo rm %s, then sudo systemctl restart knotd", path);
        return;
    }
    memcpy(sa.sun_path, path, strlen(path));
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        doctor_say(d, "problem", "socket: %s", strerror(errno));
        doctor_fix("none known: this is the system refusing a Unix socket");
        return;
    }
    e = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : errno;
    close(fd);
    switch (e) {
    case 0:
        break;
    case ECONNREFUSED:
        doctor_say(d, "problem", "nothing listens on %s: knotd is gone and left its socket behind", path);
        doctor_fix("sudo systemctl restart knotd (journalctl -u knotd says why it stopped)");
        return;
    case EACCES:
    case EPERM:
        doctor_say(d, "problem", "the socket %s (mode %04o) does not let you in", path,
                   (unsigned)(d->st.st_mode & 07777));
        doctor_fix("be in the socket's group, as the next line says");
        return;
    default:
        doctor_say(d, "problem", "cannot connect to %s: %s", path, strerror(e));
        doctor_fix("sudo systemctl restart knotd");
        return;
    }
    version = conn_fetch(path, conn_request_new("version", NULL));
    if (!version) {
        doctor_say(d, "problem", "%s accepts connections, but knotd does not answer", path);
        doctor_fix("journalctl -u knotd -e says why; then sudo systemctl restart knotd");
        return;
    }
    d->up = true;
    d->knotd = version;
    doctor_say(d, "ok", "knotd %s answers on %s (control protocol %lld)", jv_str(version, "version", "?"), path,
               jv_int(version, "protocol", 0));
}

static bool doctor_in_groups(gid_t gid)
{
    gid_t groups[NGROUPS_MAX];
    int n = getgroups(NGROUPS_MAX, groups);

    if (getegid() == gid)
        return true;
    for (int i = 0; i < n; i++)
        if (groups[i] == gid)
            return true;
    return false;
}

/* In the group by /etc/group (or as its primary group), whatever this login's groups say. */
static bool doctor_listed(const struct group *g, const struct passwd *pw)
{
    if (!pw)
        return false;
    if (pw->pw_gid == g->gr_gid)
        return true;
    for (char **m = g->gr_mem; m && *m; m++)
        if (strcmp(*m, pw->pw_name) == 0)
            return true;
    return false;
}

/* Groups that grant administration, not only the massager: the socket in one
 * of them is a misconfiguration, and joining it is never the fix. */
static bool doctor_admin_group(gid_t gid, const struct group *g)
{
    static const char *const admin[] = { "root", "sudo", "wheel", "adm", "admin", "disk", "shadow" };

    if (gid == 0)
        return true;
    for (size_t i = 0; g && i < sizeof(admin) / sizeof(admin[0]); i++)
        if (g->gr_gid == gid && strcmp(g->gr_name, admin[i]) == 0)
            return true;
    return false;
}

/* May I start a session? knotd lets root, its own user and the socket's group
 * control; the group is the socket's, or knot's before there is a socket.
 * A member by /etc/group whose login predates it is not one yet to the kernel. */
static void doctor_group(struct doctor *d)
{
    struct passwd *pw = getpwuid(getuid());
    const char *user = pw ? pw->pw_name : "$USER";
    struct group *g = d->have_sock ? getgrgid(d->st.st_gid) : getgrnam(DOCTOR_GROUP);

    if (getuid() == 0) {
        doctor_say(d, "ok", "you are root: you may use every command");
        return;
    }
    if (d->have_sock && d->st.st_uid == getuid()) {
        doctor_say(d, "ok", "the socket is yours (knotd runs as you): you may use every command");
        return;
    }
    /* A group that grants far more than the massager (root, sudo, ...):
     * joining it would be the wrong fix. */
    if (d->have_sock && doctor_admin_group(d->st.st_gid, g) && !doctor_in_groups(d->st.st_gid)) {
        const char *want = jv_str(d->knotd, "socket_group", DOCTOR_GROUP);
        char gname[64];
        struct group *wg;

        snprintf(gname, sizeof(gname), "%s", g ? g->gr_name : "root");   /* getgrnam reuses g's storage */
        wg = getgrnam(want);
        if (strcmp(want, "root") == 0 || (wg && doctor_admin_group(wg->gr_gid, wg)))
            want = DOCTOR_GROUP;
        if (d->st.st_gid == 0)
            doctor_say(d, "problem", "the socket belongs to group root: only root may start a session%s",
                       d->knotd && !wg ? " (knotd's socket_group does not exist)" : "");
        else
            doctor_say(d, "problem", "the socket belongs to group %s, which grants far more than the massager: "
                       "only its members may start a session", gname);
        doctor_fix("sudo knotctl ..., or a group for it: socket_group = %s in knotd.conf (sudo systemd-sysusers "
                   "makes group %s), sudo systemctl restart knotd, sudo usermod -aG %s %s, then log out and in again",
                   want, DOCTOR_GROUP, want, user);
        return;
    }
    if (!g) {
        if (d->have_sock)
            doctor_say(d, "problem", "the socket's group %u has no name", (unsigned)d->st.st_gid);
        else
            doctor_say(d, "problem", "group %s does not exist", DOCTOR_GROUP);
        doctor_fix("sudo systemd-sysusers (knotd's sysusers.d entry makes group %s), sudo usermod -aG %s %s, "
                   "then log out and in again", DOCTOR_GROUP, DOCTOR_GROUP, user);
        return;
    }
    if (doctor_in_groups(g->gr_gid)) {
        if (d->have_sock && (d->st.st_mode & 0060) != 0060) {
            doctor_say(d, "problem", "you are in group %s, but the socket's mode %04o does not let the group use it",
                       g->gr_name, (unsigned)(d->st.st_mode & 07777));
            doctor_fix("socket_mode = 0660 in knotd.conf, then sudo systemctl restart knotd");
            return;
        }
        doctor_say(d, "ok", "you are in group %s: you may start and stop sessions", g->gr_name);
        return;
    }
    if (doctor_listed(g, pw)) {
        doctor_say(d, "problem", "you are in group %s by /etc/group, but this login is not: you joined after "
                   "logging in", g->gr_name);
        doctor_fix("log out and in again (or, for this shell only: newgrp %s)", g->gr_name);
        return;
    }
    doctor_say(d, "problem", "you are not in group %s: you may not start a session", g->gr_name);
    doctor_fix("sudo usermod -aG %s %s, then log out and in again", g->gr_name, user);
}

static void doctor_devices(struct doctor *d)
{
    json_object *reply, *devs;
    char serials[256] = "";
    size_t n, used = 0;
    bool named = false;

    if (!d->up) {
        doctor_say(d, "skipped", "massagers: knotd does not answer, so it cannot say");
        return;
    }
    reply = conn_fetch(d->o->socket, conn_request_new("devices", NULL));
    devs = jv_arr(reply, "devices");
    n = devs ? json_object_array_length(devs) : 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = jv_str(json_object_array_get_idx(devs, i), "serial", "?");
        int w = snprintf(serials + used, sizeof(serials) - used, "%s%s", i ? ", " : "", s);

        if (d->o->device && strcmp(s, d->o->device) == 0)
            named = true;
        if (w > 0 && (size_t)w < sizeof(serials) - used)
            used += (size_t)w;
    }
    if (!reply) {
        doctor_say(d, "problem", "knotd did not list its massagers");
        doctor_fix("journalctl -u knotd -e says why");
    } else if (n == 0) {
        doctor_say(d, "problem", "no massager is connected");
        doctor_fix("plug it in and switch it on; lsusb should list it (1209:4b4e), and a model with other IDs "
                   "needs them in knotd.conf's [usb] ids and in the udev rule");
    } else if (d->o->device && !named) {
        doctor_say(d, "problem", "no massager %s is connected (connected: %s)", d->o->device, serials);
        doctor_fix("plug it in, or name one of those with -d");
    } else {
        doctor_say(d, "ok", "%zu massager%s connected: %s", n, n == 1 ? "" : "s", serials);
    }
    json_object_put(reply);
}

/* dir then name in buf, when that fits and is executable. */
static bool doctor_try(char *buf, size_t len, const char *dir, const char *name)
{
    int n = snprintf(buf, len, "%s%s", dir, name);

    return n > 0 && (size_t)n < len && access(buf, X_OK) == 0;
}

/* knotd beside this knotctl (a build tree, or bin/ and sbin/ of one prefix), else the installed one. */
static bool doctor_knotd(char *buf, size_t len)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    const char *fixed[] = { "/usr/sbin/knotd", "/usr/local/sbin/knotd" };

    if (n > 0) {
        char *slash;

        self[n] = '\0';
        slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            if (doctor_try(buf, len, self, "/knotd") || doctor_try(buf, len, self, "/../sbin/knotd"))
                return true;
        }
    }
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        if (doctor_try(buf, len, fixed[i], ""))
            return true;
    return false;
}

/* knotd --check-config [-c config]: its exit status, and what it said (stdout and stderr) in out. */
static int doctor_check_config(const char *knotd, const char *config, char *out, size_t len)
{
    char *argv[] = { (char *)knotd, "--check-config", "-c", (char *)config, NULL };
    posix_spawn_file_actions_t fa;
    struct timespec t0, now;
    int p[2], status, rc;
    size_t used = 0;
    pid_t pid;

    out[0] = '\0';
    if (!config)
        argv[2] = NULL;
    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_adddup2(&fa, p[1], 2);
    rc = posix_spawn(&pid, knotd, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    if (rc) {
        close(p[0]);
        return -rc;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        struct pollfd pfd = { .fd = p[0], .events = POLLIN };
        long waited;
        char chunk[512];
        ssize_t r;

        clock_gettime(CLOCK_MONOTONIC, &now);
        waited = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
        if (waited >= DOCTOR_CHECK_MS || poll(&pfd, 1, (int)(DOCTOR_CHECK_MS - waited)) == 0) {
            kill(pid, SIGKILL);
            snprintf(out, len, "knotd --check-config did not finish within %d s", DOCTOR_CHECK_MS / 1000);
            break;
        }
        r = read(p[0], chunk, sizeof(chunk));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        /* The rest is read and dropped, so that knotd never blocks on a full pipe. */
        if (used + 1 < len) {
            size_t k = (size_t)r < len - 1 - used ? (size_t)r : len - 1 - used;
            memcpy(out + used, chunk, k);
            used += k;
            out[used] = '\0';
        }
    }
    close(p[0]);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The first line of text that holds needle, without knotd's "knotd: error: " prefix, in buf. */
static const char *doctor_line_with(const char *text, const char *needle, char *buf, size_t len)
{
    const char *at = strstr(text, needle), *start, *end;

    if (!at)
        return NULL;
    for (start = at; start > text && start[-1] != '\n'; start--)
        ;
    end = strchr(at, '\n');
    if (strncmp(start, "knotd: error: ", 14) == 0)
        start += 14;
    snprintf(buf, len, "%.*s", (int)((end ? end : at + strlen(at)) - start), start);
    return buf;
}

/* How to make knotd read its files again: the unit's reload, or SIGHUP to the pid knotd gave. */
static void doctor_reload_hint(const struct doctor *d, char *buf, size_t len)
{
    const char *unit = jv_str(d->knotd, "unit", NULL);

    if (unit)
        snprintf(buf, len, "sudo systemctl reload %s", unit);
    else if (d->knotd && jv_int(d->knotd, "pid", 0) > 0)
        snprintf(buf, len, "kill -HUP %lld (knotd runs outside systemd)", jv_int(d->knotd, "pid", 0));
    else
        snprintf(buf, len, "sudo systemctl reload knotd");
}

/* The files: CONFIG when given, else the ones the running knotd reads (it
 * says which), else the knotd.conf a knotd started now would read. */
static void doctor_files(struct doctor *d, const char *config)
{
    char knotd[PATH_MAX], out[DOCTOR_OUT_MAX], line[512], found[PATH_MAX], reload[96];
    bool theirs = false;
    const char *file;
    int rc;

    if (!config && d->knotd && jv_str(d->knotd, "config", NULL)) {
        config = jv_str(d->knotd, "config", NULL);
        theirs = true;
    }
    file = config ? config : knot_file(KNOT_CONFDIR, KNOT_PKGDATADIR, "knotd.conf", found, sizeof(found));
    doctor_reload_hint(d, reload, sizeof(reload));
    if (access(file, R_OK) < 0 && errno != ENOENT) {
        doctor_say(d, "skipped", "the settings and profiles: you may not read %s (%s)", file, strerror(errno));
        return;
    }
    if (config && access(file, F_OK) < 0) {
        if (theirs) {
            doctor_say(d, "problem", "the settings file knotd runs on, %s, is gone", file);
            doctor_fix("put it back, or %s to take %s/knotd.conf (else %s/knotd.conf)", reload, KNOT_CONFDIR,
                       KNOT_PKGDATADIR);
            return;
        }
        doctor_say(d, "problem", "the settings file %s does not exist", file);
        doctor_fix("name the file knotd reads (knotd -c FILE), or leave it out for %s/knotd.conf (else %s/knotd.conf)",
                   KNOT_CONFDIR, KNOT_PKGDATADIR);
        return;
    }
    if (!doctor_knotd(knotd, sizeof(knotd))) {
        doctor_say(d, "skipped", "the settings and profiles: knotd is neither beside knotctl nor in /usr/sbin, "
                   "so nothing can check them");
        return;
    }
    rc = doctor_check_config(knotd, config, out, sizeof(out));
    if (rc == 0) {
        doctor_say(d, "ok", "the %s load: %s", theirs ? "files knotd runs on" : "settings and profiles",
                   doctor_line_with(out, ": ok", line, sizeof(line)) ? line : file);
    } else if (rc < 0) {
        doctor_say(d, "skipped", "the settings and profiles: cannot run %s: %s", knotd, strerror(-rc));
    } else if (strstr(out, strerror(EACCES))) {
        /* A file only knotd's user may read is not a problem of the files. */
        doctor_say(d, "skipped", "the settings and profiles: %s",
                   doctor_line_with(out, strerror(EACCES), line, sizeof(line)));
    } else {
        const char *why = doctor_line_with(out, "error: ", line, sizeof(line));

        if (!why)
            why = doctor_line_with(out, "", line, sizeof(line));
        doctor_say(d, "problem", "the files do not load: %s", why && why[0] ? why : "knotd --check-config failed");
        if (d->knotd)
            doctor_fix("correct that line, then %s; until then knotd keeps the files it has", reload);
        else
            doctor_fix("correct that line, then %s; until then knotd keeps the files it has, or does not start",
                       reload);
    }
}

static void doctor_journal(struct doctor *d)
{
    json_object *reply, *j;

    if (!d->up) {
        doctor_say(d, "skipped", "the journal: knotd does not answer, so it cannot say");
        return;
    }
    reply = conn_fetch(d->o->socket, conn_request_new("status", NULL));
    j = jv_obj(reply, "journal");
    if (!j) {
        doctor_say(d, "skipped", "the journal: knotd did not say whether it can write it");
    } else if (jv_bool(j, KNOT_K_OK, false)) {
        doctor_say(d, "ok", "the journal can be written: %s", jv_str(j, "path", "?"));
    } else {
        doctor_say(d, "problem", "knotd cannot write its journal, so it refuses every new session: %s",
                   jv_str(j, "error", jv_str(j, "path", "?")));
        doctor_fix("make %s a regular file knotd may write, on a disk with room (the next start works again)",
                   jv_str(j, "path", "the journal"));
    }
    json_object_put(reply);
}

int doctor_run(const struct knotctl_opts *o, const char *config)
{
    struct doctor d = { .o = o };

    doctor_socket(&d);
    doctor_group(&d);
    doctor_devices(&d);
    doctor_files(&d, config);
    doctor_journal(&d);
    json_object_put(d.knotd);
    fflush(stdout);
    return d.problems ? KNOTCTL_EXIT_REFUSED : KNOTCTL_EXIT_OK;
}
