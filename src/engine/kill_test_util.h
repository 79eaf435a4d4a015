// Test helpers for runs that are SIGKILLed mid-way and resumed
// (engine_kill_test, dashboard/grid_resume_test): the child process that
// runs the engine, the tick it sends per evaluation, and the kill after a
// given number of ticks.
#ifndef CRUCIBLE_ENGINE_KILL_TEST_UTIL_H_
#define CRUCIBLE_ENGINE_KILL_TEST_UTIL_H_

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>

#include "core/candidate.h"
#include "core/hash.h"

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

#endif  // CRUCIBLE_ENGINE_KILL_TEST_UTIL_H_
