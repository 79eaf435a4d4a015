#include "problems/cant_be_late_policy/src/harness.h"

#include <vector>

#include "problems/cant_be_late/src/harness.h"
#include "problems/cant_be_late_policy/src/policy.h"

namespace crucible::cblp {

StatusOr<HarnessReport> EvaluateParameters(const std::string& parameters_json,
                                           const std::string& split) {
  using cbl::Scenario;
  const cbl::TraceSet& traces = cbl::EmbeddedTraceSet();
  ASSIGN_OR_RETURN(std::vector<Scenario> scenarios, cbl::SplitGrid(traces, split));
  StatusOr<PolicyParams> params = ParsePolicyParams(parameters_json);
  if (!params.ok()) return FailureReport("invalid", params.status().message());
  // ParamPolicy keeps no state between ticks, so one serves every
  // scenario (the compiled problem's driver makes one per scenario).
  ParamPolicy policy(*params);
  auto decide = [&](const std::vector<uint32_t>&, const std::vector<uint32_t>&,
                    const std::vector<std::pair<uint32_t, cbl::Observation>>& obs,
                    std::vector<uint8_t>* decisions) {
    for (size_t i = 0; i < obs.size(); ++i) {
      (*decisions)[i] = static_cast<uint8_t>(policy.Step(obs[i].second));
    }
    return true;
  };
  const cbl::SimOptions sim;  // scoring mode
  cbl::LockstepResult result;
  std::string error;
  if (!cbl::SimulateLockstep(traces, scenarios, sim, decide, &result, &error)) {
    return FailureReport("invalid", error);
  }
  return cbl::ScoreLockstep(scenarios, result, sim, traces);
}

namespace {

class CantBeLatePolicyProblem final : public Problem {
 public:
  std::string_view name() const override { return "cant_be_late_policy"; }
  std::string_view description() const override {
    return "design space: the six parameters of a Can't-Be-Late policy (deadline margins, "
           "hysteresis, idle rule); cant_be_late's simulator, splits and score";
  }
  std::string_view directory() const override { return "cant_be_late_policy"; }
  // No header, no driver: nothing is compiled.
  CandidateApi candidate_api() const override {
    return CandidateApi{"", "", "", kParametersFile, {}};
  }
  StatusOr<HarnessReport> Evaluate(const HarnessEnv& env,
                                   const std::string& source) const override {
    return EvaluateParameters(source, env.split);
  }
  // problems/cant_be_late_policy/README.md has them with their sources.
  std::vector<ReferenceValue> reference_values() const override {
    return {
        {"parameters.json", "train", "mean_cost", 85.2346, 5e-5,
         "the defaults are cant_be_late's greedy seed: its train mean cost"},
        {"parameters.json", "heldout", "mean_cost", 114.7091, 5e-5,
         "the greedy seed's held-out mean cost (problems/cant_be_late/README.md)"},
    };
  }
};

}  // namespace

std::unique_ptr<Problem> MakeProblem() { return std::make_unique<CantBeLatePolicyProblem>(); }

}  // namespace crucible::cblp
