// The built-in problems: the one table of every `Problem` compiled into the
// crucible binary. A problem directory selects one with `evaluator: {builtin:
// NAME}`; crucible runs it as `crucible harness NAME CANDIDATE_DIR` inside the
// sandbox like any evaluator command (docs/evaluator-protocol.md).
#ifndef CRUCIBLE_PROBLEMS_REGISTRY_H_
#define CRUCIBLE_PROBLEMS_REGISTRY_H_

#include <string_view>
#include <vector>

#include "problems/problem.h"

namespace crucible {

// Every built-in problem, sorted by name; built once, never freed.
const std::vector<const Problem*>& BuiltinProblems();
// nullptr when no built-in problem is called `name`.
const Problem* FindBuiltinProblem(std::string_view name);

}  // namespace crucible

#endif  // CRUCIBLE_PROBLEMS_REGISTRY_H_
