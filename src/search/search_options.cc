#include "search/search_options.h"

#include <algorithm>

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

int ProxyOptions::EffectiveWarmup(int dimensions) const {
  return warmup > 0 ? warmup : std::max(10, 2 * dimensions);
}

Status ProxyOptions::Validate() const {
  if (screen != 0 && (screen < 2 || screen > 100)) {
    return InvalidArgumentError(fmt::format("search.proxy.screen: must be 0 (off) or 2..100 (got {})", screen));
  }
  if (warmup < 0) return InvalidArgumentError(fmt::format("search.proxy.warmup: must be >= 0 (got {})", warmup));
  return Status::Ok();
}

Status SearchOptions::Validate() const {
  if (population < 0) return InvalidArgumentError("search.population: must be >= 0");
  RETURN_IF_ERROR(proxy.Validate());
  return parameters.Validate();
}

std::string SearchOptions::ToJson() const {
  nlohmann::json j = {{"parameters", nlohmann::json::parse(parameters.ToJson())},
                      {"strategy", StrategyKindName(strategy)},
                      {"population", population}};
  if (proxy.enabled()) j["proxy"] = {{"screen", proxy.screen}, {"warmup", proxy.warmup}};
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
  if (j.contains("proxy")) {
    const nlohmann::json& p = j["proxy"];
    if (!p.is_object() || !p.value("screen", nlohmann::json()).is_number_integer() ||
        !p.value("warmup", nlohmann::json()).is_number_integer()) {
      return InvalidArgumentError("search.proxy: expected {screen, warmup}");
    }
    o.proxy.screen = p["screen"].get<int>();
    o.proxy.warmup = p["warmup"].get<int>();
  }
  RETURN_IF_ERROR(o.Validate());
  return o;
}

}  // namespace crucible
