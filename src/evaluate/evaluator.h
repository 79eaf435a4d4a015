// Evaluator: measures one candidate program. The engine calls Evaluate() from
// worker threads, several at once; implementations must be thread-safe.
// A failing candidate is a result (an Outcome), never an error Status.
#ifndef CRUCIBLE_EVALUATE_EVALUATOR_H_
#define CRUCIBLE_EVALUATE_EVALUATOR_H_

#include <cstdint>
#include <stop_token>
#include <string>

#include "core/candidate.h"

namespace crucible {

enum class Split { kTrain, kHeldout };
std::string_view SplitName(Split split);

struct EvalRequest {
  CandidateId id = kNoCandidate;
  const Program* program = nullptr;  // borrowed for the duration of the call
  uint64_t seed = 0;                 // CRUCIBLE_SEED
  Split split = Split::kTrain;       // CRUCIBLE_SPLIT
};

class Evaluator {
 public:
  virtual ~Evaluator() = default;
  // Runs every stage of the evaluation. If `stop` fires, the evaluation is
  // abandoned promptly and the result's outcome is meaningless (the caller
  // discards it).
  virtual EvalResult Evaluate(const EvalRequest& request, std::stop_token stop) = 0;
  // One line saying how candidates are isolated (for the run log).
  virtual std::string Describe() const = 0;
};

}  // namespace crucible

#endif  // CRUCIBLE_EVALUATE_EVALUATOR_H_
