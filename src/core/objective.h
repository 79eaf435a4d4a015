// Objective: which number of an evaluation a run optimises, and in which
// direction. The one definition of "better" that the engine, the archive, the
// evaluator's cascade thresholds, the proposers' prompts, the store's "best"
// queries and the dashboard all use (issue #11).
//
// Thread-safe: a plain value.
#ifndef CRUCIBLE_CORE_OBJECTIVE_H_
#define CRUCIBLE_CORE_OBJECTIVE_H_

#include <optional>
#include <string>
#include <string_view>

#include "core/candidate.h"

namespace crucible {

enum class Direction { kMaximize, kMinimize };

// "maximize" / "minimize", the spelling of problem.yaml and run.db.
std::string_view DirectionName(Direction direction);
std::optional<Direction> ParseDirection(std::string_view name);

struct Objective {
  std::string key = "score";  // "score" or a metric name
  Direction direction = Direction::kMaximize;

  bool maximize() const { return direction == Direction::kMaximize; }

  // The objective's value in a result: present only for an ok outcome that
  // carries the key.
  std::optional<double> ValueOf(const EvalResult& result) const;
  // Higher-is-better form of a value (what the archive ranks by).
  double Fitness(double value) const { return maximize() ? value : -value; }
  // True when `a` is strictly better than `b`.
  bool Better(double a, double b) const { return maximize() ? a > b : a < b; }
  // True when `value` reaches `target` (a stop condition or a cascade
  // threshold): >= when maximising, <= when minimising.
  bool Reaches(double value, double target) const {
    return maximize() ? value >= target : value <= target;
  }
  // "higher is better" / "lower is better", for people.
  std::string_view BetterWord() const { return maximize() ? "higher" : "lower"; }

  bool operator==(const Objective&) const = default;
};

}  // namespace crucible

#endif  // CRUCIBLE_CORE_OBJECTIVE_H_
