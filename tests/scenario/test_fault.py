# SPDX-License-Identifier: MIT
"""test_fault.py - a latched fault never leaves the massager unusable: cleared when its cause is gone, else refused with what to do."""
from knotsim import wait_for


def ns_of(d, pattern):
    return [ns for ns, _ in d.trace.matching(pattern)]


def test_a_stall_is_cleared_by_the_next_start_once_the_head_is_free(knotd):
    d = knotd()
    d.wait_devices(1)
    d.start_running("calves")
    # Pressed so hard that the head cannot move: the device stalls and latches it.
    assert d.sim.ctl("press 46") == "ok"
    d.trace.wait(r"^fault stall ")
    assert d.wait_session_end()["end"] == "fault"
    st = d.devices()[0]
    assert st["faults"] == ["stall"] and "lift the massager off" in st["fault_advice"], st
    # Pressed still: clearing cannot help, so the start is refused with the remedy.
    r = d.req({"cmd": "start", "area": "calves"})
    assert r["code"] == "fault" and "lift the massager off the muscle" in r["message"], r
    # knotd itself knows better than to ask: the device's refusal would hold, but it is the second layer.
    assert d.trace.matching(r"^(refused )?clear ") == [], "knotd asked to clear a fault whose cause remained"
    # Lifted off: the next start clears the fault and runs, without an unplug.
    assert d.sim.ctl("press 0") == "ok"
    r = d.req({"cmd": "start", "area": "calves"})
    assert r["ok"] and not r["already_running"], r
    cleared = d.trace.wait(r"^clear 0x1 by=host")[0]
    raised = [ns for ns, lvl, by in d.trace.levels() if lvl == 1 and by == "host"]
    assert len(raised) == 2 and raised[1] > cleared, "level 1 before the fault was cleared"
    assert d.devices()[0]["faults"] == []
    # Stalled within its trial, the first session owed no rest: nothing stood in the way.
    assert d.req({"cmd": "stop"})["ok"]


def test_a_low_battery_is_refused_with_its_remedy_until_charged(knotd):
    d = knotd()
    d.wait_devices(1)
    assert d.sim.ctl("fault low-battery") == "ok"
    r = d.req({"cmd": "start", "area": "calves"})
    assert r["code"] == "fault" and r["faults"] == 4, r
    assert r["message"] == "The massager's battery is low (3 %): charge it to at least 10 %, then start again.", r
    assert d.trace.levels() == [] and d.trace.matching(r"^clear ") == []
    # status says the same while idle, with how old its readings are (no polling while idle).
    st = d.devices()[0]
    assert st["faults"] == ["low-battery"] and st["fault_advice"] == r["message"], st
    assert st["read_ago_s"] >= 0 and st["session"]["end"] == "fault", st
    assert d.sim.ctl("battery 80") == "ok"
    r = d.req({"cmd": "start", "area": "calves"})
    assert r["ok"], r
    d.trace.wait(r"^clear 0x4 by=host")
    d.trace.wait(r"^level 1 by=host")
    assert d.req({"cmd": "stop"})["ok"]


def test_an_overheated_massager_is_refused_and_never_cleared_while_hot(knotd):
    d = knotd("--trace-requests")
    d.wait_devices(1)
    assert d.sim.ctl("fault overheat") == "ok"
    for _ in range(3):
        r = d.req({"cmd": "start", "area": "forearms"})
        assert r["code"] == "fault" and "let it cool below 45 C" in r["message"], r
    assert [t for _, t in d.trace.matching(r"^req clear")] == [], "a clear was tried while too hot"
    assert d.trace.levels() == []
    # The area owes nothing for starts that never ran.
    t = next(a for a in d.req({"cmd": "areas"})["areas"] if a["name"] == "forearms")["today"]
    assert t["rest_left_s"] == 0 and t["dose_used_s"] == 0, t


def test_a_start_answered_later_keeps_the_connection_in_order(knotd):
    """The start's reply waits for the device's first look; what the client sent
    meanwhile is answered after it, in order, on the same connection."""
    import json
    d = knotd()
    d.wait_devices(1)
    c = d.connect()
    c.sendall(b'{"cmd":"start","area":"calves","warmed_up":true,"id":1}\n{"cmd":"status","id":2}\n{"cmd":"stop","id":3}')
    c.shutdown(1)   # and the last request without a newline, then EOF
    f = c.makefile("r")
    replies = [json.loads(line) for line in f]
    assert [r.get("id") for r in replies] == [1, 2, 3], replies
    assert replies[0]["ok"] and replies[0]["session"]["phase"] == "trial", replies[0]
    assert replies[1]["devices"][0]["session"]["area"] == "calves"
    assert replies[2] == {"ok": True, "stopped": ["KNOTSIM1"], "id": 3}, replies[2]
    c.close()
    wait_for(lambda: d.trace.matching(r"^level 0 by=host"), 5, "the motor off")



def test_a_refused_start_is_no_session(knotd):
    """Seen: with the massager too hot, start was refused and the motor never moved, yet
    watchers got 'session started' then 'ended', the journal an end with ran_ms 1, and history a
    0:00 session. A refusal is not a session: no event, nothing run, no treated day, no dose."""
    import json
    d = knotd()
    d.wait_devices(1)
    w = d.connect()
    assert d.req({"cmd": "watch"}, conn=w)["ok"]
    assert d.sim.ctl("fault overheat") == "ok"
    r = d.req({"cmd": "start", "area": "calves"})
    assert r["code"] == "fault", r
    with open(d.journal) as f:
        ends = [x for x in map(json.loads, f) if x["record"] == "end"]
    assert len(ends) == 1 and ends[0]["ran_ms"] == 0 and ends[0]["peak"] == 0, ends
    assert d.req({"cmd": "history"})["sessions"] == []
    assert d.knotctl("history").stdout.startswith("No sessions or check-ins"), "history lists a refusal"
    t = next(a for a in d.req({"cmd": "areas"})["areas"] if a["name"] == "calves")["today"]
    assert t["dose_used_s"] == 0 and t["rest_left_s"] == 0 and t["closed"] is None, t
    # The watcher heard the device's state, never of a session: everything sent to it before
    # the reply to a status asked after the refusal, read line by line.
    w.sendall(b'{"cmd": "status"}\n')
    f = w.makefile("r")
    events = []
    while True:
        line = json.loads(f.readline())
        if "event" not in line:
            break
        events.append(line)
    assert any(e.get("event") == "status" for e in events), "the watcher hears nothing at all: %r" % events
    assert [e for e in events if e.get("event") == "session"] == [], events
    assert d.trace.levels() == []
