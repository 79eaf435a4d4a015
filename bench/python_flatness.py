#!/usr/bin/env python3
"""Is crucible's CPU per candidate flat to 10^5 candidates (warm Python evaluator)?

    bench/python_flatness.py --crucible build/ci/crucible [--candidates 100000]
        [--jobs 2] [--checkpoints 1000,10000,100000] [--time-limit SECONDS]

One `crucible run` of a trivial OpenEvolve-format task (the `trivial` task
of bench/openevolve_compare.py: the evaluator imports the candidate and
scores one constant) with the built-in mutation proposer and warm Python
workers (the default), up to --candidates. While it runs, the script samples
once a second

  * the CPU of everything crucible started: crucible runs in a cgroup of
    the cgroup-v1 cpuacct hierarchy made for this benchmark
    (/sys/fs/cgroup/cpuacct/crucible-bench-PID; crucible's sandboxes do not
    move processes in that hierarchy), whose cpuacct.usage counts every
    process that ever ran in it, dead or alive: crucible, its warm workers,
    their sandboxes and every candidate's forked child. Where that cgroup
    cannot be made (no cpuacct hierarchy, no permission) it falls back to
    the live process tree (/proc/PID/stat, own + reaped children), which
    misses the CPU of workers that ended (see below);
  * how many candidates the run has finished, from RUN/run.db (read-only),
    split into evaluated ones and duplicates (a duplicate's result is
    reused, nothing runs).

At each checkpoint it prints the CPU per candidate over the window since the
previous checkpoint (the marginal cost: flat means these agree), and the
cumulative CPU / candidates (start-up included). The load average is
printed with every row: the machine is shared, and the figures are only
comparable within one run. With --time-limit the run is stopped there and
the table ends at the last checkpoint reached, plus the partial window.

Why not the finished process's rusage (what session 4's
bench/openevolve_compare.py read): the CPU of crucible's warm workers and of
the candidates they reaped does not reach crucible's own rusage when a
worker ends (retired after 2000 candidates, or torn down at the end of the
run): measured, a 300-candidate run whose live tree had used 4 s of CPU
reported 0.6 s to wait4. Where the CPU goes is not established (see
notes/session5/py2.md). The run's budget is set 5% past the last checkpoint
and the run is stopped once it is passed, so no sample is taken during
shutdown.
"""

CPUACCT = "/sys/fs/cgroup/cpuacct"


class CpuMeter:
    """CPU seconds used by a process and everything it started: a cpuacct
    cgroup of its own when one can be made, else its live process tree."""

    def __init__(self):
        self.group = os.path.join(CPUACCT, f"crucible-bench-{os.getpid()}")
        try:
            os.mkdir(self.group)
            self.kind = "cpuacct cgroup"
        except OSError:
            self.group, self.kind = None, "live process tree (misses ended workers)"
        self.pid = None

    def preexec(self):
        """In the child before exec: join the cgroup."""
        if self.group:
            with open(os.path.join(self.group, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))

    def seconds(self):
        if self.group:
            with open(os.path.join(self.group, "cpuacct.usage")) as f:
                return int(f.read()) / 1e9
        return tree_cpu(self.pid)

    def close(self):
        if not self.group:
            return
        # crucible's sandboxes leave their (empty) base directory here.
        for root, dirs, _ in os.walk(self.group, topdown=False):
            for d in dirs:
                try:
                    os.rmdir(os.path.join(root, d))
                except OSError:
                    pass
        try:
            os.rmdir(self.group)
        except OSError:
            pass


import argparse
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from openevolve_compare import TASKS  # noqa: E402  (the same trivial task)

TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu(root_pid):
    """CPU seconds of root_pid's live tree, reaped children included."""
    parent, cpu = {}, {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2:].split()
        # fields[0] is the state (stat field 3): ppid is field 4, utime 14.
        parent[int(name)] = int(fields[1])
        cpu[int(name)] = sum(int(x) for x in fields[11:15]) / TICKS
    total, frontier, seen = 0.0, {root_pid}, set()
    while frontier:
        seen |= frontier
        total += sum(cpu.get(p, 0.0) for p in frontier)
        frontier = {p for p, pp in parent.items() if pp in frontier and p not in seen}
    return total


def finished(db_path):
    """(evaluated, duplicates) finished so far; (0, 0) before run.db exists."""
    if not os.path.exists(db_path):
        return 0, 0
    try:
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
        try:
            rows = db.execute("SELECT outcome = 'duplicate', COUNT(*) FROM candidate_records "
                              "WHERE outcome IS NOT NULL GROUP BY 1").fetchall()
        finally:
            db.close()
    except sqlite3.Error:
        return None
    counts = dict(rows)
    return counts.get(0, 0), counts.get(1, 0)


def write_task(root):
    program, evaluator = TASKS["trivial"]
    d = os.path.join(root, "trivial")
    os.makedirs(d)
    with open(os.path.join(d, "initial_program.py"), "w") as f:
        f.write(program)
    with open(os.path.join(d, "evaluator.py"), "w") as f:
        f.write(evaluator)
    return d


def row(label, n0, n1, c0, c1, t0, t1, cum_n, cum_cpu, dup):
    n = n1 - n0
    print(f"{label:>12} {n1:>9d} {dup:>6d} {1000 * (c1 - c0) / max(n, 1):>12.2f} "
          f"{1000 * (t1 - t0) / max(n, 1):>13.2f} {1000 * cum_cpu / max(cum_n, 1):>11.2f} "
          f"{os.getloadavg()[0]:>6.2f}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--crucible", required=True)
    ap.add_argument("--candidates", type=int, default=100000)
    ap.add_argument("--checkpoints", default="1000,10000,100000")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--time-limit", type=float, default=0, help="seconds; 0: none")
    args = ap.parse_args()
    checkpoints = [int(x) for x in args.checkpoints.split(",") if int(x) <= args.candidates]
    if not checkpoints or checkpoints[-1] != args.candidates:
        checkpoints.append(args.candidates)
    budget = int(args.candidates * 1.05) + 100  # the last checkpoint is passed mid-run
    root = tempfile.mkdtemp(prefix="crucible-flat-bench-")
    task, out = write_task(root), os.path.join(root, "run")
    env = dict(os.environ, PATH="/usr/bin:/bin:" + os.environ.get("PATH", ""))
    meter = CpuMeter()
    print(f"# {time.strftime('%Y-%m-%d %H:%M:%S')} nproc={os.cpu_count()} jobs={args.jobs} "
          f"candidates={args.candidates} (crucible run, --proposer mutate, warm workers); "
          f"CPU from the {meter.kind}")
    print(f"{'window to':>12} {'finished':>9} {'dups':>6} {'CPU ms/cand':>12} "
          f"{'wall ms/cand':>13} {'cum CPU ms':>11} {'load1':>6}")
    err = open(os.path.join(root, "stderr.txt"), "w+b")
    start = time.monotonic()
    p = subprocess.Popen([os.path.abspath(args.crucible), "run", task, "--proposer", "mutate",
                          "-n", str(budget), "-j", str(args.jobs), "--out", out, "-q"],
                         stdout=subprocess.DEVNULL, stderr=err, env=env,
                         preexec_fn=meter.preexec)
    meter.pid = p.pid
    last = (0, 0.0, start)  # finished, CPU, time at the previous checkpoint
    sample = last
    dup = 0
    try:
        while p.poll() is None:
            time.sleep(1)
            cpu = meter.seconds()
            counts = finished(os.path.join(out, "run.db"))
            if counts is None:
                continue
            evaluated, dup = counts
            n, now = evaluated + dup, time.monotonic()
            sample = (n, cpu, now)
            while checkpoints and n >= checkpoints[0]:
                row(f"{last[0]}-{checkpoints[0]}", last[0], n, last[1], cpu, last[2], now,
                    n, cpu, dup)
                last = sample
                checkpoints.pop(0)
            if not checkpoints:
                p.send_signal(signal.SIGINT)
                p.wait(timeout=300)
                break
            if args.time_limit and now - start > args.time_limit:
                p.send_signal(signal.SIGINT)
                p.wait(timeout=120)
                print(f"# stopped by --time-limit after {now - start:.0f} s", flush=True)
                break
        if p.returncode not in (0, 130, -signal.SIGINT):
            err.seek(0)
            sys.stderr.write(err.read().decode(errors="replace")[-3000:])
        if checkpoints and sample[0] > last[0]:
            row(f"{last[0]}-{sample[0]}", last[0], sample[0], last[1], sample[1], last[2],
                sample[2], sample[0], sample[1], dup)
        print(f"# finished {sample[0]} candidates ({dup} duplicates) in "
              f"{time.monotonic() - start:.0f} s; {time.strftime('%H:%M:%S')}", flush=True)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        time.sleep(1)
        meter.close()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
