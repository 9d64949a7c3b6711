# SPDX-License-Identifier: MIT
"""knotd.py - test harness: knotd under knot-sim with a private config, socket, journal and log."""
import json
import os
import pwd
import signal
import socket
import subprocess
import time

import clock
from knotsim import BUILD, ROOT, Sim, wait_for, with_headroom

KNOTD = os.path.join(BUILD, "knotd")
KNOTCTL = os.path.join(BUILD, "knotctl")
FAST_PROFILES = os.path.join(ROOT, "tests", "scenario", "profiles-fast.conf")
SHIPPED_PROFILES = os.path.join(ROOT, "config", "profiles.conf")
# knotd's defaults are the safe ones: a start waits for a go-ahead after the
# trial, belongs to its connection, and the day's first asks for a warm-up
# (docs/CONTROL.md). Most tests are about something else, and start the way a
# script does, saying each unsafe choice explicitly; tests of the defaults
# send raw=True (test_goahead.py).
SCRIPT_START = {"ask": False, "warmed_up": True, "detach": True}
SCRIPT_START_OPTIONS = ("--warmed-up", "--auto-ramp")


def write_conf(path, sock, profiles, journal, extra=""):
    with open(path, "w") as f:
        f.write("[daemon]\nsocket = %s\nsocket_group = root\nprofiles = %s\njournal = %s\n"
                "log_level = debug\n%s" % (sock, profiles, journal, extra))


def journal_with_rest(path, area, rest_s, ran_s=0, uid=None, serial="ANOTHER-GUN", at=None):
    """Append to the journal at path the end of an `area` session that `uid` (default: us)
    ran for ran_s seconds on `serial`, earlier today (or at the Unix time `at`), owing
    rest_s more seconds of rest from now (0: none at all)."""
    t = clock.earlier_today() if at is None else at
    rec = {"record": "end", "time": t, "device": serial, "uid": os.getuid() if uid is None else uid,
           "area": area, "cooldown_until": int(clock.now()) + rest_s if rest_s else t,
           "duration_s": ran_s, "ran_ms": ran_s * 1000, "target": 1, "ouches": 0, "end": "done"}
    with open(path, "a") as f:
        f.write(json.dumps(rec) + "\n")
    return str(path)


def restarted(d, tmp_path, name="second", journal=None):
    """A new knotd on d's journal (or another), in a directory of its own: a restart."""
    where = tmp_path / name
    where.mkdir()
    return Knotd(where, journal=journal or d.journal)


class Knotd:
    def __init__(self, tmp_path, sim_args=(), profiles=FAST_PROFILES, extra_conf="", sock_dir=None,
                 wrapper=(), knotd=KNOTD, ready_timeout=10.0, journal=None, env=None, log_path=None,
                 abstract_notify=False, relative_conf=False):
        self.tmp = tmp_path
        self.sock = os.path.join(sock_dir or str(tmp_path), "knotd.sock")
        self.conf = str(tmp_path / "knotd.conf")
        self.journal = journal or str(tmp_path / "journal")
        self.log_path = log_path or str(tmp_path / "knotd.log")
        write_conf(self.conf, self.sock, profiles, self.journal, extra_conf)
        # sd_notify goes to a datagram socket of ours: readiness is observed, not guessed.
        # NOTIFY_SOCKET is a path, or with abstract_notify an abstract name ("@...").
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract_notify:
            name = "knotd-test-notify-%d-%s" % (os.getpid(), os.path.basename(str(tmp_path)))
            self.notify.bind("\0" + name)
            self.notify_path, self.notify_addr = "@" + name, "\0" + name
        else:
            self.notify_path = self.notify_addr = str(tmp_path / "notify")
            self.notify.bind(self.notify_path)
        e = {"NOTIFY_SOCKET": self.notify_path}
        e.update(env or {})
        conf_arg = os.path.relpath(self.conf) if relative_conf else self.conf   # relative to the test's cwd, knotd's
        self.sim = Sim(tmp_path, [*wrapper, knotd, "-c", conf_arg], with_headroom(sim_args),
                       env=e, stdin=False, stderr_path=self.log_path)
        self.trace = self.sim.trace
        try:
            self.wait_notify("READY=1", ready_timeout)
        except BaseException:
            # Never ready (hung or dead): nothing of it may outlive the test.
            self.sim.kill_all()
            self.notify.close()
            raise

    def wait_notify(self, what, timeout=10.0):
        """The first notification (one datagram, all its lines) that holds the line `what`."""
        deadline = time.monotonic() + timeout
        while True:
            self.notify.settimeout(max(deadline - time.monotonic(), 0.001))
            try:
                msg = self.notify.recv(4096).decode()
            except socket.timeout:
                raise AssertionError("no %s from knotd within %.1fs" % (what, timeout)) from None
            if what in msg.split("\n"):
                return msg

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(self.sock)
        return s

    def req(self, obj, conn=None, raw=False):
        """One request, one reply (dict). Event lines before the reply are skipped.
        A start says what a script says (SCRIPT_START) unless raw or the test says otherwise."""
        if not raw and obj.get("cmd") == "start":
            said = {k: v for k, v in SCRIPT_START.items() if not (k == "detach" and "follow" in obj)}
            obj = {**said, **obj}
        own = conn is None
        s = conn or self.connect()
        try:
            s.sendall((json.dumps(obj) + "\n").encode())
            f = s.makefile("r")
            while True:
                line = f.readline()
                assert line, "knotd closed the connection"
                reply = json.loads(line)
                if "event" not in reply:
                    return reply
        finally:
            if own:
                s.close()

    def knotctl(self, *args, user=None, member=False, env=None, timeout=30, raw=False):
        """knotctl as a script runs it: a start says --warmed-up --auto-ramp unless raw."""
        if not raw and "start" in args:
            args = args + SCRIPT_START_OPTIONS
        e = dict(os.environ)
        e["KNOT_SOCKET"] = self.sock
        e.update(env or {})
        pre = []
        if user:
            # member: another person in the socket's group (the tests' socket_group is root, gid 0).
            gid = 0 if member else pwd.getpwnam(user).pw_gid
            pre = ["setpriv", "--reuid", str(pwd.getpwnam(user).pw_uid), "--regid", str(gid), "--clear-groups"]
        return subprocess.run(pre + [KNOTCTL, *args], capture_output=True, text=True, env=e, timeout=timeout)

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def devices(self):
        return self.req({"cmd": "status"})["devices"]

    def start_running(self, area="calves"):
        """Start a session and wait until the device itself runs at level 1."""
        r = self.req({"cmd": "start", "area": area})
        assert r["ok"], r
        self.trace.wait(r"^level 1 by=host")
        return r

    def wait_session_end(self, timeout=10, device=None):
        """The ended session object, once knotd reports the session over."""
        def ended():
            req = {"cmd": "status"}
            if device:
                req["device"] = device
            s = self.req(req)["devices"][0]["session"]
            return s if s and s["end"] else None
        return wait_for(ended, timeout, "the session to end")

    def pid(self):
        """knotd's own pid (the child of knot-sim)."""
        out = subprocess.run(["pgrep", "-P", str(self.sim.proc.pid)], capture_output=True, text=True).stdout.split()
        assert len(out) == 1, "expected one child of knot-sim, got %r" % out
        return int(out[0])

    def wait_devices(self, n, timeout=10):
        return wait_for(lambda: len(self.devices()) == n, timeout, "%d massager(s) attached" % n)

    def signal(self, sig):
        # knot-sim forwards SIGTERM/SIGINT/SIGHUP to knotd.
        self.sim.proc.send_signal(sig)

    def stop(self):
        if self.sim.proc.poll() is None:
            self.signal(signal.SIGTERM)
        try:
            rc = self.sim.proc.wait(20)
        except subprocess.TimeoutExpired:
            # A wedged knotd must not outlive its test (nor CI's run).
            self.sim.kill_all()
            rc = "hung: killed after SIGTERM did nothing for 20 s"
        self.notify.close()
        return rc
