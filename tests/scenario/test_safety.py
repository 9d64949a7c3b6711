# SPDX-License-Identifier: MIT
"""test_safety.py - the safety engine seen from the device: trial, ramp, ouch, time limit, refusals, faults."""
import re
import threading
import time

import pytest

from knotsim import wait_for

NS = 1_000_000_000


def test_hostile_up_loop_during_trial_never_passes_level_1_and_ramp_is_gentle(knotd):
    """calves (fast profile): trial 10 s at level 1, then +1 per 5 s up to 3, off at 20 s."""
    d = knotd()
    d.wait_devices(1)
    r = d.req({"cmd": "start", "area": "calves"})
    assert r["ok"] and r["session"]["target"] == 3
    t0 = d.trace.wait(r"^level 1 by=host")[0]
    refusals, stop = [], threading.Event()

    def hammer():
        s = d.connect()
        while not stop.is_set():
            reply = d.req({"cmd": "up"}, conn=s)
            if not reply["ok"]:
                refusals.append(reply["code"])
        s.close()

    def guarded():
        try:
            hammer()
        except BaseException as e:  # noqa: B902 - re-raised in the test's own thread
            errors.append(e)

    errors = []
    th = threading.Thread(target=guarded)
    th.start()
    try:
        # While the trial lasts the device must never see anything but level 1.
        wait_for(lambda: d.trace.matching(r"^level 2 ") or errors, 15, "the first ramp step")
    finally:
        stop.set()
        th.join()
    if errors:
        raise errors[0]
    assert "trial" in refusals
    d.trace.wait(r"^level 0 by=host", timeout=25)
    levels = d.trace.levels()
    assert [l for _, l, _ in levels] == [1, 2, 3, 0], levels
    (t1, _, _), (t2, _, _), (t3, _, _), (t_off, _, _) = levels
    # knotd's clock counts whole milliseconds: 2 ms of truncation allowed.
    slack = 2_000_000
    assert t2 - t1 >= 10 * NS - slack, "left the trial early"
    assert t3 - t2 >= 5 * NS - slack, "two steps within step_s, as the motor saw them"
    # session_s counts from the start request, a moment before level 1 reaches the motor.
    assert t_off - t1 >= 20 * NS - NS // 10, "stopped well before session_s"
    assert t_off - t1 < 21 * NS, "ran past session_s"
    st = d.devices()[0]["session"]
    assert st["end"] == "done" and st["phase"] == "ended"
    # Cool-down: the same area again is refused with the time left.
    r = d.req({"cmd": "start", "area": "calves"})
    assert r["code"] == "cooldown" and "s" in r["message"]


def test_ouch_drops_to_level_1_within_one_poll(knotd):
    d = knotd("--trace-requests")
    d.wait_devices(1)
    assert d.req({"cmd": "start", "area": "calves"})["ok"]
    d.trace.wait(r"^level 2 by=host", timeout=15)
    asked = time.monotonic_ns()   # the trace's clock: CLOCK_MONOTONIC
    r = d.req({"cmd": "ouch"})
    assert r["ok"] and r["session"]["level"] == 1 and r["session"]["phase"] == "trial"
    wait_for(lambda: len(d.trace.matching(r"^level 1 by=host")) == 2, 5, "level 1 after ouch")
    back = d.trace.matching(r"^level 1 by=host")[1][0]
    # The level command goes out with the reply, not at the next heartbeat: at
    # most the one status poll already in flight reaches the device before it.
    polls = [ns for ns, _ in d.trace.matching(r"^req status ") if asked <= ns < back]
    assert len(polls) <= 1, "SET_LEVEL 1 waited %d status polls" % len(polls)
    assert d.devices()[0]["level"] == 1
    assert d.req({"cmd": "up"})["code"] == "trial", "ouch restarts the trial"


def test_neck_is_refused_and_motor_never_moves(knotd):
    d = knotd()
    d.wait_devices(1)
    r = d.req({"cmd": "start", "area": "Neck"})
    assert r["code"] == "not-allowed"
    assert "not recommended on the neck; use your fingers" in r["message"]
    assert "gentle, sustained pressure for 30 seconds" in r["message"]
    assert d.trace.levels() == []


def test_unknown_area_lists_the_known_ones(knotd):
    d = knotd()
    d.wait_devices(1)
    r = d.req({"cmd": "start", "area": "elbow"})
    assert r["code"] == "unknown-area"
    assert "calves" in r["message"] and "forearms" in r["message"]
    assert d.req({"cmd": "start", "area": "CALF", "level": 9})["code"] == "limit"


def test_overheat_mid_session_turns_motor_off_with_reason(knotd):
    d = knotd()
    d.wait_devices(1)
    d.start_running("calves")
    assert d.sim.ctl("fault overheat") == "ok"
    d.trace.wait(r"^level 0 by=fault")
    st = wait_for(lambda: (lambda s: s if s["session"]["end"] == "fault" else None)(d.devices()[0]), 5,
                  "session to end with fault")
    assert st["faults"] == ["overheat"]
    assert st["level"] == 0
    # The host never raised the level again after the fault, nor asked to.
    assert [l for _, l, _ in d.trace.levels()] == [1, 0]
    assert d.trace.refused_raises() == []


def test_a_fault_ends_the_view_with_its_own_words(knotd):
    """Seen: the live view printed only 'stopped: the massager reported a fault' for heat, stall
    and a low battery. The fault's own words, and what to do, are said where the person looks."""
    import subprocess
    from knotd import KNOTCTL, SCRIPT_START_OPTIONS
    d = knotd()
    d.wait_devices(1)
    p = subprocess.Popen([KNOTCTL, "-s", d.sock, "start", "calves", *SCRIPT_START_OPTIONS], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    d.trace.wait(r"^level 1 by=host")
    assert d.sim.ctl("fault overheat") == "ok"
    out, err = p.communicate(timeout=15)
    assert p.returncode == 1, (p.returncode, out, err)
    assert re.search(r"^stopped: the massager reported a fault", out, re.M), out
    assert re.search(r"^The massager is too hot \(\d+\.\d C\): let it cool below 45 C, then start again\.$",
                     out, re.M), out
    assert "After-care" not in out, "no stretch after a fault: what to do about the massager instead"


def test_second_start_same_area_is_noop_other_area_busy(knotd):
    d = knotd()
    d.wait_devices(1)
    assert d.req({"cmd": "start", "area": "calves"})["ok"]
    r = d.req({"cmd": "start", "area": "calf"})
    assert r["ok"] and r["already_running"] is True
    assert d.req({"cmd": "start", "area": "forearms"})["code"] == "busy"
    assert len(d.trace.matching(r"^level 1 ")) == 1


def test_pressing_too_hard_warns_and_holds_and_knotctl_follows_to_the_end(knotd):
    """knotctl start follows the session; pressure above the area's limit holds the ramp."""
    import subprocess
    from knotd import KNOTCTL, SCRIPT_START_OPTIONS
    d = knotd()
    d.wait_devices(1)
    follow = subprocess.Popen([KNOTCTL, "-s", d.sock, "start", "calves", *SCRIPT_START_OPTIONS], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    d.trace.wait(r"^level 1 by=host")
    assert d.sim.ctl("press 30") == "ok"   # calves allow 20 N (fast profile); the device stalls at 45 N
    warned = wait_for(lambda: d.devices()[0]["session"]["force_warning"], 5, "the force warning")
    assert warned
    # Past the trial the ramp would have raised the level; pressing too hard holds it.
    st = wait_for(lambda: (lambda s: s if s["phase"] != "trial" else None)(d.devices()[0]["session"]),
                  15, "the trial to end")
    assert st["level"] == 1 and st["force_warning"]
    assert [l for _, l, _ in d.trace.levels()] == [1]
    assert d.sim.ctl("press 5") == "ok"
    d.trace.wait(r"^level 2 by=host", timeout=10)
    out, err = follow.communicate(timeout=30)
    assert follow.returncode == 0, err
    assert "The guide's tool for the calves is a foam roller: " in out and "With the massager: " in out
    assert "ease off" in out
    assert "session complete" in out
    assert "After-care: Calf stretch" in out
    assert d.trace.levels()[-1][1:] == (0, "host")


def test_lost_level_command_is_not_resent_blind_after_device_watchdog(knotd):
    """An ouch whose SET_LEVEL is lost while the device's watchdog stops the motor: knotd
    must read the device before commanding it again, find it stopped, and end the session."""
    d = knotd("--watchdog-ms", "250")
    d.wait_devices(1)
    assert d.req({"cmd": "start", "area": "calves"})["ok"]
    d.trace.wait(r"^level 2 by=host", timeout=15)
    assert d.sim.ctl("hang") == "ok"
    assert d.req({"cmd": "ouch"})["ok"]         # its SET_LEVEL 1 now goes unanswered
    d.trace.wait(r"^level 0 by=watchdog", timeout=5)
    assert d.sim.ctl("unhang") == "ok"
    st = wait_for(lambda: (lambda s: s if s["end"] else None)(d.devices()[0]["session"]), 10, "the session to end")
    assert st["end"] == "lost-contact"
    assert [(l, by) for _, l, by in d.trace.levels()] == [(1, "host"), (2, "host"), (0, "watchdog")], \
        "a motor the device stopped was driven back up"


# Two ways knotd learns of a fault, each tested alone. The device traces every
# request it refuses, so a daemon that keeps asking a faulted device to run
# leaves a mark even though the motor never moves.

@pytest.mark.parametrize("fault", ["overheat", "low-battery", "stall"])
def test_fault_seen_by_the_status_poll_is_never_asked_to_run(knotd, fault):
    """Path 1: the fault latches between two polls; the next status shows it."""
    d = knotd()
    d.wait_devices(1)
    d.start_running("calves")
    assert d.sim.ctl("fault %s" % fault) == "ok"
    d.trace.wait(r"^level 0 by=fault")
    assert d.wait_session_end()["end"] == "fault"
    st = d.devices()[0]
    assert st["faults"] == [fault] and st["level"] == 0
    assert d.trace.refused_raises() == [], "knotd asked a faulted massager to run"
    assert [l for _, l, _ in d.trace.levels()] == [1, 0]


def test_fault_met_by_a_raise_is_refused_once_and_ends_the_session(knotd):
    """Path 2: the fault latches as a raise arrives (after knotd's last poll): the
    refusal itself is the news. Exactly that one raise is refused, never another."""
    d = knotd()
    d.wait_devices(1)
    d.start_running("calves")
    assert d.sim.ctl("fault overheat at-raise") == "ok"
    d.trace.wait(r"^refused level 2 why=fault", timeout=20)   # the trial's end
    assert d.wait_session_end()["end"] == "fault"
    refused = d.trace.refused_raises()
    assert [(l, why) for _, l, why in refused] == [(2, "fault")], refused
    assert [(l, by) for _, l, by in d.trace.levels()] == [(1, "host"), (0, "fault")]


def test_only_the_owner_or_root_may_make_a_session_stronger(knotd, public_dir):
    """Seen: member B could `up` member A's running session: A chose level 2, B's up put the motor at 3.
    Anyone who may steer may make it gentler; only its owner (or root) stronger."""
    d = knotd("--devices", "2", "--serial", "GUN", sock_dir=public_dir)
    d.wait_devices(2)
    # Root's session on GUN, waiting after its trial for the go-ahead.
    assert d.req({"cmd": "start", "area": "calves", "device": "GUN", "ask": True, "level": 2})["ok"]
    wait_for(lambda: d.req({"cmd": "status", "device": "GUN"})["devices"][0]["session"]["phase"] == "wait", 20,
             "the wait after the trial")
    for cmd in ("go", "up"):
        r = d.knotctl("-d", "GUN", cmd, user="nobody", member=True)
        assert r.returncode == 1 and "another person's" in r.stderr + r.stdout, (cmd, r)
    assert [lv for _, lv, _ in d.trace.levels("GUN")] == [1], "another person raised the motor"
    # Gentler is anyone's.
    r = d.knotctl("-d", "GUN", "down", user="nobody", member=True)
    assert r.returncode == 0, r
    # The member's own session: theirs to raise, and root's too.
    r = d.knotctl("-d", "GUN-2", "--detach", "start", "forearms", user="nobody", member=True, raw=True)
    assert r.returncode == 1 and "warm" in r.stdout, r
    r = d.knotctl("-d", "GUN-2", "--detach", "--warmed-up", "start", "forearms", "2", user="nobody", member=True,
                  raw=True)
    assert r.returncode == 0, r
    wait_for(lambda: d.req({"cmd": "status", "device": "GUN-2"})["devices"][0]["session"]["phase"] == "wait", 20,
             "the member's wait after the trial")
    assert d.req({"cmd": "go", "device": "GUN-2"})["ok"], "root may raise"
    d.trace.wait(r"^level 2 by=host dev=GUN-2$")
    r = d.knotctl("-d", "GUN-2", "stop", user="nobody", member=True)
    assert r.returncode == 0, r
    r = d.knotctl("-d", "GUN", "stop", user="nobody", member=True)
    assert r.returncode == 0, r
    d.trace.wait(r"^level 0 by=host dev=GUN$")


def test_a_reload_tightens_a_running_session_at_once(knotd, tmp_path):
    """Seen: a reload that lowered an area's maximum left the session rising past it, a shorter
    session_s was ignored, and a removed area ran on to its end. Stricter applies now; looser waits."""
    import signal
    from knotd import FAST_PROFILES
    fast = open(FAST_PROFILES).read()
    prof = tmp_path / "profiles.conf"
    prof.write_text(fast)
    d = knotd(profiles=str(prof))
    d.wait_devices(1)

    def reload(text):
        n = d.log().count("reloaded ")
        prof.write_text(text)
        d.signal(signal.SIGHUP)
        wait_for(lambda: d.log().count("reloaded ") > n, 10, "the reload")

    def session():
        return d.devices()[0]["session"]

    assert d.req({"cmd": "start", "area": "forearms", "level": 2})["ok"]
    d.trace.wait(r"^level 2 by=host", timeout=25)
    # A lower maximum: the motor comes down at once, and the ramp stays under it.
    reload(fast.replace("max_level = 2;", "max_level = 1;"))
    wait_for(lambda: d.trace.levels()[-1][1:] == (1, "host"), 5, "level 1 after the reload")
    st = session()
    assert st["max_level"] == 1 and st["target"] == 1 and st["level"] == 1, st
    assert d.req({"cmd": "up"})["code"] == "limit"
    # A looser maximum waits for the next session.
    reload(fast)
    assert session()["max_level"] == 1
    # A shorter time: the session ends by it.
    reload(fast.replace("session_s = 60;", "session_s = 25;"))
    assert session()["session_s"] == 25 and session()["left_s"] <= 25 - session()["elapsed_s"] + 1, session()
    st = d.wait_session_end(timeout=20)
    assert st["end"] == "done" and st["elapsed_s"] <= 26, st
    assert max(lv for _, lv, _ in d.trace.levels()[2:]) <= 1, d.trace.levels()
    # An area the reload removes stops at once.
    assert d.req({"cmd": "start", "area": "calves"})["ok"]
    d.trace.wait(r"^level 1 by=host", timeout=5)
    n = len(d.trace.levels())
    reload(fast.replace('name = "calves";\n        aliases = ["calf"];', 'name = "shins";\n        aliases = ["shin"];'))
    wait_for(lambda: len(d.trace.levels()) > n and d.trace.levels()[-1][1:] == (0, "host"), 5, "level 0 after the reload")
    assert session()["end"] == "profile", session()


def test_a_reload_that_lowers_the_dose_shortens_the_running_session(knotd, tmp_path):
    """Found by a review: a reload lowered dose_min, and the running session kept the time the old dose
    gave it. What is left of the new day's dose bounds it at once."""
    import signal
    from knotd import FAST_PROFILES, journal_with_rest
    fast = open(FAST_PROFILES).read().replace("session_s = 60;", "session_s = 120;")
    prof = tmp_path / "profiles.conf"
    prof.write_text(fast.replace("dose_min = 1;", "dose_min = 2;"))
    journal = journal_with_rest(tmp_path / "journal", "forearms", 0, ran_s=50)   # 50 s of today's dose used
    d = knotd(profiles=str(prof), journal=journal)
    d.wait_devices(1)
    r = d.req({"cmd": "start", "area": "forearms"})
    assert r["ok"] and r["area"]["session_s"] == 70, r
    d.trace.wait(r"^level 1 by=host", timeout=5)
    prof.write_text(fast)   # dose_min 1: 10 s are left today
    d.signal(signal.SIGHUP)
    st = d.wait_session_end(timeout=20)
    assert st["end"] == "done" and st["elapsed_s"] <= 11, st
