#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""seeds.py - writes the binary seed inputs of fuzz_drive and fuzz_device (tests/fuzz/corpus/), scripts in the harnesses' op language."""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# ---- fuzz_drive: see the op table at the top of fuzz_drive.c ----


def d_area(trial=0, max_level=4, default=2, step=0):
    """trial_s = 10 + trial, max_level, default_level, step_s = 5 + step."""
    return bytes([trial, max_level - 1, default - 1, step])


def d_ok(delay=1):
    return bytes([0, 0, delay, 0])   # op 0 (answer), result byte, delay, "answered"


def d_fail(result, delay=1):
    """result 1 stall, 2 timeout, 3 error; a timeout reads one more byte: did it arrive."""
    return bytes([0, result, delay, 0xff]) + (b"\x00" if result == 2 else b"")


def d_info(minor=1, levels=5):
    return d_ok() + bytes([0 if minor else 4, levels - 1]) + b"\x00"   # mode, levels, then accept the serial


def d_status(mode=0, *extra):
    return d_ok() + bytes([mode, *extra])


def d_level():
    return d_ok()


def d_wait(ms):
    out = b""
    while ms > 255:
        n = min(ms // 100, 255)
        out += bytes([7, n])
        ms -= n * 100
    return out + (bytes([6, ms]) if ms else b"")


def d_start(level=0):
    return bytes([10, level])


UP, DOWN, OUCH, STOP, PLUG, WAKE, TICK = b"\x0b", b"\x0c", b"\x0d", b"\x0e", b"\x0f", b"\x08", b"\x09"


def d_attach(minor=1, levels=5):
    return d_info(minor, levels) + d_level() + d_status()


def d_poll(n, every=50):
    """n heartbeats: wait, then answer the status it asks for."""
    return (d_wait(every) + d_status()) * n


def drive_seeds():
    yield "attach-1.1", d_area() + d_attach()
    yield "attach-1.0", d_area() + d_attach(minor=0)
    # start at 3: look, level 1, the trial, then up one step at a time, stop
    ramp = (d_start(3) + d_status() + d_level() + d_poll(4) + d_wait(10100) + d_status() + d_level()
            + d_poll(2) + d_wait(5100) + d_status() + d_level() + d_poll(2) + STOP + d_level() + d_poll(3))
    yield "session-ramp", d_area(max_level=4, default=3) + d_attach() + ramp
    yield "session-ramp-1.0", d_area(max_level=4, default=3) + d_attach(minor=0) + ramp
    yield "session-ouch", (d_area() + d_attach() + d_start(2) + d_status() + d_level() + d_wait(10100) + d_status()
                           + d_level() + d_poll(2) + OUCH + d_status() + d_level() + d_poll(3) + STOP + d_level())
    # failures in a session: a refused rise, timeouts until contact is lost
    yield "session-refused", (d_area() + d_attach() + d_start(2) + d_status() + d_level() + d_wait(10100)
                              + d_status() + d_fail(1) + d_status() + d_level())
    yield "session-timeouts", (d_area() + d_attach() + d_start(1) + d_status() + d_fail(2) + d_wait(50)
                               + d_status(1, 1) + d_poll(1) + d_wait(50) + d_fail(2, 200) + d_wait(50)
                               + d_fail(3) + d_wait(50) + d_fail(2, 200) + d_level())
    # the device shows a fault, a reset (uptime back), a level nobody set
    yield "session-fault", (d_area() + d_attach() + d_start(1) + d_status() + d_level() + d_poll(2)
                            + d_wait(50) + d_status(32, 2) + d_level())
    yield "session-reset", (d_area() + d_attach() + d_start(1) + d_status() + d_level() + d_poll(2)
                            + d_wait(50) + d_status(8, 0, 0) + d_level())
    yield "unplug-replug", d_area() + d_attach() + d_start(1) + d_status() + d_level() + PLUG + d_attach()
    # whole blocks, for the decoders
    info = struct.pack("<BBHBBH8H16s", 1, 1, 0x0100, 5, 0, 250, 1800, 2150, 2500, 2850, 3200, 0, 0, 0,
                       b"KNOTSIM1")
    yield "info-1.1", info + struct.pack("<4H", 10000, 4000, 720, 100)
    yield "info-1.0", info[:1] + b"\x00" + info[2:]
    status = struct.pack("<HBBHHhHHBB", 7, 1, 1, 1800, 550, 312, 0, 0, 80, 0)
    yield "status-1.0", status
    yield "status-1.1", status + struct.pack("<IIHBBHH", 61000, 3000, 7000, 0, 0, 0, 0)


# ---- fuzz_device: see the op table at the top of fuzz_device.c ----


def v_config(proto_1_0=False, watchdog=0, levels=5, ceiling_s=None):
    flags = (1 if proto_1_0 else 0) | (8 if ceiling_s is not None else 0)
    out = bytes([flags, watchdog, levels])
    if ceiling_s is not None:
        out += struct.pack("<H", ceiling_s)
    return out + struct.pack("<H", 0)   # the clock starts at 1000 ms


def v_info():
    return bytes([0, 0, 71])          # GET_INFO into 71 bytes


def v_status():
    return bytes([1, 1, 71])          # GET_STATUS


def v_set(level):
    return bytes([2, 2, level, 0])    # SET_LEVEL, no buffer


def v_clear():
    return bytes([3, 5, 0])


def v_string(index):
    return bytes([4, 7, index, 71])


def v_wait(ms):
    out = b""
    while ms > 0:
        n = min(ms, 65535)
        out += bytes([9]) + struct.pack("<H", n)
        ms -= n
    return out


def v_run(ms, every=50):
    """The host's heartbeat for ms: a status poll every `every` ms."""
    return (v_wait(every) + v_status()) * (ms // every)


def device_seeds():
    yield "attach", v_config() + v_info() + v_status() + v_set(0) + v_status() + v_string(0) + v_string(3)
    # by the rules: 1, the trial, then one level per gap, then off
    yield "session", (v_config() + v_info() + v_status() + v_set(1) + v_run(10050, 200) + v_set(2)
                      + v_run(4050, 200) + v_set(3) + v_run(1000, 200) + v_set(0) + v_status())
    # what the envelope refuses: from off to 2, a rise in the trial, two levels at once
    yield "refusals", (v_config() + v_set(2) + v_set(1) + v_set(2) + v_run(10050, 200) + v_set(3) + v_set(9)
                       + v_status())
    yield "watchdog", v_config() + v_set(1) + v_wait(300) + bytes([10]) + v_status()
    yield "faults", (v_config() + v_set(1) + v_status() + bytes([11]) + struct.pack("<H", 500) + v_status()
                     + v_clear() + bytes([11, 0, 0]) + v_clear() + bytes([13, 2]) + v_clear() + bytes([12, 3])
                     + v_set(1) + bytes([14]) + v_set(1) + bytes([15]) + v_status())
    yield "ceiling", v_config(watchdog=225, ceiling_s=30) + v_set(1) + v_run(31000, 900) + v_set(1) + v_status()
    yield "proto-1.0", v_config(proto_1_0=True) + v_info() + v_set(3) + v_set(5) + v_set(0) + v_status()


def main():
    for name, seeds in (("drive", drive_seeds()), ("device", device_seeds())):
        d = os.path.join(HERE, "corpus", name)
        os.makedirs(d, exist_ok=True)
        for seed, data in seeds:
            with open(os.path.join(d, seed), "wb") as f:
                f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
