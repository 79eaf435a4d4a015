// OutputCapture: keeps a bounded part of a stream of unbounded length.
//
// It keeps the first `head_bytes` and the last `tail_bytes` of everything
// appended; whatever falls between is counted and discarded, so memory stays
// bounded however much the child writes. The sandbox uses a head and a tail
// for stdout (the evaluator protocol reads stdout's last line) and only a tail
// for stderr (the end of stderr explains a failure); the harnesses keep a
// head for stdout and stop the child beyond it (process/pump.h). Not
// thread-safe: each capture belongs to one supervised child.
#ifndef CRUCIBLE_PROCESS_OUTPUT_CAPTURE_H_
#define CRUCIBLE_PROCESS_OUTPUT_CAPTURE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace crucible {

// What a supervised child wrote to stdout and stderr, as its captures kept
// it (StreamPump::Captured). ProcessResult and SandboxResult carry it.
struct CapturedOutput {
  std::string stdout_text;
  std::string stderr_text;
  bool stdout_truncated = false;
  bool stderr_truncated = false;
  uint64_t stdout_total_bytes = 0;
  uint64_t stderr_total_bytes = 0;
};

class OutputCapture {
 public:
  OutputCapture(size_t head_bytes, size_t tail_bytes);

  void Append(std::string_view data);

  // True when some bytes were discarded.
  bool truncated() const { return total_ > head_.size() + tail_size_; }
  uint64_t total_bytes() const { return total_; }
  // The kept bytes. When some were discarded, a marker line stands in for
  // them between head and tail:
  //   "\n[crucible: 1234 bytes omitted]\n"
  std::string Text() const;

  // A conversation reads replies as they arrive: the number of kept head
  // bytes, and the first `n` of them (n <= head_size()), removed from the
  // capture so that the head has room for what follows.
  size_t head_size() const { return head_.size(); }
  std::string TakeHead(size_t n);

 private:
  size_t head_limit_;
  size_t tail_limit_;
  std::string head_;
  std::string tail_;       // ring buffer of capacity tail_limit_
  size_t tail_start_ = 0;  // index of the oldest byte once the ring is full
  size_t tail_size_ = 0;
  uint64_t total_ = 0;
};

}  // namespace crucible

#endif  // CRUCIBLE_PROCESS_OUTPUT_CAPTURE_H_
