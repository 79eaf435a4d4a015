// A built-in problem: a problem directory (problems/NAME/) whose evaluator is
// compiled into crucible (`evaluator: {builtin: NAME}`). Every built-in problem
// is one implementation of `Problem`, in its own folder (problems/NAME/src/,
// docs/builtin-problems.md), registered in the one table of registry.cc.
//
// A Problem holds no mutable state: one instance serves every evaluation, from
// any thread.
#ifndef CRUCIBLE_PROBLEMS_PROBLEM_H_
#define CRUCIBLE_PROBLEMS_PROBLEM_H_

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "problems/harness/compiled_candidate.h"

namespace crucible {

// A value a shipped program reaches on a split, published by the problem's
// source (paper, original implementation) or measured when it was ported;
// docs/builtin-problems.md quotes the same numbers. ReferenceValuesTest
// evaluates each through Problem::Evaluate.
struct ReferenceValue {
  std::string_view program;  // relative to the problem directory: "initial.cpp"
  std::string_view split;    // "train" | "heldout"
  std::string_view metric;   // a key of HarnessReport::metrics, or "score"
  double value = 0;
  double tolerance = 0;     // |measured - value| <= tolerance
  std::string_view source;  // where the number comes from
};

class Problem {
 public:
  virtual ~Problem() = default;

  // The name of `evaluator: {builtin: NAME}` and `crucible harness NAME`.
  virtual std::string_view name() const = 0;
  // One line for `crucible` errors and listings.
  virtual std::string_view description() const = 0;
  // What the candidate implements: the header it includes, the trusted driver
  // it is linked with, its file name, the headers precompiled for it.
  virtual CandidateApi candidate_api() const = 0;
  // The splits Evaluate accepts (CRUCIBLE_SPLIT).
  virtual std::vector<std::string_view> splits() const { return {"train", "heldout"}; }
  // The problem directory's subdirectory this problem runs from (relative to
  // problems/; "circle_packing/square_26"), where the reference programs are.
  virtual std::string_view directory() const = 0;

  // Evaluates one candidate's source under the protocol environment `env`
  // (split, seed, problem and cache directories). A failing candidate is a
  // report (outcome, valid=false); a Status error means the harness itself
  // could not run (unknown split, data missing): crucible's evaluator_error.
  virtual StatusOr<HarnessReport> Evaluate(const HarnessEnv& env,
                                           const std::string& source) const = 0;

  virtual std::vector<ReferenceValue> reference_values() const = 0;
};

// `crucible harness NAME CANDIDATE_DIR`: reads the protocol environment and
// the candidate file, evaluates it with `problem` and prints the protocol
// JSON; the process exit status (RunCompiledHarness).
int RunProblemHarness(const Problem& problem, const std::string& candidate_dir);

}  // namespace crucible

#endif  // CRUCIBLE_PROBLEMS_PROBLEM_H_
