# SPDX-License-Identifier: MIT
"""test_rest.py - rest a person understands: in proportion to what the muscle got, per person, the day's dose."""
import json
import re
import time

import pytest

from clock import day_at, now as wall_now
from knotd import journal_with_rest
from knotsim import wait_for

# Records by date, rest and the day's dose: run again under tests/run's fixed clocks.
pytestmark = pytest.mark.clock

CALVES_TRIAL_S, CALVES_SESSION_S, CALVES_COOLDOWN_S = 10, 20, 600   # profiles-fast.conf


def today(d, area):
    return next(a for a in d.req({"cmd": "areas"})["areas"] if a["name"] == area)["today"]


def end_records(d):
    with open(d.journal) as f:
        return [r for r in map(json.loads, f) if r["record"] == "end"]


def test_a_stop_within_the_trial_owes_no_rest(knotd):
    """Stopping after 3 s to reposition must not lock the area for its whole cool-down."""
    d = knotd()
    d.wait_devices(1)
    d.start_running("calves")
    wait_for(lambda: d.devices()[0]["session"]["elapsed_s"] >= 3, 10, "three seconds of the trial")
    assert d.req({"cmd": "stop"})["ok"]
    d.trace.wait(r"^level 0 by=host")
    t = today(d, "calves")
    assert t["rest_left_s"] == 0 and t["rest_until"] is None, t
    # The running time still counts toward the day's dose: what the device's
    # trace says the motor ran, less knotd's latency (it counts from the
    # device's acknowledgement to the stop), in whole seconds.
    (on, _, _), (off, _, _) = d.trace.levels()[:2]
    ran_s = (off - on) / 1e9
    assert ran_s >= 2.5, ran_s
    # (knotd counts whole milliseconds: up to 1 ms more than the trace's nanoseconds.)
    assert int(ran_s) - 1 <= t["dose_used_s"] <= ran_s + 0.002, (t, ran_s)
    assert t["dose_used_s"] < CALVES_TRIAL_S and t["dose_s"] == 600, t
    assert d.req({"cmd": "start", "area": "calves"})["ok"], "the area must start again at once"
    assert d.req({"cmd": "stop"})["ok"]


def test_rest_is_in_proportion_to_the_time_past_the_trial(knotd):
    d = knotd()
    d.wait_devices(1)
    d.start_running("calves")
    # Two seconds past the trial, then stop: about a fifth of the cool-down is owed.
    wait_for(lambda: d.devices()[0]["session"]["phase"] != "trial", CALVES_TRIAL_S + 5, "the trial to end")
    wait_for(lambda: d.devices()[0]["session"]["elapsed_s"] >= CALVES_TRIAL_S + 2, 10, "two seconds more")
    assert d.req({"cmd": "stop"})["ok"]
    ran_ms = end_records(d)[-1]["ran_ms"]
    assert CALVES_TRIAL_S * 1000 < ran_ms < CALVES_SESSION_S * 1000, ran_ms
    owed_s = CALVES_COOLDOWN_S * (ran_ms - CALVES_TRIAL_S * 1000) / ((CALVES_SESSION_S - CALVES_TRIAL_S) * 1000)
    r = d.req({"cmd": "start", "area": "calves"})
    assert r["code"] == "cooldown", r
    assert owed_s - 2 <= r["rest_left_s"] <= owed_s + 1, (r, owed_s)
    # Said like a person: when, and what to do meanwhile (the area's stretch).
    m = re.fullmatch(r"Time to rest your calves \u2014 ready in (\d+) min \(at (\d\d):(\d\d)\)\. "
                     r"Meanwhile: Calf stretch: hold at least 30 seconds, no bouncing\.", r["message"])
    assert m, r["message"]
    assert int(m.group(1)) == -(-r["rest_left_s"] // 60), r
    at = time.localtime(wall_now() + r["rest_left_s"])
    assert abs((int(m.group(2)) * 60 + int(m.group(3))) - (at.tm_hour * 60 + at.tm_min)) in (0, 1, 1439), r
    t = today(d, "calves")
    assert abs(t["rest_left_s"] - r["rest_left_s"]) <= 1 and t["rest_until"] > wall_now(), t
    assert [x for x in d.req({"cmd": "status"})["rest"] if x["area"] == "calves"], "status shows who rests"
    assert d.req({"cmd": "start", "area": "forearms"})["ok"], "other areas do not rest"


def test_rest_belongs_to_the_person_not_the_massager(knotd, tmp_path):
    """Owed by us on another massager: it holds here. Owed by someone else: it does not."""
    journal = journal_with_rest(tmp_path / "journal", "calves", 300, ran_s=20, serial="ANOTHER-GUN")
    journal_with_rest(journal, "forearms", 300, ran_s=20, uid=4242)
    d = knotd(journal=journal)
    d.wait_devices(1)
    r = d.req({"cmd": "start", "area": "calves"})
    assert r["code"] == "cooldown" and 290 <= r["rest_left_s"] <= 300, r
    assert d.req({"cmd": "start", "area": "forearms"})["ok"], "another person's rest is theirs"
    assert d.trace.wait(r"^level 1 by=host")


def test_the_days_dose_is_the_limit(knotd, tmp_path):
    """forearms: 1 minute a day (profiles-fast.conf). 50 s used today: a session is cut to
    the 10 s left; 55 s used: less than a trial's worth is left, so none starts."""
    d = knotd(journal=journal_with_rest(tmp_path / "journal", "forearms", 0, ran_s=50))
    d.wait_devices(1)
    assert today(d, "forearms")["dose_used_s"] == 50
    r = d.req({"cmd": "start", "area": "forearms"})
    assert r["ok"] and r["area"]["session_s"] == 10, r
    end = d.wait_session_end(timeout=20)
    assert end["end"] == "done", end
    levels = d.trace.levels()
    assert levels[0][1:] == (1, "host") and levels[-1][1:] == (0, "host"), levels
    ran_s = (levels[-1][0] - levels[0][0]) / 1e9
    assert 9.5 <= ran_s <= 11.0, "the motor ran %.1f s of the 10 s left today" % ran_s
    r = d.req({"cmd": "start", "area": "forearms"})
    assert r["code"] == "dose" and r["dose_s"] == 60 and r["dose_used_s"] >= 59, r
    assert r["message"].startswith("Today's 1 minute for your forearms is used up"), r
    assert len(d.trace.levels()) == len(levels), "no motor ran past the day's dose"


def test_yesterdays_running_time_does_not_count_today(knotd, tmp_path):
    d = knotd(journal=journal_with_rest(tmp_path / "journal", "forearms", 0, ran_s=60, at=day_at(1)))
    d.wait_devices(1)
    assert today(d, "forearms")["dose_used_s"] == 0
    assert d.req({"cmd": "start", "area": "forearms"})["ok"]


def test_the_dose_is_the_persons_across_massagers(knotd):
    """Seen: one person, three massagers, calves with a 60 s dose: 180 s ran. The dose and the rest
    belong to a person and an area: one session of an area at a time, whichever massager."""
    d = knotd("--devices", "3", "--serial", "GUN")
    d.wait_devices(3)
    assert d.req({"cmd": "start", "area": "forearms", "device": "GUN"})["ok"]
    d.trace.wait(r"^level 1 by=host dev=GUN$")
    for other in ("GUN-2", "GUN-3"):
        r = d.req({"cmd": "start", "area": "forearms", "device": other})
        assert r["code"] == "busy" and "already runs on GUN" in r["message"], r
    # Another area on another massager is another matter.
    assert d.req({"cmd": "start", "area": "calves", "device": "GUN-2"})["ok"]
    d.trace.wait(r"^level 1 by=host dev=GUN-2$")
    assert d.trace.levels("GUN-3") == []
    assert d.req({"cmd": "stop"})["ok"]
    # Once it ended, the next start is capped to what is left of the day's dose.
    r = d.req({"cmd": "start", "area": "forearms", "device": "GUN-3"})
    assert r["ok"] and r["area"]["session_s"] < 60, r   # forearms: 1 min a day (profiles-fast.conf), some used
    assert d.req({"cmd": "stop"})["ok"]
