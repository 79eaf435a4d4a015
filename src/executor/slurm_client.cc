#include "executor/slurm_client.h"

#include <fmt/format.h>

#include <atomic>
#include <cstring>
#include <chrono>
#include <filesystem>
#include <set>
#include <sstream>

#include "process/child.h"

namespace crucible {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

std::vector<std::string> SplitOn(const std::string& s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
    if (pos == std::string::npos) return parts;
    start = pos + 1;
  }
}

std::string JoinIds(const std::vector<std::string>& ids) {
  std::string s;
  for (const std::string& id : ids) s += (s.empty() ? "" : ",") + id;
  return s;
}

std::string FirstLine(const std::string& text) {
  const std::vector<std::string> lines = SplitLines(text);
  return lines.empty() ? std::string() : lines.front();
}

// Commands of one poll should be quick; a wedged slurmctld must not hang
// the coordinator.
constexpr double kCommandTimeoutSeconds = 60;

class CommandSlurmClient final : public SlurmClient {
 public:
  explicit CommandSlurmClient(std::string bin_dir) : bin_dir_(std::move(bin_dir)) {}

  StatusOr<std::string> Submit(const std::string& script_path) override {
    const std::string dir = fs::path(script_path).parent_path().string();
    CommandOutput r = RunCommandCapture(
        {Bin("sbatch"), "--parsable", "--chdir=" + dir, script_path}, kCommandTimeoutSeconds);
    if (r.exit_code != 0) {
      return UnavailableError(fmt::format("sbatch failed (exit {}): {}", r.exit_code,
                                          FirstLine(r.err + "\n" + r.out)));
    }
    // --parsable prints "ID" or "ID;CLUSTER".
    std::string id = SplitOn(FirstLine(r.out), ';').front();
    if (id.empty() || id.find_first_not_of("0123456789_") != std::string::npos) {
      return UnavailableError(fmt::format("sbatch printed no job id: '{}'", FirstLine(r.out)));
    }
    return id;
  }

  StatusOr<std::map<std::string, SlurmJobInfo>> Query(
      const std::vector<std::string>& job_ids) override {
    std::map<std::string, SlurmJobInfo> known;
    if (job_ids.empty()) return known;
    CommandOutput r = RunCommandCapture({Bin("squeue"), "-h", "--states=all", "-j",
                                         JoinIds(job_ids), "-o", "%i|%T|%r"},
                                        kCommandTimeoutSeconds);
    if (r.exit_code != 0 && r.err.find("Invalid job id") == std::string::npos) {
      return UnavailableError(fmt::format("squeue failed (exit {}): {}", r.exit_code,
                                          FirstLine(r.err + "\n" + r.out)));
    }
    if (r.exit_code == 0) {
      for (const std::string& line : SplitLines(r.out)) {
        const std::vector<std::string> f = SplitOn(line, '|');
        if (f.size() < 2) continue;
        known[f[0]] = SlurmJobInfo{f[1], f.size() > 2 ? f[2] : "", ""};
      }
    }
    std::vector<std::string> missing;
    for (const std::string& id : job_ids) {
      if (!known.contains(id)) missing.push_back(id);
    }
    // squeue forgets finished jobs after MinJobAge; scontrol may still know
    // them, sacct (with accounting) always does.
    for (const std::string& id : missing) {
      CommandOutput s = RunCommandCapture({Bin("scontrol"), "-o", "show", "job", id},
                                          kCommandTimeoutSeconds);
      if (s.exit_code != 0) continue;
      SlurmJobInfo info;
      std::istringstream words(s.out);
      std::string w;
      while (words >> w) {
        if (w.rfind("JobState=", 0) == 0) info.state = w.substr(9);
        if (w.rfind("Reason=", 0) == 0) info.reason = w.substr(7);
        if (w.rfind("ExitCode=", 0) == 0) info.exit_code = w.substr(9);
      }
      if (!info.state.empty()) known[id] = info;
    }
    std::erase_if(missing, [&](const std::string& id) { return known.contains(id); });
    if (missing.empty() || sacct_unavailable_) return known;
    CommandOutput a = RunCommandCapture({Bin("sacct"), "-n", "-P", "-X", "-j", JoinIds(missing),
                                         "-o", "JobID,State,ExitCode"},
                                        kCommandTimeoutSeconds);
    if (a.exit_code != 0) {
      sacct_unavailable_ = true;  // no slurmdbd: do not ask again
      return known;
    }
    for (const std::string& line : SplitLines(a.out)) {
      const std::vector<std::string> f = SplitOn(line, '|');
      if (f.size() < 3) continue;
      const size_t space = f[1].find(' ');  // "CANCELLED by 1000"
      SlurmJobInfo info{f[1].substr(0, space),
                        space == std::string::npos ? "" : f[1].substr(space + 1), f[2]};
      known[f[0]] = info;
    }
    return known;
  }

  StatusOr<std::vector<std::string>> FindByName(const std::string& name) override {
    CommandOutput r = RunCommandCapture({Bin("squeue"), "-h", "--states=all", "-n", name, "-o", "%i"},
                                        kCommandTimeoutSeconds);
    if (r.exit_code != 0) {
      return UnavailableError(fmt::format("squeue failed (exit {}): {}", r.exit_code,
                                          FirstLine(r.err + "\n" + r.out)));
    }
    return SplitLines(r.out);
  }

  Status Ping() override {
    CommandOutput r = RunCommandCapture(
        {Bin("squeue"), "-h", "-o", "%i", "-u", std::to_string(::getuid())}, kCommandTimeoutSeconds);
    if (r.exit_code != 0) {
      return UnavailableError(fmt::format("squeue failed (exit {}): {}", r.exit_code,
                                          FirstLine(r.err + "\n" + r.out)));
    }
    return Status::Ok();
  }

  Status Cancel(const std::vector<std::string>& job_ids) override {
    if (job_ids.empty()) return Status::Ok();
    std::vector<std::string> argv = {Bin("scancel")};
    argv.insert(argv.end(), job_ids.begin(), job_ids.end());
    CommandOutput r = RunCommandCapture(argv, kCommandTimeoutSeconds);
    // scancel of a job that already ended prints an error; that is fine.
    if (r.exit_code != 0 && r.err.find("Invalid job id") == std::string::npos &&
        r.err.find("already completing or completed") == std::string::npos) {
      return UnavailableError(fmt::format("scancel failed (exit {}): {}", r.exit_code,
                                          FirstLine(r.err + "\n" + r.out)));
    }
    return Status::Ok();
  }

 private:
  std::string Bin(const char* name) const {
    return bin_dir_.empty() ? std::string(name) : (fs::path(bin_dir_) / name).string();
  }

  const std::string bin_dir_;
  std::atomic<bool> sacct_unavailable_{false};
};

}  // namespace

std::unique_ptr<SlurmClient> MakeCommandSlurmClient(std::string bin_dir) {
  return std::make_unique<CommandSlurmClient>(std::move(bin_dir));
}

CommandOutput RunCommandCapture(const std::vector<std::string>& argv, double timeout_seconds) {
  CommandOutput result;
  SpawnOptions options;
  options.argv = argv;
  options.stdin_mode = StdinMode::kNull;
  SupervisionLimits limits;
  limits.wall_timeout_seconds = timeout_seconds;
  // sbatch may leave the job running behind it (the local fake does).
  limits.kill_group_when_child_ends = false;
  ProcessResult r = RunProcess(options, limits);
  if (r.kind == ExitKind::kSpawnFailed) {
    result.err = fmt::format("cannot run {}: {}", argv.empty() ? "" : argv[0], r.spawn_error);
    return result;
  }
  result.out = std::move(r.stdout_text);
  result.err = std::move(r.stderr_text);
  if (r.kind == ExitKind::kExited) result.exit_code = r.exit_code;
  if (r.kind == ExitKind::kTimedOut) {
    result.err += fmt::format("\n{} did not answer within {:g} s", argv[0], timeout_seconds);
  }
  return result;
}

bool IsTerminalSlurmState(const std::string& state) {
  static const std::set<std::string> kTerminal = {
      "COMPLETED", "CANCELLED", "FAILED",        "TIMEOUT",   "NODE_FAIL",
      "PREEMPTED", "BOOT_FAIL", "OUT_OF_MEMORY", "DEADLINE", "REVOKED", "SPECIAL_EXIT"};
  return kTerminal.contains(state);
}

}  // namespace crucible
