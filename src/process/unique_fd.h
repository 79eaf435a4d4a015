// UniqueFd: owns one file descriptor and closes it exactly once. Movable, not
// copyable. Used by crucible (parent side) and by the
// sandbox's init program, which includes it without linking anything.
#ifndef CRUCIBLE_PROCESS_UNIQUE_FD_H_
#define CRUCIBLE_PROCESS_UNIQUE_FD_H_

#include <unistd.h>

#include <utility>

namespace crucible {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) Reset(other.Release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release() { return std::exchange(fd_, -1); }
  void Reset(int fd = -1) {
    // close() errors are not actionable here: the descriptor is gone either way.
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace crucible

#endif  // CRUCIBLE_PROCESS_UNIQUE_FD_H_
