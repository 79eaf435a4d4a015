#include "propose/tune/tune_options.h"

#include <fmt/format.h>

#include <cmath>

namespace crucible {

Status LiteralOptions::Validate() const {
  if (max_literals < 1) {
    return InvalidArgumentError(fmt::format("max_literals: must be >= 1 (got {})", max_literals));
  }
  if (!(range > 1) || !std::isfinite(range)) {
    return InvalidArgumentError(fmt::format("range: must be a number > 1 (got {})", range));
  }
  return Status::Ok();
}

Status TuneOptions::Validate() const {
  if (Status s = literals.Validate(); !s.ok()) return s;
  if (population < 5) {
    return InvalidArgumentError(
        fmt::format("population: must be >= 5 (pagmo's CMA-ES; got {})", population));
  }
  if (max_evaluations < population) {
    return InvalidArgumentError(fmt::format(
        "evaluations: must be >= population ({}) (got {})", population, max_evaluations));
  }
  if (!(sigma0 > 0 && sigma0 <= 1)) {
    return InvalidArgumentError(fmt::format("sigma0: must be in (0, 1] (got {})", sigma0));
  }
  return Status::Ok();
}

std::string_view TuneTriggerName(TuneTrigger trigger) {
  switch (trigger) {
    case TuneTrigger::kIslandBest: return "island_best";
    case TuneTrigger::kTopK: return "top_k";
  }
  return "island_best";
}

std::optional<TuneTrigger> ParseTuneTrigger(std::string_view name) {
  if (name == "island_best") return TuneTrigger::kIslandBest;
  if (name == "top_k") return TuneTrigger::kTopK;
  return std::nullopt;
}

Status TuningOptions::Validate() const {
  if (top_k < 1) return InvalidArgumentError(fmt::format("top_k: must be >= 1 (got {})", top_k));
  if (!(budget_share > 0 && budget_share <= 1)) {
    return InvalidArgumentError(
        fmt::format("budget_share: must be in (0, 1] (got {})", budget_share));
  }
  return tune.Validate();
}

}  // namespace crucible
