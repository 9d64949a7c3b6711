# SPDX-License-Identifier: MIT
"""test_carecli.py - the care record as knotctl says it, through the real socket against knot-sim: red flags at a start and in status, checkin and its confirmation, the invite after a session, history as a chart, text, JSON and CSV."""
import json
import re
import subprocess

import pytest

from clock import day_at
from knotd import KNOTCTL, SCRIPT_START_OPTIONS
from test_care import checkin, session_end, write_journal
from tmuxpane import knotctl_line

# Records by date, rest and the day's dose: run again under tests/run's fixed clocks.
pytestmark = pytest.mark.clock

EXIT_REFUSED, EXIT_USAGE = 1, 2


def treated(days, area="calves", pains=((7, 6), (0, 6))):
    """An area treated on each of days (days ago, day_at), with check-ins (days_ago, pain) after."""
    recs = [session_end(day_at(k), area=area) for k in days]
    recs += [checkin(day_at(k, 1), p, area=area) for k, p in pains]
    return recs


def journal_of(tmp_path, records):
    return write_journal(tmp_path / "journal", sorted(records, key=lambda r: r["time"]))


def test_a_red_flag_refuses_the_start_as_advice(knotd, tmp_path):
    d = knotd(journal=journal_of(tmp_path, [checkin(day_at(1), 6, flags=["numbness"])]))
    d.wait_devices(1)
    said = d.req({"cmd": "start", "area": "calves"})
    assert said["code"] == "red-flag" and said["message"].startswith("Your calves: numbness. "), said
    # knotd's words on stdout, nothing else (no invite: nothing ran), exit status 1, followed or not.
    for args in (("start", "calves"), ("--detach", "start", "calf")):
        r = d.knotctl(*args)
        assert (r.returncode, r.stderr, r.stdout) == (EXIT_REFUSED, "", said["message"] + "\n"), (args, r)
    r = d.knotctl("--json", "start", "calves")
    assert r.returncode == EXIT_REFUSED and json.loads(r.stdout)["code"] == "red-flag", r
    assert d.trace.levels() == []


def test_a_start_says_when_to_see_a_therapist_first(knotd, tmp_path):
    d = knotd(journal=journal_of(tmp_path, treated(range(8))))
    d.wait_devices(1)
    r = d.knotctl("--detach", "start", "calves")
    advice = d.req({"cmd": "status"})["care"][0]["advice"]
    assert advice.startswith("Your calves were treated on 8 of the last 10 days, pain 6, then 6. "), advice
    assert r.returncode == 0 and r.stdout.splitlines()[0] == advice, r.stdout
    assert r.stdout.count("treated on 8") == 1, r.stdout
    assert d.req({"cmd": "stop"})["ok"]
    # Followed (here through a pipe): the same one line, before the session's view.
    d.wait_session_end()
    p = subprocess.Popen([KNOTCTL, "-s", d.sock, "start", "calves", *SCRIPT_START_OPTIONS], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline() == advice + "\n"
        assert p.stdout.readline().startswith("The guide's tool for the calves")
    finally:
        assert d.req({"cmd": "stop"})["ok"]
        p.communicate(timeout=10)


def test_status_shows_the_care_advice(knotd, tmp_path):
    d = knotd(journal=journal_of(tmp_path, [checkin(day_at(0), 4, flags=["tingling", "sleep"])]
                                 + treated(range(8), area="forearms", pains=((7, 5), (1, 5)))))
    d.wait_devices(1)
    care = d.req({"cmd": "status"})["care"]
    assert [c["area"] for c in care] == ["calves", "forearms"], care
    r = d.knotctl("status")
    assert r.returncode == 0, r
    tail = r.stdout[r.stdout.index("\nCare advice:\n"):]
    assert tail == "\nCare advice:\n  %s\n  %s\n" % (care[0]["advice"], care[1]["advice"]), r.stdout
    assert "knotctl checkin calves --clear" in care[0]["advice"] and "physical therapist" in care[1]["advice"]


def records(d, kind=None):
    """The journal's records as knotd wrote them (of one kind)."""
    with open(d.journal) as f:
        recs = [json.loads(line) for line in f if line.strip()]
    return [r for r in recs if kind is None or r["record"] == kind]


def test_checkin_says_what_it_recorded_and_a_red_flag_says_whom_to_see(knotd):
    d = knotd()
    d.wait_devices(1)
    r = d.knotctl("checkin", "calves", "--pain", "4")
    assert (r.returncode, r.stderr, r.stdout) == (0, "", "Checked in for your calves: pain 4 of 10.\n"), r
    note = 'after the run, "uphill" \u2713'
    r = d.knotctl("checkin", "Calf", "--pain", "6", "--tingling", "--sleep", "--note", note)
    assert r.returncode == 0 and r.stderr == "", r
    care = d.req({"cmd": "status"})["care"][0]
    assert r.stdout == ("Checked in for your calves: pain 6 of 10; red flags: tingling, pain that disrupts your "
                        "sleep; note: %s\n%s\n" % (note, care["advice"])), r.stdout
    assert "see a doctor or a physical therapist" in care["advice"]
    assert care["advice"].endswith("until you clear it knowingly: knotctl checkin calves --clear."), care
    # A red flag alone is a check-in too; what knotd recorded is what was said.
    r = d.knotctl("checkin", "forearms", "--weakness")
    assert r.returncode == 0 and r.stdout.startswith("Checked in for your forearms: red flag: weakness.\n"), r
    assert [(c["area"], c.get("pain"), c["flags"], c.get("note") or None) for c in records(d, "checkin")] == [
        ("calves", 4, [], None), ("calves", 6, ["tingling", "sleep"], note), ("forearms", None, ["weakness"], None)]
    r = d.knotctl("--json", "checkin", "calves", "--pain", "5")
    assert r.returncode == 0 and json.loads(r.stdout)["care"]["red_flags"] == ["tingling", "sleep"], r
    # An area knotd does not know is knotd's refusal (exit 1), not a usage error.
    r = d.knotctl("checkin", "shins", "--pain", "3")
    assert r.returncode == EXIT_REFUSED and r.stderr.startswith("knotctl: unknown body area 'shins'"), r


def test_clear_asks_on_a_terminal_and_only_yes_clears(knotd, tmux, tmp_path):
    d = knotd(journal=journal_of(tmp_path, [checkin(day_at(1), 5, flags=["numbness", "sleep"])]))
    d.wait_devices(1)
    t = tmux(d)
    question = (r"^Clear the red flags of your calves \(numbness, pain that disrupts your sleep\)\? You have seen a "
                r"professional, or you are sure \[y/N\]")
    for answer, exit_status, said in [("n", 1, "Not cleared: the massager stays off your calves."),
                                      ("", 1, "Not cleared: the massager stays off your calves."),
                                      ("y", 0, "Cleared the red flags of your calves: the massager may go there "
                                               "again. If the signs come back, stop and check in again.")]:
        t.clear()
        t.run(knotctl_line("checkin", "calves", "--clear"))
        t.wait(question + " ?$")   # the pane drops a line's trailing space
        if answer:
            t.type(answer)
        t.key("Enter")
        screen = t.wait(r"^EXIT=\d+")
        assert re.search(question + " ?" + re.escape(answer) + "\n" + re.escape(said) + "\nEXIT=%d$" % exit_status,
                         screen, re.M), screen
        cleared = [c for c in d.req({"cmd": "history"})["checkins"] if c["clear"]]
        assert len(cleared) == (answer == "y"), (answer, cleared)
        code = d.req({"cmd": "start", "area": "calves"}).get("code")
        assert code == (None if answer == "y" else "red-flag"), (answer, code)
    assert d.req({"cmd": "stop"})["ok"]
    assert len(records(d, "clear")) == 1
    # Nothing left to clear: not asked, nothing recorded.
    t.clear()
    t.run(knotctl_line("checkin", "calves", "--clear"))
    screen = t.wait(r"^EXIT=\d+")
    assert re.search(r"^No red flags and no stop for today on your calves: nothing to clear\.\nEXIT=0$", screen, re.M), screen
    assert len(records(d, "clear")) == 1


def test_clear_off_a_terminal_needs_yes(knotd, tmp_path):
    d = knotd(journal=journal_of(tmp_path, [checkin(day_at(1), 5, flags=["bruising"])]))
    d.wait_devices(1)
    r = d.knotctl("checkin", "calves", "--clear")
    assert r.returncode == EXIT_USAGE and r.stdout == "" and r.stderr == (
        "knotctl: checkin --clear asks for a confirmation on a terminal; without one, add --yes once you have "
        "seen a professional or are sure\n"), r
    assert records(d, "clear") == [] and d.req({"cmd": "start", "area": "calves"})["code"] == "red-flag"
    r = d.knotctl("checkin", "calves", "--clear", "--yes")
    assert r.returncode == 0 and r.stdout.startswith("Cleared the red flags of your calves: "), r
    assert len(records(d, "clear")) == 1
    r = d.knotctl("--json", "checkin", "calves", "--clear", "--yes")
    assert r.returncode == 0 and r.stdout == "" and r.stderr == "No red flags and no stop for today on your calves: nothing to clear.\n", r
    assert len(records(d, "clear")) == 1
    assert d.req({"cmd": "start", "area": "calves"})["ok"]
    assert d.req({"cmd": "stop"})["ok"]


# Each a usage error (exit 2) naming what was wrong, before anything is sent.
BAD_LINES = [
    (("checkin",), "checkin needs an AREA, e.g. 'knotctl checkin calves --pain 4'"),
    (("checkin", "calves"), "checkin needs --pain 0-10 or a red flag (--numbness, --tingling, --weakness, "
                            "--swelling, --bruising, --sleep), or --clear"),
    (("checkin", "calves", "--note", "sore"), "checkin needs --pain 0-10 or a red flag"),
    (("checkin", "", "--pain", "3"), "AREA must not be empty"),
    (("checkin", "calves", "neck", "--pain", "3"), "too many arguments; usage: knotctl checkin AREA"),
    (("checkin", "calves", "--pain", "11"), "--pain must be a whole number from 0 (none) to 10 (the worst), not '11'"),
    (("checkin", "calves", "--pain", "-1"), "--pain must be a whole number from 0 (none) to 10 (the worst), not '-1'"),
    (("checkin", "calves", "--pain", "4.5"), "not '4.5'"),
    (("checkin", "calves", "--pain", "four"), "not 'four'"),
    (("checkin", "calves", "--pain", ""), "not ''"),
    (("checkin", "calves", "--pain"), "option '--pain' needs a value"),
    (("checkin", "calves", "--pain", "3", "--pain", "4"), "--pain is given twice ('3', then '4')"),
    (("checkin", "calves", "--pain", "3", "--tingly"), "unknown option '--tingly'"),
    (("checkin", "calves", "--clear", "--pain", "2"), "--clear is a check-in of its own: no --pain, red flag or --note"),
    (("checkin", "calves", "--clear", "--swelling"), "--clear is a check-in of its own"),
    (("checkin", "calves", "--pain", "2", "--yes"), "--yes goes with --clear only"),
    (("checkin", "calves", "--pain", "2", "--note", "x" * 201), "--note is 201 bytes long, at most 200"),
    (("checkin", "calves", "--pain", "2", "--note", "line\nbreak"), "--note holds a control character at byte 5 (U+000A)"),
    (("checkin", "calves", "--pain", "2", "--note", "caf\udce9"), "--note is not UTF-8 at byte 4 (0xe9)"),   # Latin-1 é
    (("start", "calves", "--pain", "3"), "--pain goes with 'checkin', not 'start'"),
    (("status", "--clear"), "--clear goes with 'checkin', not 'status'"),
]


def test_bad_command_lines_are_usage_errors_that_say_what_was_wrong(knotd, tmp_path):
    d = knotd(journal=journal_of(tmp_path, [checkin(day_at(1), 5, flags=["numbness"])]))
    d.wait_devices(1)
    before = records(d)
    for args, says in BAD_LINES:
        r = d.knotctl(*args)
        assert r.returncode == EXIT_USAGE and r.stdout == "", (args, r)
        assert r.stderr.startswith("knotctl: ") and says in r.stderr and r.stderr.count("\n") == 1, (args, r.stderr)
    assert records(d) == before and d.trace.levels() == [], "a bad command line reached knotd"
    print("%d bad command lines, each named" % len(BAD_LINES))


INVITE = "How do your %s feel now? knotctl checkin %s --pain 0-10"


def test_a_session_that_ran_invites_one_check_in(knotd, tmux):
    d = knotd()
    d.wait_devices(1)
    # On a terminal, ended with q: the one line after the end.
    t = tmux(d)
    t.run(knotctl_line("start", "forearms"))
    t.wait("keys: o or space = ouch")
    d.trace.wait(r"^level 1 by=host")
    t.type("q")
    screen = t.wait(r"^EXIT=\d+")
    assert re.search(r"^stopped\n%s\nEXIT=0$" % re.escape(INVITE % ("forearms", "forearms")), screen, re.M), screen
    assert screen.count("How do your") == 1, screen
    # Two views of one session: the one that started it invites, once; the other follows it and does not.
    owner = subprocess.Popen([KNOTCTL, "-s", d.sock, "start", "calf", *SCRIPT_START_OPTIONS], stdout=subprocess.PIPE, text=True)
    try:
        # Its plan is said once knotd's reply is in (the session runs), then the follower starts.
        for line in owner.stdout:
            if line.startswith("Trial at level 1"):
                break
        else:
            raise AssertionError("the owner's knotctl ended before its plan")
        follower = subprocess.Popen([KNOTCTL, "-s", d.sock, "start", "calves", *SCRIPT_START_OPTIONS], stdout=subprocess.PIPE, text=True)
        for line in follower.stdout:
            if "Already running on KNOTSIM1; following it." in line:
                break
        else:
            raise AssertionError("the follower's knotctl ended before it followed")
    finally:
        assert d.req({"cmd": "stop"})["ok"]
        out, _ = owner.communicate(timeout=10)
    rest, _ = follower.communicate(timeout=10)
    assert "\nstopped from elsewhere (knotctl stop)\n" in "\n" + rest and "How do" not in rest, rest
    assert out.endswith("stopped from elsewhere (knotctl stop)\nAfter-care: Calf stretch: hold at least 30 seconds, no bouncing.\n"
                        + INVITE % ("calves", "calves") + "\n"), out
    assert out.count("How do") == 1 and owner.returncode == 0, out


def test_no_invite_where_nothing_ran(knotd, tmp_path):
    d = knotd(journal=journal_of(tmp_path, [checkin(day_at(1), 5, flags=["swelling"])]))
    d.wait_devices(1)
    # Detached: no end is seen, so nothing to ask about yet.
    r = d.knotctl("--detach", "start", "forearms")
    assert r.returncode == 0 and "How do" not in r.stdout, r
    assert d.req({"cmd": "stop"})["ok"]
    # A session that ended before the massager ever ran it (the massager hung): no invite.
    assert d.sim.ctl("hang") == "ok"
    r = d.knotctl("start", "forearms")
    assert r.returncode == EXIT_REFUSED and r.stdout == "" and "ended before it began" in r.stderr, r
    assert d.sim.ctl("unhang") == "ok"
    # Refused (a red flag): knotd's words only.
    r = d.knotctl("start", "calves")
    assert r.returncode == EXIT_REFUSED and "How do" not in r.stdout, r
