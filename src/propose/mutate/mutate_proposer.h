// MutateProposer: the built-in proposer, used when no LLM is configured. It
// makes a child by applying one to `max_operators` genetic-improvement
// operators (mutate/operators.h) to one file of the parent, chosen among the
// files that have evolvable regions; a crossover takes its other parent from
// the request's inspirations.
//
// Determinism: all randomness comes from request.seed; the same request gives
// the same proposal. Thread safety: Propose() is const and keeps no state, so
// one instance may serve any number of threads.
//
// The record (ProposalInfo) names the operators in the order applied, and
// detail_json holds, for example,
//   {"file":"solver.cc","attempt":1,"edits":[
//      {"op":"perturb_constant","line":12,"from":"0.5","to":"0.55"},
//      {"op":"crossover","line":30,"region":1,"mode":"one_point",
//       "inspiration_id":17,"inspiration_line":28}]}
#ifndef CRUCIBLE_PROPOSE_MUTATE_MUTATE_PROPOSER_H_
#define CRUCIBLE_PROPOSE_MUTATE_MUTATE_PROPOSER_H_

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "propose/proposer.h"

namespace crucible {

struct MutateOptions {
  // Each proposal applies a number of operators drawn uniformly from
  // 1..max_operators (operators that find no site are skipped).
  int max_operators = 3;
  // Relative weights of the operators (names in mutate/operators.h). A
  // missing name or weight 0 disables that operator; crossover is also
  // skipped when the request has no inspirations.
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

class MutateProposer : public Proposer {
 public:
  // `options` should be valid (Validate()); if not, Propose() returns
  // Validate()'s error.
  explicit MutateProposer(MutateOptions options);

  // Errors: InvalidArgument if the options are invalid, the request has no
  // parent, the parent's EVOLVE-BLOCK markers do not parse, no file has a
  // non-empty evolvable region, or no operator applies anywhere; Cancelled if
  // `stop` fires. After
  // max_attempts proposals that all fail the pre-check, the last one is
  // returned (the engine records it as a duplicate or rejected).
  StatusOr<Proposal> Propose(const ProposalRequest& request, std::stop_token stop) override;
  std::string_view Name() const override { return "mutate"; }
  bool RunsInline() const override { return true; }

  const MutateOptions& options() const { return options_; }

 private:
  const MutateOptions options_;
};

// The mutate proposer. Validate the options first: invalid options are a
// programmer error here (asserted in debug builds; in release, Propose()
// returns the Validate() error).
std::unique_ptr<Proposer> MakeMutateProposer(const MutateOptions& options);

}  // namespace crucible

#endif  // CRUCIBLE_PROPOSE_MUTATE_MUTATE_PROPOSER_H_
