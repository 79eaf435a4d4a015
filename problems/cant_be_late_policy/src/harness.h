// The cant_be_late_policy harness: `crucible harness cant_be_late_policy
// DIR`, a design-space problem (docs/search.md). The candidate is not a
// program but DIR/parameters.json, the values of a parameterised policy
// (policy.h); the harness runs cant_be_late's simulator on cant_be_late's
// train or held-out scenarios with that policy, in this process (the
// values are data, so nothing untrusted runs), and scores it as
// cant_be_late does.
#ifndef CRUCIBLE_PROBLEMS_CANT_BE_LATE_POLICY_HARNESS_H_
#define CRUCIBLE_PROBLEMS_CANT_BE_LATE_POLICY_HARNESS_H_

#include <memory>
#include <string>

#include "problems/problem.h"

namespace crucible::cblp {

// The report of `parameters_json` on a split: invalid (naming the
// parameter) when the values are outside the space.
StatusOr<HarnessReport> EvaluateParameters(const std::string& parameters_json,
                                           const std::string& split);

// The problem registered as "cant_be_late_policy" (src/problems/registry.cc).
std::unique_ptr<Problem> MakeProblem();

}  // namespace crucible::cblp

#endif  // CRUCIBLE_PROBLEMS_CANT_BE_LATE_POLICY_HARNESS_H_
