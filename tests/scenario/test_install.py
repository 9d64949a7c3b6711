# SPDX-License-Identifier: MIT
"""test_install.py - make install / uninstall as a packager runs them, and the builder's hardening flags in the binaries."""
import glob
import os
import shutil
import subprocess

import pytest

from knotsim import ROOT, require

# The builder's environment must not change what is checked: the suite sets
# these itself, and make's own (from `make check`) would hand a jobserver
# that the child cannot use.
DROP = ("CC", "CPPFLAGS", "CFLAGS", "CXXFLAGS", "LDFLAGS", "PREFIX", "DESTDIR", "SBINDIR", "BINDIR", "MANDIR",
        "SYSCONFDIR", "UNITDIR", "UDEVDIR", "SYSUSERSDIR", "COMPLETIONDIR", "DOCDIR", "PKG_CONFIG", "SANITIZE",
        "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")

# A pkg-config in front of the real one: the install directories come from
# the test, not from whatever .pc files the host has (answers: "missing", or
# a directory per variable under CUSTOM), and a question about knot-sim's
# umockdev or GLib is written down and answered "no such package".
FAKE_PKG_CONFIG = r"""#!/bin/sh
# pkg-config for test_install.py: the install directories are the test's.
for a in "$@"; do
    case "$a" in
    umockdev-1.0|glib-2.0) echo "$*" >> "$FAKE_PC_ASKED"; exit 1 ;;
    --variable=*)
        [ "$FAKE_PC_MODE" = missing ] && exit 1
        v=${a#--variable=}
        for p in "$@"; do case "$p" in -*) ;; *) echo "$FAKE_PC_ROOT/$p/$v"; exit 0 ;; esac; done ;;
    esac
done
exec /usr/bin/pkg-config "$@"
"""
CUSTOM = "/opt/pc"


def make_env(tmp, mode="missing", **extra):
    e = {k: v for k, v in os.environ.items() if k not in DROP and not k.startswith("DEB_")}
    fake = os.path.join(str(tmp), "pkg-config")
    if not os.path.exists(fake):
        with open(fake, "w") as f:
            f.write(FAKE_PKG_CONFIG)
        os.chmod(fake, 0o755)
    e.update(PKG_CONFIG=fake, FAKE_PC_MODE=mode, FAKE_PC_ROOT=CUSTOM, FAKE_PC_ASKED=os.path.join(str(tmp), "asked"))
    e.update(extra)
    return e


def make(tmp, *args, mode="missing", env=None, check=True):
    p = subprocess.run(["make", "-C", ROOT, "-j2", *args], env=make_env(tmp, mode, **(env or {})),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    if check:
        assert p.returncode == 0, "make %s failed:\n%s" % (" ".join(args), p.stdout[-4000:])
    return p


def tree(root):
    """{relative path: octal mode} of every file and symlink under root."""
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            out[os.path.relpath(p, root)] = "%o" % (os.lstat(p).st_mode & 0o7777)
    return out


def expected(unitdir, sysusersdir, udevdir, completionsdir):
    """What a user needs, by the source tree: every unit under systemd/ is one."""
    units = sorted(os.path.basename(u) for u in glob.glob(os.path.join(ROOT, "systemd", "*.service")) +
                   glob.glob(os.path.join(ROOT, "systemd", "*.socket")))
    files = {
        "usr/sbin/knotd": "755",
        "usr/bin/knotctl": "755",
        "usr/share/knotd/knotd.conf": "644",
        "usr/share/knotd/profiles.conf": "644",
        udevdir + "/rules.d/70-knotd.rules": "644",
        sysusersdir + "/knotd.conf": "644",
        completionsdir + "/knotctl": "644",
        "usr/share/man/man1/knotctl.1": "644",
        "usr/share/man/man5/knotd.conf.5": "644",
        "usr/share/man/man5/knotd-profiles.5": "644",
        "usr/share/man/man8/knotd.8": "644",
    }
    files.update({unitdir + "/" + u: "644" for u in units})
    docs = ["README.md"] + sorted(os.path.basename(d) for d in glob.glob(os.path.join(ROOT, "docs", "*.md")))
    files.update({"usr/share/doc/knotd/" + d: "644" for d in docs})
    return files


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """knotd and knotctl built without any builder flags, in a tree of their own."""
    tmp = tmp_path_factory.mktemp("plain")
    make(tmp, "B=%s/b" % tmp, "%s/b/knotd" % tmp, "%s/b/knotctl" % tmp)
    return tmp


def test_install_is_what_a_user_needs_and_uninstall_takes_it_all_back(plain):
    b = "%s/b" % plain
    dest = str(plain / "dest")
    make(plain, "B=" + b, "install", "PREFIX=/usr", "DESTDIR=" + dest)
    assert tree(dest) == expected("lib/systemd/system", "usr/lib/sysusers.d", "lib/udev",
                                "usr/share/bash-completion/completions")
    # The defaults are the package's (share/knotd); /etc/knotd is there for the admin, empty.
    assert os.listdir(os.path.join(dest, "etc", "knotd")) == []
    # Neither built nor asked for: installing needs no umockdev or GLib.
    assert not os.path.exists(os.path.join(b, "knot-sim")) and not os.path.exists(os.path.join(b, "knot-gadget"))
    assert not os.path.exists(str(plain / "asked")), open(str(plain / "asked")).read()
    # The unit starts the binary install put there.
    with open(os.path.join(dest, "lib/systemd/system/knotd.service")) as f:
        assert "ExecStart=/usr/sbin/knotd" in f.read()

    make(plain, "B=" + b, "uninstall", "PREFIX=/usr", "DESTDIR=" + dest)
    assert tree(dest) == {}
    for d in ("etc/knotd", "usr/share/knotd", "usr/share/doc/knotd"):
        assert not os.path.exists(os.path.join(dest, d)), d


def test_install_directories_come_from_pkg_config_and_follow_prefix(plain):
    b = "%s/b" % plain
    dest = str(plain / "dest-pc")
    make(plain, "B=" + b, "install", "PREFIX=/usr/local", "DESTDIR=" + dest, mode="custom")
    c = CUSTOM.lstrip("/")
    files = expected(c + "/systemd/systemdsystemunitdir", c + "/systemd/sysusersdir", c + "/udev/udevdir",
                     c + "/bash-completion/completionsdir")
    files = {k.replace("usr/", "usr/local/", 1) if k.startswith("usr/") else k: v for k, v in files.items()}
    assert tree(dest) == files
    with open(os.path.join(dest, c, "systemd/systemdsystemunitdir/knotd.service")) as f:
        assert "ExecStart=/usr/local/sbin/knotd" in f.read()
    make(plain, "B=" + b, "uninstall", "PREFIX=/usr/local", "DESTDIR=" + dest, mode="custom")
    assert tree(dest) == {}


def readelf(*args):
    return subprocess.run(["readelf", "-W", *args], capture_output=True, text=True, check=True).stdout


def test_dpkg_buildflags_reach_every_compile_and_link_line_and_the_binaries(plain, tmp_path):
    require(shutil.which("dpkg-buildflags") and shutil.which("readelf"),
            "dpkg-buildflags (dpkg-dev) and readelf (binutils) are needed")
    # All of Debian's hardening, so that LDFLAGS carries -z,now as well as -z,relro.
    flags = {}
    for name in ("CPPFLAGS", "CFLAGS", "LDFLAGS"):
        env = {k: v for k, v in os.environ.items() if not k.startswith("DEB_") and k not in DROP}
        env["DEB_BUILD_MAINT_OPTIONS"] = "hardening=+all"
        flags[name] = subprocess.run(["dpkg-buildflags", "--get", name], env=env, capture_output=True, text=True,
                                     check=True).stdout.strip()
    for f in ("-D_FORTIFY_SOURCE=2",):
        assert f in flags["CPPFLAGS"].split(), flags
    for f in ("-fstack-protector-strong",):
        assert f in flags["CFLAGS"].split(), flags
    for f in ("-Wl,-z,relro", "-Wl,-z,now"):
        assert f in flags["LDFLAGS"].split(), flags
    b = str(tmp_path / "b")
    out = make(tmp_path, "B=" + b, b + "/knotd", b + "/knotctl", env=flags).stdout.splitlines()

    compiles = [l for l in out if " -c -o " in l and (" daemon/" in l or " cli/" in l)]
    links = [l for l in out if " -o %s/knotd " % b in l or " -o %s/knotctl " % b in l]
    nsrc = len(glob.glob(os.path.join(ROOT, "daemon", "*.c")) + glob.glob(os.path.join(ROOT, "cli", "*.c")))
    assert len(compiles) == nsrc, "\n".join(out)
    assert len(links) == 2, "\n".join(out)
    for line in compiles:
        words = line.split()
        for f in flags["CPPFLAGS"].split() + flags["CFLAGS"].split():
            assert f in words, "%s missing from: %s" % (f, line)
    for line in links:
        for f in flags["LDFLAGS"].split():
            assert f in line.split(), "%s missing from: %s" % (f, line)

    for prog in ("knotd", "knotctl"):
        hard, soft = os.path.join(b, prog), os.path.join(str(plain), "b", prog)
        dyn, segs, syms = readelf("-d", hard), readelf("-l", hard), readelf("--dyn-syms", hard)
        assert "BIND_NOW" in dyn, dyn
        assert "GNU_RELRO" in segs
        assert "__stack_chk_fail" in syms
        assert "_chk@" in syms.replace("__stack_chk_fail@", ""), "no fortified call in %s" % prog
        # The same binary without the flags lacks them: the checks above can fail.
        assert "BIND_NOW" not in readelf("-d", soft)
        assert "_chk@" not in readelf("--dyn-syms", soft).replace("__stack_chk_fail@", "")
