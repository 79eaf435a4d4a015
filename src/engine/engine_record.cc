// A proposed child's way into the run: its pre-check (duplicates and
// rejections finish here, without evaluation), its row in the store, and its
// insertion into the archive, the best-so-far and, with several objectives,
// the Pareto fronts.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/diff.h"
#include "engine/engine_impl.h"

namespace crucible {

void Engine::Impl::Precheck(Slot& slot) {
  Candidate& c = *slot.candidate;
  ++session_candidates_;
  if (!slot.proposal.ok()) {
    c.proposal.proposer = std::string(proposer_.Name());
    if (slot.proposal.status().code() == StatusCode::kResourceExhausted) {
      Stop(StopReason::kProposerBudget, slot.proposal.status().message());
    } else if (slot.proposal.status().code() == StatusCode::kFailedPrecondition) {
      Stop(StopReason::kProposerFailed, slot.proposal.status().message());
    }
    return FinishWithoutEvaluation(slot, Outcome::kRejected,
                                   "proposal failed: " + slot.proposal.status().message(), kNoCandidate);
  }
  // The child's regions and hash, computed once: by the proposer if it
  // pre-checked the child itself, otherwise here.
  std::shared_ptr<const ParsedProgram> parsed = std::move(slot.proposal->parsed);
  if (!parsed) parsed = ParsedProgram::Make(slot.proposal->program);
  // A constant tuning's child belongs to the candidate it tuned.
  if (slot.proposal->parent) {
    slot.parent = std::move(slot.proposal->parent);
    c.parent_id = slot.parent->id;
    c.island = slot.parent->island;
    c.generation = slot.parent->generation + 1;
    c.inspiration_ids.clear();
  }
  CountProposerEvaluations(slot.proposal->info.evaluations);
  c.program = std::move(slot.proposal->program);
  c.proposal = std::move(slot.proposal->info);
  c.patch = ProgramDiff(slot.parent->program, c.program);
  c.source_hash = parsed->hash();
  c.parsed = std::move(parsed);
  PrecheckVerdict verdict = precheck_.Check(*ParsedSourceOf(*slot.parent), *c.parsed);
  if (!verdict.passed()) {
    // A duplicate of an evaluated candidate reuses its result.
    if (verdict.known_result) c.result = *std::move(verdict.known_result);
    return FinishWithoutEvaluation(slot, verdict.outcome(), std::move(verdict.reason),
                                   verdict.duplicate_of);
  }
  slot.evaluated = true;
  slot.dispatched_at = clock_.NowSeconds();
  slot.phase = Slot::Phase::kEvaluating;
  precheck_.MarkInFlight(c.source_hash, c.id);
  ++dispatched_;
  unevaluated_in_a_row_ = 0;
  SubmitEvaluation(slots_.at(c.id));
}

// Evaluations a proposer ran itself (constant tuning) count like the
// engine's own, for the budget and the progress line.
void Engine::Impl::CountProposerEvaluations(int64_t n) {
  if (n <= 0) return;
  dispatched_ += n;
  evaluations_done_ += n;
  session_evaluations_ += n;
}

void Engine::Impl::FinishWithoutEvaluation(Slot& slot, Outcome outcome, std::string feedback,
                                           CandidateId duplicate_of) {
  Candidate& c = *slot.candidate;
  c.duplicate_of = duplicate_of;
  // A duplicate keeps the copied score and metrics of the one it repeats.
  if (outcome != Outcome::kDuplicate) c.result = EvalResult{};
  c.result.outcome = outcome;
  c.result.feedback = std::move(feedback);
  c.result.artifacts.clear();
  c.result.eval_seconds = 0;
  if (Status s = store_.InsertDone(c, StateEntries()); !s.ok()) {
    store_error_ = s;
    return;
  }
  ++unevaluated_in_a_row_;
  slot.phase = Slot::Phase::kFinished;
}

bool Engine::Impl::TryInsert() {
  bool any = false;
  for (auto it = slots_.begin(); it != slots_.end();) {
    Slot& slot = *it->second;
    const CandidateId id = it->first;
    if (slot.phase != Slot::Phase::kFinished) {
      if (o_.deterministic && !slot.restored) break;  // strictly in id order
      ++it;
      continue;
    }
    if (o_.deterministic && !slot.restored) {
      if (id != next_insert_) break;
      // Candidate id+jobs must have been pre-checked first (see engine.h),
      // unless no candidate will ever be selected again. That test must not
      // depend on timing (SelectionOpen() counts proposals in flight).
      const bool more_selects =
          !stopping_ && (!o_.budget.evaluations || dispatched_ < *o_.budget.evaluations);
      if (more_selects && next_precheck_ < id + o_.jobs) break;
      ++next_insert_;
    }
    Insert(slot);
    it = slots_.erase(it);
    any = true;
    CheckStopConditions();
  }
  return any;
}

// Places a finished candidate: known hashes, lineage counts, archive, best.
void Engine::Impl::Insert(const Slot& slot) {
  const Candidate& c = *slot.candidate;
  if (slot.evaluated) precheck_.MarkEvaluated(c.source_hash, c.id, c.result);
  if (c.parent_id != kNoCandidate) archive_.RecordChild(c.parent_id);
  bool new_best = false;
  // The one entry rule (archive/entry.h), shared with the dashboard's grid.
  if (std::optional<ArchiveEntry> e = ArchiveEntryFor(c, entry_rule_)) {
    const double value = *o_.objective.ValueOf(c.result);
    PlaceEntry(archive_, *e);
    members_[c.id] = slot.candidate;
    if (!best_value_ || o_.objective.Better(value, *best_value_)) {
      new_best = true;
      best_value_ = value;
      best_id_ = c.id;
    }
  }
  if (multi()) UpdateFronts(slot);
  ++outcomes_[c.result.outcome];
  if (new_best && !slot.replayed) {
    Status s = store_.AppendEvent(clock_.UnixSeconds(), "new_best",
                                  fmt::format(R"({{"id": {}, "value": {}}})", c.id, *best_value_));
    if (!s.ok()) store_error_ = s;
  }
  std::optional<double> parent_fitness;
  if (auto p = members_.find(c.parent_id); p != members_.end()) {
    if (auto v = o_.objective.ValueOf(p->second->result)) parent_fitness = o_.objective.Fitness(*v);
  }
  std::optional<double> child_fitness;
  if (auto v = o_.objective.ValueOf(c.result); v && c.result.outcome == Outcome::kOk) {
    child_fitness = o_.objective.Fitness(*v);
  }
  proposer_.OnResult(c, child_fitness, parent_fitness, slot.replayed);
  if (observer_ && !slot.replayed) observer_->OnCandidate(c, o_.objective.ValueOf(c.result), new_best);
  // Forget candidates that left the archive, now and then.
  if (members_.size() > 4 * archive_.size() + 1024) {
    std::erase_if(members_, [&](const auto& kv) {
      return archive_.Find(kv.first) == nullptr && !InAnyFront(kv.first);
    });
  }
}

// Several objectives: the candidate joins its island's Pareto population
// (the initial program every island's) if it has every objective and passed
// the final stage; the run's front and hypervolume follow, and each change
// of the front is an event (kind "front") in run.db.
void Engine::Impl::UpdateFronts(const Slot& slot) {
  const Candidate& c = *slot.candidate;
  if (!ArchiveEntryFor(c, entry_rule_)) return;
  std::optional<std::vector<double>> v = FitnessVector(o_.objectives, c.result);
  if (!v) return;
  if (hv_reference_.empty()) {
    // The first such candidate is the initial program: the reference point
    // is its values made 10% (at least 1e-6) worse, so that every
    // improvement on it in all objectives adds volume.
    for (double f : *v) hv_reference_.push_back(f - std::max(0.1 * std::abs(f), 1e-6));
  }
  bool joined = false;
  for (size_t i = 0; i < fronts_.size(); ++i) {
    if (c.parent_id != kNoCandidate && static_cast<int>(i) != c.island) continue;
    joined |= fronts_[i].Insert(c.id, *v);
  }
  if (joined) members_[c.id] = slot.candidate;
  std::vector<ParetoMember> all = run_front_;
  all.push_back(ParetoMember{c.id, *v, 0, 0});
  std::vector<ParetoMember> next = NonDominated(all);
  const bool changed = next.size() != run_front_.size() ||
                       std::any_of(next.begin(), next.end(), [&](const ParetoMember& m) {
                         return m.id == c.id;
                       });
  if (!changed) return;
  run_front_ = std::move(next);
  hypervolume_ = Hypervolume(run_front_, hv_reference_);
  if (slot.replayed) return;
  std::string members;
  for (const ParetoMember& m : run_front_) {
    std::string values;
    for (size_t k = 0; k < m.fitness.size(); ++k) {
      const double value = o_.objectives[k].maximize() ? m.fitness[k] : -m.fitness[k];
      values += fmt::format("{}{}", k ? ", " : "", value);
    }
    members += fmt::format(R"({}{{"id": {}, "values": [{}]}})", members.empty() ? "" : ", ", m.id,
                           values);
  }
  Status s = store_.AppendEvent(
      clock_.UnixSeconds(), "front",
      fmt::format(R"({{"evaluations": {}, "hypervolume": {}, "members": [{}]}})",
                  evaluations_done_, *hypervolume_, members));
  if (!s.ok()) store_error_ = s;
}

bool Engine::Impl::InAnyFront(CandidateId id) const {
  return std::any_of(fronts_.begin(), fronts_.end(),
                     [id](const ParetoPopulation& p) { return p.Contains(id); });
}

}  // namespace crucible
