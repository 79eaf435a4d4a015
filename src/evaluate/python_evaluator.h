// PythonEvaluator: an OpenEvolve or ShinkaEvolve evaluator module named in a
// problem's configuration (problem.yaml's evaluator.python, or an OpenEvolve
// task directory; docs/openevolve.md). A plain value in its own header, like
// cascade_stage.h, so that the configuration holds it without linking the
// evaluator (target crucible_evaluate_options).
#ifndef CRUCIBLE_EVALUATE_PYTHON_EVALUATOR_H_
#define CRUCIBLE_EVALUATE_PYTHON_EVALUATOR_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crucible {

enum class PythonEvaluatorFormat { kOpenEvolve, kShinka };

// "openevolve" / "shinka", the spelling of problem.yaml and the adapter.
inline std::string_view PythonEvaluatorFormatName(PythonEvaluatorFormat format) {
  return format == PythonEvaluatorFormat::kShinka ? "shinka" : "openevolve";
}

inline std::optional<PythonEvaluatorFormat> ParsePythonEvaluatorFormat(std::string_view name) {
  if (name == "openevolve") return PythonEvaluatorFormat::kOpenEvolve;
  if (name == "shinka") return PythonEvaluatorFormat::kShinka;
  return std::nullopt;
}

// A Python evaluator module run by the adapter (python/crucible/adapter.py).
struct PythonEvaluator {
  PythonEvaluatorFormat format = PythonEvaluatorFormat::kOpenEvolve;
  std::string file;  // the evaluator module (evaluator.py / evaluate.py); absolute
  // OpenEvolve's cascade_thresholds, when cascade_evaluation is on: the
  // adapter then runs evaluate_stage1/2/3 as OpenEvolve does. Absent:
  // evaluate() only.
  std::optional<std::vector<double>> cascade;

  bool operator==(const PythonEvaluator&) const = default;
};

}  // namespace crucible

#endif  // CRUCIBLE_EVALUATE_PYTHON_EVALUATOR_H_
