"""test_noblock.py - nothing a stranger or a full queue can stall blocks knotd's loop: notify socket, journal, log."""
import signal
import socket
import time

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
    assert "STATUS=Waiting for massagers" in msg.split("\n")
    assert d.req({"cmd": "version"})["ok"]


def test_abstract_notify_socket(knotd):
    d = knotd(abstract_notify=True)
    assert d.notify_path.startswith("@")
    assert d.req({"cmd": "version"})["ok"]
    d.signal(signal.SIGHUP)
    d.wait_notify("RELOADING=1")
    d.wait_notify("READY=1")
