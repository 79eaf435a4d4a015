#include "search/pagmo_strategy.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pagmo/algorithm.hpp>
#include <pagmo/algorithms/cmaes.hpp>
#include <pagmo/algorithms/de.hpp>
#include <pagmo/algorithms/nsga2.hpp>
#include <pagmo/algorithms/pso_gen.hpp>
#include <pagmo/algorithms/sga.hpp>
#include <pagmo/algorithms/xnes.hpp>
#include <pagmo/population.hpp>
#include <pagmo/problem.hpp>

#include "core/rng.h"

namespace crucible {
namespace {

using Point = std::vector<double>;

// What the lookup problem reads and writes; shared by every copy of it that
// pagmo makes (populations hold their own copy of the problem).
struct LookupTable {
  const std::map<Point, Point>* told = nullptr;
  std::vector<Point> missing;  // in the order pagmo requested them
  std::set<Point> missing_set;
  size_t objectives = 1;
};

// A pagmo user-defined problem over [0, 1]^d whose fitness is the told
// result, or a placeholder recorded as missing. Default-constructible and
// copyable, as pagmo requires.
struct LookupProblem {
  std::shared_ptr<LookupTable> table;
  size_t dimensions = 1;

  pagmo::vector_double fitness(const pagmo::vector_double& x) const {
    if (auto it = table->told->find(x); it != table->told->end()) return it->second;
    if (table->missing_set.insert(x).second) table->missing.push_back(x);
    return pagmo::vector_double(table->objectives, 0.0);
  }
  std::pair<pagmo::vector_double, pagmo::vector_double> get_bounds() const {
    return {pagmo::vector_double(dimensions, 0.0), pagmo::vector_double(dimensions, 1.0)};
  }
  pagmo::vector_double::size_type get_nobj() const { return table ? table->objectives : 1; }
};

// The pagmo algorithm of a kind, one generation per evolve call, keeping its
// adapted state between calls (memory = true) where it has any.
pagmo::algorithm MakeAlgorithm(StrategyKind kind, int dimensions, unsigned seed) {
  switch (kind) {
    case StrategyKind::kCmaes:
      return pagmo::algorithm(pagmo::cmaes(1, -1, -1, -1, -1, /*sigma0=*/0.3, /*ftol=*/0, /*xtol=*/0,
                                           /*memory=*/true, /*force_bounds=*/true, seed));
    case StrategyKind::kXnes:
      return pagmo::algorithm(pagmo::xnes(1, -1, -1, -1, /*sigma0=*/0.3, /*ftol=*/0, /*xtol=*/0,
                                          /*memory=*/true, /*force_bounds=*/true, seed));
    case StrategyKind::kDe:
      // rand/1/exp: its trial points use the old population only, so a
      // generation is one batch (best/... variants read the running best).
      return pagmo::algorithm(pagmo::de(1, 0.8, 0.9, /*variant=*/2, /*ftol=*/0, /*xtol=*/0, seed));
    case StrategyKind::kPso:
      // pso_gen moves every particle before evaluating any (pso does not).
      return pagmo::algorithm(pagmo::pso_gen(1, 0.7298, 2.05, 2.05, 0.5, 5, 2, 4, /*memory=*/true, seed));
    case StrategyKind::kSga:
      // SBX crossover and one polynomial mutation per child on average:
      // with pagmo's defaults (exponential crossover, 2% per gene) most
      // children of a small design space copy a parent, which costs nothing
      // here but is no search either.
      return pagmo::algorithm(pagmo::sga(1, 0.9, /*eta_c=*/15.0, /*m=*/1.0 / std::max(dimensions, 1),
                                         /*param_m=*/20.0, 2, "sbx", "polynomial", "tournament", seed));
    case StrategyKind::kNsga2:
      return pagmo::algorithm(pagmo::nsga2(1, 0.95, 10.0, 0.01, 50.0, seed));
    default:
      throw std::invalid_argument("not a pagmo strategy");
  }
}

// After this many generations in a row that ask for nothing new (every
// point already told: the population converged onto known points), the
// population restarts from fresh random points.
constexpr int kIdleGenerationsBeforeRestart = 200;

class PagmoStrategy : public Strategy {
 public:
  explicit PagmoStrategy(const StrategyOptions& o)
      : Strategy(o.kind), options_(o), table_(std::make_shared<LookupTable>()) {
    table_->told = &told_;
    table_->objectives = static_cast<size_t>(o.objectives);
    algorithm_ = MakeAlgorithm(o.kind, o.dimensions, AlgorithmSeed());
  }

  StatusOr<std::vector<Point>> Ask(int n) override {
    if (!error_.ok()) return error_;
    Advance();
    if (!error_.ok()) return error_;
    std::vector<Point> out;
    for (const Point& x : pending_) {
      if (static_cast<int>(out.size()) >= n) break;
      if (handed_.insert(x).second) out.push_back(x);
    }
    summary_.asked += static_cast<int64_t>(out.size());
    return out;
  }

  void Tell(const Point& x, const Point& losses) override {
    ++summary_.told;
    if (told_.emplace(x, losses).second) dirty_ = true;  // the first result of a point stays
  }

  std::string SaveState() const override {
    return nlohmann::json{{"generations", summary_.generations}, {"restarts", summary_.restarts}}
        .dump();
  }

  Status LoadState(std::string_view text) override {
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_object() || !j.value("generations", nlohmann::json()).is_number_integer()) {
      return DataLossError("search state: the pagmo strategy's state is corrupt");
    }
    Advance();
    const int64_t saved = j["generations"].get<int64_t>();
    if (summary_.generations < saved) {
      return DataLossError(fmt::format(
          "search state: the stored results rebuild {} generations of {}, {} were saved",
          summary_.generations, StrategyKindName(kind()), saved));
    }
    return error_;
  }

  StrategySummary Summary() const override { return summary_; }

 private:
  unsigned AlgorithmSeed() const {
    return static_cast<unsigned>(DeriveSeed(options_.seed, 1000 + summary_.restarts));
  }

  // Steps 1-3 of pagmo_strategy.h until a generation misses points.
  void Advance() {
    if (!dirty_) return;  // nothing told since: the same batch
    dirty_ = false;
    try {
      int idle = 0;
      while (true) {
        table_->missing.clear();
        table_->missing_set.clear();
        if (!population_) {
          pagmo::population p = InitialPopulation();
          if (SetPending()) return;
          population_ = std::move(p);
          continue;
        }
        pagmo::algorithm next = algorithm_;
        pagmo::population p = next.evolve(*population_);
        if (SetPending()) return;
        algorithm_ = std::move(next);
        population_ = std::move(p);
        ++summary_.generations;
        if (++idle >= kIdleGenerationsBeforeRestart) {
          ++summary_.restarts;
          population_.reset();
          algorithm_ = MakeAlgorithm(kind(), options_.dimensions, AlgorithmSeed());
          idle = 0;
        }
      }
    } catch (const std::exception& e) {
      error_ = FailedPreconditionError(fmt::format("search: pagmo {} failed: {}",
                                                   StrategyKindName(kind()), e.what()));
    }
  }

  // The initial points first (the first population only), then uniform
  // points from the seed's stream for this restart.
  pagmo::population InitialPopulation() {
    LookupProblem udp{table_, static_cast<size_t>(options_.dimensions)};
    pagmo::population p(pagmo::problem(udp), 0u, AlgorithmSeed());
    const size_t size = static_cast<size_t>(options_.EffectivePopulation());
    if (summary_.restarts == 0) {
      for (const Point& x : options_.initial_points) {
        if (p.size() < size) p.push_back(x);
      }
    }
    Rng rng(DeriveSeed(options_.seed, 2000 + summary_.restarts));
    while (p.size() < size) {
      Point x(static_cast<size_t>(options_.dimensions));
      for (double& v : x) v = rng.UniformDouble();
      p.push_back(x);
    }
    return p;
  }

  // The points the last run missed become the batch; false if none.
  bool SetPending() {
    if (table_->missing.empty()) return false;
    if (table_->missing != pending_) {
      pending_ = table_->missing;
    }
    return true;
  }

  StrategyOptions options_;
  std::map<Point, Point> told_;
  std::shared_ptr<LookupTable> table_;
  pagmo::algorithm algorithm_;
  std::optional<pagmo::population> population_;
  std::vector<Point> pending_;  // the current batch, in pagmo's order
  std::set<Point> handed_;      // points handed out by Ask (never twice)
  StrategySummary summary_;
  Status error_ = Status::Ok();
  bool dirty_ = true;
};

}  // namespace

std::unique_ptr<Strategy> MakePagmoStrategy(const StrategyOptions& options) {
  return std::make_unique<PagmoStrategy>(options);
}

}  // namespace crucible
