// What may start now: selection of a new child, its pre-check, units of
// lent work, and the submission of proposals and evaluations to the
// worker pools. The counts here are the engine's concurrency rules
// (docs/engine.md): `jobs` evaluations, proposals in the classic schedule or
// on separate proposal slots, and the deterministic schedule.
#include <fmt/format.h>

#include <algorithm>

#include "engine/engine_impl.h"

namespace crucible {


bool Engine::Impl::SelectionOpen() const {
  if (stopping_) return false;
  if (!o_.budget.evaluations) return true;
  int64_t proposing = 0;
  for (const auto& [id, slot] : slots_) {
    proposing += slot->phase == Slot::Phase::kProposing || slot->phase == Slot::Phase::kProposed;
  }
  return dispatched_ + proposing < *o_.budget.evaluations;
}

int64_t Engine::Impl::CountEvaluatedAndFinished() const {
  int64_t n = 0;
  for (const auto& [id, slot] : slots_) n += slot->phase == Slot::Phase::kFinished && slot->evaluated;
  return n;
}

int64_t Engine::Impl::CountPhase(bool proposing) const {
  int64_t n = 0;
  for (const auto& [id, slot] : slots_) {
    const bool p = slot->phase == Slot::Phase::kProposing || slot->phase == Slot::Phase::kProposed;
    n += proposing ? p : slot->phase == Slot::Phase::kEvaluating;
  }
  return n;
}

bool Engine::Impl::TrySelect() {
  if (!SelectionOpen()) return false;
  // The classic schedule: `jobs` children between selection and insert,
  // except that an evaluated child waiting for its result's commit and insert
  // no longer counts (not in deterministic mode, whose schedule is stated in
  // inserts). Children finished without evaluation still count: they are
  // made within the loop pass, and would otherwise let it select forever.
  const int64_t selected = static_cast<int64_t>(slots_.size()) -
                           (o_.deterministic ? 0 : CountEvaluatedAndFinished());
  if (proposal_slots_ > 0 ? CountPhase(true) >= proposal_slots_
                          : selected + lent_running_ >= o_.jobs) {
    return false;
  }
  if (o_.deterministic && (next_precheck_ != next_select_ || next_select_ >= next_insert_ + o_.jobs)) {
    return false;
  }
  const int islands = archive_.num_islands();
  std::optional<Selection> sel;
  for (int k = 0; k < islands && !sel; ++k) {
    sel = archive_.Select(static_cast<int>((next_select_ + k) % islands), rng_);
  }
  if (!sel) return false;  // unreachable once the initial program is seeded
  // Several objectives: the parent is drawn from the island's Pareto
  // population by rank and crowding (NSGA-II's binary tournament).
  if (multi()) {
    const CandidateId p = fronts_[static_cast<size_t>(sel->island)].Tournament(rng_);
    if (p != kNoCandidate && members_.contains(p)) sel->parent = p;
  }
  auto slot = std::make_shared<Slot>();
  auto c = std::make_shared<Candidate>();
  c->id = next_select_++;
  c->parent_id = sel->parent;
  c->inspiration_ids = sel->inspirations;
  c->island = sel->island;
  c->seed = DeriveSeed(o_.seed, static_cast<uint64_t>(c->id));
  c->created_unix = clock_.UnixSeconds();
  slot->parent = members_.at(sel->parent);
  c->generation = slot->parent->generation + 1;
  slot->candidate = c;
  std::vector<std::shared_ptr<const Candidate>> inspirations;
  for (CandidateId id : sel->inspirations) inspirations.push_back(members_.at(id));
  slots_[c->id] = slot;
  SubmitProposal(slot, std::move(inspirations), sel->num_top);
  return true;
}

void Engine::Impl::SubmitProposal(const std::shared_ptr<Slot>& slot,
                                  std::vector<std::shared_ptr<const Candidate>> inspirations,
                                  size_t num_top) {
  ProposalRequest req;
  req.child_id = slot->candidate->id;
  req.seed = slot->candidate->seed;
  req.island = slot->candidate->island;
  req.parent = slot->parent;
  req.inspirations = std::move(inspirations);
  req.num_top_inspirations = num_top;
  req.precheck = &precheck_;
  req.lender = &lent_;
  if (o_.budget.evaluations) {
    req.evaluations_left = *o_.budget.evaluations - dispatched_ - (CountPhase(true) - 1);
  }
  if (proposer_.RunsInline()) {
    const double t0 = clock_.NowSeconds();
    slot->proposal = proposer_.Propose(req, cancel_.get_token());
    if (slot->proposal.ok()) slot->proposal->info.propose_seconds = clock_.NowSeconds() - t0;
    slot->phase = Slot::Phase::kProposed;
    return;
  }
  ++tasks_outstanding_;
  propose_pool_.Submit([this, req = std::move(req), stop = cancel_.get_token()] {
    const double t0 = clock_.NowSeconds();
    Completion done;
    done.id = req.child_id;
    done.is_evaluation = false;
    done.proposal = proposer_.Propose(req, stop);
    if (done.proposal.ok()) done.proposal->info.propose_seconds = clock_.NowSeconds() - t0;
    done.cancelled = stop.stop_requested();
    completions_.Push(std::move(done));
  });
}

void Engine::Impl::SubmitEvaluation(const std::shared_ptr<Slot>& slot) {
  ++tasks_outstanding_;
  std::shared_ptr<const Candidate> c = slot->candidate;
  eval_pool_.Submit([this, c, stop = cancel_.get_token()] {
    Completion done;
    done.id = c->id;
    done.is_evaluation = true;
    EvalRequest req;
    req.id = c->id;
    req.program = &c->program;
    req.seed = c->seed;
    req.split = Split::kTrain;
    done.result = evaluator_.Evaluate(req, stop);
    done.cancelled = stop.stop_requested();
    completions_.Push(std::move(done));
  });
}

// Runs units of work proposers offered (a tuning's samples) on idle
// evaluation slots, while fewer than `jobs` things run: evaluations, lent
// units and — in the classic schedule, where a proposal holds one of the
// `jobs` slots — proposals (a tuning's own thread evaluates too; with
// separate proposal slots it does not, LentSlots::OwnerMayRunUnits). Lent
// units do not touch the archive, so the deterministic schedule is
// unchanged.
bool Engine::Impl::TryLend() {
  if (cancel_.stop_requested()) return false;
  bool any = false;
  while (Busy() < o_.jobs) {
    std::function<void()> unit = lent_.Take();
    if (!unit) break;
    ++lent_running_;
    ++tasks_outstanding_;
    eval_pool_.Submit([this, unit = std::move(unit)] {
      unit();
      Completion done;
      done.lent = true;
      completions_.Push(std::move(done));
    });
    any = true;
  }
  return any;
}

int64_t Engine::Impl::Busy() const {
  // With separate proposal slots, proposals do not hold evaluation slots
  // and their threads evaluate nothing (their samples run on lent slots).
  const int64_t proposing = proposal_slots_ > 0 ? 0 : CountPhase(true);
  return proposing + CountPhase(false) + lent_running_;
}

bool Engine::Impl::TryPrecheck() {
  bool any = false;
  // With separate proposal slots, a proposed child waits for an evaluation
  // slot (at most `jobs` evaluations run at once).
  if (proposal_slots_ > 0 && CountPhase(false) + lent_running_ >= o_.jobs) return false;
  for (auto& [id, slot] : slots_) {
    if (o_.deterministic && id != next_precheck_) continue;
    if (slot->phase != Slot::Phase::kProposed) continue;
    if (proposal_slots_ > 0 && CountPhase(false) + lent_running_ >= o_.jobs) break;
    Precheck(*slot);
    if (o_.deterministic) ++next_precheck_;
    any = true;
    if (o_.deterministic || !store_error_.ok()) break;
  }
  return any;
}

}  // namespace crucible
