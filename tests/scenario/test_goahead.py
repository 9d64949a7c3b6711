# SPDX-License-Identifier: MIT
"""test_goahead.py - safe by default (control protocol 2): a bare start asks for the warm-up before anything moves, waits for a go-ahead after the trial, and belongs to its connection; the unsafe choices are said."""
import json
import subprocess

import pytest

from knotd import KNOTCTL
from knotsim import wait_for


CALVES_TRIAL_S, CALVES_STEP_S = 10, 5   # profiles-fast.conf
WARM_UP = "First session on your calves today: warm the muscle up first"


def records(d):
    try:
        with open(d.journal) as f:
            return [json.loads(line) for line in f]
    except FileNotFoundError:
        return []


def session(d):
    return d.devices()[0]["session"]


# The day's first session: by date, so again under tests/run's fixed clocks.
@pytest.mark.clock
def test_a_bare_start_asks_for_the_warm_up_before_anything_moves(knotd):
    d = knotd()
    d.wait_devices(1)
    r = d.req({"cmd": "start", "area": "calves"}, raw=True)
    assert r["code"] == "warm-up" and r["message"].startswith(WARM_UP), r
    assert "15-20 minutes" in r["message"], r
    # Nothing moved, nothing is on record, nobody heard of a session.
    assert d.trace.levels() == [] and records(d) == [] and d.devices()[0]["session"] is None
    # Asked per area: the warm-up was not said for the calves by trying the calves.
    r = d.req({"cmd": "start", "area": "calves"}, raw=True)
    assert r["code"] == "warm-up", r
    with d.connect() as c:
        r = d.req({"cmd": "start", "area": "calves", "warmed_up": True}, conn=c, raw=True)
        assert r["ok"], r
        d.trace.wait(r"^level 1 by=host")
        wait_for(lambda: session(d)["elapsed_s"] >= 2, 10, "two seconds at level 1")
        assert d.req({"cmd": "stop"}, conn=c)["ok"]
    # The area ran today: no second question.
    r = d.req({"cmd": "start", "area": "calves", "detach": True}, raw=True)
    assert r["ok"], r
    assert d.req({"cmd": "stop"})["ok"]
    # Another area is asked about on its own.
    r = d.req({"cmd": "start", "area": "forearms"}, raw=True)
    assert r["code"] == "warm-up" and "your forearms today" in r["message"], r


def test_a_bare_start_waits_for_the_go_ahead_and_ends_with_its_connection(knotd):
    d = knotd()
    d.wait_devices(1)
    c = d.connect()
    try:
        r = d.req({"cmd": "start", "area": "calves", "warmed_up": True}, conn=c, raw=True)
        assert r["ok"], r
        wait_for(lambda: session(d)["phase"] == "wait", CALVES_TRIAL_S + 5, "the wait after the trial")
        # A whole step and more after the trial: a ramp would have risen by now.
        wait_for(lambda: session(d)["elapsed_s"] >= CALVES_TRIAL_S + CALVES_STEP_S + 1, 15, "a step past the trial")
        assert [lv for _, lv, _ in d.trace.levels()] == [1], d.trace.levels()
        assert session(d)["phase"] == "wait", session(d)
    finally:
        c.close()
    # The connection went: the motor goes off, and the journal says why.
    d.trace.wait(r"^level 0 by=host")
    wait_for(lambda: [r for r in records(d) if r["record"] == "end"], 10, "the end record")
    assert [r["end"] for r in records(d) if r["record"] == "end"] == ["disconnected"]


def test_detach_and_auto_ramp_are_said_on_purpose(knotd):
    d = knotd()
    d.wait_devices(1)
    r = d.req({"cmd": "start", "area": "calves", "warmed_up": True, "detach": True, "follow": True}, raw=True)
    assert r["code"] == "bad-request" and "'detach' and 'follow'" in r["message"], r
    assert d.trace.levels() == []
    # Detached: it outlives the connection that started it, and still waits for a go-ahead.
    r = d.req({"cmd": "start", "area": "calves", "warmed_up": True, "detach": True}, raw=True)
    assert r["ok"], r
    wait_for(lambda: session(d)["phase"] == "wait", CALVES_TRIAL_S + 5, "the wait after the trial")
    assert [lv for _, lv, _ in d.trace.levels()] == [1], "the detached session ended with its connection"
    assert d.req({"cmd": "go"})["ok"]
    d.trace.wait(r"^level 2 by=host")
    assert d.req({"cmd": "stop"})["ok"]


def test_knotctl_off_a_terminal_asks_for_warmed_up_and_waits_for_go(knotd):
    d = knotd()
    d.wait_devices(1)
    r = d.knotctl("start", "calves", raw=True)
    assert r.returncode == 1 and r.stdout.startswith(WARM_UP), r
    assert "knotctl start calves --warmed-up" in r.stderr, r.stderr
    assert d.trace.levels() == []
    p = subprocess.Popen([KNOTCTL, "-s", d.sock, "start", "calves", "--warmed-up"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        seen = []
        for line in p.stdout:
            seen.append(line)
            if line.startswith("wait: "):
                break
        else:
            raise AssertionError("knotctl ended before the wait: %r" % seen)
        assert "After the trial it stays at level 1 until your go-ahead: knotctl go\n" in seen, seen
        assert line.rstrip().endswith("until your go-ahead: knotctl go"), line
        assert [lv for _, lv, _ in d.trace.levels()] == [1]
        r = d.knotctl("go")
        assert r.returncode == 0, r
        d.trace.wait(r"^level 2 by=host")
    finally:
        d.req({"cmd": "stop"})
        p.communicate(timeout=10)
