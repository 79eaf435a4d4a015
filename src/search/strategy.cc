#include "search/strategy.h"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/rng.h"
#include "search/pagmo_strategy.h"
#include "search/tpe_strategy.h"

namespace crucible {
namespace {

// Uniform points, the i-th drawn from its own stream of the seed, so
// resuming needs only the count of points asked.
class RandomStrategy : public Strategy {
 public:
  explicit RandomStrategy(const StrategyOptions& o)
      : Strategy(StrategyKind::kRandom), options_(o) {}

  StatusOr<std::vector<std::vector<double>>> Ask(int n) override {
    std::vector<std::vector<double>> out;
    for (int i = 0; i < n; ++i) {
      Rng rng(DeriveSeed(options_.seed, static_cast<uint64_t>(summary_.asked++)));
      std::vector<double> x(static_cast<size_t>(options_.dimensions));
      for (double& v : x) v = rng.UniformDouble();
      out.push_back(std::move(x));
    }
    return out;
  }
  void Tell(const std::vector<double>&, const std::vector<double>&) override { ++summary_.told; }
  std::string SaveState() const override {
    return nlohmann::json{{"asked", summary_.asked}}.dump();
  }
  Status LoadState(std::string_view text) override {
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_object() || !j.value("asked", nlohmann::json()).is_number_integer()) {
      return DataLossError("search state: the random strategy's state is corrupt");
    }
    summary_.asked = j["asked"].get<int64_t>();
    return Status::Ok();
  }
  StrategySummary Summary() const override { return summary_; }

 private:
  StrategyOptions options_;
  StrategySummary summary_;
};

}  // namespace

int StrategyOptions::EffectivePopulation() const {
  int n = population;
  if (n == 0) {
    switch (kind) {
      case StrategyKind::kCmaes:
      case StrategyKind::kXnes:
        n = std::max(5, 4 + static_cast<int>(3 * std::log(std::max(dimensions, 1))));
        break;
      default: n = 20;
    }
  }
  if (kind == StrategyKind::kNsga2) n = (n + 3) / 4 * 4;
  return n;
}

Status StrategyOptions::Validate() const {
  if (dimensions < 1) return InvalidArgumentError("search: the parameter space is empty");
  if (objectives < 1) return InvalidArgumentError("search: needs at least one objective");
  if (population < 0) return InvalidArgumentError("search.population: must be >= 0");
  const std::string_view name = StrategyKindName(kind);
  if (kind == StrategyKind::kNsga2 && objectives < 2) {
    return InvalidArgumentError(
        "search.strategy: nsga2 is for several objectives; with one, use cmaes, de, pso or sga");
  }
  if (kind != StrategyKind::kNsga2 && kind != StrategyKind::kRandom && objectives > 1) {
    return InvalidArgumentError(fmt::format(
        "search.strategy: {} optimises one objective; with several, use nsga2 or random", name));
  }
  // pagmo's own minimums (it throws on fewer): CMA-ES, xNES and DE need 5,
  // SGA 2, NSGA-II 5.
  int minimum = 1;
  if (kind == StrategyKind::kCmaes || kind == StrategyKind::kXnes || kind == StrategyKind::kDe ||
      kind == StrategyKind::kNsga2) {
    minimum = 5;
  } else if (kind == StrategyKind::kSga) {
    minimum = 2;
  }
  if (kind != StrategyKind::kRandom && kind != StrategyKind::kTpe && EffectivePopulation() < minimum) {
    return InvalidArgumentError(fmt::format("search.population: {} needs at least {} (got {})", name,
                                            minimum, EffectivePopulation()));
  }
  for (const std::vector<double>& x : initial_points) {
    if (x.size() != static_cast<size_t>(dimensions)) {
      return InvalidArgumentError("search: an initial point has the wrong number of coordinates");
    }
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<Strategy>> MakeStrategy(const StrategyOptions& options) {
  RETURN_IF_ERROR(options.Validate());
  if (options.kind == StrategyKind::kRandom) return std::unique_ptr<Strategy>(new RandomStrategy(options));
  if (options.kind == StrategyKind::kTpe) return MakeTpeStrategy(options);
  return MakePagmoStrategy(options);
}

}  // namespace crucible
