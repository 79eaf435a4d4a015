// Strategy: a search strategy behind one ask/tell interface (docs/search.md).
// The caller asks for points of the unit box [0, 1]^d (ParameterSpace
// decodes them into parameter values), evaluates them however it likes
// (in parallel, out of order) and tells each result back as losses, one per
// objective, lower is better.
//
// Implementations: random sampling, and pagmo2's population algorithms
// (CMA-ES, xNES, DE, PSO, SGA, NSGA-II) through an adapter that runs one
// generation at a time and asks for that generation's new points as one
// batch (pagmo_strategy.h explains how). A strategy whose batch is all out
// being evaluated asks for nothing (Ask returns fewer points than
// requested) until results come back; the caller decides what to do with
// idle workers (the search proposer evaluates uniform fillers).
//
// Determinism: everything is a function of the options' seed and of the
// set of points told with their losses (for the pagmo strategies, not even
// of the order of tells), so a strategy rebuilt from the same seed and told
// the same results asks the same points again; that is how a resumed run
// continues a strategy exactly (SaveState/LoadState hold the rest).
//
// Thread safety: none; one owner calls it (the search proposer guards it).
#ifndef CRUCIBLE_SEARCH_STRATEGY_H_
#define CRUCIBLE_SEARCH_STRATEGY_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "search/search_options.h"  // StrategyKind

namespace crucible {

struct StrategyOptions {
  StrategyKind kind = StrategyKind::kCmaes;
  int dimensions = 0;   // d of the unit box
  int objectives = 1;   // losses per result; nsga2 needs >= 2, the others exactly 1
  // Points per generation (pagmo strategies); 0 = the strategy's default
  // (cmaes/xnes: 4 + 3 ln d, at least 5; de/pso/sga: 20; nsga2: 20).
  // nsga2 rounds it up to a multiple of 4.
  int population = 0;
  uint64_t seed = 0;
  // Points placed first in the initial population (e.g. the encoded
  // defaults of the initial program), so the search starts from them.
  std::vector<std::vector<double>> initial_points;

  // InvalidArgument naming the field: dimensions < 1, objectives < 1,
  // population too small for the algorithm, nsga2 with one objective or a
  // single-objective algorithm with several.
  Status Validate() const;
  // The population actually used (defaults and rounding applied).
  int EffectivePopulation() const;
};

// Progress counters, for the summary line and docs/search.md's tables.
struct StrategySummary {
  int64_t asked = 0;        // points handed out by Ask
  int64_t told = 0;         // results told (including points not asked)
  int64_t generations = 0;  // completed pagmo generations (0 for random)
  int64_t restarts = 0;     // pagmo: populations restarted after converging
};

class Strategy {
 public:
  virtual ~Strategy() = default;

  // Up to `n` new points to evaluate, each a vector of `dimensions`
  // coordinates in [0, 1]. Fewer (possibly none) when the strategy needs
  // results first. FailedPrecondition if the strategy broke (pagmo threw).
  virtual StatusOr<std::vector<std::vector<double>>> Ask(int n) = 0;
  // The losses of point `x` (`objectives` values, lower is better; a
  // failed evaluation should be told as kFailedLoss). Any point may be told,
  // asked or not; telling the same point twice keeps the first result.
  virtual void Tell(const std::vector<double>& x, const std::vector<double>& losses) = 0;

  // State not implied by the told results (random: how many points were
  // asked), as text for run.db; LoadState takes it back after the results
  // were told again. DataLoss when the text is corrupt or the results told
  // since do not reach the state saved (an inexact resume).
  virtual std::string SaveState() const = 0;
  virtual Status LoadState(std::string_view text) = 0;

  virtual StrategySummary Summary() const = 0;
  StrategyKind kind() const { return kind_; }

 protected:
  explicit Strategy(StrategyKind kind) : kind_(kind) {}

 private:
  StrategyKind kind_;
};

// The loss told for a failed evaluation: worse than any real result, finite
// (pagmo's algorithms compare and rank losses; infinities upset crowding).
inline constexpr double kFailedLoss = 1e30;

// InvalidArgument from Validate, or a fresh strategy.
StatusOr<std::unique_ptr<Strategy>> MakeStrategy(const StrategyOptions& options);

}  // namespace crucible

#endif  // CRUCIBLE_SEARCH_STRATEGY_H_
