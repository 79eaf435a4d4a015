#include "sandbox/sandbox.h"

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <optional>

#include "sandbox/cgroup.h"
#include "sandbox/command.h"
#include "sandbox/launcher.h"
#include "sandbox/netns_pool.h"
#include "sandbox/ns_releaser.h"
#include "sandbox/run.h"

namespace crucible {

struct Sandbox::Internals {
  std::optional<InitProgram> program;
  NamespaceSet namespaces;
  CgroupLayout cgroups;
  // The runs' cgroups, reused (null without cgroups).
  std::unique_ptr<CgroupPool> cgroup_pool;
  // Drops finished runs' mount and IPC namespaces off the runs' critical path.
  mutable NamespaceReleaser releaser;
  // Reused network namespaces, one per concurrent run (null: a fresh
  // namespace per run, as inside a user namespace).
  std::unique_ptr<NetnsPool> netns_pool;
};

namespace {

std::string FormatBytes(uint64_t bytes) {
  if (bytes >= (1ull << 30) && bytes % (1ull << 30) == 0) return std::to_string(bytes >> 30) + " GiB";
  if (bytes >= (1ull << 20)) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " B";
}

// Runs the init in probe mode with the given isolation, binding a scratch
// directory the way a real run does.
Status ProbeSandbox(const InitProgram& program, const NamespaceSet& namespaces,
                    bool filesystem_isolation) {
  char scratch[] = "/tmp/crucible-sandbox-probe-XXXXXX";
  sandbox_wire::InitSpec spec;
  spec.pid_namespace = namespaces.pid;
  spec.mount_namespace = namespaces.mount;
  spec.network_namespace = namespaces.network;
  spec.filesystem_isolation = filesystem_isolation;
  spec.tmpfs_bytes = 16 << 20;
  bool have_scratch = mkdtemp(scratch) != nullptr;
  if (have_scratch) spec.writable_paths.push_back(scratch);
  Status status = ProbeRun(program, namespaces, spec);
  if (have_scratch) rmdir(scratch);
  return status;
}

struct Probed {
  NamespaceSet namespaces;
  bool filesystem_isolation = false;
  std::string notes;
};

// Finds the strongest isolation that actually works here, stepping down from
// everything the options allow.
StatusOr<Probed> ProbeIsolation(const SandboxOptions& options, const InitProgram& program) {
  const bool root = geteuid() == 0;
  NamespaceSet wanted{/*user=*/!root, /*pid=*/true, /*mount=*/true,
                      /*network=*/options.network != NetworkIsolation::kOff, /*ipc=*/true};
  Probed probed;
  probed.namespaces = ProbeNamespaces(wanted);
  if (wanted.pid && !probed.namespaces.pid) {
    probed.notes += "no namespaces (not permitted for this user); ";
  }
  probed.filesystem_isolation =
      options.filesystem != FilesystemIsolation::kOff && probed.namespaces.mount;
  Status status = ProbeSandbox(program, probed.namespaces, probed.filesystem_isolation);
  if (!status.ok() && probed.filesystem_isolation) {
    probed.notes += "read-only filesystem unavailable (" + status.message() + "); ";
    probed.filesystem_isolation = false;
    status = ProbeSandbox(program, probed.namespaces, false);
  }
  if (!status.ok()) {
    probed.notes += "namespaces unusable (" + status.message() + "); ";
    probed.namespaces = NamespaceSet{};
    status = ProbeSandbox(program, probed.namespaces, false);
  }
  if (!status.ok()) return status.WithContext("the sandbox init program cannot run");
  return probed;
}

SandboxCapabilities Describe(const Probed& probed, const CgroupLayout& cgroups,
                             const std::string& cgroup_notes) {
  SandboxCapabilities caps;
  caps.user_namespace = probed.namespaces.user;
  caps.pid_namespace = probed.namespaces.pid;
  caps.mount_namespace = probed.namespaces.mount;
  caps.network_namespace = probed.namespaces.network;
  caps.ipc_namespace = probed.namespaces.ipc;
  caps.filesystem_isolation = probed.filesystem_isolation;
  caps.cgroup_pids = !cgroups.pids.empty();
  caps.cgroup_memory = !cgroups.memory.empty();
  caps.cgroup_cpuacct = !cgroups.cpuacct.empty();
  caps.cgroup_freezer = !cgroups.freezer.empty();
  caps.drops_capabilities = geteuid() == 0 || probed.namespaces.user;
  caps.limitations = probed.notes;
  if (!cgroup_notes.empty()) caps.limitations += "cgroups: " + cgroup_notes;
  while (!caps.limitations.empty() &&
         (caps.limitations.back() == ' ' || caps.limitations.back() == ';')) {
    caps.limitations.pop_back();
  }
  return caps;
}

}  // namespace

std::string SandboxResult::StderrTail(size_t max_bytes) const {
  if (stderr_text.size() <= max_bytes) return stderr_text;
  size_t start = stderr_text.size() - max_bytes;
  // Prefer to start at a line, when one starts soon enough.
  size_t newline = stderr_text.find('\n', start);
  if (newline != std::string::npos && newline + 1 < stderr_text.size() &&
      newline - start < 200) {
    start = newline + 1;
  }
  return stderr_text.substr(start);
}

Sandbox::Sandbox(SandboxOptions options, SandboxCapabilities capabilities,
                 std::unique_ptr<Internals> internals)
    : options_(std::move(options)),
      capabilities_(std::move(capabilities)),
      internals_(std::move(internals)) {}

Sandbox::~Sandbox() = default;

StatusOr<std::unique_ptr<Sandbox>> Sandbox::Create(const SandboxOptions& options) {
  RETURN_IF_ERROR(options.Validate());
  auto internals = std::make_unique<Internals>();
  ASSIGN_OR_RETURN(InitProgram program, InitProgram::Load());
  internals->program.emplace(std::move(program));
  ASSIGN_OR_RETURN(Probed probed, ProbeIsolation(options, *internals->program));
  std::string cgroup_notes;
  if (options.use_cgroups) {
    // Joining a cgroup v1 hierarchy costs the init a write lock that waits
    // for an RCU grace period. With a PID namespace, cpuacct and freezer add
    // nothing: the init's rusage already covers the whole tree, and the
    // namespace's end kills the whole tree.
    internals->cgroups = ProbeCgroups(/*cpuacct_and_freezer=*/!probed.namespaces.pid,
                                      &cgroup_notes);
  }
  if (options.network == NetworkIsolation::kRequired && !probed.namespaces.network) {
    return FailedPreconditionError("network isolation is required but unavailable: " +
                                   probed.notes);
  }
  if (options.filesystem == FilesystemIsolation::kRequired && !probed.filesystem_isolation) {
    return FailedPreconditionError("filesystem isolation is required but unavailable: " +
                                   probed.notes);
  }
  internals->namespaces = probed.namespaces;
  if (internals->cgroups.Any()) {
    // Unique among Sandboxes of this process: the pool reuses names.
    static std::atomic<uint64_t> next_sandbox{0};
    internals->cgroup_pool = std::make_unique<CgroupPool>(
        internals->cgroups, CgroupLimits{options.memory_bytes, options.max_processes},
        "run-" + std::to_string(getpid()) + "-" + std::to_string(next_sandbox.fetch_add(1)) + "-");
  }
  if (probed.namespaces.network && probed.namespaces.pid && !probed.namespaces.user) {
    auto pool = std::make_unique<NetnsPool>();
    Status primed = pool->Prime();
    if (primed.ok()) {
      internals->netns_pool = std::move(pool);
    } else {
      probed.notes += "network namespaces not pooled (" + primed.message() + "); ";
    }
  }
  SandboxCapabilities caps = Describe(probed, internals->cgroups, cgroup_notes);
  return std::unique_ptr<Sandbox>(new Sandbox(options, std::move(caps), std::move(internals)));
}

SandboxResult Sandbox::Run(const SandboxRequest& request, std::stop_token stop) const {
  SandboxResult result;
  StatusOr<sandbox_wire::InitSpec> spec = BuildInitSpec(options_, capabilities_, request);
  if (!spec.ok()) {
    result.spawn_error = spec.status().ToString();
    return result;
  }
  std::unique_ptr<RunCgroup> cgroup;
  if (internals_->cgroup_pool != nullptr) {
    StatusOr<std::unique_ptr<RunCgroup>> created = internals_->cgroup_pool->Acquire();
    if (!created.ok()) {
      result.spawn_error = created.status().ToString();
      return result;
    }
    cgroup = std::move(created).value();
    spec->cgroup_procs_files = cgroup->ProcsFiles();
  }
  RunEnvironment environment{&options_, &capabilities_, &*internals_->program,
                             internals_->namespaces, -1, cgroup.get(), &internals_->releaser};
  for (size_t i = 0; i < request.inherit_fds.size(); ++i) {
    environment.pass_fds[i] = request.inherit_fds[i];
  }
  UniqueFd netns;
  if (internals_->netns_pool != nullptr) {
    // Without one (out of memory, say), the run gets a fresh namespace.
    StatusOr<UniqueFd> pooled = internals_->netns_pool->Acquire();
    if (pooled.ok()) {
      netns = std::move(pooled).value();
      environment.netns_fd = netns.get();
      spec->network_namespace = false;  // its loopback is up already
    }
  }
  SandboxResult run_result = ExecuteRun(environment, *spec, std::move(stop));
  // Every process of the run is gone (the PID namespace ended with its init),
  // and with them every socket in the namespace: the next run may have it.
  if (netns.valid()) internals_->netns_pool->Release(std::move(netns));
  if (cgroup != nullptr) internals_->cgroup_pool->Release(std::move(cgroup));
  return run_result;
}

std::string Sandbox::CapabilityReport() const {
  const SandboxCapabilities& c = capabilities_;
  std::string r = "network: ";
  r += c.network_namespace
           ? (internals_->netns_pool != nullptr
                  ? "private namespace (loopback only; one per concurrent run, reused)"
                  : "private namespace (loopback only)")
       : options_.network == NetworkIsolation::kOff ? "host (isolation off)"
                                                     : "host (no network namespace)";
  r += "; filesystem: ";
  r += c.filesystem_isolation ? "read-only root, writable scratch, private /tmp /dev/shm /dev"
       : options_.filesystem == FilesystemIsolation::kOff ? "host (isolation off)"
                                                           : "host (not isolated)";
  r += "; processes: ";
  r += c.cgroup_pids ? "cgroup v1 pids (" + std::to_string(options_.max_processes) + ")"
                     : "RLIMIT_NPROC (" + std::to_string(options_.max_processes) +
                           (geteuid() == 0 ? ", not enforced for root)" : ")");
  r += "; memory: ";
  r += c.cgroup_memory ? "cgroup v1 memory (" + FormatBytes(options_.memory_bytes) + ") + RLIMIT_AS"
                       : "RLIMIT_AS per process (" + FormatBytes(options_.memory_bytes) + ")";
  r += "; kill: ";
  r += c.pid_namespace ? "pid namespace" : "process group + subreaper";
  if (!c.pid_namespace && (c.cgroup_freezer || c.cgroup_pids)) r += " + cgroup";
  r += "; privileges: ";
  r += c.drops_capabilities ? "all capabilities dropped, no_new_privs" : "no_new_privs";
  if (c.user_namespace) r += " (user namespace)";
  if (!c.limitations.empty()) r += "; limitations: " + c.limitations;
  return r;
}

}  // namespace crucible
