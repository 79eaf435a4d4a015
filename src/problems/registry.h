// The built-in evaluators: harnesses compiled into the crucible binary, run as
// `crucible harness NAME CANDIDATE_DIR` inside the sandbox like any
// evaluator command (docs/evaluator-protocol.md). A problem directory selects
// one with `evaluator: {builtin: NAME}`.
#ifndef CRUCIBLE_PROBLEMS_REGISTRY_H_
#define CRUCIBLE_PROBLEMS_REGISTRY_H_

#include <string>
#include <string_view>
#include <vector>

namespace crucible {

// A harness evaluates the candidate in `candidate_dir` (the evaluator
// protocol's environment variables are set) and prints the protocol JSON on
// stdout; it returns the process exit status.
using HarnessFn = int (*)(const std::string& candidate_dir);

struct BuiltinHarness {
  std::string_view name;
  std::string_view description;
  HarnessFn run;
};

// Every built-in harness, sorted by name.
const std::vector<BuiltinHarness>& BuiltinHarnesses();
const BuiltinHarness* FindBuiltinHarness(std::string_view name);

}  // namespace crucible

#endif  // CRUCIBLE_PROBLEMS_REGISTRY_H_
