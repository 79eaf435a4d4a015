// The bin_packing harness: `crucible harness bin_packing CANDIDATE_DIR`
// (evaluator: {builtin: bin_packing} in problems/bin_packing/problem.yaml).
// Compiles the candidate's priority function with the trusted driver, runs it
// confined on the split's instances, checks every packing and computes the
// excess itself (problems/bin_packing/README.md).
#ifndef CRUCIBLE_PROBLEMS_BIN_PACKING_HARNESS_H_
#define CRUCIBLE_PROBLEMS_BIN_PACKING_HARNESS_H_

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "problems/bin_packing/src/simulator.h"
#include "problems/harness/compiled_candidate.h"
#include "problems/problem.h"

namespace crucible::bin_packing {

// The evolved file, relative to the problem (and candidate) directory.
inline constexpr char kCandidateFile[] = "initial.cpp";

// The training split is generated from this fixed seed, so every candidate of
// every run is compared on the same instances.
inline constexpr uint64_t kTrainSeed = 20240101;

// train: 10 OR-like instances of 500 items and 5 Weibull instances of 2,000
// items, generated; heldout: OR3 and Weibull 5k from PROBLEM_DIR/data.
StatusOr<std::vector<Dataset>> LoadSplit(const std::string& split, const std::string& problem_dir);

CompileSpec BinPackingCompileSpec(std::string candidate_source, std::string cache_dir,
                                  std::string work_dir);

// The driver's input for these datasets.
std::string EncodeInput(const std::vector<Dataset>& datasets, BinArray array);

struct EvaluateOptions {
  BinArray array = BinArray::kReference;
  std::string cache_dir;  // compiled binaries
  std::string work_dir = ".";
  RunLimits limits;
};

// Compiles, runs and scores one candidate: score = -excess_pct (the mean of
// the datasets' excesses); metrics per dataset and per instance.
HarnessReport EvaluateCandidate(const std::string& source, const std::vector<Dataset>& datasets,
                                const EvaluateOptions& options);

// The problems registered as "bin_packing" (kReference) and
// "bin_packing_fast" (kFast) in src/problems/registry.cc.
std::unique_ptr<Problem> MakeProblem(BinArray array);

}  // namespace crucible::bin_packing

#endif  // CRUCIBLE_PROBLEMS_BIN_PACKING_HARNESS_H_
