# SPDX-License-Identifier: MIT
"""test_doctor.py - knotctl doctor through the real socket against knot-sim: each line ok or problem with its fix, and its exit status."""
import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile

from knotd import KNOTCTL, SHIPPED_PROFILES, write_conf


def lines(r):
    """(kind, text) per reported line; a fix belongs to the problem above it."""
    out = []
    for l in r.stdout.splitlines():
        if l.startswith("         fix: "):
            assert out and out[-1][0] == "problem", "a fix without its problem:\n" + r.stdout
            out[-1] = ("problem", out[-1][1], l[len("         fix: "):])
        else:
            kind, _, text = l.partition(" ")
            assert kind in ("ok", "problem", "skipped"), "not a doctor line: %r\n%s" % (l, r.stdout)
            out.append((kind, text.strip()))
    assert len(out) == 5, r.stdout
    for l in out:
        assert l[0] != "problem" or len(l) == 3 and l[2], "a problem without a fix:\n" + r.stdout
    return out


def doctor(sock, *args, pre=()):
    env = {k: v for k, v in os.environ.items() if k != "KNOT_SOCKET"}
    env["KNOT_SOCKET"] = sock
    return subprocess.run([*pre, KNOTCTL, "doctor", *args], capture_output=True, text=True, env=env, timeout=30)


def good_conf(tmp_path, sock):
    conf = str(tmp_path / "doctor.conf")
    write_conf(conf, sock, SHIPPED_PROFILES, str(tmp_path / "journal"))
    return conf


def test_all_ok(knotd):
    d = knotd()
    d.wait_devices(1)
    r = d.knotctl("doctor", d.conf)
    assert r.returncode == 0, r.stdout + r.stderr
    got = lines(r)
    assert [k for k, *_ in got] == ["ok"] * 5, r.stdout
    assert "answers on %s" % d.sock in got[0][1]
    assert "root" in got[1][1]
    assert got[2][1] == "1 massager connected: KNOTSIM1"
    assert d.conf + ": ok" in got[3][1]
    assert got[4][1] == "the journal can be written: %s" % d.journal
    assert r.stderr == ""


def test_knotd_not_running_no_socket_a_stale_one_or_not_a_socket(tmp_path):
    nowhere = str(tmp_path / "knotd.sock")
    conf = good_conf(tmp_path, nowhere)
    r = doctor(nowhere, conf)
    assert r.returncode == 1
    got = lines(r)
    assert got[0][0] == "problem" and "no socket at %s" % nowhere in got[0][1]
    with open(conf, "a") as f:
        f.write("bogus = 1\n")
    # No knotd to ask: the unit's reload is the fix.
    assert "sudo systemctl reload knotd" in lines(doctor(nowhere, conf))[3][2]
    write_conf(conf, nowhere, SHIPPED_PROFILES, str(tmp_path / "journal"))
    assert "KNOT_SOCKET" in got[0][2]   # not the default path: which socket is meant
    assert got[2][0] == got[4][0] == "skipped"
    # The files are checked all the same: knotd need not run for that.
    assert got[3][0] == "ok"

    # A socket file nobody listens on: a knotd that died.
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(nowhere)
    s.close()
    got = lines(doctor(nowhere, conf))
    assert got[0][0] == "problem" and "nothing listens on" in got[0][1] and "restart" in got[0][2]
    os.unlink(nowhere)

    with open(nowhere, "w"):
        pass
    r = doctor(nowhere, conf)
    assert r.returncode == 1
    assert lines(r)[0][:2] == ("problem", "%s is not a socket" % nowhere)


def test_no_massager(knotd):
    d = knotd("--unplugged")
    r = d.knotctl("doctor", d.conf)
    assert r.returncode == 1
    got = lines(r)
    assert got[0][0] == "ok" and got[2][:2] == ("problem", "no massager is connected")
    assert "plug it in" in got[2][2]


def test_not_the_massager_named(knotd):
    d = knotd()
    d.wait_devices(1)
    r = d.knotctl("-d", "NOPE", "doctor", d.conf)
    assert r.returncode == 1
    assert lines(r)[2][:2] == ("problem", "no massager NOPE is connected (connected: KNOTSIM1)")
    assert d.knotctl("-d", "KNOTSIM1", "doctor", d.conf).returncode == 0


def test_files_that_do_not_load(knotd, tmp_path):
    d = knotd()
    bad = str(tmp_path / "bad.conf")
    with open(bad, "w") as f:
        f.write("[daemon]\nbogus = 1\n")
    r = d.knotctl("doctor", bad)
    assert r.returncode == 1
    got = lines(r)
    assert got[3][:2] == ("problem", "the files do not load: %s:2: unknown key 'bogus' in [daemon]" % bad)
    # This knotd runs outside systemd: the reload that reaches it is its pid's SIGHUP.
    assert "kill -HUP %d" % d.pid() in got[3][2], got[3][2]
    r = d.knotctl("doctor", str(tmp_path / "none.conf"))
    assert lines(r)[3][:2] == ("problem", "the settings file %s does not exist" % (tmp_path / "none.conf"))


def test_journal_not_writable(knotd, tmp_path):
    journal = tmp_path / "journal-dir"
    journal.mkdir()
    d = knotd(journal=str(journal))
    d.wait_devices(1)
    r = d.knotctl("doctor", d.conf)
    assert r.returncode == 1
    kind, text, fix = lines(r)[4]
    assert kind == "problem" and "refuses every new session" in text and str(journal) in text
    assert str(journal) in fix


def test_a_user_the_socket_does_not_let_in(knotd):
    # A directory other users can traverse (pytest's own tmp is 0700).
    public = tempfile.mkdtemp(prefix="knotd-sock.")
    os.chmod(public, 0o755)
    try:
        d = knotd(sock_dir=public)
        d.wait_devices(1)
        nobody = pwd.getpwnam("nobody")
        # Mode 0660, group root: nobody cannot connect, and is told to join the group.
        r = d.knotctl("doctor", d.conf, user="nobody")
        assert r.returncode == 1
        got = lines(r)
        assert got[0][0] == "problem" and "does not let you in" in got[0][1]
        # Group root lets only root in: the fix is a group of knotd's own, never joining root.
        assert got[1][:2] == ("problem", "the socket belongs to group root: only root may start a session")
        assert "usermod -aG root" not in got[1][2], got[1][2]
        assert "socket_group = knot" in got[1][2] and "usermod -aG knot nobody" in got[1][2], got[1][2]
        # Nobody may not read the test's own files: said, not taken for an error in them.
        assert got[3][0] == "skipped"
        # Group adm (Debian's, for reading logs) grants far more than the massager: same fix, never joining it.
        os.chown(d.sock, -1, grp.getgrnam("adm").gr_gid)
        got = lines(d.knotctl("doctor", d.conf, user="nobody"))
        assert got[1][:2] == ("problem", "the socket belongs to group adm, which grants far more than the massager: "
                                         "only its members may start a session"), got[1]
        assert "usermod -aG adm" not in got[1][2] and "usermod -aG knot nobody" in got[1][2], got[1][2]
        os.chown(d.sock, -1, 0)
        # In the socket's group by /etc/passwd (nobody's own group), but not in this login's groups:
        # a member who has not logged in again since.
        os.chmod(d.sock, 0o666)
        os.chown(d.sock, -1, nobody.pw_gid)
        group = subprocess.run(["getent", "group", str(nobody.pw_gid)], capture_output=True,
                               text=True).stdout.split(":")[0]
        r = doctor(d.sock, d.conf, pre=("setpriv", "--reuid", str(nobody.pw_uid), "--regid", "0", "--clear-groups"))
        got = lines(r)
        assert got[0][0] == "ok" and got[2][0] == "ok"
        assert got[1][0] == "problem" and "this login is not" in got[1][1] and "log out and in again" in got[1][2]
        assert group in got[1][1]
    finally:
        shutil.rmtree(public)


def test_the_files_knotd_runs_on_not_a_guess(knotd):
    """Without CONFIG, doctor checks the files the running knotd names (knotd -c FILE), not the default path."""
    d = knotd()
    d.wait_devices(1)
    v = d.req({"cmd": "version"})
    assert v["config"] == d.conf and v["journal"] == d.journal and v["pid"] == d.pid()
    assert v["profiles"].endswith(".conf") and v["unit"] is None and v["socket_group"]
    r = d.knotctl("doctor")
    assert r.returncode == 0, r.stdout
    got = lines(r)
    assert got[3][0] == "ok" and got[3][1].startswith("the files knotd runs on load: %s: ok" % d.conf), r.stdout
    # Broken since knotd read it: named by file:line, and the reload that reaches this knotd (no systemd here).
    with open(d.conf, "a") as f:
        f.write("bogus = 1\n")
    r = d.knotctl("doctor")
    assert r.returncode == 1
    kind, text, fix = lines(r)[3]
    assert kind == "problem" and text.startswith("the files do not load: %s:" % d.conf), text
    assert "unknown key 'bogus'" in text
    assert "kill -HUP %d" % d.pid() in fix and "systemctl" not in fix, fix
    # knotd still runs on what it had.
    assert lines(d.knotctl("doctor"))[0][0] == "ok"
    os.unlink(d.conf)
    kind, text, fix = lines(d.knotctl("doctor"))[3]
    assert (kind, text) == ("problem", "the settings file knotd runs on, %s, is gone" % d.conf), text


def test_a_relative_config_path_is_named_whole(knotd):
    """knotd -c with a relative path: the version reply names the whole path, so doctor, run elsewhere, finds it."""
    d = knotd(relative_conf=True)
    d.wait_devices(1)
    assert os.path.relpath(d.conf) in d.sim.proc.args and not os.path.isabs(os.path.relpath(d.conf))
    assert d.req({"cmd": "version"})["config"] == d.conf
    r = d.knotctl("doctor")
    assert r.returncode == 0, r.stdout
    assert lines(r)[3][1].startswith("the files knotd runs on load: %s: ok" % d.conf), r.stdout
