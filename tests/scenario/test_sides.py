# SPDX-License-Identifier: MIT
"""test_sides.py - left and right: each side of a pair rests, doses, stops and flags on its own, judged by the device's trace."""
import json
import os

import pytest

import clock
from knotd import Knotd
from knotsim import wait_for


SIDES_PROFILES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "profiles-sides.conf")
TRIAL_S, STEP_S, SESSION_S = 10, 5, 20   # profiles-sides.conf, calves


def by_side(d, area="calves"):
    return next(a for a in d.req({"cmd": "areas"})["areas"] if a["name"] == area)["by_side"]


def records(d):
    with open(d.journal) as f:
        return [json.loads(line) for line in f]


def test_a_full_left_calf_session_then_the_right_calf_starts_at_once(knotd):
    d = knotd(profiles=SIDES_PROFILES)
    d.wait_devices(1)
    r = d.req({"cmd": "start", "area": "calves", "side": "left"})
    assert r["ok"] and r["session"]["side"] == "left", r
    ended = d.wait_session_end(SESSION_S + 10)
    assert ended["end"] == "done" and ended["side"] == "left", ended
    d.trace.wait(r"^level 0 by=host")
    # The left calf owes its full rest; the right calf owes nothing and got nothing today.
    left, right = by_side(d)["left"], by_side(d)["right"]
    assert left["closed"] == "cooldown" and left["rest_left_s"] > 500, left
    assert right["closed"] is None and right["rest_left_s"] == 0 and right["dose_used_s"] == 0, right
    r = d.req({"cmd": "start", "area": "calf", "side": "right"})
    assert r["ok"] and r["session"]["side"] == "right" and r["session"]["level"] == 1, r
    wait_for(lambda: len(d.trace.starts()) == 2, 5, "the right calf's start on the device")
    # The device's own record: two sessions, each from off to level 1 and nowhere else first,
    # each rise a whole trial after its own start.
    assert [lvl for _, lvl in d.trace.starts()] == [1, 1], d.trace.levels()
    assert d.trace.envelope_violations(TRIAL_S, STEP_S) == [], d.trace.levels()
    assert d.req({"cmd": "stop"})["ok"]
    d.trace.wait(r"^level 0 by=host")
    # The left calf again: refused as resting, and the motor does not move.
    n = len(d.trace.levels())
    r = d.req({"cmd": "start", "area": "calves", "side": "left"})
    assert not r["ok"] and r["code"] == "cooldown" and "left calf" in r["message"], r
    assert len(d.trace.levels()) == n, d.trace.levels()
    # The journal names each side.
    sides = [(x["record"], x.get("side")) for x in records(d) if x["record"] in ("start", "end")]
    assert sides == [("start", "left"), ("end", "left"), ("start", "right"), ("end", "right")], sides


def test_an_area_with_sides_needs_one_and_one_without_takes_none(knotd):
    d = knotd(profiles=SIDES_PROFILES)
    d.wait_devices(1)
    r = d.req({"cmd": "start", "area": "calves"})
    assert not r["ok"] and r["code"] == "side" and r["sides"] == ["left", "right"], r
    assert "left or right" in r["message"], r
    r = d.req({"cmd": "start", "area": "upper-back", "side": "left"})
    assert not r["ok"] and r["code"] == "bad-request" and r["message"] == "upper-back has no sides: leave 'side' out", r
    r = d.req({"cmd": "start", "area": "calves", "side": "middle"})
    assert not r["ok"] and r["code"] == "bad-request" and "'side' must be" in r["message"], r
    r = d.req({"cmd": "checkin", "area": "calves", "pain": 3})
    assert not r["ok"] and r["code"] == "side", r
    assert d.trace.levels() == [], "nothing may move on a refused start"
    areas = {a["name"]: a for a in d.req({"cmd": "areas"})["areas"]}
    assert areas["calves"]["sides"] == ["left", "right"] and "today" not in areas["calves"], areas["calves"]
    assert areas["upper-back"]["sides"] == [] and "by_side" not in areas["upper-back"], areas["upper-back"]


# Records by date, a stop for today: run again under tests/run's fixed clocks.
@pytest.mark.clock
def test_an_older_record_without_a_side_counts_for_both_sides(knotd, tmp_path):
    journal = tmp_path / "journal"
    t = int(clock.earlier_today())
    rec = {"record": "end", "time": t, "device": "ANOTHER-GUN", "uid": os.getuid(), "area": "calves",
           "cooldown_until": int(clock.now()) + 300, "duration_s": 20, "ran_ms": 20000, "target": 2,
           "ouches": 0, "end": "done"}
    journal.write_text(json.dumps(rec) + "\n")
    d = knotd(profiles=SIDES_PROFILES, journal=str(journal))
    d.wait_devices(1)
    for side in ("left", "right"):
        st = by_side(d)[side]
        assert st["closed"] == "cooldown" and 200 < st["rest_left_s"] <= 300 and st["dose_used_s"] == 20, (side, st)
        r = d.req({"cmd": "start", "area": "calves", "side": side})
        assert not r["ok"] and r["code"] == "cooldown", r
    assert d.trace.levels() == []
    hist = d.req({"cmd": "history", "side": "left"})
    assert [s["side"] for s in hist["sessions"]] == [None], hist


def test_a_red_flag_blocks_its_side_only_and_says_so(knotd):
    d = knotd(profiles=SIDES_PROFILES)
    d.wait_devices(1)
    r = d.req({"cmd": "checkin", "area": "calves", "side": "left", "flags": ["numbness"]})
    assert r["ok"] and r["side"] == "left", r
    assert "does not block your right side" in r["care"]["advice"], r
    assert "knotctl checkin calves --side left --clear" in r["care"]["advice"], r
    r = d.req({"cmd": "start", "area": "calves", "side": "left"})
    assert not r["ok"] and r["code"] == "red-flag", r
    assert d.trace.levels() == []
    r = d.req({"cmd": "start", "area": "calves", "side": "right"})
    assert r["ok"], r
    d.trace.wait(r"^level 1 by=host")
    # A red flag on the side that runs stops it at once; one on the other side does not.
    assert d.req({"cmd": "checkin", "area": "calves", "side": "left", "flags": ["tingling"]})["stopped"] == []
    assert d.devices()[0]["session"]["end"] == ""
    r = d.req({"cmd": "checkin", "area": "calves", "side": "right", "flags": ["swelling"]})
    assert r["ok"] and r["stopped"] == ["KNOTSIM1"], r
    d.trace.wait(r"^level 0 by=host")
    care = d.req({"cmd": "status"})["care"]
    assert sorted((c["area"], c["side"]) for c in care) == [("calves", "left"), ("calves", "right")], care


def test_a_red_flag_without_a_side_stops_the_area_first_and_then_asks(knotd):
    """Found by a review: the side's refusal came before the stop, and the motor ran on."""
    d = knotd(profiles=SIDES_PROFILES)
    d.wait_devices(1)
    assert d.req({"cmd": "start", "area": "calves", "side": "left"})["ok"]
    d.trace.wait(r"^level 1 by=host")
    r = d.req({"cmd": "checkin", "area": "calf", "flags": ["numbness"]})
    assert not r["ok"] and r["code"] == "side" and r["stopped"] == ["KNOTSIM1"], r
    d.trace.wait(r"^level 0 by=host")
    assert d.devices()[0]["session"]["end"] == "red-flag"
    # Nothing was recorded (no side), so nothing blocks yet: the person says which side next.
    assert d.req({"cmd": "checkin", "area": "calves", "pain": 2})["stopped"] == []


# Records by date, a stop for today: run again under tests/run's fixed clocks.
@pytest.mark.clock
def test_clearing_one_side_of_an_older_red_flag_leaves_it_on_the_other(knotd, tmp_path):
    journal = tmp_path / "journal"
    rec = {"record": "checkin", "time": int(clock.earlier_today()), "uid": os.getuid(), "area": "calves",
           "flags": ["weakness"]}
    journal.write_text(json.dumps(rec) + "\n")
    d = knotd(profiles=SIDES_PROFILES, journal=str(journal))
    d.wait_devices(1)
    for side in ("left", "right"):
        assert by_side(d)[side]["closed"] == "red-flag", side
    assert d.req({"cmd": "checkin", "area": "calves", "side": "left", "clear": True})["ok"]
    assert by_side(d)["left"]["closed"] is None and by_side(d)["right"]["closed"] == "red-flag"
    d.stop()
    # The journal says the same after a restart: the clear lifted the left side only.
    (tmp_path / "second").mkdir()
    d2 = Knotd(tmp_path / "second", profiles=SIDES_PROFILES, journal=d.journal)
    try:
        d2.wait_devices(1)
        assert by_side(d2)["left"]["closed"] is None and by_side(d2)["right"]["closed"] == "red-flag"
        r = d2.req({"cmd": "start", "area": "calves", "side": "right"})
        assert not r["ok"] and r["code"] == "red-flag", r
        assert d2.trace.levels() == []
    finally:
        d2.stop()


# Records by date, a stop for today: run again under tests/run's fixed clocks.
@pytest.mark.clock
def test_a_pain_stop_closes_that_side_for_the_day(knotd):
    d = knotd(profiles=SIDES_PROFILES)
    d.wait_devices(1)
    assert d.req({"cmd": "start", "area": "calves", "side": "right"})["ok"]
    d.trace.wait(r"^level 1 by=host")
    assert d.req({"cmd": "ouch"})["ok"]
    r = d.req({"cmd": "ouch"})
    d.trace.wait(r"^level 0 by=host")
    assert d.wait_session_end()["end"] == "pain", r
    r = d.req({"cmd": "start", "area": "calves", "side": "right"})
    assert not r["ok"] and r["code"] == "pain-stop" and "right calf" in r["message"], r
    r = d.req({"cmd": "start", "area": "calves", "side": "left"})
    assert r["ok"], r
    assert d.req({"cmd": "stop"})["ok"]


def test_a_shorter_session_asked_for_ends_when_it_said(knotd):
    d = knotd(profiles=SIDES_PROFILES)
    d.wait_devices(1)
    r = d.req({"cmd": "start", "area": "calves", "side": "left", "session_s": 5})
    assert not r["ok"] and r["code"] == "limit" and "10..20" in r["message"], r
    r = d.req({"cmd": "start", "area": "calves", "side": "left", "session_s": 21})
    assert not r["ok"] and r["code"] == "limit", r
    r = d.req({"cmd": "start", "area": "calves", "side": "left", "session_s": 12})
    assert r["ok"] and r["session"]["session_s"] == 12, r
    ended = d.wait_session_end(20)
    assert ended["end"] == "done", ended
    levels = d.trace.levels()
    on = levels[0][0]
    off = next(ns for ns, level, _ in levels if level == 0)
    assert 11.5 < (off - on) / 1e9 < 13.5, levels


def test_routines_are_served_step_by_step(knotd):
    d = knotd(profiles=SIDES_PROFILES)
    d.wait_devices(1)
    r = d.req({"cmd": "routines"})
    assert r["ok"] and [x["name"] for x in r["routines"]] == ["three"], r
    steps = [(s["area"], s["side"], s["session_s"], s["level"]) for s in r["routines"][0]["steps"]]
    assert steps == [("calves", "left", 15, None), ("calves", "right", 12, 1), ("upper-back", None, 15, None)], steps
    assert r["routines"][0]["steps"][0]["aftercare"].startswith("Calf stretch"), r
