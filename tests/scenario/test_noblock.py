# SPDX-License-Identifier: MIT
"""test_noblock.py - nothing a stranger or a full queue can stall blocks knotd's loop: notify socket, journal, log."""
import fcntl
import json
import os
import select
import signal
import socket
import struct
import termios
import time

from knotd import Knotd
from knotsim import wait_for

# systemd's watchdog at 20 ms: knotd pings every 10 ms, so an unread notify
# socket fills up within a fraction of a second.
FAST_WATCHDOG = {"WATCHDOG_USEC": "20000"}


def notify_queue_full(addr):
    """True once one more datagram no longer fits in the notify socket's queue."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        try:
            s.sendto(b"X-TEST-PROBE=1", socket.MSG_DONTWAIT, addr)
        except BlockingIOError:
            return True
    return False


def fill_notify_queue(d):
    """Nobody reads the notify socket: wait until its queue is full and knotd has run into it."""
    wait_for(lambda: notify_queue_full(d.notify_addr), 10, "the notify socket's queue to fill up")
    wait_for(lambda: "notifications are delayed" in d.log(), 10, "knotd to notice the full notify socket")


def test_unread_notify_socket_never_stalls_the_loop(knotd):
    d = knotd(env=FAST_WATCHDOG)
    fill_notify_queue(d)
    assert d.req({"cmd": "version"})["ok"]
    d.wait_devices(1)
    d.start_running("calves")
    assert d.req({"cmd": "stop"}) == {"ok": True, "stopped": ["KNOTSIM1"]}
    d.trace.wait(r"^level 0 by=host")
    assert d.log().count("notifications are delayed") == 1, "said once, not once per dropped ping"
    d.signal(signal.SIGTERM)
    assert d.sim.proc.wait(20) == 0, "STOPPING=1 that cannot be sent must not hold up the exit"


def test_latest_state_reaches_systemd_once_the_queue_drains(knotd):
    d = knotd(env=FAST_WATCHDOG)
    fill_notify_queue(d)
    # A reload while the queue is full: RELOADING=1, then READY=1, neither fits.
    d.signal(signal.SIGHUP)
    wait_for(lambda: "reloaded" in d.log(), 10, "the reload")
    seen = []
    deadline = time.monotonic() + 10
    while True:
        d.notify.settimeout(max(deadline - time.monotonic(), 0.001))
        try:
            msg = d.notify.recv(4096).decode()
        except socket.timeout:
            raise AssertionError("READY=1 never arrived after the queue drained; got %r" % seen[-5:]) from None
        seen.append(msg)
        if "READY=1" in msg.split("\n"):
            break
    # Only the latest state is kept: the reload is over, so systemd hears READY, never the stale RELOADING.
    assert not [m for m in seen if "RELOADING=1" in m.split("\n")], seen
    # And the status line rides with it: where knotd stands after the reload.
    assert [l for l in msg.split("\n") if l.startswith("STATUS=") and "massager" in l], msg
    assert d.req({"cmd": "version"})["ok"]


def test_abstract_notify_socket(knotd):
    d = knotd(abstract_notify=True)
    assert d.notify_path.startswith("@")
    assert d.req({"cmd": "version"})["ok"]
    d.signal(signal.SIGHUP)
    d.wait_notify("RELOADING=1")
    d.wait_notify("READY=1")


def test_fifo_journal_refuses_sessions_and_knotd_still_serves(knotd, tmp_path):
    fifo = str(tmp_path / "journal")
    os.mkfifo(fifo)
    d = knotd(journal=fifo)   # ready within the normal deadline: nothing waits for a FIFO's other end
    assert "error: journal %s is not a regular file (a FIFO)" % fifo in d.log()
    d.wait_devices(1)
    r = d.req({"cmd": "start", "area": "calves"})
    assert not r["ok"] and r["code"] == "journal" and "journal %s is not a regular file (a FIFO)" % fifo in r["message"], r
    st = d.req({"cmd": "status"})
    assert st["journal"]["ok"] is False and st["journal"]["path"] == fifo, st
    assert "journal %s is not a regular file (a FIFO)" % fifo in st["journal"]["error"]
    assert st["devices"][0]["session"] is None, "the refused start left no session behind"
    r = d.knotctl("status")
    assert r.returncode == 0 and "journal: journal %s is not a regular file (a FIFO)" % fifo in r.stdout, r.stdout
    r = d.knotctl("start", "calves")
    assert r.returncode == 1 and "journal %s is not a regular file" % fifo in r.stderr, r.stderr
    assert d.req({"cmd": "stop"}) == {"ok": True, "stopped": []}, "nothing ran: nothing was stopped"
    assert d.req({"cmd": "ouch"})["code"] == "not-running"
    assert d.trace.levels() == [], "the motor was never commanded"
    # With the FIFO gone knotd creates a regular journal, and sessions may start again.
    os.unlink(fifo)
    d.start_running("calves")
    assert d.req({"cmd": "status"})["journal"] == {"ok": True, "path": fifo}
    assert json.loads(open(fifo).read().splitlines()[0])["record"] == "start"
    assert "journal %s writable again" % fifo in d.log()


def test_directory_journal_refuses_sessions(knotd, tmp_path):
    journal = str(tmp_path / "journal")
    os.mkdir(journal)
    d = knotd(journal=journal)
    assert "error: journal %s is not a regular file (a directory)" % journal in d.log()
    d.wait_devices(1)
    r = d.req({"cmd": "start", "area": "calves"})
    assert not r["ok"] and r["code"] == "journal" and "journal %s is not a regular file (a directory)" % journal in r["message"], r
    st = d.req({"cmd": "status"})
    assert st["journal"]["ok"] is False and "(a directory)" in st["journal"]["error"], st
    assert d.req({"cmd": "stop"})["ok"]
    assert d.trace.levels() == []


def test_journal_turned_fifo_mid_session_stops_new_sessions_only(knotd):
    d = knotd("--devices", "2", "--serial", "GUN")
    d.wait_devices(2)
    assert d.req({"cmd": "start", "area": "calves", "device": "GUN"})["ok"]
    d.trace.wait(r"^level 1 by=host dev=GUN$")
    os.unlink(d.journal)
    os.mkfifo(d.journal)
    st = d.req({"cmd": "status", "device": "GUN"})
    assert st["journal"]["ok"] is False and "(a FIFO)" in st["journal"]["error"], st
    assert st["devices"][0]["session"]["end"] == "", "the running session goes on"
    r = d.req({"cmd": "start", "area": "forearms", "device": "GUN-2"})
    assert r["code"] == "journal" and d.journal in r["message"], r
    assert d.req({"cmd": "ouch", "device": "GUN"})["ok"]
    # Its end cannot be recorded; stop still turns the motor off at once.
    assert d.req({"cmd": "stop"})["ok"]
    d.trace.wait(r"^level 0 by=host dev=GUN$")
    assert d.devices()[0]["session"]["end"] == "stopped"
    assert d.trace.levels("GUN-2") == [], "the refused start never moved its motor"
    assert "journal %s is not a regular file (a FIFO)" % d.journal in d.log()


# knotd with a file size limit (and SIGXFSZ ignored): appending to a journal
# already at the limit fails with EFBIG after the journal was found usable.
FSIZE_LIMIT = 1 << 20
LIMITED = ["/usr/bin/python3", "-c",
           "import os, resource, signal, sys\n"
           "n = int(sys.argv[1])\n"
           "resource.setrlimit(resource.RLIMIT_FSIZE, (n, n))\n"
           "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
           "os.execv(sys.argv[2], sys.argv[2:])\n", str(FSIZE_LIMIT)]


def test_failed_start_record_undoes_the_start(knotd, tmp_path):
    journal = tmp_path / "journal"
    # NULs (what a power cut leaves; read back as no record) up to the limit, on a whole line: nothing to mend.
    journal.write_bytes(b"\0" * (FSIZE_LIMIT - 1) + b"\n")
    d = knotd(journal=str(journal), wrapper=LIMITED)
    d.wait_devices(1)
    r = d.req({"cmd": "start", "area": "calves"})
    assert not r["ok"] and r["code"] == "journal" and str(journal) in r["message"], r
    assert "File too large" in r["message"], r
    assert d.trace.levels() == [], "the motor was never commanded"
    st = d.req({"cmd": "status"})
    assert st["devices"][0]["session"] is None, "the start was undone, not stopped"
    assert st["journal"]["ok"] is False and "File too large" in st["journal"]["error"], st
    # Room again: the same area starts at once (the undone start owes no cool-down).
    os.truncate(journal, 0)
    d.start_running("calves")
    assert d.req({"cmd": "status"})["journal"]["ok"] is True
    assert json.loads(journal.read_text().splitlines()[0])["record"] == "start"


def pipe_bytes(fd):
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]


def test_full_log_pipe_drops_lines_never_blocks(tmp_path):
    r, w = os.pipe()
    fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, 4096)
    try:
        # knotd's stderr: its own open of our pipe (knotd makes it non-blocking, not ours).
        d = Knotd(tmp_path, log_path="/proc/self/fd/%d" % w)
    finally:
        os.close(w)
    try:
        d.wait_devices(1)
        # Every connection logs a debug line; nobody reads them.
        wait_for(lambda: d.req({"cmd": "version"})["ok"] and pipe_bytes(r) > 4096 - 64, 30, "the log pipe to fill up")
        for _ in range(20):
            assert d.req({"cmd": "version"})["ok"]   # lines dropped, requests served
        d.start_running("calves")
        assert d.req({"cmd": "stop"})["ok"]
        d.trace.wait(r"^level 0 by=host")
        # Drained: the next line that gets through says how many were lost.
        os.read(r, 65536)
        out = b""
        deadline = time.monotonic() + 10
        while b"log lines dropped" not in out:
            assert time.monotonic() < deadline, "no 'log lines dropped' after the pipe drained: %r" % out
            assert d.req({"cmd": "version"})["ok"]
            if select.select([r], [], [], 0.1)[0]:
                out += os.read(r, 65536)
        line = next(l for l in out.decode().splitlines() if "log lines dropped" in l)
        assert int(line.split("knotd: warning: ")[1].split()[0]) >= 20, line
    finally:
        rc = d.stop()
        os.close(r)
    assert rc == 0
