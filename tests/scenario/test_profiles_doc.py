# SPDX-License-Identifier: MIT
"""test_profiles_doc.py - knotd-profiles(5) says each number's range, and knotd --check-config keeps to it: both ends load, one past either end is refused, naming the key."""
import os
import re
import subprocess

import pytest

from knotd import BUILD

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KNOTD = os.path.join(BUILD, "knotd")
AREA = {"start_level": 1, "trial_s": 15, "default_level": 2, "max_level": 3, "step_s": 10, "session_s": 90,
        "cooldown_s": 900, "dose_min": 10}


def documented_ranges():
    """{key: (lo, hi)} from the page's '.BR key " (integer, LO to HI ...)"' lines (a bound by another key skipped)."""
    with open(os.path.join(ROOT, "config", "knotd-profiles.5")) as f:
        page = f.read()
    out = {}
    for key, text in re.findall(r'^\.BR (\w+) " \(integer, ([^)]*)\)"$', page, re.M):
        m = re.match(r"(\d+)( to (\d+))?(,| |$)", text)
        if m and not (m.group(2) is None and text.startswith(m.group(1) + " to ")):
            out[key] = (int(m.group(1)), int(m.group(3) or m.group(1)))
    return out


def check(tmp_path, key, value):
    area = dict(AREA, **{key: value})
    numbers = "".join("        %s = %d;\n" % kv for kv in area.items())
    profiles = tmp_path / "profiles.conf"
    profiles.write_text('areas = (\n    {\n        name = "calves";\n        title = "Calves";\n'
                        '        tool = "Foam Roller";\n        action = "Roll.";\n        gun = true;\n'
                        '%s        force_max_n = 25.0;\n    }\n);\n' % numbers)
    conf = tmp_path / "knotd.conf"
    conf.write_text("[daemon]\nsocket = %s\nsocket_group = root\nprofiles = %s\njournal = %s\n"
                    % (tmp_path / "s.sock", profiles, tmp_path / "journal"))
    return subprocess.run([KNOTD, "-c", str(conf), "--check-config"], capture_output=True, text=True, timeout=30)


RANGES = documented_ranges()


def test_the_page_gives_a_range_for_every_number():
    assert set(RANGES) == set(AREA) - {"default_level", "session_s"}, RANGES


@pytest.mark.parametrize("key", sorted(RANGES))
def test_knotd_keeps_to_the_documented_range(tmp_path, key):
    lo, hi = RANGES[key]
    for value in sorted({lo, hi}):
        if key == "max_level" and value < AREA["default_level"]:
            continue   # bounded by default_level, which the page says
        r = check(tmp_path, key, value)
        assert r.returncode == 0, (key, value, r.stderr)
    for value in (lo - 1, hi + 1):
        r = check(tmp_path, key, value)
        said = "%s = %d must be %d" % (key, value, lo) if lo == hi else "%s = %d is outside" % (key, value)
        assert r.returncode != 0 and said in r.stderr, (key, value, r.stderr)
