#include "evaluate/command_evaluator.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/statvfs.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

#include "core/file.h"
#include "core/safe_path.h"
#include "evaluate/protocol.h"
#include "process/unique_fd.h"

namespace crucible {
namespace {

namespace fs = std::filesystem;

// How much of stderr is kept as feedback for a failed candidate.
constexpr size_t kStderrFeedbackBytes = 4096;
// The most of the result channel read back (artifacts are 64 KiB each).
constexpr size_t kMaxResultBytes = 8 << 20;
// Where the sandbox places SandboxRequest::inherit_fds in the evaluator.
constexpr int kResultFd = 8;
constexpr int kProblemDirFd = 9;

std::string SignalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? fmt::format("SIG{}", abbrev) : fmt::format("signal {}", sig);
}

// What the evaluator wrote to its result channel, or nullopt when nothing
// (a protocol-1 evaluator, which answers on stdout or in result.json).
std::optional<std::string> ReadResultChannel(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size <= 0) return std::nullopt;
  std::string text(std::min<size_t>(static_cast<size_t>(st.st_size), kMaxResultBytes), '\0');
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = pread(fd, text.data() + done, text.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  text.resize(done);
  // One object; a trailing newline (or a log line before it) is allowed.
  return std::string(LastNonEmptyLine(text));
}

Status CheckProgramPaths(const Program& program) {
  for (const SourceFile& f : program.files) {
    if (!IsSafeRelativePath(f.path)) {
      return InvalidArgumentError(fmt::format("the program's file path '{}' is not a plain "
                                              "relative path",
                                              f.path.substr(0, 200)));
    }
  }
  return Status::Ok();
}

Status WriteProgram(const Program& program, const fs::path& dir) {
  RETURN_IF_ERROR(CheckProgramPaths(program));
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return InternalError(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  for (const SourceFile& f : program.files) {
    const fs::path path = dir / f.path;
    fs::create_directories(path.parent_path(), ec);
    RETURN_IF_ERROR(WriteFile(path, f.content));
  }
  return Status::Ok();
}

EvalResult Failure(Outcome outcome, std::string what, const SandboxResult& run) {
  EvalResult r;
  r.outcome = outcome;
  r.feedback = std::move(what);
  if (run.process_limit) r.feedback += " (the process limit was reached: a fork was refused)";
  if (run.scratch_full) {
    r.feedback += " (the scratch directory's quota was used up: no space or no file left in it)";
  }
  const std::string tail = run.StderrTail(kStderrFeedbackBytes);
  if (!tail.empty()) r.feedback += "\nstderr (tail):\n" + tail;
  return r;
}

// A failed run may still have printed a protocol object with its own
// "outcome" (e.g. a harness reporting compile_error and exiting 1).
std::optional<EvalResult> SelfReportedFailure(const SandboxResult& run,
                                              const std::optional<std::string>& result_json,
                                              bool channel_only) {
  const std::string text = result_json   ? *result_json
                           : channel_only ? std::string()
                                          : std::string(LastNonEmptyLine(run.stdout_text));
  if (text.empty() || text.find("\"outcome\"") == std::string::npos) return std::nullopt;
  EvalResult r = ParseEvaluatorJson(text);
  if (r.outcome == Outcome::kOk || r.outcome == Outcome::kEvaluatorError) return std::nullopt;
  return r;
}

// A result that says "continue": false ends the cascade after its stage
// (docs/evaluator-protocol.md, "Cascade"). The result is read from where
// ClassifyStage reads it.
bool EndsCascade(const SandboxResult& run, const std::optional<std::string>& result_json,
                 bool channel_only) {
  const std::string text = result_json   ? *result_json
                           : channel_only ? std::string()
                                          : std::string(LastNonEmptyLine(run.stdout_text));
  if (text.find("\"continue\"") == std::string::npos) return false;
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  return j.is_object() && j.contains("continue") && j["continue"].is_boolean() &&
         !j["continue"].get<bool>();
}

}  // namespace

std::string_view SplitName(Split split) { return split == Split::kTrain ? "train" : "heldout"; }

Status CommandEvaluatorOptions::Validate() const {
  if (command.empty()) return InvalidArgumentError("evaluator.command must not be empty");
  if (stages.empty()) return InvalidArgumentError("evaluator.stages must not be empty");
  for (const CascadeStage& s : stages) {
    if (s.name.empty() || s.name.find('/') != std::string::npos) {
      return InvalidArgumentError(fmt::format("evaluator stage name '{}' is not a plain name", s.name));
    }
  }
  if (work_root.empty()) return InvalidArgumentError("the evaluation work directory is not set");
  return sandbox.Validate();
}

EvalResult ClassifyStage(const SandboxResult& run, const std::optional<std::string>& result_json,
                         double wall_timeout_seconds, bool channel_only) {
  if (!run.started) {
    EvalResult r;
    r.outcome = Outcome::kEvaluatorError;
    r.feedback = "could not start the evaluator: " + run.spawn_error;
    return r;
  }
  if (run.timed_out || run.cpu_limit) {
    return Failure(Outcome::kTimeout,
                   run.timed_out ? fmt::format("exceeded the time limit of {:g} s", wall_timeout_seconds)
                                 : std::string("exceeded the CPU time limit"),
                   run);
  }
  if (run.memory_limit) return Failure(Outcome::kMemoryLimit, "exceeded the memory limit", run);
  if (run.output_limit) {
    return Failure(Outcome::kRuntimeError, "exceeded the file size limit (SIGXFSZ)", run);
  }
  if (!run.exited || run.exit_code != 0) {
    if (auto self = SelfReportedFailure(run, result_json, channel_only)) return *self;
    if (!run.exited) {
      return Failure(Outcome::kRuntimeError, fmt::format("killed by {}", SignalName(run.signal)), run);
    }
    return Failure(Outcome::kRuntimeError, fmt::format("exit status {}", run.exit_code), run);
  }
  if (channel_only && !result_json) {
    return Failure(Outcome::kEvaluatorError,
                   "the evaluator exited 0 without writing its result on the result channel "
                   "(what it printed and any result.json are not read)",
                   run);
  }
  std::string text = result_json ? *result_json : std::string(LastNonEmptyLine(run.stdout_text));
  if (text.empty()) {
    return Failure(Outcome::kEvaluatorError,
                   "the evaluator exited 0 but printed no JSON result (stdout's last line or "
                   "result.json)",
                   run);
  }
  EvalResult r = ParseEvaluatorJson(text);
  if (r.outcome != Outcome::kOk && r.feedback.empty()) {
    r.feedback = TruncateTail(run.StderrTail(kStderrFeedbackBytes), kMaxFeedbackBytes);
  } else if (r.outcome == Outcome::kEvaluatorError) {
    const std::string tail = run.StderrTail(kStderrFeedbackBytes);
    if (!tail.empty()) r.feedback += "\nstderr (tail):\n" + tail;
  }
  return r;
}

StatusOr<std::unique_ptr<CommandEvaluator>> CommandEvaluator::Create(
    CommandEvaluatorOptions options) {
  RETURN_IF_ERROR(options.Validate());
  // Evaluators run in a scratch directory: every path handed to them is absolute.
  options.work_root = fs::absolute(options.work_root).lexically_normal().string();
  if (!options.cache_dir.empty()) {
    std::error_code ec;
    options.cache_dir = fs::absolute(options.cache_dir).lexically_normal().string();
    fs::create_directories(options.cache_dir, ec);
    if (ec) {
      return InternalError(fmt::format("cannot create {}: {}", options.cache_dir, ec.message()));
    }
  }
  // The evaluator runs in a scratch directory, so words of the command that
  // name files of the problem directory ("python3 evaluate.py") are made
  // absolute. Bare program names (python3) are left to PATH.
  for (std::string& word : options.command) {
    if (options.command_is_final) break;
    const fs::path p = word;
    if (word.empty() || word[0] == '-' || !p.is_relative()) continue;
    const fs::path in_problem = fs::path(options.problem_dir) / p;
    if (fs::exists(in_problem) && (p.has_parent_path() || fs::is_regular_file(in_problem))) {
      word = in_problem.lexically_normal().string();
    }
  }
  if (!options.cache_dir.empty()) {
    // Measured now, so a run resumed after its disk filled up starts by
    // giving the cache's space back.
    options.cache_quota_bytes = CacheQuotaFor(options.cache_dir, options.cache_quota_bytes);
    // On a small disk (a test's tmpfs) a sixteenth of it, not the default.
    struct statvfs fs;
    if (statvfs(options.cache_dir.c_str(), &fs) == 0) {
      options.cache_disk_floor_bytes = std::min<uint64_t>(
          options.cache_disk_floor_bytes, static_cast<uint64_t>(fs.f_blocks) * fs.f_frsize / 16);
    }
    EvictCache(options.cache_dir, options.cache_quota_bytes);
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Sandbox> sandbox, Sandbox::Create(options.sandbox));
  std::unique_ptr<WarmPool> warm;
  if (!options.warm_worker_command.empty()) {
    WarmPoolOptions w;
    w.worker_argv = options.warm_worker_command;
    w.root = (fs::path(options.work_root) / "warm").string();
    std::error_code ec;
    fs::create_directories(w.root, ec);
    if (ec) return InternalError(fmt::format("cannot create {}: {}", w.root, ec.message()));
    w.readonly_paths = options.readonly_paths;
    w.readonly_paths.push_back(options.work_root);
    w.env = {{"CRUCIBLE_PROBLEM_DIR", options.problem_dir},
             {"CRUCIBLE_PROTOCOL_VERSION", std::to_string(kEvaluatorProtocolVersion)}};
    if (!options.cache_dir.empty()) {
      w.writable_paths = {options.cache_dir};
      w.env["CRUCIBLE_CACHE_DIR"] = options.cache_dir;
    }
    w.sandbox = options.sandbox;
    w.scratch_bytes = options.keep_work ? 0 : options.scratch_quota_bytes;
    ASSIGN_OR_RETURN(warm, WarmPool::Create(std::move(w)));
  }
  return std::unique_ptr<CommandEvaluator>(
      new CommandEvaluator(std::move(options), std::move(sandbox), std::move(warm)));
}

CommandEvaluator::CommandEvaluator(CommandEvaluatorOptions options, std::unique_ptr<Sandbox> sandbox,
                                   std::unique_ptr<WarmPool> warm)
    : options_(std::move(options)), sandbox_(std::move(sandbox)), warm_(std::move(warm)) {}

std::string CommandEvaluator::Describe() const {
  return warm_ ? warm_->Describe() : sandbox_->CapabilityReport();
}

CommandEvaluator::StageRun CommandEvaluator::RunStage(const CascadeStage& stage,
                                                      const std::string& candidate_dir,
                                                      const std::string& scratch,
                                                      const std::string& previous,
                                                      const EvalRequest& request,
                                                      std::stop_token stop) const {
  SandboxRequest req;
  req.argv = options_.command;
  req.argv.push_back(candidate_dir);
  req.working_dir = scratch;
  req.env = {{"CRUCIBLE_STAGE", stage.name},
             {"CRUCIBLE_SEED", std::to_string(request.seed)},
             {"CRUCIBLE_SPLIT", std::string(SplitName(request.split))},
             {"CRUCIBLE_PROBLEM_DIR", options_.problem_dir},
             {"CRUCIBLE_CANDIDATE_ID", std::to_string(request.id)},
             {"CRUCIBLE_PROTOCOL_VERSION", std::to_string(kEvaluatorProtocolVersion)}};
  if (!options_.cache_dir.empty()) {
    req.env["CRUCIBLE_CACHE_DIR"] = options_.cache_dir;
    req.writable_paths.push_back(options_.cache_dir);
  }
  if (!previous.empty()) req.env["CRUCIBLE_PREVIOUS_RESULT"] = previous;
  req.readonly_paths = options_.readonly_paths;
  if (!options_.keep_work) {
    req.scratch_bytes = options_.scratch_quota_bytes;
    if (!options_.result_channel_only) req.scratch_copy_out = {"result.json"};
  }
  StageRun out;
  EvalResult& r = out.result;
  if (warm_) {
    // The worker has a scratch directory of its own, inside the one place
    // its sandbox lets it write; without a candidate directory it writes
    // the program's files itself.
    WarmPool::Stage warm =
        warm_->Run(candidate_dir.empty() ? request.program : nullptr, candidate_dir, req.env, stop);
    r = ClassifyStage(warm.run, warm.result, options_.sandbox.wall_timeout_seconds,
                      options_.result_channel_only);
    r.stage = stage.name;
    out.stop_cascade = EndsCascade(warm.run, warm.result, options_.result_channel_only);
    return out;
  }
  // The result channel (docs/evaluator-protocol.md): a file only the
  // evaluator's process holds, read back here after the run.
  UniqueFd result_channel(memfd_create("crucible-result", MFD_CLOEXEC));
  if (!result_channel.valid()) {
    r.outcome = Outcome::kEvaluatorError;
    r.feedback = fmt::format("cannot create the result channel: {}", strerror(errno));
    return out;
  }
  req.inherit_fds.push_back(result_channel.get());
  req.env["CRUCIBLE_RESULT_FD"] = std::to_string(kResultFd);
  UniqueFd problem_fd;
  if (options_.hide_problem_dir) {
    // Only the evaluator's process can reach the problem's data, through this
    // descriptor; the view the compiler and candidate see does not hold it.
    problem_fd.Reset(open(options_.problem_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!problem_fd.valid()) {
      r.outcome = Outcome::kEvaluatorError;
      r.feedback = fmt::format("cannot open the problem directory {}: {}", options_.problem_dir,
                               strerror(errno));
      return out;
    }
    req.inherit_fds.push_back(problem_fd.get());
    req.env["CRUCIBLE_PROBLEM_DIR"] = fmt::format("/proc/self/fd/{}", kProblemDirFd);
    req.hide_host_filesystem = true;
  }
  // A candidate can write into the shared cache while it runs; the quota
  // is enforced only afterwards. So the stage is stopped when the cache's
  // disk runs low meanwhile, before the run's database cannot be written.
  std::stop_source local;
  std::stop_callback forward(stop, [&local] { local.request_stop(); });
  std::atomic<bool> disk_low{false};
  std::jthread watch;
  if (!options_.cache_dir.empty() && options_.cache_disk_floor_bytes > 0) {
    watch = std::jthread([this, &local, &disk_low](std::stop_token done) {
      std::mutex m;
      std::condition_variable_any cv;
      while (!done.stop_requested()) {
        struct statvfs fs;
        if (statvfs(options_.cache_dir.c_str(), &fs) == 0 &&
            static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize < options_.cache_disk_floor_bytes) {
          disk_low = true;
          local.request_stop();
          return;
        }
        std::unique_lock lock(m);
        cv.wait_for(lock, done, std::chrono::milliseconds(100), [] { return false; });
      }
    });
  }
  const SandboxResult run = sandbox_->Run(req, local.get_token());
  if (watch.joinable()) {
    watch.request_stop();
    watch.join();
  }
  if (disk_low && !stop.stop_requested()) {
    r = Failure(Outcome::kRuntimeError,
                fmt::format("stopped: the disk holding the run's cache ({}) fell below {} MiB free "
                            "while it ran (what was written there is evicted)",
                            options_.cache_dir, options_.cache_disk_floor_bytes >> 20),
                run);
    r.stage = stage.name;
    out.stop_cascade = true;
    return out;
  }
  std::optional<std::string> result_json = ReadResultChannel(result_channel.get());
  if (!result_json && !options_.result_channel_only) {
    StatusOr<std::string> file = ReadFile(fs::path(scratch) / "result.json");
    if (file.ok()) result_json = std::move(*file);
  }
  r = ClassifyStage(run, result_json, options_.sandbox.wall_timeout_seconds,
                    options_.result_channel_only);
  r.stage = stage.name;
  out.stop_cascade = EndsCascade(run, result_json, options_.result_channel_only);
  return out;
}

void CommandEvaluator::EnforceCacheQuota() {
  if (options_.cache_dir.empty() || options_.cache_quota_bytes == 0) return;
  std::unique_lock lock(cache_mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return;  // another thread is at it
  EvictCache(options_.cache_dir, options_.cache_quota_bytes);
}

uint64_t CacheQuotaFor(const std::string& cache_dir, uint64_t configured) {
  struct statvfs fs;
  if (configured == 0 || statvfs(cache_dir.c_str(), &fs) != 0) return configured;
  const uint64_t free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  return std::min(configured, std::max<uint64_t>(kMinCacheQuotaBytes, free_bytes / 2));
}

void EvictCache(const std::string& cache_dir, uint64_t quota_bytes) {
  struct Entry {
    fs::file_time_type time;
    uint64_t bytes;
    fs::path path;
  };
  std::vector<Entry> files;
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(cache_dir,
                                                  fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code e;
    if (!it->is_regular_file(e) || it->is_symlink(e)) continue;
    const uint64_t bytes = it->file_size(e);
    if (e) continue;
    total += bytes;
    files.push_back({it->last_write_time(e), bytes, it->path()});
  }
  if (total <= quota_bytes) return;
  // Oldest first; a precompiled header's directory goes whole (its .gch is
  // only valid next to its header), anything else file by file.
  std::sort(files.begin(), files.end(),
            [](const Entry& a, const Entry& b) { return a.time < b.time; });
  const uint64_t goal = quota_bytes / 4 * 3;
  for (const Entry& f : files) {
    if (total <= goal) break;
    std::error_code e;
    const fs::path parent = f.path.parent_path();
    if (parent.filename().string().rfind("pch-", 0) == 0) {
      fs::remove_all(parent, e);
    } else {
      fs::remove(f.path, e);
    }
    total -= std::min(total, f.bytes);
  }
}

EvalResult CommandEvaluator::Evaluate(const EvalRequest& request, std::stop_token stop) {
  const auto start = std::chrono::steady_clock::now();
  const fs::path dir = fs::path(options_.work_root) /
                       fmt::format("c{}-{}", request.id, counter_.fetch_add(1));
  EvalResult result;
  // A warm worker takes the files in its request and has its own scratch
  // directory: nothing is written here unless a stage's result must be
  // passed on (or the work is kept).
  const bool in_request =
      warm_ != nullptr && !options_.keep_work && WarmPool::CanSend(*request.program);
  const std::string candidate_dir = in_request ? "" : (dir / "candidate").string();
  if (Status s = in_request ? CheckProgramPaths(*request.program)
                            : WriteProgram(*request.program, candidate_dir);
      !s.ok()) {
    result.outcome = Outcome::kEvaluatorError;
    result.feedback = s.message();
  } else {
    std::string previous;
    for (size_t i = 0; i < options_.stages.size(); ++i) {
      const CascadeStage& stage = options_.stages[i];
      const fs::path scratch = dir / ("stage-" + stage.name);
      std::error_code ec;
      if (warm_ == nullptr) fs::create_directories(scratch, ec);
      StageRun run = RunStage(stage, candidate_dir, scratch.string(), previous, request, stop);
      result = std::move(run.result);
      if (result.outcome != Outcome::kOk || stop.stop_requested()) break;
      const bool last = i + 1 == options_.stages.size();
      if (last) continue;
      if (run.stop_cascade) {
        if (!result.feedback.empty()) result.feedback += "\n";
        result.feedback += fmt::format("stopped after stage '{}': the evaluator ended the cascade",
                                       stage.name);
        break;
      }
      // The next stage may build on this one's result (OpenEvolve's cascade
      // merges the stages' metrics): a file outside every sandbox's writable
      // view, named in its CRUCIBLE_PREVIOUS_RESULT.
      previous = (dir / ("result-" + stage.name + ".json")).string();
      fs::create_directories(dir, ec);
      if (Status s = WriteFile(previous, EvalResultToJson(result)); !s.ok()) {
        result.outcome = Outcome::kEvaluatorError;
        result.feedback = s.ToString();
        break;
      }
      if (!stage.threshold) continue;
      const double score = *result.score;
      const bool passed = options_.objective.Reaches(score, *stage.threshold);
      if (!passed) {
        if (!result.feedback.empty()) result.feedback += "\n";
        result.feedback += fmt::format("stopped after stage '{}': score {:g} did not reach its "
                                       "threshold {:g}",
                                       stage.name, score, *stage.threshold);
        break;
      }
    }
  }
  if (!options_.keep_work) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  EnforceCacheQuota();
  result.eval_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace crucible
