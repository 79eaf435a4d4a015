// Child processes of a harness: the compiler (RunTool) and the confined
// candidate (RunCandidate, declared in compiled_candidate.h). Both fork and
// exec, feed stdin and drain stdout/stderr concurrently through pipes with
// poll(), so no side blocks on a full pipe, and always reap the child.
#ifndef CRUCIBLE_PROBLEMS_HARNESS_PROCESS_H_
#define CRUCIBLE_PROBLEMS_HARNESS_PROCESS_H_

#include <string>
#include <vector>

namespace crucible {

struct ToolResult {
  bool started = false;
  std::string error;  // !started: why
  int exit_code = -1;  // -1 when killed by a signal
  std::string output;  // stdout and stderr interleaved, first 256 KiB
};

// Runs a trusted tool (the compiler) in `cwd` with the harness's environment.
ToolResult RunTool(const std::vector<std::string>& argv, const std::string& cwd);

}  // namespace crucible

#endif  // CRUCIBLE_PROBLEMS_HARNESS_PROCESS_H_
