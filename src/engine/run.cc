#include "engine/run.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <vector>

#include "archive/archive.h"
#include "core/clock.h"
#include "core/file.h"
#include "core/hash.h"
#include "engine/evaluator_fingerprint.h"
#include "evaluate/command_evaluator.h"
#include "evaluate/protocol.h"
#include "evaluate/python_support.h"
#include "propose/llm/llm_proposer.h"
#include "executor/slurm_executor.h"
#include "problems/registry.h"
#include "propose/mutate/mutate_proposer.h"
#include "propose/search/search_proposer.h"
#include "propose/tune/tuning_proposer.h"

namespace crucible {
namespace {

namespace fs = std::filesystem;

// Holds an flock() on the run directory itself (an open descriptor of it)
// for the life of the object, so two processes never work on one run. The
// kernel holds the lock, not a file's existence: deleting a lock file (as
// RUN/lock was) cannot let a second writer in, and the directory cannot be
// deleted while it holds run.db.
class RunLock {
 public:
  static StatusOr<std::unique_ptr<RunLock>> Acquire(const fs::path& run_dir) {
    const std::string path = run_dir.string();
    const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      return FailedPreconditionError(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd);
      return FailedPreconditionError(
          fmt::format("{} is in use by another crucible process", run_dir.string()));
    }
    return std::unique_ptr<RunLock>(new RunLock(fd));
  }
  ~RunLock() { ::close(fd_); }

 private:
  explicit RunLock(int fd) : fd_(fd) {}
  int fd_;
};

int DefaultJobs() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

std::string DefaultRunDir(const std::string& name) {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
  return (fs::path("runs") / fmt::format("{}-{}", name, stamp)).string();
}

const char* GetEnv(const char* name) { return std::getenv(name); }

// The proposer settings: the environment's LLM endpoint and model, the
// command line's choices, and "auto" resolved to what will be used.
Status ResolveProposer(const RunRequest& req, RunConfig& config) {
  // "auto" picks the LLM only for an endpoint someone named (problem.yaml's
  // llm.base_url or CRUCIBLE_LLM_BASE_URL): an OPENAI_API_KEY that happens
  // to be in the shell must not send the user's programs to a hosted API
  // unless they asked for the llm proposer.
  const char* env_url = GetEnv("CRUCIBLE_LLM_BASE_URL");
  const bool url_named = !config.llm.base_url.empty() || (env_url != nullptr && *env_url != '\0');
  config.llm = ResolveLlmOptions(std::move(config.llm), GetEnv);
  if (req.llm_concurrency > 0) config.llm.concurrency = req.llm_concurrency;
  if (req.proposer) config.proposer = *req.proposer;
  if (config.proposer == ProposerKind::kAuto) {
    config.proposer = !config.search.parameters.empty()        ? ProposerKind::kSearch
                      : config.llm.configured() && url_named ? ProposerKind::kLlm
                                                             : ProposerKind::kMutate;
  }
  if (config.proposer == ProposerKind::kSearch && config.search.parameters.empty()) {
    return InvalidArgumentError(
        "the search proposer needs a `parameters:` section in problem.yaml (docs/search.md)");
  }
  if (config.proposer == ProposerKind::kLlm && !config.llm.configured()) {
    return InvalidArgumentError(
        "the llm proposer needs an endpoint: set llm.base_url in problem.yaml, or "
        "CRUCIBLE_LLM_BASE_URL (or OPENAI_API_KEY for api.openai.com); see docs/llm.md");
  }
  return config.llm.Validate();
}

void ApplyOverrides(const RunRequest& req, RunConfig& config) {
  if (req.evaluations) config.budget.evaluations = *req.evaluations;
  if (req.seconds) config.budget.seconds = *req.seconds;
  if (req.target) config.budget.target = *req.target;
  if (req.executor) config.executor = *req.executor;
}

StatusOr<std::unique_ptr<Proposer>> MakeProposer(const RunConfig& config, uint64_t seed) {
  if (config.proposer == ProposerKind::kSearch) {
    SearchProposerOptions o;
    o.search = config.search;
    o.seed = seed;
    o.objectives = config.objectives;
    ASSIGN_OR_RETURN(std::unique_ptr<SearchProposer> p, SearchProposer::Create(std::move(o)));
    return std::unique_ptr<Proposer>(std::move(p));
  }
  if (config.proposer != ProposerKind::kLlm) return MakeMutateProposer(config.mutate);
  LlmProblemContext ctx;
  ctx.problem_dir = config.problem_dir;
  if (!config.prompt_file.empty()) {
    ASSIGN_OR_RETURN(ctx.task, ReadFile(fs::path(config.problem_dir) / config.prompt_file));
  } else {
    ctx.task = config.prompt_text;
  }
  ctx.objective = config.objective;
  ASSIGN_OR_RETURN(std::unique_ptr<LlmProposer> p, LlmProposer::Create(config.llm, std::move(ctx)));
  return std::unique_ptr<Proposer>(std::move(p));
}

std::string SelfExecutable() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("crucible") : self.string();
}

StatusOr<std::unique_ptr<Evaluator>> MakeEvaluator(const RunConfig& config,
                                                   const std::string& work_root,
                                                   const std::string& cache_dir, bool keep_work) {
  ASSIGN_OR_RETURN(CommandEvaluatorOptions o, EvaluatorOptionsFor(config, work_root, cache_dir));
  o.keep_work = keep_work;
  ASSIGN_OR_RETURN(std::unique_ptr<CommandEvaluator> e, CommandEvaluator::Create(std::move(o)));
  return std::unique_ptr<Evaluator>(std::move(e));
}

// Each evaluation a Slurm job under RUN/slurm/, running this binary's
// `eval-job` with the frozen configuration (so the node's evaluator is the
// local one, sandbox included).
StatusOr<std::unique_ptr<SlurmExecutor>> MakeSlurmExecutor(const RunConfig& config,
                                                           const fs::path& run_dir) {
  SlurmExecutorOptions o;
  o.slurm = config.slurm;
  o.jobs_root = (fs::absolute(run_dir) / "slurm").lexically_normal().string();
  o.crucible = config.slurm.crucible.empty() ? SelfExecutable() : config.slurm.crucible;
  RunConfig job_config = config;
  job_config.executor = ExecutorKind::kLocal;  // the node evaluates in place
  o.config_json = ConfigToJson(job_config);
  o.cache_dir = (fs::absolute(run_dir) / "cache").lexically_normal().string();
  o.default_time_seconds =
      config.sandbox.wall_timeout_seconds * static_cast<double>(config.stages.size()) + 120;
  o.default_memory_mb = static_cast<int64_t>(config.sandbox.memory_bytes >> 20) + 512;
  return SlurmExecutor::Create(std::move(o), MakeCommandSlurmClient(config.slurm.bin_dir));
}

std::string FirstLines(const std::string& text, int n) {
  size_t pos = 0;
  for (int i = 0; i < n && pos != std::string::npos; ++i) {
    pos = text.find('\n', pos == 0 ? 0 : pos + 1);
  }
  return pos == std::string::npos ? text : text.substr(0, pos);
}

// Removes /tmp/crucible-initial-PID-* directories whose crucible is gone
// (killed during start-up, before it could clean up).
void RemoveStaleInitialDirs() {
  std::error_code ec;
  for (auto it = fs::directory_iterator("/tmp", ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    constexpr std::string_view kPrefix = "crucible-initial-";
    if (name.rfind(kPrefix, 0) != 0) continue;
    const long pid = std::strtol(name.c_str() + kPrefix.size(), nullptr, 10);
    if (pid <= 0 || (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)) {
      std::error_code ignored;
      fs::remove_all(it->path(), ignored);
    }
  }
}

// Evaluates the initial program in a temporary directory; nothing of the
// run exists yet.
StatusOr<Candidate> EvaluateInitial(const RunConfig& config, uint64_t seed, LogFn& log) {
  ASSIGN_OR_RETURN(Program program, LoadInitialProgram(config));
  RemoveStaleInitialDirs();
  std::string pattern = fmt::format("/tmp/crucible-initial-{}-XXXXXX", getpid());
  if (!mkdtemp(pattern.data())) return InternalError("cannot create a temporary directory");
  const std::string tmp = pattern;
  auto evaluator = MakeEvaluator(config, tmp, tmp + "/cache", false);
  if (!evaluator.ok()) {
    fs::remove_all(tmp);
    return evaluator.status();
  }
  Candidate c;
  c.id = 0;
  c.seed = DeriveSeed(seed, 0);
  c.program = std::move(program);
  c.source_hash = NormalizedProgramHash(c.program);
  c.proposal.proposer = "initial";
  c.created_unix = SystemClock().UnixSeconds();
  EvalRequest req{0, &c.program, c.seed, Split::kTrain};
  c.result = (*evaluator)->Evaluate(req, {});
  fs::remove_all(tmp);
  if (c.result.outcome != Outcome::kOk || !config.objective.ValueOf(c.result)) {
    std::string why = c.result.outcome == Outcome::kOk
                          ? fmt::format("its result has no objective '{}'", config.objective.key)
                          : fmt::format("{}: {}", OutcomeName(c.result.outcome),
                                        FirstLines(c.result.feedback, 6));
    return FailedPreconditionError("the initial program failed to evaluate: " + why);
  }
  log("sandbox: " + (*evaluator)->Describe());
  return c;
}

// Scores the best program on the held-out split, once per best program; the
// result is kept in the run's state as "heldout:<id>". Evolution never sees it.
Status EvaluateHeldout(RunStore& store, const RunConfig& config, Evaluator& evaluator, LogFn& log) {
  ASSIGN_OR_RETURN(std::vector<CandidateRow> top,
                   store.TopByObjective(config.objective, 1, config.stages.back().name));
  if (top.empty()) return Status::Ok();
  const Candidate& best = top.front().candidate;
  const std::string key = fmt::format("heldout:{}", best.id);
  ASSIGN_OR_RETURN(std::optional<std::string> known, store.GetState(key));
  if (known) return Status::Ok();
  EvalRequest req{best.id, &best.program, best.seed, Split::kHeldout};
  const EvalResult r = evaluator.Evaluate(req, {});
  const std::optional<double> value = config.objective.ValueOf(r);
  log(value ? fmt::format("held-out {} of the best program (#{}): {:g}", config.objective.key,
                          best.id, *value)
            : fmt::format("held-out evaluation of #{} failed: {}", best.id, OutcomeName(r.outcome)));
  return store.PutState(key, EvalResultToJson(r));
}

// The configured proposer, wrapped in constant tuning when it is on; the
// tuning's samples go through the run's own evaluator (docs/search.md,
// "Constant tuning"), which must outlive the proposer.
StatusOr<std::unique_ptr<Proposer>> MakeRunProposer(const RunConfig& config, uint64_t seed,
                                                    Evaluator& evaluator) {
  ASSIGN_OR_RETURN(std::unique_ptr<Proposer> proposer, MakeProposer(config, seed));
  if (!config.tuning.enabled) return proposer;
  return std::unique_ptr<Proposer>(std::make_unique<TuningProposer>(
      std::move(proposer), config.tuning, config.objective,
      [ev = &evaluator](CandidateId id, const Program& program, uint64_t s, std::stop_token stop) {
        EvalRequest r{id, &program, s, Split::kTrain};
        return ev->Evaluate(r, stop);
      }));
}

EngineOptions EngineOptionsFor(const RunConfig& config, const RunRequest& req,
                               const RunMetadata& metadata, bool slurm) {
  EngineOptions eo;
  eo.jobs = req.jobs > 0 ? req.jobs : slurm ? config.slurm.max_queued : DefaultJobs();
  eo.deterministic = metadata.deterministic;
  eo.seed = metadata.seed;
  eo.budget = config.budget;
  eo.objective = config.objective;
  eo.objectives = config.objectives;
  eo.final_stage = config.stages.back().name;
  eo.max_program_bytes = config.max_program_bytes;
  // Each failed LLM proposal may be several paid requests (re-asks): give up
  // sooner on a model that keeps failing (docs/llm.md).
  if (config.proposer == ProposerKind::kLlm) eo.max_unevaluated_in_a_row = 100;
  return eo;
}

// " (models at URL; K requests in flight)" for the llm proposer, else "".
std::string LlmInfo(const RunConfig& config) {
  if (config.proposer != ProposerKind::kLlm) return "";
  std::string names;
  for (const ModelSpec& m : config.llm.models) names += (names.empty() ? "" : ", ") + m.name;
  return fmt::format(" ({} at {}; {} requests in flight)", names, config.llm.base_url,
                     config.llm.concurrency);
}

StatusOr<RunResult> RunEngine(const fs::path& run_dir, const RunConfig& config,
                              const RunRequest& req, RunStore& store, EngineObserver* observer,
                              LogFn& log, std::stop_token stop) {
  const fs::path work = run_dir / "work";
  std::error_code ec;
  fs::remove_all(work, ec);  // scratch left by a crash
  fs::create_directories(work, ec);
  std::unique_ptr<Evaluator> evaluator;
  SlurmExecutor* slurm = nullptr;
  if (config.executor == ExecutorKind::kSlurm) {
    ASSIGN_OR_RETURN(std::unique_ptr<SlurmExecutor> s, MakeSlurmExecutor(config, run_dir));
    slurm = s.get();
    evaluator = std::move(s);
  } else {
    ASSIGN_OR_RETURN(evaluator, MakeEvaluator(config, work.string(), (run_dir / "cache").string(),
                                              req.keep_work));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Archive> archive, Archive::Create(config.archive));
  ASSIGN_OR_RETURN(std::unique_ptr<Proposer> proposer,
                   MakeRunProposer(config, store.metadata().seed, *evaluator));
  const EngineOptions eo = EngineOptionsFor(config, req, store.metadata(), slurm != nullptr);
  RETURN_IF_ERROR(eo.Validate());
  SystemClock clock;
  Engine engine(eo, store, *archive, *proposer, *evaluator, clock, observer);
  RETURN_IF_ERROR(engine.Restore());
  if (slurm) {
    // Jobs a crashed coordinator left for children that were never recorded
    // as pending would run unseen: cancel them. Pending children's jobs are
    // adopted when they are evaluated again.
    ASSIGN_OR_RETURN(std::vector<CandidateRow> pending, store.LoadCandidates(CandidateStatus::kPending));
    std::set<CandidateId> ids;
    for (const CandidateRow& row : pending) ids.insert(row.candidate.id);
    ASSIGN_OR_RETURN(int orphans, slurm->CancelOrphans(ids));
    if (orphans > 0) log(fmt::format("cancelled {} Slurm job(s) of unrecorded children", orphans));
    log(evaluator->Describe());
  }
  log(fmt::format("proposer: {}{}; jobs: {}; islands: {}{}", proposer->Name(), LlmInfo(config),
                  eo.jobs, config.archive.num_islands, eo.deterministic ? "; deterministic" : ""));
  ASSIGN_OR_RETURN(EngineSummary summary, engine.Run(stop));
  nlohmann::json ev = {{"reason", StopReasonName(summary.reason)},
                       {"message", summary.message},
                       {"evaluations", summary.progress.evaluations}};
  RETURN_IF_ERROR(store.AppendEvent(clock.UnixSeconds(), "run_stopped", ev.dump()));
  RunResult result;
  result.run_dir = run_dir.string();
  result.summary = std::move(summary);
  if (config.heldout && result.summary.reason != StopReason::kInterrupted) {
    RETURN_IF_ERROR(EvaluateHeldout(store, config, *evaluator, log));
  }
  if (auto best = WriteBestDir(run_dir.string(), store, config);
      !best.ok() && best.status().code() != StatusCode::kNotFound) {
    return best.status();
  }
  return result;
}

}  // namespace

StatusOr<CommandEvaluatorOptions> EvaluatorOptionsFor(const RunConfig& config,
                                                      const std::string& work_root,
                                                      const std::string& cache_dir) {
  CommandEvaluatorOptions o;
  o.problem_dir = config.problem_dir;
  o.command = config.builtin_evaluator.empty()
                  ? config.evaluator_command
                  : std::vector<std::string>{SelfExecutable(), "harness", config.builtin_evaluator};
  if (config.python_evaluator) {
    // Read-only in the sandbox (only the scratch dirs below work_root are
    // writable), so no candidate can change the adapter of the next.
    const std::string root = (fs::absolute(work_root) / "python").lexically_normal().string();
    RETURN_IF_ERROR(InstallPythonSupport(root));
    std::vector<std::string> features;
    for (const FeatureDimension& d : config.archive.features) features.push_back(d.name);
    const std::string& program = config.files.front();
    o.command = PythonEvaluatorCommand(root, *config.python_evaluator, program, features,
                                       PythonRunner::kCold);
    if (config.warm) {
      o.warm_worker_command = PythonEvaluatorCommand(root, *config.python_evaluator, program,
                                                     features, PythonRunner::kWarm);
    }
    o.readonly_paths.push_back(root);
    o.result_channel_only = true;  // the adapter speaks protocol 2
    o.command_is_final = true;
  }
  o.stages = config.stages;
  o.objective = config.objective;
  o.work_root = work_root;
  o.cache_dir = cache_dir;
  // A built-in harness compiles the candidate: neither the compiler nor the
  // candidate may see the problem's data (held-out instances, references).
  o.hide_problem_dir = !config.builtin_evaluator.empty();
  o.sandbox = config.sandbox;
  return o;
}

Status CheckExecutorReachable(const RunConfig& config) {
  if (config.executor != ExecutorKind::kSlurm) return Status::Ok();
  const Status s = MakeCommandSlurmClient(config.slurm.bin_dir)->Ping();
  if (s.ok()) return s;
  return FailedPreconditionError(fmt::format(
      "--executor slurm: the Slurm cluster does not answer: {} (is Slurm on PATH or slurm.bin_dir, "
      "and SLURM_CONF right? docs/slurm.md)",
      s.message()));
}

ConfigReadOptions KnownBuiltinEvaluators() {
  ConfigReadOptions options;
  options.builtin_evaluators.emplace();
  for (const Problem* p : BuiltinProblems()) {
    options.builtin_evaluators->emplace_back(p->name());
  }
  return options;
}

StatusOr<std::unique_ptr<Evaluator>> MakeJobEvaluator(const std::string& config_json,
                                                      const std::string& work_root,
                                                      const std::string& cache_dir) {
  ASSIGN_OR_RETURN(RunConfig config, ConfigFromJson(config_json, KnownBuiltinEvaluators()));
  return MakeEvaluator(config, work_root, cache_dir, false);
}

namespace {
// NotFound unless `run_dir` is a directory holding a run.db.
Status CheckRunDirectory(const std::string& run_dir) {
  if (!fs::is_directory(run_dir)) {
    return NotFoundError(fmt::format("run directory '{}' does not exist", run_dir));
  }
  if (!fs::exists(fs::path(run_dir) / "run.db")) {
    if (fs::exists(fs::path(run_dir) / "run.db.creating")) {
      return NotFoundError(fmt::format(
          "'{}' holds a run whose creation was interrupted (no run.db); delete it and start again",
          run_dir));
    }
    return NotFoundError(fmt::format("'{}' is not a crucible run directory (no run.db)", run_dir));
  }
  return Status::Ok();
}
}  // namespace

StatusOr<std::unique_ptr<RunStore>> OpenRunStore(const std::string& run_dir) {
  RETURN_IF_ERROR(CheckRunDirectory(run_dir));
  return RunStore::Open((fs::path(run_dir) / "run.db").string(), RunStore::Mode::kReadOnly);
}

StatusOr<RunResult> StartRun(const RunRequest& req, EngineObserver* observer, LogFn log,
                             std::stop_token stop) {
  ASSIGN_OR_RETURN(ForeignTask task,
                   LoadAnyTask(req.problem_dir, req.task_files, KnownBuiltinEvaluators()));
  RunConfig& config = task.config;
  if (const std::string unused = DescribeUnusedKeys(task); !unused.empty()) log(unused);
  ApplyOverrides(req, config);
  RETURN_IF_ERROR(ResolveProposer(req, config));
  const fs::path run_dir = req.out_dir.empty() ? DefaultRunDir(config.name) : req.out_dir;
  if (fs::exists(run_dir) && !(fs::is_directory(run_dir) && fs::is_empty(run_dir))) {
    return AlreadyExistsError(fmt::format(
        "{} already exists; choose another --out, or continue it with --resume {}",
        run_dir.string(), run_dir.string()));
  }
  const uint64_t seed = req.seed.value_or(config.seed.value_or(0));
  RETURN_IF_ERROR(CheckExecutorReachable(config));
  ASSIGN_OR_RETURN(Candidate initial, EvaluateInitial(config, seed, log));
  log(fmt::format("initial program: {} = {:g}", config.objective.key,
                  *config.objective.ValueOf(initial.result)));
  std::error_code ec;
  fs::create_directories(run_dir, ec);
  if (ec) return InternalError(fmt::format("cannot create {}: {}", run_dir.string(), ec.message()));
  ASSIGN_OR_RETURN(std::unique_ptr<RunLock> lock, RunLock::Acquire(run_dir));
  RunMetadata meta;
  meta.crucible_version = kCrucibleVersion;
  meta.problem_name = config.name;
  meta.problem_dir = config.problem_dir;
  meta.config_json = ConfigToJson(config);
  meta.seed = seed;
  meta.deterministic = req.deterministic;
  meta.created_unix = SystemClock().UnixSeconds();
  // run.db appears whole, with the evaluated initial program, or not at all:
  // it is made under another name and renamed, so that a run killed while it
  // is being created leaves nothing a --resume would trip over.
  const fs::path db_path = run_dir / "run.db";
  const fs::path creating = run_dir / "run.db.creating";
  {
    ASSIGN_OR_RETURN(std::unique_ptr<RunStore> fresh, RunStore::Create(creating.string(), meta));
    RETURN_IF_ERROR(fresh->InsertDone(initial, {{"rng", Rng(seed).Serialize()}}));
    RETURN_IF_ERROR(fresh->AppendEvent(meta.created_unix, "run_started", "{}"));
    RETURN_IF_ERROR(fresh->PutState("evaluator_files", EvaluatorFingerprint(config).dump()));
  }  // closing checkpoints the WAL into the file and removes it
  if (fs::exists(creating.string() + "-wal")) {
    return InternalError(fmt::format("{}: the new run database kept its WAL", creating.string()));
  }
  fs::rename(creating, db_path, ec);
  if (ec) return InternalError(fmt::format("cannot rename {}: {}", creating.string(), ec.message()));
  ASSIGN_OR_RETURN(std::unique_ptr<RunStore> store,
                   RunStore::Open(db_path.string(), RunStore::Mode::kReadWrite));
  log("run directory: " + run_dir.string());
  ASSIGN_OR_RETURN(RunResult result, RunEngine(run_dir, config, req, *store, observer, log, stop));
  result.initial_value = config.objective.ValueOf(initial.result);
  return result;
}

StatusOr<RunResult> ResumeRun(const RunRequest& req, EngineObserver* observer, LogFn log,
                              std::stop_token stop) {
  const fs::path run_dir = req.resume_dir;
  // Not a read-only open: after a crash of the writer (SIGKILL, power loss)
  // the WAL needs recovery, which a read-only connection cannot do
  // (SQLITE_READONLY_RECOVERY); the read-write open below recovers it and
  // still refuses a file that is not a run database.
  RETURN_IF_ERROR(CheckRunDirectory(run_dir.string()));
  ASSIGN_OR_RETURN(std::unique_ptr<RunLock> lock, RunLock::Acquire(run_dir));
  // Before any write: a disk filled through the cache gets its space back
  // here instead of failing the resume (the cache is at most half the free
  // space, CacheQuotaFor).
  const std::string cache = (run_dir / "cache").string();
  EvictCache(cache, CacheQuotaFor(cache, CommandEvaluatorOptions{}.cache_quota_bytes));
  ASSIGN_OR_RETURN(std::unique_ptr<RunStore> store,
                   RunStore::Open((run_dir / "run.db").string(), RunStore::Mode::kReadWrite));
  ASSIGN_OR_RETURN(RunConfig config,
                   ConfigFromJson(store->metadata().config_json, KnownBuiltinEvaluators()));
  ApplyOverrides(req, config);
  RETURN_IF_ERROR(ResolveProposer(req, config));
  RETURN_IF_ERROR(CheckExecutorReachable(config));
  std::error_code ec;
  if (!fs::is_directory(config.problem_dir, ec)) {
    return FailedPreconditionError(fmt::format(
        "the run's problem directory {} no longer exists (moved or deleted); nothing was evaluated",
        config.problem_dir));
  }
  ASSIGN_OR_RETURN(std::optional<std::string> frozen, store->GetState("evaluator_files"));
  if (frozen) {
    const nlohmann::json before = nlohmann::json::parse(*frozen, nullptr, false);
    const std::vector<std::string> changed =
        before.is_object() ? ChangedFiles(before, EvaluatorFingerprint(config))
                           : std::vector<std::string>{"(unreadable fingerprint)"};
    if (!changed.empty()) {
      std::string list;
      for (const std::string& c : changed) list += (list.empty() ? "" : ", ") + c;
      log(fmt::format("warning: the problem's evaluator files changed since this run began: {}; "
                      "scores before and after this resume may not be comparable",
                      list));
      RETURN_IF_ERROR(store->AppendEvent(SystemClock().UnixSeconds(), "evaluator_changed",
                                         nlohmann::json(changed).dump()));
    }
  }
  RETURN_IF_ERROR(store->AppendEvent(SystemClock().UnixSeconds(), "run_resumed", "{}"));
  log("resuming " + run_dir.string());
  return RunEngine(run_dir, config, req, *store, observer, log, stop);
}

}  // namespace crucible
