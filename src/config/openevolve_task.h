// OpenEvolve and ShinkaEvolve task directories as crucible problems
// (docs/openevolve.md).
//
// An OpenEvolve task is `initial_program.py` (EVOLVE-BLOCK regions),
// `evaluator.py` with evaluate(program_path) (and optionally
// evaluate_stage1/2/3), and `config.yaml`. LoadOpenEvolveTask() turns it
// into a RunConfig whose evaluator is crucible's Python adapter
// (python/crucible/adapter.py), mapping every config.yaml key that has a
// counterpart and listing, with a reason, every key it does not use.
//
// A ShinkaEvolve task is `initial.py` and `evaluate.py` using
// run_shinka_eval; it has no config file crucible reads.
//
// Thread-safe: plain functions of files.
#ifndef CRUCIBLE_CONFIG_OPENEVOLVE_TASK_H_
#define CRUCIBLE_CONFIG_OPENEVOLVE_TASK_H_

#include <string>
#include <vector>

#include "config/config.h"
#include "core/status.h"

namespace crucible {

// File names inside the task directory (or absolute paths); the defaults
// are OpenEvolve's and ShinkaEvolve's.
struct TaskFiles {
  std::string config;     // '' = config.yaml when it exists
  std::string initial;    // '' = initial_program.py (OpenEvolve) / initial.py (ShinkaEvolve)
  std::string evaluator;  // '' = evaluator.py (OpenEvolve) / evaluate.py (ShinkaEvolve)
};

enum class TaskFormat { kCrucible, kOpenEvolve, kShinka };

// Which format `dir` is in: kCrucible when it has a problem.yaml; else
// kOpenEvolve when the initial program and evaluator.py exist; else kShinka
// when initial.py and evaluate.py do; else kCrucible (whose loader then says
// what is missing).
TaskFormat DetectTaskFormat(const std::string& dir, const TaskFiles& files);

struct ForeignTask {
  RunConfig config;
  // "database.db_path (crucible keeps every candidate in RUN/run.db)", ...:
  // the keys of the config file that crucible does not use, each with why.
  std::vector<std::string> unused_keys;
};

// Reads an OpenEvolve task. InvalidArgument naming the file and the dotted
// key for a value of the wrong type; NotFound for a missing file.
StatusOr<ForeignTask> LoadOpenEvolveTask(const std::string& dir, const TaskFiles& files);

// OpenEvolve's cascade as crucible stages: "stage1", then "stage2" and
// "stage3" while the evaluator module defines evaluate_stageN and
// cascade_thresholds has a threshold for it; {"full"} when the module defines
// no evaluate_stage1 (evaluate() is then called, as OpenEvolve does).
std::vector<CascadeStage> OpenEvolveCascadeStages(const std::string& evaluator_file,
                                                  const std::vector<double>& thresholds);

// Reads a ShinkaEvolve task (crucible's defaults, ShinkaEvolve's evaluator).
StatusOr<ForeignTask> LoadShinkaTask(const std::string& dir, const TaskFiles& files);

// Reads DIR in the format DetectTaskFormat() finds: problem.yaml (then
// `files` must be empty: InvalidArgument), OpenEvolve or ShinkaEvolve.
StatusOr<ForeignTask> LoadAnyTask(const std::string& dir, const TaskFiles& files,
                                  const ConfigReadOptions& options = {});

// "config.yaml: not used by crucible: a (why), b (why)", or "" when none.
std::string DescribeUnusedKeys(const ForeignTask& task);

}  // namespace crucible

#endif  // CRUCIBLE_CONFIG_OPENEVOLVE_TASK_H_
