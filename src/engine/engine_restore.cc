// Restore(): a run's state rebuilt from its store — archive, known hashes,
// counters, the random state and the proposer's state — with the children
// that were pending re-queued for evaluation.
#include <algorithm>

#include "core/parsed_program.h"
#include "engine/engine_impl.h"

namespace crucible {

Status Engine::Impl::Restore() {
  ASSIGN_OR_RETURN(std::vector<CandidateRow> rows, store_.LoadCandidates());
  if (rows.empty() || rows.front().status != CandidateStatus::kDone) {
    return FailedPreconditionError("the run has no evaluated initial program");
  }
  for (CandidateRow& row : rows) {
    auto c = std::make_shared<Candidate>(std::move(row.candidate));
    // Parsed once here (the parent of later children); the stored hash is
    // kept, not recomputed.
    c->parsed = ParsedProgram::Make(c->program, c->source_hash);
    next_select_ = std::max(next_select_, c->id + 1);
    auto slot = std::make_shared<Slot>();
    slot->candidate = c;
    slot->restored = true;
    const Outcome o = c->result.outcome;
    slot->evaluated = o != Outcome::kDuplicate && o != Outcome::kRejected;
    // A constant tuning's samples were made before its child was recorded.
    dispatched_ += c->proposal.evaluations;
    evaluations_done_ += c->proposal.evaluations;
    if (row.status == CandidateStatus::kPending) {
      slot->phase = Slot::Phase::kEvaluating;
      slot->evaluated = true;
      slot->recorded = true;
      ++dispatched_;
      precheck_.MarkInFlight(c->source_hash, c->id);
      proposer_.OnRestoredInFlight(*c);
      slots_[c->id] = slot;
      continue;
    }
    slot->replayed = true;
    if (slot->evaluated && c->parent_id != kNoCandidate) {
      ++dispatched_;
      ++evaluations_done_;
    }

    Insert(*slot);
  }
  next_precheck_ = next_insert_ = next_select_;
  ASSIGN_OR_RETURN(std::optional<std::string> rng_text, store_.GetState("rng"));
  if (rng_text) {
    std::optional<Rng> rng = Rng::Deserialize(*rng_text);
    if (!rng) return DataLossError("the stored random state is corrupt");
    rng_ = *rng;
  }
  std::map<std::string, std::string> proposer_state;
  for (const std::string& key : proposer_.StateKeys()) {
    ASSIGN_OR_RETURN(std::optional<std::string> value, store_.GetState(key));
    if (value) proposer_state[key] = std::move(*value);
  }
  return proposer_.RestoreState(proposer_state);
}

}  // namespace crucible
