#include "sandbox/launcher.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "sandbox/wire.h"

// The init program's bytes, embedded by init_binary.cc.
extern "C" const char crucible_sandbox_init_start[];
extern "C" const char crucible_sandbox_init_end[];

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

#define CRUCIBLE_NO_SANITIZE CRUCIBLE_NO_SANITIZE_CHILD

namespace crucible {
namespace {

struct PreExecArgs {
  InitDescriptors fds;
  int program_fd = -1;
  int netns_fd = -1;
  bool user_namespace = false;
  char uid_map[64] = {};
  char gid_map[64] = {};
  char* argv[2] = {};
  char* envp[1] = {};
};

CRUCIBLE_NO_SANITIZE size_t Length(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

[[noreturn]] CRUCIBLE_NO_SANITIZE void PreExecFail(int report_fd, const char* step, int error) {
  sandbox_wire::InitReport report;
  report.kind = sandbox_wire::ReportKind::kSetupFailed;
  report.error_number = error;
  for (size_t i = 0; step[i] != '\0' && i + 1 < sizeof(report.message); ++i) {
    report.message[i] = step[i];
  }
  (void)!write(report_fd, &report, sizeof(report));
  _exit(127);
}

CRUCIBLE_NO_SANITIZE int WriteProcFile(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  size_t n = Length(text);
  int error = write(fd, text, n) == static_cast<ssize_t>(n) ? 0 : errno;
  close(fd);
  return error;
}

CRUCIBLE_NO_SANITIZE void CloseFrom(int first) {
  if (syscall(SYS_close_range, first, ~0U, 0) == 0) return;
  for (int fd = first; fd < 4096; ++fd) close(fd);  // kernels before 5.9
}

// The launched child: runs on its own small stack, sharing crucible's memory
// while the launching thread is suspended (CLONE_VFORK), until it execs the
// init. It must not allocate or take locks: system calls only.
CRUCIBLE_NO_SANITIZE int PreExecMain(void* raw) {
  const PreExecArgs& args = *static_cast<const PreExecArgs*>(raw);
  int report_fd = args.fds.report;
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) PreExecFail(report_fd, "pdeathsig", errno);
  if (args.netns_fd >= 0 && setns(args.netns_fd, CLONE_NEWNET) != 0) {
    PreExecFail(report_fd, "join the pooled network namespace", errno);
  }
  if (args.user_namespace) {
    int error = WriteProcFile("/proc/self/setgroups", "deny");
    if (error == 0) error = WriteProcFile("/proc/self/uid_map", args.uid_map);
    if (error == 0) error = WriteProcFile("/proc/self/gid_map", args.gid_map);
    if (error != 0) PreExecFail(report_fd, "write the user namespace maps", error);
  }
  // Move every descriptor above the target range first, so that placing one
  // cannot overwrite another's source.
  const int sources[] = {args.fds.spec,        args.fds.report,      args.fds.control,
                         args.fds.stdout_pipe, args.fds.stderr_pipe, args.fds.dev_null,
                         args.program_fd,      args.fds.pass[0],     args.fds.pass[1]};
  int moved[9];
  for (int i = 0; i < 9; ++i) {
    moved[i] = sources[i] < 0 ? -1 : fcntl(sources[i], F_DUPFD_CLOEXEC, 16);
    if (moved[i] < 0 && sources[i] >= 0) PreExecFail(report_fd, "move descriptors", errno);
  }
  for (int i = 0; i < 5; ++i) {
    if (dup2(moved[i], sandbox_wire::kSpecFd + i) < 0) {
      PreExecFail(report_fd, "place descriptors", errno);
    }
  }
  report_fd = sandbox_wire::kReportFd;
  for (int fd = 0; fd < 3; ++fd) {
    if (dup2(moved[5], fd) < 0) PreExecFail(report_fd, "redirect stdio", errno);
  }
  for (int i = 0; i < sandbox_wire::kMaxPassFds; ++i) {
    // Without O_CLOEXEC: the init keeps them for the command it starts.
    if (moved[7 + i] < 0) {
      close(sandbox_wire::kPassFdBase + i);  // whatever crucible had there stays out
    } else if (dup2(moved[7 + i], sandbox_wire::kPassFdBase + i) < 0) {
      PreExecFail(report_fd, "place the command's descriptors", errno);
    }
  }
  if (dup3(moved[6], sandbox_wire::kFirstFreeFd, O_CLOEXEC) < 0) {
    PreExecFail(report_fd, "place the init program", errno);
  }
  CloseFrom(sandbox_wire::kFirstFreeFd + 1);
  syscall(SYS_execveat, sandbox_wire::kFirstFreeFd, "", args.argv, args.envp, AT_EMPTY_PATH);
  PreExecFail(report_fd, "exec the sandbox init", errno);
}

CRUCIBLE_NO_SANITIZE int ExitAtOnce(void*) { _exit(0); }

bool CanClone(int flags) {
  pid_t pid = CloneVfork(flags, ExitAtOnce, nullptr, nullptr);
  if (pid < 0) return false;
  int status;
  while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR) {
  }
  return true;
}

}  // namespace

int NamespaceSet::CloneFlags() const {
  return (user ? CLONE_NEWUSER : 0) | (pid ? CLONE_NEWPID : 0) | (mount ? CLONE_NEWNS : 0) |
         (network ? CLONE_NEWNET : 0) | (ipc ? CLONE_NEWIPC : 0);
}

NamespaceSet ProbeNamespaces(const NamespaceSet& wanted) {
  NamespaceSet got;
  if (wanted.user && !CanClone(CLONE_NEWUSER)) return got;
  got.user = wanted.user;
  const int base = got.user ? CLONE_NEWUSER : 0;
  if (CanClone(wanted.CloneFlags())) return wanted;
  got.pid = wanted.pid && CanClone(base | CLONE_NEWPID);
  got.mount = wanted.mount && CanClone(base | CLONE_NEWNS);
  got.network = wanted.network && CanClone(base | CLONE_NEWNET);
  got.ipc = wanted.ipc && CanClone(base | CLONE_NEWIPC);
  return got;
}

StatusOr<InitProgram> InitProgram::Load() {
  const size_t size = static_cast<size_t>(crucible_sandbox_init_end - crucible_sandbox_init_start);
  if (size == 0) return InternalError("the sandbox init program is not embedded");
  const char* name = "crucible-sandbox-init";
  UniqueFd memfd(memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC));
  if (!memfd.valid() && errno == EINVAL) {  // kernels before 6.3 know no MFD_EXEC
    memfd.Reset(memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING));
  }
  if (!memfd.valid()) return UnavailableError(std::string("memfd_create: ") + strerror(errno));
  for (size_t done = 0; done < size;) {
    ssize_t n = write(memfd.get(), crucible_sandbox_init_start + done, size - done);
    if (n <= 0) return UnavailableError(std::string("write init memfd: ") + strerror(errno));
    done += static_cast<size_t>(n);
  }
  fcntl(memfd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
  // execve refuses a file that is open for writing (ETXTBSY): keep only a
  // read-only descriptor, opened through /proc.
  std::string path = "/proc/self/fd/" + std::to_string(memfd.get());
  UniqueFd readonly(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!readonly.valid()) {
    return UnavailableError("reopen the init memfd read-only: " + std::string(strerror(errno)));
  }
  return InitProgram(std::move(readonly));
}

StatusOr<InitProcess> LaunchInit(const InitProgram& program, const NamespaceSet& namespaces,
                                 const InitDescriptors& fds, int netns_fd) {
  PreExecArgs args;
  args.fds = fds;
  args.program_fd = program.fd();
  args.netns_fd = netns_fd;
  args.user_namespace = namespaces.user;
  std::snprintf(args.uid_map, sizeof(args.uid_map), "0 %u 1\n", static_cast<unsigned>(geteuid()));
  std::snprintf(args.gid_map, sizeof(args.gid_map), "0 %u 1\n", static_cast<unsigned>(getegid()));
  static char kArgv0[] = "crucible-sandbox-init";
  args.argv[0] = kArgv0;
  int pidfd = -1;
  int flags = namespaces.CloneFlags();
  if (netns_fd >= 0) flags &= ~CLONE_NEWNET;
  pid_t pid = CloneVfork(flags | CLONE_PIDFD, PreExecMain, &args, &pidfd);
  if (pid < 0) return UnavailableError(std::string("clone: ") + strerror(errno));
  return InitProcess(pid, UniqueFd(pidfd), KillScope::kProcess);
}

}  // namespace crucible
