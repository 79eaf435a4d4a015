// The eplb harness: `crucible harness eplb CANDIDATE_DIR` (evaluator:
// {builtin: eplb} in problems/eplb/). Compiles the candidate's
// RebalanceExperts with the trusted driver and, for every window i but the
// last of each trace, runs it confined in a fresh process that receives
// window i only; the returned phy2log is validated (layers x slots entries,
// each a real expert, every expert replicated at least once per layer; the
// replica counts and slot lists are derived from it, never taken from the
// candidate) and scored on window i + 1 (problems/eplb/README.md).
//
// Score: B_gpu averaged over all (i, i + 1) pairs; B_exp as a metric. Time:
// the driver measures each RebalanceExperts call alone (no parsing, printing
// or scoring) on the monotonic clock, and its process CPU time (which this
// VM's kernel accounts only per 4 ms tick, so single values read 0 or ~4
// ms, but their mean over the calls is unbiased and, unlike wall time, not
// inflated by other processes); a mean CPU time above kTimeBudgetMsPerCall
// makes the candidate invalid. The time is reported, never mixed into the score.
#ifndef CRUCIBLE_PROBLEMS_EPLB_HARNESS_H_
#define CRUCIBLE_PROBLEMS_EPLB_HARNESS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "problems/eplb/eplb.h"
#include "problems/eplb/src/traces.h"
#include "problems/harness/compiled_candidate.h"
#include "problems/problem.h"

namespace crucible::eplb {

inline constexpr char kCandidateFile[] = "initial.cpp";
inline constexpr std::string_view kHeaderName = "eplb.h";
std::string_view HeaderSource();
std::string_view DriverSource();

// The fixed time budget per call (process CPU time of RebalanceExperts, mean
// over the split's calls). DeepSeek's greedy takes ~1 ms in C++, so the budget
// leaves room for machine load.
inline constexpr double kTimeBudgetMsPerCall = 50;

struct NamedTrace {
  std::string name;  // "train_s1", "heldout_s20251124", ...
  Problem shape;
  Trace trace;
};

// train: one trace of the spec's generator (seed 1, sigma 1.2, rho 0.95,
// spikes 5%). heldout: two traces from hidden seeds with other parameters
// (sigma 1.4, rho 0.9, spikes 10%, Poisson noise). 20 windows each.
StatusOr<std::vector<NamedTrace>> LoadSplit(const std::string& split);

CompileSpec EplbCompileSpec(std::string candidate_source, std::string cache_dir,
                            std::string work_dir);

struct EvaluateOptions {
  std::string cache_dir;
  std::string work_dir = ".";
  RunLimits limits;  // per call (per process)
  double time_budget_ms = kTimeBudgetMsPerCall;
};

// Metrics: b_gpu (= score), b_exp, b_gpu.<trace>, b_exp.<trace>,
// algo_ms_mean / algo_ms_max (wall per call), algo_cpu_ms_mean, calls, compile_ms, run_ms
// (wall, all processes); artifact per_window.csv.
HarnessReport EvaluateCandidate(const std::string& source, const std::vector<NamedTrace>& traces,
                                const EvaluateOptions& options);

// The problem registered as "eplb" (src/problems/registry.cc).
std::unique_ptr<crucible::Problem> MakeProblem();

}  // namespace crucible::eplb

#endif  // CRUCIBLE_PROBLEMS_EPLB_HARNESS_H_
