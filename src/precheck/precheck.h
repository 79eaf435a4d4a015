// The pre-check: the step between proposer and executor (DESIGN.md, "The path
// of one candidate", step 3). A child is evaluated only if it
//   1. keeps its parent's fixed (non-evolvable) regions byte for byte, with
//      the same files and markers,
//   2. is no larger than the size limit,
//   3. is not a known candidate (same normalised source hash as one already
//      evaluated: it reuses that result), and
//   4. is not a child in flight (same hash as one being evaluated).
// Failing 1 or 2 makes the child `rejected`, failing 3 or 4 a `duplicate`
// (docs/engine.md, "Pre-check"). Prechecker is the one place these rules
// live: the engine asks it about every child, and a proposer may ask it
// first for an early answer (the mutate proposer then tries again, the LLM
// proposer re-asks its model) through ProposalRequest::precheck.
//
// Thread safety: Check() and CheckSource() may be called from any thread,
// concurrently with each other and with the updates (MarkInFlight,
// MarkEvaluated), which the engine's orchestrator makes; the known and
// in-flight tables are guarded by one mutex. An early answer is advice: the
// engine checks again when the child arrives, against the tables as they are
// then.
#ifndef CRUCIBLE_PRECHECK_PRECHECK_H_
#define CRUCIBLE_PRECHECK_PRECHECK_H_

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/candidate.h"
#include "core/outcome.h"
#include "core/parsed_program.h"
#include "core/status.h"

namespace crucible {

struct PrecheckOptions {
  size_t max_program_bytes = 256 * 1024;  // limits.max_program_kb

  // InvalidArgument naming the field when max_program_bytes is 0.
  Status Validate() const;
};

struct PrecheckVerdict {
  enum class Kind { kPass, kRejected, kDuplicate };
  Kind kind = Kind::kPass;
  // Why not kPass; the exact text recorded as the child's feedback.
  std::string reason;
  // kDuplicate: the candidate it repeats (evaluated, or being evaluated).
  CandidateId duplicate_of = kNoCandidate;
  // kDuplicate of an evaluated candidate: its result (without artifacts),
  // which the duplicate reuses. Absent for a duplicate of a child in flight.
  std::optional<EvalResult> known_result;

  bool passed() const { return kind == Kind::kPass; }
  // kRejected or kDuplicate; kOk for kPass.
  Outcome outcome() const;
};

class Prechecker {
 public:
  explicit Prechecker(PrecheckOptions options) : o_(std::move(options)) {}

  // Rules 1 and 2 only: they depend on the two programs alone.
  PrecheckVerdict CheckSource(const ParsedProgram& parent, const ParsedProgram& child) const;
  // All four rules, in order.
  PrecheckVerdict Check(const ParsedProgram& parent, const ParsedProgram& child) const;

  // Child `id` with hash `hash` went to the evaluator.
  void MarkInFlight(uint64_t hash, CandidateId id);
  // Child `id` finished its evaluation with `result`: the hash becomes known
  // (the first result for a hash is kept; artifacts are dropped, the
  // evaluated candidate's record keeps them) and, if `id` is the child in
  // flight for it, no longer in flight.
  void MarkEvaluated(uint64_t hash, CandidateId id, const EvalResult& result);

  size_t known_count() const;
  size_t in_flight_count() const;
  const PrecheckOptions& options() const { return o_; }

 private:
  struct Known {
    CandidateId id;
    EvalResult result;
  };
  const PrecheckOptions o_;
  mutable std::mutex mu_;
  std::unordered_map<uint64_t, Known> known_;            // guarded by mu_
  std::unordered_map<uint64_t, CandidateId> in_flight_;  // guarded by mu_
};

}  // namespace crucible

#endif  // CRUCIBLE_PRECHECK_PRECHECK_H_
