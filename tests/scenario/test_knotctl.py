# SPDX-License-Identifier: MIT
"""test_knotctl.py - the command line's contract: help, version, errors and their exit codes, --json."""
import json
import os
import subprocess

from knotd import KNOTCTL
from knotsim import wait_for

EXIT_REFUSED, EXIT_USAGE, EXIT_NOT_CONNECTED, EXIT_ATTENTION = 1, 2, 3, 6


def run(*args, env=None):
    e = dict(os.environ)
    e.pop("KNOT_SOCKET", None)
    e.update(env or {})
    return subprocess.run([KNOTCTL, *args], capture_output=True, text=True, env=e, timeout=30)


def test_help_and_version():
    r = run("--help")
    assert r.returncode == 0 and "Usage: knotctl" in r.stdout and "start AREA" in r.stdout
    r = run("--version")
    assert r.returncode == 0 and r.stdout == "knotctl 0.1.0 (control protocol 3)\n"


def test_each_command_has_its_own_help():
    """knotctl CMD --help and knotctl help CMD: that command's lines and its options, from the one usage text."""
    for cmd in ("version", "devices", "status", "areas", "start", "stop", "up", "down", "ouch", "go", "watch",
                "checkin", "history", "doctor", "help"):
        r = run(cmd, "--help")
        assert r.returncode == 0 and r.stderr == "", (cmd, r)
        assert r.stdout.startswith("Usage: knotctl [-s SOCKET] [-d SERIAL] [--json] %s" % cmd), (cmd, r.stdout)
        assert "Commands:" not in r.stdout and len(r.stdout.splitlines()) < 25, (cmd, r.stdout)
        assert run("help", cmd).stdout == r.stdout, cmd
    start = run("start", "--help").stdout
    assert "--warmed-up      start:" in start and "--auto-ramp" in start and "--pain" not in start, start
    checkin = run("checkin", "--help").stdout
    assert "--numbness ... --sleep" in checkin and "--pain N" in checkin and "--days" not in checkin, checkin
    # up and down share their lines.
    assert "raise or lower the target level by one" in run("down", "--help").stdout
    r = run("fly", "--help")
    assert r.returncode == EXIT_USAGE and "no command 'fly'" in r.stderr, r
    assert run("--help").stdout.startswith("Usage: knotctl [-s SOCKET] [-d SERIAL] [--json] [--detach] COMMAND")


def test_json_answers_the_question_asked_and_its_errors_are_json(knotd, tmp_path):
    d = knotd()
    d.wait_devices(1)
    r = d.knotctl("--json", "areas", "calf", raw=True)
    assert r.returncode == 0 and r.stderr == "", r
    one = json.loads(r.stdout)
    assert one["ok"] is True and one["area"]["name"] == "calves" and "areas" not in one, r.stdout
    assert len(r.stdout.splitlines()) == 1
    everything = json.loads(d.knotctl("--json", "areas", raw=True).stdout)
    assert one["area"] == [a for a in everything["areas"] if a["name"] == "calves"][0]
    # Each error: one JSON line on stdout, nothing on stderr, the exit status of the same error in text.
    for args, code, rc in ((("areas", "calvs"), "unknown-area", 1),
                           (("bogus",), "usage", EXIT_USAGE),
                           (("--bogus", "status"), "usage", EXIT_USAGE),
                           (("start",), "usage", EXIT_USAGE),
                           (("-s", str(tmp_path / "none.sock"), "status"), "not-connected", EXIT_NOT_CONNECTED)):
        r = d.knotctl("--json", *args, raw=True)
        assert r.returncode == rc and r.stderr == "", (args, r)
        err = json.loads(r.stdout)
        assert (err["ok"], err["code"], err["from"]) == (False, code, "knotctl"), (args, err)
        assert err["message"] and len(r.stdout.splitlines()) == 1, (args, r.stdout)
    assert "calvs" in json.loads(d.knotctl("--json", "areas", "calvs", raw=True).stdout)["message"]
    # knotd's own refusal under --json: its reply line on stdout, nothing on stderr (status, watch alike).
    for args in (("-d", "NOPE", "status"), ("-d", "NOPE", "stop")):
        r = d.knotctl("--json", *args, raw=True)
        err = json.loads(r.stdout.splitlines()[-1])
        assert r.returncode == EXIT_REFUSED and r.stderr == "" and err["ok"] is False, (args, r)
        assert err["code"] == "no-device" and "from" not in err, (args, err)
    # Typed short, --json is --json for its errors too; as another option's value it is not.
    r = d.knotctl("--js", "bogus", raw=True)
    assert r.returncode == EXIT_USAGE and json.loads(r.stdout)["code"] == "usage" and r.stderr == "", r
    # Without --json the same error is a line on stderr.
    r = d.knotctl("areas", "calvs", raw=True)
    assert r.returncode == 1 and r.stdout == "" and r.stderr.startswith("knotctl: no body area 'calvs'"), r


def test_usage_errors_exit_2():
    assert run().returncode == EXIT_USAGE
    r = run("fly")
    assert r.returncode == EXIT_USAGE and "fly" in r.stderr
    r = run("start")
    assert r.returncode == EXIT_USAGE
    r = run("start", "calves", "lots")
    assert r.returncode == EXIT_USAGE and "lots" in r.stderr


def test_daemon_not_running_exit_3(tmp_path):
    sock = str(tmp_path / "none.sock")
    r = run("status", env={"KNOT_SOCKET": sock})
    assert r.returncode == EXIT_NOT_CONNECTED
    assert r.stderr.strip() == "knotctl: knotd is not running (no socket at %s)" % sock
    r = run("-s", sock, "stop")
    assert r.returncode == EXIT_NOT_CONNECTED


def test_refusals_exit_1_and_json_passes_through(knotd):
    d = knotd()
    d.wait_devices(1)
    r = d.knotctl("start", "neck")
    assert r.returncode == EXIT_REFUSED and r.stderr == ""
    assert r.stdout.startswith("The massager does not belong on the neck.\nThe guide's tool for the neck is your "
                               "fingers: use your opposite hand"), r.stdout
    r = d.knotctl("--json", "status")
    assert r.returncode == 0
    reply = json.loads(r.stdout)
    assert reply["ok"] and reply["devices"][0]["serial"] == "KNOTSIM1"
    r = d.knotctl("-d", "NOPE", "up")
    assert r.returncode == EXIT_REFUSED and "NOPE" in r.stderr
    r = d.knotctl("--detach", "start", "calf", "2")
    assert r.returncode == 0 and "started on KNOTSIM1" in r.stdout
    r = d.knotctl("status")
    assert "Calves: trial" in r.stdout
    r = d.knotctl("stop")
    assert r.returncode == 0 and "stopped KNOTSIM1" in r.stdout


def test_go_and_up_say_how_the_ramp_goes_from_the_session_itself(knotd):
    d = knotd()
    d.wait_devices(1)
    # A session that waits for the go-ahead after its trial, asked for level 2 (calves: step_s 5, max 3).
    assert d.req({"cmd": "start", "area": "calves", "level": 2, "ask": True})["ok"]
    wait_for(lambda: d.devices()[0]["session"]["phase"] == "wait", 20, "the wait after the trial")
    r = d.knotctl("up")
    assert (r.returncode, r.stdout) == (0, "target level 3 (staying at level 1 until you say go)\n"), r
    r = d.knotctl("go")
    assert (r.returncode, r.stdout) == (0, "going on: up to level 3 (ramping one level every 5 s)\n"), r
    assert d.req({"cmd": "stop"})["ok"]


def test_what_a_person_mistypes_gets_the_way_out(knotd):
    """Seen by a new user: `start calvs`, `stat`, `start calves --level 9`, `start lower-back 9`,
    `start upper back`, `help start`: each got a dead end. Each now names the way out."""
    d = knotd()
    d.wait_devices(1)
    r = d.knotctl("start", "calvs")
    assert r.returncode == 1 and "knotctl: did you mean 'calves'? knotctl start calves" in r.stderr, r
    assert "unknown body area 'calvs'" in r.stderr + r.stdout, r
    r = d.knotctl("stat")
    assert r.returncode == EXIT_USAGE and "did you mean 'status'?" in r.stderr, r
    r = d.knotctl("start", "calves", "--level", "2", raw=True)
    assert r.returncode == EXIT_USAGE and "LEVEL follows AREA: knotctl start calves 2" in r.stderr, r
    r = d.knotctl("start", "calves", "9")
    assert r.returncode == 1 and "level 9 is above the limit 3 for calves" in r.stderr + r.stdout, r
    r = d.knotctl("start", "upper", "back", raw=True)
    assert r.returncode == EXIT_USAGE and 'in quotes or with a dash: knotctl start "upper back"' in r.stderr, r
    r = d.knotctl("help", "start", raw=True)
    assert r.returncode == 0 and "\n  start AREA [LEVEL]" in r.stdout and "checkin" not in r.stdout, r
    assert d.trace.levels() == []


def test_status_exit_says_whether_a_massager_needs_attention(knotd):
    """As systemctl is-active answers: 0 when every massager is there, answering, without a fault; 6 otherwise."""
    d = knotd()
    d.wait_devices(1)
    assert d.knotctl("status").returncode == 0
    assert d.knotctl("--json", "status").returncode == 0
    # A massager that does not answer needs attention.
    assert d.sim.ctl("hang") == "ok"
    wait_for(lambda: "does not answer" in d.knotctl("status").stdout, 10, "status to see the silence")
    assert d.knotctl("status").returncode == EXIT_ATTENTION
    assert d.sim.ctl("unhang") == "ok"
    wait_for(lambda: d.knotctl("status").returncode == 0, 10, "status to be all right again")
    # So does a latched fault.
    assert d.sim.ctl("fault overheat") == "ok"
    wait_for(lambda: d.knotctl("status").returncode == EXIT_ATTENTION, 5, "status to see the fault")
    r = d.knotctl("--json", "status")
    assert r.returncode == EXIT_ATTENTION and json.loads(r.stdout)["devices"][0]["faults"] == ["overheat"], r
    # None connected: nothing can run.
    assert d.sim.ctl("unplug") == "ok"
    d.wait_devices(0)
    r = d.knotctl("status")
    assert r.returncode == EXIT_ATTENTION and "no massager" in r.stdout + r.stderr, r
    assert d.trace.levels() == []
