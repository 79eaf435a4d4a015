// ProcessHandle: owns one child process from its start until it is reaped,
// and CloneVfork, the cheap way to start one.
//
// Contract: a ProcessHandle that is destroyed, or moved over, while its
// process is unreaped SIGKILLs it (and its process group, when it leads one)
// and then reaps it, so no error path leaves a zombie or a running child
// behind. Until it is reaped the pid cannot be reused, so Kill() always
// reaches our child and not a stranger. A ProcessHandle belongs to one thread.
#ifndef CRUCIBLE_PROCESS_HANDLE_H_
#define CRUCIBLE_PROCESS_HANDLE_H_

#include <sys/resource.h>
#include <sys/types.h>

#include "process/unique_fd.h"

namespace crucible {

// Code that runs in a CLONE_VM child (on a borrowed stack, while the launching
// thread is suspended): sanitizer bookkeeping would misattribute it.
#define CRUCIBLE_NO_SANITIZE_CHILD __attribute__((no_sanitize("address", "thread", "undefined")))

// clone(CLONE_VM | CLONE_VFORK | flags) running `fn(arg)` on a fresh stack;
// returns when the child has exec'd or exited (the way posix_spawn works: no
// copy of crucible's page tables). No exit signal: wait for the child by pid
// with __WALL, so nothing else in crucible (a SIGCHLD handler, a stray
// waitpid(-1)) can take it. `fn` may only make system calls. With
// CLONE_PIDFD in `flags`, *pidfd receives a pidfd of the child.
pid_t CloneVfork(int flags, int (*fn)(void*), void* arg, int* pidfd);

// What Kill() signals.
enum class KillScope {
  kProcess,       // the process only (a PID-namespace init: the kernel kills the rest)
  kProcessGroup,  // the process and every member of its process group
};

class ProcessHandle {
 public:
  ProcessHandle() = default;  // owns nothing
  // Takes ownership of the unreaped child `pid`; `pidfd` may be invalid
  // (then Exited() polls with waitid instead of the pidfd).
  ProcessHandle(pid_t pid, UniqueFd pidfd, KillScope scope);
  ProcessHandle(ProcessHandle&& other) noexcept;
  ProcessHandle& operator=(ProcessHandle&& other) noexcept;
  ProcessHandle(const ProcessHandle&) = delete;
  ProcessHandle& operator=(const ProcessHandle&) = delete;
  ~ProcessHandle();

  pid_t pid() const { return pid_; }
  // Readable once the process has ended (poll it); -1 without one.
  int pidfd() const { return pidfd_.get(); }
  bool owns() const { return pid_ > 0 && !reaped_; }
  bool reaped() const { return reaped_; }

  // SIGKILL to the process and, with kProcessGroup, to its group. No-op once
  // reaped.
  void Kill();
  // SIGKILL to the rest of its process group (with kProcessGroup), e.g. once
  // the leader has ended but before it is reaped. No-op otherwise.
  void KillGroup();
  // True once the process has ended; it stays a zombie (its pid reserved)
  // until Reap(). Does not block.
  bool Exited() const;
  // Waits for the process (blocking) and returns its wait status; `usage`
  // (may be null) gets its resource usage including every descendant it
  // reaped.
  int Reap(rusage* usage);

 private:
  void Release();  // kill and reap whatever is still owned

  pid_t pid_ = -1;
  UniqueFd pidfd_;
  KillScope scope_ = KillScope::kProcess;
  bool reaped_ = true;
};

}  // namespace crucible

#endif  // CRUCIBLE_PROCESS_HANDLE_H_
