// Test helpers of the engine's tests and of dashboard/grid_resume_test: a
// proposer that steps a number, the run directory, and for runs that are
// SIGKILLed mid-way and resumed, the child process that resumes the
// engine, the tick it sends per evaluation, and the kill after a given
// number of ticks.
#ifndef CRUCIBLE_ENGINE_ENGINE_TEST_UTIL_H_
#define CRUCIBLE_ENGINE_ENGINE_TEST_UTIL_H_

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "archive/archive.h"
#include "core/candidate.h"
#include "core/clock.h"
#include "core/hash.h"
#include "core/rng.h"
#include "engine/engine.h"
#include "store/run_store.h"

namespace crucible::testing_util {

// One byte down `fd` (an evaluator calls it after each evaluation); -1 is
// "nobody listens".
inline void Tick(int fd) {
  if (fd < 0) return;
  const char byte = 't';
  (void)!::write(fd, &byte, 1);
}

// How a run that was to be killed ended.
struct Killed {
  int64_t ticks = 0;   // evaluations it reported before the kill
  int status = 0;      // waitpid's status
  bool killed() const { return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL; }
};

// Forks a child that runs `run(tick_fd)` (which must end in _exit), reads
// its ticks until `after` have come or it ended, then SIGKILLs and reaps it.
// Whatever the orchestrator is doing at that moment is interrupted.
inline Killed RunAndKill(int64_t after, const std::function<void(int tick_fd)>& run) {
  Killed k;
  int fds[2];
  if (::pipe(fds) != 0) return k;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    run(fds[1]);
    ::_exit(99);  // `run` returned instead of exiting
  }
  ::close(fds[1]);
  char buf[64];
  while (pid > 0 && k.ticks < after) {
    const ssize_t n = ::read(fds[0], buf, std::min<int64_t>(sizeof buf, after - k.ticks));
    if (n <= 0) break;  // the run ended first
    k.ticks += n;
  }
  ::close(fds[0]);
  if (pid > 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &k.status, 0);
  }
  return k;
}

// Programs "x = N\ny = S\n": a child moves N by a seeded step of at most
// `max_step`; S, drawn afresh, keeps children distinct.
class StepProposer final : public Proposer {
 public:
  explicit StepProposer(int max_step) : max_step_(max_step) {}
  StatusOr<Proposal> Propose(const ProposalRequest& req, std::stop_token) override {
    const long x = std::stol(req.parent->program.files[0].content.substr(4));
    Rng rng(req.seed);
    Proposal p;
    p.program.files.push_back(
        {"p.py", fmt::format("x = {}\ny = {}\n", x + rng.UniformInt(-max_step_, max_step_),
                             rng.UniformInt(0, 1'000'000'000))});
    p.info.proposer = "step";
    return p;
  }
  std::string_view Name() const override { return "step"; }

 private:
  int max_step_;
};

// A run directory of its own per test, removed afterwards.
class RunDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "crucible-kill-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::string Path() const { return (dir_ / "run.db").string(); }

  std::filesystem::path dir_;
};

// The exit status of a resumed run that ended by itself: 10 + its stop
// reason (3: run.db did not open, 4: Restore failed, 5: Run failed).
inline int ExitCodeOf(StopReason reason) { return 10 + static_cast<int>(reason); }

// Resumes the run in run.db at `path` and ends the process (it runs in
// RunAndKill's child) with an exit code ExitCodeOf describes.
[[noreturn]] inline void ResumeAndExit(const std::string& path, const ArchiveOptions& archive_options,
                                       const EngineOptions& options, Proposer& proposer,
                                       Evaluator& evaluator) {
  auto store = RunStore::Open(path, RunStore::Mode::kReadWrite);
  if (!store.ok()) ::_exit(3);
  auto archive = Archive::Create(archive_options);
  if (!archive.ok()) ::_exit(3);
  SystemClock clock;
  Engine engine(options, **store, **archive, proposer, evaluator, clock);
  if (!engine.Restore().ok()) ::_exit(4);
  auto summary = engine.Run({});
  ::_exit(summary.ok() ? ExitCodeOf(summary->reason) : 5);
}

// The score of a test program "x = N\n...": -|N - 42|.
inline double ScoreOf(const Program& p) {
  return -std::abs(static_cast<double>(std::stol(p.files[0].content.substr(4)) - 42));
}

// The run's initial candidate, evaluated and done: id 0, one file.
inline Candidate InitialCandidate(const std::string& path, const std::string& content,
                                  double score) {
  Candidate c;
  c.id = 0;
  c.program.files.push_back({path, content});
  c.source_hash = NormalizedProgramHash(c.program);
  c.proposal.proposer = "initial";
  c.result.outcome = Outcome::kOk;
  c.result.score = score;
  c.result.stage = "full";
  return c;
}

}  // namespace crucible::testing_util

#endif  // CRUCIBLE_ENGINE_ENGINE_TEST_UTIL_H_
