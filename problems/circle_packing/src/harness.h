// The circle_packing harnesses: `crucible harness circle_packing_square_26`
// (and _square_32, _rect_21) run the candidate's PackCircles, confined, and
// judge the disks with the strict validator (validator.h): tolerance 0, the
// sum of radii recomputed here (problems/circle_packing/README.md).
//
// Splits. A construction problem has no data, so the split is about the
// seed: train runs PackCircles once with the evaluation's seed; heldout runs
// it with three fixed seeds never used in training and scores the worst of
// the three, so a program that only works for a lucky seed does not pass.
#ifndef CRUCIBLE_PROBLEMS_CIRCLE_PACKING_HARNESS_H_
#define CRUCIBLE_PROBLEMS_CIRCLE_PACKING_HARNESS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "problems/circle_packing/src/validator.h"
#include "problems/harness/compiled_candidate.h"
#include "problems/problem.h"

namespace crucible::circles {

inline constexpr char kCandidateFile[] = "initial.cpp";
inline constexpr std::string_view kHeaderName = "circle_packing.h";
// circle_packing.h and driver.cpp (protocol in driver.cpp).
std::string_view HeaderSource();
std::string_view DriverSource();

inline constexpr uint64_t kHeldoutSeeds[] = {1000003, 1000033, 1000037};

CompileSpec CirclesCompileSpec(std::string candidate_source, std::string cache_dir,
                               std::string work_dir);

struct EvaluateOptions {
  std::vector<uint64_t> seeds;  // one PackCircles call per seed
  std::string cache_dir;
  std::string work_dir = ".";
  RunLimits limits;
};

// Compiles, runs and validates one candidate on `instance`: score = the
// smallest sum of radii over the seeds; invalid if any call's disks fail.
HarnessReport EvaluateCandidate(const std::string& source, const PackingInstance& instance,
                                const EvaluateOptions& options);

// The problem of one instance ("square_26", "square_32", "rect_21"),
// registered as "circle_packing_<instance>" (src/problems/registry.cc);
// nullptr for another name.
std::unique_ptr<Problem> MakeProblem(std::string_view instance);

}  // namespace crucible::circles

#endif  // CRUCIBLE_PROBLEMS_CIRCLE_PACKING_HARNESS_H_
