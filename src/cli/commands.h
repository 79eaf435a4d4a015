// The `crucible` subcommands. Each returns the process exit status:
//   0 success, 1 failure while working (or a candidate that failed `eval`),
//   2 bad input (nothing was written), 130 interrupted.
#ifndef CRUCIBLE_CLI_COMMANDS_H_
#define CRUCIBLE_CLI_COMMANDS_H_

#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "cli/progress.h"
#include "engine/run.h"

namespace crucible {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitInterrupted = 130;

struct RunCommandOptions {
  RunRequest request;
  LogFormat log_format = LogFormat::kText;
  bool quiet = false;
};

int RunCommand(const RunCommandOptions& options, std::stop_token stop);
int BestCommand(const std::string& run_dir);
int ListCommand(const std::string& run_dir, int top, bool all);
int ShowCommand(const std::string& run_dir, int64_t id);
// The LLM proposer's scratchpad (docs/llm.md, "The meta-scratchpad"): the
// current note in full, then one line per earlier version.
int ShowScratchpadCommand(const std::string& run_dir);
// `files` names an OpenEvolve/ShinkaEvolve task's files (docs/openevolve.md).
int EvalCommand(const std::string& problem_dir, const std::string& file, bool heldout,
                const TaskFiles& files);
// `format`: "crucible" or "openevolve".
int InitCommand(const std::string& dir, const std::string& format);
// `crucible harness NAME CANDIDATE_DIR`: a built-in evaluator (hidden; the
// engine runs it inside the sandbox).
int HarnessCommand(const std::string& name, const std::string& candidate_dir);

// Dashboard commands (cli/dashboard_commands.cc).
// `crucible serve RUN...`: serves the dashboard until SIGINT/SIGTERM.
int ServeCommand(const std::vector<std::string>& run_dirs, const std::string& host, int port);
// `crucible report RUN... --out FILE.html`: a self-contained static page.
int ReportCommand(const std::vector<std::string>& run_dirs, const std::string& out);
// `crucible plot RUN --out FILE.svg`: the score curve.
int PlotCommand(const std::string& run_dir, const std::string& out, const std::string& title);
// `crucible eval-job DIR`: the node side of a Slurm job (hidden; the job
// script runs it). Evaluates DIR/candidate/ as DIR/job.json says, in the
// sandbox, and writes DIR/result.json. 0 when the result was written.
// `signalled()` says whether the job has had SIGTERM (RunEvalJob).
int EvalJobCommand(const std::string& dir, std::stop_token stop,
                   const std::function<bool()>& signalled);

// Prints "crucible: error: MESSAGE" and returns the exit status for `status`.
int ReportError(const Status& status);

}  // namespace crucible

#endif  // CRUCIBLE_CLI_COMMANDS_H_
