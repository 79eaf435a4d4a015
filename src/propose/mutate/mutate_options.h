// MutateOptions: the built-in proposer's settings (problem.yaml's `mutate:`,
// docs/mutation.md), with its Validate() and the closed set of operator
// names. Kept apart from the proposer (mutate_proposer.h) so that the
// configuration holds them without linking the operators
// (target crucible_propose_options).
#ifndef CRUCIBLE_PROPOSE_MUTATE_MUTATE_OPTIONS_H_
#define CRUCIBLE_PROPOSE_MUTATE_MUTATE_OPTIONS_H_

#include <array>
#include <map>
#include <string>
#include <string_view>

#include "core/status.h"

namespace crucible {

// Operator names, as used in MutateOptions::operator_weights and recorded in
// ProposalInfo::operators (the operators themselves: mutate/operators.h).
inline constexpr std::string_view kPerturbConstant = "perturb_constant";
inline constexpr std::string_view kReplaceOperator = "replace_operator";
inline constexpr std::string_view kDeleteLine = "delete_line";
inline constexpr std::string_view kDuplicateLine = "duplicate_line";
inline constexpr std::string_view kSwapLines = "swap_lines";
inline constexpr std::string_view kCrossover = "crossover";
inline constexpr std::string_view kGrowExpression = "grow_expression";
inline constexpr std::array<std::string_view, 7> kOperatorNames = {
    kPerturbConstant, kReplaceOperator, kDeleteLine,    kDuplicateLine,
    kSwapLines,       kCrossover,       kGrowExpression};

struct MutateOptions {
  // Each proposal applies a number of operators drawn uniformly from
  // 1..max_operators (operators that find no site are skipped).
  int max_operators = 3;
  // Relative weights of the operators (kOperatorNames). A missing name or
  // weight 0 disables that operator; crossover is also skipped when the
  // request has no inspirations.
  std::map<std::string, double> operator_weights = {
      {"perturb_constant", 3.0}, {"replace_operator", 2.0}, {"delete_line", 1.0},
      {"duplicate_line", 1.0},   {"swap_lines", 1.0},       {"crossover", 1.0},
      {"grow_expression", 2.0},
  };
  // Standard deviation of the log-normal factor applied to float constants.
  double float_sigma = 0.1;
  // Whole proposals tried until one passes the run's pre-check
  // (ProposalRequest::precheck: fixed regions, size, not a duplicate of a
  // known or in-flight candidate), or, without one, normalises to a
  // different program than the parent (comments and whitespace do not count
  // as changes).
  int max_attempts = 20;

  // InvalidArgument naming the offending field: max_operators < 1,
  // max_attempts < 1, float_sigma not a finite number > 0, an unknown operator
  // name, a negative or non-finite weight, or no positive weight.
  Status Validate() const;
};

}  // namespace crucible

#endif  // CRUCIBLE_PROPOSE_MUTATE_MUTATE_OPTIONS_H_
