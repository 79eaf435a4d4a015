// The harness's child processes on top of process/child.h: the compiler
// (RunTool, trusted, the harness's environment) and the confined candidate
// (RunCandidate and InteractiveCandidate: rlimits, empty environment, no
// descriptors but its pipes, dies with the harness; the binary's prologue
// confines it further at its entry point).
#include "problems/harness/candidate_process.h"

#include <signal.h>
#include <sys/resource.h>

#include <cstring>

#include "fmt/format.h"
#include "problems/harness/compiled_candidate.h"
#include "problems/harness/confine_prologue.h"
#include "problems/harness/interactive.h"

extern char** environ;

namespace crucible {
namespace {

// The compiler's output (stdout and stderr interleaved) kept; beyond it the
// compiler is stopped (its first errors are what the candidate's author needs).
constexpr size_t kToolOutputCap = 256 << 10;

SpawnOptions CandidateSpawnOptions(const std::string& binary_path, const RunLimits& limits) {
  SpawnOptions options;
  options.argv = {binary_path};
  options.environment = std::vector<std::string>{};
  options.die_with_parent = true;
  const rlim_t cpu = static_cast<rlim_t>(limits.timeout_seconds) + 2;
  options.rlimits = {{RLIMIT_AS, limits.memory_bytes},
                     {RLIMIT_CPU, cpu},
                     {RLIMIT_FSIZE, 0},
                     {RLIMIT_CORE, 0}};
  return options;
}

SupervisionLimits CandidateLimits(const RunLimits& limits) {
  SupervisionLimits s;
  s.wall_timeout_seconds = limits.timeout_seconds;
  s.stdout_limits = {limits.stdout_cap_bytes, 0, OverflowAction::kStop};
  s.stderr_limits = {0, limits.stderr_cap_bytes, OverflowAction::kDiscard};
  return s;
}

RunOutput ToRunOutput(ProcessResult p) {
  RunOutput r;
  switch (p.kind) {
    case ExitKind::kExited:
      r.status = RunStatus::kExited;
      r.exit_code = p.exit_code;
      break;
    case ExitKind::kSignaled:
      r.status = RunStatus::kSignaled;
      r.signal = p.signal;
      break;
    case ExitKind::kTimedOut:
      r.status = RunStatus::kTimeout;
      r.signal = p.cpu_time_exceeded ? p.signal : 0;
      break;
    case ExitKind::kOutputCapped:
      r.status = RunStatus::kOutputLimit;
      break;
    case ExitKind::kSpawnFailed:
      r.status = RunStatus::kStartFailed;
      r.error = std::move(p.spawn_error);
      break;
  }
  r.stdout_text = std::move(p.stdout_text);
  r.stderr_text = std::move(p.stderr_text);
  r.wall_seconds = p.wall_seconds;
  return r;
}

}  // namespace

ProcessResult RunTool(const std::vector<std::string>& argv, const std::string& cwd) {
  SpawnOptions options;
  options.argv = argv;
  options.working_dir = cwd;
  options.stdin_mode = StdinMode::kNull;
  options.stderr_mode = StderrMode::kMergeIntoStdout;
  // The harness's environment with LC_ALL=C, so that compiler messages are
  // plain ASCII whatever the user's locale.
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (strncmp(*e, "LC_ALL=", 7) != 0) env.push_back(*e);
  }
  env.push_back("LC_ALL=C");
  options.environment = std::move(env);
  SupervisionLimits limits;  // no deadline: the sandbox's covers the harness
  limits.stdout_limits = {kToolOutputCap, 0, OverflowAction::kStop};
  return RunProcess(options, limits);
}

RunOutput RunCandidate(const std::string& binary_path, const std::string& input,
                       const RunLimits& limits) {
  return ToRunOutput(
      RunProcess(CandidateSpawnOptions(binary_path, limits), CandidateLimits(limits), input));
}

std::string RunOutput::Describe() const {
  switch (status) {
    case RunStatus::kExited:
      if (exit_code == kExitNoNewPrivsFailed || exit_code == kExitSeccompFailed) {
        return "the candidate could not be confined (the kernel refused its seccomp filter)";
      }
      return fmt::format("exited with status {}", exit_code);
    case RunStatus::kSignaled:
      if (signal == SIGSYS) {
        return "killed by SIGSYS: it made a forbidden system call (candidates may not open "
               "files, use sockets, start processes, exec or signal; abort() ends here too)";
      }
      return "killed by " + SignalName(signal);
    case RunStatus::kTimeout:
      return fmt::format("timed out after {:g} s", wall_seconds);
    case RunStatus::kOutputLimit:
      return "wrote more output than allowed";
    case RunStatus::kStartFailed:
      return "could not be started: " + error;
  }
  return "unknown";
}

std::unique_ptr<InteractiveCandidate> InteractiveCandidate::Start(const std::string& binary_path,
                                                                  const RunLimits& limits,
                                                                  std::string* error) {
  StatusOr<ChildProcess> child =
      ChildProcess::Spawn(CandidateSpawnOptions(binary_path, limits), CandidateLimits(limits));
  if (!child.ok()) {
    *error = child.status().message();
    return nullptr;
  }
  std::unique_ptr<InteractiveCandidate> ic(new InteractiveCandidate());
  ic->child_.emplace(std::move(child).value());
  return ic;
}

InteractiveCandidate::~InteractiveCandidate() = default;  // the child is killed and reaped

bool InteractiveCandidate::Exchange(std::string_view request, size_t reply_size,
                                    std::string* reply) {
  reply->clear();
  if (finished_) return false;
  child_->Feed(request);
  OutputCapture& out = child_->pump().stdout_capture();
  if (!child_->PumpUntil([&] { return out.head_size() >= reply_size; })) return false;
  *reply = out.TakeHead(reply_size);
  return child_->pump().stdin_pending() == 0;
}

RunOutput InteractiveCandidate::Finish() {
  finished_ = true;
  return ToRunOutput(child_->Wait());
}

}  // namespace crucible
