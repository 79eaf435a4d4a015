#include "config/tuning_config.h"

#include <fmt/format.h>

namespace crucible {

void ReadTuningSection(YamlReader& r, const YAML::Node& root, TuningOptions& out) {
  const YAML::Node t = root["tuning"];
  if (!t || t.IsNull()) return;
  if (t.IsScalar()) {
    r.Read(root, "tuning", "", out.enabled);
    return;
  }
  if (!r.IsMap(t, "tuning")) return;
  r.CheckKeys(t, "tuning",
              {"enabled", "trigger", "top_k", "budget_share", "evaluations", "population", "sigma0",
               "max_literals", "integers", "range"});
  out.enabled = true;
  r.Read(t, "enabled", "tuning", out.enabled);
  std::string trigger;
  r.ReadChoice(t, "trigger", "tuning", {"island_best", "top_k"}, trigger);
  if (!trigger.empty()) out.trigger = *ParseTuneTrigger(trigger);
  r.Read(t, "top_k", "tuning", out.top_k, 1, 1000000);
  r.Read(t, "budget_share", "tuning", out.budget_share, 1e-9, 1.0);
  r.Read(t, "evaluations", "tuning", out.tune.max_evaluations, 5, 1000000);
  r.Read(t, "population", "tuning", out.tune.population, 5, 100000);
  r.Read(t, "sigma0", "tuning", out.tune.sigma0, 1e-9, 1.0);
  r.Read(t, "max_literals", "tuning", out.tune.literals.max_literals, 1, 100000);
  r.Read(t, "integers", "tuning", out.tune.literals.integers);
  r.Read(t, "range", "tuning", out.tune.literals.range, 1.0 + 1e-9, 1e9);
  if (r.status().ok()) {
    if (Status s = out.Validate(); !s.ok()) {
      // TuningOptions' messages start with the field name.
      const std::string& m = s.message();
      const size_t colon = m.find(": ");
      r.Fail(JoinPath("tuning", m.substr(0, colon)),
             colon == std::string::npos ? "" : m.substr(colon + 2));
    }
  }
}

nlohmann::json TuningToJson(const TuningOptions& o) {
  return {{"enabled", o.enabled},
          {"trigger", TuneTriggerName(o.trigger)},
          {"top_k", o.top_k},
          {"budget_share", o.budget_share},
          {"evaluations", o.tune.max_evaluations},
          {"population", o.tune.population},
          {"sigma0", o.tune.sigma0},
          {"max_literals", o.tune.literals.max_literals},
          {"integers", o.tune.literals.integers},
          {"range", o.tune.literals.range}};
}


}  // namespace crucible
