#!/usr/bin/env python3
"""The Slurm executor's own overhead per candidate, against the local executor.

Usage: bench/slurm_overhead.py PATH_TO_CRUCIBLE [-n N] [--jobs J ...] [--poll S ...]

Runs the example problem (`crucible init`; its evaluator takes ~0.1 s) for N
children with the local executor and with `--executor slurm` on a one-node
cluster on 127.0.0.1 (scripts/slurm-local.sh, started on free ports and
stopped afterwards; or the cluster of $SLURM_CONF if set), in deterministic
mode, and prints a Markdown table: wall seconds per child and the difference,
which is what Slurm costs per candidate (sbatch, scheduling, job start,
`crucible eval-job` start-up, polling). It also checks that both runs gave
the same candidates and scores.
"""
import argparse
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

SOURCE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SLURM_LOCAL = os.path.join(SOURCE, "scripts", "slurm-local.sh")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scores(run_dir):
    db = sqlite3.connect(f"file:{run_dir}/run.db?mode=ro", uri=True)
    r = db.execute("SELECT id, outcome, score FROM candidates ORDER BY id").fetchall()
    db.close()
    return r


def timed_run(crucible, problem, out, n, jobs, env, executor):
    args = [crucible, "run", problem, "--out", out, "-n", str(n), "-j", str(jobs), "--seed", "1",
            "--deterministic", "--quiet", "--executor", executor]
    t0 = time.monotonic()
    subprocess.run(args, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("crucible")
    ap.add_argument("-n", type=int, default=20)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 4])
    ap.add_argument("--poll", type=float, nargs="+", default=[0.1, 1.0])
    a = ap.parse_args()
    crucible = os.path.abspath(a.crucible)
    env = dict(os.environ, PATH="/usr/bin:/bin:" + os.environ.get("PATH", ""))
    cluster = None
    if not env.get("SLURM_CONF"):
        cluster = tempfile.mkdtemp(prefix="crucible-bench-slurm-")
        p = subprocess.run([SLURM_LOCAL, "start", cluster], capture_output=True, text=True,
                           env=dict(env, SLURM_LOCAL_CTLD_PORT=str(free_port()),
                                    SLURM_LOCAL_SLURMD_PORT=str(free_port())))
        if p.returncode != 0:
            sys.exit(f"cannot start the local cluster: {p.stderr.strip()}")
        env["SLURM_CONF"] = os.path.join(cluster, "slurm.conf")
    tmp = tempfile.mkdtemp(prefix="crucible-bench-")
    try:
        problem = os.path.join(tmp, "problem")
        subprocess.run([crucible, "init", problem], check=True, env=env, stdout=subprocess.DEVNULL)
        yaml = os.path.join(problem, "problem.yaml")
        base = open(yaml).read().replace("heldout: true", "heldout: false")
        # sbatch latency alone, for the breakdown.
        sb = []
        for _ in range(5):
            t0 = time.monotonic()
            jid = subprocess.run(["sbatch", "--parsable", "--output=/dev/null", "--wrap", "true"],
                                 check=True, env=env, capture_output=True, text=True).stdout.strip()
            sb.append(time.monotonic() - t0)
            subprocess.run(["scancel", jid], env=env, capture_output=True)
        print(f"sbatch call: median {statistics.median(sb) * 1000:.0f} ms over {len(sb)}\n")
        print(f"N = {a.n} children of the example problem, deterministic, seed 1\n")
        print("| jobs | poll (s) | local s/child | slurm s/child | overhead s/child | same results |")
        print("| ---: | ---: | ---: | ---: | ---: | --- |")
        for jobs in a.jobs:
            local_dir = os.path.join(tmp, f"local-{jobs}")
            with open(yaml, "w") as f:
                f.write(base)
            t_local = timed_run(crucible, problem, local_dir, a.n, jobs, env, "local")
            for poll in a.poll:
                with open(yaml, "w") as f:
                    f.write(base + f"\nslurm:\n  poll_interval: {poll}\n  memory_mb: 1024\n")
                slurm_dir = os.path.join(tmp, f"slurm-{jobs}-{poll}")
                t_slurm = timed_run(crucible, problem, slurm_dir, a.n, jobs, env, "slurm")
                same = scores(local_dir) == scores(slurm_dir)
                print(f"| {jobs} | {poll:g} | {t_local / a.n:.3f} | {t_slurm / a.n:.3f} | "
                      f"{(t_slurm - t_local) / a.n:.3f} | {'yes' if same else 'NO'} |")
                sys.stdout.flush()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if cluster:
            subprocess.run([SLURM_LOCAL, "stop", cluster], capture_output=True)
            shutil.rmtree(cluster, ignore_errors=True)


if __name__ == "__main__":
    main()
