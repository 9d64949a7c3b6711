# SPDX-License-Identifier: MIT
"""test_care.py - the care record through the real socket: check-ins, red flags, history, when to see a professional, rotation."""
import datetime
import json
import os
import time

import pytest

import clock
from clock import day_at
from knotd import restarted
from knotsim import wait_for

# Records by date, rest and the day's dose: run again under tests/run's fixed clocks.
pytestmark = pytest.mark.clock

DAY = 86400


def write_journal(path, records):
    with open(path, "a") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    return str(path)


def session_end(t, area="calves", uid=None, ran_s=60, end="done", peak=2):
    return {"record": "end", "time": t, "device": "ANOTHER-GUN", "uid": os.getuid() if uid is None else uid,
            "area": area, "cooldown_until": t, "duration_s": ran_s, "ran_ms": ran_s * 1000, "target": 2,
            "peak": peak, "ouches": 0, "end": end}


def checkin(t, pain, area="calves", uid=None, flags=(), note=None):
    r = {"record": "checkin", "time": t, "uid": os.getuid() if uid is None else uid, "area": area, "pain": pain,
         "flags": list(flags)}
    if note:
        r["note"] = note
    return r


def test_a_red_flag_blocks_the_area_until_cleared_knowingly(knotd, tmp_path):
    d = knotd()
    d.wait_devices(1)
    r = d.req({"cmd": "checkin", "area": "calves", "pain": 6, "flags": ["tingling"], "note": "after the run"})
    assert r["ok"] and r["care"]["red_flags"] == ["tingling"], r
    assert "see a doctor or a physical therapist" in r["care"]["advice"], r
    assert "knotctl checkin calves --clear" in r["care"]["advice"], r
    s = d.req({"cmd": "start", "area": "calves"})
    assert s["code"] == "red-flag" and s["red_flags"] == ["tingling"], s
    assert s["message"].startswith("Your calves: tingling. Numbness, tingling or weakness"), s
    # The flag is the area's: another area starts.
    assert d.req({"cmd": "start", "area": "forearms"})["ok"]
    assert d.req({"cmd": "stop"})["ok"]
    assert [c["area"] for c in d.req({"cmd": "status"})["care"]] == ["calves"]
    # On record: a restart does not forget it.
    assert d.stop() == 0
    d2 = restarted(d, tmp_path)
    try:
        d2.wait_devices(1)
        assert d2.req({"cmd": "start", "area": "calves"})["code"] == "red-flag"
        r = d2.req({"cmd": "checkin", "area": "calves", "clear": True})
        assert r["ok"] and r["cleared"] and r["care"] is None, r
        assert d2.req({"cmd": "start", "area": "calves"})["ok"], "cleared knowingly: the massager may go back on"
        d2.trace.wait(r"^level 1 by=host")
        assert d2.req({"cmd": "stop"})["ok"]
    finally:
        assert d2.stop() == 0
    # Only forearms and the cleared calves ever ran.
    assert [l for _, l, _ in d.trace.levels()] == [1, 0]
    with open(d.journal) as f:
        kinds = [json.loads(line)["record"] for line in f]
    assert kinds.count("checkin") == 1 and kinds.count("clear") == 1, kinds


BAD_CHECKINS = [
    ({"cmd": "checkin", "area": "calves", "pain": 11}, "pain 11 is not on the scale"),
    ({"cmd": "checkin", "area": "calves", "pain": -1}, "pain -1 is not on the scale"),
    ({"cmd": "checkin", "area": "calves", "pain": "6"}, "'pain'"),
    ({"cmd": "checkin", "area": "calves", "pain": 4.5}, "'pain'"),
    ({"cmd": "checkin", "area": "calves", "pain": None}, "'pain'"),
    ({"cmd": "checkin", "area": "calves", "flags": ["burning"]}, "flags[0] is not one of"),
    ({"cmd": "checkin", "area": "calves", "flags": "tingling"}, "'flags' must be an array"),
    ({"cmd": "checkin", "area": "calves", "flags": [1]}, "flags[0] is not one of"),
    ({"cmd": "checkin", "area": "calves", "pain": 3, "note": "x" * 201}, "'note' is 201 bytes long"),
    ({"cmd": "checkin", "area": "calves", "pain": 3, "note": "a\tb"}, "'note'"),
    ({"cmd": "checkin", "area": "calves", "pain": 3, "note": 7}, "'note'"),
    ({"cmd": "checkin", "area": "calves", "clear": True, "pain": 2}, "a clear is a check-in of its own"),
    ({"cmd": "checkin", "area": "calves", "clear": "yes"}, "'clear'"),
    ({"cmd": "checkin", "area": "calves"}, "checkin needs 'pain'"),
    ({"cmd": "checkin", "area": "shins", "pain": 3}, "unknown body area 'shins'"),
    ({"cmd": "checkin", "pain": 3}, "checkin needs 'area'"),
    ({"cmd": "history", "days": 0}, "days 0: 1 to 365"),
    ({"cmd": "history", "days": 366}, "days 366: 1 to 365"),
    ({"cmd": "history", "area": "shins"}, "unknown body area 'shins'"),
]


def test_bad_check_ins_are_refused_with_what_was_wrong(knotd):
    d = knotd()
    d.wait_devices(1)
    for req, phrase in BAD_CHECKINS:
        r = d.req(req)
        assert r["ok"] is False and phrase in r["message"], (req, r)
        assert r["code"] in ("bad-request", "unknown-area"), (req, r)
    # Nothing of it reached the record, and the daemon serves on.
    assert d.req({"cmd": "history"})["checkins"] == []
    # Flags alone are a check-in without a pain.
    assert d.req({"cmd": "checkin", "area": "forearms", "flags": ["sleep"]})["ok"]
    assert [(c["pain"], c["flags"]) for c in d.req({"cmd": "history"})["checkins"]] == [(None, ["sleep"])]
    assert d.req({"cmd": "start", "area": "calves"})["ok"]


def seeded(tmp_path, treated_days, pains, uid=None):
    """A journal: calves treated on the given days ago (day_at), check-ins (days_ago, pain)."""
    recs = [session_end(day_at(k), uid=uid) for k in treated_days]
    recs += [checkin(day_at(k, 1), p, uid=uid) for k, p in pains]
    recs.sort(key=lambda r: r["time"])
    return write_journal(tmp_path / "journal", recs)


def test_treated_on_eight_of_ten_days_and_no_better_recommends_a_therapist(knotd, tmp_path):
    d = knotd(journal=seeded(tmp_path, range(8), [(7, 6), (0, 6)]))
    d.wait_devices(1)
    r = d.req({"cmd": "start", "area": "calves"})
    assert r["ok"], r
    care = r["care"]
    assert care["see_therapist"] and care["treated_days"] == 8 and care["red_flags"] == [], care
    assert care["first_pain"] == 6 and care["last_pain"] == 6, care
    assert care["advice"].startswith("Your calves were treated on 8 of the last 10 days, pain 6, then 6. "), care
    assert "physical therapist" in care["advice"]
    assert d.req({"cmd": "stop"})["ok"]
    assert [c["area"] for c in d.req({"cmd": "status"})["care"]] == ["calves"]
    assert [c["area"] for c in d.req({"cmd": "history", "area": "calves"})["care"]] == ["calves"]


@pytest.mark.parametrize("treated, pains", [
    (range(7), [(7, 6), (0, 6)]),          # seven days are not more than seven
    (range(8), [(7, 6), (0, 5)]),          # better: 6 then 5
    (range(3, 11), [(10, 6), (3, 6)]),     # eight days, but day 10 ago is out of the window
])
def test_no_therapist_without_the_rule(knotd, tmp_path, treated, pains):
    d = knotd(journal=seeded(tmp_path, treated, pains))
    d.wait_devices(1)
    r = d.req({"cmd": "start", "area": "calves"})
    assert r["ok"] and r["care"] is None, r
    assert d.req({"cmd": "status"})["care"] == []


def test_history_is_the_persons_own(knotd, tmp_path):
    journal = write_journal(tmp_path / "journal", [
        session_end(day_at(20), ran_s=45, end="done"),
        session_end(day_at(3), ran_s=90, end="pain", peak=3),
        session_end(day_at(3, 10), area="forearms", uid=4242, ran_s=30),     # someone else's
        checkin(day_at(3, 12), 7, note="stiff after the run"),
        checkin(day_at(3, 13), 2, uid=4242),                                 # someone else's
    ])
    with open(journal, "a") as f:
        f.write('{"record":"checkin","time":%d,"uid":%d,"area":"calves","pain":' % (day_at(1), os.getuid()))  # torn
    d = knotd(journal=journal)
    d.wait_devices(1)
    d.start_running("calves")
    assert d.req({"cmd": "stop"})["ok"]
    assert d.req({"cmd": "checkin", "area": "calves", "pain": 4})["ok"]
    h = d.req({"cmd": "history"})
    assert h["days"] == 14 and not h["truncated"]
    assert [(s["area"], s["end"], s["ran_s"], s["peak"]) for s in h["sessions"]] == \
        [("calves", "pain", 90, 3), ("calves", "stopped", 0, 1)], h["sessions"]
    assert [(c["pain"], c["note"]) for c in h["checkins"]] == [(7, "stiff after the run"), (4, "")], h
    assert len(d.req({"cmd": "history", "days": 30})["sessions"]) == 3
    assert d.req({"cmd": "history", "area": "forearms"})["sessions"] == []


def test_the_journal_rotates_and_keeps_ninety_days(knotd, tmp_path):
    journal = write_journal(tmp_path / "journal", [
        checkin(int(clock.now()) - 91 * DAY, 5),
        checkin(int(clock.now()) - 30 * DAY, 4),
    ])
    d = knotd(journal=journal)
    d.wait_devices(1)
    assert d.req({"cmd": "checkin", "area": "calves", "pain": 3})["ok"]
    assert os.path.exists(journal + ".1"), "the journal whose first record is 91 days old was not rotated"
    with open(journal) as f:
        assert [json.loads(line)["pain"] for line in f] == [3]
    h = d.req({"cmd": "history", "days": 365})
    assert [c["pain"] for c in h["checkins"]] == [5, 4, 3], "rotation lost records"
    assert "rotated to" in d.log()


def pain_stop(d, area="calves"):
    """Starts area, says ouch twice at level 1: the session ends on pain."""
    d.start_running(area)
    assert d.req({"cmd": "ouch"})["ok"]
    r = d.req({"cmd": "ouch"})
    assert r["ok"], r
    s = d.wait_session_end()
    assert s["end"] == "pain" and "Stop for today" in s["advice"], s


def test_a_pain_stop_closes_the_area_for_the_day(knotd, tmp_path, wallclock):
    """Seen: "Stop for today" after a second ouch at level 1, and a new start accepted 3.7 s
    later. What knotd says, it does: the area stays off until tomorrow, across a restart,
    unless the person lifts it knowingly."""
    d = knotd()
    d.wait_devices(1)
    pain_stop(d)
    r = d.req({"cmd": "start", "area": "calves"})
    assert r["code"] == "pain-stop", r
    assert r["message"].startswith("Your calves still hurt at the lowest level today: stop for today."), r
    assert "until tomorrow, or until you lift it knowingly: knotctl checkin calves --clear." in r["message"], r
    r = d.knotctl("start", "calves", "--detach")
    assert r.returncode == 1 and r.stdout.startswith("Your calves still hurt at the lowest level today"), r
    # Said wherever the person looks.
    st = d.req({"cmd": "status"})
    assert [(c["area"], c["pain_stop"]) for c in st["care"]] == [("calves", True)], st["care"]
    today = next(a for a in d.req({"cmd": "areas"})["areas"] if a["name"] == "calves")["today"]
    assert today["closed"] == "pain-stop", today
    assert "stopped for today after pain: ready tomorrow" in d.knotctl("areas", "calves").stdout
    assert [c["pain_stop"] for c in d.req({"cmd": "history"})["care"]] == [True]
    # Another area is not closed.
    assert d.req({"cmd": "start", "area": "forearms"})["ok"]
    d.trace.wait(r"^level 1 by=host.*", timeout=5)
    assert d.req({"cmd": "stop"})["ok"]
    # On record: a restart keeps it.
    assert d.stop() == 0
    d2 = restarted(d, tmp_path)
    try:
        d2.wait_devices(1)
        assert d2.req({"cmd": "start", "area": "calves"})["code"] == "pain-stop"
        # Lifted knowingly, and recorded.
        r = d2.knotctl("checkin", "calves", "--clear", "--yes")
        assert r.returncode == 0 and r.stdout.startswith("Lifted today's stop on your calves"), r
        assert d2.req({"cmd": "start", "area": "calves"})["ok"]
        d2.trace.wait(r"^level 1 by=host")
        # Closed again by another pain stop, and open the next local day by the clock.
        assert d2.req({"cmd": "stop"})["ok"]
        d2.wait_session_end()
        pain_stop(d2)
        stopped_at = time.monotonic()
        assert d2.req({"cmd": "start", "area": "calves"})["code"] == "pain-stop"
        # The wall clock's offset is whole seconds, so "midnight" lands up to a second before the moment
        # it is set: the stop must lie more than a second back, or it falls on the new day (as it should).
        wait_for(lambda: time.monotonic() - stopped_at > 1.2, 5, "the stop a second in the past")
        # The stroke of the next midnight: open once the boot clock has passed the stop's place.
        wallclock.set_local(clock.local_date(0) + datetime.timedelta(days=1), 0, 0, 0)
        wait_for(lambda: (lambda t: t if t["closed"] is None else None)(
            next(a for a in d2.req({"cmd": "areas"})["areas"] if a["name"] == "calves")["today"]), 10,
            "the next day")
        r = d2.req({"cmd": "start", "area": "calves"})
        assert r["ok"], r
        d2.trace.wait(r"^level 1 by=host")
        assert d2.req({"cmd": "stop"})["ok"]
    finally:
        assert d2.stop() == 0
    # The device's own record: calves ran, stopped on pain, and nothing moved until the clear.
    assert [lvl for _, lvl, _ in d.trace.levels()] == [1, 0, 1, 0], d.trace.levels()
    with open(d.journal) as f:
        recs = [json.loads(line) for line in f]
    assert [r["end"] for r in recs if r["record"] == "end"] == ["pain", "stopped", "stopped", "pain", "stopped"]
    assert [r["record"] for r in recs].count("clear") == 1


def test_a_red_flag_stops_the_session_running_on_that_area(knotd):
    """Seen: a check-in with a red flag on the area running right now did not stop it: the session went
    on, rose to level 2 and ran its full time. The rule that refuses a start stops a running session."""
    d = knotd("--devices", "2", "--serial", "GUN")
    d.wait_devices(2)
    assert d.req({"cmd": "start", "area": "calves", "device": "GUN"})["ok"]
    assert d.req({"cmd": "start", "area": "forearms", "device": "GUN-2"})["ok"]
    d.trace.wait(r"^level 1 by=host dev=GUN$")
    d.trace.wait(r"^level 1 by=host dev=GUN-2$")
    # Pain alone is no red flag: nothing stops.
    r = d.req({"cmd": "checkin", "area": "calves", "pain": 4})
    assert r["ok"] and r["stopped"] == [], r
    r = d.knotctl("checkin", "calf", "--numbness")
    assert r.returncode == 0 and "Stopped the session on GUN." in r.stdout, r
    d.trace.wait(r"^level 0 by=host dev=GUN$")
    st = d.req({"cmd": "status", "device": "GUN"})["devices"][0]["session"]
    assert st["end"] == "red-flag" and "red flag" in st["advice"], st
    # The other area runs on, untouched by the calves' flag.
    assert d.req({"cmd": "status", "device": "GUN-2"})["devices"][0]["session"]["end"] == ""
    assert [lv for _, lv, _ in d.trace.levels("GUN-2")] == [1]
    with open(d.journal) as f:
        ends = [json.loads(line) for line in f if '"end"' in line]
    assert [e["end"] for e in ends if e.get("record") == "end"] == ["red-flag"], ends
    assert d.req({"cmd": "start", "area": "calves", "device": "GUN"})["code"] == "red-flag"
    assert d.req({"cmd": "stop"})["ok"]


def test_a_rename_cannot_drop_a_red_flag(knotd, tmp_path):
    """Seen: renaming an area without keeping the old name as an alias dropped its red flag.
    Such a reload is rejected, saying what to do; with the alias, the flag follows the area."""
    import signal
    from knotd import FAST_PROFILES, write_conf
    d = knotd()
    d.wait_devices(1)
    assert d.req({"cmd": "checkin", "area": "calves", "flags": ["numbness"]})["ok"]
    fast = open(FAST_PROFILES).read()
    prof = tmp_path / "renamed.conf"
    prof.write_text(fast.replace('name = "calves";\n        aliases = ["calf"];', 'name = "lower-legs";'))
    write_conf(d.conf, d.sock, str(prof), d.journal)
    d.signal(signal.SIGHUP)
    wait_for(lambda: "reload rejected" in d.log(), 10, "the reload to be rejected")
    assert ("%s: no area is named 'calves' or has it as an alias, but uid %d has a red flag there" % (prof, os.getuid())
            in d.log()), d.log()[-800:]
    assert "calves" in [a["name"] for a in d.req({"cmd": "areas"})["areas"]], "the old profiles stay"
    prof.write_text(fast.replace('name = "calves";\n        aliases = ["calf"];',
                                 'name = "lower-legs";\n        aliases = ["calves"];'))
    d.signal(signal.SIGHUP)
    wait_for(lambda: "reloaded" in d.log(), 10, "the reload")
    assert d.req({"cmd": "start", "area": "lower-legs"})["code"] == "red-flag"


def test_rotation_never_drops_a_red_flag_in_force(knotd, tmp_path, wallclock):
    """Seen: a red flag never cleared, then check-ins 91 and 182 days later: after the second
    rotation the flag was in no journal file, and a restart let the area start."""
    d = knotd()
    d.wait_devices(1)
    assert d.req({"cmd": "checkin", "area": "calves", "flags": ["swelling"]})["ok"]
    for pain in (2, 1):
        wallclock.step(91 * DAY)
        wait_for(lambda: d.req({"cmd": "history", "days": 1})["since"] == clock.midnight(), 5,
                 "knotd on the stepped clock")
        assert d.req({"cmd": "checkin", "area": "calves", "pain": pain})["ok"]
    assert d.log().count("rotated to") == 2, d.log()[-2000:]
    with open(d.journal + ".1") as old:
        assert "swelling" in old.read(), "the file the next rotation drops still holds it"
    with open(d.journal) as cur:
        first = json.loads(cur.readline())
    assert first["flags"] == ["swelling"] and first["carried"] is True, first
    # Not something the person did then: history does not list it.
    assert [c["pain"] for c in d.req({"cmd": "history", "days": 365})["checkins"]] == [2, 1]
    assert d.stop() == 0
    d2 = restarted(d, tmp_path)
    try:
        d2.wait_devices(1)
        assert d2.req({"cmd": "start", "area": "calves"})["code"] == "red-flag"
    finally:
        d2.stop()


def test_a_red_flag_stops_the_session_even_when_it_cannot_be_recorded(knotd):
    """Found by a review: a check-in whose record failed (a full disk, a journal gone wrong) returned
    before the stop, and the motor ran on over the red flag. No motor stays on for want of a disk."""
    d = knotd()
    d.wait_devices(1)
    d.start_running("calves")
    os.unlink(d.journal)
    os.mkfifo(d.journal)
    r = d.req({"cmd": "checkin", "area": "calves", "flags": ["numbness"]})
    assert r["code"] == "journal" and r["stopped"] == ["KNOTSIM1"], r
    d.trace.wait(r"^level 0 by=host")
    assert d.devices()[0]["session"]["end"] == "red-flag"
