#include "problems/harness/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "fmt/format.h"
#include "problems/harness/compiled_candidate.h"
#include "problems/harness/confine_prologue.h"
#include "problems/harness/interactive.h"

extern char** environ;

namespace crucible {
namespace {

struct Pipe {
  int read = -1;
  int write = -1;
};

bool MakePipe(Pipe& p) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return false;
  p = {fds[0], fds[1]};
  return true;
}

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// In the child between fork and exec: async-signal-safe calls only.
[[noreturn]] void ChildFail(int error_fd, const char* what) {
  const int err = errno;
  [[maybe_unused]] ssize_t n = write(error_fd, &err, sizeof err);
  n = write(error_fd, what, strlen(what));
  _exit(127);
}

// Collects the output of a child: pumps `input` into `in_fd` and drains
// out/err until both close or the deadline passes. Returns false on timeout or
// when `out` exceeded `out_cap` (the caller kills the child).
enum class PumpEnd { kClosed, kTimeout, kOutputLimit };

PumpEnd Pump(int& in_fd, const std::string& input, int& out_fd, std::string& out, size_t out_cap,
             int& err_fd, std::string& err, size_t err_cap,
             std::chrono::steady_clock::time_point deadline) {
  size_t written = 0;
  if (in_fd >= 0 && input.empty()) CloseFd(in_fd);
  if (in_fd >= 0) fcntl(in_fd, F_SETFL, fcntl(in_fd, F_GETFL) | O_NONBLOCK);
  char buf[65536];
  while (out_fd >= 0 || err_fd >= 0) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return PumpEnd::kTimeout;
    const int timeout_ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1);
    pollfd fds[3];
    int n = 0;
    int in_i = -1, out_i = -1, err_i = -1;
    if (in_fd >= 0) fds[in_i = n++] = {in_fd, POLLOUT, 0};
    if (out_fd >= 0) fds[out_i = n++] = {out_fd, POLLIN, 0};
    if (err_fd >= 0) fds[err_i = n++] = {err_fd, POLLIN, 0};
    if (poll(fds, n, timeout_ms) < 0) {
      if (errno == EINTR) continue;
      return PumpEnd::kTimeout;  // poll cannot fail otherwise with valid fds
    }
    if (in_i >= 0 && fds[in_i].revents) {
      const ssize_t w = write(in_fd, input.data() + written, input.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      // EPIPE: the child stopped reading; its answers will tell.
      if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) CloseFd(in_fd);
    }
    auto drain = [&](int idx, int& fd, std::string& sink, size_t cap, bool keep_tail) {
      if (idx < 0 || !fds[idx].revents) return true;
      const ssize_t r = read(fd, buf, sizeof buf);
      if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
        CloseFd(fd);
        return true;
      }
      if (r < 0) return true;
      sink.append(buf, static_cast<size_t>(r));
      if (sink.size() > cap) {
        if (!keep_tail) return false;
        sink.erase(0, sink.size() - cap);
      }
      return true;
    };
    if (!drain(out_i, out_fd, out, out_cap, /*keep_tail=*/false)) return PumpEnd::kOutputLimit;
    drain(err_i, err_fd, err, err_cap, /*keep_tail=*/true);
  }
  return PumpEnd::kClosed;
}

struct Child {
  pid_t pid = -1;
  int in = -1, out = -1, err = -1;
  std::string start_error;
};

// Forks and execs `argv`. When `confine` is set the child gets rlimits, an
// empty environment, no file descriptors but its pipes, and dies with the
// harness; the binary's prologue confines it further at its entry point.
Child Spawn(const std::vector<std::string>& argv, const std::string& cwd, bool merge_stderr,
            const RunLimits* confine) {
  Child c;
  Pipe in, out, err, status;
  if (!MakePipe(in) || !MakePipe(out) || !MakePipe(err) || !MakePipe(status)) {
    c.start_error = fmt::format("pipe: {}", strerror(errno));
    for (int* fd : {&in.read, &in.write, &out.read, &out.write, &err.read, &err.write,
                    &status.read, &status.write}) {
      CloseFd(*fd);
    }
    return c;
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  char* empty_env[] = {nullptr};
  // Tools get the harness's environment with LC_ALL=C, so that compiler
  // messages are plain ASCII whatever the user's locale.
  std::vector<std::string> tool_env_text;
  for (char** e = environ; *e; ++e) {
    if (strncmp(*e, "LC_ALL=", 7) != 0) tool_env_text.push_back(*e);
  }
  tool_env_text.push_back("LC_ALL=C");
  std::vector<char*> tool_env;
  for (std::string& e : tool_env_text) tool_env.push_back(e.data());
  tool_env.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    if (dup2(in.read, 0) < 0 || dup2(out.write, 1) < 0 ||
        dup2(merge_stderr ? out.write : err.write, 2) < 0) {
      ChildFail(status.write, "dup2");
    }
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) ChildFail(status.write, "chdir");
    if (confine) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      const rlim_t cpu = static_cast<rlim_t>(confine->timeout_seconds) + 2;
      const rlimit as{confine->memory_bytes, confine->memory_bytes}, cpu_l{cpu, cpu},
          zero{0, 0};
      if (setrlimit(RLIMIT_AS, &as) != 0 || setrlimit(RLIMIT_CPU, &cpu_l) != 0 ||
          setrlimit(RLIMIT_FSIZE, &zero) != 0 || setrlimit(RLIMIT_CORE, &zero) != 0) {
        ChildFail(status.write, "setrlimit");
      }
    }
    // Every other descriptor was opened O_CLOEXEC by this harness; inherited
    // ones without it are closed so the candidate holds nothing but its pipes.
    const int status_fd = status.write;
    for (int fd = 3; fd < 1024; ++fd) {
      if (fd != status_fd) ::close(fd);
    }
    execve(args[0], args.data(), confine ? empty_env : tool_env.data());
    if (!confine) execvpe(args[0], args.data(), tool_env.data());
    ChildFail(status_fd, "exec");
  }
  CloseFd(in.read);
  CloseFd(out.write);
  CloseFd(err.write);
  CloseFd(status.write);
  if (pid < 0) {
    c.start_error = fmt::format("fork: {}", strerror(errno));
    for (int* fd : {&in.write, &out.read, &err.read, &status.read}) CloseFd(*fd);
    return c;
  }
  // The status pipe closes on a successful exec (O_CLOEXEC); otherwise it
  // carries errno and what failed.
  char buf[256];
  ssize_t n;
  while ((n = read(status.read, buf, sizeof buf)) < 0 && errno == EINTR) {
  }
  CloseFd(status.read);
  if (n > 0) {
    int err_no = 0;
    memcpy(&err_no, buf, sizeof err_no);
    c.start_error = fmt::format("{} {}: {}", std::string(buf + sizeof err_no, n - sizeof err_no),
                                argv[0], strerror(err_no));
    int ignored;
    waitpid(pid, &ignored, 0);
    for (int* fd : {&in.write, &out.read, &err.read}) CloseFd(*fd);
    return c;
  }
  c.pid = pid;
  c.in = in.write;
  c.out = out.read;
  c.err = err.read;
  if (merge_stderr) CloseFd(c.err);
  return c;
}

int WaitFor(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

}  // namespace

ToolResult RunTool(const std::vector<std::string>& argv, const std::string& cwd) {
  ToolResult r;
  Child c = Spawn(argv, cwd, /*merge_stderr=*/true, nullptr);
  if (c.pid < 0) {
    r.error = c.start_error;
    return r;
  }
  r.started = true;
  std::string unused;
  // The compiler has no deadline of its own: the sandbox's covers the harness.
  const PumpEnd end = Pump(c.in, "", c.out, r.output, 256 << 10, c.err, unused, 0,
                           std::chrono::steady_clock::time_point::max());
  if (end != PumpEnd::kClosed) kill(c.pid, SIGKILL);
  for (int* fd : {&c.in, &c.out, &c.err}) CloseFd(*fd);
  const int status = WaitFor(c.pid);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

RunOutput RunCandidate(const std::string& binary_path, const std::string& input,
                       const RunLimits& limits) {
  RunOutput r;
  const auto start = std::chrono::steady_clock::now();
  signal(SIGPIPE, SIG_IGN);  // a candidate that stops reading must not kill the harness
  Child c = Spawn({binary_path}, "", /*merge_stderr=*/false, &limits);
  if (c.pid < 0) {
    r.status = RunStatus::kStartFailed;
    r.error = c.start_error;
    return r;
  }
  const auto deadline =
      start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                  std::chrono::duration<double>(limits.timeout_seconds));
  const PumpEnd end = Pump(c.in, input, c.out, r.stdout_text, limits.stdout_cap_bytes, c.err,
                           r.stderr_text, limits.stderr_cap_bytes, deadline);
  if (end != PumpEnd::kClosed) kill(c.pid, SIGKILL);
  for (int* fd : {&c.in, &c.out, &c.err}) CloseFd(*fd);
  // Output closed but the process may linger (it closed stdout itself): the
  // deadline still applies.
  int status = 0;
  for (;;) {
    const pid_t w = waitpid(c.pid, &status, WNOHANG);
    if (w == c.pid) break;
    if (w < 0 && errno != EINTR) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(c.pid, SIGKILL);
      status = WaitFor(c.pid);
      r.status = RunStatus::kTimeout;
      break;
    }
    usleep(1000);
  }
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (end == PumpEnd::kTimeout) {
    r.status = RunStatus::kTimeout;
  } else if (end == PumpEnd::kOutputLimit) {
    r.status = RunStatus::kOutputLimit;
  } else if (r.status != RunStatus::kTimeout) {
    if (WIFSIGNALED(status)) {
      r.status = WTERMSIG(status) == SIGXCPU ? RunStatus::kTimeout : RunStatus::kSignaled;
      r.signal = WTERMSIG(status);
    } else {
      r.status = RunStatus::kExited;
      r.exit_code = WEXITSTATUS(status);
    }
  }
  return r;
}

std::string RunOutput::Describe() const {
  switch (status) {
    case RunStatus::kExited:
      if (exit_code == kExitNoNewPrivsFailed || exit_code == kExitSeccompFailed) {
        return "the candidate could not be confined (the kernel refused its seccomp filter)";
      }
      return fmt::format("exited with status {}", exit_code);
    case RunStatus::kSignaled:
      if (signal == SIGSYS) {
        return "killed by SIGSYS: it made a forbidden system call (candidates may not open "
               "files, use sockets, start processes, exec or signal; abort() ends here too)";
      }
      return fmt::format("killed by {}", sigabbrev_np(signal) ? fmt::format("SIG{}", sigabbrev_np(signal))
                                                              : fmt::format("signal {}", signal));
    case RunStatus::kTimeout:
      return fmt::format("timed out after {:g} s", wall_seconds);
    case RunStatus::kOutputLimit:
      return "wrote more output than allowed";
    case RunStatus::kStartFailed:
      return "could not be started: " + error;
  }
  return "unknown";
}

}  // namespace crucible

// ---- InteractiveCandidate (interactive.h) ----
namespace crucible {

std::unique_ptr<InteractiveCandidate> InteractiveCandidate::Start(const std::string& binary_path,
                                                                  const RunLimits& limits,
                                                                  std::string* error) {
  signal(SIGPIPE, SIG_IGN);  // a candidate that stops reading must not kill the harness
  std::unique_ptr<InteractiveCandidate> ic(new InteractiveCandidate());
  ic->start_ = std::chrono::steady_clock::now();
  ic->deadline_ = ic->start_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                   std::chrono::duration<double>(limits.timeout_seconds));
  ic->limits_ = limits;
  Child c = Spawn({binary_path}, "", /*merge_stderr=*/false, &limits);
  if (c.pid < 0) {
    *error = c.start_error;
    return nullptr;
  }
  ic->pid_ = c.pid;
  ic->in_ = c.in;
  ic->out_ = c.out;
  ic->err_ = c.err;
  for (int fd : {ic->in_, ic->out_, ic->err_}) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return ic;
}

InteractiveCandidate::~InteractiveCandidate() {
  if (!finished_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    WaitFor(pid_);
  }
  for (int* fd : {&in_, &out_, &err_}) CloseFd(*fd);
}

bool InteractiveCandidate::Exchange(std::string_view request, size_t reply_size,
                                    std::string* reply) {
  reply->clear();
  if (in_ < 0 || out_ < 0 || timed_out_) return false;
  size_t written = 0;
  char buf[65536];
  while (reply->size() < reply_size) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline_) {
      timed_out_ = true;
      kill(pid_, SIGKILL);
      return false;
    }
    // Try the cheap path first: most of the time the pipe takes the request
    // and the reply is ready after one poll.
    if (written < request.size()) {
      const ssize_t w = write(in_, request.data() + written, request.size() - written);
      if (w > 0) {
        written += static_cast<size_t>(w);
        continue;
      }
      if (w < 0 && errno != EAGAIN && errno != EINTR) return false;  // child closed stdin
    }
    pollfd fds[3];
    int n = 0, in_i = -1, out_i = -1, err_i = -1;
    if (written < request.size()) fds[in_i = n++] = {in_, POLLOUT, 0};
    fds[out_i = n++] = {out_, POLLIN, 0};
    if (err_ >= 0) fds[err_i = n++] = {err_, POLLIN, 0};
    const int timeout_ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - now).count() + 1);
    if (poll(fds, n, timeout_ms) < 0 && errno != EINTR) return false;
    (void)in_i;
    if (err_i >= 0 && fds[err_i].revents) {
      const ssize_t r = read(err_, buf, sizeof buf);
      if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
        CloseFd(err_);
      } else if (r > 0) {
        stderr_tail_.append(buf, static_cast<size_t>(r));
        if (stderr_tail_.size() > limits_.stderr_cap_bytes) {
          stderr_tail_.erase(0, stderr_tail_.size() - limits_.stderr_cap_bytes);
        }
      }
    }
    if (fds[out_i].revents) {
      const ssize_t r = read(out_, buf, std::min(sizeof buf, reply_size - reply->size()));
      if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) return false;
      if (r > 0) reply->append(buf, static_cast<size_t>(r));
    }
  }
  return written == request.size();
}

RunOutput InteractiveCandidate::Finish() {
  RunOutput r;
  finished_ = true;
  CloseFd(in_);
  int status = 0;
  if (!timed_out_) {
    // Drain what is left until both pipes close or the deadline passes.
    const PumpEnd end = Pump(in_, "", out_, r.stdout_text, limits_.stdout_cap_bytes, err_,
                             stderr_tail_, limits_.stderr_cap_bytes, deadline_);
    if (end == PumpEnd::kTimeout) timed_out_ = true;
    if (end != PumpEnd::kClosed) kill(pid_, SIGKILL);
    if (end == PumpEnd::kOutputLimit) r.status = RunStatus::kOutputLimit;
  }
  for (int* fd : {&in_, &out_, &err_}) CloseFd(*fd);
  for (;;) {
    const pid_t w = waitpid(pid_, &status, WNOHANG);
    if (w == pid_) break;
    if (w < 0 && errno != EINTR) break;
    if (std::chrono::steady_clock::now() >= deadline_) {
      kill(pid_, SIGKILL);
      status = WaitFor(pid_);
      timed_out_ = true;
      break;
    }
    usleep(1000);
  }
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  r.stderr_text = std::move(stderr_tail_);
  if (timed_out_) {
    r.status = RunStatus::kTimeout;
  } else if (r.status != RunStatus::kOutputLimit) {
    if (WIFSIGNALED(status)) {
      r.status = WTERMSIG(status) == SIGXCPU ? RunStatus::kTimeout : RunStatus::kSignaled;
      r.signal = WTERMSIG(status);
    } else {
      r.status = RunStatus::kExited;
      r.exit_code = WEXITSTATUS(status);
    }
  }
  return r;
}

}  // namespace crucible
