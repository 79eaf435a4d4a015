// Sandbox: runs one untrusted command (an evaluator, which runs a candidate
// program) and reports what happened, without letting it harm the host or
// outlive its run.
//
// Each Run() gets: its own process group and, where the kernel allows, its own
// PID, mount, network and IPC namespaces with a small init as PID 1; rlimits
// (CPU, address space, file size, open files, core dumps); a cgroup (reused
// from run to run only when nothing of the previous run is left in it)
// bounding the whole tree's processes and memory; a read-only view of the
// filesystem in which only the working dir, `writable_paths` and a private
// /tmp and /dev/shm are writable; a scrubbed environment; no capabilities,
// no_new_privs and a seccomp filter against new namespaces; a wall-clock
// deadline. When the command exits, times out or is
// cancelled, every process it started is killed and reaped: no zombies, no
// orphans. Output is read concurrently and capped. docs/sandbox.md describes
// the mechanisms and the fallbacks when some are unavailable.
//
// Contract:
//  - Sandbox::Create probes the machine once; the resulting Sandbox is
//    immutable. Run() is const and thread-safe: any number of threads may run
//    commands through one Sandbox at once, and runs never reap, signal or read
//    each other's processes or pipes.
//  - Run() blocks until every process of the run is gone. (The run's mount and
//    IPC namespaces, by then without any process, are dropped moments later
//    on a background thread, and at the latest by ~Sandbox.) It never throws for
//    a failing command: a crash, timeout or limit is data in SandboxResult. A
//    request that cannot be started (no such program, bad working dir) comes
//    back with started == false and spawn_error set.
//  - The caller owns the working dir and must create it (and empty it, if it
//    wants a fresh one) before Run().
#ifndef CRUCIBLE_SANDBOX_SANDBOX_H_
#define CRUCIBLE_SANDBOX_SANDBOX_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "core/status.h"
#include "process/output_capture.h"
#include "sandbox/sandbox_options.h"

namespace crucible {

struct SandboxRequest {
  // argv[0] is resolved through the PATH of the scrubbed environment unless
  // it contains a '/' (a relative one is relative to working_dir).
  std::vector<std::string> argv;
  // Must exist. The command starts here; it is writable in the sandbox.
  std::string working_dir;
  // Set in the child's environment in addition to (and over) the allowed
  // variables; always passed. Under filesystem isolation TMPDIR is /tmp
  // unless set here.
  std::map<std::string, std::string> env;
  // Under filesystem isolation everything is read-only already, and /tmp,
  // /dev/shm and /run are private (empty) mounts. The program and the
  // existing absolute paths named in argv[1..] and in `env` values stay
  // visible, read-only, wherever they are; list here any other path that must
  // stay visible, or a read-only path inside a writable one.
  std::vector<std::string> readonly_paths;
  // Extra writable directories (a compile cache, say). Default: none.
  std::vector<std::string> writable_paths;
  // Under filesystem isolation: show nothing of the host but
  // SandboxOptions::system_paths, the program, the existing absolute paths
  // named in argv[1..] (not those in `env`), readonly_paths, writable_paths
  // and the working dir, on an empty read-only root with fresh /tmp, /dev,
  // /proc and /run. Files elsewhere (a problem's held-out data) do not exist
  // for the command, whatever path it names. Refused without isolation.
  bool hide_host_filesystem = false;
  // Under filesystem isolation and > 0: the working dir is a private tmpfs of
  // this many bytes (and one inode per 16 KiB) mounted over the host's, so
  // that what the command writes there cannot reach the host's disk; it
  // counts against the memory limit (under the memory cgroup) and is gone
  // when the run ends, except the plain files named in scratch_copy_out,
  // which are copied to the host's working dir (up to 16 MiB each) once the
  // command has ended and every other process of the run is killed. 0: the
  // host's directory itself, bounded only by RLIMIT_FSIZE per file.
  uint64_t scratch_bytes = 0;
  std::vector<std::string> scratch_copy_out;  // plain file names, no '/'
  // Descriptors the command inherits, at 8, 9 (at most two; the caller keeps
  // ownership). The init closes its own copies once the command started.
  std::vector<int> inherit_fds;
};

struct SandboxResult : CapturedOutput {
  bool started = false;
  std::string spawn_error;  // why the command could not be started
  bool exited = false;      // ended through exit(); exit_code is valid
  int exit_code = -1;
  int signal = 0;           // the signal that ended it (SIGKILL when we killed it)
  bool timed_out = false;   // the wall deadline passed; we killed the tree
  bool cancelled = false;   // the stop token fired; we killed the tree
  bool cpu_limit = false;   // RLIMIT_CPU (SIGXCPU, or SIGKILL at the hard limit)
  // The memory cgroup refused memory and the command failed, the OOM killer
  // struck, or (without the cgroup) the command failed and stderr shows an
  // allocation failure (std::bad_alloc, MemoryError, "Cannot allocate
  // memory", "out of memory").
  bool memory_limit = false;
  bool output_limit = false;   // RLIMIT_FSIZE (SIGXFSZ)
  bool process_limit = false;  // the pids cgroup refused a fork
  // The private scratch tmpfs (SandboxRequest::scratch_bytes) had less than
  // 64 KiB or no inode left when the command ended.
  bool scratch_full = false;
  double wall_seconds = 0;
  double cpu_seconds = 0;        // user + system of the whole tree
  uint64_t max_rss_bytes = 0;    // largest resident set of any one process
  uint64_t memory_peak_bytes = 0;  // whole tree, from the memory cgroup (0 without)

  // The last `max_bytes` of stderr, cut at a line start when one is near.
  std::string StderrTail(size_t max_bytes) const;
};

// What the sandbox can enforce on this machine, found by Create().
struct SandboxCapabilities {
  bool user_namespace = false;  // not root: namespaces are created inside one
  bool pid_namespace = false;
  bool mount_namespace = false;
  bool network_namespace = false;
  bool ipc_namespace = false;
  bool filesystem_isolation = false;
  bool cgroup_pids = false;
  bool cgroup_memory = false;
  bool cgroup_cpuacct = false;
  bool cgroup_freezer = false;
  bool drops_capabilities = false;
  std::string limitations;  // why something above is false, for the run log
};

class Sandbox {
 public:
  // Validates `options`, probes namespaces, mounts and cgroups once, and
  // caches the result. kFailedPrecondition when a kRequired isolation is
  // unavailable; kInvalidArgument for bad options.
  static StatusOr<std::unique_ptr<Sandbox>> Create(const SandboxOptions& options);
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  // Runs `request` to completion (see the contract above). If `stop` is
  // requested meanwhile, the tree is killed at once and the result has
  // cancelled == true, signal == SIGKILL.
  SandboxResult Run(const SandboxRequest& request, std::stop_token stop = {}) const;

  // One line for the run log, e.g. "network: private namespace; filesystem:
  // read-only root, writable scratch; processes: cgroup v1 pids (64); ...".
  std::string CapabilityReport() const;
  const SandboxCapabilities& capabilities() const { return capabilities_; }
  const SandboxOptions& options() const { return options_; }

 private:
  struct Internals;
  Sandbox(SandboxOptions options, SandboxCapabilities capabilities,
          std::unique_ptr<Internals> internals);

  const SandboxOptions options_;
  const SandboxCapabilities capabilities_;
  std::unique_ptr<Internals> internals_;  // immutable after Create
};

}  // namespace crucible

#endif  // CRUCIBLE_SANDBOX_SANDBOX_H_
