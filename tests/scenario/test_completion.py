# SPDX-License-Identifier: MIT
"""test_completion.py - knotctl's bash completion driven in bash: commands, each command's options, areas and serials from a running knotd."""
import os
import re
import subprocess
import time

from knotd import KNOTCTL
from knotsim import BUILD, ROOT

COMPLETION = os.path.join(ROOT, "cli", "knotctl.bash")
# What bash-completion does for a Tab: the words so far, the one under the cursor last.
DRIVER = 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; ' \
         '_knotctl "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"; printf "%s\\n" "${COMPREPLY[@]}"'


def complete(*words, sock=None):
    """COMPREPLY for the command line `words` (the last one is being completed)."""
    env = {k: v for k, v in os.environ.items() if k != "KNOT_SOCKET"}
    env["PATH"] = BUILD + os.pathsep + env.get("PATH", "/usr/bin:/bin")
    if sock:
        env["KNOT_SOCKET"] = sock
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", DRIVER, "bash", COMPLETION, "knotctl", *words],
                       capture_output=True, text=True, env=env, timeout=30)
    assert p.returncode == 0 and p.stderr == "", "bash: exit %d: %s" % (p.returncode, p.stderr)
    return [w for w in p.stdout.split("\n") if w]


def test_commands_and_each_commands_options():
    assert complete("") == ["version", "devices", "status", "areas", "start", "routines", "routine", "stop", "up",
                            "down", "ouch", "go", "watch", "checkin", "history", "doctor", "help"]
    # The same as knotctl's own command table, as its --help lists it.
    helped = subprocess.run([KNOTCTL, "--help"], capture_output=True, text=True).stdout
    commands = helped[helped.index("Commands:\n"):helped.index("\nOptions:")]
    named = re.findall(r"^  ([a-z]+)(?:,| |$)", commands, re.M) + re.findall(r"^  [a-z]+, ([a-z]+)", commands, re.M)
    assert sorted(set(named)) == sorted(complete("")), named
    assert complete("st") == ["status", "start", "stop"]
    # Before the command every option; after it only the ones it uses.
    assert complete("-") == ["-s", "--socket", "-d", "--device", "--json", "--detach", "-h", "--help", "-V",
                             "--version"]
    assert complete("start", "--d") == ["--device", "--detach"]
    assert complete("start", "--w") == ["--warmed-up"] and complete("start", "--a") == ["--auto-ramp"]
    assert complete("version", "-") == ["-s", "--socket", "--json"]
    assert complete("stop", "-") == ["-s", "--socket", "-d", "--device", "--json"]
    assert complete("help", "-") == []
    assert complete("doctor", "-") == ["-s", "--socket", "-d", "--device"]
    assert complete("history", "-") == ["-s", "--socket", "--json", "--days", "--csv", "--side"]
    assert complete("start", "calves", "--side", "") == ["left", "right"]
    assert complete("checkin", "calves", "--t") == ["--tingling"]
    assert complete("checkin", "calves", "--pain", "1") == ["1", "10"]
    assert complete("checkin", "calves", "--note", "") == []
    assert complete("doctor", os.path.join(ROOT, "config", "profiles-d")) == [os.path.join(ROOT, "config", "profiles-demo.conf")]
    # Options and their values do not count as the command.
    assert complete("-s", "/x", "--json", "sto") == ["stop"]


def test_areas_levels_and_serials_come_from_the_running_knotd(knotd):
    d = knotd("--devices", "2", "--serial", "GUN")
    d.wait_devices(2)
    areas = d.req({"cmd": "areas"})["areas"]
    every = [a["name"] for a in areas]
    gun = [a["name"] for a in areas if a["gun"]]
    assert "neck" in every and "neck" not in gun and gun

    # areas takes any area; start only one the massager belongs on.
    assert complete("areas", "", sock=d.sock) == every
    assert complete("start", "", sock=d.sock) == gun
    assert complete("--json", "start", "", sock=d.sock) == gun
    assert complete("areas", "calves", "", sock=d.sock) == []
    # A check-in and the history are about any area; an option's value is no area.
    assert complete("checkin", "", sock=d.sock) == every
    assert complete("history", "--days", "7", "", sock=d.sock) == every
    assert complete("checkin", "calves", "--pain", "3", "", sock=d.sock) == []
    calves = next(a for a in areas if a["name"] == "calves")
    assert complete("start", "calves", "", sock=d.sock) == [str(n) for n in range(1, calves["max_level"] + 1)]
    assert complete("start", "calves", "2", "", sock=d.sock) == []

    assert complete("-d", "", sock=d.sock) == ["GUN", "GUN-2"]
    assert complete("stop", "--device", "GUN-", sock=d.sock) == ["GUN-2"]
    assert complete("stop", "--device", "=", "", sock=d.sock) == ["GUN", "GUN-2"]

    # The socket the line names wins over $KNOT_SOCKET, in each of its spellings.
    nowhere = os.path.join(str(d.tmp), "nowhere.sock")
    assert complete("-s", d.sock, "start", "", sock=nowhere) == gun
    assert complete("--socket", "=", d.sock, "start", "", sock=nowhere) == gun
    assert complete("-s" + d.sock, "-d", "", sock=nowhere) == ["GUN", "GUN-2"]
    assert complete("start", "", sock=nowhere) == []


def test_nothing_and_quietly_when_knotd_is_not_running(tmp_path):
    nowhere = str(tmp_path / "knotd.sock")
    t0 = time.monotonic()
    assert complete("start", "", sock=nowhere) == []
    assert complete("areas", "ca", sock=nowhere) == []
    assert complete("-d", "", sock=nowhere) == []
    assert complete("start", "calves", "", sock=nowhere) == [str(n) for n in range(1, 9)]
    # A Tab must not hang: no socket is an answer at once.
    assert time.monotonic() - t0 < 10


def test_sides_and_routines_come_from_the_running_knotd(knotd):
    d = knotd(profiles=os.path.join(ROOT, "tests", "scenario", "profiles-sides.conf"))
    d.wait_devices(1)
    # A side first, then only the areas that have sides; an area first, then its sides too.
    assert "left" in complete("start", "", sock=d.sock) and "right" in complete("start", "", sock=d.sock)
    assert complete("start", "left", "", sock=d.sock) == ["calves"]
    assert complete("checkin", "right", "", sock=d.sock) == ["calves"]
    assert complete("routine", "", sock=d.sock) == ["three"]
