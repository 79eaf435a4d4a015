// The `crucible` command line.
#include <CLI/CLI.hpp>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <stop_token>
#include <thread>

#include "cli/commands.h"
#include "config/choices.h"

namespace {

// A CLI11 check accepting the values of a closed set, as the enum spells them.
template <typename Enum>
CLI::IsMember ChoiceOf(std::initializer_list<Enum> values, std::string_view (*name)(Enum)) {
  std::vector<std::string> names;
  for (Enum v : values) names.emplace_back(name(v));
  return CLI::IsMember(names);
}

std::atomic<int> g_interrupts{0};

// The first Ctrl-C (or SIGTERM) asks the run to stop and save; a second
// exits at once.
void OnSignal(int) {
  if (g_interrupts.fetch_add(1) >= 1) {
    static const char kMsg[] = "\ncrucible: interrupted again, exiting now\n";
    (void)!write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
    _exit(crucible::kExitInterrupted);
  }
  static const char kMsg[] =
      "\ncrucible: stopping: cancelling in-flight evaluations and saving (Ctrl-C again to exit "
      "at once)\n";
  (void)!write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
}

void InstallSignalHandlers() {
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

// Runs `command` with a stop token that is triggered by the first Ctrl-C or
// SIGTERM (a watcher thread polls the signal count every 20 ms).
int RunUntilInterrupted(const std::function<int(std::stop_token)>& command) {
  InstallSignalHandlers();
  std::stop_source stop;
  std::jthread watcher([&stop](std::stop_token done) {
    while (!done.stop_requested()) {
      if (g_interrupts.load() > 0) {
        stop.request_stop();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  const int rc = command(stop.get_token());
  watcher.request_stop();
  return rc;
}

// More evaluations in flight than this is a typo, not a machine: each one
// holds a sandbox (processes, pipes, a cgroup) and a thread.
constexpr int kMaxJobs = 1024;

// A finite number ("nan", "inf" and "1e999" are refused).
const CLI::Validator kFinite(
    [](std::string& text) -> std::string {
      double v = 0;
      const char* begin = text.c_str();
      char* end = nullptr;
      v = std::strtod(begin, &end);
      if (end == begin || *end != '\0' || !std::isfinite(v)) return "must be a finite number";
      return "";
    },
    "FINITE");

// A non-negative integer as written: "-1" is refused rather than wrapped,
// and one past 2^64 - 1 rather than clamped.
const CLI::Validator kNoMinusSign(
    [](std::string& text) -> std::string {
      if (text.find('-') != std::string::npos) return "must not be negative";
      uint64_t value = 0;
      const char* end = text.data() + text.size();
      if (std::from_chars(text.data(), end, value).ec == std::errc::result_out_of_range) {
        return "is out of range (at most 18446744073709551615)";
      }
      return "";
    },
    "UNSIGNED");


// An exception nothing caught (a filesystem error on a symlink loop, say, in
// any thread) ends crucible with a message naming it and exit status 2,
// never with a bare SIGABRT.
[[noreturn]] void TerminateWithMessage() {
  const char* what = "unknown exception";
  std::string text;
  if (std::exception_ptr e = std::current_exception()) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      text = ex.what();
      what = text.c_str();
    } catch (...) {
    }
  } else {
    what = "std::terminate called";
  }
  std::fprintf(stderr, "crucible: error: %s\n", what);
  std::fflush(stderr);
  _exit(2);
}

int CliMain(int argc, char** argv);

}  // namespace

int main(int argc, char** argv) {
  std::set_terminate(TerminateWithMessage);
  try {
    return CliMain(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "crucible: error: %s\n", e.what());
    return 2;
  }
}

namespace {

int CliMain(int argc, char** argv) {
  using namespace crucible;
  CLI::App app{"crucible: evolve programs against an evaluator (AI-driven algorithm discovery)"};
  app.set_version_flag("--version", std::string(kCrucibleVersion));
  app.require_subcommand(1);
  app.footer("Run `crucible COMMAND --help` for a command's options. Docs: docs/ in the source tree.");

  RunCommandOptions run;
  std::string log_format = "text";
  std::string problem;
  int64_t evaluations = -1;
  double seconds = -1;
  double target = 0;
  uint64_t seed = 0;
  CLI::App* run_cmd = app.add_subcommand("run", "Evolve a problem's program (or resume a run)");
  run_cmd->add_option("PROBLEM", problem, "Problem directory (holds problem.yaml)");
  run_cmd->add_option("--out", run.request.out_dir, "Run directory to create (default runs/NAME-TIME)");
  run_cmd->add_option("--resume", run.request.resume_dir, "Continue the run in this directory");
  auto* evals_opt = run_cmd->add_option("--evaluations,-n", evaluations,
                                        "Evaluation budget (overrides budget.evaluations)")
                        ->check(CLI::NonNegativeNumber);
  auto* time_opt = run_cmd->add_option("--time", seconds, "Wall-time budget of this invocation, seconds")
                       ->check(kFinite)
                       ->check(CLI::PositiveNumber);
  auto* target_opt = run_cmd->add_option("--target", target, "Stop when the objective reaches this value")
                         ->check(kFinite);
  run_cmd->add_option("--jobs,-j", run.request.jobs, "Evaluations in flight (default: cores)")
      ->check(CLI::Range(1, kMaxJobs));
  auto* seed_opt = run_cmd->add_option("--seed", seed, "Random seed (default 0)")->check(kNoMinusSign);
  TaskFiles task_files;  // OpenEvolve/ShinkaEvolve task directories (docs/openevolve.md)
  for (CLI::App* cmd : {run_cmd}) {
    cmd->add_option("--config", task_files.config, "OpenEvolve task: its config file (default config.yaml)");
    cmd->add_option("--initial", task_files.initial,
                    "OpenEvolve/ShinkaEvolve task: the initial program (default initial_program.py)");
    cmd->add_option("--evaluator", task_files.evaluator,
                    "OpenEvolve/ShinkaEvolve task: the evaluator module (default evaluator.py)");
  }
  run_cmd->add_flag("--deterministic", run.request.deterministic,
                    "Same seed, same run: results merge in a fixed order");
  std::string proposer;
  auto* proposer_opt =
      run_cmd->add_option("--proposer", proposer,
                          "auto (search when problem.yaml declares parameters, else the LLM "
                          "when an endpoint is configured, else mutate), mutate, llm "
                          "(docs/llm.md) or search (docs/search.md)")
          ->check(ChoiceOf({ProposerKind::kAuto, ProposerKind::kMutate, ProposerKind::kLlm,
                            ProposerKind::kSearch},
                           ProposerKindName));
  run_cmd->add_option("--llm-concurrency", run.request.llm_concurrency,
                      "LLM requests in flight, independent of --jobs (default: llm.concurrency)")
      ->check(CLI::Range(1, 1024));
  run_cmd->add_flag("--keep-work", run.request.keep_work, "Keep each evaluation's scratch directory");
  std::string executor;
  auto* executor_opt = run_cmd->add_option("--executor", executor,
                                           "Where evaluations run: local or slurm (docs/slurm.md)")
                           ->check(ChoiceOf({ExecutorKind::kLocal, ExecutorKind::kSlurm},
                                            ExecutorKindName));
  run_cmd->add_option("--log-format", log_format, "text or json")->check(CLI::IsMember({"text", "json"}));
  run_cmd->add_flag("--quiet,-q", run.quiet, "Print only the summary");

  std::string run_dir;
  int top = 10;
  bool all = false;
  CLI::App* best_cmd = app.add_subcommand("best", "Print the best program's score; write RUN/best/");
  best_cmd->add_option("RUN", run_dir, "Run directory")->required();
  CLI::App* list_cmd = app.add_subcommand("list", "List the best candidates of a run");
  list_cmd->add_option("RUN", run_dir, "Run directory")->required();
  list_cmd->add_option("--top,-k", top, "How many (default 10)")->check(CLI::PositiveNumber);
  list_cmd->add_flag("--all", all, "Every candidate, in id order, whatever its outcome");
  int64_t id = 0;
  CLI::App* show_cmd = app.add_subcommand("show", "Show one candidate: metrics, feedback, diff");
  show_cmd->add_option("RUN", run_dir, "Run directory")->required();
  CLI::Option* show_id = show_cmd->add_option("ID", id, "Candidate id")->check(CLI::NonNegativeNumber);
  bool show_scratchpad = false;
  show_cmd->add_flag("--scratchpad", show_scratchpad,
                     "Print the run's LLM scratchpad (the current note and when each version was written)")
      ->excludes(show_id);
  show_cmd->callback([&] {
    if (!show_scratchpad && show_id->count() == 0) throw CLI::RequiredError("ID (or --scratchpad)");
  });
  std::string file;
  bool heldout = false;
  CLI::App* eval_cmd = app.add_subcommand("eval", "Evaluate one program through the sandbox; print its JSON");
  eval_cmd->add_option("PROBLEM", problem, "Problem directory")->required();
  eval_cmd->add_option("FILE", file, "Program file (or a directory holding the problem's files)")->required();
  eval_cmd->add_flag("--heldout", heldout, "Use the held-out split instead of train");
  eval_cmd->add_option("--config", task_files.config, "OpenEvolve task: its config file");
  eval_cmd->add_option("--initial", task_files.initial, "OpenEvolve/ShinkaEvolve task: the initial program");
  eval_cmd->add_option("--evaluator", task_files.evaluator, "OpenEvolve/ShinkaEvolve task: the evaluator module");
  std::string init_dir, init_format = "crucible";
  CLI::App* init_cmd = app.add_subcommand("init", "Write a working example problem directory");
  init_cmd->add_option("DIR", init_dir, "Directory to create")->required();
  init_cmd->add_option("--format", init_format,
                       "crucible (problem.yaml) or openevolve (initial_program.py, evaluator.py, config.yaml)")
      ->check(CLI::IsMember({"crucible", "openevolve"}));

  std::vector<std::string> dash_runs;
  std::string dash_host = "127.0.0.1";
  int dash_port = 8765;
  CLI::App* serve_cmd = app.add_subcommand("serve", "Serve a live dashboard of one or more runs (read-only)");
  serve_cmd->add_option("RUN_DIR", dash_runs, "Run directories")->required();
  serve_cmd->add_option("--port", dash_port, "Port (default 8765; 0 = any free port)")
      ->check(CLI::Range(0, 65535));
  serve_cmd->add_option("--host", dash_host, "Address to bind (default 127.0.0.1: this machine only)");
  std::string dash_out, plot_title;
  CLI::App* report_cmd = app.add_subcommand("report", "Write a self-contained static HTML report of runs");
  report_cmd->add_option("RUN_DIR", dash_runs, "Run directories")->required();
  report_cmd->add_option("--out,-o", dash_out, "HTML file to write")->required();
  CLI::App* plot_cmd = app.add_subcommand("plot", "Write the score curve of a run as SVG");
  plot_cmd->add_option("RUN_DIR", run_dir, "Run directory")->required();
  plot_cmd->add_option("--out,-o", dash_out, "SVG file to write")->required();
  plot_cmd->add_option("--title", plot_title, "Title drawn above the chart");

  std::string harness_name, candidate_dir;
  CLI::App* harness_cmd = app.add_subcommand("harness", "Run a built-in evaluator on a candidate");
  harness_cmd->group("");  // internal: started by the engine inside the sandbox
  harness_cmd->add_option("NAME", harness_name)->required();
  harness_cmd->add_option("CANDIDATE_DIR", candidate_dir)->required();

  std::string job_dir;
  CLI::App* eval_job_cmd = app.add_subcommand("eval-job", "Run one Slurm job's evaluation");
  eval_job_cmd->group("");  // internal: the Slurm job script runs it on the node
  eval_job_cmd->add_option("DIR", job_dir)->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" that exit 0; every malformed command
    // line is bad input: CLI11's message, then exit status 2 like all others.
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  if (*run_cmd) {
    if (problem.empty() == run.request.resume_dir.empty()) {
      return ReportError(InvalidArgumentError(
          problem.empty() ? "run needs a PROBLEM directory or --resume RUN"
                          : "give either a PROBLEM directory or --resume RUN, not both"));
    }
    run.request.problem_dir = problem;
    run.request.task_files = task_files;
    if (*evals_opt) run.request.evaluations = evaluations;
    if (*time_opt) run.request.seconds = seconds;
    if (*target_opt) run.request.target = target;
    if (*seed_opt) run.request.seed = seed;
    if (*proposer_opt) run.request.proposer = ParseProposerKind(proposer);
    if (*executor_opt) run.request.executor = ParseExecutorKind(executor);
    run.log_format = log_format == "json" ? LogFormat::kJson : LogFormat::kText;
    return RunUntilInterrupted([&](std::stop_token stop) { return RunCommand(run, stop); });
  }
  if (*eval_job_cmd) {
    // Slurm sends SIGTERM when it cancels or times out a job: stop the
    // sandboxed evaluation (its process tree is killed) and exit without a
    // result. The count is read directly too: the evaluator, signalled with
    // the job, may end before the watcher's stop (up to 20 ms later).
    return RunUntilInterrupted([&](std::stop_token stop) {
      return EvalJobCommand(job_dir, stop, [] { return g_interrupts.load() > 0; });
    });
  }
  if (*best_cmd) return BestCommand(run_dir);
  if (*list_cmd) return ListCommand(run_dir, top, all);
  if (*show_cmd) return show_scratchpad ? ShowScratchpadCommand(run_dir) : ShowCommand(run_dir, id);
  if (*eval_cmd) return EvalCommand(problem, file, heldout, task_files);
  if (*init_cmd) return InitCommand(init_dir, init_format);
  if (*serve_cmd) return ServeCommand(dash_runs, dash_host, dash_port);
  if (*report_cmd) return ReportCommand(dash_runs, dash_out);
  if (*plot_cmd) return PlotCommand(run_dir, dash_out, plot_title);
  if (*harness_cmd) return HarnessCommand(harness_name, candidate_dir);
  return kExitBadInput;
}

}  // namespace
