// TaskPool: a fixed set of worker threads running self-contained tasks
// (proposals, evaluations). Tasks own everything they touch; they report back
// through whatever queue their closure captured. No global pool: the engine
// owns its pools.
//
// Hand-offs poll before they sleep: a thread that runs out of work first
// checks for new work for up to `spin_seconds` (yielding the CPU between
// checks) and only then blocks on a condition variable. On a virtual machine
// waking a blocked thread costs tens of microseconds (a futex wake-up and an
// inter-processor interrupt), more than the engine's whole work for a fast
// candidate; a short poll takes that out of the loop when work arrives
// quickly and costs at most `spin_seconds` of CPU per idle period otherwise.
#ifndef CRUCIBLE_ENGINE_TASK_POOL_H_
#define CRUCIBLE_ENGINE_TASK_POOL_H_

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace crucible {

// How long the engine's threads poll for work before they sleep.
inline constexpr double kDefaultSpinSeconds = 100e-6;

// Calls `ready` until it returns true or `seconds` have passed, yielding the
// CPU between calls (other threads of the process may need it: the machine
// may have fewer cores than threads). Returns the last value of `ready()`.
template <typename Ready>
bool PollFor(double seconds, Ready ready) {
  if (ready()) return true;
  if (seconds <= 0) return false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (true) {
    std::this_thread::yield();
    if (ready()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
  }
}

class TaskPool {
 public:
  // `spin_seconds`: how long an idle worker polls for a task before it sleeps.
  explicit TaskPool(int threads, double spin_seconds = kDefaultSpinSeconds);
  // Runs the tasks already queued, then joins the threads.
  ~TaskPool();
  TaskPool(const TaskPool&) = delete;
  TaskPool& operator=(const TaskPool&) = delete;

  void Submit(std::function<void()> task);

 private:
  void Work(std::stop_token stop);

  const double spin_seconds_;
  std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  std::atomic<size_t> queued_{0};            // queue_.size(), readable without mu_
  std::vector<std::jthread> threads_;
};

// A queue of values handed from workers to the orchestrator. Thread-safe.
template <typename T>
class CompletionQueue {
 public:
  explicit CompletionQueue(double spin_seconds = kDefaultSpinSeconds)
      : spin_seconds_(spin_seconds) {}

  void Push(T value) {
    {
      std::lock_guard lock(mu_);
      items_.push_back(std::move(value));
      size_.store(items_.size(), std::memory_order_release);
    }
    cv_.notify_one();
  }
  // Waits up to `seconds` for at least one item (polling for the first
  // spin_seconds of them); returns all items queued.
  std::vector<T> WaitAndDrain(double seconds) {
    PollFor(std::min(seconds, spin_seconds_),
            [&] { return size_.load(std::memory_order_acquire) > 0; });
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::duration<double>(seconds), [&] { return !items_.empty(); });
    std::vector<T> out(std::make_move_iterator(items_.begin()), std::make_move_iterator(items_.end()));
    items_.clear();
    size_.store(0, std::memory_order_release);
    return out;
  }

 private:
  const double spin_seconds_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<T> items_;            // guarded by mu_
  std::atomic<size_t> size_{0};    // items_.size(), readable without mu_
};

}  // namespace crucible

#endif  // CRUCIBLE_ENGINE_TASK_POOL_H_
