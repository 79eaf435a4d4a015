// One sandboxed run, from launch to the last process reaped: the pipes
// (pumped by process/pump.h's StreamPump), the init process (a
// process/handle.h ProcessHandle), the per-run cgroup, the deadline and the
// stop token, and the classification of what happened (the command's wait
// status through process/child.h's ClassifyWaitStatus). Used by Sandbox::Run; a RunSession belongs
// to the thread that created it.
#ifndef CRUCIBLE_SANDBOX_RUN_H_
#define CRUCIBLE_SANDBOX_RUN_H_

#include <memory>
#include <stop_token>
#include <string>

#include "sandbox/cgroup.h"
#include "sandbox/launcher.h"
#include "sandbox/ns_releaser.h"
#include "sandbox/sandbox.h"
#include "sandbox/wire.h"

namespace crucible {

struct RunEnvironment {
  const SandboxOptions* options = nullptr;
  const SandboxCapabilities* capabilities = nullptr;
  const InitProgram* program = nullptr;
  NamespaceSet namespaces;
  // A pooled network namespace to join instead of creating one, or -1.
  int netns_fd = -1;
  // Null when the run has no cgroup.
  RunCgroup* cgroup = nullptr;
  // Takes the run's mount and IPC namespaces once it is over (null: the
  // init's exit tears them down).
  NamespaceReleaser* releaser = nullptr;
  // The request's inherit_fds (-1: none), placed at kPassFdBase.. in the command.
  int pass_fds[sandbox_wire::kMaxPassFds] = {-1, -1};
};

// Launches the init with `spec`, supervises it until every process of the run
// is gone and fills the result. Never leaves a process behind: on every path
// out, the tree is killed and the init reaped.
SandboxResult ExecuteRun(const RunEnvironment& environment, const sandbox_wire::InitSpec& spec,
                         std::stop_token stop);

// Launches the init in probe mode with `spec` (probe_only is forced) and
// returns OK when the init could build the whole sandbox, else the failing
// step (kFailedPrecondition).
Status ProbeRun(const InitProgram& program, const NamespaceSet& namespaces,
                sandbox_wire::InitSpec spec);

}  // namespace crucible

#endif  // CRUCIBLE_SANDBOX_RUN_H_
