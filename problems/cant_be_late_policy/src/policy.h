// A parameterised Can't-Be-Late policy: the design space of the
// cant_be_late_policy problem (problems/cant_be_late_policy/README.md). Its
// defaults are exactly the greedy seed of cant_be_late (initial.cpp there);
// other values give deadline margins, hysteresis back to spot and a
// Uniform-Progress-like idle rule.
#ifndef CRUCIBLE_PROBLEMS_CANT_BE_LATE_POLICY_POLICY_H_
#define CRUCIBLE_PROBLEMS_CANT_BE_LATE_POLICY_POLICY_H_

#include <string>

#include "core/status.h"
#include "problems/cant_be_late/src/simulator.h"
#include "search/parameter_space.h"

namespace crucible::cblp {

enum class IdleRule { kWait, kUniformProgress, kOnDemand };

struct PolicyParams {
  int commit_restarts = 1;            // restart overheads reserved before committing to on-demand
  int caution_restarts = 1;           // more overheads: the zone where only a running spot stays
  double commit_margin_hours = 0.01;  // extra slack kept before committing (whole ticks of it)
  double switch_back_hours = 0;       // on on-demand, go back to spot only with more slack than this
  IdleRule idle = IdleRule::kWait;    // no spot and slack left: wait, follow the progress line, or run on-demand
  double pace = 1;                    // uniform progress: be done by pace * deadline
};

// The declared space (the same as problem.yaml's `parameters:`, which a
// test checks), and the values of a candidate's parameters.json in it.
const ParameterSpace& PolicySpace();
// InvalidArgument naming the parameter for anything outside the space.
StatusOr<PolicyParams> ParsePolicyParams(const std::string& json_text);

// Stateless: Step depends on the observation and the parameters only.
class ParamPolicy : public ::cbl::Policy {
 public:
  explicit ParamPolicy(const PolicyParams& p) : p_(p) {}
  ::cbl::ClusterType Step(const ::cbl::Observation& o) override;

 private:
  PolicyParams p_;
};

}  // namespace crucible::cblp

#endif  // CRUCIBLE_PROBLEMS_CANT_BE_LATE_POLICY_POLICY_H_
