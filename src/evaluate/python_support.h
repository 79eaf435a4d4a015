// crucible's Python side (python/: the OpenEvolve/ShinkaEvolve adapter and
// the stand-in packages), embedded at build time so that the binary runs a
// Python task from anywhere, and the command that runs the adapter
// (docs/openevolve.md).
//
// Thread-safe: InstallPythonSupport writes each file to a temporary name
// and renames it, so concurrent installs into one directory are harmless.
#ifndef CRUCIBLE_EVALUATE_PYTHON_SUPPORT_H_
#define CRUCIBLE_EVALUATE_PYTHON_SUPPORT_H_

#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "evaluate/python_evaluator.h"

namespace crucible {

// Writes the embedded python/ tree under `dir` (created if needed).
Status InstallPythonSupport(const std::string& dir);

enum class PythonRunner { kCold, kWarm };

// The evaluator command for the python/ tree installed in `python_root`:
// `python3 ROOT/crucible/adapter.py FORMAT FILE PROGRAM [flags]` (kCold; the
// evaluator appends the candidate directory) or the same with worker.py
// (kWarm; warm_pool.h). `program` is the evolved file's relative path;
// `features` the MAP-Elites dimensions, which OpenEvolve leaves out of its
// mean score.
std::vector<std::string> PythonEvaluatorCommand(const std::string& python_root,
                                                const PythonEvaluator& evaluator,
                                                const std::string& program,
                                                const std::vector<std::string>& features,
                                                PythonRunner runner);

}  // namespace crucible

#endif  // CRUCIBLE_EVALUATE_PYTHON_SUPPORT_H_
