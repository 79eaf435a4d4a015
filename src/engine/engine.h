// Engine: the discovery loop of DESIGN.md — select, propose, pre-check,
// execute, record, insert — with several candidates in flight.
//
// Threads: the thread calling Run() is the orchestrator; it alone touches the
// archive, the store, the pre-check's tables and the counters. Proposals and
// evaluations run on worker pools as self-contained tasks and hand their
// results back through a completion queue.
//
// Determinism: with options.deterministic the orchestrator's operations
// follow a fixed schedule in candidate-id order — candidate k is selected
// when exactly the results of candidates 0..k-jobs are in the archive, and
// proposals are pre-checked in id order — so the same seed gives the same
// run whatever the timing of the workers (docs/engine.md).
//
// Crash safety: a result is committed before the archive sees it. A child
// whose evaluation is still running 50 ms after it started is written to the
// store as pending, so a crash re-queues it; faster ones are written once,
// with their result. Restore() rebuilds everything from the store and
// re-queues pending children.
#ifndef CRUCIBLE_ENGINE_ENGINE_H_
#define CRUCIBLE_ENGINE_ENGINE_H_

#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <unordered_map>
#include <vector>

#include "archive/archive.h"
#include "config/config.h"
#include "core/candidate.h"
#include "core/clock.h"
#include "core/rng.h"
#include "core/status.h"
#include "evaluate/evaluator.h"
#include "precheck/precheck.h"
#include "propose/proposer.h"
#include "store/run_store.h"

namespace crucible {

struct EngineOptions {
  int jobs = 2;                  // evaluations in flight
  // Proposals in flight, independent of `jobs` (an LLM proposer waits on the
  // network, not the CPU). 0 = the proposer's Concurrency(), and when that
  // is 0 too, the classic schedule: `jobs` candidates between select and
  // insert. Ignored in deterministic mode (proposals are made one at a time).
  int proposal_concurrency = 0;
  bool deterministic = false;
  uint64_t seed = 0;
  Budget budget;
  Objective objective;
  // Several objectives (problem.yaml `objectives:`; the first is
  // `objective`): each island keeps a Pareto population beside its grid
  // (archive/pareto.h), parents are drawn from it by rank and crowding, and
  // the run's front and its hypervolume are tracked. Empty or one: the
  // single-objective run, unchanged.
  std::vector<Objective> objectives;
  std::string final_stage = "full";  // results stopped before it by the cascade are not archived
  size_t max_program_bytes = 256 * 1024;
  // Stop when this many children in a row were duplicates or rejected.
  int64_t max_unevaluated_in_a_row = 1000;
  double progress_interval_seconds = 0.5;

  Status Validate() const;
};

enum class StopReason {
  kEvaluationBudget,
  kTimeBudget,
  kTargetReached,
  kInterrupted,
  kProposerStalled,
  kStoreError,
  kProposerBudget,  // the proposer's token or cost budget is spent
  kProposerFailed,  // the proposer cannot work at all (e.g. the LLM endpoint refuses the key)
};
std::string_view StopReasonName(StopReason reason);

struct Progress {
  int64_t evaluations = 0;                // finished evaluations, whole run
  std::optional<int64_t> budget;          // evaluation budget
  int64_t in_flight = 0;
  double elapsed_seconds = 0;             // this invocation
  double evaluations_per_second = 0;      // this invocation
  CandidateId best_id = kNoCandidate;
  std::optional<double> best_value;
  std::map<Outcome, int64_t> outcomes;    // whole run, initial program included
  std::string proposer_usage;             // Proposer::UsageSummary() ("" for mutate)
  // Several objectives only: the run's Pareto front (size) and its
  // hypervolume above the reference point (docs/search.md, "Several
  // objectives"), the run's progress figure.
  std::optional<double> hypervolume;
  int64_t front_size = 0;
};

struct EngineSummary {
  StopReason reason = StopReason::kEvaluationBudget;
  std::string message;  // why the run stopped, in words
  Progress progress;    // final counters
  int64_t evaluations_this_session = 0;
  int64_t candidates_this_session = 0;
};

// Hooks for the CLI and tests. Called on the orchestrator thread.
class EngineObserver {
 public:
  virtual ~EngineObserver() = default;
  virtual void OnProgress(const Progress&) {}
  // `value` is the candidate's objective value, when it has one.
  virtual void OnCandidate(const Candidate&, std::optional<double> /*value*/, bool /*new_best*/) {}
};

class Engine {
 public:
  // All references must outlive the engine.
  Engine(EngineOptions options, RunStore& store, Archive& archive, Proposer& proposer,
         Evaluator& evaluator, const Clock& clock, EngineObserver* observer = nullptr);
  ~Engine();

  // Rebuilds archive, cache, counters and the random state from the store,
  // which must hold at least the evaluated initial program, and queues the
  // children that were pending for evaluation again.
  Status Restore();

  // Runs until a budget is reached, the target is met, `stop` is requested
  // (in-flight evaluations are cancelled and stay pending for a resume) or
  // the store fails.
  StatusOr<EngineSummary> Run(std::stop_token stop);

  Progress CurrentProgress() const;

 private:
  struct Slot;
  struct Completion;
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace crucible

#endif  // CRUCIBLE_ENGINE_ENGINE_H_
