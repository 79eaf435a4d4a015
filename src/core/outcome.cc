#include "core/outcome.h"

namespace crucible {

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk: return "ok";
    case Outcome::kInvalid: return "invalid";
    case Outcome::kCompileError: return "compile_error";
    case Outcome::kRuntimeError: return "runtime_error";
    case Outcome::kTimeout: return "timeout";
    case Outcome::kMemoryLimit: return "memory_limit";
    case Outcome::kEvaluatorError: return "evaluator_error";
    case Outcome::kDuplicate: return "duplicate";
    case Outcome::kRejected: return "rejected";
    case Outcome::kCancelled: return "cancelled";
  }
  return "unknown";
}

std::optional<Outcome> ParseOutcome(std::string_view name) {
  for (Outcome o : kAllOutcomes) {
    if (OutcomeName(o) == name) return o;
  }
  return std::nullopt;
}

}  // namespace crucible
