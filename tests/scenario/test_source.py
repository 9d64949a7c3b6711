# SPDX-License-Identifier: MIT
"""test_source.py - the tree's own rules, read from the source: layers that never call back up, files that say their purpose, functions named for their file."""
import glob
import os
import re
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def source(path):
    with open(path) as f:
        return f.read()


def without_comments(text):
    return re.sub(r"/\*.*?\*/", "", re.sub(r"//[^\n]*", "", text, flags=re.S), flags=re.S)


def calls_between(directory):
    """{module: the other modules of directory whose prefix_ functions it calls}."""
    files = sorted(glob.glob(os.path.join(ROOT, directory, "*.c")))
    modules = {os.path.basename(f)[:-2] for f in files}
    calls = {}
    for f in files:
        me = os.path.basename(f)[:-2]
        found = re.findall(r"\b([a-z]+)_[a-z0-9_]+\s*\(", without_comments(source(f)))
        calls[me] = {m for m in found if m in modules and m != me}
    return calls


def test_no_daemon_file_calls_back_into_a_file_that_calls_it():
    # A lower layer reports upward through callbacks its owner sets (usb_ops,
    # massager_ops, ctl_on_request), never by calling the file that called it.
    calls = calls_between("daemon")
    assert len(calls) > 10, calls
    both = sorted((a, b) for a in calls for b in calls[a] if a < b and a in calls.get(b, ()))
    assert both == [], "files that call each other: %s" % both


def test_every_source_file_starts_with_its_licence_and_purpose():
    files = [f for d in ("daemon", "cli", "sim", "include/knot", "tests/unit", "tests/fuzz")
             for f in glob.glob(os.path.join(ROOT, d, "*.[ch]"))]
    assert len(files) > 50, files
    bad = []
    for f in files:
        lines = source(f).split("\n", 2)
        name = os.path.basename(f)
        if lines[0] != "/* SPDX-License-Identifier: MIT */" or \
                not re.fullmatch(r"/\* %s - \S.*\*/" % re.escape(name), lines[1]):
            bad.append("%s: %s" % (os.path.relpath(f, ROOT), " | ".join(lines[:2])[:80]))
    assert bad == [], "no licence line, then a one-line purpose: %s" % bad


def test_every_source_file_says_its_licence():
    tracked = subprocess.run(["git", "-C", ROOT, "ls-files"], capture_output=True, text=True, check=True).stdout
    files = [f for f in tracked.split() if not f.startswith("tests/fuzz/corpus/") and
             not f.endswith((".md", ".patch")) and f != "LICENSE"]
    assert len(files) > 150, len(files)
    missing = [f for f in files if "SPDX-License-Identifier: MIT" not in "".join(source(os.path.join(ROOT, f)).split("\n")[:3])]
    assert missing == [], "no SPDX line: %s" % missing


def test_daemon_functions_are_named_for_their_file():
    bad, seen = [], 0
    for f in sorted(glob.glob(os.path.join(ROOT, "daemon", "*.c"))):
        me = os.path.basename(f)[:-2]
        text = without_comments(source(f))
        # A definition at the start of a line, not static: the file's interface.
        for m in re.finditer(r"^(?!static\b)[a-z][\w \*]*?\b(\w+)\(([^;{)]*)\)\s*\{", text, re.M):
            name = m.group(1)
            seen += 1
            if name != "main" and not name.startswith(me + "_"):
                bad.append("%s: %s" % (os.path.basename(f), name))
    assert seen > 100, seen
    assert bad == [], "interface functions not prefixed by their file: %s" % bad


def test_every_error_code_is_documented_and_sent():
    header = source(os.path.join(ROOT, "include", "knot", "control.h"))
    codes = dict(re.findall(r'^#define (KNOT_E_\w+) "([a-z-]+)"', header, re.M))
    assert len(codes) > 15, codes
    doc = source(os.path.join(ROOT, "docs", "CONTROL.md"))
    documented = set(re.findall(r"^\| `([a-z-]+)` \|", doc[doc.index("| code |"):doc.index("## Commands")], re.M))
    assert set(codes.values()) == documented, (set(codes.values()) ^ documented)
    daemon = "".join(without_comments(source(f)) for f in glob.glob(os.path.join(ROOT, "daemon", "*.c")))
    unsent = sorted(name for name in codes if not re.search(r"\b%s\b" % name, daemon))
    assert unsent == [], "codes knotd never sends: %s" % unsent


def test_every_setting_is_in_the_manual_page_and_the_shipped_file():
    fields = re.findall(r'^\s*\{ "(\w+)", "(\w+)", CONFIG_T_', source(os.path.join(ROOT, "daemon", "config.c")), re.M)
    assert len(fields) >= 8, fields
    page = source(os.path.join(ROOT, "config", "knotd.conf.5"))
    shipped = source(os.path.join(ROOT, "config", "knotd.conf"))
    for section, key in fields:
        assert re.search(r"^\.BI %s \" = \"" % re.escape(key), page, re.M), "knotd.conf(5) lacks %s" % key
        assert re.search(r"^#?\s*%s\s*=" % re.escape(key), shipped, re.M), "config/knotd.conf lacks %s" % key
        assert "[%s]" % section in shipped
