#include "engine/engine.h"

#include <fmt/format.h>

#include <algorithm>

#include "engine/engine_impl.h"

namespace crucible {

std::string_view StopReasonName(StopReason reason) {
  switch (reason) {
    case StopReason::kEvaluationBudget: return "evaluation_budget";
    case StopReason::kTimeBudget: return "time_budget";
    case StopReason::kTargetReached: return "target_reached";
    case StopReason::kInterrupted: return "interrupted";
    case StopReason::kProposerStalled: return "proposer_stalled";
    case StopReason::kStoreError: return "store_error";
    case StopReason::kProposerBudget: return "proposer_budget";
    case StopReason::kProposerFailed: return "proposer_failed";
  }
  return "unknown";
}

Status EngineOptions::Validate() const {
  if (jobs < 1) return InvalidArgumentError(fmt::format("jobs must be >= 1 (got {})", jobs));
  if (proposal_concurrency < 0) {
    return InvalidArgumentError(
        fmt::format("proposal_concurrency must be >= 0 (got {})", proposal_concurrency));
  }
  if (budget.evaluations && *budget.evaluations < 0) {
    return InvalidArgumentError("the evaluation budget must be >= 0");
  }
  if (budget.seconds && *budget.seconds <= 0) {
    return InvalidArgumentError("the time budget must be > 0 seconds");
  }
  if (max_unevaluated_in_a_row < 1) return InvalidArgumentError("max_unevaluated_in_a_row must be >= 1");
  if (objectives.size() > 1 && objectives.front() != objective) {
    return InvalidArgumentError("objectives: the first must be the objective");
  }
  return Status::Ok();
}

Engine::Impl::Impl(EngineOptions options, RunStore& store, Archive& archive, Proposer& proposer,
                   Evaluator& evaluator, const Clock& clock, EngineObserver* observer)
    : o_(std::move(options)),
      store_(store),
      archive_(archive),
      proposer_(proposer),
      evaluator_(evaluator),
      clock_(clock),
      observer_(observer),
      rng_(o_.seed),
      proposal_slots_(o_.deterministic ? 0
                      : o_.proposal_concurrency > 0 ? o_.proposal_concurrency
                                                    : std::max(0, proposer.Concurrency())),
      precheck_(PrecheckOptions{o_.max_program_bytes}),
      propose_pool_(std::max(o_.jobs, proposal_slots_)),
      lent_(
          [this] {
            Completion wake;
            wake.wake = true;
            completions_.Push(std::move(wake));
          },
          /*owner_may_run=*/proposal_slots_ == 0),
      eval_pool_(o_.jobs) {
  if (multi()) {
    fronts_.assign(static_cast<size_t>(archive_.num_islands()),
                   ParetoPopulation(o_.objectives.size()));
  }
}

Engine::Impl::~Impl() {
  cancel_.request_stop();
  DrainAll();
}

// --- The loop ----------------------------------------------------------------

StatusOr<EngineSummary> Engine::Impl::Run(std::stop_token stop) {
  start_ = clock_.NowSeconds();
  for (auto& [id, slot] : slots_) {
    if (slot->phase == Slot::Phase::kEvaluating) SubmitEvaluation(slot);
  }
  CheckStopConditions();
  while (true) {
    CheckInterruptions(stop);
    Advance();
    if (!store_error_.ok()) {
      Stop(StopReason::kStoreError, store_error_.ToString());
      cancel_.request_stop();
    }
    if (cancel_.stop_requested() || slots_.empty()) break;
    std::vector<Completion> done = completions_.WaitAndDrain(kRecordPendingAfterSeconds);
    // Counted here, not in Apply: when the batch cannot begin (run.db gone,
    // disk full) Apply never runs, and DrainAll must not wait for results
    // that were already taken off the queue.
    tasks_outstanding_ -= std::count_if(done.begin(), done.end(),
                                        [](const Completion& c) { return !c.wake; });
    InBatch([&] {
      for (Completion& c : done) Apply(std::move(c));
      RecordSlowEvaluations();
      WriteProposerCheckpoint();
      // The freed evaluation slots are refilled before the commit, so the
      // workers evaluate while the orchestrator commits, and the results
      // that arrive meanwhile share the next commit. The new children are
      // selected from the archive as it was before these results: nothing
      // uses a result before its commit. Not in deterministic mode, whose
      // schedule waits for the inserts anyway.
      if (!o_.deterministic) SelectAndPrecheck();
    });
    const double now = clock_.NowSeconds();
    if (observer_ && now - last_progress_ >= o_.progress_interval_seconds) {
      last_progress_ = now;
      observer_->OnProgress(CurrentProgress());
    }
  }
  DrainAll();
  InBatch([&] { WriteProposerCheckpoint(); });
  if (observer_) observer_->OnProgress(CurrentProgress());
  if (!store_error_.ok()) return store_error_;
  if (!stopping_) Stop(StopReason::kEvaluationBudget, "nothing left to do");
  EngineSummary s;
  s.reason = reason_;
  s.message = message_;
  s.progress = CurrentProgress();
  s.evaluations_this_session = session_evaluations_;
  s.candidates_this_session = session_candidates_;
  return s;
}

// Ctrl-C and the time budget stop the run and cancel the work in flight.
void Engine::Impl::CheckInterruptions(std::stop_token stop) {
  if (stop.stop_requested()) {
    Stop(StopReason::kInterrupted,
         "interrupted; in-flight evaluations were cancelled (those recorded as pending run again "
         "on resume)");
  }
  if (o_.budget.seconds && clock_.NowSeconds() - start_ >= *o_.budget.seconds) {
    Stop(StopReason::kTimeBudget, fmt::format("time budget of {:g} s reached", *o_.budget.seconds));
  }
  if (stopping_ && (reason_ == StopReason::kInterrupted || reason_ == StopReason::kTimeBudget)) {
    cancel_.request_stop();
  }
}

// Inserts, pre-checks and selects until none can proceed. The writes of
// pre-checks share one transaction; inserts come after its commit, so nothing
// enters the archive before it is stored.
void Engine::Impl::Advance() {
  bool progress = true;
  while (progress && store_error_.ok()) {
    progress = TryInsert();
    InBatch([&] { progress |= SelectAndPrecheck(); });
  }
}

bool Engine::Impl::SelectAndPrecheck() {
  bool any = false;
  bool more = true;
  while (more && store_error_.ok()) {
    // Idle slots go to lent work (a tuning's samples) before new children.
    more = TryLend();
    more |= TryPrecheck();
    more |= TrySelect();
    any |= more;
  }
  return any;
}

// Waits for every outstanding task; results of cancelled work are dropped
// (their candidates stay pending in the store).
void Engine::Impl::DrainAll() {
  while (tasks_outstanding_ > 0) {
    for (Completion& c : completions_.WaitAndDrain(0.05)) tasks_outstanding_ -= !c.wake;
  }
  slots_.clear();
}

void Engine::Impl::Stop(StopReason reason, std::string message) {
  if (stopping_) return;
  stopping_ = true;
  reason_ = reason;
  message_ = std::move(message);
}

void Engine::Impl::CheckStopConditions() {
  if (stopping_) return;
  if (o_.budget.target && best_value_ && !o_.objective.Better(*o_.budget.target, *best_value_)) {
    Stop(StopReason::kTargetReached,
         fmt::format("target {:g} reached by candidate {} ({:g})", *o_.budget.target, best_id_,
                     *best_value_));
  } else if (o_.budget.evaluations && evaluations_done_ >= *o_.budget.evaluations &&
             dispatched_ >= *o_.budget.evaluations) {
    Stop(StopReason::kEvaluationBudget,
         fmt::format("evaluation budget of {} reached", *o_.budget.evaluations));
  } else if (unevaluated_in_a_row_ >= o_.max_unevaluated_in_a_row) {
    Stop(StopReason::kProposerStalled,
         fmt::format("the last {} children were all duplicates or rejected", unevaluated_in_a_row_));
  }
}

// Model-call records and proposer state, in the current transaction.
void Engine::Impl::WriteProposerCheckpoint() {
  ProposerCheckpoint cp = proposer_.TakeCheckpoint();
  if (!cp.calls.empty()) {
    if (Status s = store_.InsertLlmCalls(cp.calls); !s.ok()) {
      store_error_ = s;
      return;
    }
  }
  if (!cp.notes.empty()) {
    if (Status s = store_.InsertLlmNotes(cp.notes); !s.ok()) {
      store_error_ = s;
      return;
    }
  }
  for (const auto& [key, value] : cp.state) {
    if (Status s = store_.PutState(key, value); !s.ok()) {
      store_error_ = s;
      return;
    }
  }
}

void Engine::Impl::Apply(Completion done) {
  if (done.wake) return;
  if (done.lent) {
    --lent_running_;
    return;
  }
  if (done.cancelled) return;
  auto it = slots_.find(done.id);
  if (it == slots_.end()) return;
  Slot& slot = *it->second;
  if (!done.is_evaluation) {
    slot.proposal = std::move(done.proposal);
    slot.phase = Slot::Phase::kProposed;
    return;
  }
  Candidate& c = *slot.candidate;
  c.result = std::move(done.result);
  const Status s = slot.recorded ? store_.Complete(c.id, c.result, kNoCandidate, StateEntries())
                                 : store_.InsertDone(c, StateEntries());
  if (!s.ok()) {
    store_error_ = s;
    return;
  }
  ++evaluations_done_;
  ++session_evaluations_;
  slot.phase = Slot::Phase::kFinished;
}

void Engine::Impl::RecordSlowEvaluations() {
  const double now = clock_.NowSeconds();
  for (auto& [id, slot] : slots_) {
    if (slot->phase != Slot::Phase::kEvaluating || slot->recorded) continue;
    if (now - slot->dispatched_at < kRecordPendingAfterSeconds) continue;
    if (Status s = store_.InsertPending(*slot->candidate, StateEntries()); !s.ok()) {
      store_error_ = s;
      return;
    }
    slot->recorded = true;
  }
}

Progress Engine::Impl::CurrentProgress() const {
  Progress p;
  p.evaluations = evaluations_done_;
  p.budget = o_.budget.evaluations;
  p.in_flight = static_cast<int64_t>(slots_.size());
  p.elapsed_seconds = start_ > 0 ? clock_.NowSeconds() - start_ : 0;
  p.evaluations_per_second = p.elapsed_seconds > 0 ? session_evaluations_ / p.elapsed_seconds : 0;
  p.best_id = best_id_;
  p.best_value = best_value_;
  p.outcomes = outcomes_;
  p.proposer_usage = proposer_.UsageSummary();
  p.hypervolume = hypervolume_;
  p.front_size = static_cast<int64_t>(run_front_.size());
  return p;
}

// --- Engine ------------------------------------------------------------------

Engine::Engine(EngineOptions options, RunStore& store, Archive& archive, Proposer& proposer,
               Evaluator& evaluator, const Clock& clock, EngineObserver* observer)
    : impl_(std::make_unique<Impl>(std::move(options), store, archive, proposer, evaluator, clock,
                                   observer)) {}
Engine::~Engine() = default;
Status Engine::Restore() { return impl_->Restore(); }
StatusOr<EngineSummary> Engine::Run(std::stop_token stop) { return impl_->Run(stop); }
Progress Engine::CurrentProgress() const { return impl_->CurrentProgress(); }

}  // namespace crucible
