#include "process/child.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <utility>

#include "fmt/format.h"

extern char** environ;

namespace crucible {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kDefaultPath = "/usr/local/bin:/usr/bin:/bin";
// Descriptors are parked at or above this while being moved into 0..2.
constexpr int kParkedFdBase = 10;
// Without a pidfd the end of the child is noticed by polling this often.
constexpr int kExitPollMs = 5;

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

// Everything the child needs, prepared in the parent: between clone and exec
// the child may only make system calls (no allocation, no locks).
struct ChildSetup {
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;  // the child's ends
  const char* working_dir = nullptr;
  bool new_process_group = true;
  bool die_with_parent = false;
  const ResourceLimit* rlimits = nullptr;
  size_t rlimit_count = 0;
  // Exec mode only.
  // Fork mode: a descriptor above 2 to keep open (the status pipe).
  int keep_fd = -1;
  const char* exec_path = nullptr;
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  // Written by the child when a step fails (shared memory under CLONE_VM).
  const char* failed_step = nullptr;
  int error = 0;
};

CRUCIBLE_NO_SANITIZE_CHILD void CloseRange(unsigned first, unsigned last) {
  if (syscall(SYS_close_range, first, last, 0) == 0) return;
  for (unsigned fd = first; fd <= last && fd < 4096; ++fd) close(static_cast<int>(fd));
}

// The child's side of the set-up; false with failed_step/error set.
CRUCIBLE_NO_SANITIZE_CHILD bool SetUpChild(ChildSetup& s) {
  auto fail = [&s](const char* step) {
    s.failed_step = step;
    s.error = errno;
    return false;
  };
  if (s.new_process_group && setpgid(0, 0) != 0) return fail("setpgid");
  if (s.die_with_parent && prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) {
    return fail("pdeathsig");
  }
  // Park the sources above 0..2 first, so that placing one cannot overwrite
  // another (crucible may run with a standard descriptor closed).
  const int sources[3] = {s.stdin_fd, s.stdout_fd, s.stderr_fd};
  int parked[3];
  for (int i = 0; i < 3; ++i) {
    parked[i] = fcntl(sources[i], F_DUPFD_CLOEXEC, kParkedFdBase);
    if (parked[i] < 0) return fail("move descriptors");
  }
  for (int i = 0; i < 3; ++i) {
    if (dup2(parked[i], i) < 0) return fail("redirect stdio");
  }
  if (s.working_dir != nullptr && chdir(s.working_dir) != 0) return fail("chdir");
  for (size_t i = 0; i < s.rlimit_count; ++i) {
    // A limit only ever tightens: one above what this process may have (a
    // harness inside a sandbox whose evaluation timeout is shorter than the
    // harness's own candidate limit) is held at the hard limit it has,
    // rather than failing with EPERM.
    const ResourceLimit& l = s.rlimits[i];
    rlimit current{};
    if (getrlimit(l.resource, &current) != 0) return fail("getrlimit");
    const rlim_t hard = std::min(l.hard != 0 ? l.hard : l.soft, current.rlim_max);
    const rlimit limit{std::min(l.soft, hard), hard};
    if (setrlimit(l.resource, &limit) != 0) return fail("setrlimit");
  }
  if (s.keep_fd >= 3) {
    if (s.keep_fd > 3) CloseRange(3, s.keep_fd - 1);
    CloseRange(s.keep_fd + 1, ~0U);
  } else {
    CloseRange(3, ~0U);
  }
  return true;
}

CRUCIBLE_NO_SANITIZE_CHILD int ExecChildMain(void* raw) {
  ChildSetup& s = *static_cast<ChildSetup*>(raw);
  if (SetUpChild(s)) {
    execve(s.exec_path, s.argv, s.envp);
    s.failed_step = "exec";
    s.error = errno;
  }
  _exit(127);
}

struct Pipe {
  UniqueFd read, write;
};

// What a forked child whose set-up failed writes to its status pipe.
struct ForkFailure {
  int error;
  char step[32];
};

StatusOr<Pipe> MakePipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return UnavailableError(std::string("pipe2: ") + strerror(errno));
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// The child's standard descriptors and the parent's ends, per the modes.
struct Plumbing {
  UniqueFd child_in, child_out, child_err;
  UniqueFd parent_in, parent_out, parent_err;
};

StatusOr<Plumbing> MakePlumbing(const SpawnOptions& options) {
  Plumbing p;
  UniqueFd dev_null;
  if (options.stdin_mode == StdinMode::kNull || options.stderr_mode == StderrMode::kNull) {
    dev_null.Reset(open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!dev_null.valid()) return UnavailableError(std::string("/dev/null: ") + strerror(errno));
  }
  if (options.stdin_mode == StdinMode::kPipe) {
    ASSIGN_OR_RETURN(Pipe in, MakePipe());
    p.child_in = std::move(in.read);
    p.parent_in = std::move(in.write);
  } else {
    p.child_in.Reset(fcntl(dev_null.get(), F_DUPFD_CLOEXEC, 0));
  }
  ASSIGN_OR_RETURN(Pipe out, MakePipe());
  p.child_out = std::move(out.write);
  p.parent_out = std::move(out.read);
  switch (options.stderr_mode) {
    case StderrMode::kPipe: {
      ASSIGN_OR_RETURN(Pipe err, MakePipe());
      p.child_err = std::move(err.write);
      p.parent_err = std::move(err.read);
      break;
    }
    case StderrMode::kMergeIntoStdout:
      p.child_err.Reset(fcntl(p.child_out.get(), F_DUPFD_CLOEXEC, 0));
      break;
    case StderrMode::kNull:
      p.child_err.Reset(fcntl(dev_null.get(), F_DUPFD_CLOEXEC, 0));
      break;
  }
  if (!p.child_in.valid() || !p.child_err.valid()) {
    return UnavailableError(std::string("dup: ") + strerror(errno));
  }
  return p;
}

ChildSetup SetupFor(const SpawnOptions& options, const Plumbing& p) {
  ChildSetup s;
  s.stdin_fd = p.child_in.get();
  s.stdout_fd = p.child_out.get();
  s.stderr_fd = p.child_err.get();
  s.working_dir = options.working_dir.empty() ? nullptr : options.working_dir.c_str();
  s.new_process_group = options.new_process_group;
  s.die_with_parent = options.die_with_parent;
  s.rlimits = options.rlimits.data();
  s.rlimit_count = options.rlimits.size();
  return s;
}

Status SetupError(const ChildSetup& s, const std::string& what) {
  return UnavailableError(fmt::format("{} {}: {}", s.failed_step, what, strerror(s.error)));
}

std::string PathOf(const std::optional<std::vector<std::string>>& environment) {
  if (!environment) {
    const char* path = getenv("PATH");
    return path != nullptr ? path : "";
  }
  for (const std::string& entry : *environment) {
    if (entry.rfind("PATH=", 0) == 0) return entry.substr(5);
  }
  return "";
}

}  // namespace

std::string_view ExitKindName(ExitKind kind) {
  switch (kind) {
    case ExitKind::kExited:
      return "exited";
    case ExitKind::kSignaled:
      return "signaled";
    case ExitKind::kTimedOut:
      return "timed_out";
    case ExitKind::kOutputCapped:
      return "output_capped";
    case ExitKind::kSpawnFailed:
      return "spawn_failed";
  }
  return "unknown";
}

std::string SignalName(int signal) {
  const char* abbrev = sigabbrev_np(signal);
  return abbrev != nullptr ? fmt::format("SIG{}", abbrev) : fmt::format("signal {}", signal);
}

void ClassifyWaitStatus(int wait_status, ProcessResult& result) {
  result.wait_status = wait_status;
  if (WIFSIGNALED(wait_status)) {
    result.signal = WTERMSIG(wait_status);
    result.exit_code = -1;
    result.cpu_time_exceeded = result.signal == SIGXCPU;
    result.kind = result.cpu_time_exceeded ? ExitKind::kTimedOut : ExitKind::kSignaled;
  } else {
    result.kind = ExitKind::kExited;
    result.exit_code = WEXITSTATUS(wait_status);
    result.signal = 0;
  }
}

std::string ProcessResult::Describe() const {
  switch (kind) {
    case ExitKind::kExited:
      return fmt::format("exited with status {}", exit_code);
    case ExitKind::kSignaled:
      return "killed by " + SignalName(signal);
    case ExitKind::kTimedOut:
      return cpu_time_exceeded ? "exceeded its CPU time limit"
                               : fmt::format("timed out after {:g} s", wall_seconds);
    case ExitKind::kOutputCapped:
      return "wrote more output than allowed";
    case ExitKind::kSpawnFailed:
      return "could not be started: " + spawn_error;
  }
  return "unknown";
}

Status SpawnOptions::Validate() const {
  if (argv.empty() || argv[0].empty()) return InvalidArgumentError("argv[0] is empty");
  for (const std::string& arg : argv) {
    if (arg.find('\0') != std::string::npos) {
      return InvalidArgumentError("argv holds a NUL byte");
    }
  }
  if (environment) {
    for (const std::string& entry : *environment) {
      if (entry.find('=') == std::string::npos || entry.find('\0') != std::string::npos) {
        return InvalidArgumentError("environment entry '" + entry + "' is not NAME=value");
      }
    }
  }
  return Status::Ok();
}

StatusOr<std::string> ResolveExecutable(const std::string& argv0, const std::string& working_dir,
                                        const std::string& path_value) {
  if (argv0.empty()) return InvalidArgumentError("argv[0] is empty");
  if (argv0.find('/') != std::string::npos) {
    std::string path =
        argv0[0] == '/' || working_dir.empty() ? argv0 : working_dir + "/" + argv0;
    if (!IsExecutableFile(path)) return NotFoundError(argv0 + ": not an executable file");
    return path;
  }
  std::istringstream dirs(path_value.empty() ? kDefaultPath : path_value);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;  // an empty entry would mean ".": never trust it
    std::string candidate = dir + "/" + argv0;
    if (IsExecutableFile(candidate)) return candidate;
  }
  return NotFoundError(argv0 + ": not found in PATH");
}

ChildProcess::ChildProcess(ProcessHandle handle, StreamPump pump, const SupervisionLimits& limits,
                           Clock::time_point start)
    : handle_(std::move(handle)), pump_(std::move(pump)), limits_(limits), start_(start) {
  deadline_ = limits.wall_timeout_seconds > 0
                  ? start_ + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(limits.wall_timeout_seconds))
                  : Clock::time_point::max();
}

StatusOr<ChildProcess> ChildProcess::Spawn(const SpawnOptions& options,
                                           const SupervisionLimits& limits) {
  const Clock::time_point start = Clock::now();
  RETURN_IF_ERROR(options.Validate());
  ASSIGN_OR_RETURN(std::string exec_path, ResolveExecutable(options.argv[0], options.working_dir,
                                                            PathOf(options.environment)));
  ASSIGN_OR_RETURN(Plumbing plumbing, MakePlumbing(options));
  std::vector<char*> argv;
  for (const std::string& arg : options.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  if (options.environment) {
    for (const std::string& entry : *options.environment) {
      envp.push_back(const_cast<char*>(entry.c_str()));
    }
    envp.push_back(nullptr);
  }
  ChildSetup setup = SetupFor(options, plumbing);
  setup.exec_path = exec_path.c_str();
  setup.argv = argv.data();
  setup.envp = options.environment ? envp.data() : environ;
  int pidfd = -1;
  pid_t pid = CloneVfork(CLONE_PIDFD, ExecChildMain, &setup, &pidfd);
  if (pid < 0 && errno == EINVAL) {  // kernels before 5.2: no CLONE_PIDFD
    pidfd = -1;
    pid = CloneVfork(0, ExecChildMain, &setup, nullptr);
  }
  if (pid < 0) return UnavailableError(std::string("clone: ") + strerror(errno));
  const KillScope scope =
      options.new_process_group ? KillScope::kProcessGroup : KillScope::kProcess;
  ProcessHandle handle(pid, UniqueFd(pidfd), scope);
  if (setup.failed_step != nullptr) {
    handle.Reap(nullptr);  // it has _exit'ed already (CLONE_VFORK)
    return SetupError(setup, options.argv[0]);
  }
  StreamPump pump(std::move(plumbing.parent_in), std::move(plumbing.parent_out),
                  limits.stdout_limits, std::move(plumbing.parent_err), limits.stderr_limits);
  return ChildProcess(std::move(handle), std::move(pump), limits, start);
}

StatusOr<ChildProcess> ChildProcess::Fork(const SpawnOptions& options,
                                          const SupervisionLimits& limits,
                                          const std::function<int()>& body) {
  const Clock::time_point start = Clock::now();
  ASSIGN_OR_RETURN(Plumbing plumbing, MakePlumbing(options));
  // A forked child shares no memory with us: it reports a failed set-up step
  // over this pipe, which closes unread when the set-up succeeds.
  ASSIGN_OR_RETURN(Pipe status, MakePipe());
  ChildSetup setup = SetupFor(options, plumbing);
  const pid_t pid = fork();
  if (pid < 0) return UnavailableError(std::string("fork: ") + strerror(errno));
  if (pid == 0) {
    setup.keep_fd = status.write.get();
    if (!SetUpChild(setup)) {
      ForkFailure report{setup.error, {}};
      for (size_t i = 0; setup.failed_step[i] != '\0' && i + 1 < sizeof(report.step); ++i) {
        report.step[i] = setup.failed_step[i];
      }
      (void)!write(setup.keep_fd, &report, sizeof(report));
      _exit(127);
    }
    close(setup.keep_fd);
    _exit(body());
  }
  status.write.Reset();
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  const KillScope scope =
      options.new_process_group ? KillScope::kProcessGroup : KillScope::kProcess;
  ProcessHandle handle(pid, std::move(pidfd), scope);
  ForkFailure report{};
  ssize_t n;
  while ((n = read(status.read.get(), &report, sizeof(report))) < 0 && errno == EINTR) {
  }
  if (n > 0) {
    handle.Reap(nullptr);
    return UnavailableError(fmt::format("{} in the forked child: {}",
                                        std::string(report.step, strnlen(report.step, 32)),
                                        strerror(report.error)));
  }
  StreamPump pump(std::move(plumbing.parent_in), std::move(plumbing.parent_out),
                  limits.stdout_limits, std::move(plumbing.parent_err), limits.stderr_limits);
  return ChildProcess(std::move(handle), std::move(pump), limits, start);
}

ChildProcess ChildProcess::Adopt(ProcessHandle handle, UniqueFd stdin_write, UniqueFd stdout_read,
                                 UniqueFd stderr_read, const SupervisionLimits& limits) {
  StreamPump pump(std::move(stdin_write), std::move(stdout_read), limits.stdout_limits,
                  std::move(stderr_read), limits.stderr_limits);
  return ChildProcess(std::move(handle), std::move(pump), limits, Clock::now());
}

void ChildProcess::Kill() {
  killed_ = true;
  handle_.Kill();
}

void ChildProcess::ReapNow() {
  // The child is a zombie: its group id is still reserved, so this reaches
  // only what it left behind in its group.
  if (limits_.kill_group_when_child_ends) handle_.KillGroup();
  wait_status_ = handle_.Reap(&usage_);
  end_ = Clock::now();
  ended_ = true;
}

ChildProcess::Round ChildProcess::PumpOnce(Clock::time_point until) {
  Clock::time_point now = Clock::now();
  if (!killed_ && !ended_ && now >= deadline_) {
    timed_out_ = true;
    Kill();
  }
  if (!killed_ && !ended_ && pump_.capped()) {
    capped_ = true;
    Kill();
  }
  pollfd fds[StreamPump::kMaxPollFds + 1];
  const int pump_count = pump_.AddToPollSet(fds);
  int count = pump_count;
  const bool watch_pidfd = !ended_ && handle_.pidfd() >= 0;
  if (watch_pidfd) fds[count++] = pollfd{handle_.pidfd(), POLLIN, 0};
  if (!killed_ && !ended_) until = std::min(until, deadline_);
  int64_t wait_ms = until == Clock::time_point::max()
                        ? 1000
                        : std::chrono::ceil<std::chrono::milliseconds>(until - now).count();
  wait_ms = std::clamp<int64_t>(wait_ms, 0, 1000);
  if (!ended_ && !watch_pidfd) wait_ms = std::min<int64_t>(wait_ms, kExitPollMs);
  if (poll(fds, static_cast<nfds_t>(count), static_cast<int>(wait_ms)) < 0) {
    return ended_ ? Round::kEnded : Round::kRunning;  // EINTR: the caller loops
  }
  pump_.Handle(fds, pump_count);
  if (!ended_ && (watch_pidfd ? fds[pump_count].revents != 0 : handle_.Exited())) ReapNow();
  return ended_ ? Round::kEnded : Round::kRunning;
}

bool ChildProcess::PumpUntil(const std::function<bool()>& done) {
  while (!done()) {
    // Killed (deadline, cap): Wait() reports it. stdout closed: nothing more
    // can come.
    if (killed_ || !pump_.stdout_open()) return false;
    if (ended_ && Clock::now() >= end_ + limits_.drain_grace) return false;
    PumpOnce(ended_ ? end_ + limits_.drain_grace : Clock::time_point::max());
  }
  return true;
}

ProcessResult ChildProcess::Wait() {
  pump_.CloseStdinWhenWritten();
  while (!ended_) PumpOnce(Clock::time_point::max());
  const Clock::time_point give_up = end_ + limits_.drain_grace;
  while (pump_.output_open() && Clock::now() < give_up) PumpOnce(give_up);
  pump_.CloseAll();

  ProcessResult result;
  ClassifyWaitStatus(wait_status_, result);
  if (timed_out_) {
    result.kind = ExitKind::kTimedOut;
  } else if (capped_) {
    result.kind = ExitKind::kOutputCapped;
  }
  result.wall_seconds = std::chrono::duration<double>(end_ - start_).count();
  auto seconds = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  result.cpu_seconds = seconds(usage_.ru_utime) + seconds(usage_.ru_stime);
  result.max_rss_kib = usage_.ru_maxrss;
  static_cast<CapturedOutput&>(result) = pump_.Captured();
  return result;
}

ProcessResult RunProcess(const SpawnOptions& options, const SupervisionLimits& limits,
                         std::string_view input) {
  StatusOr<ChildProcess> child = ChildProcess::Spawn(options, limits);
  if (!child.ok()) {
    ProcessResult result;
    result.spawn_error = child.status().message();
    return result;
  }
  child->Feed(input);
  return child->Wait();
}

}  // namespace crucible
