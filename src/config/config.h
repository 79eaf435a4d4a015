// The config component: RunConfig, the effective configuration of a run, read
// from a problem directory's problem.yaml (docs/problem-format.md) with
// defaults filled in, then frozen into run.db as JSON so a resumed run uses
// exactly what the original used, whatever happened to problem.yaml since.
//
// Every error names the file and the exact field at fault, e.g.
//   "/p/problem.yaml: archive.islands: must be >= 1 (got 0)".
//
// It depends only on the options of the components it configures (their
// *_options targets), never on the components themselves: whoever only reads
// a configuration (the dashboard) links no sandbox, proposer, Slurm client or
// built-in problem. Thread-safe: functions of their arguments.
#ifndef CRUCIBLE_CONFIG_CONFIG_H_
#define CRUCIBLE_CONFIG_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "archive/archive.h"
#include "config/choices.h"
#include "core/candidate.h"
#include "core/objective.h"
#include "core/status.h"
#include "evaluate/cascade_stage.h"
#include "evaluate/python_evaluator.h"
#include "executor/slurm_options.h"
#include "propose/llm/llm_options.h"
#include "propose/mutate/mutate_options.h"
#include "propose/tune/tune_options.h"
#include "sandbox/sandbox_options.h"
#include "search/search_options.h"

namespace crucible {

struct Budget {
  std::optional<int64_t> evaluations = 100;  // evaluated children (the initial program not counted)
  std::optional<double> seconds;             // wall time of one invocation
  std::optional<double> target;              // stop when the objective reaches this
};

struct RunConfig {
  std::string problem_dir;  // absolute
  std::string name;
  std::string description;
  std::vector<std::string> files;  // relative to problem_dir, evolved in this order
  std::string prompt_file;         // relative; empty when none
  // `prompt_text`: the task description itself, used when there is no
  // prompt file (an OpenEvolve config's prompt.system_message).
  std::string prompt_text;
  // `seed`: the run's seed when --seed is not given (OpenEvolve's random_seed).
  std::optional<uint64_t> seed;
  std::vector<std::string> evaluator_command;  // empty when builtin_evaluator is set
  std::string builtin_evaluator;               // a harness compiled into crucible (problems/registry.h)
  // `evaluator: {python: FILE, format: openevolve|shinka}`: an OpenEvolve or
  // ShinkaEvolve evaluator module run by crucible's adapter
  // (docs/openevolve.md); FILE is stored absolute.
  std::optional<PythonEvaluator> python_evaluator;
  // `evaluator.warm`: a Python evaluator runs in warm workers (one per job,
  // a fresh fork per candidate) instead of a fresh interpreter per candidate.
  bool warm = true;
  std::vector<CascadeStage> stages = {{"full", std::nullopt}};
  bool heldout = false;  // evaluate the best program on the held-out split at the end
  Objective objective;
  // `objectives:` (several, docs/search.md "Several objectives"): the list,
  // whose first is also `objective` (what the single-objective rules —
  // best, target, cascade thresholds — use). Empty with `objective:`.
  std::vector<Objective> objectives;
  SandboxOptions sandbox;
  ArchiveOptions archive;
  MutateOptions mutate;
  // problem.yaml's `tuning:`: constant tuning of promising candidates
  // (docs/search.md, "Constant tuning"); off by default.
  TuningOptions tuning;
  // `parameters:` and `search:` (docs/search.md): a declared design space
  // and its strategy; empty space = none. With one, each candidate carries
  // its values as parameters.json and kAuto resolves to kSearch.
  SearchOptions search;
  // A new run freezes what kAuto resolved to.
  ProposerKind proposer = ProposerKind::kAuto;
  LlmOptions llm;  // docs/llm.md; the API key is never stored, only its variable's name
  Budget budget;
  size_t max_program_bytes = 256 * 1024;
  ExecutorKind executor = ExecutorKind::kLocal;  // `--executor` overrides it
  SlurmOptions slurm;  // problem.yaml's `slurm:` section
};

// What reading a configuration needs to know from outside the component.
struct ConfigReadOptions {
  // The names `evaluator.builtin` may take: the harnesses compiled into the
  // binary (problems/registry.h; BuiltinEvaluatorNames() in engine/run.h).
  // nullopt: the name is not checked (readers of a run that was checked
  // when it started, such as the dashboard).
  std::optional<std::vector<std::string>> builtin_evaluators;
};

// Reads PROBLEM_DIR/problem.yaml. NotFound when the directory or file is
// missing; InvalidArgument naming the field for malformed YAML, unknown keys,
// wrong types, out-of-range values, unknown built-in evaluators and missing
// files.
StatusOr<RunConfig> LoadProblemConfig(const std::string& problem_dir,
                                      const ConfigReadOptions& options);

// Validates every component's options of `config`; errors are prefixed
// with `source` (the file the configuration came from). Whatever reads a
// configuration (problem.yaml, an OpenEvolve config.yaml) ends with it.
Status ValidateConfig(const RunConfig& config, const std::string& source);

// The initial program: the configured files read from the problem directory,
// each checked for well-formed EVOLVE-BLOCK markers.
StatusOr<Program> LoadInitialProgram(const RunConfig& config);

// The frozen form (JSON text, same schema as problem.yaml, all defaults
// explicit), and back. The text is stable: a run.db written by an older
// crucible reads back and re-freezes byte for byte (config_test).
std::string ConfigToJson(const RunConfig& config);
StatusOr<RunConfig> ConfigFromJson(const std::string& json_text,
                                   const ConfigReadOptions& options = {});

}  // namespace crucible

#endif  // CRUCIBLE_CONFIG_CONFIG_H_
