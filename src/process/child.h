// process: the one way crucible starts, feeds, watches and reaps a child
// process (docs/sandbox.md, "The process library"). The sandbox builds its
// isolation on top of it; the built-in harnesses run the compiler and the
// confined candidate with it; the Slurm client runs sbatch/squeue with it.
//
// A ChildProcess is started one of three ways:
//   - Spawn: exec a program (argv), via clone(CLONE_VM | CLONE_VFORK) like
//     posix_spawn, so starting costs no copy of crucible's page tables;
//   - Fork: run a function in a forked copy of this process (the seam for a
//     warm worker that forks a fresh child per candidate, issue #13);
//   - Adopt: take over a child started elsewhere (the sandbox's init).
// and then supervised: stdin fed from a queue, stdout/stderr read into
// bounded captures concurrently (neither side can block the other), a wall
// deadline, output caps, and at the end one classification (ExitKind).
//
// Contract (pagmo2-style supervision):
//  - On every path out (deadline, output cap, an error, destruction) the child
//    is killed (with its process group when it leads one), then reaped, then
//    reported. No zombie, no descriptor of it survives a ChildProcess.
//  - When the child leads its own process group (the default), the group is
//    killed as soon as the child ends (unless SupervisionLimits says not to),
//    so a grandchild left holding its pipes cannot keep the run open. Descendants that leave the group (setsid) are
//    out of reach: that is the sandbox's job (PID namespace, cgroup).
//  - Every descriptor crucible creates is O_CLOEXEC; the spawned child gets
//    its three standard descriptors and nothing else (fds >= 3 are closed).
//  - A failing child is data (ProcessResult), never a Status: a Status from
//    Spawn/Fork means the request was invalid or the machine refused (no
//    pipes, no processes), and then no process exists.
//  - Thread safety: Spawn may be called from any number of threads at once
//    (the child runs system calls only until exec). A ChildProcess belongs to
//    the thread that uses it. Fork runs arbitrary code in the child and is
//    only safe in a single-threaded process (a harness, a warm worker).
#ifndef CRUCIBLE_PROCESS_CHILD_H_
#define CRUCIBLE_PROCESS_CHILD_H_

#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "process/handle.h"
#include "process/pump.h"

namespace crucible {

enum class StdinMode { kPipe, kNull };
enum class StderrMode { kPipe, kMergeIntoStdout, kNull };

struct ResourceLimit {
  int resource = 0;  // RLIMIT_*
  rlim_t soft = 0;
  // 0: the soft value. (With RLIMIT_CPU, soft == hard means SIGKILL at the
  // limit, not SIGXCPU: the kernel checks the hard limit first.)
  rlim_t hard = 0;
};

struct SpawnOptions {
  // argv[0] is a path if it contains a '/', else a name looked up in the PATH
  // of the child's environment (crucible's PATH when `environment` is unset),
  // in crucible before anything is started.
  std::vector<std::string> argv;
  // Empty: crucible's working directory.
  std::string working_dir;
  // "NAME=value" entries; nullopt: crucible's own environment.
  std::optional<std::vector<std::string>> environment;
  StdinMode stdin_mode = StdinMode::kPipe;
  StderrMode stderr_mode = StderrMode::kPipe;
  // The child leads a new process group, which Kill() and the end of the
  // child take down with it.
  bool new_process_group = true;
  // PR_SET_PDEATHSIG(SIGKILL): the child dies with the thread that started it.
  bool die_with_parent = false;
  std::vector<ResourceLimit> rlimits;

  // kInvalidArgument naming the bad field.
  [[nodiscard]] Status Validate() const;
};

struct SupervisionLimits {
  // From the start of the child; then the group is killed (kTimedOut).
  // Zero: no deadline.
  double wall_timeout_seconds = 0;
  CaptureLimits stdout_limits;
  CaptureLimits stderr_limits;
  // Once the child is reaped, how long to keep reading its pipes for EOF.
  // Only a descendant that escaped the kill (not in the group) holds them.
  std::chrono::milliseconds drain_grace{200};
  // When the child leads its own group: kill the rest of the group as soon as
  // the child ends. Off for a launcher whose job is to leave something
  // running (a submit command that starts a daemon).
  bool kill_group_when_child_ends = true;
};

// How a supervised child ended, most specific first: kSpawnFailed (it never
// ran), kTimedOut (the wall deadline passed, or RLIMIT_CPU's SIGXCPU),
// kOutputCapped (a kStop capture overflowed; it was killed), kSignaled (a
// signal it did not get from us), kExited (exit_code).
enum class ExitKind { kExited, kSignaled, kTimedOut, kOutputCapped, kSpawnFailed };

std::string_view ExitKindName(ExitKind kind);
// "SIGSEGV" (or "signal 77" for one without a name).
std::string SignalName(int signal);

struct ProcessResult : CapturedOutput {
  ExitKind kind = ExitKind::kSpawnFailed;
  std::string spawn_error;  // kSpawnFailed: why
  int exit_code = -1;       // valid when it exited by itself
  int signal = 0;           // the signal that ended it (SIGKILL when we killed it)
  bool cpu_time_exceeded = false;  // kTimedOut through SIGXCPU (RLIMIT_CPU)
  int wait_status = 0;             // raw, for callers that need more
  double wall_seconds = 0;  // start to reap
  double cpu_seconds = 0;   // user + system of the child and what it reaped
  int64_t max_rss_kib = 0;

  bool ok() const { return kind == ExitKind::kExited && exit_code == 0; }
  // "exited with status 3", "killed by SIGSEGV", "timed out after 2 s",
  // "wrote more output than allowed", "could not be started: ...".
  std::string Describe() const;
};

// The kind, exit code and signal a wait status stands for (kExited or
// kSignaled; SIGXCPU is kTimedOut with cpu_time_exceeded).
void ClassifyWaitStatus(int wait_status, ProcessResult& result);

// The executable `argv0` names: itself if it contains a '/' (relative to
// `working_dir` unless absolute or `working_dir` is empty), else the first
// executable regular file in the directories of `path_value` (empty entries,
// which would mean ".", are skipped; an empty `path_value` means
// /usr/local/bin:/usr/bin:/bin). kNotFound when there is none.
StatusOr<std::string> ResolveExecutable(const std::string& argv0, const std::string& working_dir,
                                        const std::string& path_value);

class ChildProcess {
 public:
  // Starts `options.argv`. Errors: kInvalidArgument (bad options),
  // kNotFound (no such program), kUnavailable (pipes or clone refused, or the
  // child could not set itself up: chdir, rlimits, exec; the message says).
  static StatusOr<ChildProcess> Spawn(const SpawnOptions& options,
                                      const SupervisionLimits& limits);
  // Forks and runs `body` in the child with the standard descriptors, group,
  // rlimits and working dir of `options` set up (argv and environment are
  // ignored); its return value is the exit status. The child never returns
  // into the caller's code.
  static StatusOr<ChildProcess> Fork(const SpawnOptions& options, const SupervisionLimits& limits,
                                     const std::function<int()>& body);
  // Supervises a child started elsewhere: its handle and the parent's ends of
  // its pipes (any may be invalid).
  static ChildProcess Adopt(ProcessHandle handle, UniqueFd stdin_write, UniqueFd stdout_read,
                            UniqueFd stderr_read, const SupervisionLimits& limits);

  ChildProcess(ChildProcess&&) = default;
  ChildProcess& operator=(ChildProcess&&) = default;
  ~ChildProcess() = default;  // the handle kills and reaps

  pid_t pid() const { return handle_.pid(); }
  StreamPump& pump() { return pump_; }

  // Queues bytes for its stdin.
  void Feed(std::string_view data) { pump_.Feed(data); }
  // Pumps I/O until `done()` holds (checked after every round), the outputs
  // close, or the deadline or an output cap ends the run (the child is then
  // killed). Returns done(). For conversations (request, reply, ...).
  bool PumpUntil(const std::function<bool()>& done);
  // Kills the child (and its group) now; Wait() then reports it as killed.
  void Kill();
  // Closes stdin once the queue is written, pumps until the child ends (or
  // the deadline / an output cap kills it), reaps it and reports.
  ProcessResult Wait();

 private:
  ChildProcess(ProcessHandle handle, StreamPump pump, const SupervisionLimits& limits,
               std::chrono::steady_clock::time_point start);
  enum class Round { kRunning, kEnded };
  // One poll round; also applies the deadline and the caps.
  Round PumpOnce(std::chrono::steady_clock::time_point until);
  void ReapNow();

  ProcessHandle handle_;
  StreamPump pump_;
  SupervisionLimits limits_;
  std::chrono::steady_clock::time_point start_, deadline_, end_;
  bool ended_ = false;  // the child itself has exited (maybe not reaped yet)
  bool timed_out_ = false;
  bool capped_ = false;
  bool killed_ = false;
  int wait_status_ = 0;
  rusage usage_{};
};

// Spawn + Feed(input) + Wait: the common case. A spawn error comes back as
// kSpawnFailed with its message.
ProcessResult RunProcess(const SpawnOptions& options, const SupervisionLimits& limits,
                         std::string_view input = {});

}  // namespace crucible

#endif  // CRUCIBLE_PROCESS_CHILD_H_
