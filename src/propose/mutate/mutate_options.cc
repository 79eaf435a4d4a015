#include "propose/mutate/mutate_options.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace crucible {

Status MutateOptions::Validate() const {
  if (max_operators < 1) {
    return InvalidArgumentError(
        fmt::format("MutateOptions.max_operators must be >= 1, got {}", max_operators));
  }
  if (max_attempts < 1) {
    return InvalidArgumentError(
        fmt::format("MutateOptions.max_attempts must be >= 1, got {}", max_attempts));
  }
  if (!std::isfinite(float_sigma) || float_sigma <= 0) {
    return InvalidArgumentError(fmt::format(
        "MutateOptions.float_sigma must be a positive finite number, got {}", float_sigma));
  }
  bool any_positive = false;
  for (const auto& [name, weight] : operator_weights) {
    if (std::find(kOperatorNames.begin(), kOperatorNames.end(), name) == kOperatorNames.end()) {
      return InvalidArgumentError(
          fmt::format("MutateOptions.operator_weights: unknown operator '{}' (known: {})", name,
                      fmt::join(kOperatorNames, ", ")));
    }
    if (!std::isfinite(weight) || weight < 0) {
      return InvalidArgumentError(
          fmt::format("MutateOptions.operator_weights['{}'] must be a finite number >= 0, got {}",
                      name, weight));
    }
    any_positive = any_positive || weight > 0;
  }
  if (!any_positive) {
    return InvalidArgumentError(
        "MutateOptions.operator_weights: at least one operator needs a positive weight");
  }
  return Status::Ok();
}

}  // namespace crucible
