#include "search/search_options.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace crucible {

std::string_view StrategyKindName(StrategyKind kind) {
  switch (kind) {
    case StrategyKind::kRandom: return "random";
    case StrategyKind::kCmaes: return "cmaes";
    case StrategyKind::kXnes: return "xnes";
    case StrategyKind::kDe: return "de";
    case StrategyKind::kPso: return "pso";
    case StrategyKind::kSga: return "sga";
    case StrategyKind::kNsga2: return "nsga2";
    case StrategyKind::kTpe: return "tpe";
  }
  return "random";
}

std::vector<StrategyKind> AllStrategyKinds() {
  return {StrategyKind::kRandom, StrategyKind::kCmaes, StrategyKind::kXnes, StrategyKind::kDe,
          StrategyKind::kPso,    StrategyKind::kSga,   StrategyKind::kNsga2, StrategyKind::kTpe};
}

std::optional<StrategyKind> ParseStrategyKind(std::string_view name) {
  for (StrategyKind k : AllStrategyKinds()) {
    if (name == StrategyKindName(k)) return k;
  }
  return std::nullopt;
}

Status SearchOptions::Validate() const {
  if (population < 0) return InvalidArgumentError("search.population: must be >= 0");
  return parameters.Validate();
}

std::string SearchOptions::ToJson() const {
  nlohmann::json j = {{"parameters", nlohmann::json::parse(parameters.ToJson())},
                      {"strategy", StrategyKindName(strategy)},
                      {"population", population}};
  return j.dump();
}

StatusOr<SearchOptions> SearchOptions::FromJson(std::string_view json_text) {
  nlohmann::json j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("parameters") || !j.value("strategy", nlohmann::json()).is_string() ||
      !j.value("population", nlohmann::json()).is_number_integer()) {
    return InvalidArgumentError("search: expected {parameters, strategy, population}");
  }
  SearchOptions o;
  ASSIGN_OR_RETURN(o.parameters, ParameterSpace::FromJson(j["parameters"].dump()));
  std::optional<StrategyKind> kind = ParseStrategyKind(j["strategy"].get<std::string>());
  if (!kind) return InvalidArgumentError("search.strategy: unknown strategy");
  o.strategy = *kind;
  o.population = j["population"].get<int>();
  RETURN_IF_ERROR(o.Validate());
  return o;
}

}  // namespace crucible
