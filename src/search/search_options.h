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

// `search.proxy:` (docs/search.md, "The proxy model"): pre-screening of asks
// by a Gaussian-process model of the run's own results. Off by default.
struct ProxyOptions {
  // Ask `screen` times as many points as are evaluated: of each batch the
  // strategy hands out, the best 1/screen by the proxy's prediction are
  // evaluated, the others are told the prediction. 0 = off; else 2..100.
  int screen = 0;
  // Results (distinct values) the proxy needs before it screens anything;
  // until then every ask is evaluated. 0 = max(10, 2 d).
  int warmup = 0;

  bool enabled() const { return screen > 0; }
  // The warmup actually used for a space of `dimensions` parameters.
  int EffectiveWarmup(int dimensions) const;
  // InvalidArgument naming search.proxy.screen / .warmup.
  Status Validate() const;
};

struct SearchOptions {
  ParameterSpace parameters;  // empty: the problem declares no space
  StrategyKind strategy = StrategyKind::kCmaes;
  int population = 0;  // 0 = the strategy's default (StrategyOptions)
  ProxyOptions proxy;

  // The parameter space's own checks (ParameterSpace::Validate),
  // population >= 0 and the proxy's.
  Status Validate() const;
  // The frozen form: {"parameters": [...], "strategy": "...", "population":
  // n}, plus "proxy": {"screen", "warmup"} when the proxy is on.
  std::string ToJson() const;
  static StatusOr<SearchOptions> FromJson(std::string_view json_text);
};

}  // namespace crucible

#endif  // CRUCIBLE_SEARCH_SEARCH_OPTIONS_H_
