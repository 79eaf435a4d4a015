#include "sandbox/cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdio>
#include <map>
#include <sstream>
#include <thread>

#include "process/unique_fd.h"

namespace crucible {
namespace {

std::string ReadSmallFile(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return "";
  std::string out;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd.get(), buffer, sizeof(buffer))) > 0) out.append(buffer, n);
  return out;
}

bool WriteSmallFile(const std::string& path, const std::string& value) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  return fd.valid() && write(fd.get(), value.data(), value.size()) ==
                           static_cast<ssize_t>(value.size());
}

uint64_t ParseU64(const std::string& text) { return std::strtoull(text.c_str(), nullptr, 10); }

// Value of `key` in a "key value" per line file (memory.oom_control, ...).
uint64_t KeyedValue(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string k;
  uint64_t v;
  while (in >> k >> v) {
    if (k == key) return v;
  }
  return 0;
}

bool MakeDir(const std::string& path) { return mkdir(path.c_str(), 0755) == 0 || errno == EEXIST; }

// controller -> this process's path in that controller's hierarchy.
std::map<std::string, std::string> OwnCgroupPaths() {
  std::map<std::string, std::string> paths;
  std::istringstream in(ReadSmallFile("/proc/self/cgroup"));
  for (std::string line; std::getline(in, line);) {
    size_t a = line.find(':');
    size_t b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::istringstream controllers(line.substr(a + 1, b - a - 1));
    for (std::string c; std::getline(controllers, c, ',');) paths[c] = line.substr(b + 1);
  }
  return paths;
}

// The directory of this process's own group for `controller`, from the
// cgroup v1 mount that carries it (mountinfo: root, mount point, options).
std::string OwnGroupDir(const std::string& controller,
                        const std::map<std::string, std::string>& own) {
  auto it = own.find(controller);
  if (it == own.end()) return "";
  std::istringstream in(ReadSmallFile("/proc/self/mountinfo"));
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, mount_point;
    fields >> id >> parent >> dev >> root >> mount_point;
    size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream tail(line.substr(dash + 3));
    std::string fstype, source, options;
    tail >> fstype >> source >> options;
    if (fstype != "cgroup" || ("," + options + ",").find("," + controller + ",") ==
                                  std::string::npos) {
      continue;
    }
    const std::string& path = it->second;
    if (root == "/") return mount_point + (path == "/" ? "" : path);
    if (path.compare(0, root.size(), root) != 0) continue;
    return mount_point + path.substr(root.size());
  }
  return "";
}

// Removes empty run groups whose crucible process is gone. Never kills: a
// group that still holds processes belongs to someone alive (or to another
// PID namespace) and rmdir refuses it.
void SweepStaleGroups(const std::string& base) {
  DIR* dir = opendir(base.c_str());
  if (dir == nullptr) return;
  while (dirent* entry = readdir(dir)) {
    int pid = 0;
    if (std::sscanf(entry->d_name, "run-%d-", &pid) != 1 || pid <= 0) continue;
    if (kill(pid, 0) == 0 || errno != ESRCH) continue;
    rmdir((base + "/" + entry->d_name).c_str());
  }
  closedir(dir);
}

// "<own group>/crucible" for `controller` if runs can be created under it.
std::string PrepareBase(const std::string& controller, const std::string& probe_file,
                        const std::map<std::string, std::string>& own, std::string* why_not) {
  std::string group = OwnGroupDir(controller, own);
  if (group.empty()) {
    *why_not += controller + " (no cgroup v1 hierarchy); ";
    return "";
  }
  std::string base = group + "/crucible";
  std::string probe = base + "/probe-" + std::to_string(getpid());
  bool ok = MakeDir(base) && MakeDir(probe) && access((probe + "/" + probe_file).c_str(), W_OK) == 0;
  int error = errno;
  rmdir(probe.c_str());
  if (!ok) {
    *why_not += controller + " (" + std::strerror(error) + "); ";
    return "";
  }
  SweepStaleGroups(base);
  return base;
}

}  // namespace

CgroupLayout ProbeCgroups(bool cpuacct_and_freezer, std::string* why_not) {
  why_not->clear();
  std::map<std::string, std::string> own = OwnCgroupPaths();
  CgroupLayout layout;
  layout.pids = PrepareBase("pids", "pids.max", own, why_not);
  layout.memory = PrepareBase("memory", "memory.limit_in_bytes", own, why_not);
  if (cpuacct_and_freezer) {
    layout.cpuacct = PrepareBase("cpuacct", "cgroup.procs", own, why_not);
    layout.freezer = PrepareBase("freezer", "freezer.state", own, why_not);
  }
  return layout;
}

StatusOr<std::unique_ptr<RunCgroup>> RunCgroup::Create(const CgroupLayout& layout,
                                                       const std::string& name,
                                                       const CgroupLimits& limits) {
  std::unique_ptr<RunCgroup> group(new RunCgroup());
  auto make = [&](const std::string& base, std::string& dir) -> Status {
    if (base.empty()) return Status::Ok();
    dir = base + "/" + name;
    if (!MakeDir(base) || mkdir(dir.c_str(), 0755) != 0) {
      Status error = UnavailableError("cannot create cgroup " + dir + ": " + std::strerror(errno));
      dir.clear();
      return error;
    }
    group->dirs_.push_back(dir);
    return Status::Ok();
  };
  RETURN_IF_ERROR(make(layout.pids, group->pids_));
  RETURN_IF_ERROR(make(layout.memory, group->memory_));
  RETURN_IF_ERROR(make(layout.cpuacct, group->cpuacct_));
  RETURN_IF_ERROR(make(layout.freezer, group->freezer_));
  // +1: the sandbox's init process is in the group too.
  if (!group->pids_.empty() && limits.max_processes > 0 &&
      !WriteSmallFile(group->pids_ + "/pids.max", std::to_string(limits.max_processes + 1))) {
    return UnavailableError("cannot set pids.max in " + group->pids_);
  }
  if (!group->memory_.empty() && limits.memory_bytes > 0) {
    std::string bytes = std::to_string(limits.memory_bytes);
    if (!WriteSmallFile(group->memory_ + "/memory.limit_in_bytes", bytes)) {
      return UnavailableError("cannot set memory.limit_in_bytes in " + group->memory_);
    }
    // Also bound swap where swap accounting exists; absent otherwise.
    (void)WriteSmallFile(group->memory_ + "/memory.memsw.limit_in_bytes", bytes);
  }
  return group;
}

std::vector<std::string> RunCgroup::ProcsFiles() const {
  std::vector<std::string> files;
  for (const std::string& dir : dirs_) files.push_back(dir + "/cgroup.procs");
  return files;
}

bool RunCgroup::Empty() const {
  for (const std::string& dir : dirs_) {
    if (!ReadSmallFile(dir + "/cgroup.procs").empty()) return false;
  }
  return true;
}

void RunCgroup::KillAll() {
  if (dirs_.empty() || Empty()) return;
  const std::string state = freezer_.empty() ? "" : freezer_ + "/freezer.state";
  for (int round = 0; round < 2000; ++round) {
    if (!state.empty()) {
      // Frozen processes cannot fork between the listing and the kill.
      WriteSmallFile(state, "FROZEN");
      for (int i = 0; i < 100 && ReadSmallFile(state).rfind("FROZEN", 0) != 0; ++i) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    }
    bool any = false;
    for (const std::string& dir : dirs_) {
      std::istringstream procs(ReadSmallFile(dir + "/cgroup.procs"));
      for (long pid; procs >> pid;) {
        any = true;
        kill(static_cast<pid_t>(pid), SIGKILL);
      }
    }
    // A killed process must run to die; thaw so it can.
    if (!state.empty()) WriteSmallFile(state, "THAWED");
    if (!any) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

CgroupUsage RunCgroup::ReadUsage() const {
  CgroupUsage usage;
  if (!memory_.empty()) {
    usage.has_memory = true;
    usage.memory_failcnt = ParseU64(ReadSmallFile(memory_ + "/memory.failcnt"));
    usage.oom_kills = KeyedValue(ReadSmallFile(memory_ + "/memory.oom_control"), "oom_kill");
    usage.memory_peak_bytes = ParseU64(ReadSmallFile(memory_ + "/memory.max_usage_in_bytes"));
  }
  if (!cpuacct_.empty()) {
    usage.has_cpu = true;
    usage.cpu_seconds = static_cast<double>(ParseU64(ReadSmallFile(cpuacct_ + "/cpuacct.usage"))) / 1e9;
  }
  if (!pids_.empty()) {
    usage.process_limit_hits = KeyedValue(ReadSmallFile(pids_ + "/pids.events"), "max");
  }
  // Counters that cannot be reset count from the last reset.
  oom_kills_read_ = usage.oom_kills;
  process_limit_hits_read_ = usage.process_limit_hits;
  counters_read_ = true;
  usage.oom_kills -= std::min(usage.oom_kills, oom_kills_base_);
  usage.process_limit_hits -= std::min(usage.process_limit_hits, process_limit_hits_base_);
  return usage;
}

bool RunCgroup::ResetForReuse() {
  if (dirs_.empty() || !Empty()) return false;
  if (!memory_.empty()) {
    // Not memory.usage_in_bytes: it includes per-CPU charge caches and never
    // reads 0. Page cache (the run's files) and anonymous memory must be gone;
    // a few KiB of kernel objects (dentries) may stay charged.
    const std::string stat = ReadSmallFile(memory_ + "/memory.stat");
    if (stat.empty() || KeyedValue(stat, "cache") != 0 || KeyedValue(stat, "rss") != 0 ||
        KeyedValue(stat, "swap") != 0) {
      return false;
    }
    if (!WriteSmallFile(memory_ + "/memory.failcnt", "0") ||
        !WriteSmallFile(memory_ + "/memory.max_usage_in_bytes", "0")) {
      return false;
    }
  }
  if (!cpuacct_.empty() && !WriteSmallFile(cpuacct_ + "/cpuacct.usage", "0")) return false;
  if (!counters_read_) ReadUsage();
  oom_kills_base_ = oom_kills_read_;
  process_limit_hits_base_ = process_limit_hits_read_;
  counters_read_ = false;
  return true;
}

CgroupPool::CgroupPool(CgroupLayout layout, CgroupLimits limits, std::string name_prefix)
    : layout_(std::move(layout)), limits_(limits), name_prefix_(std::move(name_prefix)) {}

StatusOr<std::unique_ptr<RunCgroup>> CgroupPool::Acquire() {
  int number;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!free_.empty()) {
      std::unique_ptr<RunCgroup> group = std::move(free_.back());
      free_.pop_back();
      return group;
    }
    number = created_++;
  }
  return RunCgroup::Create(layout_, name_prefix_ + std::to_string(number), limits_);
}

void CgroupPool::Release(std::unique_ptr<RunCgroup> group) {
  if (group == nullptr || !group->ResetForReuse()) return;  // destroyed: killed and removed
  std::lock_guard<std::mutex> lock(mutex_);
  free_.push_back(std::move(group));
}

int CgroupPool::created() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return created_;
}

RunCgroup::~RunCgroup() {
  KillAll();
  // Removal can lag the last exit by a moment (the kernel frees the group's
  // state asynchronously): retry briefly, then leave it to the next sweep.
  for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
    for (int attempt = 0; attempt < 200; ++attempt) {
      if (rmdir(it->c_str()) == 0 || errno == ENOENT) break;
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  }
}

}  // namespace crucible
