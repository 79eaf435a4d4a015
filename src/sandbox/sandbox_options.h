// SandboxOptions: the limits and isolation one sandboxed run gets (problem.yaml's
// `evaluator:` section, docs/sandbox.md), with its Validate(). Kept apart from
// the Sandbox itself (sandbox.h) so that whoever only reads or writes a
// configuration (the config component, the dashboard) does not link the
// namespaces, cgroups and seccomp code.
//
// Thread-safe: plain values.
#ifndef CRUCIBLE_SANDBOX_SANDBOX_OPTIONS_H_
#define CRUCIBLE_SANDBOX_SANDBOX_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace crucible {

// kAuto: isolate when the kernel allows, else run without and say so in
// CapabilityReport(). kRequired: Create() fails when isolation is unavailable.
// kOff: never isolate.
enum class NetworkIsolation { kAuto, kRequired, kOff };
enum class FilesystemIsolation { kAuto, kRequired, kOff };

// "auto" / "required" / "off": the spelling of problem.yaml's
// evaluator.isolation (which sets both kinds) and of the frozen configuration.
std::string_view IsolationName(NetworkIsolation isolation);
std::optional<NetworkIsolation> ParseIsolation(std::string_view name);
// The filesystem isolation that goes with a network isolation of the same name.
FilesystemIsolation FilesystemIsolationLike(NetworkIsolation isolation);

// The rlimits below are never raised above crucible's own hard limits (the
// tighter one applies).
struct SandboxOptions {
  double wall_timeout_seconds = 60;
  // RLIMIT_CPU per process (SIGXCPU, then SIGKILL a second later).
  // 0 means wall_timeout_seconds + 1.
  double cpu_seconds = 0;
  // RLIMIT_AS of each process; with the memory cgroup also the whole tree's
  // resident memory (including its files in the private /tmp).
  uint64_t memory_bytes = 2ull << 30;
  uint64_t file_size_bytes = 256ull << 20;  // RLIMIT_FSIZE
  int max_open_files = 256;                 // RLIMIT_NOFILE
  // Processes of the whole tree (cgroup pids.max). Without the pids cgroup,
  // RLIMIT_NPROC instead, which counts every process of the user and which
  // the kernel does not apply to root.
  int max_processes = 64;
  // Output kept per stream; beyond it the child keeps writing (it never
  // blocks) and the excess is discarded. stdout keeps its head plus its last
  // min(64 KiB, cap / 2) bytes (the evaluator protocol reads the last line);
  // stderr keeps its tail (the end explains a failure). A marker line
  // "[crucible: N bytes omitted]" stands in for what was dropped.
  size_t stdout_cap_bytes = 1 << 20;
  size_t stderr_cap_bytes = 1 << 20;
  // Variables passed through from crucible's environment; all others are
  // dropped (API keys and tokens in particular).
  std::vector<std::string> env_allow = {
      "PATH", "HOME",  "LANG",   "LC_ALL", "LC_CTYPE",   "TZ",             "TERM",
      "USER", "LOGNAME", "SHELL", "TMPDIR", "PYTHONPATH", "PYTHONHASHSEED", "LD_LIBRARY_PATH"};
  NetworkIsolation network = NetworkIsolation::kAuto;
  FilesystemIsolation filesystem = FilesystemIsolation::kAuto;
  // Use per-run cgroups (v1 pids, memory, cpuacct, freezer) when writable.
  bool use_cgroups = true;
  // What a SandboxRequest::hide_host_filesystem run sees of the host besides
  // its own paths (read-only): programs, libraries, compilers and system
  // headers. A symlink (/bin -> usr/bin) is recreated as a link; a path the
  // host lacks is skipped. /usr/share, /usr/local, /etc, /home, /root, /opt,
  // /srv, /var and /work are left out on purpose.
  std::vector<std::string> system_paths = {
      "/usr/bin", "/usr/sbin", "/usr/lib", "/usr/lib32", "/usr/lib64", "/usr/libexec",
      "/usr/include", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc/ld.so.cache",
      "/etc/alternatives"};

  // kInvalidArgument naming the first bad field.
  Status Validate() const;
};

}  // namespace crucible

#endif  // CRUCIBLE_SANDBOX_SANDBOX_OPTIONS_H_
