// SearchOptions: what problem.yaml's `parameters:` and `search:` sections
// say (docs/search.md): the design space and the strategy that searches it.
// Options only (no pagmo), so the configuration can hold them.
#ifndef CRUCIBLE_SEARCH_SEARCH_OPTIONS_H_
#define CRUCIBLE_SEARCH_SEARCH_OPTIONS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "search/parameter_space.h"

namespace crucible {

enum class StrategyKind { kRandom, kCmaes, kXnes, kDe, kPso, kSga, kNsga2, kTpe };

// One spelling each: random, cmaes, xnes, de, pso, sga, nsga2, tpe.
std::string_view StrategyKindName(StrategyKind kind);
std::optional<StrategyKind> ParseStrategyKind(std::string_view name);
// All kinds, in the order above (for listings and errors).
std::vector<StrategyKind> AllStrategyKinds();

struct SearchOptions {
  ParameterSpace parameters;  // empty: the problem declares no space
  StrategyKind strategy = StrategyKind::kCmaes;
  int population = 0;  // 0 = the strategy's default (StrategyOptions)

  // The parameter space's own checks (ParameterSpace::Validate) and
  // population >= 0.
  Status Validate() const;
  // The frozen form: {"parameters": [...], "strategy": "...", "population": n}.
  std::string ToJson() const;
  static StatusOr<SearchOptions> FromJson(std::string_view json_text);
};

}  // namespace crucible

#endif  // CRUCIBLE_SEARCH_SEARCH_OPTIONS_H_
