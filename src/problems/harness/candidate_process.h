// How a harness runs its children, on top of process/child.h: the compiler
// (RunTool, below) and the confined candidate (RunCandidate in
// compiled_candidate.h, InteractiveCandidate in interactive.h).
#ifndef CRUCIBLE_PROBLEMS_HARNESS_CANDIDATE_PROCESS_H_
#define CRUCIBLE_PROBLEMS_HARNESS_CANDIDATE_PROCESS_H_

#include <string>
#include <vector>

#include "process/child.h"

namespace crucible {

// Runs a trusted tool (the compiler) in `cwd` with the harness's environment
// and LC_ALL=C: stdout and stderr interleaved in stdout_text, the first
// 256 KiB (beyond it the tool is stopped, kOutputCapped). No deadline of its
// own: the sandbox's covers the harness.
ProcessResult RunTool(const std::vector<std::string>& argv, const std::string& cwd);

}  // namespace crucible

#endif  // CRUCIBLE_PROBLEMS_HARNESS_CANDIDATE_PROCESS_H_
