#include "cli/commands.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "cli/init_example.h"
#include "core/diff.h"
#include "core/file.h"
#include "evaluate/command_evaluator.h"
#include "evaluate/protocol.h"
#include "executor/slurm_executor.h"
#include "problems/harness/compiled_candidate.h"
#include "problems/registry.h"

namespace crucible {
namespace {

namespace fs = std::filesystem;

bool IsBadInput(StatusCode code) {
  return code == StatusCode::kInvalidArgument || code == StatusCode::kNotFound ||
         code == StatusCode::kAlreadyExists || code == StatusCode::kFailedPrecondition ||
         code == StatusCode::kDataLoss;  // a corrupt or crafted run.db (README: exit 2)
}

std::string FormatValue(const std::optional<double>& v) {
  return v ? fmt::format("{:.6g}", *v) : std::string("-");
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string s;
  for (const std::string& p : parts) s += (s.empty() ? "" : std::string(sep)) + p;
  return s;
}

void PrintSummary(const RunResult& r, const RunConfig* config) {
  const Progress& p = r.summary.progress;
  std::string outcomes;
  for (const auto& [o, n] : p.outcomes) {
    outcomes += fmt::format("{}{} {}", outcomes.empty() ? "" : ", ", OutcomeName(o), n);
  }
  fmt::print("stopped: {}\n", r.summary.message);
  fmt::print("evaluations: {} ({} this session, {:.1f}/s)\n", p.evaluations,
             r.summary.evaluations_this_session, p.evaluations_per_second);
  fmt::print("outcomes: {}\n", outcomes);
  if (!p.proposer_usage.empty()) fmt::print("proposer: {}\n", p.proposer_usage);
  const std::string key = config ? config->objective.key : "score";
  if (r.initial_value) {
    fmt::print("best {}: {} (candidate #{}); initial program {:.6g}\n", key,
               FormatValue(p.best_value), p.best_id, *r.initial_value);
  } else {
    fmt::print("best {}: {} (candidate #{})\n", key, FormatValue(p.best_value), p.best_id);
  }
  fmt::print("run directory: {} (best program in {}/best/)\n", r.run_dir, r.run_dir);
}

StatusOr<RunConfig> RunConfigOf(const RunStore& store) {
  return ConfigFromJson(store.metadata().config_json);
}

// A program file named by the user may be /dev/zero or a FIFO: read at
// most kMaxProgramFileBytes, and call a larger file bad input.
constexpr size_t kMaxProgramFileBytes = 16 << 20;
StatusOr<std::string> ReadProgramFile(const fs::path& path) {
  StatusOr<std::string> text = ReadFile(path, kMaxProgramFileBytes);
  if (text.status().code() == StatusCode::kResourceExhausted) {
    return InvalidArgumentError(fmt::format("{} is larger than {} MiB: not a program",
                                            path.string(), kMaxProgramFileBytes >> 20));
  }
  return text;
}

// The program to evaluate for `crucible eval`: FILE replaces the problem's
// only file, or FILE is a directory holding all of them.
StatusOr<Program> ProgramFromPath(const RunConfig& config, const std::string& file) {
  Program p;
  std::error_code ec;
  if (fs::is_directory(file, ec)) {
    for (const std::string& f : config.files) {
      ASSIGN_OR_RETURN(std::string text, ReadProgramFile(fs::path(file) / f));
      p.files.push_back({f, std::move(text)});
    }
    return p;
  }
  if (config.files.size() != 1) {
    return InvalidArgumentError(fmt::format(
        "the problem evolves {} files; give a directory holding {}", config.files.size(),
        Join(config.files, ", ")));
  }
  ASSIGN_OR_RETURN(std::string text, ReadProgramFile(file));
  p.files.push_back({config.files[0], std::move(text)});
  return p;
}

}  // namespace

int ReportError(const Status& status) {
  std::string message = status.message();
  std::replace(message.begin(), message.end(), '\n', ' ');
  fmt::print(stderr, "crucible: error: {}\n", message);
  return IsBadInput(status.code()) ? kExitBadInput : kExitFailure;
}

int RunCommand(const RunCommandOptions& options, std::stop_token stop) {
  ProgressPrinter printer(stderr, options.log_format, isatty(STDERR_FILENO) != 0, options.quiet);
  LogFn log = [&printer](const std::string& line) { printer.Log(line); };
  const bool resume = !options.request.resume_dir.empty();
  StatusOr<RunResult> result = resume ? ResumeRun(options.request, &printer, log, stop)
                                      : StartRun(options.request, &printer, log, stop);
  printer.Finish();
  if (!result.ok()) {
    const int status = ReportError(result.status());
    // SQLITE_FULL (kResourceExhausted) or ENOSPC: what was committed before
    // is intact (docs/reliability.md), so say how to go on.
    if (result.status().code() == StatusCode::kResourceExhausted ||
        result.status().message().find("No space left") != std::string::npos) {
      const std::string& dir = resume ? options.request.resume_dir : options.request.out_dir;
      fmt::print(stderr,
                 "crucible: the disk holding the run is full; what was recorded is kept. Free "
                 "some space, then continue with: crucible run --resume {}\n",
                 dir.empty() ? "RUN_DIR (the run directory printed above)" : dir);
    }
    return status;
  }
  auto store = OpenRunStore(result->run_dir);
  std::optional<RunConfig> config;
  if (store.ok()) {
    if (auto c = RunConfigOf(**store); c.ok()) config = *c;
  }
  PrintSummary(*result, config ? &*config : nullptr);
  if (result->summary.reason == StopReason::kInterrupted) {
    fmt::print("resume with: crucible run --resume {}\n", result->run_dir);
    return kExitInterrupted;
  }
  // The proposer cannot work (wrong key, unknown model, a dead endpoint):
  // a failure while running (docs/engine.md, exit status 1).
  if (result->summary.reason == StopReason::kProposerFailed) return kExitFailure;
  return kExitOk;
}

int EvalJobCommand(const std::string& dir, std::stop_token stop,
                   const std::function<bool()>& signalled) {
  const Status s = RunEvalJob(dir, MakeJobEvaluator, stop, signalled);
  if (s.code() == StatusCode::kCancelled) return kExitInterrupted;
  return s.ok() ? kExitOk : ReportError(s);
}

int BestCommand(const std::string& run_dir) {
  auto store = OpenRunStore(run_dir);
  if (!store.ok()) return ReportError(store.status());
  auto config = RunConfigOf(**store);
  if (!config.ok()) return ReportError(config.status());
  auto best = WriteBestDir(run_dir, **store, *config);
  if (!best.ok()) return ReportError(best.status());
  fmt::print("best {}: {} (candidate #{}, generation {}, island {})\n", config->objective.key,
             FormatValue(config->objective.ValueOf(best->result)), best->id, best->generation,
             best->island);
  auto heldout = (*store)->GetState(fmt::format("heldout:{}", best->id));
  if (heldout.ok() && *heldout) {
    EvalResult h = ParseEvaluatorJson(**heldout);
    fmt::print("held-out {}: {}\n", config->objective.key, FormatValue(config->objective.ValueOf(h)));
  }
  fmt::print("written to {}/best/ (program and metrics.json)\n", run_dir);
  if (config->objectives.size() > 1) {
    // Several objectives: the front, each member written apart.
    auto front = WriteFrontDir(run_dir, **store);
    if (!front.ok()) return ReportError(front.status());
    fmt::print("Pareto front: {} members, hypervolume {:.6g}\n", front->members.size(),
               front->hypervolume);
    for (const Candidate& c : front->members) {
      std::string values;
      for (const Objective& o : config->objectives) {
        values += fmt::format("  {} {}", o.key, FormatValue(o.ValueOf(c.result)));
      }
      fmt::print("  #{}{}\n", c.id, values);
    }
    fmt::print("written to {}/best/front/ID/\n", run_dir);
  }
  return kExitOk;
}

int ListCommand(const std::string& run_dir, int top, bool all) {
  auto store = OpenRunStore(run_dir);
  if (!store.ok()) return ReportError(store.status());
  auto config = RunConfigOf(**store);
  if (!config.ok()) return ReportError(config.status());
  auto rows = all ? (*store)->LoadCandidates() : (*store)->TopByObjective(config->objective, top,
                                                                  config->stages.back().name);
  if (!rows.ok()) return ReportError(rows.status());
  fmt::print("{:>7} {:>7} {:>3} {:>4} {:<15} {:>12}  {}\n", "id", "parent", "isl", "gen", "outcome",
             config->objective.key, "how");
  for (const CandidateRow& row : *rows) {
    const Candidate& c = row.candidate;
    const std::string outcome = row.status == CandidateStatus::kPending
                                    ? "pending"
                                    : std::string(OutcomeName(c.result.outcome));
    const std::string how = c.proposal.operators.empty() ? c.proposal.proposer
                                                         : Join(c.proposal.operators, "+");
    const std::string parent = c.parent_id == kNoCandidate ? "-" : std::to_string(c.parent_id);
    fmt::print("{:>7} {:>7} {:>3} {:>4} {:<15} {:>12}  {}\n", c.id, parent, c.island, c.generation,
               outcome, FormatValue(config->objective.ValueOf(c.result)), how);
  }
  return kExitOk;
}

int ShowCommand(const std::string& run_dir, int64_t id) {
  auto store = OpenRunStore(run_dir);
  if (!store.ok()) return ReportError(store.status());
  auto row = (*store)->LoadCandidate(id);
  if (!row.ok()) return ReportError(row.status());
  if (!*row) return ReportError(NotFoundError(fmt::format("run {} has no candidate {}", run_dir, id)));
  const Candidate& c = (*row)->candidate;
  const bool pending = (*row)->status == CandidateStatus::kPending;
  fmt::print("candidate #{}  island {}  generation {}  parent {}\n", c.id, c.island, c.generation,
             c.parent_id == kNoCandidate ? std::string("-") : std::to_string(c.parent_id));
  fmt::print("outcome: {}{}\n", pending ? "pending" : OutcomeName(c.result.outcome),
             c.duplicate_of != kNoCandidate ? fmt::format(" (of #{})", c.duplicate_of) : "");
  if (c.result.score) fmt::print("score: {:.10g}\n", *c.result.score);
  fmt::print("proposer: {}{}\n", c.proposal.proposer,
             c.proposal.operators.empty() ? "" : " (" + Join(c.proposal.operators, ", ") + ")");
  if (c.proposal.proposer == "llm") fmt::print("llm: {}\n", c.proposal.detail_json);
  if (!c.inspiration_ids.empty()) {
    std::vector<std::string> ids;
    for (CandidateId i : c.inspiration_ids) ids.push_back("#" + std::to_string(i));
    fmt::print("inspirations: {}\n", Join(ids, " "));
  }
  fmt::print("timings: propose {:.4f} s, evaluate {:.3f} s{}\n", c.proposal.propose_seconds,
             c.result.eval_seconds, c.result.stage.empty() ? "" : " (last stage: " + c.result.stage + ")");
  for (const auto& [k, v] : c.result.metrics) fmt::print("metric {}: {:.10g}\n", k, v);
  for (const auto& [k, v] : c.result.features) fmt::print("feature {}: {:.10g}\n", k, v);
  for (const auto& [k, v] : c.result.artifacts) fmt::print("artifact {}: {} bytes\n", k, v.size());
  if (!c.result.feedback.empty()) fmt::print("feedback:\n{}\n", c.result.feedback);
  if (c.parent_id == kNoCandidate) {
    fmt::print("(the initial program; no diff)\n");
  } else if (c.patch.empty()) {
    fmt::print("(no change against its parent)\n");
  } else {
    fmt::print("diff against #{}:\n{}", c.parent_id, c.patch);
  }
  return kExitOk;
}

int ShowScratchpadCommand(const std::string& run_dir) {
  auto store = OpenRunStore(run_dir);
  if (!store.ok()) return ReportError(store.status());
  auto notes = (*store)->LoadLlmNotes();
  if (!notes.ok()) return ReportError(notes.status());
  if (notes->empty()) {
    fmt::print("(no scratchpad note: the run has none yet, its proposer is not the LLM, or "
               "llm.scratchpad.every is 0)\n");
    return kExitOk;
  }
  const LlmNoteRecord& now = notes->back();
  fmt::print("scratchpad version {} of {} (after {} evaluated children, by model '{}', llm_calls #{}):\n{}\n",
             now.id, notes->size(), now.evaluated, now.model, now.call_id, now.note);
  if (notes->size() > 1) fmt::print("earlier versions (run.db llm_notes):\n");
  for (size_t i = notes->size() - 1; i-- > 0;) {
    const LlmNoteRecord& n = (*notes)[i];
    const size_t nl = n.note.find('\n');
    fmt::print("  #{} after {} evaluated: {}{}\n", n.id, n.evaluated, n.note.substr(0, std::min<size_t>(nl, 100)),
               nl != std::string::npos || n.note.size() > 100 ? " ..." : "");
  }
  return kExitOk;
}

int EvalCommand(const std::string& problem_dir, const std::string& file, bool heldout,
                const TaskFiles& files) {
  auto task = LoadAnyTask(problem_dir, files, KnownBuiltinEvaluators());
  if (!task.ok()) return ReportError(task.status());
  const RunConfig* config = &task->config;
  auto program = ProgramFromPath(*config, file);
  if (!program.ok()) return ReportError(program.status());
  char tmpl[] = "/tmp/crucible-eval-XXXXXX";
  if (!mkdtemp(tmpl)) return ReportError(InternalError("cannot create a temporary directory"));
  auto options = EvaluatorOptionsFor(*config, tmpl, std::string(tmpl) + "/cache");
  auto evaluator = options.ok() ? CommandEvaluator::Create(std::move(*options))
                                : StatusOr<std::unique_ptr<CommandEvaluator>>(options.status());
  if (!evaluator.ok()) {
    fs::remove_all(tmpl);
    return ReportError(evaluator.status());
  }
  EvalRequest req{0, &*program, 0, heldout ? Split::kHeldout : Split::kTrain};
  const EvalResult r = (*evaluator)->Evaluate(req, {});
  evaluator->reset();  // warm workers end before their directories go
  fs::remove_all(tmpl);
  fmt::print("{}\n", EvalResultToJson(r, /*pretty=*/true));
  return r.outcome == Outcome::kOk ? kExitOk : kExitFailure;
}

int HarnessCommand(const std::string& name, const std::string& candidate_dir) {
  ConfineHarnessProcess();
  const Problem* problem = FindBuiltinProblem(name);
  if (!problem) {
    return ReportError(NotFoundError(fmt::format("unknown built-in evaluator '{}'", name)));
  }
  return RunProblemHarness(*problem, candidate_dir);
}

int InitCommand(const std::string& dir, const std::string& format) {
  if (format == "openevolve") {
    if (Status s = WriteOpenEvolveExample(dir); !s.ok()) return ReportError(s);
    fmt::print("wrote an OpenEvolve-format task to {}/ (initial_program.py, evaluator.py, "
               "config.yaml; docs/openevolve.md)\n",
               dir);
    fmt::print("try it:  crucible run {}\n", dir);
    return kExitOk;
  }
  if (Status s = WriteExampleProblem(dir); !s.ok()) return ReportError(s);
  fmt::print("wrote an example problem to {}/ (problem.yaml, program.py, evaluate.py, prompt.md)\n",
             dir);
  fmt::print("try it:  crucible run {}\n", dir);
  return kExitOk;
}

}  // namespace crucible
