#include "executor/slurm_executor.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <variant>

#include "core/file.h"
#include "core/hash.h"
#include "evaluate/protocol.h"

namespace crucible {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr size_t kOutputTailBytes = 2048;

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string Tail(const std::string& text, size_t n) {
  return text.size() <= n ? text : text.substr(text.size() - n);
}

std::string OutputTail(const fs::path& dir) {
  return Tail(ReadFile(dir / "slurm.out").value_or(""), kOutputTailBytes);
}

// Exact content hash of a program (not normalised: the job must evaluate
// exactly these bytes).
uint64_t ProgramHash(const Program& program) {
  std::string all;
  for (const SourceFile& f : program.files) {
    all += f.path;
    all.push_back('\0');
    all += std::to_string(f.content.size());
    all.push_back('\0');
    all += f.content;
  }
  return HashBytes(all);
}

// The most recent of several job ids (numeric order).
std::string NewestId(const std::vector<std::string>& ids) {
  return *std::max_element(ids.begin(), ids.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
}

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

EvalResult Failed(Outcome outcome, std::string feedback) {
  EvalResult r;
  r.outcome = outcome;
  r.feedback = TruncateTail(feedback, kMaxFeedbackBytes);
  return r;
}

// result.json: {"version": 1, "result": <protocol JSON>, "node": ...}.
std::optional<EvalResult> ParseJobResult(const std::string& text) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("result")) return std::nullopt;
  const json& res = j["result"];
  EvalResult r = ParseEvaluatorJson(res.dump());
  if (res.contains("stage") && res["stage"].is_string()) r.stage = res["stage"].get<std::string>();
  if (res.contains("eval_seconds") && res["eval_seconds"].is_number()) {
    r.eval_seconds = res["eval_seconds"].get<double>();
  }
  return r;
}

std::optional<EvalResult> ReadJobResult(const fs::path& dir) {
  StatusOr<std::string> text = ReadFile(dir / "result.json");
  if (!text.ok()) return std::nullopt;
  if (std::optional<EvalResult> r = ParseJobResult(*text)) return r;
  return Failed(Outcome::kEvaluatorError,
                fmt::format("{} is not a crucible job result", (dir / "result.json").string()));
}

}  // namespace

EvalResult ClassifySlurmEnd(const SlurmJobInfo& info, const std::string& output_tail) {
  const std::string tail =
      output_tail.empty() ? std::string() : "\njob output (tail):\n" + output_tail;
  const std::string& s = info.state;
  if (s == "TIMEOUT" || s == "DEADLINE") {
    return Failed(Outcome::kTimeout,
                  fmt::format("Slurm ended the job at its time limit ({}){}", s, tail));
  }
  if (s == "OUT_OF_MEMORY") {
    return Failed(Outcome::kMemoryLimit,
                  fmt::format("Slurm killed the job for exceeding its memory (OUT_OF_MEMORY){}", tail));
  }
  if (s == "CANCELLED") {
    return Failed(Outcome::kCancelled,
                  fmt::format("the Slurm job was cancelled outside crucible (scancel by a user or "
                              "an administrator){}{}",
                              info.reason.empty() || info.reason == "None" ? "" : ": " + info.reason,
                              tail));
  }
  if (s == "NODE_FAIL" || s == "BOOT_FAIL" || s == "PREEMPTED") {
    return Failed(Outcome::kEvaluatorError,
                  fmt::format("the Slurm job was lost ({}) and retries were used up{}", s, tail));
  }
  return Failed(Outcome::kEvaluatorError,
                fmt::format("the Slurm job ended {}{} without writing result.json{}", s,
                            info.exit_code.empty() ? "" : " (exit code " + info.exit_code + ")",
                            tail));
}

Status SlurmExecutorOptions::Validate() const {
  RETURN_IF_ERROR(slurm.Validate());
  if (jobs_root.empty()) return InvalidArgumentError("the Slurm jobs directory is not set");
  if (crucible.empty()) return InvalidArgumentError("slurm.crucible: the binary path is not set");
  if (config_json.empty()) return InvalidArgumentError("the frozen configuration is empty");
  return Status::Ok();
}

// One job in flight, shared by the waiting Evaluate() call and the poller.
struct SlurmJob {
  std::string job_id;
  fs::path dir;
  Clock::time_point submitted = Clock::now();
  // Written by the poller under the executor's mutex:
  bool done = false;
  bool retry = false;  // lost to a node failure: submit again
  EvalResult result;
  SlurmJobInfo last;
  std::optional<Clock::time_point> ended_without_result;
  std::optional<Clock::time_point> unknown_since;
};

class SlurmExecutor::Impl {
 public:
  Impl(SlurmExecutorOptions o, std::unique_ptr<SlurmClient> client)
      : o_(std::move(o)), client_(std::move(client)) {
    tag_ = HashToHex(HashBytes(o_.jobs_root)).substr(0, 8);
    time_ = o_.slurm.time.empty() ? SlurmTimeLimit(o_.default_time_seconds) : o_.slurm.time;
    memory_mb_ = o_.slurm.memory_mb > 0 ? o_.slurm.memory_mb : o_.default_memory_mb;
    ScanAttempts();
    poller_ = std::jthread([this](std::stop_token st) { PollLoop(st); });
  }

  ~Impl() {
    poller_.request_stop();
    poll_cv_.notify_all();
    poller_.join();
  }

  EvalResult Evaluate(const EvalRequest& request, std::stop_token stop);
  std::string Describe() const;
  StatusOr<int> CancelOrphans(const std::set<CandidateId>& will_evaluate);

 private:
  std::string JobName(CandidateId id, int attempt) const {
    return fmt::format("crucible-{}-c{}-{}", tag_, id, attempt);
  }
  fs::path JobDir(CandidateId id, int attempt) const {
    return fs::path(o_.jobs_root) / fmt::format("c{}-{}", id, attempt);
  }
  // Attempt numbers of each candidate's job directories: read from disk
  // once (a resumed run), then kept here.
  void ScanAttempts();
  int LatestAttempt(CandidateId id);  // -1 when none
  int NextAttempt(CandidateId id);    // reserves the next number
  std::string JobScript(const fs::path& dir, const std::string& name) const;
  StatusOr<std::shared_ptr<SlurmJob>> Submit(const EvalRequest& request, int attempt);
  // The job of an earlier coordinator for this very evaluation, if any.
  std::optional<std::variant<EvalResult, std::shared_ptr<SlurmJob>>> Adopt(
      const EvalRequest& request, int attempt);
  EvalResult Await(const std::shared_ptr<SlurmJob>& job, std::stop_token stop);
  void PollLoop(std::stop_token st);
  void PollOnce();
  void Finish(SlurmJob& job, EvalResult result);  // with mu_ held

  const SlurmExecutorOptions o_;
  const std::unique_ptr<SlurmClient> client_;
  std::string tag_;
  std::string time_;
  int64_t memory_mb_ = 0;

  std::mutex mu_;
  std::condition_variable_any done_cv_;  // a job finished, or a queue slot freed
  std::condition_variable_any poll_cv_;
  std::map<std::string, std::shared_ptr<SlurmJob>> active_;  // by job id
  int queued_ = 0;  // slots taken (<= max_queued)
  std::map<CandidateId, int> latest_;  // largest attempt number per candidate
  std::jthread poller_;
};

void SlurmExecutor::Impl::ScanAttempts() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(o_.jobs_root, ec)) {
    const std::string name = entry.path().filename().string();
    long long id = 0;
    int attempt = 0;
    char tail = 0;
    if (std::sscanf(name.c_str(), "c%lld-%d%c", &id, &attempt, &tail) != 2) continue;
    int& latest = latest_.try_emplace(static_cast<CandidateId>(id), -1).first->second;
    latest = std::max(latest, attempt);
  }
}

int SlurmExecutor::Impl::NextAttempt(CandidateId id) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = latest_.try_emplace(id, -1);
  return ++it->second;
}

int SlurmExecutor::Impl::LatestAttempt(CandidateId id) {
  std::lock_guard lock(mu_);
  auto it = latest_.find(id);
  return it == latest_.end() ? -1 : it->second;
}

std::string SlurmExecutor::Impl::JobScript(const fs::path& dir, const std::string& name) const {
  const SlurmOptions& s = o_.slurm;
  std::string sh = "#!/bin/bash\n";
  auto line = [&](const std::string& opt) { sh += "#SBATCH " + opt + "\n"; };
  line("--job-name=" + name);
  line("--output=" + (dir / "slurm.out").string());
  line("--ntasks=1");
  line(fmt::format("--cpus-per-task={}", s.cpus));
  line("--time=" + time_);
  line(fmt::format("--mem={}M", memory_mb_));
  if (!s.partition.empty()) line("--partition=" + s.partition);
  if (!s.account.empty()) line("--account=" + s.account);
  if (!s.qos.empty()) line("--qos=" + s.qos);
  if (s.gpus > 0) line(fmt::format("--gres=gpu:{}", s.gpus));
  for (std::string extra : s.sbatch_lines) {
    if (extra.rfind("#SBATCH", 0) == 0) extra = extra.substr(7);
    const size_t b = extra.find_first_not_of(" \t");
    line(b == std::string::npos ? "" : extra.substr(b));
  }
  sh += "# Written by crucible (docs/slurm.md). The evaluation runs in crucible's sandbox.\n";
  if (!s.prologue.empty()) {
    sh += "# prologue (slurm.prologue)\n" + s.prologue;
    if (sh.back() != '\n') sh += "\n";
  }
  sh += fmt::format("exec {} eval-job {}\n", Quote(o_.crucible), Quote(dir.string()));
  return sh;
}

StatusOr<std::shared_ptr<SlurmJob>> SlurmExecutor::Impl::Submit(const EvalRequest& request,
                                                                 int attempt) {
  const fs::path dir = JobDir(request.id, attempt);
  std::error_code ec;
  fs::create_directories(dir / "candidate", ec);
  if (ec) return InternalError(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  json files = json::array();
  for (const SourceFile& f : request.program->files) {
    const fs::path path = dir / "candidate" / f.path;
    fs::create_directories(path.parent_path(), ec);
    RETURN_IF_ERROR(WriteFile(path, f.content));
    files.push_back(f.path);
  }
  const std::string name = JobName(request.id, attempt);
  json job = {{"version", kSlurmJobFormatVersion},
              {"candidate_id", request.id},
              {"attempt", attempt},
              {"seed", request.seed},
              {"split", std::string(SplitName(request.split))},
              {"program_hash", HashToHex(ProgramHash(*request.program))},
              {"files", files},
              {"job_name", name},
              {"cache_dir", o_.cache_dir},
              {"config", o_.config_json}};
  RETURN_IF_ERROR(WriteFileAtomic(dir / "job.json", job.dump(2) + "\n"));
  RETURN_IF_ERROR(WriteFileAtomic(dir / "job.sh", JobScript(dir, name)));
  fs::permissions(dir / "job.sh", fs::perms::owner_all | fs::perms::group_read, ec);
  ASSIGN_OR_RETURN(std::string job_id, client_->Submit((dir / "job.sh").string()));
  RETURN_IF_ERROR(WriteFileAtomic(dir / "jobid", job_id + "\n"));
  auto j = std::make_shared<SlurmJob>();
  j->job_id = job_id;
  j->dir = dir;
  return j;
}

std::optional<std::variant<EvalResult, std::shared_ptr<SlurmJob>>> SlurmExecutor::Impl::Adopt(
    const EvalRequest& request, int attempt) {
  const fs::path dir = JobDir(request.id, attempt);
  const StatusOr<std::string> text = ReadFile(dir / "job.json");
  if (!text.ok()) return std::nullopt;
  const json job = json::parse(*text, nullptr, false);
  if (job.is_discarded() || !job.is_object() || job.value("version", 0) != kSlurmJobFormatVersion ||
      job.value("seed", uint64_t{0}) != request.seed ||
      job.value("split", std::string()) != SplitName(request.split) ||
      job.value("program_hash", std::string()) != HashToHex(ProgramHash(*request.program))) {
    return std::nullopt;
  }
  if (fs::exists(dir / "cancelled")) return std::nullopt;
  if (std::optional<EvalResult> r = ReadJobResult(dir)) return *r;
  std::string job_id = ReadFile(dir / "jobid").value_or("");
  while (!job_id.empty() && (job_id.back() == '\n' || job_id.back() == ' ')) job_id.pop_back();
  if (job_id.empty()) {
    // The coordinator died between sbatch and writing jobid: find it by name.
    // If it is not there (sbatch never ran, or is still on its way), mark the
    // directory superseded: a job that starts from it later exits at once.
    StatusOr<std::vector<std::string>> ids = client_->FindByName(job.value("job_name", ""));
    if (!ids.ok() || ids->empty()) {
      if (std::optional<EvalResult> r = ReadJobResult(dir)) return *r;  // finished meanwhile
      (void)WriteFile(dir / "cancelled", "superseded by a new attempt\n");
      return std::nullopt;
    }
    job_id = NewestId(*ids);
    (void)WriteFileAtomic(dir / "jobid", job_id + "\n");
  }
  StatusOr<std::map<std::string, SlurmJobInfo>> known = client_->Query({job_id});
  if (!known.ok()) return std::nullopt;
  auto it = known->find(job_id);
  if (it == known->end()) return std::nullopt;  // gone without a result: run it again
  if (IsTerminalSlurmState(it->second.state) && it->second.state != "COMPLETED") {
    return std::nullopt;  // ended badly while nobody watched: run it again
  }
  auto j = std::make_shared<SlurmJob>();
  j->job_id = job_id;
  j->dir = dir;
  j->submitted = Clock::now();
  return j;
}

EvalResult SlurmExecutor::Impl::Evaluate(const EvalRequest& request, std::stop_token stop) {
  const auto start = Clock::now();
  const int attempt = LatestAttempt(request.id);
  std::shared_ptr<SlurmJob> job;
  if (attempt >= 0) {
    if (auto adopted = Adopt(request, attempt)) {
      if (auto* r = std::get_if<EvalResult>(&*adopted)) return *r;
      job = std::get<std::shared_ptr<SlurmJob>>(*adopted);
    }
  }
  int retries = 0;
  while (true) {
    {
      std::unique_lock lock(mu_);
      if (!done_cv_.wait(lock, stop, [&] { return queued_ < o_.slurm.max_queued; })) {
        return Failed(Outcome::kEvaluatorError, "cancelled before submission");
      }
      ++queued_;
    }
    if (!job) {
      StatusOr<std::shared_ptr<SlurmJob>> submitted = Submit(request, NextAttempt(request.id));
      if (!submitted.ok()) {
        std::lock_guard lock(mu_);
        --queued_;
        done_cv_.notify_all();
        return Failed(Outcome::kEvaluatorError,
                      "could not submit the Slurm job: " + submitted.status().message());
      }
      job = *submitted;
    }
    {
      std::lock_guard lock(mu_);
      active_[job->job_id] = job;
    }
    poll_cv_.notify_all();
    EvalResult r = Await(job, stop);
    if (stop.stop_requested()) return r;
    if (job->retry && retries < o_.slurm.max_retries) {
      ++retries;
      job.reset();
      continue;
    }
    if (r.eval_seconds == 0) r.eval_seconds = SecondsSince(start);
    return r;
  }
}

EvalResult SlurmExecutor::Impl::Await(const std::shared_ptr<SlurmJob>& job, std::stop_token stop) {
  std::unique_lock lock(mu_);
  const bool finished = done_cv_.wait(lock, stop, [&] { return job->done; });
  active_.erase(job->job_id);
  --queued_;
  done_cv_.notify_all();
  if (finished) return job->result;
  lock.unlock();
  // Cancelled (Ctrl-C, time budget): the job must not run on unseen.
  (void)WriteFile(job->dir / "cancelled", "cancelled by crucible\n");
  (void)client_->Cancel({job->job_id});
  return Failed(Outcome::kEvaluatorError, "cancelled");
}

void SlurmExecutor::Impl::Finish(SlurmJob& job, EvalResult result) {
  job.result = std::move(result);
  job.done = true;
}

void SlurmExecutor::Impl::PollLoop(std::stop_token st) {
  const auto interval = std::chrono::duration<double>(o_.slurm.poll_seconds);
  while (!st.stop_requested()) {
    {
      std::unique_lock lock(mu_);
      poll_cv_.wait_for(lock, st, interval, [&] { return false; });
      if (st.stop_requested()) return;
      bool any = false;
      for (const auto& [id, job] : active_) any = any || !job->done;
      if (!any) {
        // Nothing to watch: sleep until a job is submitted.
        poll_cv_.wait(lock, st, [&] {
          for (const auto& [id, job] : active_) {
            if (!job->done) return true;
          }
          return false;
        });
        continue;  // give a fresh job one interval before the first poll
      }
    }
    PollOnce();
  }
}

void SlurmExecutor::Impl::PollOnce() {
  std::vector<std::shared_ptr<SlurmJob>> jobs;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, job] : active_) {
      if (!job->done) jobs.push_back(job);
    }
  }
  // Results first: a job that wrote result.json is done, whatever Slurm says.
  std::map<std::string, EvalResult> results;
  std::vector<std::string> ids;
  for (const auto& job : jobs) {
    if (std::optional<EvalResult> r = ReadJobResult(job->dir)) {
      results[job->job_id] = std::move(*r);
    } else {
      ids.push_back(job->job_id);
    }
  }
  StatusOr<std::map<std::string, SlurmJobInfo>> known = client_->Query(ids);
  std::lock_guard lock(mu_);
  bool any_done = false;
  for (const auto& job : jobs) {
    if (auto it = results.find(job->job_id); it != results.end()) {
      Finish(*job, std::move(it->second));
      any_done = true;
      continue;
    }
    if (!known.ok()) continue;  // slurmctld busy or down: ask again next poll
    auto it = known->find(job->job_id);
    if (it == known->end()) {
      // Slurm forgot the job (and no accounting): the result may still be
      // in flight on the shared filesystem.
      if (!job->unknown_since) job->unknown_since = Clock::now();
      if (SecondsSince(*job->unknown_since) >= o_.slurm.result_grace_seconds) {
        Finish(*job, Failed(Outcome::kEvaluatorError,
                            fmt::format("Slurm has no record of job {} and it wrote no result{}",
                                        job->job_id, OutputTail(job->dir))));
        any_done = true;
      }
      continue;
    }
    job->unknown_since.reset();
    const SlurmJobInfo& info = it->second;
    job->last = info;
    if (info.state == "PENDING" || info.state == "REQUEUED" || info.state == "CONFIGURING") {
      if (info.state == "PENDING" &&
          SecondsSince(job->submitted) >= o_.slurm.queue_timeout_seconds) {
        (void)WriteFile(job->dir / "cancelled", "queue timeout\n");
        (void)client_->Cancel({job->job_id});
        Finish(*job, Failed(Outcome::kEvaluatorError,
                            fmt::format("the Slurm job did not start within slurm.queue_timeout "
                                        "({:g} s; pending reason: {}); it was cancelled",
                                        o_.slurm.queue_timeout_seconds, info.reason)));
        any_done = true;
      }
      continue;
    }
    if (!IsTerminalSlurmState(info.state)) continue;  // RUNNING, COMPLETING, SUSPENDED...
    if (info.state == "COMPLETED" || info.state == "FAILED") {
      // eval-job writes result.json before it exits: give the shared
      // filesystem time to show it.
      if (!job->ended_without_result) job->ended_without_result = Clock::now();
      if (SecondsSince(*job->ended_without_result) < o_.slurm.result_grace_seconds) continue;
    }
    if (info.state == "NODE_FAIL" || info.state == "BOOT_FAIL" || info.state == "PREEMPTED") {
      job->retry = true;
    }
    Finish(*job, ClassifySlurmEnd(info, OutputTail(job->dir)));
    any_done = true;
  }
  if (any_done) done_cv_.notify_all();
}

std::string SlurmExecutor::Impl::Describe() const {
  const SlurmOptions& s = o_.slurm;
  return fmt::format(
      "slurm: each evaluation is a job (partition {}, time {}, {} MiB, {} CPU{}{}), at most {} "
      "queued; jobs in {}; on the node `{} eval-job` runs the evaluator in crucible's sandbox",
      s.partition.empty() ? "default" : s.partition, time_, memory_mb_, s.cpus,
      s.cpus == 1 ? "" : "s", s.gpus > 0 ? fmt::format(", {} GPU", s.gpus) : std::string(),
      s.max_queued, o_.jobs_root, o_.crucible);
}

StatusOr<int> SlurmExecutor::Impl::CancelOrphans(const std::set<CandidateId>& will_evaluate) {
  std::vector<std::string> orphans;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(o_.jobs_root, ec)) {
    const fs::path dir = entry.path();
    const std::string name = dir.filename().string();
    long long parsed = 0;
    if (std::sscanf(name.c_str(), "c%lld-", &parsed) != 1) continue;
    const CandidateId id = static_cast<CandidateId>(parsed);
    if (will_evaluate.contains(id)) continue;
    if (fs::exists(dir / "result.json") || fs::exists(dir / "cancelled")) continue;
    std::string job_id = ReadFile(dir / "jobid").value_or("");
    while (!job_id.empty() && (job_id.back() == '\n' || job_id.back() == ' ')) job_id.pop_back();
    if (job_id.empty()) {
      const StatusOr<std::string> text = ReadFile(dir / "job.json");
      const json job = text.ok() ? json::parse(*text, nullptr, false) : json();
      if (!job.is_object()) continue;
      StatusOr<std::vector<std::string>> ids = client_->FindByName(job.value("job_name", ""));
      if (!ids.ok()) return ids.status();
      if (ids->empty()) continue;
      job_id = NewestId(*ids);
    }
    (void)WriteFile(dir / "cancelled", "orphan: its candidate is not evaluated again\n");
    orphans.push_back(job_id);
  }
  RETURN_IF_ERROR(client_->Cancel(orphans));
  return static_cast<int>(orphans.size());
}

StatusOr<std::unique_ptr<SlurmExecutor>> SlurmExecutor::Create(
    SlurmExecutorOptions options, std::unique_ptr<SlurmClient> client) {
  RETURN_IF_ERROR(options.Validate());
  std::error_code ec;
  options.jobs_root = fs::absolute(options.jobs_root).lexically_normal().string();
  fs::create_directories(options.jobs_root, ec);
  if (ec) {
    return InternalError(fmt::format("cannot create {}: {}", options.jobs_root, ec.message()));
  }
  return std::unique_ptr<SlurmExecutor>(
      new SlurmExecutor(std::make_unique<Impl>(std::move(options), std::move(client))));
}

SlurmExecutor::SlurmExecutor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SlurmExecutor::~SlurmExecutor() = default;

EvalResult SlurmExecutor::Evaluate(const EvalRequest& request, std::stop_token stop) {
  return impl_->Evaluate(request, stop);
}
std::string SlurmExecutor::Describe() const { return impl_->Describe(); }
StatusOr<int> SlurmExecutor::CancelOrphans(const std::set<CandidateId>& will_evaluate) {
  return impl_->CancelOrphans(will_evaluate);
}

// --- The node side -------------------------------------------------------------

Status RunEvalJob(const std::string& dir_arg, const EvaluatorFactory& make_evaluator,
                  std::stop_token stop, const std::function<bool()>& signalled) {
  const fs::path dir = fs::absolute(dir_arg).lexically_normal();
  const StatusOr<std::string> text = ReadFile(dir / "job.json");
  if (!text.ok()) return NotFoundError(fmt::format("{} has no job.json", dir.string()));
  const json job = json::parse(*text, nullptr, false);
  if (job.is_discarded() || !job.is_object() ||
      job.value("version", 0) != kSlurmJobFormatVersion || !job.contains("files") ||
      !job.contains("config")) {
    return InvalidArgumentError(fmt::format("{}: not a version {} crucible job",
                                            (dir / "job.json").string(), kSlurmJobFormatVersion));
  }
  if (fs::exists(dir / "cancelled")) {
    // The coordinator gave this attempt up (it could not find the job and
    // submitted a new one): evaluating it would count the candidate twice.
    return CancelledError(fmt::format("{} was superseded; nothing evaluated", dir.string()));
  }
  Program program;
  for (const json& f : job["files"]) {
    const std::string path = f.get<std::string>();
    StatusOr<std::string> content = ReadFile(dir / "candidate" / path);
    if (!content.ok()) return NotFoundError(fmt::format("cannot read {}", (dir / "candidate" / path).string()));
    program.files.push_back({path, std::move(*content)});
  }
  const fs::path work = dir / "work";
  std::error_code ec;
  fs::remove_all(work, ec);
  fs::create_directories(work, ec);
  EvalRequest req;
  req.id = job.value("candidate_id", int64_t{0});
  req.program = &program;
  req.seed = job.value("seed", uint64_t{0});
  req.split = job.value("split", std::string("train")) == "heldout" ? Split::kHeldout : Split::kTrain;
  EvalResult result;
  StatusOr<std::unique_ptr<Evaluator>> evaluator =
      make_evaluator(job["config"].get<std::string>(), work.string(), job.value("cache_dir", ""));
  if (!evaluator.ok()) {
    result = Failed(Outcome::kEvaluatorError,
                    "eval-job could not build the evaluator: " + evaluator.status().message());
  } else {
    result = (*evaluator)->Evaluate(req, stop);
  }
  fs::remove_all(work, ec);
  if (stop.stop_requested() || (signalled && signalled())) {
    return CancelledError("the job was stopped (SIGTERM)");
  }
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  json out = {{"version", kSlurmJobFormatVersion},
              {"result", json::parse(EvalResultToJson(result))},
              {"node", std::string(host)}};
  return WriteFileAtomic(dir / "result.json", out.dump() + "\n");
}

}  // namespace crucible
