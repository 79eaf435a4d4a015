#!/usr/bin/env python3
"""The table of bench/tuning_compare.sh: per problem, arm and seed, the best
train score, the held-out score of that program (the run's `heldout:<id>`
state), the tunings and their samples, and how many tuned children beat the
candidate they were tuned from. Reads each run.db read-only.

Usage: tuning_summary.py OUT_DIR
"""
import glob
import json
import os
import re
import sqlite3
import sys


def summarise(run_dir):
    db = sqlite3.connect(f"file:{run_dir}/run.db?mode=ro", uri=True)
    best = db.execute("SELECT id, score FROM candidates WHERE outcome = 'ok' AND score IS NOT NULL "
                      "ORDER BY score DESC, id LIMIT 1").fetchone()
    heldout, weibull, or3 = None, None, None
    if best:
        row = db.execute("SELECT value FROM state WHERE key = ?", (f"heldout:{best[0]}",)).fetchone()
        if row:
            heldout = json.loads(row[0]).get("score")
            # Bin packing's figure of the issue: excess over the bound on Weibull 5k.
            weibull = json.loads(row[0]).get("metrics", {}).get("excess_weibull_5k_pct")
            or3 = json.loads(row[0]).get("metrics", {}).get("excess_or3_pct")
    tunings, samples = db.execute("SELECT count(*), coalesce(sum(evaluations), 0) FROM tunings").fetchone()
    improved = db.execute(
        "SELECT count(*) FROM candidates c JOIN candidates p ON p.id = c.parent_id "
        "WHERE c.proposer = 'tune' AND c.outcome = 'ok' AND c.score > p.score").fetchone()[0]
    initial = db.execute("SELECT score FROM candidates WHERE id = 0").fetchone()
    db.close()
    return {"best_id": best[0] if best else None, "train": best[1] if best else None, "heldout": heldout,
            "weibull": weibull, "or3": or3,
            "tunings": tunings, "samples": samples, "improved": improved,
            "initial": initial[0] if initial else None}


def fmt(v):
    return "-" if v is None else f"{v:.4g}"


def main():
    out = sys.argv[1]
    runs = {}
    for d in sorted(glob.glob(os.path.join(out, "*-*-*"))):
        m = re.fullmatch(r"(.+)-(off|on)-(\d+)", os.path.basename(d))
        if not m or not os.path.exists(os.path.join(d, "run.db")):
            continue
        runs.setdefault(m.group(1), {}).setdefault(m.group(2), {})[int(m.group(3))] = summarise(d)
    print("| problem | seed | mutation alone: best train (#id), held-out | mutation + tuning: best train (#id), "
          "held-out | tunings (samples), improved |")
    print("| --- | --- | --- | --- | --- |")
    for problem, arms in runs.items():
        means = {"off": [], "on": []}
        for seed in sorted(set(arms.get("off", {})) | set(arms.get("on", {}))):
            cells = []
            for arm in ("off", "on"):
                s = arms.get(arm, {}).get(seed)
                if not s:
                    cells.append("-")
                    continue
                w = "" if s["weibull"] is None else f" (OR3 {s['or3']:.2f}%, Weibull 5k {s['weibull']:.2f}%)"
                cells.append(f"{fmt(s['train'])} (#{s['best_id']}), {fmt(s['heldout'])}{w}")
                if s["heldout"] is not None:
                    means[arm].append((s["train"], s["heldout"]))
            on = arms.get("on", {}).get(seed)
            tune = f"{on['tunings']} ({on['samples']}), {on['improved']}" if on else "-"
            print(f"| {problem} | {seed} | {cells[0]} | {cells[1]} | {tune} |")
        cells = []
        for arm in ("off", "on"):
            v = means[arm]
            cells.append("-" if not v else
                         f"**{sum(t for t, _ in v) / len(v):.4g}**, **{sum(h for _, h in v) / len(v):.4g}**")
        print(f"| {problem} | mean | {cells[0]} | {cells[1]} | |")


if __name__ == "__main__":
    main()
