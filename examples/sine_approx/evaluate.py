#!/usr/bin/env python3
"""Evaluator for the example problem (crucible evaluator protocol v1).

Usage: evaluate.py CANDIDATE_DIR
Prints one JSON object on the last line of stdout:
  {"score": ..., "valid": ..., "metrics": {...}, "feedback": "..."}
CRUCIBLE_SPLIT selects the sample points: "train" during evolution,
"heldout" for the final check of the best program.
"""
import json
import math
import os
import runpy
import sys


def sample_points(split):
    # Train and held-out points interleave but never coincide.
    n = 200
    offset = 0.0 if split == "train" else 0.5
    return [-math.pi + 2 * math.pi * (i + offset) / n for i in range(n)]


def main():
    candidate = sys.argv[1]
    split = os.environ.get("CRUCIBLE_SPLIT", "train")
    # The candidate runs inside crucible's sandbox together with this script;
    # an exception here becomes a runtime_error with the traceback as feedback.
    module = runpy.run_path(os.path.join(candidate, "program.py"))
    approx_sin = module.get("approx_sin")
    if not callable(approx_sin):
        print(json.dumps({"valid": False, "feedback": "program.py defines no approx_sin(x)"}))
        return
    squared = []
    worst_x, worst_err = 0.0, -1.0
    for x in sample_points(split):
        y = approx_sin(x)
        if isinstance(y, bool) or not isinstance(y, (int, float)) or not math.isfinite(y):
            print(json.dumps({"valid": False,
                              "feedback": f"approx_sin({x:.3f}) returned {y!r}, not a finite number"}))
            return
        err = abs(y - math.sin(x))
        squared.append(err * err)
        if err > worst_err:
            worst_x, worst_err = x, err
    rmse = math.sqrt(sum(squared) / len(squared))
    print(json.dumps({
        "score": 1.0 / (1.0 + rmse),
        "valid": True,
        "metrics": {"rmse": rmse, "max_error": worst_err},
        "feedback": f"RMSE {rmse:.6f}; worst error {worst_err:.6f} at x = {worst_x:.3f}",
    }))


if __name__ == "__main__":
    main()
