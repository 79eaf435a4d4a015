#!/usr/bin/env python3
"""Evaluator for the example problem (crucible evaluator protocol v2).

Usage: evaluate.py CANDIDATE_DIR
Writes one JSON object to the result channel (the descriptor named by
CRUCIBLE_RESULT_FD; stdout's last line when there is none):
  {"score": ..., "valid": ..., "metrics": {...}, "feedback": "..."}
CRUCIBLE_SPLIT selects the sample points: "train" during evolution,
"heldout" for the final check of the best program.

The candidate is untrusted: it runs in a child process of its own, with its
own time and memory limits, and only its answers (numbers on its stdout) come
back. It never holds the result channel, so whatever it prints, writes or
exits with cannot become the score (docs/evaluator-protocol.md, "Trust").
"""
import ctypes
import json
import math
import os
import resource
import subprocess
import sys

# Runs in the child: loads program.py and prints approx_sin at each point read
# from stdin, as one JSON list on the last line of stdout. The candidate's own
# prints go to stderr, so they cannot be mistaken for answers.
CHILD = r"""
import json, math, os, runpy, sys
points = json.loads(sys.stdin.read())
out = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)
module = runpy.run_path(os.path.join(sys.argv[1], "program.py"))
f = module.get("approx_sin")
if not callable(f):
    raise SystemExit("program.py defines no approx_sin(x)")
values = []
for x in points:
    y = f(x)
    values.append(y if isinstance(y, (int, float)) and not isinstance(y, bool) else repr(y))
out.write(json.dumps(values) + "\n")
out.flush()
"""

CHILD_SECONDS = 5
CHILD_MEMORY = 256 << 20


def sample_points(split):
    # Train and held-out points interleave but never coincide.
    n = 200
    offset = 0.0 if split == "train" else 0.5
    return [-math.pi + 2 * math.pi * (i + offset) / n for i in range(n)]


def make_undumpable():
    # The child runs as the same user; without this it could open
    # /proc/<our pid>/fd/<result fd> or ptrace us.
    PR_SET_DUMPABLE = 4
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def child_limits():
    resource.setrlimit(resource.RLIMIT_CPU, (CHILD_SECONDS, CHILD_SECONDS + 1))
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def report(result):
    line = json.dumps(result) + "\n"
    fd = os.environ.get("CRUCIBLE_RESULT_FD")
    if fd is not None:
        os.write(int(fd), line.encode())
    else:
        sys.stdout.write(line)


def run_candidate(candidate, points):
    """The candidate's answers, or (None, why) when it did not give them."""
    try:
        proc = subprocess.run(
            [sys.executable, "-I", "-c", CHILD, candidate],
            input=json.dumps(points), capture_output=True, text=True,
            timeout=CHILD_SECONDS * 2, preexec_fn=child_limits, close_fds=True,
            cwd=candidate)
    except subprocess.TimeoutExpired:
        return None, f"the program took longer than {CHILD_SECONDS * 2} s"
    tail = proc.stderr[-1500:]
    if proc.returncode != 0:
        return None, f"the program failed (exit status {proc.returncode})\n{tail}"
    lines = [l for l in proc.stdout.splitlines() if l.strip()]
    try:
        values = json.loads(lines[-1]) if lines else None
    except ValueError:
        values = None
    if not isinstance(values, list) or len(values) != len(points):
        return None, "the program did not answer every point\n" + tail
    return values, ""


def main():
    make_undumpable()
    candidate = sys.argv[1]
    points = sample_points(os.environ.get("CRUCIBLE_SPLIT", "train"))
    values, why = run_candidate(candidate, points)
    if values is None:
        report({"valid": False, "feedback": why})
        return
    squared = []
    worst_x, worst_err = 0.0, -1.0
    for x, y in zip(points, values):
        if isinstance(y, bool) or not isinstance(y, (int, float)) or not math.isfinite(y):
            report({"valid": False,
                    "feedback": f"approx_sin({x:.3f}) returned {y!r}, not a finite number"})
            return
        err = abs(y - math.sin(x))
        squared.append(err * err)
        if err > worst_err:
            worst_x, worst_err = x, err
    rmse = math.sqrt(sum(squared) / len(squared))
    report({
        "score": 1.0 / (1.0 + rmse),
        "valid": True,
        "metrics": {"rmse": rmse, "max_error": worst_err},
        "feedback": f"RMSE {rmse:.6f}; worst error {worst_err:.6f} at x = {worst_x:.3f}",
    })


if __name__ == "__main__":
    main()
