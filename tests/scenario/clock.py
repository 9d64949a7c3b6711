# SPDX-License-Identifier: MIT
"""clock.py - the scenario tests' wall clock: the real one, or a chosen local time (the knot-wallclock shim), steppable; days as a person counts them."""
import datetime
import os
import time

# A fixed clock for the whole test run (tests/run's clock matrix): a Unix time.
# Each test starts at it again, so a test's own length never carries it past
# midnight unless the clock was chosen to be there.
CLOCK_VAR = "KNOT_TEST_CLOCK"
SHIM = os.path.join(os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")),
                    os.environ.get("KNOT_BUILD", "build"), "tests", "libknot-wallclock.so")

_offset = 0


def now():
    """The wall clock the daemon sees now (Unix seconds, float)."""
    return time.time() + _offset


def local_date(days_ago=0):
    """The local calendar date days_ago days before today (calendar arithmetic, not 86400 s steps)."""
    return datetime.date.fromtimestamp(now()) - datetime.timedelta(days=days_ago)


def at(date, hour, minute=0, second=0):
    """Unix time of a local time on date (the zone's own rules: DST included)."""
    return int(time.mktime((date.year, date.month, date.day, hour, minute, second, 0, 0, -1)))


def midnight(days_ago=0):
    return at(local_date(days_ago), 0)


def noon(days_ago):
    """Local noon, days_ago (1 or more) days back: well inside that local day, and past."""
    assert days_ago >= 1, "today's noon may lie ahead: use earlier_today()"
    return at(local_date(days_ago), 12)


def earlier_today(k=0):
    """A time today that has passed: halfway between local midnight and now, plus k seconds
    (k small: records a few seconds apart). Fails, naming why, if today is too young for it."""
    n = int(now())
    start = midnight()
    t = start + (n - start) // 2 + k
    assert start <= t < n, "%d s into the local day is too early for a record %d s after its middle" % (n - start, k)
    return t


def day_at(days_ago, k=0):
    """The k-th moment of a day that has passed: days_ago 1 or more, noon plus k minutes;
    today, earlier_today(k) (k seconds apart: the day may be young)."""
    return earlier_today(k) if days_ago == 0 else noon(days_ago) + 60 * k


class WallClock:
    """The wall clock of every process the test starts from now on: the shim
    tests/knot-wallclock.c (LD_PRELOAD) adds the offset held in a file of ours, so the test
    can step it while knotd runs. The monotonic and boot clocks are never moved."""

    def __init__(self, directory, monkeypatch, offset=0):
        self.path = os.path.join(str(directory), "wallclock")
        self.offset = None
        self.set(offset)
        assert os.path.exists(SHIM), "%s is missing (make tests builds it)" % SHIM
        monkeypatch.setenv("LD_PRELOAD", SHIM)
        monkeypatch.setenv("KNOT_WALLCLOCK_FILE", self.path)
        # A sanitized binary refuses a preloaded library ahead of its runtime unless told not to.
        asan = os.environ.get("ASAN_OPTIONS", "")
        monkeypatch.setenv("ASAN_OPTIONS", (asan + ":" if asan else "") + "verify_asan_link_order=0")

    def set(self, offset):
        global _offset
        self.offset = int(offset)
        tmp = self.path + ".new"
        with open(tmp, "w") as f:
            f.write("%+d\n" % self.offset)
        os.replace(tmp, self.path)
        _offset = self.offset

    def step(self, seconds):
        """Moves the wall clock by seconds (negative: back), for every process under it
        (within 0.1 s: the shim reads the file again at most that often)."""
        self.set(self.offset + seconds)

    def set_local(self, date, hour, minute=0, second=0):
        """Moves the wall clock to a local time."""
        self.set(at(date, hour, minute, second) - int(time.time()))


def fixed_offset():
    """The offset of the run's fixed clock from the real one, taken now; None without one."""
    at_s = os.environ.get(CLOCK_VAR)
    return None if not at_s else int(float(at_s) - time.time())


def reset():
    global _offset
    _offset = 0
