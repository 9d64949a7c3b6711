# SPDX-License-Identifier: MIT
"""tmuxpane.py - test harness: a terminal of our own (a tmux server and pane) to run knotctl's live view in, typed into and read back."""
import os
import re
import shutil
import subprocess
import tempfile

from knotd import KNOTCTL
from knotsim import require, wait_for


class Tmux:
    """One tmux server of our own with one pane running sh, in a clean environment."""

    def __init__(self, d, width=120, height=40, env=None):
        require(shutil.which("tmux"), "tmux is not installed (scripts/deps installs it)")
        # A short socket path of our own: never the user's server, never a long pytest path.
        self.dir = tempfile.mkdtemp(prefix="knot-tmux-")
        self.sock = os.path.join(self.dir, "s")
        e = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": self.dir, "TERM": "xterm-256color",
             "KNOT_SOCKET": d.sock, "PS1": "$ "}
        # The sanitizers' settings of the suite reach knotctl too, and so do the test's zone and wall clock.
        e.update({k: v for k, v in os.environ.items()
                  if re.match(r"^((ASAN|UBSAN|LSAN)_OPTIONS|TZ|LD_PRELOAD|KNOT_WALLCLOCK_FILE)$", k)})
        e.update(env or {})
        shell = "env -i %s sh" % " ".join("%s='%s'" % kv for kv in sorted(e.items()))
        self.tmux("new-session", "-d", "-s", "w", "-x", str(width), "-y", str(height), shell)
        # Keys typed before sh's first prompt are echoed ahead of it, and what
        # the command prints then starts on the prompt's line: wait for it.
        self.wait(r"^\$ ?$")

    def tmux(self, *args):
        return subprocess.run(["tmux", "-f", "/dev/null", "-S", self.sock, *args], check=True,
                              capture_output=True, text=True, timeout=10).stdout

    def type(self, text):
        """Keys as they are typed (no key names)."""
        self.tmux("send-keys", "-t", "w", "-l", text)

    def key(self, *names):
        """Named keys: Enter, Escape, C-c, Up."""
        self.tmux("send-keys", "-t", "w", *names)

    def run(self, line):
        self.type(line)
        self.key("Enter")

    def clear(self):
        """An empty screen with the prompt at its top, before the next command is typed: a line
        typed while `clear` still runs would be wiped, its output left on the prompt's line."""
        self.run("clear")
        self.wait(r"\A\$ ?\s*\Z")

    def screen(self):
        # -J joins lines the terminal wrapped, so a long line matches as one.
        return self.tmux("capture-pane", "-p", "-J", "-t", "w")

    def wait(self, pattern, timeout=10.0):
        """The screen once it shows pattern (a regex), polled until the deadline."""
        rx = re.compile(pattern, re.M)
        try:
            return wait_for(lambda: rx.search(self.screen()) and self.screen(), timeout, "the screen to show /%s/" % pattern)
        except AssertionError:
            raise AssertionError("screen never showed /%s/:\n%s" % (pattern, self.screen())) from None

    def tty(self):
        return self.tmux("display-message", "-p", "-t", "w", "#{pane_tty}").strip()

    def pane_pid(self):
        return int(self.tmux("display-message", "-p", "-t", "w", "#{pane_pid}").strip())

    def modes(self):
        """The pane terminal's local modes as stty names them: {'icanon': True, 'echo': False, ...}."""
        out = subprocess.run(["stty", "-F", self.tty(), "-a"], capture_output=True, text=True, timeout=5).stdout
        return {w.lstrip("-"): not w.startswith("-") for w in out.split() if re.match(r"^-?(icanon|echo|isig)$", w)}

    def close(self):
        subprocess.run(["tmux", "-f", "/dev/null", "-S", self.sock, "kill-server"], capture_output=True, timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


def knotctl_line(*args, raw=False):
    """A command line for the pane: knotctl, then its exit status and the terminal's modes.
    A start says the muscle is warm (--warmed-up) unless raw: the warm-up question is test_advice's."""
    if not raw and "start" in args:
        args = args + ("--warmed-up",)
    return "%s %s; echo EXIT=$?; stty -a | tr ' ' '\\n' | grep -E -x -e '-?(icanon|echo)' | tr '\\n' ' '; echo; echo END" \
        % (KNOTCTL, " ".join(args))
