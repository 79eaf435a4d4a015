// The txn_scheduling harness: `crucible harness txn_scheduling CANDIDATE_DIR`
// (evaluator: {builtin: txn_scheduling} in problems/txn_scheduling/). Compiles
// the candidate's ScheduleTransactions with the trusted driver, runs it
// confined on the split's workloads, checks that every schedule is an exact
// permutation and recomputes every makespan itself
// (problems/txn_scheduling/README.md).
#ifndef CRUCIBLE_PROBLEMS_TXN_SCHEDULING_HARNESS_H_
#define CRUCIBLE_PROBLEMS_TXN_SCHEDULING_HARNESS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "problems/harness/compiled_candidate.h"
#include "problems/problem.h"
#include "problems/txn_scheduling/txn_scheduling.h"

namespace crucible::txn {

// The evolved file, relative to the problem (and candidate) directory.
inline constexpr char kCandidateFile[] = "initial.cpp";
inline constexpr std::string_view kHeaderName = "txn_scheduling.h";
// txn_scheduling.h and driver.cpp (protocol in driver.cpp).
std::string_view HeaderSource();
std::string_view DriverSource();

// The held-out workloads are generated from these seeds: one workload of each
// shape per seed, the same for every candidate of every run.
inline constexpr uint64_t kHeldoutSeeds[] = {20251006, 20251007};

struct NamedWorkload {
  std::string name;  // "workload_1", "heldout_hot_cold_20251006", ...
  std::string text;  // the data-file text (sent to the driver)
  Workload workload;
};

// train: data/workload_{1,2,3}.txt of `problem_dir` (the published problem);
// heldout: 6 generated workloads (3 shapes x kHeldoutSeeds).
StatusOr<std::vector<NamedWorkload>> LoadSplit(const std::string& split,
                                               const std::string& problem_dir);

CompileSpec TxnCompileSpec(std::string candidate_source, std::string cache_dir,
                           std::string work_dir);

struct EvaluateOptions {
  uint64_t seed = 0;  // CRUCIBLE_SEED; workload k gets DeriveSeed(seed, k)
  std::string cache_dir;
  std::string work_dir = ".";
  RunLimits limits;
};

// Compiles, runs and scores one candidate: score = -(sum of makespans);
// metrics per workload (makespan and the sequential order's makespan).
HarnessReport EvaluateCandidate(const std::string& source,
                                const std::vector<NamedWorkload>& workloads,
                                const EvaluateOptions& options);

// The problem registered as "txn_scheduling" (src/problems/registry.cc).
std::unique_ptr<Problem> MakeProblem();

}  // namespace crucible::txn

#endif  // CRUCIBLE_PROBLEMS_TXN_SCHEDULING_HARNESS_H_
