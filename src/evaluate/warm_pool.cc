#include "evaluate/warm_pool.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "process/unique_fd.h"

namespace crucible {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// A worker that has not answered this long after a candidate's own deadline
// is presumed stuck and killed (the worker enforces the deadline itself).
constexpr double kWorkerGraceSeconds = 30;
// How long a new worker may take to import the evaluator module.
constexpr double kStartupSeconds = 300;
// A worker lives as long as the run; its sandbox deadline is only a backstop.
constexpr double kWorkerLifetimeSeconds = 30 * 86400.0;

bool ShowsAllocationFailure(const std::string& text) {
  for (const char* marker : {"std::bad_alloc", "MemoryError", "Cannot allocate memory",
                             "out of memory", "Out of memory"}) {
    if (text.find(marker) != std::string::npos) return true;
  }
  return false;
}

// The worker's answer for one candidate, as the sandbox would have said it.
SandboxResult FromResponse(const nlohmann::json& j) {
  SandboxResult r;
  r.started = true;
  r.exited = j.value("exited", false);
  r.exit_code = j.value("exit_code", -1);
  r.signal = j.value("signal", 0);
  r.timed_out = j.value("timed_out", false);
  r.cpu_limit = !r.timed_out && (r.signal == SIGXCPU);
  r.output_limit = r.signal == SIGXFSZ;
  r.stdout_text = j.value("stdout", "");
  r.stderr_text = j.value("stderr", "");
  r.stdout_total_bytes = j.value("stdout_total", uint64_t{0});
  r.stderr_total_bytes = j.value("stderr_total", uint64_t{0});
  r.wall_seconds = j.value("wall_seconds", 0.0);
  r.cpu_seconds = j.value("cpu_seconds", 0.0);
  r.max_rss_bytes = j.value("max_rss_bytes", uint64_t{0});
  const bool failed = !r.exited || r.exit_code != 0;
  r.memory_limit = failed && !r.timed_out && ShowsAllocationFailure(r.stderr_text);
  return r;
}

SandboxResult Lost(std::string why, bool timed_out) {
  SandboxResult r;
  r.started = true;
  r.signal = SIGKILL;
  r.timed_out = timed_out;
  r.stderr_text = std::move(why);
  return r;
}

}  // namespace

// One worker process (in its own long Sandbox::Run on a thread) and the two
// FIFOs to it. Used by one evaluation at a time.
class WarmPool::Worker {
 public:
  static StatusOr<std::unique_ptr<Worker>> Start(const WarmPoolOptions& o, const Sandbox& sandbox,
                                                 int index);
  ~Worker() {
    stop_.request_stop();
    if (thread_.joinable()) thread_.join();
    std::error_code ec;
    fs::remove_all(dir_, ec);
    fs::remove_all(fifo_dir_, ec);
  }

  Stage Run(const nlohmann::json& candidate, const std::map<std::string, std::string>& env,
            const SandboxOptions& limits, std::stop_token stop);
  bool healthy() const { return healthy_ && !dead_.load(); }

 private:
  Worker() = default;
  // The next line from the worker, or nullopt when it died or `deadline` passed.
  std::optional<std::string> ReadLine(Clock::time_point deadline);
  std::string DeathNote() const;

  std::string dir_, fifo_dir_;
  UniqueFd request_fd_{-1}, response_fd_{-1}, wake_fd_{-1};
  std::stop_source stop_;
  std::thread thread_;
  std::atomic<bool> dead_{false};
  SandboxResult end_;  // the worker's own run; written by thread_ before dead_
  std::string buffer_;
  bool healthy_ = true;
};

StatusOr<std::unique_ptr<WarmPool::Worker>> WarmPool::Worker::Start(const WarmPoolOptions& o,
                                                                    const Sandbox& sandbox,
                                                                    int index) {
  std::unique_ptr<Worker> w(new Worker());
  w->dir_ = (fs::path(o.root) / fmt::format("w{}", index)).string();
  w->fifo_dir_ = (fs::path(o.root) / fmt::format("f{}", index)).string();
  std::error_code ec;
  fs::create_directories(w->dir_, ec);
  fs::create_directories(w->fifo_dir_, ec);
  if (ec) return InternalError(fmt::format("cannot create {}: {}", w->fifo_dir_, ec.message()));
  const std::string request = w->fifo_dir_ + "/request", response = w->fifo_dir_ + "/response";
  if (::mkfifo(request.c_str(), 0600) != 0 || ::mkfifo(response.c_str(), 0600) != 0) {
    return InternalError(fmt::format("mkfifo in {}: {}", w->fifo_dir_, strerror(errno)));
  }
  // Read-write opens do not wait for the other end.
  w->request_fd_ = UniqueFd(::open(request.c_str(), O_RDWR | O_CLOEXEC));
  w->response_fd_ = UniqueFd(::open(response.c_str(), O_RDWR | O_CLOEXEC));
  w->wake_fd_ = UniqueFd(::eventfd(0, EFD_CLOEXEC));
  if (w->request_fd_.get() < 0 || w->response_fd_.get() < 0 || w->wake_fd_.get() < 0) {
    return InternalError(fmt::format("cannot open the worker's FIFOs: {}", strerror(errno)));
  }
  SandboxRequest req;
  req.argv = o.worker_argv;
  req.argv.insert(req.argv.begin() + 2, {request, response});
  req.working_dir = w->dir_;
  req.env = o.env;
  const SandboxCapabilities& caps = sandbox.capabilities();
  const bool private_state = caps.filesystem_isolation && caps.ipc_namespace;
  req.env["CRUCIBLE_WARM_PRIVATE"] = private_state ? "1" : "0";
  // Every symbol bound once in the worker, not lazily in each forked child
  // (whose first call of a function wrote its own copy of the tables);
  // worker.py takes it out of the environment the candidates inherit.
  req.env["LD_BIND_NOW"] = "1";
  req.readonly_paths = o.readonly_paths;
  req.readonly_paths.push_back(w->fifo_dir_);
  req.writable_paths = o.writable_paths;
  req.writable_paths.push_back(w->dir_);
  req.scratch_bytes = o.scratch_bytes;
  Worker* raw = w.get();
  raw->thread_ = std::thread([raw, req = std::move(req), &sandbox] {
    raw->end_ = sandbox.Run(req, raw->stop_.get_token());
    raw->dead_.store(true);
    const uint64_t one = 1;
    (void)!::write(raw->wake_fd_.get(), &one, sizeof(one));
  });
  const auto ready = w->ReadLine(Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                    std::chrono::duration<double>(kStartupSeconds)));
  if (!ready || ready->find("\"ready\"") == std::string::npos) {
    std::string why = w->DeathNote();
    return UnavailableError("the warm Python worker did not start: " + why);
  }
  // Both ends are open: no one else may open the FIFOs from now on.
  fs::remove(request, ec);
  fs::remove(response, ec);
  return w;
}

std::string WarmPool::Worker::DeathNote() const {
  if (!dead_.load()) return "it did not answer in time";
  std::string note = end_.timed_out ? "it outlived its deadline"
                     : end_.exited  ? fmt::format("it exited with status {}", end_.exit_code)
                                    : fmt::format("it was killed by signal {}", end_.signal);
  if (!end_.started) note = "it could not be started: " + end_.spawn_error;
  const std::string tail = end_.StderrTail(4096);
  return tail.empty() ? note : note + "\n" + tail;
}

std::optional<std::string> WarmPool::Worker::ReadLine(Clock::time_point deadline) {
  while (true) {
    if (size_t nl = buffer_.find('\n'); nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd fds[2] = {{response_fd_.get(), POLLIN, 0}, {wake_fd_.get(), POLLIN, 0}};
    const int n = ::poll(fds, 2, static_cast<int>(std::min<int64_t>(left.count(), 1 << 30)));
    if (n < 0 && errno != EINTR) return std::nullopt;
    if (fds[0].revents & POLLIN) {
      char chunk[65536];
      const ssize_t got = ::read(response_fd_.get(), chunk, sizeof(chunk));
      if (got > 0) buffer_.append(chunk, static_cast<size_t>(got));
      continue;
    }
    if (fds[1].revents & POLLIN) return std::nullopt;  // the worker's run ended
  }
}

WarmPool::Stage WarmPool::Worker::Run(const nlohmann::json& candidate,
                                      const std::map<std::string, std::string>& env,
                                      const SandboxOptions& limits, std::stop_token stop) {
  Stage out;
  nlohmann::json request = candidate;
  request["env"] = env;
  request["timeout"] = limits.wall_timeout_seconds;
  request["cpu_seconds"] = limits.cpu_seconds > 0 ? limits.cpu_seconds : limits.wall_timeout_seconds + 1;
  const std::string line = request.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::stop_callback kill_on_stop(stop, [this] { stop_.request_stop(); });
  if (::write(request_fd_.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    healthy_ = false;
    out.run = Lost("could not send the candidate to the warm worker", false);
  } else {
    const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(
                                                 limits.wall_timeout_seconds + kWorkerGraceSeconds));
    const std::optional<std::string> reply = ReadLine(deadline);
    nlohmann::json j = reply ? nlohmann::json::parse(*reply, nullptr, false) : nlohmann::json();
    if (!j.is_object()) {
      healthy_ = false;
      const bool late = !dead_.load() && !stop.stop_requested();
      out.run = Lost("the warm Python worker was lost: " + DeathNote(), late);
      out.run.cancelled = stop.stop_requested();
    } else {
      out.run = FromResponse(j);
      if (j.contains("retire")) healthy_ = false;
      if (j.contains("result") && j["result"].is_string()) out.result = j["result"].get<std::string>();
    }
  }
  return out;
}

Status WarmPoolOptions::Validate() const {
  if (worker_argv.size() < 2) return InvalidArgumentError("warm pool: worker_argv needs a program and its script");
  if (root.empty()) return InvalidArgumentError("warm pool: root is not set");
  return sandbox.Validate();
}

StatusOr<std::unique_ptr<WarmPool>> WarmPool::Create(WarmPoolOptions options) {
  RETURN_IF_ERROR(options.Validate());
  SandboxOptions worker = options.sandbox;
  worker.wall_timeout_seconds = kWorkerLifetimeSeconds;
  worker.cpu_seconds = kWorkerLifetimeSeconds;
  worker.max_processes = options.sandbox.max_processes + 1;  // the worker itself
  ASSIGN_OR_RETURN(std::unique_ptr<Sandbox> sandbox, Sandbox::Create(worker));
  return std::unique_ptr<WarmPool>(new WarmPool(std::move(options), std::move(sandbox)));
}

WarmPool::WarmPool(WarmPoolOptions options, std::unique_ptr<Sandbox> sandbox)
    : options_(std::move(options)), sandbox_(std::move(sandbox)) {}

WarmPool::~WarmPool() {
  std::lock_guard lock(mu_);
  idle_.clear();
}

std::string WarmPool::Describe() const {
  return "warm Python workers (one per job, a fresh fork per candidate); " +
         sandbox_->CapabilityReport();
}

int WarmPool::workers_started() const {
  std::lock_guard lock(mu_);
  return started_;
}

StatusOr<std::unique_ptr<WarmPool::Worker>> WarmPool::Acquire() {
  int index;
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<Worker> w = std::move(idle_.back());
      idle_.pop_back();
      return w;
    }
    index = started_++;
  }
  return Worker::Start(options_, *sandbox_, index);
}

void WarmPool::Release(std::unique_ptr<Worker> worker) {
  if (!worker->healthy()) return;  // destroyed: killed, reaped, its directory removed
  std::lock_guard lock(mu_);
  idle_.push_back(std::move(worker));
}

bool WarmPool::CanSend(const Program& program) {
  for (const SourceFile& f : program.files) {
    try {
      (void)nlohmann::json(f.content).dump();  // strict: throws on text that is not UTF-8
    } catch (const nlohmann::json::exception&) {
      return false;
    }
  }
  return true;
}

WarmPool::Stage WarmPool::Run(const Program* program, const std::string& candidate_dir,
                              const std::map<std::string, std::string>& env, std::stop_token stop) {
  StatusOr<std::unique_ptr<Worker>> worker = Acquire();
  if (!worker.ok()) {
    Stage failed;
    failed.run.started = false;
    failed.run.spawn_error = worker.status().message();
    return failed;
  }
  nlohmann::json candidate = {{"candidate_dir", candidate_dir}};
  if (program != nullptr) {
    nlohmann::json files = nlohmann::json::array();
    for (const SourceFile& f : program->files) files.push_back({f.path, f.content});
    candidate = {{"files", std::move(files)}};
  }
  Stage stage = (*worker)->Run(candidate, env, options_.sandbox, stop);
  Release(std::move(*worker));
  return stage;
}

}  // namespace crucible
