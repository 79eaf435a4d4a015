// TuningProposer: constant tuning of evolved programs (issue #14, item 2)
// around any other proposer (mutate or llm). It watches the results; a
// promising candidate (a new best of its island, or one of the run's top k)
// is queued (so is the initial program), and a later Propose() call, instead of asking the wrapped
// proposer, tunes the literals of the best queued candidate with an inner
// CMA-ES (tune/tuner.h) whose samples go through the run's evaluator on the
// train split. The tuned program is that candidate's child (Proposal::parent
// says so), with proposer "tune", operator "cmaes" and a detail record
//   {"tuned_from": 12, "evaluations": 30, "literals": 4,
//    "start_value": -3.9, "best_value": -3.5,
//    "changes": [{"file": "initial.cpp", "line": 14, "from": "0.7", "to": "0.8125"}]}
// and ProposalInfo::evaluations holds the samples it cost, which the engine
// counts against the evaluation budget and the store keeps (run.db's
// `tunings` table). A tuning that finds nothing better returns the start
// program: the engine records it as a duplicate, with its cost.
//
// How much is spent: at most `budget_share` of all evaluations so far
// (children plus tuning samples) goes to tuning, one tuning at a time, and a
// candidate is tuned at most once; tuned children are not tuned again, nor
// are their children (and theirs) that score exactly as their parent.
//
// Resume: the queue and the spending are rebuilt from the results the engine
// replays (OnResult with replayed = true). The tuning in flight is state
// ("tune.tuning" in run.db: the tuned candidate, the CMA-ES seed, the planned
// samples and the value of every sample evaluated so far, checkpointed as
// they come), so a resumed run continues it exactly: the next proposal takes
// it up again, answers the recorded samples without evaluating them (they
// still count, once) and evaluates the rest, ending with the child, record
// and cost the uninterrupted tuning would have had. The state is dropped
// once the tuned child is recorded.
//
// Parallel samples: a tuning evaluates each CMA-ES generation's new samples
// as one batch (tuner.h). Its own thread takes them one by one, and the
// engine lends its idle evaluation slots (ProposalRequest::lender,
// propose/slot_lender.h), so with `--jobs N` up to N samples run at once
// when nothing else is evaluating, never more evaluations than N. Where this
// thread holds no evaluation slot (the lender says so), it evaluates nothing
// and waits for the lent slots.
//
// Thread safety: Propose() runs on worker threads (RunsInline() is false even
// when the wrapped proposer's is true, because a tuning waits on
// evaluations); the queue is guarded by a mutex. The hooks are forwarded.
#ifndef CRUCIBLE_PROPOSE_TUNE_TUNING_PROPOSER_H_
#define CRUCIBLE_PROPOSE_TUNE_TUNING_PROPOSER_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/objective.h"
#include "propose/proposer.h"
#include "propose/tune/tuner.h"

namespace crucible {

// Scores `program` on the train split through the run's evaluator, as
// candidate `id` with seed `seed`. Called from worker threads.
using ProgramEvaluation =
    std::function<EvalResult(CandidateId id, const Program& program, uint64_t seed,
                             std::stop_token stop)>;

class TuningProposer : public Proposer {
 public:
  // Every sample of a tuning is evaluated as the child being proposed (its
  // id) with the seed of the candidate being tuned, so that a stochastic
  // evaluator scores the samples on the same draw as the start.
  TuningProposer(std::unique_ptr<Proposer> base, TuningOptions options, Objective objective,
                 ProgramEvaluation evaluate);

  StatusOr<Proposal> Propose(const ProposalRequest& request, std::stop_token stop) override;
  std::string_view Name() const override { return base_->Name(); }
  bool RunsInline() const override { return false; }
  void OnResult(const Candidate& child, std::optional<double> child_fitness,
                std::optional<double> parent_fitness, bool replayed) override;
  ProposerCheckpoint TakeCheckpoint() override;
  std::vector<std::string> StateKeys() const override;
  // DataLoss when the in-flight tuning's state is corrupt.
  Status RestoreState(const std::map<std::string, std::string>& state) override;
  std::string UsageSummary() const override;
  int Concurrency() const override { return base_->Concurrency(); }

  // Counters, for tests and the summary.
  int64_t tunings() const;
  int64_t tuning_evaluations() const;
  // The most samples of one batch evaluated at once (1 without a lender).
  int max_samples_in_flight() const;

 private:
  // The next candidate to tune, if one is queued and the share allows; the
  // spending is reserved under the lock.
  std::shared_ptr<const Candidate> TakeJob(int64_t planned_evaluations);

  // A tuning: its start, options (max_evaluations as planned), CMA-ES seed
  // and the samples evaluated so far (state "tune.tuning").
  struct Job {
    std::shared_ptr<const Candidate> start;
    TuneOptions tune;
    uint64_t seed = 0;
    RecordedSamples samples;
  };
  // The tuning restored by RestoreState, if any and none runs, its samples
  // capped by `evaluations_left`; none when not one generation fits (then
  // it is dropped).
  std::optional<Job> TakeResumed(std::optional<int64_t> evaluations_left);
  StatusOr<Proposal> Tune(const ProposalRequest& request, Job job, std::stop_token stop);
  std::string InFlightJson() const;  // mu_ held

  std::unique_ptr<Proposer> base_;
  const TuningOptions options_;
  const Objective objective_;
  const ProgramEvaluation evaluate_;

  mutable std::mutex mu_;  // guards everything below
  std::map<CandidateId, std::shared_ptr<const Candidate>> queue_;
  std::map<CandidateId, double> queue_fitness_;
  std::set<CandidateId> tuned_;             // tuned, being tuned, tuned children and their copies
  std::map<int, double> island_best_;       // fitness
  std::optional<double> initial_fitness_;   // the initial program's: every island's first bar
  std::multiset<double> top_;               // the best `top_k` fitnesses
  int64_t evaluated_children_ = 0;          // results seen that were evaluated
  int64_t spent_ = 0;                       // tuning samples, made and reserved
  int64_t tunings_ = 0;
  std::set<CandidateId> live_children_;    // children of tunings made by this process
  bool busy_ = false;                       // one tuning at a time
  int max_samples_in_flight_ = 0;
  std::optional<Job> in_flight_;          // the tuning running or awaiting its child's record
  bool in_flight_changed_ = false;        // to checkpoint
  std::optional<Job> resumed_;            // restored, to be taken up by the next proposal
  // Candidates queued during the replay of a resume: where a tuning in
  // flight at the crash finds its start again (dropped after RestoreState).
  std::map<CandidateId, std::shared_ptr<const Candidate>> replayed_queued_;
};

}  // namespace crucible

#endif  // CRUCIBLE_PROPOSE_TUNE_TUNING_PROPOSER_H_
