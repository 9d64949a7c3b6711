# SPDX-License-Identifier: MIT
"""test_window.py - knotctl start's live view on a real terminal (tmux): keys, the question after the trial, the terminal put back, ownership."""
import json
import os
import re
import signal
import subprocess
import time

import pytest

from knotd import KNOTCTL, SCRIPT_START_OPTIONS
from knotsim import wait_for
from tmuxpane import knotctl_line

ADVICE = ("Stop for today: the massager stays off this area until tomorrow. If the pain was sharp or sudden, "
          "or there is swelling, bruising or weakness, see a doctor.")
LEGEND = "keys: o or space = ouch"


def assert_restored(t, screen):
    """The terminal is as it was: echo and line editing on, in the pane and as stty -F sees it."""
    # The modes line follows EXIT=: wait for the END after it, never judge a half-drawn screen.
    screen = t.wait(r"^EXIT=\d+\n.*\n^END$")
    m = re.search(r"EXIT=\d+\n(.*)$", screen, re.M)
    assert m and m.group(1).split() == ["icanon", "echo"], screen
    modes = t.modes()
    assert modes["icanon"] and modes["echo"] and modes["isig"], modes


def levels(d):
    return [(lvl, by) for _, lvl, by in d.trace.levels()]


def test_keys_steer_the_session_and_the_terminal_is_put_back(knotd, tmux):
    d = knotd()
    d.wait_devices(1)
    t = tmux(d)
    t.run(knotctl_line("start", "forearms", "2"))
    t.wait(LEGEND)
    d.trace.wait(r"^level 1 by=host")
    # Raw mode while the view runs: keys are not echoed, not collected into lines.
    modes = t.modes()
    assert not modes["icanon"] and not modes["echo"], modes
    # "ouch" typed as a word: o is the ouch, the other letters mean nothing and do not echo.
    t.type("+")
    t.wait(r"^trial: staying at level 1 for \d+ more s")
    t.type("ouch")
    screen = t.wait(r"^backing off to level 1 \(trial restarts; another ouch at level 1 stops\)")
    t.type("xyz")
    t.type("+")   # a second refusal line proves the keys before it were read
    screen = wait_for(lambda: len(re.findall(r"^trial: staying", t.screen(), re.M)) == 2 and t.screen(), 10,
                      "the second trial refusal")
    assert "xyz" not in screen and set(re.findall(r"\w*uch\w*", screen)) == {"ouch"}, screen
    assert levels(d) == [(1, "host")]
    assert d.devices()[0]["session"]["ouches"] == 1
    t.type("q")
    screen = t.wait(r"^EXIT=0")
    assert re.search(r"^stopped$", screen, re.M), screen
    assert_restored(t, screen)
    assert levels(d) == [(1, "host"), (0, "host")]
    assert d.devices()[0]["session"]["end"] == "stopped"


def test_after_the_trial_it_asks_and_ramps_only_on_the_go_ahead(knotd, tmux):
    d = knotd()
    d.wait_devices(1)
    t = tmux(d)
    t.run(knotctl_line("start", "forearms", "2"))
    t.wait(r"then, when you say so, up to level 2")
    screen = t.wait(r"^How does it feel\? Enter or \+ to go on up to level 2, o if it hurts, q to stop\.", 15)
    assert re.search(r"^wait +level 1 -> 2 ", screen, re.M), screen
    st = d.devices()[0]["session"]
    assert st["phase"] == "wait" and st["level"] == 1, st
    assert levels(d) == [(1, "host")], "rose before the go-ahead"
    # - moves the target only; Enter is the go-ahead.
    t.type("-")
    t.wait(r"^target level 1 \(staying at level 1 until you say go\)")
    t.key("Enter")
    t.wait(r"^going on at level 1$")
    assert d.devices()[0]["session"]["phase"] == "hold"
    t.type("+")
    t.wait(r"^target level 2 \(ramping one level every 5 s\)")
    d.trace.wait(r"^level 2 by=host", timeout=10)
    t.type("-")
    t.wait(r"^target level 1 \(running at it now\)")
    d.trace.wait(r"^level 1 by=host", timeout=5)
    t.key("Escape")
    screen = t.wait(r"^EXIT=0")
    assert_restored(t, screen)
    assert levels(d) == [(1, "host"), (2, "host"), (1, "host"), (0, "host")]
    assert d.trace.envelope_violations(trial_s=10, step_s=5) == []


def test_plus_is_the_go_ahead_and_an_unanswered_question_stays_at_level_1(knotd, tmux):
    d = knotd()
    d.wait_devices(1)
    t = tmux(d)
    # calves: 10 s trial, 20 s in all. Nobody answers: level 1 to the end.
    t.run(knotctl_line("start", "calves"))
    t.wait(r"^How does it feel\? Enter or \+ to go on up to level 3", 15)
    screen = t.wait(r"^EXIT=0", 20)
    assert re.search(r"^session complete$", screen, re.M), screen
    assert_restored(t, screen)
    assert levels(d) == [(1, "host"), (0, "host")]
    assert d.devices()[0]["session"]["end"] == "done"
    # forearms: + in the wait is the go-ahead too.
    t.run(knotctl_line("start", "forearms", "2"))
    t.wait(r"^How does it feel\? Enter or \+ to go on up to level 2", 15)
    t.type("+")
    t.wait(r"^going on: up to level 2 \(ramping one level every 5 s\)")
    d.trace.wait(r"^level 2 by=host", timeout=10)
    t.key("C-c")
    screen = t.wait(r"^EXIT=130")
    assert_restored(t, screen)


def test_arrow_keys_are_not_esc_and_ctrl_c_stops(knotd, tmux):
    d = knotd()
    d.wait_devices(1)
    t = tmux(d)
    t.run(knotctl_line("start", "forearms"))
    t.wait(LEGEND)
    t.key("Up")      # ESC [ A: an arrow, not Esc
    t.type("+")      # read after it: had Up stopped the session, this would find none
    t.wait(r"^trial: staying at level 1")
    assert d.devices()[0]["session"]["phase"] == "trial"
    t.key("C-c")
    screen = t.wait(r"^EXIT=130")
    assert re.search(r"^stopped$", screen, re.M), screen
    assert_restored(t, screen)
    assert d.devices()[0]["session"]["end"] == "stopped"


def test_a_second_ouch_at_level_1_stops_with_the_advice(knotd, tmux):
    d = knotd()
    d.wait_devices(1)
    w = d.connect()
    assert d.req({"cmd": "watch"}, conn=w)["ok"]
    t = tmux(d)
    t.run(knotctl_line("start", "forearms", "2"))
    t.wait(LEGEND)
    d.trace.wait(r"^level 1 by=host")
    t.type("o")
    t.wait(r"^backing off to level 1")
    t.type(" ")     # space is ouch too
    screen = t.wait(r"^EXIT=0")
    assert re.search(r"^stopped: it still hurt at level 1, after backing off$", screen, re.M), screen
    assert ADVICE in screen.replace("\n", " ")
    assert "After-care" not in screen, "no stretching advice after pain"
    assert_restored(t, screen)
    assert levels(d) == [(1, "host"), (0, "host")]
    st = d.devices()[0]["session"]
    assert st["end"] == "pain" and st["advice"] == ADVICE, st
    # Every watcher hears it with the advice, and the journal keeps the reason.
    f = w.makefile("r")
    ended = wait_for(lambda: (lambda e: e if e.get("event") == "session" and e["action"] == "ended" else None)(
        json.loads(f.readline())), 5, "the ended event")
    assert ended["session"]["end"] == "pain" and ended["session"]["advice"] == ADVICE
    w.close()
    with open(d.journal) as j:
        assert json.loads(j.read().splitlines()[-1])["end"] == "pain"


def wait_level_0_by_host(d, since_ns, deadline_s=1.0):
    """ns from since_ns to the device's own 'level 0 by=host', within the issue's second."""
    ns = wait_for(lambda: [ns for ns, text in d.trace.matching(r"^level 0 by=host") if ns >= since_ns],
                  deadline_s, "level 0 by=host within %.1f s" % deadline_s, interval=0.005)[0]
    return ns - since_ns


@pytest.mark.parametrize("how", ["SIGKILL", "SIGHUP", "SIGTERM", "kill-pane", "pipe-SIGKILL"])
def test_a_follower_that_goes_away_stops_the_motor_within_a_second(knotd, tmux, how):
    d = knotd()
    d.wait_devices(1)
    if how == "pipe-SIGKILL":
        # Not a terminal: no keys, no question, but the session is still its connection's.
        p = subprocess.Popen([KNOTCTL, "-s", d.sock, "start", "forearms", *SCRIPT_START_OPTIONS], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        pid = p.pid
    else:
        t = tmux(d)
        t.run("exec %s start forearms --warmed-up" % KNOTCTL)   # the pane's process is knotctl itself
        t.wait(LEGEND)
        pid = t.pane_pid()
    d.trace.wait(r"^level 1 by=host")
    assert d.devices()[0]["session"]["phase"] == "trial"
    t0 = time.monotonic_ns()   # the trace's clock
    if how == "kill-pane":
        t.tmux("kill-pane", "-t", "w")
    else:
        os.kill(pid, getattr(signal, how.replace("pipe-", "")))
    took = wait_level_0_by_host(d, t0)
    print("%s: level 0 by=host %.1f ms after the kill" % (how, took / 1e6))
    st = d.wait_session_end()
    # Killed or hung up (the window closed): knotd sees the connection close, and says so.
    # SIGTERM is a stop someone asked for: knotctl stops it itself.
    assert st["end"] == ("stopped" if how == "SIGTERM" else "disconnected"), st
    assert levels(d) == [(1, "host"), (0, "host")]
    if how == "pipe-SIGKILL":
        p.wait(5)
        p.stdout.close()
        p.stderr.close()
    if "SIGKILL" in how:
        with open(d.journal) as j:
            assert json.loads(j.read().splitlines()[-1])["end"] == "disconnected"


def test_a_detached_session_survives_its_client_and_waits_for_go(knotd, tmux):
    d = knotd()
    d.wait_devices(1)
    t = tmux(d)
    t.run(knotctl_line("--detach", "start", "forearms", "2"))
    screen = t.wait(r"^EXIT=0")
    assert "started on KNOTSIM1" in screen
    assert "After the trial it stays at level 1 until your go-ahead: knotctl go" in screen, screen
    assert_restored(t, screen)
    # Its client is long gone after the trial: the session runs on, and waits for a go-ahead from elsewhere.
    wait_for(lambda: d.devices()[0]["session"]["phase"] == "wait", 15, "the wait after the trial")
    assert [lv for _, lv, _ in d.trace.levels()] == [1]
    r = d.knotctl("go")
    assert r.returncode == 0, r
    d.trace.wait(r"^level 2 by=host", timeout=15)
    st = d.devices()[0]["session"]
    assert st["phase"] == "hold" and st["end"] == "", st
    assert d.req({"cmd": "go"})["code"] == "not-waiting"
    assert d.req({"cmd": "stop"})["ok"]


def test_a_detached_auto_ramp_session_does_not_ask(knotd, tmux):
    d = knotd()
    d.wait_devices(1)
    t = tmux(d)
    t.run(knotctl_line("--detach", "start", "forearms", "2", "--auto-ramp"))
    screen = t.wait(r"^EXIT=0")
    assert "started on KNOTSIM1" in screen and "go-ahead" not in screen, screen
    # Ramping by itself was said: no wait phase, no owner.
    d.trace.wait(r"^level 2 by=host", timeout=15)
    st = d.devices()[0]["session"]
    assert st["phase"] == "hold" and st["end"] == "", st
    assert d.req({"cmd": "go"})["code"] == "not-waiting"
    assert d.req({"cmd": "stop"})["ok"]


@pytest.mark.parametrize("env", [{"NO_COLOR": "1"}, {"TERM": "dumb"}, {}], ids=["NO_COLOR", "TERM=dumb", "ansi"])
def test_no_color_and_dumb_terminals_get_no_escape_codes(knotd, tmux, env, tmp_path):
    d = knotd()
    d.wait_devices(1)
    t = tmux(d, env=env)
    raw = str(tmp_path / "pane.raw")
    # Every byte the pane's terminal receives (the shell's too: sh sends no escape codes).
    t.tmux("pipe-pane", "-t", "w", "-o", "cat >> %s" % raw)
    t.run(knotctl_line("start", "forearms"))
    t.wait(r"^trial +level 1 .*trial 0:0\d left")
    t.wait(r"^trial +level 1 .*trial 0:0[0-7] left")   # redrawn at least once
    t.type("o")
    t.wait(r"^backing off")
    t.type("q")
    screen = t.wait(r"^EXIT=0")
    assert_restored(t, screen)
    data = wait_for(lambda: (lambda b: b if b"EXIT=0" in b else None)(open(raw, "rb").read()), 5, "the raw output")
    if env:
        assert b"\x1b" not in data, data[:400]
    else:
        assert b"\x1b[K" in data, "the ANSI redraw this test must be able to see"


def test_a_narrow_terminal_keeps_the_time_left(knotd, tmux):
    d = knotd()
    d.wait_devices(1)
    t = tmux(d, width=24)
    t.run(knotctl_line("start", "forearms", "2"))
    t.wait(r"^0:\d\d trial 1->2$")
    t.type("q")
    assert_restored(t, t.wait(r"^EXIT=0"))


def test_go_and_follow_on_the_socket(knotd):
    d = knotd()
    d.wait_devices(1)
    assert d.req({"cmd": "go"})["code"] == "not-running"
    assert d.req({"cmd": "start", "area": "forearms", "follow": "yes"})["code"] == "bad-request"
    assert d.req({"cmd": "start", "area": "forearms", "ask": 1})["code"] == "bad-request"
    # ask without follow: the session waits at level 1 for go from anyone.
    r = d.req({"cmd": "start", "area": "forearms", "level": 2, "ask": True})
    assert r["ok"] and r["session"]["phase"] == "trial"
    r = d.req({"cmd": "go"})
    assert r["code"] == "trial" and "more s" in r["message"], r
    st = wait_for(lambda: (lambda s: s if s["phase"] != "trial" else None)(d.devices()[0]["session"]), 15,
                  "the trial's end")
    assert st["phase"] == "wait" and st["level"] == 1, st
    r = d.knotctl("go")
    assert r.returncode == 0 and "going on: up to level 2" in r.stdout, r
    d.trace.wait(r"^level 2 by=host", timeout=10)
    assert d.req({"cmd": "go"})["code"] == "not-waiting"
    # A second ouch from the command line: the advice there too.
    assert d.knotctl("ouch").returncode == 0
    r = d.knotctl("ouch")
    assert r.returncode == 0 and "stopped: it still hurt at level 1" in r.stdout and ADVICE in r.stdout, r
    # "Stop for today" holds: forearms stays off until tomorrow.
    assert d.req({"cmd": "start", "area": "forearms"})["code"] == "pain-stop"
    # Following: the first connection's close stops it; a start that finds it running does not take it over.
    a, b = d.connect(), d.connect()
    assert d.req({"cmd": "start", "area": "calves", "follow": True}, conn=a)["ok"]
    assert d.req({"cmd": "start", "area": "calves", "follow": True}, conn=b)["already_running"]
    d.trace.wait(r"^level 1 by=host")
    closed = d.log().count(" closed")
    b.close()
    wait_for(lambda: d.log().count(" closed") > closed, 5, "knotd to see the close")
    assert d.req({"cmd": "status"})["devices"][0]["session"]["end"] == ""
    t0 = time.monotonic_ns()
    a.close()
    wait_level_0_by_host(d, t0)
    assert d.wait_session_end()["end"] == "disconnected"


def test_help_is_usage():
    e = dict(os.environ)
    r = subprocess.run([KNOTCTL, "help"], capture_output=True, text=True, env=e, timeout=10)
    h = subprocess.run([KNOTCTL, "--help"], capture_output=True, text=True, env=e, timeout=10)
    assert r.returncode == 0 and r.stdout == h.stdout and "Usage: knotctl" in r.stdout
