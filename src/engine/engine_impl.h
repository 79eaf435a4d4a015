// Engine::Impl, the engine's state and the steps of its loop, shared by the
// files that implement it (private to src/engine/; include engine.h
// elsewhere):
//   engine.cc           the loop: completions, stop conditions, checkpoints
//   engine_schedule.cc  what may start now: selection, proposal slots, the
//                       deterministic schedule, idle slots lent to a
//                       tuning's samples (lent_slots.h), the worker pools
//   engine_record.cc    a proposed child's way to the archive: pre-check,
//                       store, insert, Pareto fronts
//   engine_restore.cc   Restore(): the state rebuilt from the store
// Every member is touched by the orchestrator thread only, except where a
// comment says otherwise (the pools' tasks reach it through completions_).
#ifndef CRUCIBLE_ENGINE_ENGINE_IMPL_H_
#define CRUCIBLE_ENGINE_ENGINE_IMPL_H_

#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <unordered_map>
#include <vector>

#include "archive/entry.h"
#include "archive/pareto.h"
#include "engine/engine.h"
#include "engine/lent_slots.h"
#include "engine/task_pool.h"

namespace crucible {

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
inline constexpr double kRecordPendingAfterSeconds = 0.05;

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
       Evaluator& evaluator, const Clock& clock, EngineObserver* observer);
  ~Impl();

  Status Restore();  // engine_restore.cc
  StatusOr<EngineSummary> Run(std::stop_token stop);
  Progress CurrentProgress() const;

 private:
  // The loop's steps; each returns true when it changed something.
  bool TrySelect();    // engine_schedule.cc
  bool TryPrecheck();  // engine_schedule.cc
  bool TryInsert();    // engine_record.cc
  void Apply(Completion c);
  void CheckInterruptions(std::stop_token stop);
  void Advance();
  bool SelectAndPrecheck();  // within a batch; true when it changed something

  // engine_schedule.cc
  bool TryLend();
  int64_t Busy() const;
  bool SelectionOpen() const;
  int64_t CountPhase(bool proposing) const;
  int64_t CountEvaluatedAndFinished() const;
  // `num_top`: how many of the inspirations the archive picked as the best.
  void SubmitProposal(const std::shared_ptr<Slot>& slot,
                      std::vector<std::shared_ptr<const Candidate>> inspirations, size_t num_top);
  void SubmitEvaluation(const std::shared_ptr<Slot>& slot);

  // engine_record.cc
  void Precheck(Slot& slot);
  void CountProposerEvaluations(int64_t n);
  void FinishWithoutEvaluation(Slot& slot, Outcome outcome, std::string feedback,
                               CandidateId duplicate_of);
  void Insert(const Slot& slot);
  void UpdateFronts(const Slot& slot);
  bool InAnyFront(CandidateId id) const;

  void RecordSlowEvaluations();
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
  bool multi() const { return o_.objectives.size() > 1; }
  void CheckStopConditions();
  void Stop(StopReason reason, std::string message);
  void DrainAll();
  std::map<std::string, std::string> StateEntries() const { return {{"rng", rng_.Serialize()}}; }
  void WriteProposerCheckpoint();

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

}  // namespace crucible

#endif  // CRUCIBLE_ENGINE_ENGINE_IMPL_H_
