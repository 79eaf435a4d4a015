// CascadeStage: one stage of an evaluator's cascade (problem.yaml's
// evaluator.stages, docs/problem-format.md). A plain value in its own header
// so that the configuration can hold stages without linking the evaluator
// (target crucible_evaluate_options).
#ifndef CRUCIBLE_EVALUATE_CASCADE_STAGE_H_
#define CRUCIBLE_EVALUATE_CASCADE_STAGE_H_

#include <optional>
#include <string>

namespace crucible {

struct CascadeStage {
  std::string name;
  // The next stage runs only if this stage's score reaches the threshold
  // (>= when maximising, <= when minimising). Absent: always continue.
  std::optional<double> threshold;
};

}  // namespace crucible

#endif  // CRUCIBLE_EVALUATE_CASCADE_STAGE_H_
