// The cloudcast harness: `crucible harness cloudcast CANDIDATE_DIR`
// (evaluator: {builtin: cloudcast} in problems/cloudcast/). Compiles the
// candidate's SearchAlgorithm with the trusted driver, runs it confined on
// the split's broadcast configs, validates every returned path against its
// own graph and the config's own source and destinations, and computes every
// cost with its own tables (problems/cloudcast/README.md).
#ifndef CRUCIBLE_PROBLEMS_CLOUDCAST_HARNESS_H_
#define CRUCIBLE_PROBLEMS_CLOUDCAST_HARNESS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "problems/cloudcast/src/data.h"
#include "problems/harness/compiled_candidate.h"
#include "problems/problem.h"

namespace crucible::cloudcast {

inline constexpr char kCandidateFile[] = "initial.cpp";
inline constexpr std::string_view kHeaderName = "cloudcast.h";
// cloudcast.h and driver.cpp (protocol in driver.cpp).
std::string_view HeaderSource();
std::string_view DriverSource();

CompileSpec CloudcastCompileSpec(std::string candidate_source, std::string cache_dir,
                                 std::string work_dir);

struct EvaluateOptions {
  uint64_t seed = 0;  // CRUCIBLE_SEED; config k gets DeriveSeed(seed, k)
  std::string cache_dir;
  std::string work_dir = ".";
  RunLimits limits;
};

// The driver's input for `data` (graph with round-trip doubles, configs).
std::string EncodeInput(const ProblemData& data, uint64_t seed);

// Scores a run's output: validates every topology and simulates it.
// score = -(total cost in $); metrics cost.<config>, time.<config>,
// egress.<config>, total_cost, total_time, lb_score.
HarnessReport ScoreOutput(const ProblemData& data, const RunOutput& run);

// Compiles, runs and scores one candidate.
HarnessReport EvaluateCandidate(const std::string& source, const ProblemData& data,
                                const EvaluateOptions& options);

// The problem registered as "cloudcast" (src/problems/registry.cc).
std::unique_ptr<Problem> MakeProblem();

}  // namespace crucible::cloudcast

#endif  // CRUCIBLE_PROBLEMS_CLOUDCAST_HARNESS_H_
