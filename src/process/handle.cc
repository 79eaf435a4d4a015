#include "process/handle.h"

#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <utility>

#if defined(__SANITIZE_THREAD__)
#define CRUCIBLE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CRUCIBLE_TSAN 1
#endif
#endif
#ifdef CRUCIBLE_TSAN
// ThreadSanitizer intercepts clone() and takes our CLONE_VM | CLONE_VFORK
// spawn (which only execs) for a fork of a multithreaded process, after which
// it kills the process at its next thread creation. Every binary that starts
// processes from several threads needs this under TSan.
extern "C" const char* __tsan_default_options() { return "die_after_fork=0"; }
#endif

namespace crucible {
namespace {

constexpr size_t kChildStackBytes = 64 * 1024;

}  // namespace

pid_t CloneVfork(int flags, int (*fn)(void*), void* arg, int* pidfd) {
  std::unique_ptr<char[]> stack(new char[kChildStackBytes]);
  auto top = reinterpret_cast<uintptr_t>(stack.get() + kChildStackBytes) & ~uintptr_t{15};
  return clone(fn, reinterpret_cast<void*>(top), flags | CLONE_VM | CLONE_VFORK, arg, pidfd);
}

ProcessHandle::ProcessHandle(pid_t pid, UniqueFd pidfd, KillScope scope)
    : pid_(pid), pidfd_(std::move(pidfd)), scope_(scope), reaped_(pid <= 0) {}

ProcessHandle::ProcessHandle(ProcessHandle&& other) noexcept
    : pid_(other.pid_),
      pidfd_(std::move(other.pidfd_)),
      scope_(other.scope_),
      reaped_(std::exchange(other.reaped_, true)) {}

ProcessHandle& ProcessHandle::operator=(ProcessHandle&& other) noexcept {
  if (this != &other) {
    Release();
    pid_ = other.pid_;
    pidfd_ = std::move(other.pidfd_);
    scope_ = other.scope_;
    reaped_ = std::exchange(other.reaped_, true);
  }
  return *this;
}

ProcessHandle::~ProcessHandle() { Release(); }

void ProcessHandle::Release() {
  if (reaped_) return;
  Kill();
  Reap(nullptr);
}

void ProcessHandle::Kill() {
  if (reaped_) return;
  // Until reaped, neither the pid nor (while the leader is a zombie at
  // least) the group id can be reused, so both reach only our processes.
  if (scope_ == KillScope::kProcessGroup) kill(-pid_, SIGKILL);
  if (!pidfd_.valid() || syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0) != 0) {
    kill(pid_, SIGKILL);
  }
}

void ProcessHandle::KillGroup() {
  if (reaped_ || scope_ != KillScope::kProcessGroup) return;
  kill(-pid_, SIGKILL);  // ESRCH: the group is gone already
}

bool ProcessHandle::Exited() const {
  if (reaped_) return true;
  siginfo_t info{};
  // WNOWAIT: look, but leave the zombie (and its pid) for Reap().
  if (waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT | __WALL) != 0) {
    return errno != EINTR;  // ECHILD: not ours to wait for any more
  }
  return info.si_pid == pid_;
}

int ProcessHandle::Reap(rusage* usage) {
  int status = 0;
  rusage ignored;
  while (wait4(pid_, &status, __WALL, usage != nullptr ? usage : &ignored) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  return status;
}

}  // namespace crucible
