#include "sandbox/run.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "process/child.h"
#include "process/pump.h"

namespace crucible {
namespace {

using sandbox_wire::InitReport;
using sandbox_wire::ReportKind;
using Clock = std::chrono::steady_clock;

// stdout keeps this much of its end for the evaluator protocol's last line.
constexpr size_t kStdoutTailBytes = 64 * 1024;
// After the init is gone, how long to wait for the output pipes' EOF. Only a
// process that escaped the kill (no PID namespace, no cgroup) keeps them open.
constexpr auto kDrainGrace = std::chrono::milliseconds(200);
// Without a PID namespace the init kills the tree itself; past this, we kill it.
constexpr auto kInitTeardownGrace = std::chrono::seconds(1);

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

StatusOr<Pipe> MakePipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return UnavailableError(std::string("pipe2: ") + strerror(errno));
  // Only our end is non-blocking: the child blocks on a full pipe as usual,
  // and we always drain it.
  fcntl(fds[0], F_SETFL, O_NONBLOCK);
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// The control channel is a socket so that writing to it after the init died
// fails with EPIPE (MSG_NOSIGNAL) instead of raising SIGPIPE in crucible.
StatusOr<Pipe> MakeControlChannel() {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return UnavailableError(std::string("socketpair: ") + strerror(errno));
  }
  shutdown(fds[0], SHUT_WR);
  shutdown(fds[1], SHUT_RD);
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

StatusOr<UniqueFd> SpecMemfd(const sandbox_wire::InitSpec& spec) {
  std::string bytes = sandbox_wire::EncodeSpec(spec);
  UniqueFd fd(memfd_create("crucible-sandbox-spec", MFD_CLOEXEC));
  if (!fd.valid()) return UnavailableError(std::string("memfd_create: ") + strerror(errno));
  for (size_t done = 0; done < bytes.size();) {
    ssize_t n = write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n <= 0) return UnavailableError(std::string("write spec: ") + strerror(errno));
    done += static_cast<size_t>(n);
  }
  return fd;
}

// The parent's ends of a launched init's descriptors.
struct Channels {
  UniqueFd stdout_read;
  UniqueFd stderr_read;
  UniqueFd report_read;
  UniqueFd control_write;
};

// stdout keeps its head and its last min(64 KiB, cap / 2) bytes (the
// evaluator protocol reads the last line); stderr keeps its tail.
StreamPump OutputPump(const SandboxOptions& options, Channels& channels) {
  const size_t tail = std::min(kStdoutTailBytes, options.stdout_cap_bytes / 2);
  return StreamPump(UniqueFd(), std::move(channels.stdout_read),
                    CaptureLimits{options.stdout_cap_bytes - tail, tail, OverflowAction::kDiscard},
                    std::move(channels.stderr_read),
                    CaptureLimits{0, options.stderr_cap_bytes, OverflowAction::kDiscard});
}

// Creates the descriptors, launches the init and keeps the parent's ends. The
// child's ends are closed on return, so EOF on a pipe means its writers left.
StatusOr<InitProcess> Launch(const InitProgram& program, const NamespaceSet& namespaces,
                             const sandbox_wire::InitSpec& spec, Channels& channels,
                             int netns_fd = -1, const int* pass_fds = nullptr) {
  ASSIGN_OR_RETURN(Pipe out, MakePipe());
  ASSIGN_OR_RETURN(Pipe err, MakePipe());
  ASSIGN_OR_RETURN(Pipe report, MakePipe());
  ASSIGN_OR_RETURN(Pipe control, MakeControlChannel());
  ASSIGN_OR_RETURN(UniqueFd spec_fd, SpecMemfd(spec));
  UniqueFd dev_null(open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!dev_null.valid()) return UnavailableError(std::string("/dev/null: ") + strerror(errno));
  InitDescriptors fds{spec_fd.get(),     report.write.get(), control.read.get(),
                      out.write.get(),   err.write.get(),    dev_null.get()};
  for (int i = 0; pass_fds != nullptr && i < sandbox_wire::kMaxPassFds; ++i) {
    fds.pass[i] = pass_fds[i];
  }
  ASSIGN_OR_RETURN(InitProcess init, LaunchInit(program, namespaces, fds, netns_fd));
  channels.stdout_read = std::move(out.read);
  channels.stderr_read = std::move(err.read);
  channels.report_read = std::move(report.read);
  channels.control_write = std::move(control.write);
  return init;
}

// Collects InitReport records as they arrive.
struct Reports {
  std::optional<InitReport> setup_failed, exec_failed, started, exited;
  bool probe_ok = false;
  std::string partial;

  // Reads what is available; closes `fd` at EOF.
  void Read(UniqueFd& fd) {
    char buffer[4096];
    for (;;) {
      ssize_t n = read(fd.get(), buffer, sizeof(buffer));
      if (n < 0 && errno == EINTR) continue;
      if (n == 0) fd.Reset();
      if (n <= 0) break;
      partial.append(buffer, static_cast<size_t>(n));
    }
    while (partial.size() >= sizeof(InitReport)) {
      InitReport report;
      std::memcpy(&report, partial.data(), sizeof(report));
      partial.erase(0, sizeof(report));
      if (report.magic == sandbox_wire::kReportMagic) Record(report);
    }
  }

  void Record(const InitReport& report) {
    switch (report.kind) {
      case ReportKind::kSetupFailed:
        if (!setup_failed) setup_failed = report;
        break;
      case ReportKind::kExecFailed:
        if (!exec_failed) exec_failed = report;
        break;
      case ReportKind::kStarted:
        started = report;
        break;
      case ReportKind::kCommandExited:
        exited = report;
        break;
      case ReportKind::kProbeOk:
        probe_ok = true;
        break;
    }
  }
};

std::string Describe(const InitReport& report) {
  std::string message(report.message, strnlen(report.message, sizeof(report.message)));
  if (report.error_number != 0) message += std::string(": ") + strerror(report.error_number);
  return message;
}

bool ShowsAllocationFailure(const std::string& text) {
  for (const char* marker : {"std::bad_alloc", "MemoryError", "Cannot allocate memory",
                             "out of memory", "Out of memory"}) {
    if (text.find(marker) != std::string::npos) return true;
  }
  return false;
}

double Seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; }

class Session {
 public:
  Session(const RunEnvironment& env, InitProcess init, Channels channels)
      : env_(env),
        init_(std::move(init)),
        output_(OutputPump(*env.options, channels)),
        channels_(std::move(channels)) {}

  void Supervise(Clock::time_point start, std::stop_token stop);
  void Finish(Clock::time_point start, SandboxResult& result);

 private:
  void PollOnce(int timeout_ms, int wake_fd);
  void KillTree();
  void DrainAfterExit();
  void Classify(SandboxResult& result) const;

  const RunEnvironment& env_;
  InitProcess init_;
  // The command's stdout and stderr (process/pump.h).
  StreamPump output_;
  // Only report_read and control_write are used once output_ has the rest.
  Channels channels_;
  Reports reports_;
  bool killed_ = false;
  bool timed_out_ = false;
  bool cancelled_ = false;
  Clock::time_point hard_kill_at_;
  Clock::time_point end_;
  rusage tree_usage_{};
};

void Session::PollOnce(int timeout_ms, int wake_fd) {
  std::array<pollfd, StreamPump::kMaxPollFds + 3> fds{};
  const int output_count = output_.AddToPollSet(fds.data());
  int count = output_count;
  const int report = count, pidfd = count + 1, wake = count + 2;
  for (int fd : {channels_.report_read.get(), init_.reaped() ? -1 : init_.pidfd(), wake_fd}) {
    fds[count++] = pollfd{fd, POLLIN, 0};  // negative fds are ignored by poll
  }
  if (poll(fds.data(), count, timeout_ms) < 0) return;  // EINTR: just loop
  output_.Handle(fds.data(), output_count);
  if (fds[report].revents != 0) reports_.Read(channels_.report_read);
  if (fds[wake].revents != 0 && !killed_) {
    cancelled_ = true;
    KillTree();
  }
  if (fds[pidfd].revents != 0 && !init_.reaped()) {
    init_.Reap(&tree_usage_);
    end_ = Clock::now();
  }
}

void Session::Supervise(Clock::time_point start, std::stop_token stop) {
  UniqueFd wake(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  std::stop_callback on_stop(stop, [&wake] {
    uint64_t one = 1;
    (void)!write(wake.get(), &one, sizeof(one));
  });
  const auto deadline =
      start + std::chrono::duration_cast<Clock::duration>(
                  std::chrono::duration<double>(env_.options->wall_timeout_seconds));
  bool init_killed = false;
  while (!init_.reaped()) {
    auto now = Clock::now();
    if (!killed_ && now >= deadline) {
      timed_out_ = true;
      KillTree();
    }
    if (killed_ && !init_killed && now >= hard_kill_at_) {
      init_.Kill();
      init_killed = true;
    }
    // Once everything is killed, the pidfd wakes us when the init is gone.
    auto until = init_killed ? now + std::chrono::milliseconds(100)
                             : (killed_ ? hard_kill_at_ : deadline);
    auto wait = std::chrono::ceil<std::chrono::milliseconds>(until - now).count();
    PollOnce(static_cast<int>(std::clamp<int64_t>(wait, 0, 1000)), wake.get());
  }
  DrainAfterExit();
}

void Session::KillTree() {
  killed_ = true;
  hard_kill_at_ = Clock::now();
  if (env_.capabilities->pid_namespace) {
    // The kernel kills the rest of the namespace. Not the cgroup's members by
    // pid: one of them might exit and its pid be reused in between.
    init_.Kill();
    return;
  }
  // The init kills the command's group and every descendant it adopted; the
  // cgroup (frozen while its members are listed and killed) catches the rest.
  (void)!send(channels_.control_write.get(), "k", 1, MSG_NOSIGNAL);
  hard_kill_at_ += kInitTeardownGrace;
  if (env_.cgroup != nullptr) env_.cgroup->KillAll();
}

void Session::DrainAfterExit() {
  // With a PID namespace the cgroup is empty by now; without one it holds
  // whatever escaped the init.
  if (env_.cgroup != nullptr) env_.cgroup->KillAll();
  const auto give_up = Clock::now() + kDrainGrace;
  while ((output_.output_open() || channels_.report_read.valid()) &&
         Clock::now() < give_up) {
    PollOnce(10, -1);
  }
}

void Session::Classify(SandboxResult& result) const {
  const SandboxOptions& options = *env_.options;
  double command_cpu = 0;
  int64_t command_rss_kib = 0;
  bool cpu_signal = false;
  if (reports_.exited) {
    // The command is the init's child, not ours: the init reports its wait
    // status, which process/child.h classifies like any other.
    ProcessResult command;
    ClassifyWaitStatus(reports_.exited->wait_status, command);
    result.exited = command.signal == 0;
    result.exit_code = command.exit_code;
    result.signal = command.signal;
    cpu_signal = command.cpu_time_exceeded;
    command_cpu = (reports_.exited->user_usec + reports_.exited->system_usec) / 1e6;
    command_rss_kib = reports_.exited->max_rss_kib;
    result.scratch_full = (reports_.exited->flags & sandbox_wire::kReportScratchFull) != 0;
  } else {
    result.signal = SIGKILL;  // we killed the tree before the command ended
  }
  result.cpu_seconds = Seconds(tree_usage_.ru_utime) + Seconds(tree_usage_.ru_stime);
  result.max_rss_bytes =
      static_cast<uint64_t>(std::max<int64_t>(tree_usage_.ru_maxrss, command_rss_kib)) * 1024;
  CgroupUsage usage;
  if (env_.cgroup != nullptr) usage = env_.cgroup->ReadUsage();
  if (usage.has_cpu) result.cpu_seconds = std::max(result.cpu_seconds, usage.cpu_seconds);
  result.memory_peak_bytes = usage.memory_peak_bytes;
  result.process_limit = usage.process_limit_hits > 0;

  const double cpu_limit =
      options.cpu_seconds > 0 ? options.cpu_seconds : options.wall_timeout_seconds + 1;
  result.cpu_limit = cpu_signal ||
                     (result.signal == SIGKILL && reports_.exited && command_cpu >= cpu_limit);
  result.output_limit = result.signal == SIGXFSZ;
  const bool failed = !(result.exited && result.exit_code == 0);
  result.memory_limit = usage.oom_kills > 0 || (failed && usage.memory_failcnt > 0) ||
                        (failed && ShowsAllocationFailure(result.stderr_text));
}

void Session::Finish(Clock::time_point start, SandboxResult& result) {
  result.wall_seconds = std::chrono::duration<double>(end_ - start).count();
  result.timed_out = timed_out_;
  result.cancelled = cancelled_;
  static_cast<CapturedOutput&>(result) = output_.Captured();
  if (reports_.setup_failed) {
    result.spawn_error = "sandbox setup failed: " + Describe(*reports_.setup_failed);
  } else if (reports_.exec_failed) {
    result.spawn_error = "cannot start the command: " + Describe(*reports_.exec_failed);
  } else if (!reports_.started) {
    result.spawn_error = killed_ ? "killed before the command started"
                                 : "the sandbox init ended without starting the command";
  } else {
    result.started = true;
    Classify(result);
  }
}

}  // namespace

SandboxResult ExecuteRun(const RunEnvironment& environment, const sandbox_wire::InitSpec& spec,
                         std::stop_token stop) {
  SandboxResult result;
  const auto start = Clock::now();
  Channels channels;
  StatusOr<InitProcess> init = Launch(*environment.program, environment.namespaces, spec,
                                      channels, environment.netns_fd, environment.pass_fds);
  if (!init.ok()) {
    result.spawn_error = init.status().message();
    return result;
  }
  // Hold the run's mount and IPC namespaces so that the init's exit does not
  // wait for their teardown (ns_releaser.h). The init is our unreaped child,
  // so its pid names it; if it is gone already, there is nothing to hold.
  std::vector<UniqueFd> namespaces;
  if (environment.releaser != nullptr) {
    const std::string proc = "/proc/" + std::to_string(init->pid()) + "/ns/";
    for (auto [kind, created] : {std::pair{"mnt", environment.namespaces.mount},
                                 std::pair{"ipc", environment.namespaces.ipc}}) {
      if (!created) continue;
      UniqueFd fd(open((proc + kind).c_str(), O_RDONLY | O_CLOEXEC));
      if (fd.valid()) namespaces.push_back(std::move(fd));
    }
  }
  Session session(environment, std::move(init).value(), std::move(channels));
  session.Supervise(start, std::move(stop));
  session.Finish(start, result);
  // Every process of the run is gone (the init is reaped).
  if (environment.releaser != nullptr) environment.releaser->Release(std::move(namespaces));
  return result;
}

Status ProbeRun(const InitProgram& program, const NamespaceSet& namespaces,
                sandbox_wire::InitSpec spec) {
  spec.probe_only = true;
  Channels channels;
  ASSIGN_OR_RETURN(InitProcess init, Launch(program, namespaces, spec, channels));
  channels.stdout_read.Reset();
  channels.stderr_read.Reset();
  Reports reports;
  // The init reports and exits; EOF on the report pipe follows its exit.
  const auto give_up = Clock::now() + std::chrono::seconds(10);
  while (channels.report_read.valid() && Clock::now() < give_up) {
    pollfd fd{channels.report_read.get(), POLLIN, 0};
    if (poll(&fd, 1, 100) > 0) reports.Read(channels.report_read);
  }
  init.Kill();
  init.Reap(nullptr);
  if (reports.probe_ok) return Status::Ok();
  if (reports.setup_failed) return FailedPreconditionError(Describe(*reports.setup_failed));
  return FailedPreconditionError("the sandbox init did not answer");
}

}  // namespace crucible
