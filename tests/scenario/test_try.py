# SPDX-License-Identifier: MIT
"""test_try.py - scripts/try: knotd by hand in one command; knotctl and simctl just work inside it; nothing is left after it."""
import json
import os
import re
import subprocess

from knotsim import ROOT

TRY = os.path.join(ROOT, "scripts", "try")


def run_try(*args):
    return subprocess.run([TRY, *args], capture_output=True, text=True, timeout=120)


def test_a_command_in_try_finds_knotd_and_its_massager():
    r = run_try("sh", "-c", 'knotctl status && echo "dir=${KNOT_SOCKET%/*}"')
    assert r.returncode == 0, r
    assert r.stdout.startswith("KNOTSIM1: connected, level 0/5"), r.stdout
    where = r.stdout.split("dir=")[1].strip()
    assert where and not os.path.exists(where), "the private directory outlived try"


def test_two_massagers_and_a_fault_without_socat():
    script = ("knotctl devices | cut -d: -f1 && "
              "knotctl -d KNOTSIM1-2 --detach --warmed-up start left calf >/dev/null && "
              "simctl @KNOTSIM1-2 fault overheat && "
              "i=0; until knotctl -d KNOTSIM1-2 status | grep -q 'faults: overheat'; do "
              "i=$((i+1)); [ $i -lt 100 ] || exit 9; sleep 0.1; done; "
              "knotctl -d KNOTSIM1-2 status | grep -o 'ended (.*)'; simctl bogus; echo simctl=$?")
    r = run_try("-n", "2", "sh", "-c", script)
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    assert lines[:3] == ["KNOTSIM1", "KNOTSIM1-2", "ok"], r.stdout
    assert "ended (stopped: the massager reported a fault: overheat)" in r.stdout, r.stdout
    assert lines[-2].startswith("err unknown command 'bogus'") and lines[-1] == "simctl=1", r.stdout


def test_doctor_in_try_finds_every_line_ok():
    r = run_try("knotctl", "doctor")
    assert r.returncode == 0, r.stdout + r.stderr
    got = [l.split()[0] for l in r.stdout.splitlines()]
    assert got == ["ok"] * 5, r.stdout
    assert "the files knotd runs on load: " in r.stdout and "/config/profiles.conf: ok" in r.stdout, r.stdout


def test_try_says_what_is_wrong():
    r = run_try("-n", "9", "true")
    assert r.returncode == 2 and "-n takes 1 to 8 massagers, not '9'" in r.stderr, r
    r = run_try("sh", "-c", "exit 7")
    assert r.returncode == 7, "try exits with its command's status"


README = os.path.join(ROOT, "README.md")
# Only what differs from one run to the next: the private directory, and the readings of a warm motor.
VARIES = [(re.compile(r"/\S*knotd-try\.\w+"), "/tmp/knotd-try.X"),
          (re.compile(r"motor \d+\.\d C, battery \d+ %"), "motor T C, battery B %"),
          (re.compile(r"too hot \(\d+\.\d C\)"), "too hot (T C)"),
          (re.compile(r"\(readings from [^)]*\)"), "(readings from ...)")]
# Run inside try: each command of the README, its output as JSON. A status is asked again (for
# at most 5 s) until it shows what the README shows: the fault takes a poll of knotd's to be seen.
DRIVER = r"""
import json, subprocess, sys, time
steps, varies = json.load(sys.stdin)
import re
def norm(s):
    for pat, rep in varies:
        s = re.sub(pat, rep, s)
    return s
out = []
for cmd, want in steps:
    deadline = time.monotonic() + 5
    while True:
        got = subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout
        if not cmd.startswith("knotctl status") or norm(got) == norm(want) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    out.append(got)
print(json.dumps(out))
"""


def readme_try():
    """The README's "Try it by hand" session: its banner, and each command with its output."""
    block = open(README).read().split("```\n$ make try\n", 1)[1].split("```", 1)[0]
    banner, steps = [], []
    for line in block.splitlines():
        if line.startswith("(knotd-try) $ "):
            steps.append([line[len("(knotd-try) $ "):], ""])
        elif steps:
            steps[-1][1] += line + "\n"
        else:
            banner.append(line)
    return "\n".join(banner) + "\n", steps


def norm(text):
    for pat, rep in VARIES:
        text = pat.sub(rep, text)
    return text


def test_the_readme_shows_what_try_prints():
    banner, steps = readme_try()
    assert len(steps) >= 3
    r = subprocess.run([TRY], input="exit\n", capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and norm(r.stdout) == norm(banner), (r.stdout, banner)
    r = subprocess.run([TRY, "python3", "-c", DRIVER], capture_output=True, text=True, timeout=120,
                       input=json.dumps([steps, [(p.pattern, s) for p, s in VARIES]]))
    assert r.returncode == 0, r
    for (cmd, want), got in zip(steps, json.loads(r.stdout)):
        assert norm(got) == norm(want), "README's '%s' is not what it prints:\n%s" % (cmd, got)
