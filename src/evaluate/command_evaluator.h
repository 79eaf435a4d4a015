// CommandEvaluator: runs a problem's evaluator command on a candidate, stage
// by stage (the cascade), each stage in the sandbox, and turns what happened
// into an EvalResult (docs/evaluator-protocol.md).
//
// For each evaluation it writes the candidate's files to
//   WORK_ROOT/c<ID>-<n>/candidate/
// and runs `COMMAND... CANDIDATE_DIR` with the working directory set to a
// fresh scratch directory WORK_ROOT/c<ID>-<n>/<stage>/ and CRUCIBLE_STAGE,
// CRUCIBLE_SEED, CRUCIBLE_SPLIT, CRUCIBLE_PROBLEM_DIR and
// CRUCIBLE_PROTOCOL_VERSION in the environment. The directory is removed
// afterwards unless keep_work is set. With warm workers the files travel in
// the worker's request instead (warm_pool.h) and the worker has its own
// scratch directory: the directory is made only for a cascade's previous
// result.
//
// Thread-safe: Evaluate() may be called from several threads at once.
#ifndef CRUCIBLE_EVALUATE_COMMAND_EVALUATOR_H_
#define CRUCIBLE_EVALUATE_COMMAND_EVALUATOR_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/objective.h"
#include "core/status.h"
#include "evaluate/cascade_stage.h"
#include "evaluate/evaluator.h"
#include "evaluate/warm_pool.h"
#include "sandbox/sandbox.h"

namespace crucible {

// The least a cache is allowed, however full the disk.
inline constexpr uint64_t kMinCacheQuotaBytes = 16ull << 20;

// `configured`, but at most half the space now free on the filesystem of
// `cache_dir` (and at least kMinCacheQuotaBytes): a cache is worth less than
// the run, so filling it must never fill the disk.
uint64_t CacheQuotaFor(const std::string& cache_dir, uint64_t configured);
// When `cache_dir` holds more than `quota_bytes`, removes its oldest files
// (by last write; a pch-* directory as a whole) down to 3/4 of the quota.
// Best effort: what cannot be removed stays.
void EvictCache(const std::string& cache_dir, uint64_t quota_bytes);

struct CommandEvaluatorOptions {
  std::string problem_dir;           // absolute; relative command paths resolve here
  std::vector<std::string> command;  // argv; the candidate dir is appended
  std::vector<CascadeStage> stages = {{"full", std::nullopt}};
  Objective objective;  // its direction decides the cascade thresholds
  std::string work_root;  // must exist and be writable
  bool keep_work = false;
  // A directory shared by all evaluations of a run, writable inside the
  // sandbox and passed as CRUCIBLE_CACHE_DIR (e.g. compiled candidates,
  // cached by source hash). Empty: none.
  std::string cache_dir;
  // Built-in evaluators: the problem directory is handed to the evaluator as
  // a descriptor (CRUCIBLE_PROBLEM_DIR=/proc/self/fd/9) and the sandbox shows
  // nothing of the host but the system's programs and libraries, the
  // candidate, the scratch and cache directories
  // (SandboxRequest::hide_host_filesystem): what the evaluator starts (a
  // compiler, the candidate) cannot name a data file into view.
  bool hide_problem_dir = false;
  // The most cache_dir may hold. Candidates (through a compiler or an
  // evaluator) can write there; past the quota the oldest files are evicted
  // (down to 3/4 of it) when the evaluator is created and after each
  // evaluation, so a run cannot fill the disk through its cache. Each file
  // is also bounded by sandbox.file_size_bytes. Create() lowers it to half
  // the space free on the cache's filesystem (CacheQuotaFor).
  uint64_t cache_quota_bytes = 2ull << 30;
  // A stage is stopped (runtime_error naming it) when the free space of the
  // cache's filesystem falls below this while it runs: the cache quota is
  // enforced between evaluations, and one candidate writing many files
  // there must not fill the disk meanwhile. Polled every 100 ms. 0: never.
  // Create() lowers it to a sixteenth of the filesystem's size.
  uint64_t cache_disk_floor_bytes = 64ull << 20;
  // The most each stage's scratch directory may hold (and one file per
  // 16 KiB of it): a private tmpfs in the sandbox (SandboxRequest::
  // scratch_bytes), counted in sandbox.memory_bytes, so an evaluator or its
  // candidate cannot fill the disk by writing many files there. Only
  // result.json comes back out (for protocol-1 evaluators). keep_work turns
  // it off (the directory is kept on disk, unbounded but for RLIMIT_FSIZE).
  uint64_t scratch_quota_bytes = 1ull << 30;
  SandboxOptions sandbox;
  // When set (python3 .../worker.py FORMAT FILE PROGRAM [flags]), stages run
  // in warm Python workers (warm_pool.h) instead of one sandboxed process
  // each; `command` is then the cold equivalent, used for nothing else than
  // describing the evaluator.
  std::vector<std::string> warm_worker_command;
  // The evaluator is known to speak protocol 2 (crucible's own Python
  // adapter): only the result channel is read. stdout and result.json are
  // places the candidate can write (an OpenEvolve evaluator runs it in its
  // own process), so a stage that wrote nothing on the channel is an
  // evaluator_error, never a result read the protocol-1 way.
  bool result_channel_only = false;
  // The command is crucible's own (the Python adapter's, whose paths are
  // absolute already): its words are not resolved against the problem
  // directory. Otherwise the adapter's PROGRAM word (initial_program.py, a
  // path inside the candidate directory) named the problem's own file and
  // every candidate was scored as the initial program.
  bool command_is_final = false;
  // Paths the evaluator must see besides its command's (e.g. crucible's
  // python/ tree when the work root is under /tmp); read-only.
  std::vector<std::string> readonly_paths;

  Status Validate() const;
};

// Turns the end of one sandboxed stage into a result. `result_json` is what
// the stage wrote on its result channel or else, unless `channel_only`, the
// content of result.json from its working directory; without either, unless
// `channel_only`, the last line of stdout is read. Exposed for tests.
EvalResult ClassifyStage(const SandboxResult& run, const std::optional<std::string>& result_json,
                         double wall_timeout_seconds, bool channel_only = false);

class CommandEvaluator final : public Evaluator {
 public:
  static StatusOr<std::unique_ptr<CommandEvaluator>> Create(CommandEvaluatorOptions options);

  EvalResult Evaluate(const EvalRequest& request, std::stop_token stop) override;
  std::string Describe() const override;

 private:
  CommandEvaluator(CommandEvaluatorOptions options, std::unique_ptr<Sandbox> sandbox,
                   std::unique_ptr<WarmPool> warm);
  void EnforceCacheQuota();
  // One stage's result, and whether the evaluator ended the cascade there
  // ("continue": false in its result). `previous` is the file holding the
  // previous stage's result (CRUCIBLE_PREVIOUS_RESULT), empty at the first.
  struct StageRun {
    EvalResult result;
    bool stop_cascade = false;
  };
  StageRun RunStage(const CascadeStage& stage, const std::string& candidate_dir,
                    const std::string& scratch, const std::string& previous,
                    const EvalRequest& request, std::stop_token stop) const;

  const CommandEvaluatorOptions options_;
  const std::unique_ptr<Sandbox> sandbox_;
  const std::unique_ptr<WarmPool> warm_;  // null unless warm_worker_command is set
  std::atomic<uint64_t> counter_{0};  // makes work directories unique
  std::mutex cache_mutex_;            // one eviction at a time
};

}  // namespace crucible

#endif  // CRUCIBLE_EVALUATE_COMMAND_EVALUATOR_H_
