# SPDX-License-Identifier: MIT
"""test_stall.py - a knotd that stalls past the device's watchdog must look at the device before it commands a level again."""
import os
import signal
import time

import pytest

from knotsim import Trace, wait_for

NS = 1_000_000_000
MS = 1_000_000
TRIAL_S, STEP_S = 10, 5   # calves in profiles-fast.conf
# The watchdog is the subject here: the device's own 250 ms, no headroom.
WATCHDOG = ("--watchdog-ms", "250")
# 1.1 would refuse a bad rise itself, so there the check is that knotd never asked;
# 1.0 has no envelope, so only knotd holds the rule and the motor's own trace must stay clean.
PROTOCOLS = {"1.2": (), "1.1": ("--protocol", "1.1"), "1.0": ("--protocol", "1.0")}


def wait_until(ns):
    """Sleep until time.monotonic_ns() (the trace's clock) reaches ns: positions a stall in time."""
    while True:
        left = ns - time.monotonic_ns()
        if left <= 0:
            return
        time.sleep(min(left / NS, 0.05))


def stall_across(d, due_ns):
    """SIGSTOP knotd 0.3 s before due_ns (a step the session will want); SIGCONT only once
    the device's watchdog has stopped the motor and due_ns is well past, so that knotd
    wakes to a due step and an observation older than the watchdog."""
    pid = d.pid()
    wait_until(due_ns - 300 * MS)
    assert d.trace.matching(r"^level 0 ") == [], "the motor stopped before the stall (a hiccup?)"
    stopped = time.monotonic_ns()
    os.kill(pid, signal.SIGSTOP)
    try:
        fired = d.trace.wait(r"^level 0 by=watchdog", timeout=5)[0]
        # The session's clock starts at the acknowledgement, a little after the trace's line.
        wait_until(due_ns + 300 * MS)
    finally:
        os.kill(pid, signal.SIGCONT)
    assert fired > stopped, "the watchdog fired before knotd was stopped"


def assert_never_driven_back_up(d, expect):
    """After the stall: knotd read the device, found it stopped, ended the session and never asked for a level."""
    def outcome():
        # A knotd that drives the motor on may not end the session for a long while: its
        # first forbidden request is outcome enough.
        s = d.devices()[0]["session"]
        if s and s["end"]:
            return s
        return d.trace.refused_raises() or d.trace.envelope_violations(TRIAL_S, STEP_S)

    st = wait_for(outcome, 15, "the session to end")
    refused = d.trace.refused_raises()
    assert refused == [], "knotd asked the stopped motor to rise: %r" % refused[:3]
    assert d.trace.envelope_violations(TRIAL_S, STEP_S) == []
    assert [(l, by) for _, l, by in d.trace.levels()] == expect, "a motor the watchdog stopped was driven again"
    assert st["end"] == "lost-contact", st
    assert d.devices()[0]["level"] == 0


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_stall_across_the_trials_end_reads_the_device_before_level_2(knotd, protocol):
    """Stopped from 9.7 s into the trial until the watchdog fired and the trial's end passed:
    on resume the session wants level 2, and knotd must find the motor off first."""
    d = knotd(*WATCHDOG, *PROTOCOLS[protocol])
    d.wait_devices(1)
    assert d.req({"cmd": "start", "area": "calves"})["ok"]
    t1 = d.trace.wait(r"^level 1 by=host")[0]
    stall_across(d, t1 + TRIAL_S * NS)
    assert_never_driven_back_up(d, [(1, "host"), (0, "watchdog")])


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_stall_across_a_ramp_step_reads_the_device_before_level_3(knotd, protocol):
    """The same across the step from 2 to 3, due step_s after level 2."""
    d = knotd(*WATCHDOG, *PROTOCOLS[protocol])
    d.wait_devices(1)
    assert d.req({"cmd": "start", "area": "calves"})["ok"]
    t2 = d.trace.wait(r"^level 2 by=host", timeout=TRIAL_S + 5)[0]
    stall_across(d, t2 + STEP_S * NS)
    assert_never_driven_back_up(d, [(1, "host"), (2, "host"), (0, "watchdog")])


def test_fault_latched_while_idle_is_seen_before_the_motor_is_asked_to_start(knotd):
    """Idle, knotd does not poll, so it cannot know of a fault that latched since its
    last look, however recent that look: a start must read the device before SET_LEVEL 1,
    find the fault and refuse the start with its remedy, never asking the motor to run."""
    d = knotd("--trace-requests")
    d.wait_devices(1)
    # At once: the attach-time status is still younger than half the (1000 ms) watchdog.
    assert d.sim.ctl("fault overheat") == "ok"
    latched = d.trace.wait(r"^fault overheat ")[0]
    r = d.req({"cmd": "start", "area": "calves"})
    # Too hot to clear: the start is refused with what to do, and no motor ever ran.
    assert r["ok"] is False and r["code"] == "fault", r
    assert "too hot" in r["message"] and "45 C" in r["message"], r
    after = [text.split()[1:3] for ns, text in d.trace.matching(r"^req ") if ns > latched]
    # knotd's status poll carries the heartbeat (KNOT_STATUS_HEARTBEAT, protocol 1.2).
    assert after and after[0] == ["status", str(0x4B4E)], "the first request after the start was %r" % after[:1]
    assert [a for a in after if a[0] == "level" and a[1] != "0"] == [], "knotd asked a faulted massager to run"
    assert d.trace.levels() == [], "a motor ran although the massager had a fault"


def write_trace(tmp_path, lines):
    path = tmp_path / "synthetic.trace"
    path.write_text("".join("%d %s\n" % (int(s * NS), text) for s, text in lines))
    return Trace(str(path))


@pytest.mark.parametrize("lines, found", [
    ([(0, "level 1 by=host dev=A"), (10, "level 2 by=host dev=A"), (15, "level 3 by=host dev=A"),
      (20, "level 0 by=host dev=A")], []),
    ([(0, "level 2 by=host dev=A")], ["straight to 2"]),
    ([(0, "level 1 by=host dev=A"), (9.5, "level 2 by=host dev=A")], ["trial"]),
    ([(0, "level 1 by=host dev=A"), (10, "level 3 by=host dev=A")], ["more than one level"]),
    ([(0, "level 1 by=host dev=A"), (10, "level 2 by=host dev=A"), (14, "level 3 by=host dev=A")], ["step"]),
    # A lowering is a change: the next rise waits a step from it.
    ([(0, "level 1 by=host dev=A"), (10, "level 2 by=host dev=A"), (16, "level 1 by=host dev=A"),
      (18, "level 2 by=host dev=A")], ["step"]),
    # A stop ends the trial: the new start's trial counts from 0 again.
    ([(0, "level 1 by=host dev=A"), (10, "level 2 by=host dev=A"), (11, "level 0 by=watchdog dev=A"),
      (11.5, "level 1 by=host dev=A"), (17, "level 2 by=host dev=A")], ["trial"]),
    # Devices are separate: B's start does not reset A's clocks, nor the other way round.
    ([(0, "level 1 by=host dev=A"), (9, "level 1 by=host dev=B"), (10, "level 2 by=host dev=A"),
      (19, "level 2 by=host dev=B")], []),
])
def test_envelope_checker_finds_each_broken_rule(tmp_path, lines, found):
    bad = write_trace(tmp_path, lines).envelope_violations(TRIAL_S, STEP_S)
    assert len(bad) == len(found) and all(w in b for w, b in zip(found, bad)), bad
