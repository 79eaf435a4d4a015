// crucible-sandbox-init: PID 1 of one sandboxed run.
//
// The launcher (launcher.cc) creates the namespaces and execs this program
// from a memfd, with the descriptors of sandbox/wire.h in place. It finishes
// building the sandbox (cgroups, loopback, mounts), starts the command as its
// child, reaps every process that is orphaned inside the sandbox, and reports
// the command's wait status and resource usage to the parent. When the
// command exits, or when the parent closes or writes to the control pipe, the
// whole tree goes: with a PID namespace the kernel kills every process in it
// as soon as this init exits; without one, the init (a child subreaper) kills
// the command's process group and every descendant it can find.
//
// Why a separate program rather than a fork of crucible: a forked copy of a
// large multithreaded process is slow to create, shares its pages
// copy-on-write for the whole run (taxing every write the engine makes), and
// may only call async-signal-safe functions. This program is small, static,
// single-threaded and free to allocate.
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/isolation.h"
#include "process/unique_fd.h"
#include "sandbox/wire.h"

namespace crucible::sandbox_init {
namespace {

using sandbox_wire::InitReport;
using sandbox_wire::InitSpec;
using sandbox_wire::ReportKind;

void Report(InitReport report) {
  // A failed write means the parent is gone; the control pipe will say so.
  (void)!write(sandbox_wire::kReportFd, &report, sizeof(report));
}

void ReportFailure(const Failure& failure) {
  InitReport report;
  report.kind = ReportKind::kSetupFailed;
  report.error_number = failure.error_number;
  sandbox_wire::SetReportMessage(report, failure.step);
  Report(report);
}

// Dispositions and the signal mask are inherited from whichever crucible
// thread launched us (which may ignore SIGPIPE, say); the command must start
// from the defaults.
// Handlers do not survive the exec that started us; only ignored signals
// (SigIgn in /proc/self/status) need resetting, which saves ~60 system calls
// per run. If the file cannot be read, every signal is reset.
uint64_t IgnoredSignals() {
  UniqueFd fd(open("/proc/self/status", O_RDONLY | O_CLOEXEC));
  char buffer[4096];
  ssize_t n = fd.valid() ? read(fd.get(), buffer, sizeof(buffer) - 1) : -1;
  if (n <= 0) return ~uint64_t{0};
  buffer[n] = '\0';
  const std::string_view text(buffer, static_cast<size_t>(n));
  const size_t at = text.find("\nSigIgn:\t");
  if (at == std::string_view::npos) return ~uint64_t{0};
  uint64_t mask = 0;
  for (const char* p = buffer + at + 9; *p != '\n' && *p != '\0'; ++p) {
    int digit = *p >= '0' && *p <= '9'   ? *p - '0'
                : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
                                         : -1;
    if (digit < 0) return ~uint64_t{0};
    mask = mask << 4 | static_cast<uint64_t>(digit);
  }
  return mask;
}

void ResetSignals() {
  struct sigaction action {};
  action.sa_handler = SIG_DFL;
  const uint64_t ignored = IgnoredSignals();
  for (int sig = 1; sig < NSIG && sig <= 64; ++sig) {
    if ((ignored >> (sig - 1) & 1) != 0) (void)sigaction(sig, &action, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

std::optional<InitSpec> ReadSpec() {
  struct stat st;
  if (fstat(sandbox_wire::kSpecFd, &st) != 0) return std::nullopt;
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = pread(sandbox_wire::kSpecFd, bytes.data() + done, bytes.size() - done,
                      static_cast<off_t>(done));
    if (n <= 0) return std::nullopt;
    done += static_cast<size_t>(n);
  }
  close(sandbox_wire::kSpecFd);
  return sandbox_wire::DecodeSpec(bytes);
}

// The host's working dir under the scratch tmpfs (SetupMounts), for the
// copy-out once the command is done.
UniqueFd g_host_scratch;

std::optional<Failure> Setup(const InitSpec& spec) {
  if (auto f = JoinCgroups(spec.cgroup_procs_files)) return f;
  if (spec.network_namespace) {
    if (auto f = BringUpLoopback()) return f;
  }
  if (spec.mount_namespace) {
    if (auto f = SetupMounts(spec, g_host_scratch)) return f;
  }
  return std::nullopt;
}

// Everything the command's child needs, prepared before clone so that the
// child only makes system calls.
struct CommandPlan {
  const InitSpec* spec = nullptr;
  std::vector<char*> argv;
  std::vector<char*> envp;
  bool privileged = false;
  pid_t init_pid = 0;
};

[[noreturn]] void ExecFailed(const char* step, int error_number) {
  InitReport report;
  report.kind = ReportKind::kExecFailed;
  report.error_number = error_number;
  sandbox_wire::SetReportMessage(report, step);
  Report(report);
  _exit(127);
}

// Runs in the command's child (sharing the init's memory until exec).
int CommandMain(void* arg) {
  const CommandPlan& plan = *static_cast<const CommandPlan*>(arg);
  const InitSpec& spec = *plan.spec;
  // A new session: its own process group (killed as one), and no controlling
  // terminal, so /dev/tty cannot reach crucible's terminal (TIOCSTI).
  if (setsid() < 0) ExecFailed("setsid", errno);
  if (dup2(sandbox_wire::kStdoutFd, 1) < 0 || dup2(sandbox_wire::kStderrFd, 2) < 0) {
    ExecFailed("redirect output", errno);
  }
  if (chdir(spec.working_dir.c_str()) != 0) ExecFailed("chdir to the working dir", errno);
  for (const sandbox_wire::RlimitSetting& limit : spec.rlimits) {
    // Raising a hard limit needs a privilege we may lack; the tighter of the
    // two is what matters anyway.
    rlimit current{};
    getrlimit(limit.resource, &current);
    rlimit value{};
    value.rlim_max = std::min<rlim_t>(limit.hard, current.rlim_max);
    value.rlim_cur = std::min<rlim_t>(limit.soft, value.rlim_max);
    if (setrlimit(limit.resource, &value) != 0) ExecFailed("setrlimit", errno);
  }
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) ExecFailed("pdeathsig", errno);
  if (getppid() != plan.init_pid) _exit(127);  // the init died already
  if (spec.drop_privileges) {
    if (int error = DropPrivileges(plan.privileged); error != 0) {
      ExecFailed("drop privileges", error);
    }
    if (int error = InstallSyscallFilter(); error != 0 && error != ENOSYS) {
      ExecFailed("install the seccomp filter", error);
    }
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execve(spec.exec_path.c_str(), plan.argv.data(), plan.envp.data());
  ExecFailed("execve", errno);
}

pid_t SpawnCommand(const InitSpec& spec) {
  static CommandPlan plan;  // outlives the child's use of it (until exec)
  plan.spec = &spec;
  for (const std::string& s : spec.argv) plan.argv.push_back(const_cast<char*>(s.c_str()));
  plan.argv.push_back(nullptr);
  for (const std::string& s : spec.envp) plan.envp.push_back(const_cast<char*>(s.c_str()));
  plan.envp.push_back(nullptr);
  plan.privileged = HasAnyCapability();
  plan.init_pid = getpid();
  constexpr size_t kStackBytes = 256 * 1024;
  static std::unique_ptr<char[]> stack(new char[kStackBytes]);
  // CLONE_VM | CLONE_VFORK: the child borrows our memory until it execs, which
  // is what makes starting it cheap; we are suspended meanwhile.
  return clone(CommandMain, stack.get() + kStackBytes, CLONE_VM | CLONE_VFORK | SIGCHLD, &plan);
}

// Kills what is left when there is no PID namespace to do it: the command's
// process group, then (as child subreaper) every child we still have, until
// none is left. Orphans are re-parented to us, so each round uncovers the next
// generation. Bounded, in case something outruns us.
void KillDescendants(pid_t command_pid) {
  kill(-command_pid, SIGKILL);
  const std::string children_file =
      "/proc/self/task/" + std::to_string(getpid()) + "/children";
  for (int round = 0; round < 2000; ++round) {
    UniqueFd fd(open(children_file.c_str(), O_RDONLY | O_CLOEXEC));
    char buffer[4096];
    ssize_t n = fd.valid() ? read(fd.get(), buffer, sizeof(buffer) - 1) : -1;
    buffer[n > 0 ? n : 0] = '\0';
    for (char* p = buffer; *p != '\0';) {
      long pid = std::strtol(p, &p, 10);
      if (pid > 0) kill(static_cast<pid_t>(pid), SIGKILL);
      while (*p == ' ') ++p;
    }
    int status;
    pid_t reaped;
    while ((reaped = waitpid(-1, &status, WNOHANG | __WALL)) > 0) {
    }
    if (reaped < 0 && errno == ECHILD) return;
    usleep(1000);
  }
}

void ReportCommandExit(const InitSpec& spec, pid_t pid, int status, const rusage& usage) {
  InitReport report;
  if (g_host_scratch.valid() && ScratchIsFull(spec.working_dir)) {
    report.flags |= sandbox_wire::kReportScratchFull;
  }
  report.kind = ReportKind::kCommandExited;
  report.pid = pid;
  report.wait_status = status;
  report.user_usec = usage.ru_utime.tv_sec * 1000000LL + usage.ru_utime.tv_usec;
  report.system_usec = usage.ru_stime.tv_sec * 1000000LL + usage.ru_stime.tv_usec;
  report.max_rss_kib = usage.ru_maxrss;
  Report(report);
}

// Reaps every exited child; returns true once the command itself has ended.
bool ReapChildren(const InitSpec& spec, pid_t command_pid) {
  for (;;) {
    int status = 0;
    rusage usage{};
    pid_t pid = wait4(-1, &status, WNOHANG | __WALL, &usage);
    if (pid <= 0) return false;
    if (pid == command_pid) {
      ReportCommandExit(spec, pid, status, usage);
      return true;
    }
  }
}

int Supervise(const InitSpec& spec, pid_t command_pid, int signal_fd) {
  pollfd fds[2] = {{sandbox_wire::kControlFd, POLLIN, 0}, {signal_fd, POLLIN, 0}};
  bool command_ended = false;
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents != 0) {
      signalfd_siginfo info;
      while (read(signal_fd, &info, sizeof(info)) == sizeof(info)) {
      }
      if (ReapChildren(spec, command_pid)) {
        command_ended = true;
        break;
      }
    }
    // Data or EOF: the parent asked us to stop, or is gone.
    if (fds[0].revents != 0) break;
  }
  if (!spec.pid_namespace) KillDescendants(command_pid);
  if (command_ended && g_host_scratch.valid()) {
    // Nothing may still be writing what is copied out.
    if (spec.pid_namespace) kill(-1, SIGKILL);
    CopyOutScratch(spec, g_host_scratch.get());
  }
  // With a PID namespace, returning is the teardown: the kernel kills and
  // reaps everything else in the namespace before our exit completes.
  return 0;
}

int Main() {
  // Nothing in the sandbox may read our memory or descriptors through
  // /proc/1 (the command is uid 0 too, but has no capabilities).
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  ResetSignals();
  std::optional<InitSpec> spec = ReadSpec();
  if (!spec) {
    ReportFailure(Failure{"read the sandbox spec", EINVAL});
    return 125;
  }
  for (int fd : {sandbox_wire::kReportFd, sandbox_wire::kControlFd, sandbox_wire::kStdoutFd,
                 sandbox_wire::kStderrFd}) {
    fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  if (std::optional<Failure> failure = Setup(*spec)) {
    ReportFailure(*failure);
    return 125;
  }
  if (spec->probe_only) {
    InitReport report;
    report.kind = ReportKind::kProbeOk;
    Report(report);
    return 0;
  }
  if (!spec->pid_namespace) {
    // Without a PID namespace our death would not take the tree along, so
    // rather than die with the parent (PDEATHSIG), outlive it just long
    // enough to kill the tree: its death closes the control channel.
    prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  }
  sigset_t child_signal;
  sigemptyset(&child_signal);
  sigaddset(&child_signal, SIGCHLD);
  sigprocmask(SIG_BLOCK, &child_signal, nullptr);
  UniqueFd signal_fd(signalfd(-1, &child_signal, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!signal_fd.valid()) {
    ReportFailure(Failure{"signalfd", errno});
    return 125;
  }
  pid_t pid = SpawnCommand(*spec);
  if (pid < 0) {
    ReportFailure(Failure{"clone the command", errno});
    return 125;
  }
  // Only the command writes to these; EOF must follow its tree's exit.
  close(sandbox_wire::kStdoutFd);
  close(sandbox_wire::kStderrFd);
  // The command's own descriptors (a result channel, a data directory) are
  // its alone: a process it starts must not find them through /proc/1/fd.
  for (int i = 0; i < sandbox_wire::kMaxPassFds; ++i) close(sandbox_wire::kPassFdBase + i);
  InitReport started;
  started.kind = ReportKind::kStarted;
  started.pid = pid;
  Report(started);
  return Supervise(*spec, pid, signal_fd.get());
}

}  // namespace
}  // namespace crucible::sandbox_init

// The entry point of the glibc-free runtime (init_libc.cc) on x86-64.
extern "C" int crucible_sandbox_init_main() { return crucible::sandbox_init::Main(); }

int main() { return crucible_sandbox_init_main(); }
