#include "problems/cant_be_late_policy/src/policy.h"

#include <algorithm>
#include <cmath>

namespace crucible::cblp {
namespace {

Parameter Num(const char* name, ParameterKind kind, double low, double high, double def,
              bool log = false) {
  Parameter p;
  p.name = name;
  p.kind = kind;
  p.low = low;
  p.high = high;
  p.log = log;
  p.default_value = ParameterValue();
  p.default_value->number = def;
  return p;
}

}  // namespace

const ParameterSpace& PolicySpace() {
  static const ParameterSpace space = [] {
    Parameter idle;
    idle.name = "idle";
    idle.kind = ParameterKind::kCategorical;
    idle.choices = {"wait", "uniform_progress", "on_demand"};
    idle.default_value = ParameterValue();
    idle.default_value->text = "wait";
    return ParameterSpace({
        Num("commit_restarts", ParameterKind::kInt, 0, 4, 1),
        Num("caution_restarts", ParameterKind::kInt, 0, 4, 1),
        Num("commit_margin_hours", ParameterKind::kFloat, 0.01, 16, 0.01, /*log=*/true),
        Num("switch_back_hours", ParameterKind::kFloat, 0, 24, 0),
        idle,
        Num("pace", ParameterKind::kFloat, 0.5, 1, 1),
    });
  }();
  return space;
}

StatusOr<PolicyParams> ParsePolicyParams(const std::string& json_text) {
  ASSIGN_OR_RETURN(std::vector<ParameterValue> v, PolicySpace().ValuesFromJson(json_text));
  PolicyParams p;
  p.commit_restarts = static_cast<int>(v[0].number);
  p.caution_restarts = static_cast<int>(v[1].number);
  p.commit_margin_hours = v[2].number;
  p.switch_back_hours = v[3].number;
  p.idle = v[4].text == "wait"               ? IdleRule::kWait
           : v[4].text == "uniform_progress" ? IdleRule::kUniformProgress
                                             : IdleRule::kOnDemand;
  p.pace = v[5].number;
  return p;
}

// With the defaults, every branch below is the greedy seed's
// (problems/cant_be_late/initial.cpp): n1 and n2 reserve one and two
// overheads, no margin, never hold on-demand, wait for spot.
::cbl::ClusterType ParamPolicy::Step(const ::cbl::Observation& o) {
  using ::cbl::NONE, ::cbl::ON_DEMAND, ::cbl::SPOT;
  const double w = o.task_s - o.done_s;
  if (w <= 1e-9) return NONE;
  const double left = std::max(0.0, std::floor((o.deadline_s - o.elapsed_s) / o.gap_s));
  const double margin = std::floor(p_.commit_margin_hours * 3600 / o.gap_s);
  const double n1 = std::ceil((w + p_.commit_restarts * o.overhead_s) / o.gap_s) + margin;
  const double n2 =
      std::ceil((w + (p_.commit_restarts + p_.caution_restarts) * o.overhead_s) / o.gap_s) + margin;
  if (n1 >= left) return ON_DEMAND;
  if (n2 >= left) return o.current_type == SPOT && o.has_spot ? SPOT : ON_DEMAND;
  const double slack_hours = (left - n1) * o.gap_s / 3600;
  if (o.has_spot) {
    return o.current_type == ON_DEMAND && slack_hours < p_.switch_back_hours ? ON_DEMAND : SPOT;
  }
  switch (p_.idle) {
    case IdleRule::kWait: return NONE;
    case IdleRule::kOnDemand: return ON_DEMAND;
    case IdleRule::kUniformProgress:
      return o.elapsed_s * o.task_s / (p_.pace * o.deadline_s) > o.done_s ? ON_DEMAND : NONE;
  }
  return NONE;
}

}  // namespace crucible::cblp
