# SPDX-License-Identifier: MIT
"""test_routines_cli.py - knotctl's sides and routines: a side said every way a person types it, asked on a terminal, refused off one; routines listed, run on a terminal and off one, and stopped with the terminal."""
import json
import os
import subprocess

import pytest

import clock
from knotd import KNOTCTL
from knotsim import ROOT, wait_for
from tmuxpane import Tmux


SIDES_PROFILES = os.path.join(ROOT, "tests", "scenario", "profiles-sides.conf")
EXIT_USAGE, EXIT_HUP = 2, 129


def session(d):
    return d.req({"cmd": "status"})["devices"][0]["session"]


def records(d):
    with open(d.journal) as f:
        return [json.loads(line) for line in f]


def test_a_side_said_before_or_after_the_area_or_with_side(knotd):
    d = knotd(profiles=SIDES_PROFILES)
    d.wait_devices(1)
    for words, side in ((("start", "left", "calf"), "left"), (("start", "calves", "right"), "right"),
                        (("start", "Left-Calves"), "left"), (("start", "calf", "--side", "right"), "right"),
                        (("start", "right calves", "1"), "right")):
        r = d.knotctl("--detach", *words)
        assert r.returncode == 0, (words, r)
        assert session(d)["side"] == side, (words, session(d))
        assert d.req({"cmd": "stop"})["ok"]
    # Two sides, or a side without an area: the command line's fault; nothing is sent.
    n = len(d.trace.levels())
    for words in (("start", "left", "calf", "--side", "right"), ("start", "left", "calf", "right"),
                  ("start", "left"), ("start", "calves", "--side", "middle"), ("status", "--side", "left")):
        r = d.knotctl(*words)
        assert r.returncode == EXIT_USAGE and r.stderr.startswith("knotctl: "), (words, r)
    assert len(d.trace.levels()) == n


def test_no_side_off_a_terminal_names_the_choices_and_is_a_usage_error(knotd):
    d = knotd(profiles=SIDES_PROFILES)
    d.wait_devices(1)
    n = len(d.trace.levels())
    r = d.knotctl("start", "calves")
    assert r.returncode == EXIT_USAGE, r
    assert "left or right" in r.stderr and "knotctl start calves --side left" in r.stderr, r
    r = d.knotctl("--json", "start", "calves")
    assert r.returncode == EXIT_USAGE and r.stderr == "", r
    line = json.loads(r.stdout.splitlines()[-1])
    assert line["code"] == "side" and line["sides"] == ["left", "right"], r.stdout
    r = d.knotctl("--json", "checkin", "calves", "--pain", "3")
    assert r.returncode == EXIT_USAGE and json.loads(r.stdout)["code"] == "side", r
    assert len(d.trace.levels()) == n
    # An area without sides takes none.
    r = d.knotctl("start", "left", "upper-back")
    assert r.returncode == 1 and "has no sides" in r.stderr, r


def test_checkin_history_areas_and_status_know_the_sides(knotd):
    d = knotd(profiles=SIDES_PROFILES)
    d.wait_devices(1)
    assert d.knotctl("--detach", "start", "left", "calf").returncode == 0
    r = d.knotctl("status")
    assert "Calves (left): " in r.stdout, r.stdout
    assert d.req({"cmd": "stop"})["ok"]
    r = d.knotctl("checkin", "left", "calf", "--pain", "3")
    assert r.returncode == 0 and r.stdout.startswith("Checked in for your left calf: pain 3 of 10."), r
    r = d.knotctl("checkin", "calves", "--side", "right", "--swelling")
    assert r.returncode == 0 and "right calf" in r.stdout, r
    assert [(x["record"], x.get("side")) for x in records(d) if x["record"] == "checkin"] == \
        [("checkin", "left"), ("checkin", "right")]
    csv = d.knotctl("history", "--csv").stdout.splitlines()   # text mode: CR LF read as one newline
    assert csv[0] == "time,kind,area,side,minutes,peak,end,ouches,pain,flags,note", csv
    assert [row.split(",")[3] for row in csv[1:] if row] == ["left", "left", "right"], csv
    lines = d.knotctl("history", "calves", "--side", "right").stdout
    assert "calves (right)" in lines and "calves (left)" not in lines, lines
    table = d.knotctl("areas").stdout.splitlines()
    i = next(k for k, l in enumerate(table) if l.startswith("calves "))
    assert table[i + 1].startswith("  left ") and table[i + 2].startswith("  right "), table
    assert "red flag" in table[i + 2], table
    r = d.knotctl("checkin", "right", "calf", "--clear", "--yes")
    assert r.returncode == 0 and "right calf" in r.stdout, r


def test_routines_are_listed_in_the_words_start_takes(knotd):
    d = knotd(profiles=SIDES_PROFILES)
    d.wait_devices(1)
    r = d.knotctl("routines")
    assert r.returncode == 0, r
    assert r.stdout.splitlines()[0] == \
        "three  Three steps (3 steps): calves left (0:15), calves right (0:12, level 1), upper-back (0:15)", r.stdout
    r = d.knotctl("routine", "thre")
    assert r.returncode == 1 and "did you mean 'three'?" in r.stderr, r
    assert json.loads(d.knotctl("--json", "routine", "nope").stdout)["code"] == "unknown-routine"
    assert d.knotctl("routine", "three", "--detach").returncode == EXIT_USAGE


def test_a_routine_never_follows_a_session_it_did_not_start(knotd):
    """Found by a review: a step took a script's detached session on the same place for its own;
    closing the routine's terminal then left that session running."""
    d = knotd(profiles=SIDES_PROFILES)
    d.wait_devices(1)
    assert d.req({"cmd": "start", "area": "calves", "side": "left"})["ok"]
    d.trace.wait(r"^level 1 by=host")
    r = d.knotctl("routine", "three", "--warmed-up", timeout=30)
    assert r.returncode == 1 and "not started by this routine: stop it first" in r.stderr, r
    # The script's session is the script's: untouched, and nothing else started.
    assert [lvl for _, lvl, _ in d.trace.levels()] == [1], d.trace.levels()
    assert session(d)["side"] == "left" and session(d)["end"] == "", session(d)
    assert d.req({"cmd": "stop"})["ok"]


def resting(tmp_path, side, rest_s=300):
    """A journal where this person's calves on side had a full session earlier today: it rests rest_s more."""
    journal = tmp_path / "journal"
    journal.write_text(json.dumps({"record": "end", "time": int(clock.earlier_today()), "device": "ANOTHER-GUN",
                                   "uid": os.getuid(), "area": "calves", "side": side,
                                   "cooldown_until": int(clock.now()) + rest_s, "duration_s": 20, "ran_ms": 20000,
                                   "target": 2, "ouches": 0, "end": "done"}) + "\n")
    return str(journal)


def test_a_routine_off_a_terminal_runs_each_step_skips_a_resting_one_and_says_it_in_json(knotd, tmp_path):
    # The right calf had its full session: it rests, the left one does not.
    d = knotd(profiles=SIDES_PROFILES, journal=resting(tmp_path, "right"))
    d.wait_devices(1)
    r = d.knotctl("--json", "routine", "three", "--warmed-up", timeout=90)
    assert r.returncode == 0, r
    lines = [json.loads(l) for l in r.stdout.splitlines()]
    ours = [l for l in lines if l.get("from") == "knotctl"]
    assert [(l["event"], l.get("step")) for l in ours] == \
        [("routine", None), ("step", 1), ("step", 2), ("skipped", 2), ("step", 3), ("summary", None)], ours
    assert ours[3]["code"] == "cooldown" and ours[3]["side"] == "right", ours[3]
    summary = ours[-1]
    assert [(s["area"], s["side"], s["result"]) for s in summary["steps"]] == \
        [("calves", "left", "done"), ("calves", "right", "skipped"), ("upper-back", None, "done")], summary
    assert summary["ended"] == "done" and summary["steps"][0]["ran_s"] == 15, summary
    # knotd's own lines among them, as knotctl --json start prints them: two sessions, each ended.
    ended = [l["session"] for l in lines if l.get("event") == "session" and l.get("action") == "ended"]
    assert [(s["area"], s["side"], s["session_s"]) for s in ended] == [("calves", "left", 15), ("upper-back", None, 15)]
    # Each step a session of its own on the device, each from level 1 after its own trial.
    assert d.trace.envelope_violations(10, 5) == [], d.trace.levels()


def test_a_routine_on_a_terminal_asks_between_steps_and_after_pain(knotd):
    d = knotd(profiles=SIDES_PROFILES)
    d.wait_devices(1)
    t = Tmux(d)
    try:
        t.run("%s routine three --warmed-up; echo EXIT=$?" % KNOTCTL)
        t.wait(r"step 1 of 3: left calf")
        t.wait(r"Move the massager to your left calf; Enter when ready, s to skip, q to stop: $")
        t.key("Enter")
        t.wait(r"^keys: ")
        d.trace.wait(r"^level 1 by=host")
        t.type("o")
        t.wait(r"backing off")
        t.type("o")   # still hurts at level 1: the step ends on pain
        t.wait(r"Go on with the rest of the routine\? \[y/N\] $")
        t.type("y")
        # The left calf is closed for today; the right one is another muscle.
        t.wait(r"Move the massager to your right calf")
        t.type("s")
        t.wait(r"skipped: right calf$")
        t.wait(r"Move the massager to your upper back")
        t.type("q")
        t.wait(r"EXIT=0")
        screen = t.screen()
        assert "the routine stopped" in screen, screen
        assert "1  left calf   stopped" in screen and "it still hurt at level 1" in screen, screen
        assert "2  right calf  skipped" in screen and "3  upper back  not run" in screen, screen
        assert "knotctl checkin calves --side left --pain 0-10" in screen, screen
        assert session(d)["end"] == "pain" and session(d)["side"] == "left"
    finally:
        t.close()


def knotctl_gone(pattern):
    """No process of ours runs a knotctl command line matching pattern."""
    out = subprocess.run(["pgrep", "-f", "-u", str(os.getuid()), pattern], capture_output=True, text=True).stdout
    return not out.split()


# A record by date, "resting until HH:MM": run again under tests/run's fixed clocks.
@pytest.mark.clock
def test_a_routine_skips_a_resting_step_with_a_word_and_a_closed_terminal_stops_the_motor(knotd, tmp_path):
    # The left calf had a full session a little while ago (an older knotd's record): it rests.
    d = knotd(profiles=SIDES_PROFILES, journal=resting(tmp_path, "left"))
    d.wait_devices(1)
    # No leak check for this knotctl: the terminal it would report to is gone, and LeakSanitizer's
    # exit-time thread suspender was seen to spin for good after the hangup under the clock matrix's
    # LD_PRELOAD (a sanitizer artefact: the process had closed its connection). Leaks are checked
    # by the other tests and under valgrind.
    asan = os.environ.get("ASAN_OPTIONS", "")
    t = Tmux(d, env={"ASAN_OPTIONS": (asan + ":" if asan else "") + "detect_leaks=0"})
    try:
        t.run("%s routine three --warmed-up" % KNOTCTL)
        t.wait(r"^skipped: left calf is resting")
        t.wait(r"step 2 of 3: right calf")
        t.wait(r"Enter when ready")
        t.key("Enter")
        d.trace.wait(r"^level 1 by=host")
        assert session(d)["side"] == "right"
    finally:
        t.close()   # the terminal goes: SIGHUP, its tty hung up
    # The motor stops, by the device's own trace, and the routine is gone: no step after it.
    d.trace.wait(r"^level 0 by=host")
    wait_for(lambda: session(d)["phase"] == "ended", 5, "the step's session to end")
    assert session(d)["end"] == "disconnected", session(d)
    wait_for(lambda: knotctl_gone(KNOTCTL + " routine three"), 10, "knotctl to be gone")
    assert [lvl for _, lvl, _ in d.trace.levels()] == [1, 0], d.trace.levels()
    assert session(d)["area"] == "calves" and session(d)["side"] == "right", session(d)


def test_a_routine_of_three_steps_runs_each_from_level_1_with_its_own_trial(knotd):
    """Each step is a session of its own on the device: from off to level 1, its own trial, the
    go-ahead, then the ramp to the step's target, never the area's."""
    d = knotd(profiles=SIDES_PROFILES)
    d.wait_devices(1)
    t = Tmux(d)
    try:
        t.run("%s routine three --warmed-up; echo EXIT=$?" % KNOTCTL)
        for n, place in ((1, "left calf"), (2, "right calf"), (3, "upper back")):
            t.wait(r"step %d of 3: %s" % (n, place), 30)
            wait_for(lambda: t.screen().rstrip().endswith("s to skip, q to stop:"), 10, "the step's question")
            t.key("Enter")
            wait_for(lambda: len(d.trace.starts()) == n, 10, "step %d's start on the device" % n)
            # (The screen still holds the last step's question: the session says when this one asks.)
            wait_for(lambda: session(d)["phase"] == "wait", 15, "step %d's wait after its trial" % n)
            t.key("Enter")
        t.wait(r"^EXIT=0", 30)
    finally:
        t.close()
    assert [lvl for _, lvl in d.trace.starts()] == [1, 1, 1], d.trace.levels()
    assert d.trace.envelope_violations(10, 5) == [], d.trace.levels()
    # The steps' targets: the calves' default 2, the right calf's step level 1, the upper back's default 2.
    per_step, cur = [], []
    for _, level, _ in d.trace.levels():
        if level == 0:
            per_step.append(max(cur))
            cur = []
        else:
            cur.append(level)
    assert per_step == [2, 1, 2], d.trace.levels()
    ended = [r for r in records(d) if r["record"] == "end"]
    assert [(r["area"], r.get("side"), r["end"]) for r in ended] == \
        [("calves", "left", "done"), ("calves", "right", "done"), ("upper-back", None, "done")], ended
