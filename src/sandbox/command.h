// Turning a SandboxRequest into the init program's InitSpec: validating
// paths, resolving the program through PATH, scrubbing the environment and
// choosing rlimits. Pure preparation in the parent; nothing is started here.
// Thread-safe (reads the process environment, which crucible never changes
// after start-up).
#ifndef CRUCIBLE_SANDBOX_COMMAND_H_
#define CRUCIBLE_SANDBOX_COMMAND_H_

#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "process/child.h"
#include "sandbox/sandbox.h"
#include "sandbox/wire.h"

namespace crucible {

// "NAME=value" entries: the variables of crucible's environment named in
// `allow`, then `extra` (which wins). Under filesystem isolation TMPDIR is
// /tmp unless `extra` sets it, since anything else would be read-only.
std::vector<std::string> BuildEnvironment(const std::vector<std::string>& allow,
                                          const std::map<std::string, std::string>& extra,
                                          bool filesystem_isolation);

// ResolveExecutable (the program a request names) is in process/child.h.

// kInvalidArgument / kNotFound for requests that cannot be run.
StatusOr<sandbox_wire::InitSpec> BuildInitSpec(const SandboxOptions& options,
                                               const SandboxCapabilities& capabilities,
                                               const SandboxRequest& request);

}  // namespace crucible

#endif  // CRUCIBLE_SANDBOX_COMMAND_H_
