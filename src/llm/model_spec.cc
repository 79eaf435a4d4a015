#include "llm/model_spec.h"

namespace crucible {

std::string_view ReasoningEffortName(ReasoningEffort effort) {
  switch (effort) {
    case ReasoningEffort::kNone: return "";
    case ReasoningEffort::kLow: return "low";
    case ReasoningEffort::kMedium: return "medium";
    case ReasoningEffort::kHigh: return "high";
  }
  return "";
}

std::optional<ReasoningEffort> ParseReasoningEffort(std::string_view name) {
  for (ReasoningEffort e : {ReasoningEffort::kNone, ReasoningEffort::kLow,
                            ReasoningEffort::kMedium, ReasoningEffort::kHigh}) {
    if (ReasoningEffortName(e) == name) return e;
  }
  return std::nullopt;
}

}  // namespace crucible
