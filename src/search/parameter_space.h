// ParameterSpace: a declared design space (problem.yaml's `parameters:`,
// docs/search.md) and the one encoding every search strategy works in.
//
// A strategy sees the unit box [0, 1]^d, one coordinate per parameter;
// Decode() maps a point of the box to parameter values and Encode() maps
// values back to the centre of their cell:
//   float        lo + u (hi - lo)
//   log float    exp(log lo + u (log hi - log lo))
//   int          lo + floor(u (hi - lo + 1)), clamped to [lo, hi]
//   categorical  choices[floor(u k)], clamped to the last choice
// so integers and categories are "index rounding" of a continuous
// coordinate: pagmo's continuous algorithms (CMA-ES, DE, PSO) search them
// unchanged, and each value owns an equal share of the coordinate.
//
// Values travel as JSON objects {"name": value, ...} (the candidate's
// parameters.json, docs/evaluator-protocol.md). Plain values; no I/O.
#ifndef CRUCIBLE_SEARCH_PARAMETER_SPACE_H_
#define CRUCIBLE_SEARCH_PARAMETER_SPACE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace crucible {

enum class ParameterKind { kFloat, kInt, kCategorical };

// One spelling per kind: "float", "int", "categorical".
std::string_view ParameterKindName(ParameterKind kind);
std::optional<ParameterKind> ParseParameterKind(std::string_view name);

// A parameter value: a number (float and int kinds) or a choice's text.
struct ParameterValue {
  double number = 0;
  std::string text;  // categorical only
  bool operator==(const ParameterValue&) const = default;
};

struct Parameter {
  std::string name;
  ParameterKind kind = ParameterKind::kFloat;
  double low = 0;    // float and int: inclusive bounds
  double high = 1;
  bool log = false;  // float only: log-scaled (low > 0)
  std::vector<std::string> choices;  // categorical only
  // The initial program's value; absent = the middle of the range (the
  // geometric middle when log-scaled, the first choice when categorical).
  std::optional<ParameterValue> default_value;
};

class ParameterSpace {
 public:
  ParameterSpace() = default;
  explicit ParameterSpace(std::vector<Parameter> parameters) : parameters_(std::move(parameters)) {}

  // InvalidArgument naming the parameter ("parameters.alpha.high: ...") for
  // empty or duplicate names, low >= high, non-integer int bounds, log with
  // low <= 0, fewer than two choices, a default outside the range.
  Status Validate() const;

  bool empty() const { return parameters_.empty(); }
  size_t size() const { return parameters_.size(); }
  const std::vector<Parameter>& parameters() const { return parameters_; }

  // Point of the unit box -> values (coordinates outside [0, 1] are clamped).
  std::vector<ParameterValue> Decode(const std::vector<double>& unit) const;
  // Values -> the centre of their cell in the unit box.
  std::vector<double> Encode(const std::vector<ParameterValue>& values) const;
  // The defaults (see Parameter::default_value).
  std::vector<ParameterValue> Defaults() const;

  // {"name": value, ...} in declaration order, numbers printed so that they
  // read back exactly, ints without a fraction.
  std::string ValuesToJson(const std::vector<ParameterValue>& values) const;
  // The inverse; InvalidArgument naming the parameter that is missing, of
  // the wrong type or out of range. Unknown keys are refused too.
  StatusOr<std::vector<ParameterValue>> ValuesFromJson(std::string_view json_text) const;

  // The space as JSON (the frozen configuration) and back.
  std::string ToJson() const;
  static StatusOr<ParameterSpace> FromJson(std::string_view json_text);

 private:
  std::vector<Parameter> parameters_;
};

// The file a design-space candidate's values are written to.
inline constexpr std::string_view kParametersFile = "parameters.json";

}  // namespace crucible

#endif  // CRUCIBLE_SEARCH_PARAMETER_SPACE_H_
