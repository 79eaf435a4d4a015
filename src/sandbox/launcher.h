// Launcher: starts the sandbox's init program (init_main.cc) in new
// namespaces, and owns the resulting process until it is reaped.
//
// The init program is embedded in the library (init_binary.cc) and loaded
// once into a sealed memfd; each launch clones a child that shares crucible's
// memory only until it execs that memfd (CLONE_VM | CLONE_VFORK, the way
// posix_spawn works), so launching costs neither a copy of crucible's page
// tables nor copy-on-write faults during the run.
//
// Thread safety: InitProgram is immutable after Load() and may be shared by
// concurrent launches. An InitProcess belongs to one thread.
#ifndef CRUCIBLE_SANDBOX_LAUNCHER_H_
#define CRUCIBLE_SANDBOX_LAUNCHER_H_

#include <sys/resource.h>
#include <sys/types.h>

#include "core/status.h"
#include "process/handle.h"
#include "process/unique_fd.h"

namespace crucible {

// CloneVfork (clone(CLONE_VM | CLONE_VFORK) on a fresh stack) is in
// process/handle.h.
#define CRUCIBLE_SANDBOX_NO_SANITIZE CRUCIBLE_NO_SANITIZE_CHILD

struct NamespaceSet {
  bool user = false;  // only when not root: maps our uid to 0 inside
  bool pid = false;
  bool mount = false;
  bool network = false;
  bool ipc = false;

  int CloneFlags() const;
};

// Which of `wanted` the kernel lets this process create, each tried by
// cloning a child that exits at once. With `wanted.user`, the others are
// tried inside a new user namespace (and dropped if that fails).
NamespaceSet ProbeNamespaces(const NamespaceSet& wanted);

class InitProgram {
 public:
  static StatusOr<InitProgram> Load();
  int fd() const { return fd_.get(); }

 private:
  explicit InitProgram(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;  // read-only, close-on-exec descriptor of the sealed memfd
};

// The init's descriptors, as seen by the parent before launch (the launcher
// moves them to the numbers in sandbox/wire.h inside the child).
struct InitDescriptors {
  int spec = -1;
  int report = -1;
  int control = -1;
  int stdout_pipe = -1;
  int stderr_pipe = -1;
  int dev_null = -1;
  // For the command, placed at sandbox_wire::kPassFdBase + i; -1: none.
  int pass[2] = {-1, -1};
};

// The launched init is a ProcessHandle (process/handle.h) with
// KillScope::kProcess: it is PID 1 of its namespace (the kernel kills the
// rest) or kills its tree itself on the control channel. Destruction SIGKILLs
// and reaps it if still unreaped, so no error path leaves a process behind.
using InitProcess = ProcessHandle;

// Starts the init in new `namespaces`. With `netns_fd` >= 0 (a pooled network
// namespace, see netns_pool.h) the init joins that one instead of a new one,
// and `namespaces.network` is ignored.
StatusOr<InitProcess> LaunchInit(const InitProgram& program, const NamespaceSet& namespaces,
                                 const InitDescriptors& fds, int netns_fd = -1);

}  // namespace crucible

#endif  // CRUCIBLE_SANDBOX_LAUNCHER_H_
