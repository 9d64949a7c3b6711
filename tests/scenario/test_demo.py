# SPDX-License-Identifier: MIT
"""test_demo.py - `make demo` keeps its promise: scripts/demo runs a whole first session in under a minute, and the device's own trace shows the guide's rule kept."""
import os
import re
import subprocess
import time

from knotsim import BUILD, ROOT

DEMO = os.path.join(ROOT, "scripts", "demo")
DEADLINE_S = 60           # the "under a minute", for the whole demo
TRIAL_S, STEP_S, SESSION_S = 10, 5, 35   # config/profiles-demo.conf, calves
SLACK_S = 0.5             # knotd's polls and the device's clock


def test_the_demo_shows_the_whole_promise_within_a_minute():
    # Into a pipe, as `make demo > file`: plain lines, whatever the terminal settings say.
    env = dict(os.environ, TERM="xterm", KNOT_BUILD=os.path.relpath(BUILD, ROOT))
    env.pop("NO_COLOR", None)
    began = time.monotonic()
    p = subprocess.run([DEMO], capture_output=True, text=True, env=env, timeout=DEADLINE_S, cwd=ROOT)
    took = time.monotonic() - began
    out = p.stdout
    assert p.returncode == 0, (p.stdout[-3000:], p.stderr[-3000:])
    assert took < DEADLINE_S, took
    assert "\033" not in out and "\r" not in out, [l for l in out.splitlines() if "\033" in l or "\r" in l][:5]
    # What the person saw in the live view, in order.
    seen = ["The massager does not belong on the neck.", "First session on your calves today: warm the muscle up "
            "first", "Is the muscle warm? Enter to start", "The guide's tool for the calves is a foam roller", "With the massager: the lowest speed first",
            "keys: o or space = ouch", "trial: staying at level 1 for", "How does it feel? Enter or + to go on up to "
            "level 3", "going on: up to level 3", "backing off to level 1", "How does it feel? Enter or + to go on up "
            "to level 2", "session complete", "After-care: Calf stretch", "Time to rest your calves \u2014 ready in "]
    at = [out.find(s) for s in seen]
    assert -1 not in at and at == sorted(at), list(zip(seen, at))
    # What the device saw: "+S.SSS level N by=host", from its own trace.
    trace = out[out.index("What the massager itself saw"):]
    levels = [(float(t), int(n), by) for t, n, by in re.findall(r"^\+(\d+\.\d+) level (\d) by=(\w+)$", trace, re.M)]
    assert [(n, by) for _, n, by in levels] == [(1, "host"), (2, "host"), (3, "host"), (1, "host"), (2, "host"),
                                                (0, "host")], trace
    assert "refused" not in trace and "fault" not in trace, trace
    t = [s for s, _, _ in levels]
    assert t[0] == 0.0
    assert t[1] >= TRIAL_S - 0.01, "a rise before the trial's end"                 # level 2 on the go-ahead
    assert t[2] - t[1] >= STEP_S - 0.01, "two rises closer than a step"             # then one level per step
    assert t[3] - t[2] < 3 + SLACK_S, "the ouch did not back off at once"          # 2 s at level 3, then o
    assert t[4] - t[3] >= TRIAL_S - 0.01, "a rise before the restarted trial's end"
    assert abs(t[5] - SESSION_S) < SLACK_S, "the session did not end by its time"  # 0 by=host at 35 s
    m = re.search(r"^\(the demo took (\d+) s\)$", out, re.M)
    assert m and int(m.group(1)) < DEADLINE_S, out[-200:]
