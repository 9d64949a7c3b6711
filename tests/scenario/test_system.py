# SPDX-License-Identifier: MIT
"""test_system.py - how knotd fits the system: socket activation, make install, the unit file."""
import glob
import json
import os
import shutil
import socket
import subprocess

from knotd import FAST_PROFILES, KNOTD, write_conf
from knotsim import ROOT, Sim, require, wait_for


def test_socket_activation(tmp_path):
    require(shutil.which("systemd-socket-activate"), "systemd-socket-activate is not installed (package systemd)")
    sock = str(tmp_path / "act.sock")
    conf = str(tmp_path / "knotd.conf")
    # The socket named in the config is NOT the one used: systemd's wins.
    write_conf(conf, str(tmp_path / "unused.sock"), FAST_PROFILES, str(tmp_path / "journal"))
    sim = Sim(tmp_path, ["systemd-socket-activate", "-l", sock, KNOTD, "-c", conf], stdin=False,
              stderr_path=str(tmp_path / "knotd.log"))
    try:
        wait_for(lambda: os.path.exists(sock), 10, "the activation socket")
        # The first connection makes systemd-socket-activate start knotd with LISTEN_FDS.
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(10)
            s.connect(sock)
            s.sendall(b'{"cmd":"version"}\n')
            assert json.loads(s.makefile("r").readline())["protocol"] == 3
        log = open(str(tmp_path / "knotd.log")).read()
        assert "using the socket passed by systemd" in log
        assert not os.path.exists(str(tmp_path / "unused.sock"))
    finally:
        sim.proc.terminate()
        sim.proc.wait(20)


def test_make_install_honours_prefix_and_destdir(tmp_path):
    dest = str(tmp_path / "root")
    r = subprocess.run(["make", "-s", "-C", ROOT, "install", "DESTDIR=" + dest, "PREFIX=/opt/knot",
                        "SYSCONFDIR=/opt/knot/etc"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    files = sorted(os.path.relpath(os.path.join(d, f), dest) for d, _, fs in os.walk(dest) for f in fs)
    assert files == sorted([
        "opt/knot/sbin/knotd", "opt/knot/bin/knotctl",
        "opt/knot/share/knotd/knotd.conf", "opt/knot/share/knotd/profiles.conf",
        "lib/systemd/system/knotd.service", "lib/systemd/system/knotd.socket", "lib/udev/rules.d/70-knotd.rules",
        "usr/lib/sysusers.d/knotd.conf",
        "opt/knot/share/man/man1/knotctl.1", "opt/knot/share/man/man5/knotd.conf.5",
        "opt/knot/share/man/man5/knotd-profiles.5", "opt/knot/share/man/man8/knotd.8",
        "usr/share/bash-completion/completions/knotctl",
    ] + ["opt/knot/share/doc/knotd/" + os.path.basename(d)
         for d in ["README.md"] + glob.glob(os.path.join(ROOT, "docs", "*.md"))])
    unit = open(os.path.join(dest, "lib/systemd/system/knotd.service")).read()
    assert "ExecStart=/opt/knot/sbin/knotd\n" in unit
    assert os.access(os.path.join(dest, "opt/knot/sbin/knotd"), os.X_OK)
    # The installed default settings and profiles pass knotd's own check.
    # The admin's directory is there, empty: the package's defaults live in share/knotd.
    assert os.listdir(os.path.join(dest, "opt/knot/etc/knotd")) == []
    cfg = os.path.join(dest, "opt/knot/share/knotd/knotd.conf")
    text = open(cfg).read()
    # Every key ships commented out at its default: the file passes on a machine where the
    # group "knot" does not exist yet (sysusers has not run; a group the file names must exist).
    assert "\n#socket_group = knot\n" in text and "\nsocket_group" not in text
    assert "\n#profiles = /etc/knotd/profiles.conf\n" in text
    text = text.replace("\n#profiles = /etc/knotd/profiles.conf\n",
                        "\nprofiles = %s\n" % os.path.join(dest, "opt/knot/share/knotd/profiles.conf"))
    open(cfg, "w").write(text)
    r = subprocess.run([os.path.join(dest, "opt/knot/sbin/knotd"), "-c", cfg, "--check-config"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_unit_file_verifies(tmp_path):
    require(shutil.which("systemd-analyze") and shutil.which("systemd-sysusers"),
            "systemd-analyze and systemd-sysusers are not installed (package systemd)")
    # The shipped units, with ExecStart at the binary we built (the names must stay knotd.*: the
    # service finds its socket by name).
    unit = open(os.path.join(ROOT, "systemd", "knotd.service")).read()
    assert "ExecStart=/usr/sbin/knotd\n" in unit
    (tmp_path / "knotd.service").write_text(unit.replace("/usr/sbin/knotd", KNOTD))
    shutil.copy(os.path.join(ROOT, "systemd", "knotd.socket"), str(tmp_path / "knotd.socket"))
    r = subprocess.run(["systemd-analyze", "verify", "--man=no", str(tmp_path / "knotd.socket"),
                        str(tmp_path / "knotd.service")], capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr.strip() == "", r.stderr
    # Against an empty root, not the host's /etc: the group may exist here already.
    root = tmp_path / "root"
    root.mkdir()
    r = subprocess.run(["systemd-sysusers", "--root", str(root), "--dry-run",
                        os.path.join(ROOT, "systemd", "knotd.sysusers")], capture_output=True, text=True)
    out = r.stdout + r.stderr
    assert r.returncode == 0 and "Creating group 'knot'" in out, out
    # knotd's own user, with a group of its own: not knot, which is for people.
    assert "Creating user 'knotd'" in out and "Creating group 'knotd'" in out, out


def system_wait_status(d, pattern, timeout=10.0):
    """The first STATUS= line knotd sends systemd that matches pattern (a regex on the text after STATUS=)."""
    import re
    import time
    rx = re.compile(pattern)
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        d.notify.settimeout(max(deadline - time.monotonic(), 0.001))
        try:
            msg = d.notify.recv(4096).decode()
        except socket.timeout:
            raise AssertionError("no STATUS= matching %r within %.1fs; saw %r" % (pattern, timeout, seen[-5:])) from None
        for line in msg.split("\n"):
            if line.startswith("STATUS="):
                seen.append(line[7:])
                if rx.search(line[7:]):
                    return line[7:]


def test_status_line_follows_massagers_and_sessions(knotd):
    # What `systemctl status knotd` shows, as knotd sends it: each change, and a session's time left.
    d = knotd("--devices", "2", "--serial", "GUN")
    d.wait_devices(2)
    system_wait_status(d, r"^2 massagers, idle$")
    assert d.req({"cmd": "start", "area": "calves", "device": "GUN-2"})["ok"]
    first = system_wait_status(d, r"^2 massagers; calves on GUN-2 at level 1, \d+:\d\d left$")
    system_wait_status(d, r"^2 massagers; calves on GUN-2 at level 1, \d+:\d\d left$(?<!%s)" % first[-10:])
    assert d.req({"cmd": "stop"})["ok"]
    system_wait_status(d, r"^2 massagers, idle$")
    assert d.sim.ctl("@GUN unplug") == "ok"
    system_wait_status(d, r"^1 massager, idle$")
    assert d.sim.ctl("@GUN-2 unplug") == "ok"
    system_wait_status(d, r"^no massager$")


def test_the_admins_files_win_over_the_packages(tmp_path):
    """Installed for real under a prefix of the test's own: knotd reads the package's settings and
    profiles from share/knotd until the admin puts a file of the same name in etc/knotd, file by file."""
    root = str(tmp_path / "p")
    dirs = ["PREFIX=" + root, "SYSCONFDIR=%s/etc" % root, "UNITDIR=%s/units" % root, "SYSUSERSDIR=%s/sysusers" % root,
            "UDEVDIR=%s/rules" % root, "COMPLETIONDIR=%s/completion" % root, "B=%s/b" % tmp_path]
    r = subprocess.run(["make", "-s", "-C", ROOT, "install", *dirs], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    knotd, share, etc = os.path.join(root, "sbin", "knotd"), os.path.join(root, "share", "knotd"), \
        os.path.join(root, "etc", "knotd")
    # No -c: the package's knotd.conf, and with it the package's profiles.
    r = subprocess.run([knotd, "--check-config"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stdout.startswith("%s/knotd.conf: ok; %s/profiles.conf: ok" % (share, share)), r
    # The admin's profiles win (a broken one is an error, never skipped for the package's)...
    with open(os.path.join(etc, "profiles.conf"), "w") as f:
        f.write("areas = ( { name = \"calves\"; } );\n")
    r = subprocess.run([knotd, "--check-config"], capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "%s/profiles.conf:1: calves: missing title" % etc in r.stderr, r
    shutil.copy(os.path.join(share, "profiles.conf"), os.path.join(etc, "profiles.conf"))
    r = subprocess.run([knotd, "--check-config"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and ("%s/profiles.conf: ok" % etc) in r.stdout, r
    # ...and so do the admin's settings, by themselves.
    with open(os.path.join(etc, "knotd.conf"), "w") as f:
        f.write("[daemon]\nlog_level = loud\n")
    r = subprocess.run([knotd, "--check-config"], capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "%s/knotd.conf:2: log_level 'loud'" % etc in r.stderr, r
    r = subprocess.run(["make", "-s", "-C", ROOT, "uninstall", *dirs], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    # The admin's own files stay; everything the package put is gone.
    left = sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)
    assert left == ["etc/knotd/knotd.conf", "etc/knotd/profiles.conf"], left
