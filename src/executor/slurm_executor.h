// SlurmExecutor: an Evaluator that runs each evaluation as a Slurm job.
//
// For an evaluation of candidate ID it writes a job directory on the shared
// filesystem, JOBS_ROOT/c<ID>-<ATTEMPT>/:
//   job.json     what to evaluate: candidate id, seed, split, program hash,
//                file list, and the run's frozen configuration (opaque here)
//   candidate/   the candidate's files
//   job.sh       the batch script: #SBATCH lines, the prologue, then
//                `CRUCIBLE eval-job DIR`, which runs the same sandboxed
//                CommandEvaluator as a local run and writes result.json
//                atomically
//   jobid        the Slurm job id, written as soon as sbatch returns
//   result.json  the result (written on the node)
//   slurm.out    the job's stdout and stderr
//   cancelled    present when crucible cancelled the job itself
// submits job.sh with `sbatch --parsable`, and waits. One poller thread asks
// Slurm about all jobs in flight with one squeue call per poll, and reads
// result.json as soon as it appears. Slurm's verdicts become outcomes:
//   TIMEOUT, DEADLINE                 -> timeout
//   OUT_OF_MEMORY                     -> memory_limit
//   NODE_FAIL, BOOT_FAIL, PREEMPTED   -> submitted again (max_retries), then
//                                        evaluator_error
//   CANCELLED (not by crucible)       -> cancelled, saying by whom if known
//   PENDING beyond queue_timeout      -> scancel, evaluator_error
//   FAILED, or finished without result.json -> evaluator_error with the tail
//                                        of slurm.out
// When `stop` fires (Ctrl-C, time budget) the job is cancelled with scancel.
//
// Resume: Evaluate() for a candidate whose latest job directory matches the
// request (same seed, split and program) adopts it: a result already written
// is used, a job still queued or running is awaited. Nothing is submitted
// twice for one evaluation. CancelOrphans() cancels jobs left by a crashed
// coordinator for candidates the run will not evaluate again.
//
// Thread-safe: Evaluate() may be called from several threads at once.
#ifndef CRUCIBLE_EXECUTOR_SLURM_EXECUTOR_H_
#define CRUCIBLE_EXECUTOR_SLURM_EXECUTOR_H_

#include <functional>
#include <memory>
#include <set>
#include <string>

#include "core/status.h"
#include "evaluate/evaluator.h"
#include "executor/slurm_client.h"
#include "executor/slurm_options.h"

namespace crucible {

// The version of job.json and result.json (docs/slurm.md).
inline constexpr int kSlurmJobFormatVersion = 1;

struct SlurmExecutorOptions {
  SlurmOptions slurm;
  std::string jobs_root;  // RUN/slurm: on a filesystem the nodes share; created
  std::string crucible;   // the binary the job runs (absolute)
  std::string config_json;  // the run's frozen configuration, for eval-job
  std::string cache_dir;    // RUN/cache (CRUCIBLE_CACHE_DIR on the node)
  // Defaults for slurm.time and slurm.memory_mb.
  double default_time_seconds = 600;
  int64_t default_memory_mb = 2560;

  Status Validate() const;
};

class SlurmExecutor final : public Evaluator {
 public:
  // `client` runs the Slurm commands (MakeCommandSlurmClient in real use).
  static StatusOr<std::unique_ptr<SlurmExecutor>> Create(SlurmExecutorOptions options,
                                                         std::unique_ptr<SlurmClient> client);
  ~SlurmExecutor() override;

  EvalResult Evaluate(const EvalRequest& request, std::stop_token stop) override;
  std::string Describe() const override;

  // Cancels the unfinished jobs of candidates not in `will_evaluate` (jobs
  // submitted for children whose pending row never reached run.db). Returns
  // how many were cancelled.
  StatusOr<int> CancelOrphans(const std::set<CandidateId>& will_evaluate);

  class Impl;

 private:
  explicit SlurmExecutor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The node side of a job (`crucible eval-job DIR`): reads DIR/job.json,
// evaluates DIR/candidate/ with `evaluate` (the sandboxed CommandEvaluator
// built from the frozen configuration) and writes DIR/result.json through a
// temporary file and rename. `make_evaluator(config_json, work_root,
// cache_dir)` builds the evaluator.
//
// A job Slurm ends (time limit, scancel) writes no result, so that the
// coordinator records Slurm's verdict (ClassifySlurmEnd): `stop` stops the
// evaluation, and `signalled()`, read after it, says whether the job had its
// SIGTERM. Both are needed: Slurm signals every process of the job at once,
// so the evaluator may die of that SIGTERM and the evaluation return before
// `stop` shows it (the CLI requests it from a thread that polls the signal
// count every 20 ms); `signalled` must answer without such a delay.
using EvaluatorFactory = std::function<StatusOr<std::unique_ptr<Evaluator>>(
    const std::string& config_json, const std::string& work_root, const std::string& cache_dir)>;
Status RunEvalJob(const std::string& dir, const EvaluatorFactory& make_evaluator,
                  std::stop_token stop, const std::function<bool()>& signalled);

// The outcome for a job Slurm ended without a result (exposed for tests).
// `cancelled_by_us` is true when crucible itself sent scancel.
EvalResult ClassifySlurmEnd(const SlurmJobInfo& info, const std::string& output_tail);

}  // namespace crucible

#endif  // CRUCIBLE_EXECUTOR_SLURM_EXECUTOR_H_
