#include "core/objective.h"

namespace crucible {

std::string_view DirectionName(Direction direction) {
  return direction == Direction::kMaximize ? "maximize" : "minimize";
}

std::optional<Direction> ParseDirection(std::string_view name) {
  if (name == "maximize") return Direction::kMaximize;
  if (name == "minimize") return Direction::kMinimize;
  return std::nullopt;
}

std::optional<double> Objective::ValueOf(const EvalResult& result) const {
  if (result.outcome != Outcome::kOk) return std::nullopt;
  if (key == "score") return result.score;
  auto it = result.metrics.find(key);
  if (it == result.metrics.end()) return std::nullopt;
  return it->second;
}

}  // namespace crucible
