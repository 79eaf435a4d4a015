// Starting, resuming and finishing a discovery run: the glue between a
// problem directory, a run directory and the Engine.
//
// A run directory holds:
//   run.db   the run database (docs/run-database.md), config frozen inside
//   work/    scratch space of evaluations in flight (emptied on resume)
//   slurm/   job directories of the Slurm executor (docs/slurm.md)
//   best/    the best program and its metrics.json (written at the end and by
//            `crucible best`)
//   lock     held (flock) while a process works on the run
#ifndef CRUCIBLE_ENGINE_RUN_H_
#define CRUCIBLE_ENGINE_RUN_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>

#include "config/config.h"
#include "config/openevolve_task.h"
#include "core/status.h"
#include "engine/engine.h"
#include "evaluate/command_evaluator.h"
#include "store/run_store.h"

namespace crucible {

inline constexpr char kCrucibleVersion[] = "0.1.0";

struct RunRequest {
  std::string problem_dir;  // for a new run
  // For an OpenEvolve or ShinkaEvolve task directory: file names that differ
  // from the defaults (--config, --initial, --evaluator).
  TaskFiles task_files;
  std::string resume_dir;   // for a resume (then problem_dir is ignored)
  std::string out_dir;      // new run: default runs/<name>-<timestamp>
  std::optional<int64_t> evaluations;  // overrides budget.evaluations
  std::optional<double> seconds;       // overrides budget.time
  std::optional<double> target;        // overrides budget.target
  int jobs = 0;                        // 0 = number of cores
  std::optional<uint64_t> seed;        // default 0; a resume keeps the run's seed
  bool deterministic = false;          // a resume keeps the run's setting
  bool keep_work = false;              // keep evaluation scratch directories
  // nullopt = the run's own choice (a new run: problem.yaml's `proposer`,
  // else auto); a value overrides it.
  std::optional<ProposerKind> proposer;
  int llm_concurrency = 0;             // 0 = llm.concurrency
  std::optional<ExecutorKind> executor;  // overrides `executor:`
};

struct RunResult {
  std::string run_dir;
  EngineSummary summary;
  std::optional<double> initial_value;
};

// Lines for the user's log (the sandbox's capabilities, the initial score...).
using LogFn = std::function<void(const std::string&)>;

// Validates everything and evaluates the initial program before anything is
// written; an InvalidArgument/NotFound/FailedPrecondition error means nothing
// was written. Then creates the run directory and runs the engine.
StatusOr<RunResult> StartRun(const RunRequest& request, EngineObserver* observer, LogFn log,
                             std::stop_token stop);

// Continues the run in request.resume_dir where it stopped.
StatusOr<RunResult> ResumeRun(const RunRequest& request, EngineObserver* observer, LogFn log,
                              std::stop_token stop);

// The evaluator of a problem: its command (or, for a built-in evaluator,
// this executable's `harness NAME`), limits and cascade; scratch space under
// `work_root`, compiled candidates under `cache_dir` (may be empty).
// A Python evaluator (OpenEvolve/ShinkaEvolve) gets crucible's python/
// tree written to WORK_ROOT/python first.
StatusOr<CommandEvaluatorOptions> EvaluatorOptionsFor(const RunConfig& config,
                                                      const std::string& work_root,
                                                      const std::string& cache_dir);

// The config component's view of this binary: the built-in evaluators
// (problems/registry.h) that a problem.yaml's evaluator.builtin may name.
ConfigReadOptions KnownBuiltinEvaluators();

// The evaluator a Slurm job runs on its node (`crucible eval-job`): the
// sandboxed CommandEvaluator of the frozen configuration `config_json`.
StatusOr<std::unique_ptr<Evaluator>> MakeJobEvaluator(const std::string& config_json,
                                                      const std::string& work_root,
                                                      const std::string& cache_dir);

// For executor "slurm": FailedPrecondition unless the Slurm commands answer
// (checked before anything is written). OK for the local executor.
Status CheckExecutorReachable(const RunConfig& config);

// Opens RUN_DIR/run.db read-only (clear errors for a missing or foreign dir).
StatusOr<std::unique_ptr<RunStore>> OpenRunStore(const std::string& run_dir);

// Writes RUN_DIR/best/: the best program's files and metrics.json. Returns
// the best candidate, or NotFound when no candidate has a score.
StatusOr<Candidate> WriteBestDir(const std::string& run_dir, const RunStore& store,
                                 const RunConfig& config);

// Several objectives: the run's last Pareto front (run.db's last "front"
// event) and its hypervolume; each member's files and metrics.json are
// written to RUN_DIR/best/front/ID/. NotFound when the run has no front yet.
struct FrontSummary {
  double hypervolume = 0;
  std::vector<Candidate> members;
};
StatusOr<FrontSummary> WriteFrontDir(const std::string& run_dir, const RunStore& store);

}  // namespace crucible

#endif  // CRUCIBLE_ENGINE_RUN_H_
