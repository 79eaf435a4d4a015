// Per-run cgroups (cgroup v1): bound a sandboxed run's whole process tree
// (process count, memory), measure it (CPU time, memory peak, OOM kills) and
// find every process of it to kill.
//
// Layout: for each controller (pids, memory, cpuacct, freezer) the run's group
// is <mount>/<this process's own cgroup>/crucible/run-<pid>-<n>. Nesting under
// our own group keeps the run inside whatever limits crucible itself is under.
//
// Thread safety: CgroupLayout is an immutable value. A RunCgroup belongs to
// the one Run() that created it; distinct RunCgroups may be used concurrently.
#ifndef CRUCIBLE_SANDBOX_CGROUP_H_
#define CRUCIBLE_SANDBOX_CGROUP_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"

namespace crucible {

// The per-controller parent directories for run groups; an empty string
// means the controller is unavailable.
struct CgroupLayout {
  std::string pids;
  std::string memory;
  std::string cpuacct;
  std::string freezer;

  bool Any() const { return !pids.empty() || !memory.empty(); }
};

// Finds the cgroup v1 hierarchies (pids and memory; with
// `cpuacct_and_freezer` those two as well), creates <own group>/crucible in
// each usable one and removes groups left behind by crucible processes that
// no longer exist. Returns the usable layout; `why_not` says what was missing.
CgroupLayout ProbeCgroups(bool cpuacct_and_freezer, std::string* why_not);

struct CgroupLimits {
  uint64_t memory_bytes = 0;  // 0: no memory limit
  int max_processes = 0;      // 0: no process limit
};

struct CgroupUsage {
  bool has_memory = false;
  uint64_t memory_failcnt = 0;      // times an allocation hit the limit
  uint64_t oom_kills = 0;           // processes the kernel's OOM killer killed
  uint64_t memory_peak_bytes = 0;   // memory.max_usage_in_bytes (includes page cache)
  bool has_cpu = false;
  double cpu_seconds = 0;           // cpuacct.usage of the whole tree
  uint64_t process_limit_hits = 0;  // forks refused by pids.max
};

class RunCgroup {
 public:
  // Creates the run's groups (named `name`) and applies `limits`.
  static StatusOr<std::unique_ptr<RunCgroup>> Create(const CgroupLayout& layout,
                                                     const std::string& name,
                                                     const CgroupLimits& limits);
  // Kills anything left in the groups, then removes them.
  ~RunCgroup();
  RunCgroup(const RunCgroup&) = delete;
  RunCgroup& operator=(const RunCgroup&) = delete;

  // The cgroup.procs files a process writes "0" to in order to join.
  std::vector<std::string> ProcsFiles() const;
  // SIGKILLs every process in the groups (frozen first, so none can fork
  // meanwhile) and waits, boundedly, until the groups are empty.
  void KillAll();
  bool Empty() const;
  // Usage since the group was created or last reset (ResetForReuse).
  CgroupUsage ReadUsage() const;
  // Makes the group fit for another run. True only when no process is in it
  // and nothing is charged to its memory group (the previous run's files in
  // the page cache, say), so that nothing of the previous run counts against
  // the next; then memory.failcnt, memory.max_usage_in_bytes and
  // cpuacct.usage are reset, and the cumulative counters (OOM kills, refused
  // forks) are taken as the baseline ReadUsage subtracts. False: remove it.
  bool ResetForReuse();

 private:
  RunCgroup() = default;
  std::vector<std::string> dirs_;  // every created group directory
  std::string pids_, memory_, cpuacct_, freezer_;
  // Raw cumulative counters: at the last reset, and as last read.
  uint64_t oom_kills_base_ = 0, process_limit_hits_base_ = 0;
  mutable uint64_t oom_kills_read_ = 0, process_limit_hits_read_ = 0;
  mutable bool counters_read_ = false;
};

// Run groups for one Sandbox, reused from run to run: creating and removing a
// memory cgroup costs the kernel far more (~0.3 ms on the project's VMs, plus
// asynchronous teardown) than resetting one. Each group serves one run at a
// time; a group that cannot be reset cleanly (RunCgroup::ResetForReuse) is
// removed instead. Thread-safe.
class CgroupPool {
 public:
  // Groups are named <name_prefix><n> under `layout`, with `limits`.
  CgroupPool(CgroupLayout layout, CgroupLimits limits, std::string name_prefix);
  CgroupPool(const CgroupPool&) = delete;
  CgroupPool& operator=(const CgroupPool&) = delete;

  // A free group, or a new one.
  StatusOr<std::unique_ptr<RunCgroup>> Acquire();
  // Call once every process of the run is gone.
  void Release(std::unique_ptr<RunCgroup> group);
  int created() const;

 private:
  const CgroupLayout layout_;
  const CgroupLimits limits_;
  const std::string name_prefix_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<RunCgroup>> free_;
  int created_ = 0;
};

}  // namespace crucible

#endif  // CRUCIBLE_SANDBOX_CGROUP_H_
