// The cant_be_late harness: `crucible harness cant_be_late CANDIDATE_DIR`
// (evaluator: {builtin: cant_be_late} in problems/cant_be_late/). Compiles the
// candidate's policy (cant_be_late.h) with the trusted driver, runs it
// confined in its own process and simulates every scenario of the split
// here, in lockstep: each round the harness sends the observations of one
// tick of every running scenario in one message and reads one decision per
// scenario back. The policy process never holds a trace, a simulator or a
// progress counter (problems/cant_be_late/README.md).
//
// Lockstep is by absolute time: a scenario whose window starts at base tick
// s is at its tick t = a - s in round a. So even a candidate pooling
// information across scenarios (globals) only learns spot availability at or
// before the current instant of the base trace, never ahead of it.
#ifndef CRUCIBLE_PROBLEMS_CANT_BE_LATE_HARNESS_H_
#define CRUCIBLE_PROBLEMS_CANT_BE_LATE_HARNESS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "problems/cant_be_late/src/simulator.h"
#include "problems/cant_be_late/src/traces.h"
#include "problems/harness/compiled_candidate.h"
#include "problems/problem.h"

namespace crucible::cbl {

inline constexpr char kCandidateFile[] = "initial.cpp";
inline constexpr std::string_view kHeaderName = "cant_be_late.h";
std::string_view HeaderSource();
std::string_view DriverSource();

CompileSpec CblCompileSpec(std::string candidate_source, std::string cache_dir,
                           std::string work_dir);

struct EvaluateOptions {
  SimOptions sim;  // scoring mode by default; parity for reproducing the papers' grids
  std::string cache_dir;
  std::string work_dir = ".";
  RunLimits limits;
};

// Per-scenario outcome of a lockstep run.
struct LockstepResult {
  std::vector<RunResult> runs;  // in scenario order
  int64_t rounds = 0;           // messages exchanged
  int64_t decisions = 0;        // policy calls
};

// Simulates `scenarios` on `traces` with decisions from `decide`, which gets
// one round's observations (scenario index, observation) and must fill one
// decision per observation; returning false aborts (the candidate failed).
// Invalid decision values (not 0..2) abort with *error naming the scenario.
using DecideBatch = std::function<bool(
    const std::vector<uint32_t>& begin_ids, const std::vector<uint32_t>& end_ids,
    const std::vector<std::pair<uint32_t, Observation>>& obs, std::vector<uint8_t>* decisions)>;
bool SimulateLockstep(const TraceSet& traces, const std::vector<Scenario>& scenarios,
                      const SimOptions& options, const DecideBatch& decide, LockstepResult* result,
                      std::string* error);

// The report of a finished lockstep run: score, metrics, feature and
// feedback as EvaluateCandidate's (invalid when a scenario missed its
// deadline under options.enforce_deadline, or ran past the trace). Also
// used by cant_be_late_policy, the design-space form of this problem.
HarnessReport ScoreLockstep(const std::vector<Scenario>& scenarios, const LockstepResult& lr,
                            const SimOptions& sim, const TraceSet& traces);

// Compiles, runs and scores one candidate on `scenarios`. Valid only when no
// scenario misses its deadline; score = the leaderboard's normalised score
// of the mean cost (unrounded, unclipped; higher is better); metrics hold the
// mean cost, its tail and per-environment / per-deadline means.
HarnessReport EvaluateCandidate(const std::string& source, const std::vector<Scenario>& scenarios,
                                const EvaluateOptions& options);

// The problem registered as "cant_be_late" (src/problems/registry.cc).
std::unique_ptr<Problem> MakeProblem();

}  // namespace crucible::cbl

#endif  // CRUCIBLE_PROBLEMS_CANT_BE_LATE_HARNESS_H_
