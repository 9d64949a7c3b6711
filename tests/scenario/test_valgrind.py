# SPDX-License-Identifier: MIT
"""test_valgrind.py - knotd's whole life under valgrind (plain build): no invalid access, no definite leak."""
import os
import shutil
import signal

from knotsim import ROOT, require, wait_for

PLAIN_KNOTD = os.path.join(ROOT, "build", "knotd")


def test_knotd_lifecycle_is_valgrind_clean(knotd, tmp_path):
    require(shutil.which("valgrind") and os.access(PLAIN_KNOTD, os.X_OK), "needs valgrind and the plain build")
    vglog = str(tmp_path / "valgrind.log")
    d = knotd("--devices", "2", "--serial", "VG", knotd=PLAIN_KNOTD, ready_timeout=60,
              wrapper=["valgrind", "-q", "--error-exitcode=99", "--leak-check=full",
                       "--errors-for-leak-kinds=definite", "--log-file=" + vglog])
    d.wait_devices(2, timeout=30)
    w = d.connect()
    assert d.req({"cmd": "watch"}, conn=w)["ok"]
    assert d.req({"cmd": "start", "area": "calves", "device": "VG"})["ok"]
    d.trace.wait(r"^level 1 by=host dev=VG$", timeout=10)
    assert d.req({"cmd": "ouch", "device": "VG"})["ok"]
    assert d.req({"cmd": "bogus"})["code"] == "unknown-command"
    assert d.sim.ctl("@2 unplug") == "ok"
    d.wait_devices(1, timeout=30)
    assert d.sim.ctl("@2 plug") == "ok"
    d.wait_devices(2, timeout=30)
    d.signal(signal.SIGHUP)
    wait_for(lambda: "reloaded" in d.log(), 30, "reload")
    d.signal(signal.SIGTERM)
    rc = d.sim.proc.wait(60)
    w.close()
    assert os.path.exists(vglog), "knotd did not run under valgrind"
    report = open(vglog).read()
    assert rc == 0 and report == "", "valgrind (exit %d):\n%s" % (rc, report)
