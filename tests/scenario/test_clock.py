# SPDX-License-Identifier: MIT
"""test_clock.py - knotd when the wall clock moves (knotd(8), TIME): a record from the future counts as now, rest is measured on the boot clock across a step or a restart, a clock set back across midnight keeps the day's dose."""
import datetime
import json
import os
import time

import pytest

import clock
from knotd import journal_with_rest, restarted
from knotsim import wait_for

CALVES_TRIAL_S, CALVES_SESSION_S, CALVES_COOLDOWN_S = 10, 20, 600   # profiles-fast.conf
FOREARMS_DOSE_S = 60


def today(d, area):
    return next(a for a in d.req({"cmd": "areas"})["areas"] if a["name"] == area)["today"]


def rest_after_a_session(d):
    """Runs calves two seconds past the trial, stops, and returns the rest owed (s)."""
    d.start_running("calves")
    wait_for(lambda: d.devices()[0]["session"]["phase"] != "trial", CALVES_TRIAL_S + 5, "the trial to end")
    wait_for(lambda: d.devices()[0]["session"]["elapsed_s"] >= CALVES_TRIAL_S + 2, 10, "two seconds more")
    assert d.req({"cmd": "stop"})["ok"]
    owed = today(d, "calves")["rest_left_s"]
    assert 30 <= owed < CALVES_COOLDOWN_S, owed
    return owed


def knotd_wall(d):
    """knotd's own wall clock, read back: history's 'since' for one day is its local midnight."""
    since = d.req({"cmd": "history", "days": 1})["since"]
    return since


@pytest.mark.clock
def test_the_tests_clock_is_the_one_knotd_and_knotctl_read(knotd):
    """The clock matrix means something only if the daemon and the CLI live at the test's time."""
    d = knotd()
    assert knotd_wall(d) == clock.midnight(), "knotd's local day is not the test's"
    assert d.req({"cmd": "checkin", "area": "calves", "pain": 3})["ok"]
    with open(d.journal) as f:
        written = json.loads(f.readline())["time"]
    assert abs(written - clock.now()) <= 5, "knotd stamps its records by the test's clock"
    r = d.knotctl("history", "--days", "2")
    assert r.returncode == 0 and r.stdout.startswith(
        "History of the last 2 days (since %s):" % clock.local_date(1).isoformat()), r
    assert time.strftime("%Y-%m-%d %H:%M", time.localtime(written)) in r.stdout, r


@pytest.mark.clock
def test_a_record_from_the_future_counts_as_now(knotd, tmp_path):
    """Measured before: with the clock a day back, rest_left_s was 86,700 (a lock-out for a clock
    error). The record counts as written now: the 600 s it owed, its dose today's, and knotd says
    the clock went back."""
    ahead = int(clock.now()) + 86400
    rec = {"record": "end", "time": ahead, "device": "ANOTHER-GUN", "uid": os.getuid(), "area": "calves",
           "cooldown_until": ahead + 600, "duration_s": 90, "ran_ms": 90000, "target": 2, "ouches": 0,
           "end": "done"}
    journal = tmp_path / "journal"
    journal.write_text(json.dumps(rec) + "\n")
    d = knotd(journal=str(journal))
    d.wait_devices(1)
    r = d.req({"cmd": "start", "area": "calves"})
    assert r["code"] == "cooldown" and 590 <= r["rest_left_s"] <= 600, r
    assert today(d, "calves")["dose_used_s"] == 90, "the record's dose counts today"
    st = d.req({"cmd": "status"})
    assert 86390 <= st["clock_behind_s"] <= 86400, st
    assert "the clock went back: 1 journal record(s) lie in the future" in d.log()
    out = d.knotctl("status").stdout
    assert "clock: the system clock is 24 h behind the journal's newest record (it went back)" in out, out
    assert not d.trace.levels(), "nothing ran"


def test_a_restart_with_the_wall_clock_ahead_keeps_the_rest(knotd, wallclock, tmp_path):
    """Measured before: after a full session, a restart with the wall clock 15 min ahead let
    calves start at once. In the same boot the rest is read from the boot clock."""
    d = knotd()
    d.wait_devices(1)
    owed = rest_after_a_session(d)
    assert d.stop() == 0
    with open(d.journal) as f:
        recs = [json.loads(line) for line in f]
    assert recs and all(len(r["boot"]) == 32 and r["boot_ms"] > 0 for r in recs), recs
    wallclock.step(owed + 900)   # by the wall clock alone the rest is long over
    d2 = restarted(d, tmp_path, "second")
    try:
        d2.wait_devices(1)
        r = d2.req({"cmd": "start", "area": "calves"})
        assert r["code"] == "cooldown" and owed - 30 <= r["rest_left_s"] <= owed, (r, owed)
        assert "the wall clock moved +" in d2.log()
    finally:
        assert d2.stop() == 0
    # The same records without their boot: only the wall clock is left, and it says the rest is over.
    bare = tmp_path / "bare-journal"
    bare.write_text("".join(json.dumps({k: v for k, v in r.items() if k not in ("boot", "boot_ms")}) + "\n"
                            for r in recs))
    d3 = restarted(d, tmp_path, "third", journal=str(bare))
    try:
        d3.wait_devices(1)
        assert today(d3, "calves")["rest_left_s"] == 0
    finally:
        assert d3.stop() == 0


def test_a_jump_forward_during_a_cool_down_keeps_the_rest(knotd, wallclock):
    d = knotd()
    d.wait_devices(1)
    owed = rest_after_a_session(d)
    midnight_before = knotd_wall(d)
    wallclock.step(2 * 86400)    # two days ahead: knotd's local day moves
    wait_for(lambda: knotd_wall(d) > midnight_before, 10, "knotd to see the stepped clock")
    r = d.req({"cmd": "start", "area": "calves"})
    assert r["code"] == "cooldown" and owed - 30 <= r["rest_left_s"] <= owed, (r, owed)
    # "ready at" is said by the clock as it reads now.
    t = today(d, "calves")
    assert abs(t["rest_until"] - (clock.now() + t["rest_left_s"])) <= 3, t


def test_a_clock_set_back_across_midnight_keeps_the_dose(knotd, wallclock, tmp_path):
    """Measured before: stepping the wall clock back 3 min across local midnight reset
    dose_used_s to 0 and a start was accepted. The dose stays used until the stepped clock
    passes midnight, in a running knotd and after a restart alike."""
    day = clock.local_date(0) + datetime.timedelta(days=1)
    wallclock.set_local(day, 0, 1, 0)                       # 00:01:00
    at = clock.at(day, 0, 0, 20)
    d = knotd(journal=journal_with_rest(tmp_path / "journal", "forearms", 0, ran_s=FOREARMS_DOSE_S, at=at))
    d.wait_devices(1)
    assert today(d, "forearms")["dose_used_s"] == FOREARMS_DOSE_S
    assert d.req({"cmd": "start", "area": "forearms"})["code"] == "dose"
    midnight = knotd_wall(d)
    assert midnight == clock.at(day, 0)
    wallclock.step(-180)                                    # 23:58:00 the day before
    wait_for(lambda: knotd_wall(d) < midnight, 10, "knotd to see the clock set back")
    assert today(d, "forearms")["dose_used_s"] == FOREARMS_DOSE_S, "the day's dose is not handed out again"
    assert d.req({"cmd": "start", "area": "forearms"})["code"] == "dose"
    # A restart at 23:58 reads the record of 00:00:20 as written now: still today's dose.
    assert d.stop() == 0
    d2 = restarted(d, tmp_path, "second")
    try:
        d2.wait_devices(1)
        assert d2.req({"cmd": "start", "area": "forearms"})["code"] == "dose"
        assert "the clock went back" in d2.log()
        # When the clock passes midnight again, the day is new (knotd(8), TIME): set to the
        # stroke of midnight, it is new once the boot clock has passed the record's place.
        wallclock.set_local(day, 0, 0, 0)
        wait_for(lambda: today(d2, "forearms")["dose_used_s"] == 0, 10, "the next day's dose")
        assert knotd_wall(d2) == midnight
        assert d2.req({"cmd": "start", "area": "forearms"})["ok"]
        d2.trace.wait(r"^level 1 by=host")
        assert d2.req({"cmd": "stop"})["ok"]
    finally:
        assert d2.stop() == 0
    assert [lvl for _, lvl, _ in d.trace.levels()] == [], "nothing ran on the used-up day"


def test_forged_journal_times_neither_crash_nor_lock_out(knotd, tmp_path):
    """Found by a hostile review: a time of -2^63 overflowed at start-up (UBSan stopped knotd)."""
    now = int(clock.now())
    recs = [
        {"record": "end", "time": -2 ** 63, "device": "X", "uid": os.getuid(), "area": "calves",
         "cooldown_until": 2 ** 62, "ran_ms": 1000, "end": "done"},
        {"record": "end", "time": -2 ** 62, "device": "X", "uid": os.getuid(), "area": "calves",
         "cooldown_until": 2 ** 62, "ran_ms": 1000, "end": "done"},
        {"record": "end", "time": 2 ** 63 - 1, "device": "X", "uid": os.getuid(), "area": "forearms",
         "cooldown_until": 2 ** 63 - 1, "ran_ms": 1000, "end": "done", "boot": "f" * 32, "boot_ms": 2 ** 62},
        {"record": "checkin", "time": now + 10 ** 12, "uid": os.getuid(), "area": "calves", "pain": 3, "flags": []},
    ]
    journal = tmp_path / "journal"
    journal.write_text("".join(json.dumps(r) + "\n" for r in recs))
    d = knotd(journal=str(journal))
    d.wait_devices(1)
    # A time below zero is no time: such a record counts as written now (as one without a
    # time), owing at most what any area could (the longest session and cool-down); a record
    # at the end of time from another boot lies before this boot and owed nothing.
    assert today(d, "calves")["rest_left_s"] <= 300 + 86400
    assert today(d, "forearms")["rest_left_s"] == 0
    st = d.req({"cmd": "status"})
    assert 0 < st["clock_behind_s"] < 10 ** 13, st
    assert d.knotctl("status").returncode == 0
