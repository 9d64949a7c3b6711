# SPDX-License-Identifier: MIT
"""test_try.py - scripts/try: knotd by hand in one command; knotctl and simctl just work inside it; nothing is left after it."""
import os
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
              "knotctl -d KNOTSIM1-2 --detach --warmed-up start calves >/dev/null && "
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
