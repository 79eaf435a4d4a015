// StreamPump: moves bytes between crucible and a child over its pipes without
// either side blocking the other: it feeds the child's stdin from a queue and
// reads its stdout and stderr into bounded captures, all through one poll()
// set that the caller may extend with descriptors of its own (a pidfd, a
// report pipe, a wake-up eventfd).
//
// Every descriptor it holds is the parent's end, made non-blocking; the
// child's ends stay blocking, so a child writing faster than we read simply
// waits. Writing to a child that closed its stdin returns EPIPE here, never
// SIGPIPE (the signal is blocked and consumed on this thread for the write).
// Not thread-safe: a pump belongs to the thread that supervises the child.
#ifndef CRUCIBLE_PROCESS_PUMP_H_
#define CRUCIBLE_PROCESS_PUMP_H_

#include <poll.h>

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>

#include "process/output_capture.h"
#include "process/unique_fd.h"

namespace crucible {

// How much of one output stream is kept (OutputCapture's head and tail), and
// whether writing beyond that ends the run (kStop: the supervisor kills the
// child and reports kOutputCapped) or is merely counted and discarded.
enum class OverflowAction { kDiscard, kStop };
struct CaptureLimits {
  size_t head_bytes = std::numeric_limits<size_t>::max() / 2;
  size_t tail_bytes = 0;
  OverflowAction overflow = OverflowAction::kDiscard;
};

class StreamPump {
 public:
  // The most descriptors AddToPollSet writes.
  static constexpr int kMaxPollFds = 3;

  StreamPump();
  // Takes the parent's ends (any may be invalid: that stream is not piped).
  StreamPump(UniqueFd stdin_write, UniqueFd stdout_read, CaptureLimits stdout_limits,
             UniqueFd stderr_read, CaptureLimits stderr_limits);
  StreamPump(StreamPump&&) = default;
  StreamPump& operator=(StreamPump&&) = default;

  // Queues bytes for the child's stdin.
  void Feed(std::string_view data);
  // Closes stdin once everything queued is written (at once if nothing is).
  void CloseStdinWhenWritten();
  // Closes every descriptor now.
  void CloseAll();

  // Writes pollfd entries for the open streams at `fds` (room for
  // kMaxPollFds) and returns how many; pass the same entries to Handle.
  int AddToPollSet(pollfd* fds);
  // Does the I/O that the revents of those entries allow. Reads at most
  // 1 MiB per stream per call, so a flood cannot keep the caller from its
  // deadline checks.
  void Handle(const pollfd* fds, int count);

  // stdout or stderr is still open (the child or a descendant holds it).
  bool output_open() const { return stdout_.valid() || stderr_.valid(); }
  bool stdout_open() const { return stdout_.valid(); }
  bool stdin_open() const { return stdin_.valid(); }
  // Bytes queued for stdin and not written yet.
  size_t stdin_pending() const { return input_.size() - input_written_; }
  // A stream with OverflowAction::kStop went past its limits.
  bool capped() const { return capped_; }

  OutputCapture& stdout_capture() { return stdout_capture_; }
  // Both captures' texts, flags and byte counts.
  CapturedOutput Captured() const;
  OutputCapture& stderr_capture() { return stderr_capture_; }

 private:
  void WriteInput();
  void ReadOutput(UniqueFd& fd, OutputCapture& capture, const CaptureLimits& limits);

  UniqueFd stdin_, stdout_, stderr_;
  CaptureLimits stdout_limits_, stderr_limits_;
  OutputCapture stdout_capture_, stderr_capture_;
  std::string input_;
  size_t input_written_ = 0;
  bool close_stdin_when_written_ = false;
  bool capped_ = false;
  // Which entry of the last AddToPollSet each stream got (-1: none).
  int stdin_index_ = -1, stdout_index_ = -1, stderr_index_ = -1;
};

}  // namespace crucible

#endif  // CRUCIBLE_PROCESS_PUMP_H_
