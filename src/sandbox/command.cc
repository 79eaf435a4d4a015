#include "sandbox/command.h"

#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <sstream>

extern char** environ;

namespace crucible {
namespace {

StatusOr<std::string> RealDirectory(const std::string& path, const char* what) {
  if (path.empty()) return InvalidArgumentError(std::string(what) + " is empty");
  char resolved[PATH_MAX];
  if (realpath(path.c_str(), resolved) == nullptr) {
    return InvalidArgumentError(std::string(what) + " " + path + ": " + std::strerror(errno));
  }
  struct stat st;
  if (stat(resolved, &st) != 0 || !S_ISDIR(st.st_mode)) {
    return InvalidArgumentError(std::string(what) + " " + path + " is not a directory");
  }
  return std::string(resolved);
}

StatusOr<std::string> RealPath(const std::string& path, const char* what) {
  char resolved[PATH_MAX];
  if (path.empty() || realpath(path.c_str(), resolved) == nullptr) {
    return InvalidArgumentError(std::string(what) + " " + path + ": " + std::strerror(errno));
  }
  return std::string(resolved);
}

bool IsUnder(const std::string& path, const std::string& dir) {
  if (dir == "/") return true;
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

std::string LookupValue(const std::vector<std::string>& env, const std::string& name) {
  for (const std::string& entry : env) {
    if (entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 &&
        entry[name.size()] == '=') {
      return entry.substr(name.size() + 1);
    }
  }
  return "";
}

// Threads of processes owned by our uid: what RLIMIT_NPROC counts outside a
// user namespace. A snapshot, so the resulting limit is approximate.
uint64_t CountOurThreads() {
  uint64_t threads = 0;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return 0;
  while (dirent* entry = readdir(proc)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    struct stat st;
    std::string task = std::string("/proc/") + entry->d_name + "/task";
    if (stat(task.c_str(), &st) == 0 && st.st_uid == getuid()) {
      threads += st.st_nlink > 2 ? st.st_nlink - 2 : 1;
    }
  }
  closedir(proc);
  return threads;
}

std::vector<sandbox_wire::RlimitSetting> ChooseRlimits(const SandboxOptions& options,
                                                       const SandboxCapabilities& capabilities) {
  double cpu = options.cpu_seconds > 0 ? options.cpu_seconds : options.wall_timeout_seconds + 1;
  uint64_t cpu_soft = static_cast<uint64_t>(std::ceil(cpu));
  std::vector<sandbox_wire::RlimitSetting> limits = {
      // One second between SIGXCPU and SIGKILL lets a program report why.
      {RLIMIT_CPU, cpu_soft, cpu_soft + 1},
      {RLIMIT_AS, options.memory_bytes, options.memory_bytes},
      {RLIMIT_FSIZE, options.file_size_bytes, options.file_size_bytes},
      {RLIMIT_NOFILE, static_cast<uint64_t>(options.max_open_files),
       static_cast<uint64_t>(options.max_open_files)},
      {RLIMIT_CORE, 0, 0},
  };
  if (!capabilities.cgroup_pids) {
    // RLIMIT_NPROC counts every process of the user, except inside a user
    // namespace (where it counts the sandbox's); root ignores it.
    uint64_t limit = static_cast<uint64_t>(options.max_processes);
    if (geteuid() != 0 && !capabilities.user_namespace) limit += CountOurThreads();
    limits.push_back({RLIMIT_NPROC, limit, limit});
  }
  return limits;
}

// Under filesystem isolation, the program and the existing absolute paths
// the command is told about (in argv and in request.env values) stay visible,
// read-only, even where the private tmpfs mounts would hide them.
void KeepNamedPathsVisible(sandbox_wire::InitSpec& spec, const SandboxRequest& request) {
  constexpr size_t kMaxNamedPaths = 32;
  std::vector<std::string> named = {spec.exec_path};
  for (size_t i = 1; i < request.argv.size(); ++i) named.push_back(request.argv[i]);
  for (const auto& [name, value] : request.env) named.push_back(value);
  size_t added = 0;
  // With the host hidden, env values are not shown: a data directory named
  // there reaches the command only through a descriptor it is handed.
  if (request.hide_host_filesystem) named.resize(request.argv.size());
  for (const std::string& path : named) {
    if (added == kMaxNamedPaths || path.empty() || path[0] != '/') continue;
    char resolved[PATH_MAX];
    if (realpath(path.c_str(), resolved) == nullptr) continue;
    const std::string real = resolved;
    if (!request.hide_host_filesystem && !IsUnder(real, "/tmp") && !IsUnder(real, "/dev/shm") &&
        !IsUnder(real, "/run")) {
      continue;
    }
    auto covers = [&](const std::string& dir) { return real == dir || IsUnder(real, dir); };
    if (std::any_of(spec.writable_paths.begin(), spec.writable_paths.end(), covers) ||
        std::any_of(spec.readonly_paths.begin(), spec.readonly_paths.end(), covers)) {
      continue;
    }
    spec.readonly_paths.push_back(real);
    ++added;
  }
}

}  // namespace

std::vector<std::string> BuildEnvironment(const std::vector<std::string>& allow,
                                          const std::map<std::string, std::string>& extra,
                                          bool filesystem_isolation) {
  std::map<std::string, std::string> vars;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const char* eq = std::strchr(*entry, '=');
    if (eq == nullptr) continue;
    std::string name(*entry, eq - *entry);
    if (std::find(allow.begin(), allow.end(), name) != allow.end()) vars[name] = eq + 1;
  }
  if (filesystem_isolation) vars["TMPDIR"] = "/tmp";
  for (const auto& [name, value] : extra) vars[name] = value;
  std::vector<std::string> env;
  for (const auto& [name, value] : vars) env.push_back(name + "=" + value);
  return env;
}

StatusOr<sandbox_wire::InitSpec> BuildInitSpec(const SandboxOptions& options,
                                               const SandboxCapabilities& capabilities,
                                               const SandboxRequest& request) {
  if (request.argv.empty()) return InvalidArgumentError("argv is empty");
  sandbox_wire::InitSpec spec;
  ASSIGN_OR_RETURN(spec.working_dir, RealDirectory(request.working_dir, "working_dir"));
  if (spec.working_dir == "/") {
    return InvalidArgumentError("working_dir must not be /: all of it would be writable");
  }
  const bool fs = capabilities.filesystem_isolation;
  if (request.hide_host_filesystem && !fs) {
    return FailedPreconditionError(
        "the request hides the host's files, but this machine allows no filesystem isolation");
  }
  if (request.inherit_fds.size() > static_cast<size_t>(sandbox_wire::kMaxPassFds)) {
    return InvalidArgumentError("at most two inherited descriptors");
  }
  spec.envp = BuildEnvironment(options.env_allow, request.env, fs);
  ASSIGN_OR_RETURN(spec.exec_path, ResolveExecutable(request.argv[0], spec.working_dir,
                                                     LookupValue(spec.envp, "PATH")));
  spec.argv = request.argv;
  spec.writable_paths.push_back(spec.working_dir);
  for (const std::string& path : request.writable_paths) {
    StatusOr<std::string> real = RealDirectory(path, "writable path");
    if (!real.ok()) return real.status();
    if (*real == "/") return InvalidArgumentError("a writable path must not be /");
    // Writable already; mounted twice, the second would cover the scratch tmpfs.
    if (*real == spec.working_dir) continue;
    spec.writable_paths.push_back(*real);
  }
  for (const std::string& path : request.readonly_paths) {
    ASSIGN_OR_RETURN(std::string real, RealPath(path, "read-only path"));
    spec.readonly_paths.push_back(real);
  }
  if (fs) KeepNamedPathsVisible(spec, request);

  spec.pid_namespace = capabilities.pid_namespace;
  spec.mount_namespace = capabilities.mount_namespace;
  spec.network_namespace = capabilities.network_namespace;
  spec.filesystem_isolation = fs;
  spec.hide_host = request.hide_host_filesystem;
  if (spec.hide_host) spec.system_paths = options.system_paths;
  spec.pass_fds = request.inherit_fds.size();
  spec.drop_privileges = true;
  spec.tmpfs_bytes = options.memory_bytes;
  if (fs) {
    spec.scratch_bytes = request.scratch_bytes;
    for (const std::string& name : request.scratch_copy_out) {
      if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
        return InvalidArgumentError("scratch_copy_out: '" + name + "' is not a plain file name");
      }
    }
    spec.scratch_copy_out = request.scratch_copy_out;
  }
  spec.rlimits = ChooseRlimits(options, capabilities);
  return spec;
}

}  // namespace crucible
