# SPDX-License-Identifier: MIT
"""test_requests.py - raw request bytes through knotd's real socket: strict JSON in, valid UTF-8 strict JSON out."""
import json
import math
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile

from knotsim import wait_for

# Every request here is one line, sent as these exact bytes; each gets
# bad-request, and the message says what was wrong (a word or two of it).
GRAMMAR = [
    # json-c's strict mode catches these
    (b'{"cmd":"version",}', "trailing comma"),
    (b'{"cmd":"version","id":[1,2,]}', "trailing comma"),
    (b"{'cmd':'version'}", "single quotes"),
    (b'{"cmd":\'version\'}', "single quotes"),
    (b'{"cmd":"version"/* c */}', "comment"),
    (b'{"cmd":"version"}// c', "comment"),
    (b'{"cmd":"version"}# c', "comment"),
    (b'{"cmd":"version","id":01}', "leading zero"),
    (b'{"cmd":"version","id":.5}', "unexpected '.'"),
    (b'{"cmd":"version","id":0x10}', "unexpected 'x'"),
    (b'{"cmd":"version","id":True}', "unexpected 'T'"),
    (b'{cmd:"version"}', "member name"),
    (b'{"cmd":"vers\\x69on"}', "invalid escape"),
    (b'{"cmd":"version"} {"cmd":"stop"}', "text after the object"),
    (b'\xef\xbb\xbf{"cmd":"version"}', "byte 0xef"),
    (b'{"cmd":"version"', "line ends inside"),
    (b'{"cmd":"version","id":' + b"[" * 40 + b"]" * 40 + b"}", "nested deeper than 32"),
    (b"", "empty request"),
    (bytes(b for b in range(256) if b != 10), "unexpected byte 0x00"),
    # json-c's strict mode lets these through
    (b'{"cmd":"version","id":NaN}', "NaN"),
    (b'{"cmd":"version","id":Infinity}', "Infinity"),
    (b'{"cmd":"version","id":-Infinity}', "Infinity"),
    (b'{"cmd":"version","id":1.}', "digit expected after '.'"),
    (b'[{"cmd":"version"}]', "not an array"),
    (b'"version"', "not a string"),
    (b"5", "not a number"),
    (b"null", "not null"),
    (b'{"cmd":"ver\tsion"}', "control character 0x09"),
    (b'{"cmd":"version","id":"a\x01b"}', "control character 0x01"),
]
# json-c keeps the last of two members with one name; knotd refuses the line.
DUPLICATES = [
    (b'{"cmd":"status","cmd":"version"}', "duplicate member 'cmd'"),
    (b'{"cmd":"status","c\\u006dd":"version"}', "duplicate member 'cmd'"),
    (b'{"cmd":"start","area":"calves","area":"neck"}', "duplicate member 'area'"),
]
# "\u0000": json-c cut member names there, and knotd read values up to it.
NULS = [
    (b'{"cmd":"version\\u0000junk"}', "U+0000"),
    (b'{"cmd\\u0000x":"version"}', "U+0000"),
    (b'{"cmd":"start","area":"calves\\u0000neck"}', "U+0000"),
]
# json-c clamped these: a level of 99999999999999999999 was refused as
# level 9223372036854775807, an id came back as another number.
NUMBERS = [
    (b'{"cmd":"start","area":"calves","level":99999999999999999999}', "beyond 64 bits"),
    (b'{"cmd":"start","area":"calves","level":-9223372036854775809}', "beyond 64 bits"),
    (b'{"cmd":"version","id":18446744073709551615}', "beyond 64 bits"),
    (b'{"cmd":"version","id":1e400}', "too large"),
]
# Not UTF-8: knotd quoted these raw bytes back in unknown-command and
# unknown-area messages, making its own reply invalid UTF-8.
UTF8 = [
    (b'{"cmd":"\xff"}', "UTF-8"),
    (b'{"cmd":"start","area":"calves\xc3"}', "UTF-8"),
    (b'{"cmd":"start","area":"\xc0\xaf"}', "UTF-8"),
    (b'{"cmd":"start","area":"\xed\xa0\x80"}', "UTF-8"),
    (b'{"cmd":"start","area":"\xf4\x90\x80\x80"}', "UTF-8"),
    (b'{"cmd":"start","area":"\\ud800"}', "surrogate"),
    (b'{"cmd":"start","area":"\\udc00calves"}', "surrogate"),
]
# Members knotd reads: null is a wrong type, never "absent" (a null device
# made stop stop every massager); names hold no control character.
MEMBERS = [
    (b'{"cmd":null}', "'cmd' must be a string, not null"),
    (b'{"cmd":5}', "'cmd' must be a string, not an integer"),
    (b'{"cmd":"status","device":null}', "'device' must be a string, not null"),
    (b'{"cmd":"stop","device":null}', "'device' must be a string, not null"),
    (b'{"cmd":"up","device":null}', "'device' must be a string, not null"),
    (b'{"cmd":"start","area":null}', "'area' must be a string, not null"),
    (b'{"cmd":"start","area":"calves","level":null}', "'level' must be an integer, not null"),
    (b'{"cmd":"start","area":"calves","device":null}', "'device' must be a string, not null"),
    (b'{"cmd":"start","area":"calves","level":2.0}', "'level' must be an integer"),
    (b'{"cmd":"start","area":"calves","level":"2"}', "'level' must be an integer"),
    (b'{"cmd":"start","area":"cal\\u0001ves"}', "control character U+0001"),
    (b'{"cmd":"start","area":"calves\\u0085"}', "control character U+0085"),
    (b'{"cmd":"versio\\u007f"}', "control character U+007F"),
    (b'{"cmd":"status","device":"KNOTSIM1\\n"}', "control character U+000A"),
]
BAD = GRAMMAR + DUPLICATES + NULS + NUMBERS + UTF8 + MEMBERS

def strict(line):
    """One reply or event line as strict JSON: UTF-8, an object, no NaN, no duplicate member, no lone surrogate."""
    assert line.endswith(b"\n"), "not a whole line: %r" % line
    text = line[:-1].decode("utf-8")  # strict: invalid UTF-8 raises

    def pairs(kv):
        keys = [k for k, _ in kv]
        assert len(keys) == len(set(keys)), "duplicate member in %r" % text
        return dict(kv)

    def no_constant(name):
        raise AssertionError("%s in %r" % (name, text))

    def finite(s):
        v = float(s)
        assert math.isfinite(v), "%s in %r" % (s, text)
        return v

    obj = json.loads(text, object_pairs_hook=pairs, parse_constant=no_constant, parse_float=finite)
    assert isinstance(obj, dict), text

    def walk(v):
        if isinstance(v, str):
            v.encode("utf-8")  # a lone surrogate escape raises
        elif isinstance(v, dict):
            for k, x in v.items():
                walk(k)
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    walk(obj)
    return obj


def exchange(sock, raw_lines):
    """Send the raw lines on one connection; one strict reply per line (events skipped)."""
    sock.sendall(b"".join(r + b"\n" for r in raw_lines))
    f = sock.makefile("rb")
    replies = []
    while len(replies) < len(raw_lines):
        line = f.readline()
        assert line, "knotd closed the connection after %d replies" % len(replies)
        o = strict(line)
        if "event" not in o:
            replies.append(o)
    return replies


def test_bad_requests_get_bad_request_and_the_connection_stays_usable(knotd):
    d = knotd()
    d.wait_devices(1)
    s = d.connect()
    replies = exchange(s, [raw for raw, _ in BAD] + [b'{"cmd":"version","id":"after"}'])
    for (raw, what), r in zip(BAD, replies):
        assert r["ok"] is False and r["code"] == "bad-request", (raw, r)
        assert what in r["message"], (raw, what, r["message"])
        assert "id" not in r, (raw, r)
    assert {k: replies[-1][k] for k in ("ok", "version", "protocol", "id")} == \
        {"ok": True, "version": "0.1.0", "protocol": 3, "id": "after"}
    s.close()
    # Not one of them reached the motor (one asked for calves, hid a NUL, then neck).
    assert d.trace.levels() == []
    assert d.devices()[0]["session"] is None


def test_strict_json_is_accepted_and_ids_come_back_as_sent(knotd):
    d = knotd()
    d.wait_devices(1)
    s = d.connect()
    good = [
        (b' \t{ "cmd" : "version" , "id" : 1 }\r\t ', 1),
        (b'{"cmd":"version","id":{"a":[1,-2.5e-3,"x",true,false,null,{}],"b":[]}}',
         {"a": [1, -2.5e-3, "x", True, False, None, {}], "b": []}),
        (b'{"cmd":"version","id":"caf\\u00e9 \\ud83d\\ude00 \xe2\x82\xac \\n \\"q\\" \\\\ \\/"}',
         "caf\u00e9 \U0001F600 \u20ac \n \"q\" \\ /"),
        (b'{"cmd":"version","id":-9223372036854775808}', -9223372036854775808),
        (b'{"cmd":"version","id":9223372036854775807}', 9223372036854775807),
        (b'{"cmd":"version","id":1e308}', 1e308),
        (b'{"cmd":"version","id":null}', None),
        (b'{"cmd":"version","id":"a\\u0001b"}', "a\u0001b"),
        (b'{"cmd":"version","future":null,"also":{"x":[1,{"x":2}]},"id":2}', 2),
        (b'{"cmd":"v\\u0065rsion","id":3}', 3),
    ]
    replies = exchange(s, [raw for raw, _ in good])
    for (raw, want), r in zip(good, replies):
        assert r.get("ok") is True and r["version"] == "0.1.0", (raw, r)
        assert r["id"] == want, (raw, r)
    s.close()


def test_client_text_in_messages_is_valid_utf8_and_cut_at_characters(knotd):
    d = knotd()
    d.wait_devices(1)
    s = d.connect()
    area = "a" + "\u00e4" * 40          # 'a' then 2-byte characters: a byte cut splits one
    cmd = "\u20ac" * 40                 # 3-byte characters
    serial = "S" + "\U0001F600" * 40    # 4-byte characters
    reqs = [json.dumps({"cmd": "start", "area": area}, ensure_ascii=False).encode(),
            json.dumps({"cmd": cmd}, ensure_ascii=False).encode(),
            json.dumps({"cmd": "status", "device": serial}, ensure_ascii=False).encode(),
            json.dumps({"cmd": "start", "area": "back\\slash"}).encode()]
    r = exchange(s, reqs)
    assert [x["code"] for x in r] == ["unknown-area", "unknown-command", "no-device", "unknown-area"]
    quoted = [re.search(r"'([^']*)'", x["message"]).group(1) for x in r]
    # Whole characters only, then "..." where the name was cut.
    assert quoted[0].endswith("...") and area.startswith(quoted[0][:-3]) and len(quoted[0]) > 20, quoted[0]
    assert quoted[1].endswith("...") and cmd.startswith(quoted[1][:-3]) and len(quoted[1]) > 10, quoted[1]
    assert quoted[2].endswith("...") and serial.startswith(quoted[2][:-3]) and len(quoted[2]) > 8, quoted[2]
    assert quoted[3] == "back\\\\slash", "a backslash is shown escaped, so escapes cannot be faked"
    assert "known areas: neck, calves, forearms" in r[0]["message"]
    assert d.req({"cmd": "version"}, conn=s)["ok"]
    s.close()


def test_every_reply_and_event_of_a_session_is_strict_json(knotd):
    d = knotd("--devices", "2", "--serial", "GUN")
    d.wait_devices(2)
    w = d.connect()
    w.sendall(b'{"cmd":"watch"}\n')
    wf = w.makefile("rb")
    assert strict(wf.readline()) == {"ok": True}
    c = d.connect()
    cf = c.makefile("rb")
    raw = []

    def ask(obj):
        c.sendall((json.dumps(obj) + "\n").encode())
        line = cf.readline()
        raw.append(line)
        return strict(line)

    assert ask({"cmd": "version"})["ok"]
    assert ask({"cmd": "devices"})["ok"]
    assert ask({"cmd": "areas"})["ok"]
    # A force with a tenth that no double holds exactly: 12.3 N.
    assert d.sim.ctl("@GUN press 12.3") == "ok"
    assert ask({"cmd": "start", "area": "calves", "device": "GUN", "warmed_up": True, "ask": False})["ok"]
    d.trace.wait(r"^level 1 by=host dev=GUN$")
    assert ask({"cmd": "up", "device": "GUN"})["code"] == "trial"
    assert ask({"cmd": "ouch", "device": "GUN"})["ok"]
    assert ask({"cmd": "start", "area": "neck", "device": "GUN-2"})["code"] == "not-allowed"
    # Pressing harder than the area allows (20 N) for the grace period: a warning event.
    assert d.sim.ctl("@GUN press 25.7") == "ok"
    wait_for(lambda: ask({"cmd": "status", "device": "GUN"})["devices"][0]["session"]["force_warning"], 10,
             "the force warning")
    assert ask({"cmd": "status", "device": "GUN"})["devices"][0]["force_n"] == 25.7
    assert ask({"cmd": "status"})["ok"]
    assert ask({"cmd": "stop"})["ok"]
    d.trace.wait(r"^level 0 by=host dev=GUN$")
    assert d.sim.ctl("@GUN-2 unplug") == "ok"
    d.wait_devices(1)
    assert ask({"cmd": "stop", "device": "GUN-2"})["code"] == "no-device"
    # Stopped within its trial: calves owe no rest and start again (then stop).
    assert ask({"cmd": "start", "area": "calves"})["ok"]
    assert ask({"cmd": "stop"})["ok"]
    assert ask({"cmd": "down"})["code"] == "not-running"
    c.close()

    events = []

    def device_removed():
        line = wf.readline()
        assert line, "the watch connection closed"
        raw.append(line)
        events.append(strict(line))
        return events[-1].get("event") == "device" and events[-1]["action"] == "removed"
    wait_for(device_removed, 10, "the device removed event")
    w.close()
    kinds = {e["event"] for e in events}
    assert {"status", "session", "device", "warning"} <= kinds, kinds
    # Tenths print as people write them: 25.7, never 25.699999999999999.
    numbers = [m for line in raw for m in re.findall(rb'"(?:temp_c|force_n|force_max_n)":(-?[0-9.eE+-]+)', line)]
    assert numbers, "no temp_c, force_n or force_max_n seen"
    for n in numbers:
        assert re.fullmatch(rb"-?[0-9]+\.[0-9]", n), n
    assert b'"force_n":12.3' in b"".join(raw) and b'"force_n":25.7' in b"".join(raw)


def test_a_profile_text_that_is_not_utf8_is_refused_with_where(tmp_path):
    """A profiles file saved as Latin-1 is refused at load, naming the line, rather than
    shown to clients with '?' in place of every accent (ctl.c still scrubs any stray
    byte from what goes out, as a second line of defence)."""
    import subprocess
    from knotd import FAST_PROFILES, KNOTD, write_conf
    prof = tmp_path / "latin1.conf"
    text = open(FAST_PROFILES, "rb").read()
    assert b'title = "Calves";' in text
    # "\xe9" alone is not UTF-8.
    prof.write_bytes(text.replace(b'title = "Calves";', b'title = "Calves \xe9t\xe9";'))
    line = text[:text.index(b'title = "Calves";')].count(b"\n") + 1
    conf = tmp_path / "knotd.conf"
    write_conf(str(conf), str(tmp_path / "s.sock"), str(prof), str(tmp_path / "journal"))
    r = subprocess.run([KNOTD, "-c", str(conf), "--check-config"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert "latin1.conf:%d: calves: title is not UTF-8 (byte 0xe9 at offset 7" % line in r.stderr, r.stderr


# The spec of who may do what: the control commands move a motor or write the record.
CONTROL = {"start", "stop", "up", "down", "ouch", "go", "checkin"}
READ = {"version", "hello", "devices", "status", "areas", "watch", "history", "routines"}


def documented_commands():
    """The commands docs/CONTROL.md's table names, aliases included."""
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "docs", "CONTROL.md")) as f:
        text = f.read()
    lines = text[text.index("## Commands"):].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| cmd |"))
    names = set()
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break   # the table's end
        names.update(re.findall(r"`([a-z]+)`", line.split("|")[1]))
    return names


def test_the_commands_knotd_names_are_the_documented_ones(knotd):
    d = knotd()
    r = d.req({"cmd": "fly"})
    assert r["code"] == "unknown-command", r
    listed = re.fullmatch(r"unknown command 'fly' \((.*)\)", r["message"]).group(1).split(", ")
    assert len(listed) == len(set(listed)), listed
    # hello is the old name of version: served, documented as an alias, not listed.
    assert "hello" not in listed and set(listed) | {"hello"} == documented_commands() == CONTROL | READ, listed


PEER = """
import json, socket, sys
out = {}
for cmd in sys.argv[2:]:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    s.sendall((json.dumps({"cmd": cmd, "area": "calves", "pain": 3}) + "\\n").encode())
    out[cmd] = json.loads(s.makefile().readline()).get("code")
    s.close()
print(json.dumps(out))
"""


def test_a_read_only_peer_is_refused_exactly_the_control_commands(knotd):
    # A directory other users can traverse (pytest's own tmp is 0700), as in test_daemon.
    public = tempfile.mkdtemp(prefix="knotd-sock.")
    os.chmod(public, 0o755)
    try:
        d = knotd(sock_dir=public)
        d.wait_devices(1)
        os.chmod(d.sock, 0o666)   # reachable by anyone: SO_PEERCRED decides
        nobody = pwd.getpwnam("nobody")
        r = subprocess.run(["setpriv", "--reuid", str(nobody.pw_uid), "--regid", str(nobody.pw_gid),
                            "--clear-groups", sys.executable, "-c", PEER, d.sock, *sorted(CONTROL | READ)],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        codes = json.loads(r.stdout)
        assert {c for c, code in codes.items() if code == "permission"} == CONTROL, codes
        assert d.trace.levels() == [] and d.req({"cmd": "history"})["checkins"] == []
        d.stop()
    finally:
        shutil.rmtree(public)
