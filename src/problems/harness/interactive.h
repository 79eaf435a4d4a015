// A confined candidate that converses with its harness: request, reply,
// request, reply... over its stdin/stdout, for problems whose candidate must
// not see the whole instance up front (an online policy fed one step at a
// time, e.g. cant_be_late). Started exactly like RunCandidate (same rlimits,
// empty environment, seccomp from the binary's entry point); stderr is
// drained concurrently and its tail kept.
//
// One Exchange costs two pipe writes, two reads and two context switches, so
// harnesses should batch many independent requests into one exchange.
//
// The supervision (deadline, caps, kill, reap) is process/child.h's
// ChildProcess; this class only speaks the request/reply rhythm over it.
// Thread-compatible.
#ifndef CRUCIBLE_PROBLEMS_HARNESS_INTERACTIVE_H_
#define CRUCIBLE_PROBLEMS_HARNESS_INTERACTIVE_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "problems/harness/compiled_candidate.h"
#include "process/child.h"

namespace crucible {

class InteractiveCandidate {
 public:
  // Starts `binary_path` under `limits` (the wall-clock timeout covers the
  // whole conversation). nullptr with *error set when it cannot start.
  static std::unique_ptr<InteractiveCandidate> Start(const std::string& binary_path,
                                                     const RunLimits& limits, std::string* error);
  ~InteractiveCandidate();  // kills and reaps a child still running
  InteractiveCandidate(const InteractiveCandidate&) = delete;
  InteractiveCandidate& operator=(const InteractiveCandidate&) = delete;

  // Writes `request` and reads exactly `reply_size` bytes into *reply,
  // concurrently (neither side can block the other). False when the child
  // closed its stdout early or the deadline passed (then it is killed);
  // Finish() says which.
  bool Exchange(std::string_view request, size_t reply_size, std::string* reply);

  // Closes the child's stdin, waits for its exit within the deadline, and
  // reports how it ended (stdout_text holds any bytes it wrote after the last
  // reply).
  RunOutput Finish();

 private:
  InteractiveCandidate() = default;
  std::optional<ChildProcess> child_;  // set by Start; kills and reaps on destruction
  bool finished_ = false;
};

}  // namespace crucible

#endif  // CRUCIBLE_PROBLEMS_HARNESS_INTERACTIVE_H_
