// WarmPool: long-lived Python evaluator workers, one per concurrent
// evaluation (docs/openevolve.md, "Warm evaluators").
//
// Each worker is python/crucible/worker.py running in crucible's sandbox
// (one Sandbox::Run that lasts as long as the worker), with its compiled
// per-candidate loop (warm_fork.cc) beside it when the binary ships one: it
// imports the evaluator module once and forks a fresh child per candidate, which runs
// with the candidate's limits, in its own scratch directory, and is killed
// with its whole tree at its deadline or when it ends. The candidate's
// files travel in the request and the worker writes them on its private
// tmpfs; its scratch directory is the worker's own, emptied after each
// candidate: per candidate crucible touches no file system (creating and
// removing a candidate's directories on the run's disk was ~1 ms of CPU). The pool talks to a
// worker over two FIFOs that are unlinked as soon as both ends are open, so
// no candidate can open them; the candidate's child holds neither (it
// reports on a pipe of its own, relayed by the worker as the response's
// "result"). A worker that dies, times out past its own
// deadline, or asks to retire is discarded; the next evaluation starts a new
// one.
//
// Thread-safe: Run() may be called from several threads at once; each call
// uses a worker of its own.
#ifndef CRUCIBLE_EVALUATE_WARM_POOL_H_
#define CRUCIBLE_EVALUATE_WARM_POOL_H_

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "core/candidate.h"
#include "core/status.h"
#include "sandbox/sandbox.h"

namespace crucible {

struct WarmPoolOptions {
  // python3 worker.py FORMAT FILE PROGRAM [flags]: the pool inserts the two
  // FIFO paths after worker.py.
  std::vector<std::string> worker_argv;
  std::string root;  // must exist; each worker gets ROOT/w<N>/ (its scratch dirs)
  // Visible to every worker (the candidates' files live there).
  std::vector<std::string> readonly_paths;
  // Writable for every worker (the run's cache directory).
  std::vector<std::string> writable_paths;
  // Set for every worker (CRUCIBLE_PROBLEM_DIR, CRUCIBLE_CACHE_DIR, ...);
  // each candidate's own variables come with its request.
  std::map<std::string, std::string> env;
  SandboxOptions sandbox;  // the candidates' limits; the workers' own are derived
  // The worker's own directory (ROOT/w<N>/) as a private tmpfs of this many
  // bytes (SandboxRequest::scratch_bytes): its candidates cannot fill the
  // disk through it either. 0: the host's directory.
  uint64_t scratch_bytes = 0;

  Status Validate() const;
};

class WarmPool {
 public:
  static StatusOr<std::unique_ptr<WarmPool>> Create(WarmPoolOptions options);
  ~WarmPool();
  WarmPool(const WarmPool&) = delete;
  WarmPool& operator=(const WarmPool&) = delete;

  struct Stage {
    SandboxResult run;
    // What the candidate's child wrote on its result channel (its
    // CRUCIBLE_RESULT_FD, a pipe to the worker); nullopt when nothing.
    std::optional<std::string> result;
  };
  // Evaluates a candidate in a fresh child of a warm worker, with `env`
  // (CRUCIBLE_STAGE, CRUCIBLE_SEED, ...) set; the result is shaped as a
  // sandbox run of the cold adapter would be. With `program` the worker
  // writes its files itself (only for a program CanSend() accepts);
  // without, it reads them from CANDIDATE_DIR, which the caller wrote.
  Stage Run(const Program* program, const std::string& candidate_dir,
            const std::map<std::string, std::string>& env, std::stop_token stop);
  // Whether the program's files can travel in a request: JSON text carries
  // UTF-8 only, byte for byte.
  static bool CanSend(const Program& program);

  std::string Describe() const;
  int workers_started() const;  // for tests: how many workers were ever started

 private:
  class Worker;
  WarmPool(WarmPoolOptions options, std::unique_ptr<Sandbox> sandbox);
  StatusOr<std::unique_ptr<Worker>> Acquire();
  void Release(std::unique_ptr<Worker> worker);

  const WarmPoolOptions options_;
  const std::unique_ptr<Sandbox> sandbox_;  // the workers' sandbox (long deadline)
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Worker>> idle_;  // guarded by mu_
  int started_ = 0;                             // guarded by mu_
};

}  // namespace crucible

#endif  // CRUCIBLE_EVALUATE_WARM_POOL_H_
