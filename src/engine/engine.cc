#include "engine/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "archive/entry.h"
#include "archive/pareto.h"
#include "core/diff.h"
#include "core/parsed_program.h"
#include "engine/lent_slots.h"
#include "engine/task_pool.h"

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

// One child between selection and insertion.
struct Engine::Slot {
  enum class Phase { kProposing, kProposed, kEvaluating, kFinished };
  Phase phase = Phase::kProposing;
  std::shared_ptr<Candidate> candidate;
  std::shared_ptr<const Candidate> parent;
  StatusOr<Proposal> proposal = InternalError("not proposed yet");
  bool evaluated = false;  // went to the evaluator (not a duplicate or rejected)
  bool restored = false;   // re-queued by Restore(): exempt from the deterministic schedule
  bool replayed = false;   // a finished candidate replayed by Restore(): already counted and reported
  bool recorded = false;   // its pending row is in the store
  double dispatched_at = 0;  // when its evaluation was submitted (clock seconds)
};

// An evaluation still running this long after it started gets its pending
// row written, so a crash re-queues it. Faster ones are written once, when
// they finish: one commit per candidate instead of two.
constexpr double kRecordPendingAfterSeconds = 0.05;

struct Engine::Completion {
  CandidateId id = kNoCandidate;
  bool is_evaluation = false;
  StatusOr<Proposal> proposal = InternalError("none");
  EvalResult result;
  bool cancelled = false;
  bool lent = false;  // a unit of lent work (LentSlots) finished
  bool wake = false;  // work was offered to idle slots; not a task
};

class Engine::Impl {
 public:
  Impl(EngineOptions options, RunStore& store, Archive& archive, Proposer& proposer,
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
        lent_([this] {
          Completion wake;
          wake.wake = true;
          completions_.Push(std::move(wake));
        }),
        eval_pool_(o_.jobs) {
    if (multi()) {
      fronts_.assign(static_cast<size_t>(archive_.num_islands()),
                     ParetoPopulation(o_.objectives.size()));
    }
  }

  ~Impl() {
    cancel_.request_stop();
    DrainAll();
  }

  Status Restore();
  StatusOr<EngineSummary> Run(std::stop_token stop);
  Progress CurrentProgress() const;

 private:
  // The loop's steps; each returns true when it changed something.
  bool TrySelect();
  bool TryPrecheck();
  bool TryInsert();
  void Apply(Completion c);
  void CheckInterruptions(std::stop_token stop);
  void Advance();
  bool SelectAndPrecheck();  // within a batch; true when it changed something
  bool TryLend();
  int64_t Busy() const;
  void RecordSlowEvaluations();

  bool SelectionOpen() const;
  // Runs `writes` inside one store transaction (one commit instead of one
  // per candidate: the commit, not the insert, is what costs).
  template <typename F>
  void InBatch(F writes) {
    if (Status s = store_.BeginBatch(); !s.ok()) {
      store_error_ = s;
      return;
    }
    writes();
    if (Status s = store_.CommitBatch(); !s.ok() && store_error_.ok()) store_error_ = s;
  }
  // `num_top`: how many of the inspirations the archive picked as the best.
  void SubmitProposal(const std::shared_ptr<Slot>& slot,
                      std::vector<std::shared_ptr<const Candidate>> inspirations, size_t num_top);
  void SubmitEvaluation(const std::shared_ptr<Slot>& slot);
  void Precheck(Slot& slot);
  void CountProposerEvaluations(int64_t n);
  void FinishWithoutEvaluation(Slot& slot, Outcome outcome, std::string feedback,
                               CandidateId duplicate_of);
  void Insert(const Slot& slot);
  bool multi() const { return o_.objectives.size() > 1; }
  void UpdateFronts(const Slot& slot);
  bool InAnyFront(CandidateId id) const;
  void CheckStopConditions();
  void Stop(StopReason reason, std::string message);
  void DrainAll();
  std::map<std::string, std::string> StateEntries() const { return {{"rng", rng_.Serialize()}}; }
  void WriteProposerCheckpoint();
  int64_t CountPhase(bool proposing) const;
  int64_t CountEvaluatedAndFinished() const;

  const EngineOptions o_;
  const EntryRule entry_rule_{o_.objective, o_.final_stage};
  RunStore& store_;
  Archive& archive_;
  Proposer& proposer_;
  Evaluator& evaluator_;
  const Clock& clock_;
  EngineObserver* observer_;

  Rng rng_;
  // Proposals allowed in flight apart from evaluations; 0 = the classic
  // schedule (`jobs` candidates between select and insert).
  const int proposal_slots_;
  // Fixed regions, size, known and in-flight hashes (precheck/precheck.h);
  // proposers may query it from their threads.
  Prechecker precheck_;
  // Candidates the archive may hand out as parents or inspirations.
  std::unordered_map<CandidateId, std::shared_ptr<const Candidate>> members_;
  std::map<CandidateId, std::shared_ptr<Slot>> slots_;       // in flight, by id
  CompletionQueue<Completion> completions_;
  std::stop_source cancel_;  // cancels in-flight work
  int64_t tasks_outstanding_ = 0;
  int64_t lent_running_ = 0;  // units of lent work on the evaluation pool

  CandidateId next_select_ = 0;    // the next id to allocate
  CandidateId next_precheck_ = 0;  // deterministic schedule
  CandidateId next_insert_ = 0;    // deterministic schedule
  int64_t dispatched_ = 0;         // children sent to the evaluator, whole run
  int64_t evaluations_done_ = 0;   // ... and finished
  int64_t unevaluated_in_a_row_ = 0;
  int64_t session_evaluations_ = 0;
  int64_t session_candidates_ = 0;
  std::map<Outcome, int64_t> outcomes_;
  CandidateId best_id_ = kNoCandidate;
  std::optional<double> best_value_;
  double start_ = 0;
  double last_progress_ = -1;
  bool stopping_ = false;
  StopReason reason_ = StopReason::kEvaluationBudget;
  std::string message_;
  Status store_error_;
  // Several objectives only (EngineOptions::objectives).
  std::vector<ParetoPopulation> fronts_;      // per island
  std::vector<ParetoMember> run_front_;       // non-dominated over all islands
  std::vector<double> hv_reference_;          // set by the first candidate with every objective
  std::optional<double> hypervolume_;

  TaskPool propose_pool_;  // last: destroyed (joined) first
  LentSlots lent_;         // idle evaluation slots lent to proposers (tuning samples)
  TaskPool eval_pool_;
};

// --- Restore ---------------------------------------------------------------

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

bool Engine::Impl::SelectionOpen() const {
  if (stopping_) return false;
  if (!o_.budget.evaluations) return true;
  int64_t proposing = 0;
  for (const auto& [id, slot] : slots_) {
    proposing += slot->phase == Slot::Phase::kProposing || slot->phase == Slot::Phase::kProposed;
  }
  return dispatched_ + proposing < *o_.budget.evaluations;
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

// Runs units of work proposers offered (a tuning's samples) on idle
// evaluation slots, while fewer than `jobs` things run: evaluations, lent
// units and — in the classic schedule, where a proposal holds one of the
// `jobs` slots — proposals (a tuning's own thread evaluates too). Lent
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
  // With separate proposal slots, proposals do not hold evaluation slots;
  // the thread of each proposer with work on offer still evaluates.
  const int64_t proposing = proposal_slots_ > 0 ? lent_.offers() : CountPhase(true);
  return proposing + CountPhase(false) + lent_running_;
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
