# SPDX-License-Identifier: MIT
"""knotsim.py - test harness: runs programs under knot-sim, talks to its control socket, reads its trace."""
import os
import re
import select
import signal
import socket
import subprocess
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, os.environ.get("KNOT_BUILD", "build"))
SIM = os.path.join(BUILD, "knot-sim")

TRACE_RE = re.compile(r"^(\d+) (.*)$")
# Scenarios that do not test the watchdog get headroom: a scheduling hiccup on
# a loaded 2-core machine must not turn into "level 0 by=watchdog".
WATCHDOG_HEADROOM = ("--watchdog-ms", "1000")


def require(ok, why):
    """A test that cannot run its real check skips on a developer's machine and fails under CI=true."""
    if ok:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("cannot run its real check under CI=true: " + why, pytrace=False)
    pytest.skip(why)


def with_headroom(sim_args):
    """sim_args, with the roomy watchdog unless the test chose one."""
    return tuple(sim_args) if "--watchdog-ms" in sim_args else WATCHDOG_HEADROOM + tuple(sim_args)


def wait_for(pred, timeout=5.0, what="condition", interval=0.02):
    """Poll pred() until it returns something truthy or the deadline passes."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)


class Trace:
    """The device-side event log knot-sim writes (--trace)."""

    def __init__(self, path):
        self.path = path

    def events(self):
        try:
            with open(self.path) as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            return []
        out = []
        for line in lines:
            m = TRACE_RE.match(line)
            assert m, "malformed trace line %r" % line
            out.append((int(m.group(1)), m.group(2)))
        return out

    def matching(self, pattern):
        rx = re.compile(pattern)
        return [(ns, text) for ns, text in self.events() if rx.search(text)]

    def wait(self, pattern, timeout=5.0):
        return wait_for(lambda: self.matching(pattern), timeout, "trace line /%s/" % pattern)[0]

    def refused_raises(self, dev=None):
        """[(ns, level, why)] for every SET_LEVEL above 0 the device refused."""
        out = []
        for ns, text in self.matching(r"^refused level [1-9]"):
            m = re.match(r"refused level (\d+) why=(\S+) dev=(\S+)", text)
            assert m, text
            if dev is None or m.group(3) == dev:
                out.append((ns, int(m.group(1)), m.group(2)))
        return out

    def levels(self, dev=None):
        """[(ns, level, cause)] for every level change, optionally for one serial."""
        out = []
        for ns, text in self.matching(r"^level "):
            m = re.match(r"level (\d+) by=(\w+) dev=(\S+)", text)
            assert m, text
            if dev is None or m.group(3) == dev:
                out.append((ns, int(m.group(1)), m.group(2)))
        return out

    def starts(self, dev=None):
        """[(ns, level)] for every start of the motor from off, as the device saw it."""
        out, prev = [], 0
        for ns, level, _ in self.levels(dev):
            if prev == 0 and level > 0:
                out.append((ns, level))
            prev = level
        return out

    def envelope_violations(self, trial_s, step_s, slack_ns=2_000_000):
        """Every level change the guide's rule forbids, as text ([] = clean), per device:
        a start from 0 goes to 1 only; a rise above 1 comes >= trial_s after the last
        start from 0; a rise from a running level is +1 and >= step_s after the last
        change of any kind. slack_ns: knotd's clock counts whole milliseconds."""
        last = {}   # serial -> (level, ns of the last change, ns of the last start from 0)
        bad = []
        for ns, text in self.matching(r"^level "):
            m = re.match(r"level (\d+) by=(\w+) dev=(\S+)", text)
            assert m, text
            level, dev = int(m.group(1)), m.group(3)
            prev, changed, started = last.get(dev, (0, 0, 0))
            if level > prev:
                if prev == 0:
                    if level != 1:
                        bad.append("%d %s: a start from 0 straight to %d" % (ns, dev, level))
                    started = ns
                else:
                    if level != prev + 1:
                        bad.append("%d %s: a rise from %d to %d, more than one level" % (ns, dev, prev, level))
                    if ns - changed < step_s * 1_000_000_000 - slack_ns:
                        bad.append("%d %s: a rise to %d %.3f s after the last change (step %d s)"
                                   % (ns, dev, level, (ns - changed) / 1e9, step_s))
                    if ns - started < trial_s * 1_000_000_000 - slack_ns:
                        bad.append("%d %s: level %d %.3f s after the start from 0 (trial %d s)"
                                   % (ns, dev, level, (ns - started) / 1e9, trial_s))
            last[dev] = (level, ns, started)
        return bad


class Sim:
    """knot-sim running COMMAND with piped stdio, a control socket and a trace."""

    def __init__(self, tmp_path, command, sim_args=(), env=None, stdin=True, check_alive=True, stderr_path=None):
        self.tmp = tmp_path
        self.ctl_path = str(tmp_path / "sim.ctl")
        self.trace = Trace(str(tmp_path / "sim.trace"))
        e = dict(os.environ)
        e.update(env or {})
        self.proc = subprocess.Popen(
            [SIM, "--trace", self.trace.path, "--ctl", self.ctl_path, *sim_args, "--", *command],
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=open(stderr_path, "w") if stderr_path else subprocess.PIPE,
            env=e, text=True, bufsize=1, start_new_session=True)
        self.stderr_path = stderr_path
        wait_for(lambda: os.path.exists(self.ctl_path) or self.proc.poll() is not None,
                 10, "knot-sim control socket")
        if check_alive:
            assert self.proc.poll() is None, "knot-sim exited: %s" % self.errors()

    def errors(self):
        if self.stderr_path:
            with open(self.stderr_path) as f:
                return f.read()
        return self.proc.stderr.read() if self.proc.poll() is not None else ""

    def ctl(self, line, timeout=5.0):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(self.ctl_path)
            s.sendall(line.encode() + b"\n")
            buf = b""
            while not buf.endswith(b"\n"):
                chunk = s.recv(4096)
                assert chunk, "control socket closed without a reply to %r" % line
                buf += chunk
        return buf.decode().strip()

    def readline(self, timeout=10.0):
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        assert r, "no output from the command within %.1fs" % timeout
        line = self.proc.stdout.readline()
        assert line, "command closed its output; stderr: %s" % self.errors()
        return line.rstrip("\n")

    def cmd(self, line, timeout=10.0):
        """Send one line to the command's stdin and return its one-line reply."""
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.readline(timeout)

    def kill_all(self):
        """knot-sim and everything it started (its own session): for a run that hangs."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()

    def stop(self, timeout=10.0):
        if self.proc.poll() is None:
            try:
                if self.proc.stdin:
                    self.proc.stdin.close()
            except BrokenPipeError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.kill_all()
                    raise AssertionError("knot-sim's command ignored SIGTERM; killed")
        return self.proc.returncode


def fields(reply):
    """'ok a=1 b=x' -> {'a': '1', 'b': 'x'}"""
    return dict(kv.split("=", 1) for kv in reply.split()[1:] if "=" in kv)
