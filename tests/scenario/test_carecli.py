"""test_carecli.py - the care record as knotctl says it, through the real socket against knot-sim: red flags at a start and in status, checkin and its confirmation, the invite after a session, history as a chart, text, JSON and CSV."""
import json
import re
import subprocess

from knotd import KNOTCTL
from test_care import checkin, noon, session_end, write_journal

EXIT_REFUSED, EXIT_USAGE = 1, 2


def treated(days, area="calves", pains=((7, 6), (0, 6))):
    """An area treated at noon on each of days (days ago), with check-ins (days_ago, pain) after."""
    recs = [session_end(noon(k), area=area) for k in days]
    recs += [checkin(noon(k) + 60, p, area=area) for k, p in pains]
    return recs


def journal_of(tmp_path, records):
    return write_journal(tmp_path / "journal", sorted(records, key=lambda r: r["time"]))


def test_a_red_flag_refuses_the_start_as_advice(knotd, tmp_path):
    d = knotd(journal=journal_of(tmp_path, [checkin(noon(1), 6, flags=["numbness"])]))
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
    p = subprocess.Popen([KNOTCTL, "-s", d.sock, "start", "calves"], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline() == advice + "\n"
        assert p.stdout.readline().startswith("The guide's tool for the calves")
    finally:
        assert d.req({"cmd": "stop"})["ok"]
        p.communicate(timeout=10)


def test_status_shows_the_care_advice(knotd, tmp_path):
    d = knotd(journal=journal_of(tmp_path, [checkin(noon(0) - 3600, 4, flags=["tingling", "sleep"])]
                                 + treated(range(8), area="forearms", pains=((7, 5), (1, 5)))))
    d.wait_devices(1)
    care = d.req({"cmd": "status"})["care"]
    assert [c["area"] for c in care] == ["calves", "forearms"], care
    r = d.knotctl("status")
    assert r.returncode == 0, r
    tail = r.stdout[r.stdout.index("\nCare advice:\n"):]
    assert tail == "\nCare advice:\n  %s\n  %s\n" % (care[0]["advice"], care[1]["advice"]), r.stdout
    assert "knotctl checkin calves --clear" in care[0]["advice"] and "physical therapist" in care[1]["advice"]
