# SPDX-License-Identifier: MIT
"""test_advice.py - what knotctl tells the person, through the real socket against knot-sim: the guide's tool as what it is, the warm-up, the stretch after every end, refusals said like a person, areas AREA, status."""
import json
import re
import subprocess
import time

import pytest

from clock import now as wall_now
from knotd import KNOTCTL, SHIPPED_PROFILES, journal_with_rest
from knotsim import wait_for
from tmuxpane import knotctl_line

# Records by date, rest and the day's dose: run again under tests/run's fixed clocks.
pytestmark = pytest.mark.clock

LEGEND = "keys: o or space = ouch"
WARM_UP = ("First session on your calves today: warm the muscle up first (a warm compress or a hot shower, "
           "15-20 minutes)")
WARM_QUESTION = "Is the muscle warm? Enter to start, q and Enter to leave: "
CALF_TOOL = ("The guide's tool for the calves is a foam roller: sit with the roller under your calf and use your "
             "hands to support your weight.")
CALF_STRETCH = "Calf stretch: hold at least 30 seconds, no bouncing."   # profiles-fast.conf


def line_of(lines, prefix):
    """Index of the first line that starts with prefix."""
    return next((i for i, l in enumerate(lines) if l.startswith(prefix)), None)


def clock(t):
    """The wall-clock time as knotctl says it: HH:MM today, else with the day."""
    same_day = time.localtime(t)[:3] == time.localtime(wall_now())[:3]
    return time.strftime("%H:%M" if same_day else "%a %H:%M", time.localtime(t))


def test_the_first_session_warms_up_and_the_guides_tool_is_said_as_what_it_is(knotd, tmux):
    d = knotd()
    d.wait_devices(1)
    t = tmux(d)
    t.run(knotctl_line("start", "calves", raw=True))
    # The day's first session asks before the motor moves.
    t.wait(re.escape(WARM_QUESTION.strip()))
    assert d.trace.levels() == [], "the motor moved before the person said the muscle is warm"
    t.key("Enter")
    screen = t.wait(LEGEND)
    lines = screen.splitlines()
    # In this order: warm up (asked), the guide's other tool, the massager itself, the plan.
    order = [line_of(lines, p) for p in (WARM_UP[:60], WARM_QUESTION.strip(), CALF_TOOL[:60], "With the massager: "
                                         "the lowest speed first, for 10-20 seconds", "Trial at level 1 for 10 s", LEGEND)]
    assert None not in order and order == sorted(order), screen
    # Sentences wider than the terminal's 120 columns are wrapped between words, not cut mid-word.
    assert CALF_TOOL in " ".join(lines) and WARM_UP in " ".join(lines), screen
    assert max(len(l) for l in lines[order[0]:]) <= 119, screen
    assert "tool: Foam Roller" not in screen and "Quick action" not in screen, screen
    d.trace.wait(r"^level 1 by=host")
    t.type("q")
    t.wait(r"^EXIT=0")
    # The warm-up is for the area's first session of the day only.
    r = d.knotctl("--detach", "start", "calves", raw=True)
    assert r.returncode == 0 and r.stdout.startswith(CALF_TOOL + "\nWith the massager: "), r
    assert "warm" not in r.stdout, r.stdout
    assert d.req({"cmd": "stop"})["ok"]


def test_a_stop_from_another_terminal_ends_the_view_with_the_stretch(knotd, tmux):
    d = knotd()
    d.wait_devices(1)
    watch = subprocess.Popen([KNOTCTL, "-s", d.sock, "watch"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    try:
        t = tmux(d)
        t.run(knotctl_line("start", "calves"))
        t.wait(LEGEND)
        d.trace.wait(r"^level 1 by=host")
        r = d.knotctl("stop")
        assert r.returncode == 0 and r.stdout == "stopped KNOTSIM1\nAfter-care: %s\n" % CALF_STRETCH, r
        # The view that started it says the end and the stretch too, invites a check-in, and exits 0 (the person ended it).
        screen = t.wait(r"^EXIT=\d+")
        invite = "How do your calves feel now? knotctl checkin calves --pain 0-10"
        assert re.search(r"^stopped from elsewhere \(knotctl stop\)\nAfter-care: %s\n%s\nEXIT=0$"
                         % (re.escape(CALF_STRETCH), re.escape(invite)),
                         screen, re.M), screen
        # Nothing ran: no stretch, and nothing said to be stopped, for a session that ended before.
        r = d.knotctl("stop")
        assert r.returncode == 0 and r.stdout == "no motor was running\n", r
    finally:
        watch.terminate()
        out, _ = watch.communicate(timeout=10)
    assert re.search(r"^\S+ KNOTSIM1: session ended: Calves, stopped\n\S+ KNOTSIM1: after-care: %s$"
                     % re.escape(CALF_STRETCH), out, re.M), out


def test_the_massager_refused_where_it_does_not_belong_reads_as_advice(knotd):
    d = knotd(profiles=SHIPPED_PROFILES)
    d.wait_devices(1)
    cases = [
        (("start", "neck"), "neck",
         "your fingers: use your opposite hand to apply gentle, sustained pressure for 30 seconds.",
         "Upper trapezius stretch: sit up straight"),
        # The guide: "like your neck or forearms, your own thumbs or knuckles".
        (("--detach", "start", "Fore_Arm"), "forearms",
         "your thumbs or knuckles: press and hold, or use slow, deliberate strokes that move along the muscle's "
         "grain. Always make sure the area you're working on is supported so the surrounding muscles can stay "
         "relaxed.",
         "Forearm stretch: arm straight, palm up"),
    ]
    for args, area, tool, stretch in cases:
        r = d.knotctl(*args)
        assert r.returncode == 1 and r.stderr == "", r
        lines = r.stdout.splitlines()
        assert len(lines) == 3, r.stdout
        assert lines[0] == "The massager does not belong on the %s." % area
        assert lines[1] == "The guide's tool for the %s is %s" % (area, tool)
        assert lines[2].startswith("After-care: " + stretch), lines[2]
    # Programs still get the code.
    r = d.knotctl("--json", "start", "neck")
    assert r.returncode == 1 and json.loads(r.stdout)["code"] == "not-allowed", r
    assert d.trace.levels() == []


def test_rest_and_dose_refusals_are_printed_as_knotd_words_them(knotd, tmp_path):
    journal = journal_with_rest(tmp_path / "journal", "calves", 300, ran_s=20)
    journal_with_rest(journal, "forearms", 0, ran_s=60)   # forearms: 1 minute a day (profiles-fast.conf)
    d = knotd(journal=journal)
    d.wait_devices(1)
    for area, code, begins in [("calves", "cooldown", "Time to rest your calves \u2014 ready in 5 min (at "),
                               ("forearms", "dose", "Today's 1 minute for your forearms is used up")]:
        said = d.req({"cmd": "start", "area": area})
        assert said["code"] == code, said
        r = d.knotctl("start", area)
        assert r.returncode == 1 and r.stderr == "", r
        assert r.stdout == said["message"] + "\n" and r.stdout.startswith(begins), r.stdout
    assert d.trace.levels() == []


def test_status_says_how_old_idle_readings_are_what_to_do_about_a_fault_and_what_rests(knotd, tmp_path):
    d = knotd(journal=journal_with_rest(tmp_path / "journal", "forearms", 120, ran_s=30))
    d.wait_devices(1)
    # Idle, a status reads the massager: the readings are from now.
    r = d.knotctl("status")
    assert r.returncode == 0 and "faults: none (readings from just now)" in r.stdout, r.stdout
    # A massager that does not answer: status neither hangs on it nor passes old readings off as fresh.
    assert d.sim.ctl("hang") == "ok"
    wait_for(lambda: d.devices()[0]["read_ago_s"] != 0, 10, "the failed look")
    t0 = time.monotonic()
    r = d.knotctl("status")
    # Said, and a script hears it: status 6, a massager that needs attention.
    assert r.returncode == 6 and time.monotonic() - t0 < 5, r
    assert "faults: none (the massager does not answer)" in r.stdout, r.stdout
    assert d.sim.ctl("unhang") == "ok"
    wait_for(lambda: d.devices()[0]["read_ago_s"] == 0, 10, "readings fresh again")
    # While a motor runs they are fresh: no age.
    d.start_running("calves")
    r = d.knotctl("status")
    assert "Calves: trial" in r.stdout and "readings from" not in r.stdout, r.stdout
    assert d.req({"cmd": "stop"})["ok"]
    # A latched fault: the refusal as knotd words it, and status with what to do.
    assert d.sim.ctl("fault low-battery") == "ok"
    said = d.req({"cmd": "start", "area": "calves"})
    assert said["code"] == "fault", said
    # knotd's words (the battery drains as it is read: the percentage may move).
    low = r"The massager's battery is low \(\d+ %\): charge it to at least 10 %, then start again\."
    assert re.fullmatch(low, said["message"]), said
    r = d.knotctl("start", "calves")
    assert r.returncode == 1 and r.stderr == "" and re.fullmatch(low + "\n", r.stdout), (r, low)
    r = d.knotctl("status")
    assert re.search(r"faults: low-battery \(readings from (just now|\d+ s ago)\)\n  %s\n" % low, r.stdout), r.stdout
    # The person's areas that rest or ran today.
    forearms = next(a for a in d.req({"cmd": "areas"})["areas"] if a["name"] == "forearms")["today"]
    assert re.search(r"^Your areas today:\n  Forearms  0:30 of 1 min used, resting until %s \(2 min left\)$"
                     % clock(forearms["rest_until"]), r.stdout, re.M), r.stdout


def test_areas_show_today_and_one_area_in_full(knotd, tmp_path):
    d = knotd(journal=journal_with_rest(tmp_path / "journal", "calves", 300, ran_s=90))
    d.wait_devices(1)
    calves = next(a for a in d.req({"cmd": "areas"})["areas"] if a["name"] == "calves")
    until = clock(calves["today"]["rest_until"])
    r = d.knotctl("areas")
    lines = r.stdout.splitlines()
    assert r.returncode == 0 and lines[0].split() == ["AREA", "GUN", "TRIAL", "MAX", "SESSION", "COOLDOWN", "TODAY",
                                                      "REST", "ALIASES"], r.stdout
    rows = {l.split()[0]: l for l in lines[1:]}
    assert re.match(r"^calves +yes +10 s +3 +20 s +10 min +1:30/10 min +until %s +calf$" % until, rows["calves"]), r.stdout
    assert re.match(r"^forearms +yes +10 s +2 +1 min +0 s +0/1 min +-$", rows["forearms"]), r.stdout
    assert re.match(r"^neck +no - use your fingers( +-)+$", rows["neck"]), r.stdout
    r = d.knotctl("areas", "Calf")
    assert r.returncode == 0 and r.stdout == "\n".join([
        "Calves (calves, also calf)",
        CALF_TOOL,
        calves["with_gun"],
        "  trial       10 s at level 1",
        "  levels      then one level every 5 s, up to 3 unless you name one, at most 3",
        "  session     20 s, then the motor stops by itself",
        "  cool-down   10 min after a full session, less after a shorter one",
        "  dose        10 min a day",
        "  today       1:30 of 10 min used; resting until %s (5 min left)" % until,
        "After-care: " + CALF_STRETCH,
    ]) + "\n", r.stdout
    r = d.knotctl("areas", "neck")
    assert r.returncode == 0 and r.stdout == (
        "Neck (neck)\nThe massager does not belong on the neck.\nThe guide's tool for the neck is your fingers: use "
        "your opposite hand to apply gentle, sustained pressure for 30 seconds.\n"), r.stdout
    r = d.knotctl("areas", "elbow")
    assert r.returncode == 1 and r.stderr == "knotctl: no body area 'elbow'; known areas: neck, calves, forearms\n", r
    assert d.knotctl("areas", "calves", "neck").returncode == 2


def test_leaving_at_the_warm_up_question_starts_nothing(knotd, tmux):
    """Found by a review: q at the warm-up question printed "Nothing started." and then went on as if a
    session had started (a protocol error, or with -d a view of nothing)."""
    d = knotd()
    d.wait_devices(1)
    t = tmux(d)
    for args in (("start", "calves"), ("-d", "KNOTSIM1", "start", "calves"), ("--detach", "start", "calves")):
        t.clear()
        t.run(knotctl_line(*args, raw=True))
        t.wait(re.escape(WARM_QUESTION.strip()))
        t.type("q")
        t.key("Enter")
        screen = t.wait(r"^EXIT=\d+")
        assert re.search(r"leave: q\nNothing started\.\nEXIT=0$", screen, re.M), screen
    assert d.trace.levels() == []
