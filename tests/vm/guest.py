#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""guest.py - the scenarios inside the QEMU guest: knot-gadget on dummy_hcd, real udev and systemd start knotd, knotctl drives it."""
import grp
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import time
import traceback

OUT = "/mnt/knot-vm"                      # the host's writable share
REPO = os.environ["KNOT_REPO"]            # the host's work tree, read-only here
BOOT = os.environ["KNOT_VM_BOOT"]
RUN = "/run/knot-vm"
TRACE = RUN + "/trace"
CTL = RUN + "/gadget.sock"
GADGET = os.path.join(REPO, "build", "knot-gadget")
STAGE = os.path.join(REPO, "build", "vm", "stage.tar")
SERIAL = "KNOTGADGET1"
SOCK = "/run/knotd/knotd.sock"
MEMBER, OTHER = "kmember", "kother"
WATCHDOG_MS = 250
# Deadlines: every systemctl call costs 0.3-0.5 s under TCG; these are never waited out when things work.
SERVICE_S = 90
TRACE_S = 30

results = []
timings = {}
gadget_proc = None


def guest_up():
    """Seconds since the guest's kernel started."""
    with open("/proc/uptime") as f:
        return float(f.read().split()[0])


def guest_sh(*cmd, check=True, user=None, timeout=60):
    if user:
        pw = pwd.getpwnam(user)
        cmd = ("setpriv", "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid, "--init-groups", "--") + cmd
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError("%s exited %d: %s" % (" ".join(cmd), r.returncode, r.stdout.strip()))
    return r


def guest_wait(pred, timeout, what, step=0.05):
    """Poll pred until it returns something true; its value, or a failure naming what did not happen."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %d s waiting for %s" % (timeout, what))
        time.sleep(step)


def guest_prop(unit, prop):
    return guest_sh("systemctl", "show", "-p", prop, "--value", unit).stdout.strip()


def guest_active(unit):
    return guest_sh("systemctl", "is-active", unit, check=False).stdout.strip()


def guest_trace():
    """The gadget's trace as (monotonic ns, text) pairs: the device's own record."""
    try:
        with open(TRACE) as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return []
    out = []
    for line in lines:
        ns, _, text = line.partition(" ")
        if ns.isdigit():
            out.append((int(ns), text))
    return out


def guest_trace_after(t_ns, pattern):
    """The first trace line at or after t_ns matching pattern, or None."""
    rx = re.compile(pattern)
    for ns, text in guest_trace():
        if ns >= t_ns and rx.search(text):
            return ns, text
    return None


def guest_ctl(cmd):
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(CTL)
        s.sendall(cmd.encode() + b"\n")
        reply = s.makefile("r").readline().strip()
    if not reply.startswith("ok"):
        raise AssertionError("gadget: %s: %s" % (cmd, reply))
    return reply


def guest_knotd(cmd, **args):
    """One request on knotd's control socket, as root."""
    req = dict(cmd=cmd, **args)
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(SOCK)
        s.sendall(json.dumps(req).encode() + b"\n")
        return json.loads(s.makefile("r").readline())


def guest_device():
    """knotd's status object of the gadget, or None while knotd does not have it."""
    try:
        for d in guest_knotd("status").get("devices", []):
            if d.get("serial") == SERIAL and d.get("connected", True):
                return d
    except (OSError, ValueError):
        return None
    return None


def guest_session_phase():
    d = guest_device()
    return (d.get("session") or {}).get("phase") if d else None


def guest_journal_end(area):
    """The end record of the last session on area in knotd's journal."""
    try:
        with open("/var/lib/knotd/journal") as f:
            ends = [json.loads(l) for l in f if l.strip()]
    except FileNotFoundError:
        return None
    ends = [e for e in ends if e.get("record") == "end" and e.get("area") == area]
    return ends[-1] if ends else None


def guest_heartbeat_gap(from_ns, to_ns):
    """The longest gap between two requests the device received in [from_ns, to_ns], in ms."""
    ts = [ns for ns, text in guest_trace() if from_ns <= ns <= to_ns and text.startswith("req ")]
    if len(ts) < 2:
        raise AssertionError("fewer than two requests reached the device between the marks")
    return max(b - a for a, b in zip(ts, ts[1:])) / 1e6


def guest_sysfs_device():
    """The gadget as the host side of dummy_hcd enumerated it: its sysfs directory, or None."""
    base = "/sys/bus/usb/devices"
    for name in os.listdir(base):
        p = os.path.join(base, name)
        try:
            with open(p + "/idVendor") as f, open(p + "/idProduct") as g:
                if f.read().strip() == "1209" and g.read().strip() == "4b4e":
                    return os.path.realpath(p)
        except OSError:
            continue
    return None


def guest_devnode(syspath):
    with open(syspath + "/busnum") as f, open(syspath + "/devnum") as g:
        return "/dev/bus/usb/%03d/%03d" % (int(f.read()), int(g.read()))


def guest_udev_done(syspath):
    """udev has applied the rule: the node is user knotd's alone, 0600, and tagged for systemd."""
    node = guest_devnode(syspath)
    try:
        st = os.stat(node)
    except FileNotFoundError:
        return None
    if st.st_uid != pwd.getpwnam("knotd").pw_uid or (st.st_mode & 0o777) != 0o600:
        return None
    info = guest_sh("udevadm", "info", "-q", "property", "-p", syspath, check=False).stdout
    return node if "SYSTEMD_WANTS=knotd.service" in info else None


def guest_ready():
    """Plugged in, knotd running and attached: what a scenario starts from, whatever the one before left."""
    if " plugged=0 " in guest_ctl("status") + " ":
        guest_ctl("plug")
    if guest_active("knotd.service") != "active":
        guest_sh("systemctl", "start", "knotd.service")
    guest_wait(guest_device, SERVICE_S, "knotd to have the massager")


def guest_status_text():
    """What `systemctl status knotd` shows as its Status: line (knotd's STATUS=)."""
    return guest_prop("knotd.service", "StatusText")


def guest_enabled(unit):
    return guest_sh("systemctl", "is-enabled", unit, check=False).stdout.strip()


def guest_knotd_conf(extra):
    """The package's knotd.conf with extra lines after it (a [daemon] section may come twice), as the
    admin's own /etc/knotd/knotd.conf, which knotd then reads instead."""
    with open("/usr/share/knotd/knotd.conf") as f:
        text = f.read()
    with open("/etc/knotd/knotd.conf", "w") as f:
        f.write(text + extra)


def guest_running():
    return guest_session_phase() in ("trial", "ramp", "hold")


def guest_start_session(place):
    """The member starts a session the way a user does ("left calf": the shipped calves have sides);
    returns when the device runs it."""
    t0 = time.monotonic_ns()
    # As a script starts one (the safe defaults are the scenario tests'): warm, ramping by itself.
    guest_sh("knotctl", "--detach", "--warmed-up", "--auto-ramp", "start", *place.split(), user=MEMBER)
    guest_wait(lambda: guest_trace_after(t0, r"^level 1 by=host"), TRACE_S, "the device at level 1 after start")
    return t0


SCENARIOS = []


def scenario(fn):
    SCENARIOS.append(fn)
    return fn


# ---- the hotplug boot -----------------------------------------------------


def sc_install():
    """Install the way the README says, from the staging tree make install made on the host."""
    state = guest_wait(lambda: guest_sh("systemctl", "is-system-running", check=False).stdout.strip()
                       in ("running", "degraded") and guest_sh("systemctl", "is-system-running",
                                                              check=False).stdout.strip(),
                       SERVICE_S, "the boot to finish")
    timings["boot to %s (guest uptime, s)" % state] = round(guest_up(), 1)
    assert guest_prop("knotd.service", "LoadState") == "not-found", "knotd.service exists before the install"
    # The users first, as the README says: udev looks OWNER="knotd" up when it reads the rule, and a
    # rule it read before the user existed stays without it (a reload re-reads only changed files).
    guest_sh("systemd-sysusers", os.path.join(REPO, "systemd", "knotd.sysusers"))
    guest_sh("tar", "-C", "/", "--keep-directory-symlink", "-xf", STAGE)
    assert os.path.islink("/lib"), "the install replaced the /lib symlink"
    guest_sh("systemd-sysusers")
    guest_sh("udevadm", "control", "--reload")
    guest_sh("systemctl", "daemon-reload")
    guest_sh("systemctl", "enable", "--now", "knotd.socket")
    grp.getgrnam("knot")
    # knotd's own user, in no group but its own: not in knot, which is for people.
    pw = pwd.getpwnam("knotd")
    assert pw.pw_uid != 0 and "knotd" not in grp.getgrnam("knot").gr_mem, pw
    guest_sh("useradd", "-M", "-N", "-s", "/bin/sh", MEMBER)
    guest_sh("useradd", "-M", "-N", "-s", "/bin/sh", OTHER)
    guest_sh("usermod", "-aG", "knot", MEMBER)
    # The defaults are the package's; /etc/knotd is the admin's, empty until they change something.
    assert sorted(os.listdir("/usr/share/knotd")) == ["knotd.conf", "profiles.conf"], os.listdir("/usr/share/knotd")
    assert os.listdir("/etc/knotd") == [], os.listdir("/etc/knotd")
    assert guest_active("knotd.socket") == "active", "knotd.socket does not listen"
    st = os.stat(SOCK)
    assert st.st_gid == grp.getgrnam("knot").gr_gid and st.st_mode & 0o777 == 0o660, oct(st.st_mode)
    assert guest_active("knotd.service") in ("inactive", "unknown"), "knotd runs before anything needs it"
    # Enabling the service enables only its socket: nothing starts knotd at boot.
    assert guest_enabled("knotd.service") == "indirect", guest_enabled("knotd.service")


@scenario
def socket_start():
    """No massager yet: a member's knotctl status starts knotd through knotd.socket, and knotd says so."""
    assert guest_active("knotd.service") == "inactive"
    t0 = time.monotonic()
    r = guest_sh("knotctl", "status", user=MEMBER, check=False)
    timings["knotctl status -> answered by a socket-activated knotd (s)"] = round(time.monotonic() - t0, 2)
    assert guest_active("knotd.service") == "active", guest_active("knotd.service")
    # Answered; no massager is status 6 (needs attention), as knotctl(1) says.
    assert r.returncode == 6 and "no massager" in r.stdout.lower(), r.stdout
    log = guest_sh("journalctl", "-b", "-u", "knotd.service", "-o", "cat").stdout
    assert "using the socket passed by systemd, %s" % SOCK in log, log[-2000:]
    guest_wait(lambda: guest_status_text() == "no massager", SERVICE_S, "StatusText 'no massager'")
    # The plug-in that follows is to start knotd itself, through the udev rule.
    guest_sh("systemctl", "stop", "knotd.service")


def guest_gadget_start():
    """Load the gadget stack and start knot-gadget unplugged; returns the seconds that took."""
    global gadget_proc
    t0 = time.monotonic()
    guest_sh("modprobe", "-a", "dummy_hcd", "libcomposite", "usb_f_fs")
    if not os.path.ismount("/sys/kernel/config"):
        guest_sh("mount", "-t", "configfs", "configfs", "/sys/kernel/config")
    os.makedirs(RUN, exist_ok=True)
    log = open(os.path.join(OUT, "gadget-%s.log" % BOOT), "w")
    gadget_proc = subprocess.Popen([GADGET, "--unplugged", "--trace", TRACE, "--trace-requests", "--ctl", CTL,
                                    "--serial", SERIAL], stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    guest_wait(lambda: os.path.exists(CTL) or gadget_proc.poll() is not None, TRACE_S, "knot-gadget's socket")
    assert gadget_proc.poll() is None, "knot-gadget exited %s" % gadget_proc.returncode
    return time.monotonic() - t0


@scenario
def plug():
    """Plug in: the kernel enumerates it, udev applies 70-knotd.rules, systemd starts knotd, knotd attaches it."""
    up_s = guest_gadget_start()
    t0 = time.monotonic()
    t0_ns = time.monotonic_ns()
    guest_ctl("plug")
    sysdev = guest_wait(guest_sysfs_device, TRACE_S, "the kernel to enumerate 1209:4b4e")
    t_enum = time.monotonic()
    timings["gadget up: modules, knot-gadget, plug, enumerated (s)"] = round(up_s + t_enum - t0, 2)
    node = guest_wait(lambda: guest_udev_done(sysdev), SERVICE_S, "udev to give the node to user knotd")
    t_udev = time.monotonic()
    guest_wait(lambda: guest_active("knotd.service") == "active", SERVICE_S, "knotd.service active")
    t_active = time.monotonic()
    guest_wait(guest_device, SERVICE_S, "knotd to attach the massager")
    t_attach = time.monotonic()
    timings["plug -> udev rule applied (s)"] = round(t_udev - t0, 2)
    timings["plug -> knotd.service active (s)"] = round(t_active - t0, 2)
    timings["plug -> knotd has the massager (s)"] = round(t_attach - t0, 2)
    # What started it was the device (or, just before, the socket): the unit is not enabled, the device unit wants it.
    assert guest_enabled("knotd.service") == "indirect"
    devunit = guest_sh("systemd-escape", "--path", "--suffix=device", sysdev).stdout.strip()
    assert "knotd.service" in guest_prop(devunit, "Wants"), "%s does not want knotd.service" % devunit
    # knotd's attach as the device saw it: GET_INFO, SET_LEVEL 0, GET_STATUS (PROTOCOL.md 10.1).
    # knotd's status poll is its heartbeat (protocol 1.2: wValue 0x4B4E = 19278).
    for req in (r"^req info 0", r"^req level 0", r"^req status 19278"):
        assert guest_trace_after(t0_ns, req), "the device never received %s" % req
    assert guest_sh("knotctl", "devices", user=MEMBER).stdout.count(SERIAL) == 1, node
    udevd = guest_sh("journalctl", "-b", "-u", "systemd-udevd.service", "-o", "cat").stdout
    assert "Unknown user 'knotd'" not in udevd, "udev read 70-knotd.rules before user knotd existed"


@scenario
def privilege():
    """knotd runs as user knotd with no capability; the node is knotd's alone: a knot member cannot open it."""
    guest_ready()
    pid = guest_prop("knotd.service", "MainPID")
    with open("/proc/%s/status" % pid) as f:
        status = dict(l.split(":", 1) for l in f.read().splitlines() if ":" in l)
    uid, gid = pwd.getpwnam("knotd").pw_uid, grp.getgrnam("knotd").gr_gid
    assert status["Uid"].split() == [str(uid)] * 4, "knotd runs as uid %s" % status["Uid"]
    assert status["Gid"].split() == [str(gid)] * 4, "knotd runs as gid %s" % status["Gid"]
    assert str(grp.getgrnam("knot").gr_gid) not in status["Groups"].split(), status["Groups"]
    for cap in ("CapEff", "CapPrm", "CapBnd"):
        assert int(status[cap], 16) == 0, "%s %s" % (cap, status[cap])
    node = guest_devnode(guest_sysfs_device())
    st = os.stat(node)
    assert (st.st_uid, st.st_mode & 0o777) == (uid, 0o600), (st.st_uid, oct(st.st_mode))
    try:
        os.getxattr(node, "system.posix_acl_access")
        raise AssertionError("%s has an ACL (uaccess?)" % node)
    except OSError as e:
        assert e.errno in (61, 95), e   # ENODATA, EOPNOTSUPP: no ACL
    probe = "import errno, os, sys\ntry:\n os.open(sys.argv[1], os.O_RDWR)\nexcept OSError as e:\n print(errno.errorcode[e.errno])\nelse:\n print('opened')"
    for who in (MEMBER, OTHER):
        r = guest_sh("python3", "-c", probe, node, user=who)
        assert r.stdout.strip() == "EACCES", "%s opening %s: %s" % (who, node, r.stdout.strip())
    # knotd itself holds it: knotctl shows the massager to the member.
    assert SERIAL in guest_sh("knotctl", "devices", user=MEMBER).stdout


@scenario
def session():
    """A member of group knot runs a session; the device's trace shows it, with a heartbeat well inside its watchdog."""
    guest_ready()
    t0 = guest_start_session("left calf")
    # Two seconds of heartbeat: knotd polls every 50 ms, so 40 polls after the start.
    t1 = guest_trace_after(t0, r"^level 1 by=host")[0]
    guest_wait(lambda: len([1 for ns, text in guest_trace() if ns > t1 and text.startswith("req status")]) >= 40,
               TRACE_S, "40 status polls while running")
    t2 = time.monotonic_ns()
    gap = guest_heartbeat_gap(t1, t2)
    timings["session: longest heartbeat gap (ms)"] = round(gap, 1)
    assert gap < WATCHDOG_MS, "a %.0f ms gap between requests: the watchdog (%d ms) could fire" % (gap, WATCHDOG_MS)
    assert guest_running(), guest_device()
    assert not guest_trace_after(t1, r"^level 0"), "the motor stopped by itself: %s" % guest_trace_after(t1, "^level 0")
    rx = re.compile(r"^1 massager; calves on %s at level \d, \d+:\d\d left$" % SERIAL)
    text = guest_wait(lambda: rx.match(guest_status_text()) and guest_status_text(), SERVICE_S,
                      "StatusText to show the session")
    timings["session: StatusText"] = text
    # Updated as it runs: the time left counts down.
    guest_wait(lambda: guest_status_text() != text and rx.match(guest_status_text()), SERVICE_S,
               "StatusText to count down")
    t3 = time.monotonic_ns()
    guest_sh("knotctl", "stop", user=MEMBER)
    guest_wait(lambda: guest_trace_after(t3, r"^level 0 by=host"), TRACE_S, "the device off after knotctl stop")
    guest_wait(lambda: guest_status_text() == "1 massager, idle", SERVICE_S, "StatusText '1 massager, idle'")


@scenario
def non_member():
    """Someone outside group knot cannot start the motor: knotctl says so and the device never moves."""
    guest_ready()
    t0 = time.monotonic_ns()
    r = guest_sh("knotctl", "--detach", "start", "quads", user=OTHER, check=False)
    assert r.returncode == 4, "knotctl start as a non-member exited %d: %s" % (r.returncode, r.stdout)
    assert "permission denied" in r.stdout and "knot" in r.stdout, r.stdout
    # knotd answers the member at once, so a start the other had slipped through would be on the trace by now.
    guest_sh("knotctl", "status", user=MEMBER)
    assert not guest_trace_after(t0, r"^level [1-9]"), "the motor moved: %s" % guest_trace_after(t0, "^level")


@scenario
def package():
    """What the package installed works for a person: knotctl doctor finds nothing wrong for a member and says
    what to fix for anyone else; bash completes areas asked from the running knotd; the docs are in place."""
    guest_ready()
    r = guest_sh("knotctl", "doctor", user=MEMBER, check=False)
    lines = r.stdout.splitlines()
    assert r.returncode == 0 and lines and not [l for l in lines if l.startswith("problem")], r.stdout
    assert any(l.startswith("ok") and SERIAL in l for l in lines), r.stdout
    r = guest_sh("knotctl", "doctor", user=OTHER, check=False)
    assert r.returncode == 1 and any(l.startswith("problem") for l in r.stdout.splitlines()), r.stdout
    assert "knot" in r.stdout, r.stdout
    completion = "/usr/share/bash-completion/completions/knotctl"
    r = guest_sh("bash", "--norc", "--noprofile", "-c",
                 'source %s; COMP_WORDS=(knotctl start ""); COMP_CWORD=2; _knotctl; printf "%%s\\n" "${COMPREPLY[@]}"'
                 % completion, user=MEMBER)
    areas = r.stdout.split()
    assert "calves" in areas and "neck" not in areas, r.stdout
    for path in ("/usr/share/doc/knotd/README.md", "/usr/share/doc/knotd/CONTROL.md",
                 "/usr/share/man/man1/knotctl.1", "/usr/share/man/man5/knotd-profiles.5",
                 "/usr/share/man/man8/knotd.8", "/usr/bin/knotctl", "/usr/sbin/knotd"):
        assert os.path.exists(path), path
    assert not os.path.exists("/usr/bin/knot-sim") and not os.path.exists("/usr/local/bin/knot-sim")


@scenario
def unplug():
    """Unplug mid-session: the motor stops with the power and knotd ends the session; a replug restarts knotd."""
    guest_ready()
    guest_start_session("right quads")
    t0 = time.monotonic_ns()
    guest_ctl("unplug")
    guest_wait(lambda: guest_trace_after(t0, r"^level 0 by=unplug"), TRACE_S, "the motor off by=unplug")
    end = guest_wait(lambda: guest_journal_end("quads"), SERVICE_S, "the session's end in knotd's journal")
    guest_wait(lambda: not guest_sysfs_device(), TRACE_S, "the device gone from sysfs")
    guest_wait(lambda: guest_device() is None, SERVICE_S, "knotd to let the massager go")
    # The kernel fails transfers with "no device" before libusb's removal event: still an unplug.
    assert end["end"] == "unplugged", "an unplug mid-session ended it as %s" % end["end"]
    assert "lost contact" not in guest_sh("journalctl", "-b", "-u", "knotd.service", "-o", "cat").stdout, \
        "knotd took the unplug for lost contact"
    # Replug with knotd stopped: udev and systemd start it again.
    guest_sh("systemctl", "stop", "knotd.service")
    t1 = time.monotonic()
    guest_ctl("plug")
    guest_wait(lambda: guest_active("knotd.service") == "active", SERVICE_S, "knotd.service active after the replug")
    timings["replug -> knotd.service active (s)"] = round(time.monotonic() - t1, 2)
    guest_wait(guest_device, SERVICE_S, "knotd to attach the replugged massager")


@scenario
def reload():
    """systemctl reload with the motor running: knotd re-reads its files, the session and the motor go on (knotd(8))."""
    guest_ready()
    t0 = guest_start_session("left hamstrings")
    pid = guest_prop("knotd.service", "MainPID")
    t1 = time.monotonic_ns()
    guest_sh("systemctl", "reload", "knotd.service")
    guest_wait(lambda: guest_active("knotd.service") == "active", SERVICE_S, "knotd active after the reload")
    guest_wait(lambda: "reloaded" in guest_sh("journalctl", "-b", "-u", "knotd.service", "-o", "cat",
                                                check=False).stdout, SERVICE_S, "knotd's reloaded line")
    # A second's worth of polls after the reload, then look at the whole stretch.
    guest_wait(lambda: len([1 for ns, text in guest_trace() if ns > t1 and text.startswith("req status")]) >= 20,
               TRACE_S, "status polls after the reload")
    assert guest_prop("knotd.service", "MainPID") == pid, "knotd was restarted by the reload"
    assert guest_running(), guest_device()
    assert not guest_trace_after(t0, r"^level 0"), "the motor went off: %s" % guest_trace_after(t0, "^level 0")
    gap = guest_heartbeat_gap(t1, time.monotonic_ns())
    timings["reload: longest heartbeat gap (ms)"] = round(gap, 1)
    assert gap < WATCHDOG_MS, "the reload left the device %.0f ms without a request" % gap


@scenario
def reload_rejected():
    """A broken profiles file: systemctl reload fails, knotd keeps running on the old files, the motor goes on."""
    assert guest_running(), "the reload scenario's session should still run"
    pid = guest_prop("knotd.service", "MainPID")
    areas = len(guest_knotd("areas")["areas"])
    t1 = time.monotonic_ns()
    # The admin's copy of the package's profiles, broken: it wins over the package's, so it is rejected.
    shutil.copy("/usr/share/knotd/profiles.conf", "/etc/knotd/profiles.conf")
    try:
        with open("/etc/knotd/profiles.conf", "a") as f:
            f.write("\nthis is not a profile\n")
        r = guest_sh("systemctl", "reload", "knotd.service", check=False)
        assert r.returncode != 0, "systemctl reload succeeded with a broken profiles file: %s" % r.stdout
        log = guest_sh("journalctl", "-b", "-u", "knotd.service", "-o", "cat").stdout
        assert "/etc/knotd/profiles.conf:" in log, "the journal does not name the admin's broken file's line"
    finally:
        os.unlink("/etc/knotd/profiles.conf")   # back to the package's
    assert guest_prop("knotd.service", "MainPID") == pid and guest_active("knotd.service") == "active"
    assert len(guest_knotd("areas")["areas"]) == areas
    assert guest_running(), guest_device()
    assert not guest_trace_after(t1, r"^level 0"), "the motor went off: %s" % guest_trace_after(t1, "^level 0")
    # And a good file reloads again.
    guest_sh("systemctl", "reload", "knotd.service")


@scenario
def stop():
    """systemctl stop with the motor running (the session reload left): knotd turns it off itself before it exits."""
    area = "hamstrings"
    if not guest_running():
        guest_ready()
        area = "upper-back"
        guest_start_session(area)
    t0 = time.monotonic_ns()
    guest_sh("systemctl", "stop", "knotd.service")
    off = guest_trace_after(t0, r"^level 0 by=")
    assert off, "the device never went off"
    assert off[1].startswith("level 0 by=host"), "not knotd but %s" % off[1]
    assert guest_active("knotd.service") == "inactive"
    end = guest_journal_end(area)
    assert end and end["end"] == "shutdown", end


@scenario
def sigkill():
    """SIGKILL of knotd mid-session: the device's watchdog stops the motor within 300 ms; systemd restarts knotd, no session resumes."""
    guest_ready()
    guest_start_session("right shoulder")
    pid = int(guest_prop("knotd.service", "MainPID"))
    t0 = time.monotonic_ns()
    os.kill(pid, 9)
    off = guest_wait(lambda: guest_trace_after(t0, r"^level 0 by="), TRACE_S, "the motor off")
    ms = (off[0] - t0) / 1e6
    timings["SIGKILL -> watchdog off (ms)"] = round(ms, 1)
    assert off[1].startswith("level 0 by=watchdog"), off[1]
    assert ms <= 300, "the watchdog took %.0f ms" % ms
    guest_wait(lambda: guest_prop("knotd.service", "MainPID") not in ("0", str(pid)) and
               guest_active("knotd.service") == "active", SERVICE_S, "systemd to restart knotd")
    # The new knotd attaches (GET_INFO after the kill) and leaves the motor off.
    guest_wait(lambda: guest_trace_after(off[0], r"^req info"), SERVICE_S, "the new knotd's attach")
    d = guest_wait(guest_device, SERVICE_S, "the new knotd to have the massager")
    guest_wait(lambda: guest_trace_after(off[0], r"^req status"), SERVICE_S, "the new knotd's first status")
    assert not d.get("session") or d["session"].get("phase") == "ended", d
    assert not guest_trace_after(t0, r"^level [1-9]"), "the motor ran again: %s" % guest_trace_after(t0, "^level [1-9]")
    assert guest_ctl("status").split(" level=")[1].startswith("0 "), guest_ctl("status")


@scenario
def idle_exit():
    """Plugged, used, unplugged: after idle_exit_s with no massager and no client knotd exits 0; a connection brings it back."""
    guest_knotd_conf("\n[daemon]\nidle_exit_s = 3\n")
    try:
        guest_ready()
        guest_sh("systemctl", "reload", "knotd.service")
        guest_start_session("left calf")
        guest_sh("knotctl", "stop", user=MEMBER)
        pid = guest_prop("knotd.service", "MainPID")
        t0 = time.monotonic()
        guest_ctl("unplug")
        guest_wait(lambda: guest_device() is None, SERVICE_S, "knotd to let the massager go")
        # Asking (guest_device) is a connection too: the three seconds count from the last one.
        t_gone = time.monotonic()
        guest_wait(lambda: guest_active("knotd.service") == "inactive", SERVICE_S, "knotd to exit when idle")
        t_exit = time.monotonic()
        timings["idle exit: unplug -> knotd.service inactive, idle_exit_s = 3 (s)"] = round(t_exit - t0, 2)
        timings["idle exit: last client gone -> inactive (s)"] = round(t_exit - t_gone, 2)
        assert t_exit - t_gone >= 2.5, "knotd exited %.1f s after the last client, before idle_exit_s" % (t_exit - t_gone)
        assert guest_prop("knotd.service", "Result") == "success", guest_prop("knotd.service", "Result")
        assert guest_prop("knotd.service", "ExecMainStatus") == "0", guest_prop("knotd.service", "ExecMainStatus")
        assert guest_active("knotd.socket") == "active", "the socket went with knotd"
        log = guest_sh("journalctl", "-b", "-u", "knotd.service", "-o", "cat").stdout
        assert "idle for 3 s" in log, log[-2000:]
        t1 = time.monotonic()
        r = guest_sh("knotctl", "status", user=MEMBER, check=False)
        timings["idle exit: knotctl status -> answered by a new knotd (s)"] = round(time.monotonic() - t1, 2)
        assert r.returncode == 6 and "no massager" in r.stdout.lower(), r.stdout
        assert guest_prop("knotd.service", "MainPID") not in ("0", pid)
        # And a plug-in finds it (or starts it again, should it have gone idle meanwhile).
        t2 = time.monotonic()
        guest_ctl("plug")
        guest_wait(guest_device, SERVICE_S, "knotd to have the replugged massager")
        timings["idle exit: plug -> knotd has the massager (s)"] = round(time.monotonic() - t2, 2)
    finally:
        guest_knotd_conf("")


@scenario
def by_hand():
    """knotd run by hand, outside systemd: it makes its socket's directory (0755) and serves; a socket whose
    parent directory is missing too is refused, naming that directory. (Its own usb ids: the massager stays
    knotd.service's.)"""
    base = "/run/knot-by-hand"
    shutil.rmtree(base, ignore_errors=True)
    os.mkdir(base)
    sock, conf = base + "/sockdir/knotd.sock", base + "/knotd.conf"
    with open(conf, "w") as f:
        f.write("[daemon]\nsocket = %s\nsocket_group = knot\njournal = %s/journal\n[usb]\nids = 1209:0001\n"
                % (sock, base))
    p = subprocess.Popen(["knotd", "-c", conf], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        guest_wait(lambda: os.path.exists(sock) or p.poll() is not None, SERVICE_S, "knotd's socket")
        assert p.poll() is None, p.stdout.read()
        assert os.stat(base + "/sockdir").st_mode & 0o777 == 0o755, oct(os.stat(base + "/sockdir").st_mode)
        r = guest_sh("knotctl", "-s", sock, "status", user=MEMBER, check=False)
        assert r.returncode == 6 and "no massager connected" in r.stdout, r.stdout
    finally:
        p.terminate()
        out = p.communicate(timeout=30)[0]
    assert p.returncode == 0 and "created %s/sockdir" % base in out, (p.returncode, out)
    with open(conf, "w") as f:
        f.write("[daemon]\nsocket = %s/no/deeper/knotd.sock\nsocket_group = knot\njournal = %s/journal\n"
                "[usb]\nids = 1209:0001\n" % (base, base))
    r = guest_sh("knotd", "-c", conf, check=False, timeout=30)
    assert r.returncode != 0 and "%s/no" % base in r.stdout and "missing" in r.stdout, r.stdout
    shutil.rmtree(base)


@scenario
def security():
    """systemd-analyze security on the installed, running unit: 1.5 or lower."""
    r = guest_sh("systemd-analyze", "security", "--no-pager", "knotd.service", check=False)
    m = re.search(r"Overall exposure level for knotd\.service: (\d+\.\d+)", r.stdout)
    assert m, r.stdout[-2000:]
    score = float(m.group(1))
    timings["systemd-analyze security knotd.service (exposure)"] = score
    with open(os.path.join(OUT, "security-%s.txt" % BOOT), "w") as f:
        f.write(r.stdout)
    assert score <= 1.5, "exposure %.1f > 1.5:\n%s" % (score, r.stdout)


# ---- the coldplug boot ----------------------------------------------------


def coldplug():
    """Plugged in at boot, knotd installed before: udev's coldplug replay starts knotd with nobody asking."""
    state = guest_wait(lambda: guest_sh("systemctl", "is-system-running", check=False).stdout.strip()
                       in ("running", "degraded") and guest_sh("systemctl", "is-system-running",
                                                              check=False).stdout.strip(),
                       SERVICE_S, "the boot to finish")
    timings["boot to %s (guest uptime, s)" % state] = round(guest_up(), 1)
    guest_wait(lambda: guest_active("knotd.service") == "active", SERVICE_S, "knotd.service active")
    timings["knotd.service active (guest uptime, s)"] = round(guest_up(), 1)
    assert guest_enabled("knotd.service") == "indirect"
    # The gadget was up before udevd ran at all: only the trigger's replay can have told systemd.
    gadget_up = int(guest_prop("knot-vm-gadget.service", "ActiveEnterTimestampMonotonic"))
    udevd = int(guest_prop("systemd-udevd.service", "ExecMainStartTimestampMonotonic"))
    assert 0 < gadget_up < udevd, "the gadget came up at %d us, udevd at %d us" % (gadget_up, udevd)
    guest_wait(guest_device, SERVICE_S, "knotd to attach the massager")
    assert guest_trace_after(0, r"^req info 0"), "the device never received knotd's GET_INFO"
    # Started by udev, not by the socket (never enabled here): Requires= brought the socket up all the same.
    assert guest_active("knotd.socket") == "active", guest_active("knotd.socket")
    log = guest_sh("journalctl", "-b", "-u", "knotd.service", "-o", "cat").stdout
    assert "using the socket passed by systemd" in log, log[-2000:]


SCENARIO_NAMES = {"socket_start": "socket", "plug": "plug", "privilege": "privilege", "session": "session",
                  "non_member": "non-member", "package": "package", "unplug": "unplug", "reload": "reload",
                  "reload_rejected": "reload-rejected", "stop": "stop", "sigkill": "sigkill", "idle_exit": "idle-exit", "by_hand": "by-hand",
                  "security": "security"}


def guest_failure_dump(name):
    """The journal as the first failure left it: a boot that then runs into its time limit writes no other."""
    path = os.path.join(OUT, "journal-at-%s.txt" % name)
    if any(f.startswith("journal-at-") for f in os.listdir(OUT)):
        return
    with open(path, "w") as f:
        subprocess.run(["journalctl", "-b", "--no-pager", "-o", "short-monotonic"], stdout=f, stderr=subprocess.STDOUT)
        sysdev = guest_sysfs_device()
        if sysdev:
            f.write("---- udevadm info %s ----\n" % sysdev)
            f.flush()
            subprocess.run(["udevadm", "info", "-a", "-p", sysdev], stdout=f, stderr=subprocess.STDOUT, timeout=60)
            f.write("---- ls -l %s ----\n" % guest_devnode(sysdev))
            f.flush()
            subprocess.run(["ls", "-ln", guest_devnode(sysdev)], stdout=f, stderr=subprocess.STDOUT)


def guest_run(name, fn):
    t0 = time.monotonic()
    try:
        fn()
        results.append({"name": name, "ok": True, "why": "", "s": round(time.monotonic() - t0, 1)})
    except Exception as e:  # a scenario's failure is reported, and the next one still runs
        why = str(e) if isinstance(e, AssertionError) and str(e) else traceback.format_exc().strip().splitlines()[-1]
        results.append({"name": name, "ok": False, "why": why, "s": round(time.monotonic() - t0, 1)})
        traceback.print_exc()
        guest_failure_dump(name)
    print("knot-vm: %s %s" % (name, "ok" if results[-1]["ok"] else "FAILED: " + results[-1]["why"]), flush=True)


def main():
    try:
        with open(os.path.join(OUT, "init-uptime")) as f:
            timings["kernel to systemd (guest uptime, s)"] = float(f.read())
    except (OSError, ValueError):
        pass
    try:
        if BOOT == "coldplug":
            guest_run("coldplug", coldplug)
        else:
            guest_run("install", sc_install)
            if results[-1]["ok"]:
                for fn in SCENARIOS:
                    guest_run(SCENARIO_NAMES[fn.__name__], fn)
        timings["scenarios (s)"] = round(sum(r["s"] for r in results), 1)
    finally:
        if gadget_proc and gadget_proc.poll() is None:
            gadget_proc.terminate()
            gadget_proc.wait(30)
        if os.path.exists(TRACE):
            shutil.copy(TRACE, os.path.join(OUT, "trace-%s.txt" % BOOT))
        with open(os.path.join(OUT, "journal.txt"), "w") as f:
            subprocess.run(["journalctl", "-b", "--no-pager", "-o", "short-monotonic"], stdout=f,
                           stderr=subprocess.STDOUT)
        with open(os.path.join(OUT, "results.json.tmp"), "w") as f:
            json.dump({"scenarios": results, "timings": timings}, f, indent=1)
        os.rename(os.path.join(OUT, "results.json.tmp"), os.path.join(OUT, "results.json"))


if __name__ == "__main__":
    main()
