# SPDX-License-Identifier: MIT
"""test_sim.py - the virtual massager through the real libusb path: protocol, watchdog, hotplug, faults."""
import os
import signal
import socket
import subprocess

from knotsim import SIM, Sim, fields, wait_for


def test_info_block(usbsim):
    s = usbsim("--levels", "3", "--serial", "ABC123", "--watchdog-ms", "120")
    assert s.cmd("open") == "ok"
    info = fields(s.cmd("info"))
    assert info == {"bytes": "48", "proto": "1.2", "fw": "0x0100", "levels": "3",
                    "watchdog_ms": "120", "serial": "ABC123", "ppm": "1800,2500,3200",
                    "trial_ms": "10000", "rise_gap_ms": "4000", "ceiling_s": "720", "rest_s": "100"}


def test_info_block_of_a_1_0_device(usbsim):
    s = usbsim("--protocol", "1.0")
    assert s.cmd("open") == "ok"
    info = fields(s.cmd("info"))
    assert info["bytes"] == "40" and info["proto"] == "1.0" and "trial_ms" not in info
    assert "run_ms" not in fields(s.cmd("status"))


def test_set_level_and_status(usbsim):
    s = usbsim()
    assert s.cmd("open") == "ok"
    assert fields(s.cmd("status"))["level"] == "0"
    assert s.cmd("level 1") == "ok"
    st = fields(s.cmd("poll 500"))
    assert st["level"] == "1"
    assert st["ppm"] == "1800", "motor should have spun up to level 1's speed"
    assert int(st["current_ma"]) > 0
    assert int(st["run_ms"]) >= 500
    assert s.cmd("level 0") == "ok"
    changes = [(lvl, by) for _, lvl, by in s.trace.levels()]
    assert changes == [(1, "host"), (0, "host")]


def test_raw_client_cannot_skip_the_trial(usbsim):
    """Any program that can open the node (only user knotd, by the udev rule; root too) meets the device's own envelope."""
    s = usbsim()
    s.cmd("open")
    assert s.cmd("level 5") == "err LIBUSB_ERROR_PIPE", "5 straight from off"
    assert s.cmd("level 1") == "ok"
    assert s.cmd("poll 1000").startswith("ok ")
    assert s.cmd("level 2") == "err LIBUSB_ERROR_PIPE", "2 one second after 1"
    st = fields(s.cmd("status"))
    assert st["level"] == "1" and st["refusal"] == "4" and st["refused_level"] == "2" and st["refusals"] == "2"
    assert 8000 < int(st["rise_wait_ms"]) <= 9000
    assert [(l, why) for _, l, why in s.trace.refused_raises()] == [(5, "from-off"), (2, "trial")]
    assert [(l, by) for _, l, by in s.trace.levels()] == [(1, "host")]


def test_a_1_0_device_has_no_envelope(usbsim):
    s = usbsim("--protocol", "1.0")
    s.cmd("open")
    assert s.cmd("level 5") == "ok"
    assert s.cmd("level 0") == "ok"
    assert s.trace.refused_raises() == []


def test_status_sequence_counts_polls(usbsim):
    s = usbsim()
    s.cmd("open")
    seqs = [int(fields(s.cmd("status"))["seq"]) for _ in range(3)]
    assert seqs == [seqs[0], seqs[0] + 1, seqs[0] + 2]


def test_level_out_of_range_is_stalled(usbsim):
    s = usbsim("--levels", "4")
    s.cmd("open")
    assert s.cmd("level 5") == "err LIBUSB_ERROR_PIPE"
    assert fields(s.cmd("status"))["level"] == "0"
    assert s.trace.levels() == []
    assert [(l, why) for _, l, why in s.trace.refused_raises()] == [(5, "range")]


def test_watchdog_stops_motor_when_host_goes_silent(usbsim):
    s = usbsim("--watchdog-ms", "250")
    s.cmd("open")
    assert s.cmd("level 1") == "ok"
    ns_on = s.trace.wait(r"^level 1 by=host")[0]
    # No request at all from here: only the device's own watchdog can stop it.
    ns_off = s.trace.wait(r"^level 0 by=watchdog", timeout=5)[0]
    # The firmware clock counts whole milliseconds, so allow 1 ms of truncation.
    assert (ns_off - ns_on) >= 249_000_000, "watchdog fired before 250 ms of silence"
    st = fields(s.cmd("status"))
    assert st["level"] == "0" and st["last_stop"] == "2"


def test_heartbeat_keeps_motor_running(usbsim):
    s = usbsim("--watchdog-ms", "250")
    s.cmd("open")
    s.cmd("level 1")
    st = fields(s.cmd("poll 1200"))
    assert int(st["polls"]) >= 10
    assert st["level"] == "1"
    assert s.trace.matching("by=watchdog") == []


def test_hotplug_remove_and_add(usbsim):
    s = usbsim()
    assert s.cmd("hotplug") == "ok"
    s.cmd("open")
    s.cmd("level 1")
    assert s.ctl("unplug") == "ok"
    assert s.cmd("wait left 5000") == "ok"
    assert s.cmd("status") == "err LIBUSB_ERROR_NO_DEVICE"
    s.trace.wait(r"^level 0 by=unplug")
    assert s.cmd("close") == "ok"
    assert s.ctl("unplug") == "err already unplugged"
    assert s.ctl("plug") == "ok"
    assert s.cmd("wait arrived 5000") == "ok"
    assert s.cmd("open") == "ok"
    st = fields(s.cmd("status"))
    assert st["level"] == "0", "a replugged massager powers up with the motor off"
    events = [t.split()[0] for _, t in s.trace.events()]
    assert events == ["start", "plug", "level", "level", "unplug", "plug"]


def test_injected_errors_reach_libusb(usbsim):
    s = usbsim()
    s.cmd("open")
    assert s.ctl("error 2") == "ok"
    assert s.cmd("status") == "err LIBUSB_ERROR_IO"
    assert s.cmd("status") == "err LIBUSB_ERROR_IO"
    assert s.cmd("status").startswith("ok ")


def test_overheat_fault_latches_and_clears(usbsim):
    s = usbsim()
    s.cmd("open")
    assert s.cmd("level 1") == "ok"
    assert s.ctl("fault overheat") == "ok"
    s.trace.wait(r"^fault overheat")
    s.trace.wait(r"^level 0 by=fault")
    st = fields(s.cmd("status"))
    assert st["faults"] == "0x2" and st["level"] == "0" and st["last_stop"] == "3"
    assert s.cmd("level 1") == "err LIBUSB_ERROR_PIPE", "no restart while a fault is latched"
    assert [(l, why) for _, l, why in s.trace.refused_raises()] == [(1, "fault")]
    assert s.ctl("clear") == "ok"
    assert fields(s.cmd("status"))["faults"] == "0x0"
    assert s.cmd("level 1") == "ok"


def test_stall_fault_and_host_clear(usbsim):
    s = usbsim()
    s.cmd("open")
    s.cmd("level 1")
    assert s.ctl("fault stall") == "ok"
    s.trace.wait(r"^level 0 by=fault")
    assert s.cmd("clear") == "err LIBUSB_ERROR_PIPE", "stall cause still present"
    s.trace.wait(r"^refused clear why=cause-remains dev=KNOTSIM1$")
    assert s.ctl("clear") == "ok"
    assert s.cmd("level 1") == "ok"


def test_pressure_is_reported_and_hard_press_stalls(usbsim):
    s = usbsim()
    s.cmd("open")
    assert s.ctl("press 12.5") == "ok"
    assert fields(s.cmd("status"))["force_dn"] == "125"
    s.cmd("level 1")
    assert s.ctl("press 50") == "ok"
    s.trace.wait(r"^fault stall")
    s.trace.wait(r"^level 0 by=fault")


def test_low_battery(usbsim):
    s = usbsim()
    s.cmd("open")
    assert s.ctl("battery 40") == "ok"
    assert fields(s.cmd("status"))["battery"] == "40"
    s.cmd("level 1")
    assert s.ctl("battery 2") == "ok"
    s.trace.wait(r"^fault low-battery")
    assert fields(s.cmd("status"))["level"] == "0"


def test_hang_times_out_and_watchdog_still_protects(usbsim):
    s = usbsim()
    s.cmd("open")
    s.cmd("level 1")
    assert s.ctl("hang") == "ok"
    assert s.cmd("status", timeout=10) == "err LIBUSB_ERROR_TIMEOUT"
    s.trace.wait(r"^level 0 by=watchdog")
    assert s.ctl("unhang") == "ok"
    assert fields(s.cmd("status"))["level"] == "0"


def test_several_devices_distinct_serials(usbsim):
    s = usbsim("--devices", "3", "--serial", "GUN")
    assert s.cmd("count") == "ok 3"
    assert s.cmd("open GUN-3") == "ok"
    assert fields(s.cmd("info"))["serial"] == "GUN-3"
    s.cmd("level 1")
    s.trace.wait(r"^level 1 by=host dev=GUN-3$")
    assert s.ctl("@GUN-3 status").startswith("ok dev=GUN-3 plugged=1 hung=0 level=1")
    assert " level=0 " in s.ctl("@1 status")
    assert s.trace.levels(dev="GUN") == []


def test_start_unplugged(usbsim):
    s = usbsim("--unplugged")
    assert s.cmd("count") == "ok 0"
    assert s.cmd("hotplug") == "ok"
    assert s.ctl("plug") == "ok"
    assert s.cmd("wait arrived 5000") == "ok"
    assert s.cmd("count") == "ok 1"


def test_control_socket_rejects_bad_input(usbsim):
    s = usbsim()
    assert s.ctl("").startswith("err empty")
    assert s.ctl("fault fire").startswith("err unknown fault")
    assert s.ctl("press -3").startswith("err press takes")
    assert s.ctl("battery 101").startswith("err battery takes")
    assert s.ctl("error x").startswith("err error takes")
    assert s.ctl("plug now").startswith("err 'plug' takes 0")
    assert s.ctl("@0 status").startswith("err no device")
    assert s.ctl("x" * 5000) == "err line too long"
    with socket.socket(socket.AF_UNIX) as raw:
        raw.connect(s.ctl_path)
        raw.sendall(bytes(range(256)) + b"\n")
        raw.settimeout(5)
        assert raw.recv(100).startswith(b"err")
    assert s.ctl("status").startswith("ok dev=KNOTSIM1 plugged=1")


def test_exit_status_is_forwarded(tmp_path):
    s = Sim(tmp_path, ["sh", "-c", "exit 3"], stdin=False, check_alive=False)
    assert s.stop() == 3
    ev = [t for _, t in s.trace.events()]
    assert ev[-1] == "exit status=3"


def test_sigterm_is_forwarded_to_the_command(tmp_path):
    # sh says when its trap is in place; only its own exit status proves the signal reached it.
    s = Sim(tmp_path, ["sh", "-c", "trap 'exit 7' TERM; echo trapped; while :; do sleep 0.05; done"], stdin=False)
    assert s.readline() == "trapped"
    s.proc.send_signal(signal.SIGTERM)
    assert s.proc.wait(10) == 7


def test_usage_errors():
    r = subprocess.run([SIM, "--levels", "99", "--", "true"], capture_output=True, text=True)
    assert r.returncode == 2 and "invalid value '99' for --levels" in r.stderr
    r = subprocess.run([SIM], capture_output=True, text=True)
    assert r.returncode == 2 and "no COMMAND" in r.stderr
    r = subprocess.run([SIM, "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("knot-sim ")
    assert os.access(SIM, os.X_OK)
