// Isolation steps performed inside the sandbox by its init program
// (init_main.cc), after the launcher has created the namespaces. Nothing here
// runs in the crucible process itself: these functions change the calling
// process's mounts, network and credentials.
//
// Every step returns std::nullopt on success or a Failure naming the step and
// the errno, which the init reports to the parent.
#ifndef CRUCIBLE_SANDBOX_ISOLATION_H_
#define CRUCIBLE_SANDBOX_ISOLATION_H_

#include <optional>
#include <string>
#include <vector>

#include "process/unique_fd.h"
#include "sandbox/wire.h"

namespace crucible::sandbox_init {

struct Failure {
  std::string step;
  int error_number = 0;
};

// Moves the calling process into each cgroup (writes "0" to cgroup.procs).
std::optional<Failure> JoinCgroups(const std::vector<std::string>& procs_files);

// Brings the loopback interface of the (new) network namespace up, so servers
// the candidate starts on 127.0.0.1 work. There is no other interface.
std::optional<Failure> BringUpLoopback();

// In a new mount namespace: stops propagation to the host, then either builds
// the read-only view (spec.filesystem_isolation) or, with a new PID namespace,
// only remounts /proc. See docs/sandbox.md for the resulting layout. With
// spec.scratch_bytes the working dir is a private tmpfs and `host_scratch`
// is left holding the host's working dir (for CopyOutScratch).
std::optional<Failure> SetupMounts(const sandbox_wire::InitSpec& spec, UniqueFd& host_scratch);

// After the command: copies each plain file named in spec.scratch_copy_out
// from the scratch tmpfs to the host's working dir (up to
// kScratchCopyOutCap bytes each; symlinks, FIFOs and directories are not
// followed). Best effort: what cannot be copied is simply absent.
void CopyOutScratch(const sandbox_wire::InitSpec& spec, int host_scratch);

// Whether the scratch tmpfs at `dir` has less than 64 KiB or no inode left.
bool ScratchIsFull(const std::string& dir);

// Whether the calling process holds any permitted capability.
bool HasAnyCapability();

// Drops every capability (bounding, ambient, effective, permitted,
// inheritable), locks the securebits so uid 0 regains nothing on exec, and
// sets no_new_privs. `privileged` says whether there is anything to drop.
// Async-signal-safe: called in the command's child between clone and exec.
// Returns 0 or an errno value.
int DropPrivileges(bool privileged);

// Installs a seccomp filter on the caller (inherited by everything it starts)
// that refuses creating or entering namespaces (unshare, setns, clone with
// CLONE_NEW*; clone3 gets ENOSYS, so the C library falls back to clone), the
// kernel keyring, bpf, userfaultfd, perf_event_open and module loading, and
// system calls of a foreign ABI (32-bit, x32). Requires no_new_privs.
// Async-signal-safe. Returns 0 or an errno value (ENOSYS: unsupported
// architecture, nothing installed).
int InstallSyscallFilter();

}  // namespace crucible::sandbox_init

#endif  // CRUCIBLE_SANDBOX_ISOLATION_H_
