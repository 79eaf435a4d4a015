#include "process/pump.h"

#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace crucible {
namespace {

void MakeNonBlocking(const UniqueFd& fd) {
  if (!fd.valid()) return;
  const int flags = fcntl(fd.get(), F_GETFL);
  if ((flags & O_NONBLOCK) == 0) fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK);
}

// write() with SIGPIPE blocked on this thread; a SIGPIPE the write raised is
// consumed before the mask is restored, so a child that closed its stdin
// costs an EPIPE, not crucible.
ssize_t WriteWithoutSigpipe(int fd, const char* data, size_t size) {
  sigset_t pipe_set, old_set, pending;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  sigpending(&pending);
  const bool was_pending = sigismember(&pending, SIGPIPE);
  const ssize_t n = write(fd, data, size);
  const int write_errno = errno;
  if (n < 0 && write_errno == EPIPE && !was_pending) {
    const timespec zero{0, 0};
    while (sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  errno = write_errno;
  return n;
}

}  // namespace

StreamPump::StreamPump() : stdout_capture_(0, 0), stderr_capture_(0, 0) {}

StreamPump::StreamPump(UniqueFd stdin_write, UniqueFd stdout_read, CaptureLimits stdout_limits,
                       UniqueFd stderr_read, CaptureLimits stderr_limits)
    : stdin_(std::move(stdin_write)),
      stdout_(std::move(stdout_read)),
      stderr_(std::move(stderr_read)),
      stdout_limits_(stdout_limits),
      stderr_limits_(stderr_limits),
      stdout_capture_(stdout_limits.head_bytes, stdout_limits.tail_bytes),
      stderr_capture_(stderr_limits.head_bytes, stderr_limits.tail_bytes) {
  for (const UniqueFd* fd : {&stdin_, &stdout_, &stderr_}) MakeNonBlocking(*fd);
}

void StreamPump::Feed(std::string_view data) {
  if (input_written_ == input_.size()) {
    input_.clear();
    input_written_ = 0;
  }
  input_.append(data);
}

void StreamPump::CloseStdinWhenWritten() {
  close_stdin_when_written_ = true;
  if (stdin_pending() == 0) stdin_.Reset();
}

void StreamPump::CloseAll() {
  stdin_.Reset();
  stdout_.Reset();
  stderr_.Reset();
}

int StreamPump::AddToPollSet(pollfd* fds) {
  int count = 0;
  stdin_index_ = stdout_index_ = stderr_index_ = -1;
  if (stdin_.valid() && stdin_pending() > 0) {
    stdin_index_ = count;
    fds[count++] = pollfd{stdin_.get(), POLLOUT, 0};
  }
  if (stdout_.valid()) {
    stdout_index_ = count;
    fds[count++] = pollfd{stdout_.get(), POLLIN, 0};
  }
  if (stderr_.valid()) {
    stderr_index_ = count;
    fds[count++] = pollfd{stderr_.get(), POLLIN, 0};
  }
  return count;
}

void StreamPump::Handle(const pollfd* fds, int count) {
  auto ready = [&](int index) { return index >= 0 && index < count && fds[index].revents != 0; };
  if (ready(stdin_index_)) WriteInput();
  if (ready(stdout_index_)) ReadOutput(stdout_, stdout_capture_, stdout_limits_);
  if (ready(stderr_index_)) ReadOutput(stderr_, stderr_capture_, stderr_limits_);
}

void StreamPump::WriteInput() {
  while (stdin_.valid() && stdin_pending() > 0) {
    const ssize_t n =
        WriteWithoutSigpipe(stdin_.get(), input_.data() + input_written_, stdin_pending());
    if (n > 0) {
      input_written_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    // EPIPE: the child stopped reading; what it answers (or not) will tell.
    stdin_.Reset();
    return;
  }
  if (close_stdin_when_written_) stdin_.Reset();
}

void StreamPump::ReadOutput(UniqueFd& fd, OutputCapture& capture, const CaptureLimits& limits) {
  char buffer[64 * 1024];
  for (int i = 0; i < 16 && fd.valid(); ++i) {
    const ssize_t n = read(fd.get(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || (n < 0 && errno != EAGAIN)) fd.Reset();
    if (n <= 0) return;
    capture.Append(std::string_view(buffer, static_cast<size_t>(n)));
    if (limits.overflow == OverflowAction::kStop && capture.truncated()) {
      capped_ = true;
      return;
    }
  }
}

CapturedOutput StreamPump::Captured() const {
  CapturedOutput c;
  c.stdout_text = stdout_capture_.Text();
  c.stdout_truncated = stdout_capture_.truncated();
  c.stdout_total_bytes = stdout_capture_.total_bytes();
  c.stderr_text = stderr_capture_.Text();
  c.stderr_truncated = stderr_capture_.truncated();
  c.stderr_total_bytes = stderr_capture_.total_bytes();
  return c;
}

}  // namespace crucible
