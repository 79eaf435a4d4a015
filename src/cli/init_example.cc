#include "cli/init_example.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>

namespace crucible {
namespace {

namespace fs = std::filesystem;

constexpr char kProblemYaml[] = R"YAML(# A crucible problem: what to evolve, how to score it (docs/problem-format.md).
name: sine_approx
description: Approximate sin(x) on [-pi, pi] with cheap arithmetic.

# The files to evolve; only their EVOLVE-BLOCK regions change.
files: [program.py]

evaluator:
  # Run as: python3 evaluate.py CANDIDATE_DIR, inside the sandbox.
  command: python3 evaluate.py
  timeout: 10          # seconds per evaluation; the whole process tree is killed after
  memory_mb: 512
  heldout: true        # score the best program on the held-out split at the end
  # Cascade: a cheap stage first, the full one only if it passes.
  # stages:
  #   - {name: quick, threshold: 0.5}
  #   - {name: full}

objective:
  key: score           # or any metric the evaluator reports
  direction: maximize

archive:
  islands: 4
  migration_interval: 40

features:              # MAP-Elites dimensions
  - {name: code_length, bins: 8}

budget:
  evaluations: 200
)YAML";

constexpr char kProgram[] = R"PY(# The program crucible evolves. Only the code between the EVOLVE-BLOCK
# markers changes; everything else stays byte for byte.
import math


# EVOLVE-BLOCK-START
def approx_sin(x):
    """Approximates sin(x) for x in [-pi, pi] without calling math.sin."""
    return 0.8 * x - 0.1 * x * x * x
# EVOLVE-BLOCK-END


if __name__ == "__main__":
    for x in (-3.0, -1.0, 0.0, 1.0, 3.0):
        print(f"{x:5.1f} {approx_sin(x):9.5f} {math.sin(x):9.5f}")
)PY";

constexpr char kEvaluator[] = R"PY(#!/usr/bin/env python3
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
)PY";

constexpr char kPrompt[] = R"MD(# Approximate sin(x)

Improve `approx_sin(x)` in `program.py` so that it is as close as possible to
sin(x) for x in [-pi, pi], without calling `math.sin` or `math.cos`.

The score is 1 / (1 + RMSE) over 200 sample points (higher is better; 1 is a
perfect approximation). The feedback names the worst point.
)MD";

Status WriteFile(const fs::path& path, const char* text, bool executable) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) return InternalError(fmt::format("cannot write {}", path.string()));
  if (executable) {
    std::error_code ec;
    fs::permissions(path, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                    fs::perm_options::add, ec);
  }
  return Status::Ok();
}

}  // namespace

Status WriteExampleProblem(const std::string& dir) {
  const fs::path d = dir;
  if (fs::exists(d) && !(fs::is_directory(d) && fs::is_empty(d))) {
    return AlreadyExistsError(fmt::format("{} already exists and is not empty", dir));
  }
  std::error_code ec;
  fs::create_directories(d, ec);
  if (ec) return InternalError(fmt::format("cannot create {}: {}", dir, ec.message()));
  RETURN_IF_ERROR(WriteFile(d / "problem.yaml", kProblemYaml, false));
  RETURN_IF_ERROR(WriteFile(d / "program.py", kProgram, false));
  RETURN_IF_ERROR(WriteFile(d / "evaluate.py", kEvaluator, true));
  RETURN_IF_ERROR(WriteFile(d / "prompt.md", kPrompt, false));
  return Status::Ok();
}

}  // namespace crucible
