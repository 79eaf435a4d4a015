// Outcome: what happened to one candidate. A failing candidate is data, not an
// error; every candidate ends with exactly one outcome. The names are part of
// the evaluator protocol and the run database schema (docs/).
#ifndef CRUCIBLE_CORE_OUTCOME_H_
#define CRUCIBLE_CORE_OUTCOME_H_

#include <optional>
#include <string_view>

namespace crucible {

enum class Outcome {
  kOk,              // evaluated and valid: has a score
  kInvalid,         // evaluated, but the evaluator judged the output invalid
  kCompileError,    // the candidate did not build
  kRuntimeError,    // non-zero exit or killed by a signal
  kTimeout,         // wall-clock deadline or CPU-time limit reached
  kMemoryLimit,     // memory limit reached
  kEvaluatorError,  // the evaluator's output was malformed or missing
  kDuplicate,       // identical (normalised) source to a known candidate
  kRejected,        // failed a pre-check (fixed region changed, too large, ...)
  kCancelled,       // its Slurm job was cancelled outside crucible (scancel by hand)
};

inline constexpr Outcome kAllOutcomes[] = {
    Outcome::kOk,           Outcome::kInvalid,        Outcome::kCompileError,
    Outcome::kRuntimeError, Outcome::kTimeout,        Outcome::kMemoryLimit,
    Outcome::kEvaluatorError, Outcome::kDuplicate,    Outcome::kRejected,
    Outcome::kCancelled};

std::string_view OutcomeName(Outcome outcome);
std::optional<Outcome> ParseOutcome(std::string_view name);

}  // namespace crucible

#endif  // CRUCIBLE_CORE_OUTCOME_H_
