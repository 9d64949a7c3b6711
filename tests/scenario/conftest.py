# SPDX-License-Identifier: MIT
"""conftest.py - pytest fixtures shared by the scenario tests."""
import os

import pytest

import clock
from knotsim import BUILD, Sim, with_headroom
from tmuxpane import Tmux

USBTEST = os.path.join(BUILD, "tests", "knot-usbtest")


def pytest_configure(config):
    config.addinivalue_line("markers", "clock: depends on the wall clock, the date or the zone; "
                            "tests/run runs these again under fixed clocks (KNOT_TEST_CLOCK, TZ)")


@pytest.fixture(autouse=True)
def fixed_clock(tmp_path, monkeypatch):
    """Under tests/run's clock matrix (KNOT_TEST_CLOCK), every process the test starts
    sees the chosen wall clock, from the test's start; else the real one."""
    offset = clock.fixed_offset()
    wc = clock.WallClock(tmp_path, monkeypatch, offset) if offset is not None else None
    yield wc
    clock.reset()


@pytest.fixture
def wallclock(fixed_clock, tmp_path, monkeypatch):
    """The wall clock of the processes the test starts, steppable (clock.WallClock)."""
    return fixed_clock or clock.WallClock(tmp_path, monkeypatch, 0)


@pytest.fixture
def usbsim(tmp_path):
    """Factory: knot-sim running the test-only libusb client; stopped after the test."""
    sims = []

    def start(*sim_args):
        s = Sim(tmp_path, [USBTEST], with_headroom(sim_args))
        assert s.readline() == "ready"
        sims.append(s)
        return s

    yield start
    for s in sims:
        if s.proc.poll() is None:
            assert s.stop() == 0, "test client failed: %s" % s.proc.stderr.read()


@pytest.fixture
def knotd(tmp_path):
    """Factory: knotd under knot-sim; on teardown SIGTERM must end it with status 0 (ASan/LSan clean)."""
    from knotd import Knotd
    daemons = []

    def start(*sim_args, **kw):
        d = Knotd(tmp_path, sim_args, **kw)
        daemons.append(d)
        return d

    yield start
    for d in daemons:
        rc = d.stop()
        assert rc == 0, "knotd exited with %s; log:\n%s" % (rc, d.log()[-3000:])


@pytest.fixture
def tmux():
    """Factory: a tmux pane of our own for knotctl's live view (tmuxpane.Tmux); killed after the test."""
    panes = []

    def start(d, **kw):
        t = Tmux(d, **kw)
        panes.append(t)
        return t

    yield start
    for t in panes:
        t.close()


@pytest.fixture
def public_dir():
    """A directory other users can traverse, for a socket they must reach (pytest's own tmp is
    0700; tests/run points TMPDIR at a directory of its own run)."""
    import shutil
    import tempfile
    path = tempfile.mkdtemp(prefix="knotd-sock.")
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)
