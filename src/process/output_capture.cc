#include "process/output_capture.h"

#include <algorithm>

namespace crucible {

OutputCapture::OutputCapture(size_t head_bytes, size_t tail_bytes)
    : head_limit_(head_bytes), tail_limit_(tail_bytes) {}

void OutputCapture::Append(std::string_view data) {
  total_ += data.size();
  size_t to_head = std::min(data.size(), head_limit_ - head_.size());
  head_.append(data.substr(0, to_head));
  data.remove_prefix(to_head);
  if (tail_limit_ == 0 || data.empty()) return;
  // Only the last tail_limit_ bytes of this chunk can survive.
  if (data.size() >= tail_limit_) {
    tail_.assign(data.substr(data.size() - tail_limit_));
    tail_start_ = 0;
    tail_size_ = tail_limit_;
    return;
  }
  if (tail_size_ < tail_limit_) {  // still filling: plain append
    size_t fill = std::min(data.size(), tail_limit_ - tail_size_);
    tail_.append(data.substr(0, fill));
    tail_size_ += fill;
    data.remove_prefix(fill);
  }
  for (char c : data) {  // full: overwrite the oldest bytes
    tail_[tail_start_] = c;
    tail_start_ = (tail_start_ + 1) % tail_limit_;
  }
}

std::string OutputCapture::TakeHead(size_t n) {
  std::string taken = head_.substr(0, n);
  head_.erase(0, taken.size());
  total_ -= taken.size();
  return taken;
}

std::string OutputCapture::Text() const {
  std::string out = head_;
  if (truncated()) {
    out += "\n[crucible: " + std::to_string(total_ - head_.size() - tail_size_) +
           " bytes omitted]\n";
  }
  out.append(tail_, tail_start_, std::string::npos);
  out.append(tail_, 0, tail_start_);
  return out;
}

}  // namespace crucible
