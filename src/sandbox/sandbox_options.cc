#include "sandbox/sandbox_options.h"

#include <cmath>

namespace crucible {

std::string_view IsolationName(NetworkIsolation isolation) {
  switch (isolation) {
    case NetworkIsolation::kAuto: return "auto";
    case NetworkIsolation::kRequired: return "required";
    case NetworkIsolation::kOff: return "off";
  }
  return "auto";
}

std::optional<NetworkIsolation> ParseIsolation(std::string_view name) {
  for (NetworkIsolation i :
       {NetworkIsolation::kAuto, NetworkIsolation::kRequired, NetworkIsolation::kOff}) {
    if (IsolationName(i) == name) return i;
  }
  return std::nullopt;
}

FilesystemIsolation FilesystemIsolationLike(NetworkIsolation isolation) {
  switch (isolation) {
    case NetworkIsolation::kAuto: return FilesystemIsolation::kAuto;
    case NetworkIsolation::kRequired: return FilesystemIsolation::kRequired;
    case NetworkIsolation::kOff: return FilesystemIsolation::kOff;
  }
  return FilesystemIsolation::kAuto;
}

Status SandboxOptions::Validate() const {
  if (!(wall_timeout_seconds > 0) || !std::isfinite(wall_timeout_seconds)) {
    return InvalidArgumentError("wall_timeout_seconds must be positive and finite");
  }
  if (!(cpu_seconds >= 0) || !std::isfinite(cpu_seconds)) {
    return InvalidArgumentError("cpu_seconds must be >= 0 and finite");
  }
  if (memory_bytes < (1u << 20)) return InvalidArgumentError("memory_bytes must be >= 1 MiB");
  if (file_size_bytes == 0) return InvalidArgumentError("file_size_bytes must be positive");
  if (max_open_files < 3) return InvalidArgumentError("max_open_files must be >= 3");
  if (max_processes < 1) return InvalidArgumentError("max_processes must be >= 1");
  if (stdout_cap_bytes == 0 || stderr_cap_bytes == 0) {
    return InvalidArgumentError("stdout_cap_bytes and stderr_cap_bytes must be positive");
  }
  for (const std::string& name : env_allow) {
    if (name.empty() || name.find('=') != std::string::npos) {
      return InvalidArgumentError("env_allow holds an invalid variable name: '" + name + "'");
    }
  }
  return Status::Ok();
}

}  // namespace crucible
