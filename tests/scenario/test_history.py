# SPDX-License-Identifier: MIT
"""test_history.py - knotctl history through the real socket against knot-sim: lines with the care advice, CSV read back, JSON as knotd says it, an area, --days at its edges, the chart on a real terminal, nothing to show."""
import csv
import io
import json
import os
import re
import subprocess
import time

import pytest

from clock import day_at, local_date, midnight, noon
from knotd import KNOTCTL
from test_care import checkin, session_end
from test_carecli import journal_of, treated
from tmuxpane import knotctl_line

# Records by date, rest and the day's dose: run again under tests/run's fixed clocks.
pytestmark = pytest.mark.clock

EXIT_REFUSED, EXIT_USAGE, EXIT_NOT_CONNECTED = 1, 2, 3


def when(t):
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(t))


def date(days_ago):
    return local_date(days_ago).isoformat()


def session(t, area="calves", ran_s=60, end="done", peak=2, ouches=0):
    return dict(session_end(t, area=area, ran_s=ran_s, end=end, peak=peak), ouches=ouches)


def flagged(t, flags, area="calves"):
    """A check-in of red flags alone: no pain given."""
    r = checkin(t, 0, area=area, flags=flags)
    del r["pain"]
    return r


def clear(t, area="calves"):
    return {"record": "clear", "time": t, "uid": os.getuid(), "area": area}


NOTE = 'stiff, "worse" uphill'


def mixed():
    """Two areas: calves treated 8 days and no better, forearms with a red flag and a note, cleared once."""
    return treated(range(8)) + [
        session(day_at(3, 10), area="forearms", ran_s=95, end="pain", peak=3, ouches=2),
        checkin(day_at(3, 12), 7, area="forearms", flags=["tingling", "sleep"], note=NOTE),
        clear(day_at(2), area="forearms"),
        flagged(day_at(2, 1), ["swelling"], area="forearms"),
        session(day_at(20), ran_s=45),   # before the 14 days
    ]


def test_lines_say_each_record_and_the_care_advice_with_its_numbers(knotd, tmp_path):
    d = knotd(journal=journal_of(tmp_path, mixed()))
    d.wait_devices(1)
    r = d.knotctl("history")
    assert r.returncode == 0 and r.stderr == "", r
    care = d.req({"cmd": "history"})["care"]
    assert [c["area"] for c in care] == ["calves", "forearms"], care
    assert care[0]["advice"].startswith("Your calves were treated on 8 of the last 10 days, pain 6, then 6. "), care
    lines = ["History of the last 14 days (since %s):" % date(13)]
    for k in range(7, -1, -1):
        lines.append("%s  calves    session 1:00, peak level 2, session complete" % when(day_at(k)))
        if k == 7:
            lines.append("%s  calves    check-in: pain 6 of 10" % when(day_at(7, 1)))
        if k == 3:
            lines.append("%s  forearms  session 1:35, peak level 3, stopped: it still hurt at level 1, after backing "
                         "off; 2 ouches" % when(day_at(3, 10)))
            lines.append("%s  forearms  check-in: pain 7 of 10; red flags: tingling, pain that disrupts your sleep; "
                         "note: %s" % (when(day_at(3, 12)), NOTE))
        if k == 2:
            lines.append("%s  forearms  red flags cleared" % when(day_at(2)))
            lines.append("%s  forearms  check-in: red flag: swelling" % when(day_at(2, 1)))
    lines.append("%s  calves    check-in: pain 6 of 10" % when(day_at(0, 1)))
    lines += ["", "Care advice:", "  " + care[0]["advice"], "  " + care[1]["advice"]]
    assert r.stdout.splitlines() == lines, r.stdout
    # The session 20 days ago is there when asked for.
    r = d.knotctl("history", "--days", "21")
    assert r.returncode == 0 and "%s  calves    session 0:45" % when(day_at(20)) in r.stdout, r.stdout


def csv_rows(journal_records):
    """The rows --csv must print for journal records (in the 14 days), as the man page says them."""
    rows = []
    for rec in sorted(journal_records, key=lambda x: (x["time"], x["record"] != "end")):
        if rec["time"] < midnight(13):
            continue
        if rec["record"] == "end":
            tenths = (rec["ran_ms"] // 1000 * 10 + 30) // 60
            rows.append([when(rec["time"]), "session", rec["area"], rec.get("side", ""), "%d.%d" % divmod(tenths, 10),
                         str(rec["peak"]),
                         rec["end"], str(rec["ouches"]), "", "", ""])
        else:
            pain = rec.get("pain")
            rows.append([when(rec["time"]), "checkin" if rec["record"] == "checkin" else "clear", rec["area"],
                         rec.get("side", ""), "", "", "", "", "" if pain is None else str(pain), " ".join(rec.get("flags", [])),
                         rec.get("note") or ""])
    return rows


def test_csv_reads_back_as_the_journal(knotd, tmp_path):
    recs = mixed()
    d = knotd(journal=journal_of(tmp_path, recs))
    d.wait_devices(1)
    p = subprocess.run([KNOTCTL, "-s", d.sock, "history", "--csv"], capture_output=True, timeout=30)
    assert p.returncode == 0 and p.stderr == b"", p
    raw = p.stdout.decode()
    # RFC 4180: CRLF after each row, a field with a comma or a quote quoted, its quotes doubled.
    assert raw.count("\r\n") == raw.count("\n") == len(csv_rows(recs)) + 1, raw
    assert ',"stiff, ""worse"" uphill"\r\n' in raw, raw
    rows = list(csv.reader(io.StringIO(raw, newline="")))
    assert rows[0] == ["time", "kind", "area", "side", "minutes", "peak", "end", "ouches", "pain", "flags", "note"], \
        rows[0]
    assert rows[1:] == csv_rows(recs), rows
    assert "\033" not in raw and "Care advice" not in raw
    # Rounded half up to one decimal: 95 s is 1.6 minutes.
    assert [r[4] for r in rows if r[2] == "forearms" and r[1] == "session"] == ["1.6"]
    # --csv with an area and --days: the same rows, fewer.
    p = subprocess.run([KNOTCTL, "-s", d.sock, "history", "forearms", "--csv", "--days", "3"], capture_output=True,
                       timeout=30)
    assert p.returncode == 0, p
    rows = list(csv.reader(io.StringIO(p.stdout.decode(), newline="")))
    assert [(r[1], r[2]) for r in rows[1:]] == [("clear", "forearms"), ("checkin", "forearms")], rows


def test_json_is_knotds_reply(knotd, tmp_path):
    d = knotd(journal=journal_of(tmp_path, mixed()))
    d.wait_devices(1)
    for args, req in [((), {}), (("calf", "--days", "3"), {"area": "calf", "days": 3}),
                      (("--days", "365"), {"days": 365})]:
        r = d.knotctl("--json", "history", *args)
        assert r.returncode == 0 and r.stderr == "" and r.stdout.count("\n") == 1, (args, r)
        assert json.loads(r.stdout) == d.req(dict(req, cmd="history")), args
    r = d.knotctl("--json", "history", "shins")
    assert r.returncode == EXIT_REFUSED and json.loads(r.stdout)["code"] == "unknown-area", r


def test_an_area_by_name_or_alias_and_an_unknown_one(knotd, tmp_path):
    d = knotd(journal=journal_of(tmp_path, mixed()))
    d.wait_devices(1)
    whole = d.knotctl("history", "forearms")
    assert whole.returncode == 0, whole
    lines = whole.stdout.splitlines()
    assert lines[0] == "History of your forearms, the last 14 days (since %s):" % date(13), lines
    assert lines[1:5] == [l for l in d.knotctl("history").stdout.splitlines() if "  forearms  " in l], lines
    assert [l.split()[3] for l in lines[1:5]] == ["session", "check-in:", "red", "check-in:"], lines
    # The forearms' care only: its red flag, not the calves' therapist.
    assert lines[5:] == ["", "Care advice:", "  " + d.req({"cmd": "history", "area": "forearms"})["care"][0]["advice"]]
    assert "calves" not in whole.stdout
    # An alias, in any case, is the same area.
    assert d.knotctl("history", "FOREARMS").stdout == whole.stdout
    calf = d.knotctl("history", "calf", "--days", "3")
    assert calf.returncode == 0 and calf.stdout.splitlines()[:2] == [
        "History of your calves, the last 3 days (since %s):" % date(2),
        "%s  calves  session 1:00, peak level 2, session complete" % when(day_at(2))], calf.stdout
    assert "forearms" not in calf.stdout and "physical therapist" in calf.stdout
    r = d.knotctl("history", "shins")
    assert r.returncode == EXIT_REFUSED and r.stdout == "", r
    assert r.stderr.startswith("knotctl: unknown body area 'shins'; known areas: ") and "calves" in r.stderr, r


def test_days_at_their_edges(knotd, tmp_path):
    d = knotd(journal=journal_of(tmp_path, [session(day_at(364), ran_s=30), session(day_at(365), ran_s=31),
                                            session(day_at(1), ran_s=32), session(day_at(0), ran_s=33)]))
    d.wait_devices(1)
    r = d.knotctl("history", "--days", "1")
    assert r.returncode == 0 and r.stdout.splitlines() == [
        "History of today (%s):" % date(0), "%s  calves  session 0:33, peak level 2, session complete" % when(day_at(0))], r
    r = d.knotctl("history", "--days", "365")
    assert r.returncode == 0 and r.stdout.splitlines()[0] == "History of the last 365 days (since %s):" % date(364), r
    assert [l.split()[4] for l in r.stdout.splitlines()[1:]] == ["0:30,", "0:32,", "0:33,"], r.stdout
    r = d.knotctl("history", "--days", "2")
    assert len(r.stdout.splitlines()) == 3, r.stdout


# Each a usage error (exit 2) naming what was wrong, before anything is sent.
BAD_LINES = [
    (("history", "--days", "0"), "--days must be a whole number from 1 to 365, not '0'"),
    (("history", "--days", "366"), "--days must be a whole number from 1 to 365, not '366'"),
    (("history", "--days", "x"), "--days must be a whole number from 1 to 365, not 'x'"),
    (("history", "--days", "-1"), "not '-1'"),
    (("history", "--days", "7.5"), "not '7.5'"),
    (("history", "--days", ""), "not ''"),
    (("history", "--days"), "option '--days' needs a value"),
    (("history", "--days", "3", "--days", "4"), "--days is given twice ('3', then '4')"),
    (("history", "--csv", "--json"), "--csv and --json are two ways to print the history: give one of them"),
    (("history", ""), "AREA must not be empty"),
    (("history", "calves", "forearms"), "too many arguments; usage: knotctl history [AREA] [--days N] [--csv] [--side SIDE]"),
    (("status", "--days", "3"), "--days goes with 'history', not 'status'"),
    (("checkin", "calves", "--pain", "3", "--csv"), "--csv goes with 'history', not 'checkin'"),
]


def test_bad_command_lines_are_usage_errors_and_nothing_is_sent(tmp_path):
    # No knotd at all: knotctl trying to reach one would exit 3, not 2.
    env = dict(os.environ, KNOT_SOCKET=str(tmp_path / "nothing-here"))
    for args, says in BAD_LINES:
        r = subprocess.run([KNOTCTL, *args], capture_output=True, text=True, env=env, timeout=30)
        assert r.returncode == EXIT_USAGE, (args, r)
        if "--json" in args:
            # Under --json the error is JSON on stdout, nothing on stderr.
            assert r.stderr == "" and json.loads(r.stdout)["code"] == "usage", (args, r)
            assert says in json.loads(r.stdout)["message"], (args, r.stdout)
            continue
        assert r.stdout == "", (args, r)
        assert r.stderr.startswith("knotctl: ") and says in r.stderr and r.stderr.count("\n") == 1, (args, r.stderr)
    r = subprocess.run([KNOTCTL, "history", "--days", "365"], capture_output=True, text=True, env=env, timeout=30)
    assert r.returncode == EXIT_NOT_CONNECTED, "the good line does reach for knotd: %r" % (r,)


def chart_journal():
    """calves: 1, 2, 4 and 8 minutes on four days (8 the most: heights 1, 2, 4, 8), pains; forearms once."""
    return [
        session(day_at(13), ran_s=60), checkin(day_at(13, 1), 7),
        session(day_at(7), ran_s=120),
        session(day_at(3), ran_s=100), session(day_at(3, 10), ran_s=140), checkin(day_at(3, 12), 10),
        session(day_at(0), ran_s=480), checkin(day_at(0, 1), 5), checkin(day_at(0, 2), 2),
        session(day_at(1), area="forearms", ran_s=30, end="pain", ouches=2),
        flagged(day_at(1, 1), ["numbness"], area="forearms"),
    ]


def cells(values, width=3):
    return "".join(v.rjust(width) for v in values).rstrip()


def test_the_chart_on_a_terminal(knotd, tmux, tmp_path):
    d = knotd(journal=journal_of(tmp_path, chart_journal()))
    d.wait_devices(1)
    care = d.req({"cmd": "history"})["care"]
    assert [c["area"] for c in care] == ["forearms"], care
    axis = cells(["%d" % local_date(k).day for k in range(13, -1, -1)])
    tz = {"TZ": os.environ["TZ"]} if "TZ" in os.environ else {}
    for env, bars, none in [({}, " _-=+*#%@", "."), ({"LC_ALL": "C.UTF-8"}, " \u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588",
                                                      "\u00b7")]:
        t = tmux(d, env=dict(env, **tz))
        t.run(knotctl_line("history"))
        screen = t.wait(r"^EXIT=\d+")
        out = screen[:screen.index("\nEXIT=")].split("\n")
        start = [i for i, l in enumerate(out) if l.startswith("History of")][-1]
        minutes = {13: 1, 7: 2, 3: 4, 0: 8}
        pains = {13: "7", 3: "X", 0: "5"}
        expect = [
            "History of the last 14 days (since %s):" % date(13),
            "",
            " " * 11 + axis,
            "Calves: 5 sessions (15:00 run), 4 check-ins",
            "  minutes  " + cells([bars[minutes.get(k, 0)] for k in range(13, -1, -1)]),
            "  pain     " + cells([pains.get(k, none) for k in range(13, -1, -1)]),
            "Forearms: 1 session (0:30 run), 1 check-in",
            "  minutes  " + cells([bars[1 if k == 1 else 0] for k in range(13, -1, -1)]),
            "  pain     " + cells([none] * 14),
            "",
            "Bars: the time run a day, %s = 8:00 (the most)." % bars[8],
            "Pain: the worst of the day, 0-9, X = 10; %s = no check-in." % none,
            "",
            "Care advice:",
        ]
        assert out[start:start + len(expect)] == expect, "\n".join(out[start:])
        # The advice, wrapped between words to the terminal's 120 columns (one short, for the cursor).
        advice = out[start + len(expect):]
        assert " ".join(advice) == "  " + care[0]["advice"], advice
        assert len(advice) > 1 and max(len(l) for l in advice) <= 119, advice
        assert screen.split("\nEXIT=")[1].startswith("0\n"), screen
        # 80 columns for the chart and its key (the advice is knotd's sentence, as status prints it).
        assert max(len(l) for l in expect) <= 80


def test_longer_charts_keep_to_80_columns(knotd, tmux, tmp_path):
    d = knotd(journal=journal_of(tmp_path, chart_journal() + [session(day_at(200), ran_s=600)]))
    d.wait_devices(1)
    t = tmux(d, width=200)
    for days, key in [(30, "One column a day, today last; the dates mark every 7th day."),
                      (62, "One column a day, today last; the dates mark every 7th day."),
                      (365, "Each column is 6 days, today's last; a date above is its column's last day.")]:
        t.clear()
        t.run(knotctl_line("history", "--days", str(days)))
        screen = t.wait(r"^EXIT=\d+")
        out = screen[screen.index("History of the last %d days" % days):screen.index("\nCare advice:")].split("\n")
        assert key in out and max(len(l) for l in out) <= 80, "\n".join(out)
        pain = [l for l in out if l.startswith("  pain")][0][11:]
        # One column a day: today's worst pain (5) last, 10 three days before; six days a column: both in the last.
        if days <= 62:
            assert len(pain) == days and pain[-1] == "5" and pain[-4] == "X" and pain[-14] == "7", pain
        else:
            assert len(pain) == 61 and pain[-1] == "X" and pain[-3] == "7", pain
            assert [l for l in out if l.startswith("Calves:")] == ["Calves: 6 sessions (25:00 run), 4 check-ins"]


def test_nothing_to_show(knotd, tmux, tmp_path):
    d = knotd()
    d.wait_devices(1)
    for args, said in [((), "No sessions or check-ins in the last 14 days."),
                       (("calf",), "No sessions or check-ins for your calves in the last 14 days."),
                       (("--days", "1"), "No sessions or check-ins today.")]:
        r = d.knotctl("history", *args)
        assert (r.returncode, r.stderr, r.stdout) == (0, "", said + "\n"), (args, r)
    r = d.knotctl("history", "--csv")
    assert r.returncode == 0 and r.stdout == "time,kind,area,side,minutes,peak,end,ouches,pain,flags,note\n", r
    t = tmux(d)
    t.run(knotctl_line("history"))
    screen = t.wait(r"^EXIT=\d+")
    assert re.search(r"^No sessions or check-ins in the last 14 days\.\nEXIT=0$", screen, re.M), screen


def test_a_history_too_long_for_one_reply_says_so(knotd, tmp_path):
    recs = [session(day_at(12, i), ran_s=10) for i in range(600)]
    d = knotd(journal=journal_of(tmp_path, recs))
    d.wait_devices(1)
    h = d.req({"cmd": "history"})
    assert h["truncated"] and len(h["sessions"]) < 600, len(h["sessions"])
    r = d.knotctl("history")
    lines = r.stdout.splitlines()
    assert r.returncode == 0 and lines[1] == ("Only the newest records fit in one reply: those before %s are left "
                                              "out (ask for fewer --days, or one AREA)." % when(h["since"])), lines[:3]
    assert len(lines) == 2 + len(h["sessions"]), len(lines)


def test_a_huge_history_stays_under_the_reply_budget(knotd, tmp_path):
    """Seen: with about 17k records the reply outgrew its 48 KiB budget by about a byte a record, and
    at 18k knotd dropped the client for not reading its output."""
    noons = [noon(days_ago) for days_ago in range(1, 14)]
    recs = sorted((session(noons[i % 13] + 2 * (i // 13), ran_s=1) for i in range(17000)),   # within an hour of noon
                  key=lambda r: r["time"])
    d = knotd(journal=journal_of(tmp_path, recs))
    d.wait_devices(1)
    with d.connect() as c:
        c.sendall(b'{"cmd":"history"}\n')
        line = c.makefile("rb").readline()
    h = json.loads(line)
    assert h["ok"] and h["truncated"] and len(line) <= 48 * 1024 + 1024, (len(line), len(h["sessions"]))
    assert d.req({"cmd": "version"})["ok"], "knotd serves on"


def test_notes_cannot_reorder_the_terminal(knotd):
    """Seen: notes with bidi overrides, isolates and zero-width characters were printed raw: a terminal
    showed reordered text. They stay in the record as written; knotctl shows them as <U+XXXX>."""
    d = knotd()
    d.wait_devices(1)
    note = "sore \u202eevoba\u202c then \u2066x\u2069\u200b\u2028end"
    assert d.req({"cmd": "checkin", "area": "calves", "pain": 2, "note": note})["ok"]
    assert d.req({"cmd": "history"})["checkins"][0]["note"] == note, "the record keeps what was written"
    for args in (("history",), ("history", "--csv")):
        r = d.knotctl(*args)
        assert r.returncode == 0, r
        assert "sore <U+202E>evoba<U+202C> then <U+2066>x<U+2069><U+200B><U+2028>end" in r.stdout, r.stdout
        assert not any(c in r.stdout for c in "\u202e\u202c\u2066\u2069\u200b\u2028"), r.stdout
